"""The disk cache of built lexicons: used when fresh, rebuilt when stale or corrupt, the same
matches either way, and the classifier's outputs unchanged by every speed-up of the fast path."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import pytest

from pileon.analyze import classify, features, langid, lexicon, lexicon_cache
from pileon.analyze.lexicon import match_all

EVAL = Path(__file__).parents[2] / "eval"


def _eval_texts(limit: int | None = None) -> list[str]:
    texts = []
    for path in sorted(EVAL.glob("**/*.jsonl")):
        for line in path.read_text("utf-8").splitlines():
            if line.strip() and isinstance(text := json.loads(line).get("text"), str):
                texts.append(text)
    texts = list(dict.fromkeys(texts))
    return texts[:limit] if limit else texts


def test_cached_builds_once_then_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PILEON_CACHE_DIR", str(tmp_path / "c"))
    calls: list[int] = []

    def build() -> dict[str, Any]:
        calls.append(1)
        return {"value": [1, 2, 3]}

    def valid(v: Any) -> bool:
        return isinstance(v, dict)

    assert lexicon_cache.cached("k1", build, valid) == {"value": [1, 2, 3]}
    assert lexicon_cache.cached("k1", build, valid) == {"value": [1, 2, 3]}
    assert len(calls) == 1
    assert (tmp_path / "c").stat().st_mode & 0o777 == 0o700
    # Another key (new lexicon files or code): built again, the stale file removed.
    lexicon_cache.cached("k2", build, valid)
    assert len(calls) == 2
    assert [p.name for p in (tmp_path / "c").iterdir()] == ["lexicons-k2.pickle"]


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "wrong type"])
def test_corrupt_cache_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  damage: str) -> None:
    monkeypatch.setenv("PILEON_CACHE_DIR", str(tmp_path))
    lexicon_cache.cached("k", lambda: {"a": 1}, lambda v: isinstance(v, dict))
    path = tmp_path / "lexicons-k.pickle"
    blob = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(blob[:-5])
    elif damage == "flip":
        path.write_bytes(blob[:-1] + bytes([blob[-1] ^ 1]))
    elif damage == "garbage":
        path.write_bytes(b"\x00" * 100)
    else:
        lexicon_cache._write(tmp_path, path, ["not", "a", "dict"])
    assert lexicon_cache.cached("k", lambda: {"a": 2}, lambda v: isinstance(v, dict)) == {"a": 2}
    assert lexicon_cache._read(path) == {"a": 2}  # and the good value replaced the bad one


def test_cache_off_and_unwritable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PILEON_CACHE_DIR", "off")
    assert lexicon_cache.cache_dir() is None
    assert lexicon_cache.cached("k", lambda: 5, lambda v: True) == 5
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("PILEON_CACHE_DIR", str(blocker / "sub"))
    assert lexicon_cache.cached("k", lambda: 6, lambda v: True) == 6  # built, not fatal


def test_key_follows_the_files(tmp_path: Path) -> None:
    (tmp_path / "groups").mkdir()
    (tmp_path / "en.tsv").write_text("category\tseverity\tpattern\n")
    (tmp_path / "groups" / "en.groups").write_text("x\n")
    first = lexicon_cache.lexicon_key(tmp_path)
    assert lexicon_cache.lexicon_key(tmp_path) == first
    (tmp_path / "groups" / "en.groups").write_text("y\n")
    assert lexicon_cache.lexicon_key(tmp_path) != first


def test_cached_lexicons_match_like_built_ones() -> None:
    """The bundled lexicons read back from the cache file find exactly what freshly built ones
    find, on every eval text and every view."""
    loaded = lexicon.default_lexicons()  # from the run's cache, or built and stored there
    folder = lexicon_cache.cache_dir()
    assert folder is not None
    (path,) = folder.glob("lexicons-*.pickle")
    from_file, _ = lexicon_cache._read(path)
    fresh = {lang: lexicon.Lexicon(lang, lx.entries, lx.path) for lang, lx in loaded.items()}
    assert pickle.dumps([lx.entries for lx in from_file.values()]) == pickle.dumps(
        [lx.entries for lx in fresh.values()])
    for text in _eval_texts():
        for langs in ("und", "ru", "az"):
            assert match_all(text, langs, from_file) == match_all(text, langs, fresh)


def _results(texts: list[str]) -> list[dict[str, Any]]:
    out = []
    for result in classify.BuiltinClassifier()._classify_distinct(texts):
        row = result.to_json()
        row["scores"] = {k: repr(float(v)) for k, v in result.scores.items()}  # full precision
        row["lang_confidence"] = repr(result.lang_confidence)
        out.append(row)
    return out


def test_fast_path_gives_the_same_results(monkeypatch: pytest.MonkeyPatch) -> None:
    """Scores, labels and evidence of every eval text: with the fast paths (lexicons from the
    cache, per-word n-gram hashing) and with scikit-learn's vectorizers on freshly built
    lexicons. Holds for any model or lexicon data: both sides read the same ones."""
    texts = _eval_texts() + ["", "😂😂😂", "x\ud800y", "f*ck y0u", "g r a n t e a t e r",
                             "w" * 30_000]
    fast = _results(texts)
    monkeypatch.setenv("PILEON_CACHE_DIR", "off")
    monkeypatch.setattr(features, "_CHAR_HASH", features._CHARS)
    monkeypatch.setattr(langid, "_word_hashing", langid._vectorizer)
    lexicon.default_lexicons.cache_clear()
    try:
        slow = _results(texts)
        assert lexicon.default_lexicons() is not None
    finally:
        lexicon.default_lexicons.cache_clear()
    assert len(fast) == len(slow) == len(texts)
    for text, a, b in zip(texts, fast, slow, strict=True):
        assert a == b, text[:80]
