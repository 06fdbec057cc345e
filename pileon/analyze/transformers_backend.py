"""The `transformers` backend: a fine-tuned multi-label sequence classifier (e.g. XLM-R) that the
user brings as a LOCAL directory, run on the CPU. Nothing is ever fetched from a model hub.

Language and lexicon evidence come from the same rule stages as the builtin backend
(`features.read_text`), so every backend reports language and evidence spans the same way; the
scores are the model's own. Registering the backend costs nothing: torch is imported and the
model loaded on the first `classify` (the version only hashes the weights file).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import multiprocessing
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from pileon.analyze.classify import Classification, Evidence
from pileon.analyze.context import Adjusted
from pileon.analyze.features import ReadText, read_texts
from pileon.errors import ModelError
from pileon.records import LABELS

__all__ = [
    "BATCH",
    "DEFAULT_THRESHOLD",
    "MAX_TOKENS",
    "MODEL_ENV",
    "THRESHOLDS_FILE",
    "TransformersClassifier",
    "label_columns",
    "model_directory",
    "model_version",
    "read_thresholds",
    "transformers_classifier",
]

#: The environment variable naming the model directory.
MODEL_ENV = "PILEON_TRANSFORMERS_MODEL"
#: Optional per-label thresholds inside the model directory: {"insult": 0.4, ...}.
THRESHOLDS_FILE = "pileon_thresholds.json"
DEFAULT_THRESHOLD = 0.5
#: Tokens the model reads per text; longer texts are cut (and marked `truncated`).
MAX_TOKENS = 256
#: Texts per forward pass (sorted by length first, so little of a batch is padding).
BATCH = 64

_INSTALL = "pip install 'pileon[transformers]'"
_CONTENTS = ("the directory must hold what save_pretrained writes: config.json (with id2label "
             "naming pileon's labels), model.safetensors or pytorch_model.bin, and the tokenizer "
             "files (tokenizer.json or a vocabulary)")
_WEIGHT_GLOBS = ("model*.safetensors", "pytorch_model*.bin")
_TOKENIZER_FILES = ("tokenizer.json", "vocab.txt", "vocab.json", "sentencepiece.bpe.model",
                    "spiece.model", "tokenizer.model")


def model_directory(value: str | None = None) -> Path:
    """The model directory named by PILEON_TRANSFORMERS_MODEL (or `value`), checked."""
    raw = value if value is not None else os.environ.get(MODEL_ENV, "")
    if not raw.strip():
        raise ModelError(f"no model for the transformers backend: set {MODEL_ENV} to a local "
                         "model directory", hint=_CONTENTS)
    directory = Path(raw).expanduser()
    if not directory.is_dir():
        raise ModelError(f"model directory not found (from {MODEL_ENV})", path=str(directory),
                         hint=_CONTENTS)
    if not (directory / "config.json").is_file():
        raise ModelError("no config.json: not a saved transformers model", path=str(directory),
                         hint=_CONTENTS)
    if not _weight_files(directory):
        raise ModelError("no weights file (model.safetensors or pytorch_model.bin)",
                         path=str(directory), hint=_CONTENTS)
    if not any((directory / name).is_file() for name in _TOKENIZER_FILES):
        # transformers would quietly build an empty tokenizer and every word would be unknown
        raise ModelError("no tokenizer files (" + ", ".join(_TOKENIZER_FILES) + ")",
                         path=str(directory), hint=_CONTENTS)
    return directory


def _weight_files(directory: Path) -> list[Path]:
    found = {p for pattern in _WEIGHT_GLOBS for p in directory.glob(pattern) if p.is_file()}
    safetensors = sorted(p for p in found if p.suffix == ".safetensors")
    return safetensors or sorted(found)  # from_pretrained prefers safetensors too


@cache
def _sha256(path: Path, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def model_version(directory: Path) -> str:
    """The version, "<dir name>+<8 hex of the weights' SHA-256>": retrained, it changes.

    A sharded checkpoint is hashed as the SHA-256 of its shards' hashes, in name order.
    """
    hashes = []
    for path in _weight_files(directory):
        stat = path.stat()
        hashes.append(_sha256(path, stat.st_size, stat.st_mtime_ns))
    head = hashes[0] if len(hashes) == 1 else hashlib.sha256(
        b"".join(bytes.fromhex(h) for h in hashes)).hexdigest()
    return f"{directory.resolve().name}+{head[:8]}"


def _label_key(name: str) -> str:
    return name.strip().lower().replace("-", "_").replace(" ", "_")


def label_columns(id2label: Mapping[Any, str]) -> tuple[int | None, ...]:
    """For each of pileon's LABELS, the model output that scores it (None: the model lacks it).

    Names match case-insensitively, with "-" or " " read as "_"; labels pileon does not know
    are ignored. A model sharing no label with pileon is refused.
    """
    by_name = {_label_key(str(name)): int(index) for index, name in id2label.items()}
    columns = tuple(by_name.get(label) for label in LABELS)
    if all(c is None for c in columns):
        names = ", ".join(str(n) for n in list(id2label.values())[:12])
        raise ModelError(f"the model's labels ({names}) include none of pileon's",
                         hint="set id2label in config.json to names from: " + ", ".join(LABELS))
    return columns


def read_thresholds(directory: Path) -> dict[str, float]:
    """Per-label thresholds: 0.5, or the values of `pileon_thresholds.json` in the directory."""
    thresholds = dict.fromkeys(LABELS, DEFAULT_THRESHOLD)
    path = directory / THRESHOLDS_FILE
    if not path.exists():
        return thresholds
    try:
        given = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"unreadable thresholds ({exc})", path=str(path)) from exc
    if not isinstance(given, dict):
        raise ModelError('expected one JSON object such as {"insult": 0.4}', path=str(path))
    for label, value in given.items():
        if label not in thresholds:
            raise ModelError(f"unknown label {label!r}; known: {', '.join(LABELS)}",
                             path=str(path))
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise ModelError(f"threshold for {label} must be a number from 0 to 1, not {value!r}",
                             path=str(path))
        thresholds[label] = float(value)
    return thresholds


def _threads() -> int:
    """One per process when `pileon analyze` runs a worker pool; in a lone process
    OMP_NUM_THREADS if the user set it, else every core."""
    if multiprocessing.parent_process() is not None:
        return 1
    given = os.environ.get("OMP_NUM_THREADS", "")
    if given.isdigit() and int(given) > 0:
        return int(given)
    return max(1, os.cpu_count() or 1)


@dataclass(frozen=True, slots=True)
class _Loaded:
    directory: Path
    version: str
    tokenizer: Any
    model: Any
    columns: tuple[int | None, ...]
    thresholds: Mapping[str, float]
    softmax: bool  # a single-label model: its outputs are one distribution, not 12 sigmoids
    max_tokens: int


def _load(directory: Path, version: str) -> _Loaded:
    if importlib.util.find_spec("torch") is None or importlib.util.find_spec(
            "transformers") is None:
        raise ModelError("the transformers backend needs torch and transformers, which are "
                         "not installed", hint=_INSTALL)
    # Never reach for a model hub, whatever the user's environment says.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # quiet and safe under fork
    import torch
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()  # no tqdm bars inside `pileon` output
    torch.set_num_threads(_threads())
    weights = _weight_files(directory)[0]
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(directory, local_files_only=True)
    except Exception as exc:  # tokenizers, sentencepiece and transformers raise their own types
        raise ModelError(f"cannot load the tokenizer ({type(exc).__name__}: {exc})".splitlines()[0],
                         path=str(directory), hint=_CONTENTS) from exc
    if len(tokenizer) <= len(tokenizer.all_special_tokens):
        raise ModelError("the tokenizer has no vocabulary", path=str(directory), hint=_CONTENTS)
    try:
        model = transformers.AutoModelForSequenceClassification.from_pretrained(
            directory, local_files_only=True)
    except Exception as exc:  # torch, safetensors and transformers each raise their own types
        raise ModelError(f"cannot load the model ({type(exc).__name__}: {exc})".splitlines()[0],
                         path=str(weights),
                         hint="save the model again with save_pretrained") from exc
    model.eval()
    config = model.config
    positions = int(getattr(config, "max_position_embeddings", 0) or 0)
    limit = min(MAX_TOKENS, positions - 2) if positions > 2 else MAX_TOKENS
    return _Loaded(directory, version, tokenizer, model, label_columns(config.id2label),
                   read_thresholds(directory),
                   getattr(config, "problem_type", None) == "single_label_classification",
                   limit)


@dataclass(frozen=True, slots=True)
class _Read:
    """What the model made of one distinct text."""

    proba: np.ndarray  # over the model's own outputs
    cut: bool  # the model read only the start of the text


def _predict(loaded: _Loaded, texts: Sequence[str]) -> dict[str, _Read]:
    """Model outputs per distinct text; texts of similar length are batched together."""
    import torch

    distinct = sorted(set(texts), key=len)
    fast = bool(getattr(loaded.tokenizer, "is_fast", False))
    out: dict[str, _Read] = {}
    with torch.no_grad():
        for start in range(0, len(distinct), BATCH):
            chunk = distinct[start:start + BATCH]
            encoded = loaded.tokenizer(chunk, padding=True, truncation=True,
                                       max_length=loaded.max_tokens, return_tensors="pt",
                                       return_offsets_mapping=fast)
            offsets = encoded.pop("offset_mapping", None)
            logits = loaded.model(**encoded).logits.float()
            proba = (torch.softmax(logits, dim=-1) if loaded.softmax
                     else torch.sigmoid(logits)).numpy()
            for row, text in enumerate(chunk):
                cut = False
                if offsets is not None:
                    last = int(offsets[row].max())  # end of the last character the model saw
                    cut = last < len(text.rstrip())
                out[text] = _Read(proba[row], cut)
    return out


def _lexicon_evidence(item: Adjusted) -> Evidence:
    return Evidence(item.hit.start, item.hit.end, item.hit.matched, item.category, item.rule,
                    item.severity, "lexicon", item.cue.matched if item.cue else None)


class TransformersClassifier:
    """A local transformers model as a pileon backend (registered through
    `register_classifiers`). The directory is `directory`, or PILEON_TRANSFORMERS_MODEL read
    at each use, so pointing the variable elsewhere switches models."""

    name = "transformers"

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory
        self._loaded: _Loaded | None = None
        self._threads_pid = 0  # the process whose torch thread count we set

    def _directory(self) -> Path:
        return model_directory(str(self.directory) if self.directory is not None else None)

    @property
    def version(self) -> str:
        directory = self._directory()
        if importlib.util.find_spec("torch") is None:  # fail before a run is started
            raise ModelError("the transformers backend needs torch, which is not installed",
                             hint=_INSTALL)
        return model_version(directory)

    def _model(self) -> _Loaded:
        directory = self._directory()
        version = model_version(directory)
        loaded = self._loaded
        if loaded is None or loaded.directory != directory or loaded.version != version:
            loaded = self._loaded = _load(directory, version)
            self._threads_pid = os.getpid()
        elif self._threads_pid != os.getpid():
            # A worker forked from a process that had loaded the model (`pileon analyze` warms
            # the model up before forking): one thread per worker, no oversubscribed cores.
            import torch

            torch.set_num_threads(_threads())
            self._threads_pid = os.getpid()
        return loaded

    @property
    def thresholds(self) -> dict[str, float]:
        return dict(self._model().thresholds)

    def classify(self, texts: Sequence[str]) -> list[Classification]:
        reads = read_texts(texts)
        if not reads:
            return []
        loaded = self._model()
        outputs = _predict(loaded, [r.text for r in reads])
        return [self._result(loaded, read, outputs[read.text]) for read in reads]

    def _result(self, loaded: _Loaded, read: ReadText, output: _Read) -> Classification:
        scores = {label: 0.0 if column is None else float(output.proba[column])
                  for label, column in zip(LABELS, loaded.columns, strict=True)}
        labels = tuple(label for label in LABELS
                       if label != "neutral" and scores[label] >= loaded.thresholds[label])
        evidence = sorted((_lexicon_evidence(i) for i in read.context.items if i.counts),
                          key=lambda e: (e.start, e.end, e.category))
        return Classification(
            labels=labels or ("neutral",), scores=scores, lang=read.lang.lang,
            lang_confidence=read.lang.confidence, evidence=tuple(evidence), backend=self.name,
            model_version=loaded.version, translit=read.lang.translit,
            truncated=read.truncated or output.cut,
            rules=tuple(sorted({i.rule for i in read.context.items} - {"plain"})))


@cache
def transformers_classifier() -> TransformersClassifier:
    """The backend `pileon analyze --backend transformers` uses (one per process)."""
    return TransformersClassifier()
