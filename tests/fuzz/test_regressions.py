"""Fixed inputs from issue 19's findings that only the fuzz tests reached before: each failed
with a traceback (ValueError past Python's 4,300-digit limit, RecursionError) before the fix."""

from __future__ import annotations

import pytest

from pileon.errors import ConfigError
from pileon.triage.rules import default_rules_text, parse_rules


@pytest.mark.parametrize(("extra", "said"), [
    ("[support]\nhuge = " + "9" * 4301, "rules.toml"),
    ("deep = " + "[" * 1000 + "]" * 1000, "nested too deeply"),
])
def test_rules_with_a_huge_integer_or_deep_nesting_are_one_config_error(extra: str,
                                                                       said: str) -> None:
    text = default_rules_text().replace("[support]", "[support_old]", 1) + "\n" + extra + "\n"
    with pytest.raises(ConfigError) as caught:
        parse_rules(text, "rules.toml")
    message = str(caught.value)
    assert message.startswith("rules.toml") and said in message and "\n" not in message
