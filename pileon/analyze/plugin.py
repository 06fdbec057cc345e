"""The built-in classifier backend, registered through the same hook a third-party plugin uses."""

from __future__ import annotations

from collections.abc import Sequence

from pileon.analyze.classify import builtin_classifier
from pileon.analyze.transformers_backend import transformers_classifier
from pileon.hookspecs import Classifier, hookimpl

__all__ = ["register_classifiers"]


@hookimpl
def register_classifiers() -> Sequence[Classifier]:
    return [builtin_classifier(), transformers_classifier()]
