"""What the statistical model sees of a text: character and word n-grams of its normalized form
(hashed, so no vocabulary ships) plus the lexicon and context-rule features and the language.

`read_text` runs the rule stages once per text; the model and the explanation reuse its result.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer

from pileon.analyze.context import FEATURE_NAMES, ContextResult, apply_context
from pileon.analyze.langid import LANGUAGES, LangGuess, detect_languages
from pileon.analyze.lexicon import match_all
from pileon.analyze.ngrams import WordCachedHashing
from pileon.analyze.normalize import MENTION, Normalized, normalize, script_variants
from pileon.records import ABUSIVE_LABELS

__all__ = [
    "CHAR_FEATURES",
    "DENSE_NAMES",
    "MAX_CHARS",
    "WORD_FEATURES",
    "ReadText",
    "featurize",
    "group_spans",
    "read_text",
    "read_texts",
    "stopwords",
    "word_spans",
    "word_vectors",
]

#: Longer texts are read up to here (evidence offsets stay valid: it is a prefix).
MAX_CHARS = 20_000
CHAR_FEATURES = 2**18
WORD_FEATURES = 2**17
_WORD_RE = re.compile(r"\w{2,}")
#: Handles ("@user", the datasets' masked "@USER") and the "[NAME]" mask name someone; they say
#: nothing about what is said, so the n-gram model does not read them (a dataset that masks its
#: handles would otherwise teach it that "@USER" is an insult).
_NAMES = re.compile(MENTION.pattern + r"|\[name\]")
_LANG_SLOTS: tuple[str, ...] = (*LANGUAGES, "und")
#: Names of the dense columns, after the hashed n-grams.
DENSE_NAMES: tuple[str, ...] = (
    *FEATURE_NAMES, *(f"lang_{lang}" for lang in _LANG_SLOTS), "translit", "short", "no_letters",
)

_CHARS = HashingVectorizer(analyzer="char_wb", ngram_range=(2, 5), n_features=CHAR_FEATURES,
                           alternate_sign=False, lowercase=False, norm="l2", dtype=np.float32)
_WORDS = HashingVectorizer(analyzer="word", ngram_range=(1, 2), n_features=WORD_FEATURES,
                           alternate_sign=False, lowercase=False, norm="l2", dtype=np.float32,
                           token_pattern=r"(?u)\b\w+\b|[\u2190-\u2bff\U0001f000-\U0001faff]")
#: `_CHARS.transform`, each distinct word hashed once (the same matrix, see ngrams.py).
_CHAR_HASH = WordCachedHashing(_CHARS)


@dataclass(frozen=True, slots=True)
class ReadText:
    """One text after the rule stages: its normalized view, language and context evidence."""

    text: str  # the text as analysed (a prefix of the original if it was very long)
    norm: Normalized
    model_text: str  # what the n-grams are taken from: the normalized text and translit view
    lang: LangGuess
    context: ContextResult
    truncated: bool


def _safe(text: str) -> str:
    """Lone surrogates become U+FFFD one for one, so offsets into the original stay right."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in text)


def _prepare(text: str) -> tuple[str, Normalized, bool]:
    original = text if isinstance(text, str) else ""
    clean = _safe(original[:MAX_CHARS])
    return clean, normalize(clean), len(original) > MAX_CHARS


def _finish(clean: str, norm: Normalized, guess: LangGuess, truncated: bool) -> ReadText:
    if guess.lang in ("az", "tr"):
        norm = normalize(clean, "az")  # Turkic dotted/dotless i
    hits = match_all(clean, guess.lang, norm=norm)
    context = apply_context(clean, hits, guess.lang)
    model_text = norm.text
    if guess.translit:
        extra = [v.text for v in script_variants(norm, guess.lang)]
        model_text = " ".join((norm.text, *extra))
    if "@" in model_text or "[name]" in model_text:
        model_text = _NAMES.sub(" ", model_text)
    return ReadText(clean, norm, model_text, guess, context, truncated)


def read_text(text: str) -> ReadText:
    """Language, normalization, lexicon hits and context rules for one text."""
    return read_texts([text])[0]


def read_texts(texts: Sequence[str]) -> list[ReadText]:
    """`read_text` over a batch; the language model runs once for the whole batch."""
    prepared = [_prepare(text) for text in texts]
    guesses = detect_languages([c for c, _, _ in prepared], [n for _, n, _ in prepared])
    return [_finish(clean, norm, guess, truncated)
            for (clean, norm, truncated), guess in zip(prepared, guesses, strict=True)]


def _dense(read: ReadText) -> list[float]:
    values = read.context.features()
    row = []
    for name in FEATURE_NAMES:
        value = values[name]
        if name.startswith("count_"):
            value = min(value, 3.0) / 3.0
        elif name.startswith("max_"):
            value = value / 3.0
        row.append(value)
    row += [1.0 if read.lang.lang == lang else 0.0 for lang in _LANG_SLOTS]
    letters = sum(ch.isalpha() for ch in read.norm.text)
    row += [float(read.lang.translit), float(letters < 12), float(letters == 0)]
    return row


#: What a named protected group becomes in the n-gram model's view (see `mask_groups`).
GROUP_TOKEN = "zgrpz"
_TURKIC_PLURAL = re.compile(r"(?:lar|ler|lər)$")


