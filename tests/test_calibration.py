"""One calibrated confidence: the fit is deterministic, the threshold meets its precision, answers are shaped like
the question, and the asked-for count among several counts of one sentence is found or not shown as confident."""

from __future__ import annotations

import random

import pytest

from qa.answer.answerer import _as_clause
from qa.answer.calibration import FEATURES, Calibration, asks_for_a_clause, choose_threshold, fit
from qa.answer.spans import ScoredSpan, SentenceInput


def _rows(n: int, seed: int = 3):
    rng = random.Random(seed)
    rows, labels = [], []
    for _ in range(n):
        logit = rng.uniform(-3, 3)
        rows.append({"reader_logit": logit, "coverage": rng.random(), "agree": float(rng.random() < 0.5)})
        labels.append(int(rng.random() < 1 / (1 + 2.718 ** -(1.5 * logit + rows[-1]["agree"]))))
    return rows, labels


def test_the_fit_is_deterministic_and_learns_what_predicts_being_right():
    rows, labels = _rows(400)
    first, second = fit(rows, labels), fit(list(rows), list(labels))
    assert first == second and len(first) == len(FEATURES) + 1
    weights = dict(zip(FEATURES, first))
    assert weights["reader_logit"] > 0.8 and weights["agree"] > 0.3
    model = Calibration(first, 0.5, 0.9)
    assert model.probability({"reader_logit": 3.0, "agree": 1.0}) > 0.9 > 0.1 > model.probability({"reader_logit": -3.0})


def test_the_threshold_gives_the_target_precision_or_shows_nothing_as_confident():
    probabilities = [0.99, 0.95, 0.9, 0.85, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1]
    labels = [1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0]
    t = choose_threshold(probabilities, labels, target=0.9, min_support=5)
    kept = [y for p, y in zip(probabilities, labels) if p >= t]
    assert t == 0.3 and sum(kept) / len(kept) >= 0.9
    assert choose_threshold(probabilities, [0] * len(labels), target=0.9, min_support=5) == 1.0


@pytest.mark.parametrize("question, clause", [
    ("Vì sao hội nghị được tổ chức trực tuyến?", True),
    ("Cần làm những gì để phòng ngừa cảm cúm?", True),
    ("Sau gây mê, bệnh nhân được mổ như thế nào?", True),
    ("Phương châm hành động là gì?", True),
    ("Ai chủ trì hội nghị?", False),
    ("Hội nghị diễn ra ngày nào?", False),
    ("Bao nhiêu tập thể được khen thưởng?", False),
])
def test_questions_that_ask_for_a_clause(question, clause):
    assert asks_for_a_clause(question) is clause


def test_a_fragment_grows_to_its_clause_or_sentence():
    text = "Hội nghị tổ chức trực tuyến, vì dịch bệnh còn phức tạp ở nhiều địa phương. Câu sau."
    sentence = SentenceInput("d", text, 0, 76, "", None, 0, 1.0, 1.0)
    start = text.index("dịch bệnh")
    span = ScoredSpan("d", start, start + 9, "dịch bệnh", 0.9, "neural", 0)
    grown = _as_clause(span, sentence)
    assert grown.text == "vì dịch bệnh còn phức tạp ở nhiều địa phương"
    short = SentenceInput("d", "Do mưa lớn. Sau đó.", 0, 11, "", None, 0, 1.0, 1.0)
    assert _as_clause(ScoredSpan("d", 3, 10, "mưa lớn", 0.9, "neural", 0), short).text == "Do mưa lớn"


@pytest.mark.parametrize("question, right", [
    ("Năm 2023, danh hiệu “Đơn vị Quyết thắng” được trao cho bao nhiêu tập thể của Cục Chính trị?", "11 tập thể"),
    ("Quân khu trao danh hiệu Chiến sĩ tiên tiến cho bao nhiêu cá nhân của Cục Chính trị năm 2023?", "19 cá nhân"),
    ("Cục Chính trị được Quân khu trao Cờ thi đua cho bao nhiêu tập thể năm 2023?", "1 tập thể"),
    ("Năm 2023 Quân khu trao danh hiệu “Đơn vị tiên tiến” cho bao nhiêu tập thể của Cục Chính trị?", "5 tập thể"),
])
def test_the_asked_count_among_several_counts_of_one_sentence(fake_engine, question, right):
    answer = fake_engine.ask(question)
    assert answer.short_answer == right or not answer.confident, (answer.short_answer, answer.confidence)
