"""Builds a tiny randomly initialised multi-label text classifier, saved as a user would bring a
fine-tuned one: config.json, model.safetensors and a WordPiece tokenizer trained offline on a
few sentences. Used by the transformers-backend tests and benchmarks/analyze_bench.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from pileon.records import LABELS

DATA = Path(__file__).parent / "data"
CORPUS = (DATA / "transformers_cases.jsonl",
          Path(__file__).parent.parent / "triage" / "data" / "thread.jsonl")
SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def corpus_texts() -> list[str]:
    return [json.loads(line)["text"] for path in CORPUS
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def build_tiny_model(directory: Path, *, seed: int = 0, texts: Iterable[str] | None = None,
                     hidden: int = 32, layers: int = 2) -> Path:
    """Save a random BERT-style classifier with pileon's twelve labels into `directory`."""
    import torch
    import transformers
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    words = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    words.normalizer = normalizers.BertNormalizer(lowercase=True)
    words.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    words.train_from_iterator(list(texts or corpus_texts()), trainers.WordPieceTrainer(
        vocab_size=600, special_tokens=SPECIAL, show_progress=False))
    cls, sep = words.token_to_id("[CLS]"), words.token_to_id("[SEP]")
    words.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    tokenizer = BertTokenizerFast(tokenizer_object=words, unk_token="[UNK]", pad_token="[PAD]",
                                  cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]")
    config = BertConfig(
        vocab_size=words.get_vocab_size(), hidden_size=hidden, num_hidden_layers=layers,
        num_attention_heads=2, intermediate_size=2 * hidden, max_position_embeddings=512,
        num_labels=len(LABELS), id2label=dict(enumerate(LABELS)),
        label2id={label: i for i, label in enumerate(LABELS)},
        problem_type="multi_label_classification",
        initializer_range=0.5)  # wide random weights: scores spread over 0..1, not all 0.5
    transformers.logging.disable_progress_bar()
    torch.manual_seed(seed)
    model = BertForSequenceClassification(config)
    directory.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory
