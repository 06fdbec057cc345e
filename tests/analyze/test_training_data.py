"""The team training set is well formed and kept apart from the held-out eval sets: no training
text repeats an eval case, exactly or nearly (a leaked case would make the reported figures lie)."""

from __future__ import annotations

import json
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

from pileon.analyze.harness import expand_functional
from pileon.records import LABELS

_REPO = Path(__file__).resolve().parents[2]
_LANGS = {"az", "tr", "ru", "en", "hy", "fr"}
#: Texts at least this long count as the same case when their 4-gram Jaccard reaches _NEAR.
_MIN_NEAR = 12
_NEAR = 0.8


def _rows(pattern: str) -> list[dict]:
    out = []
    for path in sorted(_REPO.glob(pattern)):
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if line.strip():
                row = json.loads(line)
                row["_where"] = f"{path.relative_to(_REPO)}:{number}"
                out.append(row)
    return out


def _norm(text: str) -> str:
    """Case, punctuation and spacing folded; letters and emoji kept."""
    text = unicodedata.normalize("NFKC", text).lower()
    return " ".join("".join(" " if unicodedata.category(c)[0] in "PZC" else c
                            for c in text).split())


def _grams(text: str) -> set[str]:
    return {text[i:i + 4] for i in range(max(len(text) - 3, 1))}


def test_every_training_row_is_well_formed() -> None:
    rows = _rows("training/team/*.jsonl")
    assert len(rows) > 5000
    ids = Counter(r["id"] for r in rows)
    assert [i for i, n in ids.items() if n > 1] == []
    for row in rows:
        labels = row["labels"]
        assert row["lang"] in _LANGS, row["_where"]
        assert isinstance(row["text"], str) and row["text"].strip(), row["_where"]
        assert labels and set(labels) <= set(LABELS), row["_where"]
        assert "neutral" not in labels or labels == ["neutral"], row["_where"]


def test_no_eval_case_leaks_into_training() -> None:
    # Every eval case with a text, and the generalisation harness's cases expanded from their
    # templates (eval/generalisation/functionality_templates.jsonl holds templates, not texts).
    # (eval/triage-dev is the triage stage's set, not the classifier's; not checked here.)
    held_out = [r for folder in ("dev", "functional", "generalisation")
                for r in _rows(f"eval/{folder}/*.jsonl") if "text" in r] + expand_functional()
    assert len(held_out) > 1000
    exact = {_norm(e["text"]): e.get("id", e.get("_where")) for e in held_out}
    grams = [_grams(_norm(e["text"])) for e in held_out]
    index: dict[str, set[int]] = defaultdict(set)
    for i, g in enumerate(grams):
        for gram in g:
            index[gram].add(i)
    leaks = []
    for row in _rows("training/team/*.jsonl"):
        text = _norm(row["text"])
        if text in exact:
            leaks.append((row["_where"], exact[text], 1.0))
            continue
        if len(text) < _MIN_NEAR:
            continue
        mine = _grams(text)
        shared: Counter[int] = Counter()
        for gram in mine:
            shared.update(index.get(gram, ()))
        for i, n in shared.items():
            similarity = n / len(mine | grams[i])
            if similarity >= _NEAR:
                leaks.append((row["_where"], held_out[i].get("id", held_out[i].get("_where")), round(similarity, 2)))
    assert leaks == []
