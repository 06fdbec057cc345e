"""The built-in classifier backends, registered through the same hook a third-party plugin uses.

Imported lazily inside the hook: loading the plugin manager (every `pileon` command does) must
not pull in scikit-learn or torch; only asking for the classifiers does.
"""

from __future__ import annotations

from collections.abc import Sequence

from pileon.hookspecs import Classifier, hookimpl

__all__ = ["register_classifiers"]


@hookimpl
def register_classifiers() -> Sequence[Classifier]:
    from pileon.analyze.classify import builtin_classifier
    from pileon.analyze.transformers_backend import transformers_classifier

    return [builtin_classifier(), transformers_classifier()]
