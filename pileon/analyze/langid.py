"""Language identification for short, messy replies in az, tr, ru, en, hy, fr (or `und`).

Script rules decide first (Armenian script, Azerbaijani Cyrillic letters, ə); our own word lists
and suffix rules separate az/tr and catch Russian and Armenian typed in Latin letters, where every
off-the-shelf detector fails; py3langid restricted to the six languages breaks the remaining ties.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from pileon.analyze.normalize import Normalized, normalize

__all__ = [
    "LANGUAGES",
    "LangGuess",
    "detect_language",
    "detect_languages",
    "model_text",
    "training_text",
]

LANGUAGES: tuple[str, ...] = ("az", "tr", "ru", "en", "hy", "fr")


@dataclass(frozen=True, slots=True)
class LangGuess:
    """The language of a text, how sure we are (0..1), its main script and whether the text is
    written in a script other than the language's usual one (Russian or Armenian in Latin
    letters, Azerbaijani in Cyrillic)."""

    lang: str  # az | tr | ru | en | hy | fr | und
    confidence: float
    script: str  # latin | cyrillic | armenian | other (a script outside the six) | none
    translit: bool


_NOISE = re.compile(r"https?://\S+|www\.\S+|[@#][\w.]+")
_LATIN = re.compile("[A-Za-z\u00c0-\u024f\u1e00-\u1eff]")
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_ARMENIAN = re.compile("[\u0531-\u058f]")
_AZ_CYRILLIC = re.compile("[әҹһјөүғҝӘҸҺЈӨҮҒҜ]")
_SCHWA = re.compile("[əƏ]")
_TURKIC_LETTERS = re.compile("[ığşİĞŞ]")
_FRENCH_LETTERS = re.compile("[éèêàâîôûùœëïÿÉÈÊÀ]")
_FRENCH_ELISION = re.compile(r"\b(?:[cdjlmnst]|qu)'\w")
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")

# Word endings, on folded words longer than 3 letters: (language, weight, alternatives).
_SUFFIXES: tuple[tuple[str, float, str], ...] = (
    ("tr", 1.5, r"(?:i|u)?yor(?:um|sun|uz|sunuz|lar|du|dum|mus)?"),
    ("tr", 1.0, r"(?:mis|mus)(?:sin|sun|im|um|siniz)|(?:acak|ecek)(?:sin|sun|im|um|lar|ler)?"),
    ("tr", 0.5, r"mak|mek|alim|elim"),
    ("az", 1.2, r"(?:ir|ur)(?:am|em|san|sen|ik|iq|siniz|lar|ler)|[^aeiou](?:ib|ub)(?:dir|lar|ler)?"),
    ("az", 1.0, r"(?:mis|mus)(?:an|en|am|em|iq|ik)|(?:acaq|eceq|ecek)(?:am|em|san|sen|iq|ik)"
                r"|maq|mek|liq|luq|diq|duq|yiq|yik|yuq|maga|mege|aram|erem|deyil\w*"),
    ("az", 0.6, r"[^aeiou](?:sen|san)"),  # 2sg -sən (Turkish has -sin)
    ("ru", 0.8, r"ogo|ego|yy|yi|iy|aya|oye|ykh|ikh|esh|ost|tsya|sya|ayu|uyu"),
    ("ru", 0.3, r"oy|ey|no"),
    ("hy", 0.6, r"utyun|utyan|yan|ner|nq|ic|um|ov|ac|erin|neri"),
)
_SUFFIX_RE = re.compile(
    "|".join(f"(?P<s{i}>{alts})$" for i, (_, _, alts) in enumerate(_SUFFIXES))
)
# Letter groups anywhere in the text, counted once per occurrence.
_INFIXES: tuple[tuple[str, float, re.Pattern[str]], ...] = (
    ("ru", 0.6, re.compile(r"zh|kh|shch|sch")),
    ("hy", 0.4, re.compile(r"gh|dz")),
)
# Letters x and q inside a word: Azerbaijani against Turkish (Turkish has neither).
_AZ_XQ = re.compile(r"x|q(?!u)")
# "@" for the Armenian schwa ը at the end of a word: "ynker@", "hamar@".
_HY_SCHWA_AT = re.compile(r"[a-z]@(?!\w)")
_HY_VERB_END = frozenset({"em", "es", "e", "enq", "eq", "chem", "ches", "chi", "chenq", "a"})
_AZ_CYR_SUFFIX = re.compile(r"(?:сан|сен|лар|лер|лары|лери|мыш|миш|дыр|дир|гын|гин|ыны|ини)$")

# Chosen by 5-fold cross-validation on the team training set (never on eval/): rule evidence
# this far ahead decides alone; otherwise the n-gram model's probabilities are added, weighted.
_MODEL_WEIGHT = 1.5
_DECISIVE_MARGIN = 2.0


def _read_words(name: str) -> frozenset[str]:
    text = resources.files("pileon.analyze").joinpath(f"data/langid/{name}.txt").read_text("utf-8")
    words = set()
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            words.add(normalize(line).text)
    return frozenset(words)


@cache
def _word_lists() -> dict[str, frozenset[str]]:
    return {
        "az": _read_words("az"),
        "tr": _read_words("tr"),
        "en": _read_words("en"),
        "fr": _read_words("fr"),
        "ru": _read_words("ru_translit"),
        "hy": _read_words("hy_translit"),
        "az_cyrillic": _read_words("az_cyrillic"),
        "ru_cyrillic": _read_words("ru_cyrillic"),
    }


@cache
def _vocabulary() -> dict[str, tuple[str, ...]]:
    """Word -> the languages whose list holds it."""
    lists = _word_lists()
    words = set().union(*(lists[lang] for lang in LANGUAGES))
    return {w: tuple(lang for lang in LANGUAGES if w in lists[lang]) for w in words}


@cache
def _py3langid() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def _py3langid_probs(text: str) -> dict[str, float]:
    ranked = _py3langid().rank(text)
    return {lang: float(p) for lang, p in ranked}


#: Our own character n-gram model (data/langid/model.npz, trained by `make model` on the team
#: set, where translit and diacritic-free replies abound). Vectorizer settings are part of it.
_MODEL_FILE = "data/langid/model.npz"
_MODEL_FEATURES = 2**18


@cache
def _vectorizer() -> Any:
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(analyzer="char_wb", ngram_range=(1, 4), n_features=_MODEL_FEATURES,
                             alternate_sign=False)


@cache
def _word_hashing() -> Any:
    """`_vectorizer().transform`, each distinct word hashed once (the same matrix)."""
    from pileon.analyze.ngrams import WordCachedHashing

    return WordCachedHashing(_vectorizer())


def model_text(clean_lower: str, folded: str) -> str:
    """What the language model reads: the text as typed (lowercase) and its normalized form."""
    return clean_lower + " | " + folded


def training_text(text: str) -> str:
    """`model_text` of a raw text, exactly as `detect_language` builds it (for training)."""
    clean = _NOISE.sub(" ", text)
    return model_text(clean.lower(), _NOISE.sub(" ", normalize(text).text))


@cache
def _lang_model() -> tuple[Any, Any, tuple[str, ...]] | None:
    path = resources.files("pileon.analyze").joinpath(_MODEL_FILE)
    if not path.is_file():
        return None  # not trained yet: py3langid breaks ties instead
    import numpy as np

    with path.open("rb") as handle, np.load(handle) as data:
        coef = np.zeros(tuple(data["shape"]), dtype=np.float32)
        coef[data["rows"], data["cols"]] = data["values"].astype(np.float32)
        classes = tuple(str(c) for c in data["classes"])
        return np.ascontiguousarray(coef.T), data["intercept"].astype(np.float32), classes


def _model_probs(texts: list[str]) -> list[dict[str, float]]:
    """Language probabilities of many model inputs at once (one vectorization for the batch)."""
    if not texts:
        return []
    loaded = _lang_model()
    if loaded is None:
        return [_py3langid_probs(text) for text in texts]
    import numpy as np

    weights, intercept, classes = loaded
    safe = [t.encode("utf-8", "replace").decode("utf-8") for t in texts]  # lone surrogates
    logits = np.asarray(_word_hashing().transform(safe) @ weights) + intercept
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs = exp / exp.sum(axis=1, keepdims=True)
    return [dict(zip(classes, row.tolist(), strict=True)) for row in probs]


@dataclass(frozen=True, slots=True)
class _Pending:
    """A Latin-script text whose rule evidence was not decisive: it waits for the model."""

    scores: dict[str, float]
    words: list[str]
    letters: int
    model_input: str


def _confidence(scores: dict[str, float], best: str, letters: int) -> float:
    ordered = sorted(scores.values(), reverse=True)
    top = ordered[0]
    second = ordered[1] if len(ordered) > 1 else 0.0
    conf = (top - second + 0.5) / (top + 1.0)
    if letters < 6:
        conf = min(conf, 0.5)
    return round(min(max(conf, 0.05), 0.99), 3)


def _latin(text: str, folded: str, letters: int) -> LangGuess | _Pending:
    """Rule evidence for a Latin-script text; decisive, or pending the n-gram model."""
    words = _WORD.findall(folded)
    scores = dict.fromkeys(LANGUAGES, 0.0)
    vocabulary = _vocabulary()
    for word in words:
        for lang in vocabulary.get(word, ()):
            scores[lang] += 1.0
        if len(word) > 3:
            m = _SUFFIX_RE.search(word)
            if m and m.lastgroup:
                lang, weight, _ = _SUFFIXES[int(m.lastgroup[1:])]
                scores[lang] += weight
    joined = " ".join(words)
    for lang, weight, pattern in _INFIXES:
        scores[lang] += weight * min(len(pattern.findall(joined)), 4)
    if _SCHWA.search(text):
        scores["az"] += 5.0
    turkic = len(_TURKIC_LETTERS.findall(text))
    scores["tr"] += min(turkic, 3) * 0.6
    scores["az"] += min(turkic, 3) * 0.6
    scores["hy"] += 1.5 * len(_HY_SCHWA_AT.findall(text))
    if len(words) >= 2 and words[-1] in _HY_VERB_END and words[-2] not in _word_lists()["fr"]:
        scores["hy"] += 1.5  # Armenian puts the auxiliary last: "du davajan es", "vonc es"
    if "ty" in words:
        scores["ru"] += 1.0  # "ты": the most frequent word of a Russian reply aimed at someone
    french = len(_FRENCH_LETTERS.findall(text)) + len(_FRENCH_ELISION.findall(text))
    scores["fr"] += min(french, 3) * 1.0
    ranked = sorted(scores.values(), reverse=True)
    # Strong rule evidence decides alone; the n-gram model only weighs in on the rest.
    if ranked[0] - ranked[1] < _DECISIVE_MARGIN:
        return _Pending(scores, words, letters, model_text(text, folded))
    return _latin_decide(scores, words, letters)


def _latin_decide(scores: dict[str, float], words: list[str], letters: int,
                  probs: dict[str, float] | None = None) -> LangGuess:
    for lang, p in (probs or {}).items():
        if lang in scores:
            scores[lang] += _MODEL_WEIGHT * p
    # Within the Turkic pair, x and q only appear in Azerbaijani spelling.
    if max(scores["az"], scores["tr"]) >= max(scores[k] for k in ("en", "fr", "ru", "hy")):
        # (the substring tests only skip the regular expression where it cannot match)
        xq = sum(1 for w in words if ("x" in w or "q" in w) and _AZ_XQ.search(w))
        scores["az"] += 1.2 * xq
    best = max(scores, key=scores.__getitem__)
    return LangGuess(best, _confidence(scores, best, letters), "latin", best in ("ru", "hy"))


def detect_language(text: str, norm: Normalized | None = None) -> LangGuess:
    """Guess the language of one short text; `und` for empty, emoji-only or too short text.

    `norm` may pass `normalize(text)` when the caller has it already (it is then not redone).
    """
    return detect_languages([text], [norm])[0]


def _detect(text: str, norm: Normalized | None) -> LangGuess | _Pending:
    clean = _NOISE.sub(" ", text)
    latin = len(_LATIN.findall(clean))
    cyrillic = len(_CYRILLIC.findall(clean))
    armenian = len(_ARMENIAN.findall(clean))
    letters = latin + cyrillic + armenian
    foreign = sum(1 for c in clean if c.isalpha()) - letters
    if foreign > letters:
        # Arabic, Chinese, Georgian, Hebrew, Persian, Japanese...: none of the six languages,
        # so nothing the model learned applies (see classify: such a text gets no labels).
        return LangGuess("und", 0.05, "other", False)
    if letters < 2:
        return LangGuess("und", 0.05 if letters == 0 else 0.1, "none", False)
    if armenian >= max(latin, cyrillic):
        return LangGuess("hy", 0.99 if armenian >= 3 else 0.6, "armenian", False)
    folded = _NOISE.sub(" ", (norm if norm is not None else normalize(text)).text)
    if cyrillic > latin:
        if _AZ_CYRILLIC.search(clean):
            return LangGuess("az", 0.97, "cyrillic", True)
        words = _WORD.findall(folded)
        lists = _word_lists()
        az = sum(w in lists["az_cyrillic"] or bool(_AZ_CYR_SUFFIX.search(w)) for w in words)
        ru = sum(w in lists["ru_cyrillic"] for w in words)
        if az > ru:
            return LangGuess("az", 0.6 if az - ru < 2 else 0.8, "cyrillic", True)
        return LangGuess("ru", 0.95 if cyrillic >= 4 else 0.6, "cyrillic", False)
    return _latin(clean.lower(), folded, letters)


def detect_languages(texts: Iterable[str], norms: Iterable[Normalized | None] | None = None
                     ) -> list[LangGuess]:
    """`detect_language` over a batch, in order; the n-gram model runs once for the batch."""
    items = list(texts)
    given = list(norms) if norms is not None else [None] * len(items)
    found = [_detect(text, norm) for text, norm in zip(items, given, strict=True)]
    waiting = [i for i, r in enumerate(found) if isinstance(r, _Pending)]
    probs = _model_probs([r.model_input for r in found if isinstance(r, _Pending)])
    model_probs = dict(zip(waiting, probs, strict=True))
    out: list[LangGuess] = []
    for i, result in enumerate(found):
        if isinstance(result, LangGuess):
            out.append(result)
        else:
            out.append(_latin_decide(result.scores, result.words, result.letters,
                                     model_probs[i]))
    return out
