"""Diacritics restoration: the model on its own, and through the Engine over the seed index (real model)."""

from __future__ import annotations

import json

import pytest
from conftest import CHAIR_QUESTION

from qa.language.accents import AccentModel
from qa.language.text import fold_diacritics

TEXTS = [
    "Thiếu tướng Trần Chí Tâm chủ trì hội nghị tổng kết công tác đảng.",
    "Hội nghị tổng kết công tác chính trị năm 2023. Các đại biểu dự hội nghị.",
    "Bộ Tham mưu Quân khu tổ chức hội nghị. Thiếu tướng Phạm Hoàng Long phát biểu.",
]


def test_restores_a_question_from_the_corpus_statistics():
    model = AccentModel.from_texts(TEXTS)
    assert model.restore("ai chu tri hoi nghi tong ket cong tac dang") == "ai chủ trì hội nghị tổng kết công tác đảng"
    # Case is kept, unknown words and numbers stay as typed, punctuation is untouched.
    assert model.restore("Thieu tuong Tran Chi Tam, nam 2023 xyz?") == "Thiếu tướng Trần Chí Tâm, năm 2023 xyz?"


def test_bigrams_choose_between_accented_forms_of_one_syllable():
    model = AccentModel.from_texts(["hội nghị lần này", "hội nghị bàn kỹ", "câu hỏi khó", "hỏi đáp"])
    assert model.restore("hoi nghi") == "hội nghị"
    assert model.restore("cau hoi") == "câu hỏi"


def test_question_words_are_known_without_the_corpus():
    assert AccentModel().restore("ai la nguoi chu tri, o dau, khi nao, bao nhieu").startswith("ai là")
    assert "khi nào" in AccentModel().restore("hoi nghi dien ra khi nao")
    assert "bao nhiêu" in AccentModel().restore("bao nhieu nguoi")


def test_a_question_with_diacritics_is_never_changed():
    model = AccentModel.from_texts(TEXTS)
    for question in (CHAIR_QUESTION, "hội nghi tong ket", "Hỏi gì đó"):
        assert model.restore(question) == question
    assert model.restore("") == "" and model.restore("2023?") == "2023?"


def test_merge_adds_counts_and_save_load_round_trips(tmp_path):
    parts = [AccentModel.from_texts([t]) for t in TEXTS]
    merged = AccentModel.merge(parts)
    whole = AccentModel.from_texts(TEXTS)
    assert merged.unigrams == whole.unigrams and merged.bigrams == whole.bigrams
    path = tmp_path / "accents.json"
    merged.save(path)
    loaded = AccentModel.load(path)
    assert loaded.unigrams == whole.unigrams and loaded.bigrams == whole.bigrams
    assert json.loads(path.read_text(encoding="utf-8"))["format"] == "qa-accent-model/1"
    question = fold_diacritics(TEXTS[0]).lower()
    assert loaded.restore(question) == whole.restore(question)


def test_load_refuses_another_file(tmp_path):
    path = tmp_path / "other.json"
    path.write_text('{"format": "something-else"}', encoding="utf-8")
    with pytest.raises(ValueError, match="not an accent model"):
        AccentModel.load(path)


def test_engine_builds_one_model_per_index_generation(seed_engine):
    model = seed_engine.accent_model()
    assert model is seed_engine.accent_model() and len(model) > 300
    assert seed_engine.understood_as("thieu tuong tran chi tam giu chuc vu gi") == "thiếu tướng trần chí tâm giữ chức vụ gì"
    assert seed_engine.understood_as(CHAIR_QUESTION) == CHAIR_QUESTION
    assert seed_engine.understood_as(fold_diacritics(CHAIR_QUESTION)).lower() == CHAIR_QUESTION.lower()
