"""Hypothesis settings for the fuzz tests: a bounded run in CI (`pytest`), a long one with
`make fuzz` (PILEON_FUZZ_EXAMPLES=2000 or more per parser)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

EXAMPLES = int(os.environ.get("PILEON_FUZZ_EXAMPLES", "25"))

settings.register_profile(
    "pileon-fuzz",
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.function_scoped_fixture],
    derandomize=EXAMPLES <= 25,  # CI: the same inputs every run; `make fuzz`: new ones each time
    print_blob=True,
)
FUZZ = settings.get_profile("pileon-fuzz")
