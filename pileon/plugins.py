"""Loads the plugin manager: built-in plugins first, then anything in the `pileon` entry-point
group, so built-ins and third-party plugins go through the same hooks.
"""

from __future__ import annotations

import importlib
from functools import cache

import pluggy

from pileon import hookspecs
from pileon.hookspecs import Classifier, Exporter, Source

__all__ = ["BUILTIN_PLUGINS", "classifiers", "exporters", "plugin_manager", "sources"]

#: Modules that implement hooks for pileon's own features. Each adds itself here, one line.
BUILTIN_PLUGINS: tuple[str, ...] = (
    "pileon.ingest.plugin",
    "pileon.analyze.plugin",
    "pileon.export.plugin",
)


@cache
def plugin_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager("pileon")
    pm.add_hookspecs(hookspecs)
    for name in BUILTIN_PLUGINS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # a real missing dependency inside the plugin
                raise
            continue
        pm.register(module, name)
    pm.load_setuptools_entrypoints("pileon")
    return pm


def sources() -> dict[str, Source]:
    found: dict[str, Source] = {}
    for batch in plugin_manager().hook.register_sources():
        for source in batch:
            found[source.name] = source
    return found


def classifiers() -> dict[str, Classifier]:
    found: dict[str, Classifier] = {}
    for batch in plugin_manager().hook.register_classifiers():
        for classifier in batch:
            found[classifier.name] = classifier
    return found


def exporters() -> dict[str, Exporter]:
    found: dict[str, Exporter] = {}
    for batch in plugin_manager().hook.register_exporters():
        for exporter in batch:
            found[exporter.name] = exporter
    return found
