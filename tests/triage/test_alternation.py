"""The prefiltered alternation (triage/alternation.py) finds exactly what the joined regular
expression finds: same spans, same matched text, for search (with pos/endpos) and finditer, on
the cue patterns of triage and on every eval text, alone and stitched together."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from pileon.analyze.normalize import normalize
from pileon.triage import cues
from pileon.triage.alternation import Alternation, literal_prefixes

REPO = Path(__file__).resolve().parents[2]


def _eval_texts() -> list[str]:
    texts = []
    for path in sorted((REPO / "eval").rglob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                text = json.loads(line).get("text")
                if isinstance(text, str):
                    texts.append(text)
    return texts


def _texts() -> list[str]:
    base = _eval_texts()
    rng = random.Random(5)
    stitched = [" ".join(rng.sample(base, 3)) for _ in range(600)]
    folded = [normalize(t).text for t in base + stitched]
    return base + folded + stitched + ["", " ", "!!!", "❤️", "a" * 3000]


def _spans(matches: object) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group(0)) for m in matches]  # type: ignore[attr-defined]


def _same(alt: Alternation, text: str) -> None:
    joined = alt.joined
    assert _spans([m for m in [alt.search(text)] if m]) == \
        _spans([m for m in [joined.search(text)] if m]), text
    assert _spans(alt.finditer(text)) == _spans(joined.finditer(text)), text
    n = len(text)
    for pos, end in ((n // 3, n), (0, n // 2), (n // 4, 3 * n // 4)):
        got, want = alt.search(text, pos, end), joined.search(text, pos, end)
        assert _spans([got] if got else []) == _spans([want] if want else []), (text, pos, end)


def test_cue_patterns_match_like_the_joined_pattern() -> None:
    patterns = cues._patterns()
    texts = _texts()
    assert len(texts) > 2500
    hits = 0
    for alt in patterns.values():
        for text in texts:
            _same(alt, text)
            hits += alt.joined.search(text) is not None
    assert hits > 500  # the texts do reach the cues: the comparison is not of empty results


def test_read_cues_same_as_with_the_joined_patterns(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = _texts()[:3000]
    fast = [cues.read_cues.__wrapped__(t, lang) for t in texts for lang in (None, "az")]
    slow_patterns = {name: alt.joined for name, alt in cues._patterns().items()}
    monkeypatch.setattr(cues, "_patterns", lambda: slow_patterns)
    slow = [cues.read_cues.__wrapped__(t, lang) for t in texts for lang in (None, "az")]
    assert fast == slow
    assert sum(c.support is not None for c in slow) > 100


@pytest.mark.parametrize(("pattern", "prefixes"), [
    (r"\bthank(s|\s+you)\b", {"thank"}),
    (r"\b(don't|do\s+not)\s+let", {"do"}),
    (r"\bsorry", {"sorry"}),
    (r"[ab]c", {"ac", "bc"}),
    (r"(?<!\w)x", None),
    (r"(?i)hello", None),
    (r"\w+", None),
    (r"a?b", None),
    (r"(ab|)c", {"abc", "c"}),
])
def test_literal_prefixes(pattern: str, prefixes: set[str] | None) -> None:
    found = literal_prefixes(pattern)
    assert (None if found is None else set(found)) == prefixes
    if prefixes:  # every match starts with one of them
        for text in ("ac bc thank thanks you don't do not let sorry", "xx bc"):
            for m in re.finditer(pattern, text):
                assert any(m.group(0).startswith(p) for p in prefixes)


def test_tricky_alternations() -> None:
    parts = [r"\bab", r"a", r"(?<=x)b", r"b*", r"\bcd\s+e", r"(?i:CD)", r"[xy]z?"]
    alt = Alternation(parts)
    rng = random.Random(3)
    for _ in range(3000):
        text = "".join(rng.choice("abcdexyz .CD") for _ in range(rng.randrange(0, 16)))
        _same(alt, text)
