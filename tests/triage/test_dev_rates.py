"""The two figures the default rules answer for: support shielded, abuse shown as support."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from pileon.cli import main
from pileon.triage.dev_rates import LabelledScores, folder_rates
from pileon.triage.rules import load_rules


def case(lang: str, gold: set[str], **scores: float) -> LabelledScores:
    return LabelledScores(lang, frozenset(gold), scores)


def test_rates_count_support_shielded_and_abuse_in_support_per_language() -> None:
    items = [
        case("az", {"supportive"}, supportive=0.9),
        case("az", {"supportive"}, supportive=0.3, insult=0.8),  # shielded: a harm counted
        case("az", {"insult"}, insult=0.9),
        case("ru", {"bad_faith"}, supportive=0.8),  # shown as support: the other harm
        case("ru", {"supportive", "profanity"}, supportive=0.9, profanity=0.9),
        case("ru", {"disagreement"}, disagreement=0.9),
    ]
    az, ru, every = folder_rates(items, load_rules(None))
    assert (az.lang, az.supportive, az.supportive_shielded, az.abusive) == ("az", 2, 1, 1)
    assert az.supportive_shielded_rate == 0.5 and az.abusive_in_support_rate == 0.0
    assert (ru.abusive_in_support, ru.abusive_in_support_rate) == (1, 1.0)
    assert ru.supportive_shielded_rate == 0.0 and ru.folders["inbox"] == 1
    assert every.lang == "all" and every.cases == 6 and every.folders["shielded"] == 2


def test_a_rate_with_nothing_to_count_is_none_not_zero() -> None:
    (only,) = folder_rates([case("fr", {"neutral"}, neutral=0.9)], load_rules(None))[:1]
    assert only.supportive_shielded_rate is None and only.abusive_in_support_rate is None


def test_triage_eval_names_the_bad_line(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text('{"lang": "en", "text": "hi", "labels": ["neutral"]}\n{"text": "x"}\n',
                     encoding="utf-8")
    result = CliRunner().invoke(main, ["triage-eval", str(cases)])
    assert result.exit_code == 1
    assert f"{cases} (line 2): needs \"text\" and a \"labels\" list" in result.output
    assert "Traceback" not in result.output
