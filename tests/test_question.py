"""A question is prepared once: diacritics restored once, constraints extracted once, each article checked
against them once, however many stages (retrieval, rerank, answerer, span readers) read it."""

from __future__ import annotations

from collections import Counter

import pytest

import qa.answer.short as short_module
import qa.search.constraints as constraints_module
import qa.search.question as question_module
from qa.language.accents import AccentModel

QUESTIONS = [
    "Kế hoạch số 1180 của Đảng ủy Cục Chính trị ra ngày nào?",  # a when-question naming a document
    "ke hoach so 1180 cua dang uy cuc chinh tri ra ngay nao",  # the same, typed without diacritics
    "Ai chủ trì hội nghị tổng kết công tác đảng năm 2023 của Bộ Tham mưu Quân khu?",  # a year to bind
]


@pytest.fixture
def counted(monkeypatch):
    """Calls of the restoration, the extraction (wherever it is imported) and the per-article check."""
    calls: Counter = Counter()

    def counting(name, function):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return function(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(AccentModel, "restore", counting("restore", AccentModel.restore))
    for module in (question_module, short_module):
        monkeypatch.setattr(module, "extract", counting("extract", constraints_module.extract))
    checked: Counter = Counter()
    check = constraints_module.check

    def counting_check(constraints, article, *args, **kwargs):
        checked[article.doc_id] += 1
        return check(constraints, article, *args, **kwargs)

    monkeypatch.setattr(constraints_module, "check", counting_check)
    return calls, checked


@pytest.mark.parametrize("text", QUESTIONS)
def test_each_preparation_runs_once_per_question(fake_engine, counted, text):
    calls, checked = counted
    answer = fake_engine.ask(text, k=5)
    assert answer.citations
    assert calls["extract"] == 1
    assert calls["restore"] == (0 if any(ch in text for ch in "ếạộảủụĩờ") else 1)
    assert checked and max(checked.values()) == 1  # rerank and answerer share the verdicts


def test_the_chat_path_prepares_once_too(fake_engine, counted):
    """The form's options are checked by the same function; the chat then hands the Question over."""
    calls, checked = counted
    engine = fake_engine
    question = engine.question(QUESTIONS[1], k="3", mode="hybrid", since="2020-01-01")
    engine.answer(question, engine.search(question))
    engine.ask(question)  # asked again: nothing is derived again from the text
    assert calls == {"extract": 1, "restore": 1} and max(checked.values()) == 1


@pytest.mark.parametrize(("typed", "iso"), [("05/01/2024", "2024-01-05"), ("5/1/2024", "2024-01-05"), ("05-01-2024", "2024-01-05"),
                                            ("05.01.2024", "2024-01-05"), ("2024-01-05", "2024-01-05"), (" 31/12/2023 ", "2023-12-31")])
def test_date_boxes_take_day_first_and_iso_dates(typed, iso):
    from qa.search.question import check_date

    assert check_date(typed, "Từ ngày") == iso


@pytest.mark.parametrize("typed", ["31/02/2024", "13/13/2024", "2024-13-01", "01/2024", "hôm qua"])
def test_a_date_that_is_not_one_says_both_forms(typed):
    from qa.errors import QuestionError
    from qa.search.question import check_date

    with pytest.raises(QuestionError, match=f"Từ ngày: ngày không hợp lệ «{typed}», cần dạng dd/mm/yyyy hoặc yyyy-mm-dd"):
        check_date(typed, "Từ ngày")
