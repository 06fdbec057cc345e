"""The co-action graph: who is linked, its components, and files Gephi can open."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from pileon.coordinate.graph import co_action_edges, components
from pileon.coordinate.graph_export import GraphEdge, GraphNode, render_graph
from pileon.coordinate.results import CoordinationParams


def test_groups_link_accounts_and_weak_co_replies_do_not_join_components() -> None:
    edges = co_action_edges([["x:a", "x:b", "x:c"], ["x:c", "x:d"]],
                            [["x:e", "x:f"], ["x:g", "x:h"], ["x:g", "x:h"]])
    by_pair = {(e.source, e.target): e for e in edges}
    assert by_pair[("x:a", "x:b")].co_posts == 1
    assert by_pair[("x:g", "x:h")].co_replies == 2
    found = components(edges, CoordinationParams(co_reply_min=2))
    assert found == [("x:a", "x:b", "x:c", "x:d"), ("x:g", "x:h")]  # e-f replied together once


def _graph() -> tuple[list[GraphNode], list[GraphEdge]]:
    nodes = [GraphNode("x:1", "user<1>&co", {"score": 0.9, "component": 1}),
             GraphNode("x:2", "Aysel", {"score": 0.1, "component": None})]
    return nodes, [GraphEdge("x:1", "x:2", 3, {"co_posts": 3, "co_replies": 0})]


def test_gexf_and_graphml_are_well_formed_with_nodes_and_edges() -> None:
    nodes, edges = _graph()
    gexf = ET.fromstring(render_graph(nodes, edges, "gexf"))
    ns = {"g": "http://gexf.net/1.3"}
    assert [n.get("label") for n in gexf.iterfind(".//g:node", ns)] == ["user<1>&co", "Aysel"]
    assert gexf.find(".//g:edge", ns).get("weight") == "3"  # type: ignore[union-attr]
    graphml = ET.fromstring(render_graph(nodes, edges, "graphml"))
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    assert len(graphml.findall(".//g:node", ns)) == 2
    assert len(graphml.findall(".//g:edge", ns)) == 1


def test_json_is_node_link() -> None:
    nodes, edges = _graph()
    data = json.loads(render_graph(nodes, edges, "json"))
    assert data["nodes"][0]["score"] == 0.9 and data["links"][0]["co_posts"] == 3
