"""The generalisation harness behind `make eval`: how the classifier holds on text its own team did
not write. `python -m pileon.analyze.harness [--quick] [--json OUT]`.

Parts (each prints one block; `--json` writes all figures to a file):

- `functional`: our own cases for every functionality of the HateCheck paper (Röttger et al.,
  2021), written from the functionality descriptions only (eval/generalisation/
  functionality_templates.jsonl, expanded over the protected groups of groups.json). Gold follows
  HateCheck's own definition (hate = aimed at a protected group), so the mean per-functionality
  accuracy is the harness's prediction for the held-back HateCheck judges.
- `foreign`: benign text in scripts outside the six languages (Arabic, Chinese, Georgian,
  Hebrew, Persian, Japanese): each must come out `und` with no label but `neutral`.
- `unseen`: the shipped model on the rows of each public source that `make model`'s seeded
  sample did NOT take (never trained or tuned on): in-source generalisation, the closest the
  harness gets to an official test split (OffensEval-2020 TR).
- `loso` (skipped with --quick): leave one public source out; a model fitted on the team rows and
  every other source judges that source (binary abusive-vs-not; supportive for GoEmotions).
- `rounds` (skipped with --quick): cross-writer split of the team rows: a model fitted on the
  rounds before `_extra5` (plus the public data) judges rounds `_extra5`, `_extra6`, `_extra7`,
  which it never saw.

Models fitted here reuse the shipped model's thresholds (chosen on out-of-fold team rows), so
the refit parts are a slightly optimistic reading of threshold transfer, not of the weights.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pileon.analyze.classify import BuiltinClassifier, Classification
from pileon.analyze.model import LexiconLinearClassifier
from pileon.analyze.train import (
    DEFAULT_PUBLIC,
    DEFAULT_TEAM,
    TEAM_WEIGHT,
    Example,
    _matrices,
    _read_jsonl,
    load_examples,
)
from pileon.records import ABUSIVE_LABELS, LABELS

__all__ = ["expand_functional", "foreign_cases", "main", "round_of"]

_REPO = Path(__file__).resolve().parents[2]
SUITE = _REPO / "eval" / "generalisation"
#: Rows judged per source (seeded sample) in `unseen` and `loso`: enough for a 2-point interval.
_PER_SOURCE = 2000
#: The cross-writer split: rounds from this one on judge a model fitted on the earlier ones.
_FIRST_HELD_ROUND = 5
_ROUND = re.compile(r"_extra(\d*)$")

Classify = Callable[[list[str]], list[Classification]]


def round_of(stem: str) -> int:
    """Writing round of a team file: `en` 0, `en_extra` 1, `en_extra5` 5, `groups_en` 0."""
    m = _ROUND.search(stem)
    if not m:
        return 0
    return int(m.group(1) or 1)


def expand_functional(folder: Path = SUITE) -> list[dict[str, Any]]:
    """The functional cases: every template, once per protected group of its language."""
    groups = json.loads((folder / "groups.json").read_text(encoding="utf-8"))
    cases = []
    for row in _read_jsonl(folder / "functionality_templates.jsonl"):
        for k, template in enumerate(row["t"]):
            fillers = groups[row["lang"]] if "{G}" in template else [""]
            for g, group in enumerate(fillers):
                text = template.replace("{G}", group)
                text = text[:1].upper() + text[1:]
                cases.append({"id": f"{row['lang']}-{row['f']}-{k}-{g}", "lang": row["lang"],
                              "functionality": row["f"], "abusive": bool(row["abusive"]),
                              "text": text})
    return cases


def foreign_cases(folder: Path = SUITE) -> list[dict[str, Any]]:
    return list(_read_jsonl(folder / "foreign_scripts.jsonl"))


def _abusive(result: Classification) -> bool:
    return bool(set(result.labels) & ABUSIVE_LABELS)


def _binary(gold: Sequence[bool], pred: Sequence[bool]) -> dict[str, float]:
    tp = sum(g and p for g, p in zip(gold, pred, strict=True))
    tn = sum(not g and not p for g, p in zip(gold, pred, strict=True))
    fp = sum(not g and p for g, p in zip(gold, pred, strict=True))
    fn = sum(g and not p for g, p in zip(gold, pred, strict=True))

    def f1(a: int, b: int, c: int) -> float:
        return 2 * a / max(2 * a + b + c, 1)

    return {"n": len(gold), "accuracy": round((tp + tn) / max(len(gold), 1), 4),
            "macro_f1": round((f1(tp, fp, fn) + f1(tn, fn, fp)) / 2, 4),
            "recall": round(tp / max(tp + fn, 1), 4),
            "false_positive_rate": round(fp / max(fp + tn, 1), 4)}


def functional(classify: Classify, folder: Path = SUITE) -> dict[str, Any]:
    cases = expand_functional(folder)
    results = classify([c["text"] for c in cases])
    out: dict[str, Any] = {}
    for lang in sorted({c["lang"] for c in cases}):
        idx = [i for i, c in enumerate(cases) if c["lang"] == lang]
        per: dict[str, list[bool]] = {}
        for i in idx:
            per.setdefault(cases[i]["functionality"], []).append(
                _abusive(results[i]) == cases[i]["abusive"])
        per_f = {f: round(sum(v) / len(v), 3) for f, v in sorted(per.items())}
        hateful = [i for i in idx if cases[i]["abusive"]]
        supportive = sum("supportive" in results[i].labels for i in hateful)
        out[lang] = {
            "n": len(idx),
            "accuracy": round(sum(_abusive(results[i]) == cases[i]["abusive"] for i in idx)
                              / len(idx), 4),
            "mean_functionality_accuracy": round(float(np.mean(list(per_f.values()))), 4),
            "hateful_as_supportive": round(supportive / max(len(hateful), 1), 4),
            "per_functionality": per_f,
        }
    return out


def foreign(classify: Classify, folder: Path = SUITE) -> dict[str, Any]:
    cases = foreign_cases(folder)
    results = classify([c["text"] for c in cases])
    bad = [c["text"] for c, r in zip(cases, results, strict=True)
           if r.lang != "und" or set(r.labels) != {"neutral"}]
    return {"n": len(cases),
            "und": round(sum(r.lang == "und" for r in results) / len(cases), 4),
            "flagged_abusive": round(sum(_abusive(r) for r in results) / len(cases), 4),
            "any_label": round(sum(set(r.labels) != {"neutral"} for r in results)
                               / len(cases), 4),
            "failures": bad[:10]}


def _judge(classify: Classify, rows: Sequence[Example]) -> dict[str, Any]:
    results = classify([e.text for e in rows])
    gold = [bool(e.labels & ABUSIVE_LABELS) for e in rows]
    if not any(gold) and any("supportive" in e.labels for e in rows):
        sup = [i for i, e in enumerate(rows) if "supportive" in e.labels]
        return {"n": len(rows), "supportive_recall": round(
            sum("supportive" in results[i].labels for i in sup) / max(len(sup), 1), 4),
            "flagged_abusive": round(sum(_abusive(r) for r in results) / len(rows), 4)}
    # Hateful text written by others, given `supportive`: the cross-writer reading of the
    # functional suite's hateful->supportive (whose cases the team wrote beside its rules).
    hateful = [r for r, g in zip(results, gold, strict=True) if g]
    as_support = round(sum("supportive" in r.labels for r in hateful) / max(len(hateful), 1), 4)
    group = [r for r, e in zip(results, rows, strict=True) if "identity_attack" in e.labels]
    extra = {"hate_as_supportive": round(sum("supportive" in r.labels for r in group)
                                         / len(group), 4), "n_hate": len(group)} if group else {}
    if all(gold):
        return {"n": len(rows), "recall": round(sum(map(_abusive, results)) / len(rows), 4),
                "abusive_as_supportive": as_support, **extra}
    return {**_binary(gold, [_abusive(r) for r in results]),
            "abusive_as_supportive": as_support, **extra}


def _all_public(public: Path) -> dict[str, list[Example]]:
    out: dict[str, list[Example]] = {}
    for path in sorted(public.glob("*.jsonl")):
        for row in _read_jsonl(path):
            labels = frozenset(str(x) for x in row.get("labels") or ["neutral"])
            source = str(row.get("source", path.stem))
            out.setdefault(source, []).append(Example(str(row["text"]), str(row.get("lang")),
                                                      labels, source, labels, 1.0))
    return out


def unseen(classify: Classify, public: Path, seed: int) -> dict[str, Any]:
    _, sampled = load_examples(DEFAULT_TEAM, public, seed)
    taken = {(e.source, e.text) for e in sampled}
    rng = random.Random(seed)
    out = {}
    for source, rows in _all_public(public).items():
        left = [e for e in rows if (source, e.text) not in taken]
        if len(left) < 50:
            out[source] = {"n": len(left), "note": "every row was trained on"}
            continue
        out[source] = _judge(classify, rng.sample(left, min(_PER_SOURCE, len(left))))
    return out


def _team_by_round(team: Path) -> list[tuple[int, Example]]:
    rows = []
    for path in sorted(team.glob("*.jsonl")):
        for row in _read_jsonl(path):
            labels = frozenset(str(x) for x in row.get("labels") or ["neutral"])
            rows.append((round_of(path.stem), Example(str(row["text"]), str(row["lang"]),
                                                      labels, "team", frozenset(LABELS),
                                                      TEAM_WEIGHT)))
    return rows


def _fit(rows: list[Example], reference: BuiltinClassifier, seed: int) -> BuiltinClassifier:
    """The reference's recipe refitted on `rows`: the n-gram model and, where the reference
    has one, its embedding head (same table, C and alpha), both with the reference's
    thresholds."""
    from pileon.analyze.features import featurize, read_texts
    from pileon.analyze.head import EmbeddingHead, head_inputs

    Y, known, w = _matrices(rows)
    reads = read_texts([e.text for e in rows])
    model = LexiconLinearClassifier(random_state=seed).fit(
        featurize(reads), Y, sample_weight=w, known=known)
    model.thresholds_ = reference.model.thresholds_.copy()
    clf = BuiltinClassifier()
    clf._loaded = (model, {**reference.meta, "version": f"harness-{time.time_ns()}"})
    if reference._second is not None:
        embedder, ref_head = reference._second
        head = EmbeddingHead(C=ref_head.C, alpha=ref_head.alpha, random_state=seed).fit(
            head_inputs(embedder, reads), Y, w, known)
        head.thresholds_ = ref_head.thresholds_.copy()
        clf._second = (embedder, head)
    return clf


def loso(reference: BuiltinClassifier, team: Path, public: Path, seed: int,
         say: Callable[[str], None], only: set[str] | None = None) -> dict[str, Any]:
    team_rows, sampled = load_examples(team, public, seed)
    everything = _all_public(public)
    rng = random.Random(seed)
    out = {}
    for source in sorted(everything):
        if only is not None and source not in only:
            continue
        say(f"loso: fitting without {source}")
        clf = _fit(team_rows + [e for e in sampled if e.source != source], reference, seed)
        rows = everything[source]
        out[source] = _judge(clf.classify, rng.sample(rows, min(_PER_SOURCE, len(rows))))
        say(f"  {source}: {out[source]}")
    return out


def rounds(reference: BuiltinClassifier, team: Path, public: Path, seed: int,
           say: Callable[[str], None]) -> dict[str, Any]:
    tagged = _team_by_round(team)
    _, sampled = load_examples(team, public, seed)
    fit = [e for r, e in tagged if r < _FIRST_HELD_ROUND]
    say(f"rounds: fitting on {len(fit)} team rows of rounds < {_FIRST_HELD_ROUND}")
    clf = _fit(fit + sampled, reference, seed)
    out: dict[str, Any] = {}
    for r in sorted({r for r, _ in tagged if r >= _FIRST_HELD_ROUND}):
        rows = [e for k, e in tagged if k == r]
        entry = _judge(clf.classify, rows)
        results = clf.classify([e.text for e in rows])
        per_lang: dict[str, list[bool]] = {}
        for e, res in zip(rows, results, strict=True):
            per_lang.setdefault(e.lang, []).append(
                bool(e.labels & ABUSIVE_LABELS) == _abusive(res))
        entry["per_language_accuracy"] = {k: round(sum(v) / len(v), 3)
                                          for k, v in sorted(per_lang.items())}
        out[f"extra{r}"] = entry
    return out


def predictions(report: dict[str, Any]) -> dict[str, str]:
    """What the harness predicts for each held-back independent judge."""
    pred = {}
    fn = report.get("functional", {})
    if "en" in fn:
        pred["HateCheck en binary accuracy"] = (
            f"~{fn['en']['mean_functionality_accuracy']:.2f} (own cases, mean over "
            f"functionalities); hateful->supportive {fn['en']['hateful_as_supportive']:.1%}")
    if "fr" in fn:
        pred["Multilingual HateCheck fr accuracy"] = f"~{fn['fr']['mean_functionality_accuracy']:.2f}"
    tr = report.get("unseen", {}).get("offenseval2020_tr", {})
    if "macro_f1" in tr:
        pred["OffensEval-2020 TR test macro-F1"] = f"~{tr['macro_f1']:.2f} (unseen train rows)"
    fo = report.get("foreign", {})
    if fo:
        pred["foreign scripts flagged abusive"] = f"{fo['flagged_abusive']:.1%}"
    return pred


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the parts that refit models")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    parser.add_argument("--loso", default="all",
                        help="comma-separated sources to leave out (default: every source)")
    parser.add_argument("--no-loso", action="store_true", help="skip leave-one-source-out")
    parser.add_argument("--team", type=Path, default=DEFAULT_TEAM)
    parser.add_argument("--public", type=Path, default=DEFAULT_PUBLIC)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--model", type=Path, default=None,
                        help="model folder to judge (default: the shipped data/model)")
    parser.add_argument("--no-head", action="store_true",
                        help="judge the n-gram model alone, even where a head is shipped")
    args = parser.parse_args(argv)

    def say(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    reference = BuiltinClassifier(args.model)
    if args.no_head:
        reference._load()
        reference._second = None
        model, meta = reference._loaded or reference._load()
        reference._loaded = (model, {**meta, "version": meta.get("ngram_version",
                                                                   meta["version"])})
    report: dict[str, Any] = {"model": reference.version}
    report["functional"] = functional(reference.classify)
    report["foreign"] = foreign(reference.classify)
    if args.public.is_dir():
        report["unseen"] = unseen(reference.classify, args.public, args.seed)
        if not args.quick:
            report["rounds"] = rounds(reference, args.team, args.public, args.seed, say)
            if not args.no_loso:
                only = None if args.loso == "all" else set(args.loso.split(","))
                report["loso"] = loso(reference, args.team, args.public, args.seed, say, only)
    else:
        say(f"{args.public}: public data not found; unseen/loso/rounds skipped")
    report["predicted_judges"] = predictions(report)
    text = json.dumps(report, indent=2, ensure_ascii=False)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
