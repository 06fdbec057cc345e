"""`pileon eval`: per-label precision/recall/F1, macro-F1, per-language scores, supportive recall,
abusive-vs-not figures, language-ID accuracy and the worst errors, from labelled JSONL cases.

Input lines are `{"id", "lang", "text", "labels": [...]}` (`[]` or `["neutral"]` = neutral) or,
for binary suites, `{"text", "abusive": true|false}`. Macro-F1 averages the labels present in the
reference cases (a label no case carries has no F1 to average). Keep the JSON keys stable: other
tools read them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pileon.errors import InputFileError
from pileon.records import ABUSIVE_LABELS, LABELS
from pileon.store.safe_text import safe_text

__all__ = ["Case", "evaluate", "read_cases"]


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    text: str
    lang: str | None
    labels: frozenset[str] | None  # None: a binary case
    abusive: bool
    group: str | None = None  # the case's `functionality` or `hard` tag, if any

    @property
    def binary_only(self) -> bool:
        return self.labels is None


def read_cases(path: Path, binary: bool = False) -> list[Case]:
    """Cases from a JSONL file; one clear error naming the line for a malformed one."""
    if not path.is_file():
        raise InputFileError("no such file", path=str(path))
    cases = []
    with path.open(encoding="utf-8", errors="strict") as handle:
        try:
            lines = list(handle)
        except UnicodeDecodeError as exc:
            raise InputFileError(f"not UTF-8 ({exc.reason})", path=str(path)) from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            cases.append(_case(json.loads(line), number, binary))
        except InputFileError as exc:
            exc.path, exc.record = str(path), f"line {number}"
            raise
        except (ValueError, KeyError, TypeError, RecursionError) as exc:
            reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
            if isinstance(exc, KeyError):
                reason = f"missing field {exc}"
            raise InputFileError(f"not a case ({reason})", path=str(path),
                                 record=f"line {number}") from None
    if not cases:
        raise InputFileError("no cases in file", path=str(path))
    return cases


def _case(row: Any, number: int, binary: bool) -> Case:
    """One case, every field checked for its JSON type (a file is untrusted input too)."""
    if not isinstance(row, dict):
        raise TypeError(f"a JSON {type(row).__name__}, not an object")
    text = row["text"]
    if not isinstance(text, str):
        raise TypeError("text is not a string")
    text = safe_text(text)[0]  # a lone surrogate cannot be printed or encoded
    lang = row.get("lang")
    if lang is not None and not isinstance(lang, str):
        raise TypeError(f"lang is a JSON {type(lang).__name__}, not a language code")
    case_id = safe_text(str(row.get("id", f"line-{number}")))[0]
    group = row.get("functionality") or row.get("hard")
    group = safe_text(str(group))[0] if group else None
    if binary or ("labels" not in row and "abusive" in row):
        return Case(case_id, text, lang, None, bool(row.get("abusive")), group)
    given = row.get("labels") or ["neutral"]
    if not isinstance(given, list) or not all(isinstance(x, str) for x in given):
        raise TypeError("labels must be a list of label names")
    labels = frozenset(given)
    unknown = labels - set(LABELS)
    if unknown:
        raise InputFileError(f"unknown label(s) {sorted(unknown)}; known: {', '.join(LABELS)}")
    return Case(case_id, text, lang, labels, bool(labels & ABUSIVE_LABELS), group)


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4),
            "support": tp + fn}


def _label_scores(gold: Sequence[frozenset[str]], pred: Sequence[frozenset[str]]
                  ) -> tuple[dict[str, dict[str, float]], float | None]:
    per_label = {}
    for label in LABELS:
        tp = sum(label in g and label in p for g, p in zip(gold, pred, strict=True))
        fp = sum(label not in g and label in p for g, p in zip(gold, pred, strict=True))
        fn = sum(label in g and label not in p for g, p in zip(gold, pred, strict=True))
        per_label[label] = _prf(tp, fp, fn)
    present = [v["f1"] for v in per_label.values() if v["support"]]
    return per_label, (round(sum(present) / len(present), 4) if present else None)


def _binary(gold: Sequence[bool], pred: Sequence[bool]) -> dict[str, float]:
    tp = sum(g and p for g, p in zip(gold, pred, strict=True))
    tn = sum(not g and not p for g, p in zip(gold, pred, strict=True))
    fp = sum(not g and p for g, p in zip(gold, pred, strict=True))
    fn = sum(g and not p for g, p in zip(gold, pred, strict=True))
    pos, neg = _prf(tp, fp, fn), _prf(tn, fn, fp)
    return {"n": len(gold), "accuracy": round((tp + tn) / max(len(gold), 1), 4),
            "f1": pos["f1"], "precision": pos["precision"], "recall": pos["recall"],
            "macro_f1": round((pos["f1"] + neg["f1"]) / 2, 4),
            "tp": tp, "fp": fp, "tn": tn, "fn": fn}


def evaluate(cases: Sequence[Case], classify: Callable[[list[str]], list[Any]],
             worst: int = 15) -> dict[str, Any]:
    """Run `classify` (texts -> results with .labels, .scores, .lang) over the cases."""
    results = classify([c.text for c in cases])
    predicted = [frozenset(r.labels) for r in results]
    abusive_pred = [bool(p & ABUSIVE_LABELS) for p in predicted]
    report: dict[str, Any] = {"n": len(cases)}
    labelled = [i for i, c in enumerate(cases) if c.labels is not None]
    gold_sets = [cases[i].labels or frozenset() for i in labelled]
    pred_sets = [predicted[i] for i in labelled]
    per_label, macro = _label_scores(gold_sets, pred_sets)
    report["macro_f1"] = macro
    report["per_label"] = per_label if labelled else {}
    per_language: dict[str, Any] = {}
    for lang in sorted({c.lang or "und" for c in cases}):
        idx = [i for i in labelled if (cases[i].lang or "und") == lang]
        bidx = [i for i, c in enumerate(cases) if (c.lang or "und") == lang]
        entry: dict[str, Any] = {"n": len(bidx)}
        if idx:
            _, entry["macro_f1"] = _label_scores([cases[i].labels or frozenset() for i in idx],
                                                 [predicted[i] for i in idx])
        b = _binary([cases[i].abusive for i in bidx], [abusive_pred[i] for i in bidx])
        entry["binary_accuracy"] = b["accuracy"]
        entry["binary_f1"] = b["f1"]
        per_language[lang] = entry
    report["per_language"] = per_language
    support = [i for i in labelled if "supportive" in (cases[i].labels or ())]
    report["supportive_recall"] = (round(sum("supportive" in predicted[i] for i in support)
                                         / len(support), 4) if support else None)
    civil = [i for i in labelled if (cases[i].labels or frozenset()) & {"disagreement"}
             and not cases[i].abusive]
    report["civil_disagreement_flagged_as_abuse"] = (
        round(sum(abusive_pred[i] for i in civil) / len(civil), 4) if civil else None)
    with_lang = [i for i, c in enumerate(cases) if c.lang]
    report["lang_accuracy"] = (round(sum(results[i].lang == cases[i].lang for i in with_lang)
                                     / len(with_lang), 4) if with_lang else None)
    # A reply of emoji or punctuation alone has no language to find (we answer `und`): the same
    # accuracy over the replies that contain letters, reported beside the one above.
    worded = [i for i in with_lang if any(ch.isalpha() for ch in cases[i].text)]
    report["lang_accuracy_worded"] = (
        round(sum(results[i].lang == cases[i].lang for i in worded) / len(worded), 4)
        if worded else None)
    report["lang_wordless"] = len(with_lang) - len(worded)
    report["binary"] = _binary([c.abusive for c in cases], abusive_pred)
    groups: dict[str, list[int]] = {}
    for i, case in enumerate(cases):
        if case.group:
            groups.setdefault(case.group, []).append(i)
    report["per_group"] = {
        name: {"n": len(idx), "abusive_accuracy": round(
            sum(cases[i].abusive == abusive_pred[i] for i in idx) / len(idx), 4)}
        for name, idx in sorted(groups.items())
    }
    errors: list[dict[str, Any]] = []
    for i, case in enumerate(cases):
        gold = case.labels if case.labels is not None else None
        wrong_binary = case.abusive != abusive_pred[i]
        wrong_labels = gold is not None and gold != predicted[i]
        if not (wrong_binary or wrong_labels):
            continue
        score = max((float(results[i].scores.get(label, 0.0)) for label in predicted[i]),
                    default=0.0)
        errors.append({"id": case.id, "lang": case.lang, "text": case.text[:200],
                       "gold": sorted(gold) if gold is not None else ("abusive" if case.abusive
                                                                      else "not abusive"),
                       "predicted": sorted(predicted[i]), "abuse_flip": wrong_binary,
                       "confidence": round(score, 3)})
    errors.sort(key=lambda e: (not e["abuse_flip"], -float(e["confidence"])))
    report["worst_errors"] = errors[:worst]
    report["confusion"] = _confusion(cases, abusive_pred)
    return report


def _confusion(cases: Sequence[Case], abusive_pred: Sequence[bool]) -> dict[str, dict[str, int]]:
    """Gold group (abusive / supportive / disagreement / neutral / profanity only) against
    predicted abusive-or-not: where the harm lands."""
    table: dict[str, dict[str, int]] = {}
    for case, pred in zip(cases, abusive_pred, strict=True):
        labels = case.labels
        if labels is None:
            group = "abusive" if case.abusive else "not abusive"
        elif case.abusive:
            group = "abusive"
        elif "supportive" in labels:
            group = "supportive"
        elif "disagreement" in labels:
            group = "disagreement"
        elif "profanity" in labels:
            group = "profanity only"
        else:
            group = "neutral"
        row = table.setdefault(group, {"predicted abusive": 0, "predicted not abusive": 0})
        row["predicted abusive" if pred else "predicted not abusive"] += 1
    return table
