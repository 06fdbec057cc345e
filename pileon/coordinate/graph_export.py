"""The co-action graph as files: GEXF 1.3 and GraphML for Gephi, and node-link JSON.
Written by hand (a few dozen lines of XML) so no graph library is needed at run time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import quoteattr

__all__ = ["FORMATS", "GraphEdge", "GraphNode", "render_graph"]

FORMATS = ("gexf", "graphml", "json")


@dataclass(frozen=True, slots=True)
class GraphNode:
    id: str  # "platform:account_id"
    label: str
    attributes: Mapping[str, Any]  # str / int / float / bool / None values


@dataclass(frozen=True, slots=True)
class GraphEdge:
    source: str
    target: str
    weight: int
    attributes: Mapping[str, Any]


def _kind(values: list[Any]) -> tuple[str, str]:
    """(GEXF type, GraphML type) that holds every non-null value."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return "boolean", "boolean"
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return "integer", "int"
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return "double", "double"
    return "string", "string"


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _attribute_names(items: Sequence[GraphNode] | Sequence[GraphEdge]) -> list[str]:
    return sorted({name for item in items for name in item.attributes})


def _gexf(nodes: Sequence[GraphNode], edges: Sequence[GraphEdge]) -> str:
    node_keys, edge_keys = _attribute_names(nodes), _attribute_names(edges)
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<gexf xmlns="http://gexf.net/1.3" version="1.3">',
           '  <meta><creator>pileon</creator><description>co-action graph</description></meta>',
           '  <graph mode="static" defaultedgetype="undirected">']
    for cls, keys, items in (("node", node_keys, nodes), ("edge", edge_keys, edges)):
        out.append(f'    <attributes class="{cls}">')
        for i, key in enumerate(keys):
            kind = _kind([item.attributes.get(key) for item in items])[0]
            out.append(f'      <attribute id="{i}" title={quoteattr(key)} type="{kind}"/>')
        out.append("    </attributes>")
    out.append("    <nodes>")
    for node in nodes:
        values = "".join(f'<attvalue for="{i}" value={quoteattr(_value(node.attributes[k]))}/>'
                         for i, k in enumerate(node_keys) if node.attributes.get(k) is not None)
        out.append(f"      <node id={quoteattr(node.id)} label={quoteattr(node.label)}>"
                   f"<attvalues>{values}</attvalues></node>")
    out.append("    </nodes>")
    out.append("    <edges>")
    for n, edge in enumerate(edges):
        values = "".join(f'<attvalue for="{i}" value={quoteattr(_value(edge.attributes[k]))}/>'
                         for i, k in enumerate(edge_keys) if edge.attributes.get(k) is not None)
        out.append(f'      <edge id="{n}" source={quoteattr(edge.source)} '
                   f'target={quoteattr(edge.target)} weight="{edge.weight}">'
                   f"<attvalues>{values}</attvalues></edge>")
    out.extend(["    </edges>", "  </graph>", "</gexf>", ""])
    return "\n".join(out)


def _graphml(nodes: Sequence[GraphNode], edges: Sequence[GraphEdge]) -> str:
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">',
           '  <key id="label" for="node" attr.name="label" attr.type="string"/>',
           '  <key id="weight" for="edge" attr.name="weight" attr.type="int"/>']
    node_keys, edge_keys = _attribute_names(nodes), _attribute_names(edges)
    for prefix, cls, keys, items in (("n", "node", node_keys, nodes),
                                     ("e", "edge", edge_keys, edges)):
        for key in keys:
            kind = _kind([item.attributes.get(key) for item in items])[1]
            out.append(f'  <key id={quoteattr(prefix + "_" + key)} for="{cls}" '
                       f'attr.name={quoteattr(key)} attr.type="{kind}"/>')
    out.append('  <graph id="coaction" edgedefault="undirected">')
    for node in nodes:
        data = "".join(f"<data key={quoteattr('n_' + k)}>{_escape(_value(node.attributes[k]))}"
                       "</data>" for k in node_keys if node.attributes.get(k) is not None)
        out.append(f'    <node id={quoteattr(node.id)}><data key="label">{_escape(node.label)}'
                   f"</data>{data}</node>")
    for edge in edges:
        data = "".join(f"<data key={quoteattr('e_' + k)}>{_escape(_value(edge.attributes[k]))}"
                       "</data>" for k in edge_keys if edge.attributes.get(k) is not None)
        out.append(f"    <edge source={quoteattr(edge.source)} target={quoteattr(edge.target)}>"
                   f'<data key="weight">{edge.weight}</data>{data}</edge>')
    out.extend(["  </graph>", "</graphml>", ""])
    return "\n".join(out)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _json(nodes: Sequence[GraphNode], edges: Sequence[GraphEdge]) -> str:
    return json.dumps({
        "directed": False,
        "nodes": [{"id": n.id, "label": n.label, **n.attributes} for n in nodes],
        "links": [{"source": e.source, "target": e.target, "weight": e.weight, **e.attributes}
                  for e in edges],
    }, ensure_ascii=False, indent=1) + "\n"


def render_graph(nodes: Sequence[GraphNode], edges: Sequence[GraphEdge], fmt: str) -> str:
    """The graph in `fmt` (one of FORMATS) as text."""
    renderers = {"gexf": _gexf, "graphml": _graphml, "json": _json}
    if fmt not in renderers:
        raise ValueError(f"unknown graph format {fmt!r}; use one of {', '.join(FORMATS)}")
    return renderers[fmt](nodes, edges)