@cache
def _group_pattern() -> re.Pattern[str]:
    """One pattern for the protected-group names of every language's `.groups` list
    (data/lexicons/groups/), normalized like a model text; `*` stems take any ending, a
    Turkic plural also matches its bare stem ("ermeniler", "ermeni"). Terms that are slurs by
    themselves (a lexicon hit of severity 2 or more, such as "пидор*") are left alone: a slur
    is a reason, not a name."""
    folder = resources.files("pileon.analyze").joinpath("data/lexicons/groups")
    alternatives: set[str] = set()
    for lang in LANGUAGES:
        path = folder.joinpath(f"{lang}.groups")
        if not path.is_file():
            continue
        for line in path.read_text("utf-8").splitlines():
            term = line.strip()
            if not term or term.startswith("#"):
                continue
            bare = term.rstrip("*")
            if any(h.category in ABUSIVE_LABELS and h.severity >= 2
                   for h in match_all(bare, lang)):
                continue
            folds = {normalize(bare).text}
            if lang in ("tr", "az"):  # dotted/dotless i (the "az" fold reads Cyrillic as Latin)
                folds.add(normalize(bare, "az").text)
            for fold in folds:
                if not fold.strip():
                    continue
                alternatives.add(re.escape(fold) + (r"\w*" if term.endswith("*") else ""))
                if lang in ("tr", "az") and " " not in fold:
                    alternatives.add(re.escape(fold) + r"\w*")
                    stem = _TURKIC_PLURAL.sub("", fold)
                    if stem != fold and len(stem) >= 4:
                        alternatives.add(re.escape(stem))
    ordered = sorted(alternatives, key=lambda a: (-len(a), a))
    return re.compile(r"(?<!\w)(?:" + "|".join(ordered) + r")(?!\w)")


def mask_groups(model_text: str, token: str = GROUP_TOKEN) -> str:
    """The model text with every named protected group replaced by GROUP_TOKEN.

    Which group a sentence names says nothing about whether it attacks it: "Armenians are a
    wonderful people" and "Armenians are vermin" differ only in what is said. Public hate data
    names some groups far more often in hate than anywhere else, so an n-gram model that reads
    the names learns "Ermeniler" as a cue of identity_attack; through one shared token it can
    only learn that a group is named, and the rest must come from what is said about it.
    """
    return _group_pattern().sub(token, model_text)


def names_group(read: ReadText) -> bool:
    """Whether the text names a protected group (one of the `.groups` terms)."""
    return _group_pattern().search(read.model_text) is not None


def group_spans(read: ReadText) -> list[tuple[int, int]]:
    """Where the text names a protected group: spans of the original text."""
    text = read.norm.text
    return [read.norm.original_span(m.start(), m.end())
            for m in _group_pattern().finditer(text)]


def featurize(reads: Sequence[ReadText], drop_groups: bool = False) -> sp.csr_matrix:
    """The model's input matrix: hashed char n-grams, word n-grams, then DENSE_NAMES columns.
    Named protected groups are read as one token (`mask_groups`), or left out entirely with
    `drop_groups` (what the text says with no group named)."""
    if not reads:
        return sp.csr_matrix((0, CHAR_FEATURES + WORD_FEATURES + len(DENSE_NAMES)),
                             dtype=np.float32)
    model_texts = [mask_groups(r.model_text, " " if drop_groups else GROUP_TOKEN)
                   for r in reads]
    chars = _CHAR_HASH.transform(model_texts)
    words = _WORDS.transform(model_texts)
    dense = sp.csr_matrix(np.asarray([_dense(r) for r in reads], dtype=np.float32).reshape(
        len(reads), len(DENSE_NAMES)))
    return sp.hstack([chars, words, dense], format="csr", dtype=np.float32)


#: Links: none of their words ("https", "www", a domain) is ever a reason for a label.
_LINK_RE = re.compile(r"(?:https?://|www\.)\S+")


@cache
def stopwords() -> frozenset[str]:
    """Function words of the six languages (data/stopwords/), normalized like the text: they
    carry a sentence, not its meaning, so they are never shown as the reason for a label."""
    folder = resources.files("pileon.analyze").joinpath("data/stopwords")
    words: set[str] = set()
    for lang in LANGUAGES:
        path = folder.joinpath(f"{lang}.txt")
        if path.is_file():
            for line in path.read_text("utf-8").splitlines():
                if line.strip() and not line.startswith("#"):
                    words.add(normalize(line.strip()).text)
    return frozenset(words)


def word_spans(read: ReadText) -> list[tuple[str, int, int]]:
    """Words of the normalized text with their spans in the ORIGINAL text (for explanations).
    Handles, the words of links and bare numbers are left out: they are never a reason."""
    out = []
    text = read.norm.text
    links = [m.span() for m in _LINK_RE.finditer(text)] if ("http" in text or "www." in text) \
        else []
    for match in _WORD_RE.finditer(text):
        if match.start() and text[match.start() - 1] == "@":
            continue  # a handle names someone; it is not a reason for a label
        if match.group().isdigit() or any(a <= match.start() < b for a, b in links):
            continue
        start, end = read.norm.original_span(match.start(), match.end())
        out.append((match.group(), start, end))
    return out


def word_vectors(words: Sequence[str]) -> sp.csr_matrix:
    """Each word alone, vectorized like a text: its share of a label's score, for explanations."""
    chars = _CHAR_HASH.transform(list(words))
    single = _WORDS.transform(list(words))
    dense = sp.csr_matrix((len(words), len(DENSE_NAMES)), dtype=np.float32)
    return sp.hstack([chars, single, dense], format="csr", dtype=np.float32)


