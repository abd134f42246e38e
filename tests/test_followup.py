"""Follow-up questions: which lean on the previous turn, and what is retrieved for them."""

from __future__ import annotations

import pytest
from conftest import CHAIR_DOC, CHAIR_QUESTION

from qa.answer.followup import contextualize, is_follow_up, next_context
from qa.language.text import fold_diacritics
from qa.render.plain import answer_text

FOLLOW_UPS = [
    "Còn năm 2024 thì sao?",
    "Ông ấy giữ chức vụ gì?",
    "Thế còn Cục Chính trị?",
    "Vậy còn năm 2022?",
    "Đồng chí này là ai?",
    "Đơn vị đó ở đâu?",
    "Hội nghị đó diễn ra khi nào?",
    "Khi đó ai phát biểu?",
    "Bà ta là ai?",
    "Còn Bắc Kạn?",
    "Năm 2022 thì sao?",
    "Ai chủ trì?",
    "ong ay giu chuc vu gi?",
    "con nam 2024 thi sao?",
    "Hoi nghi do dien ra o dau?",
]
SELF_CONTAINED = [
    CHAIR_QUESTION,
    fold_diacritics(CHAIR_QUESTION),
    "Phạm Hoàng Long là ai?",
    "Thiếu tướng Trần Chí Tâm giữ chức vụ gì?",
    "Giá xăng hôm nay bao nhiêu?",
    "Hội nghị do ai chủ trì?",
    "Hoi nghi do ai chu tri?",  # `do` = by, not `đó`
    "Hoi nghi do Bo Tham muu to chuc khi nao?",
    "Còn bao nhiêu ngày nữa đến Tết Nguyên đán?",  # `còn` = remaining
    "Năm nay Quân khu tổ chức bao nhiêu hội nghị?",
    "Nam nay Quan khu to chuc bao nhieu hoi nghi?",  # `nam nay` = this year
    "Công tác giáo dục chính trị của Bộ Tham mưu thế nào?",
    "",
]


@pytest.mark.parametrize("question", FOLLOW_UPS)
def test_follow_ups_are_recognized(question):
    assert is_follow_up(question)


@pytest.mark.parametrize("question", SELF_CONTAINED)
def test_self_contained_questions_are_not_follow_ups(question):
    assert not is_follow_up(question)


def test_a_new_year_replaces_the_year_of_the_previous_question():
    expected = CHAIR_QUESTION.replace("2023", "2024")
    assert contextualize("Còn năm 2024 thì sao?", CHAIR_QUESTION) == expected
    assert contextualize("con nam 2024 thi sao?", CHAIR_QUESTION) == expected
    assert next_context("Còn năm 2024 thì sao?", CHAIR_QUESTION) == expected


def test_a_follow_up_is_joined_to_the_previous_question_without_its_reference_words():
    asked = contextualize("Ông ấy giữ chức vụ gì?", CHAIR_QUESTION)
    assert asked == f"{CHAIR_QUESTION} Giữ chức vụ gì?"
    assert contextualize("Đơn vị đó ở đâu?", CHAIR_QUESTION) == f"{CHAIR_QUESTION} Đơn vị ở đâu?"
    assert next_context("Ông ấy giữ chức vụ gì?", CHAIR_QUESTION) == CHAIR_QUESTION  # the topic stays


def test_a_self_contained_question_is_asked_as_it_is_whatever_came_before():
    question = "Thiếu tướng Trần Chí Tâm giữ chức vụ gì?"
    assert contextualize(question, CHAIR_QUESTION) == question
    assert next_context(question, CHAIR_QUESTION) == question


def test_without_a_previous_question_a_follow_up_is_asked_as_it_is():
    assert contextualize("Ông ấy giữ chức vụ gì?", None) == "Ông ấy giữ chức vụ gì?"
    assert next_context("Ông ấy giữ chức vụ gì?", "") == "Ông ấy giữ chức vụ gì?"


def test_a_bare_reference_falls_back_to_the_previous_question():
    assert contextualize("Còn ông ấy?", CHAIR_QUESTION) == CHAIR_QUESTION


def test_a_joined_question_over_the_limit_falls_back_to_the_question_alone():
    assert contextualize("Ông ấy giữ chức vụ gì?", CHAIR_QUESTION, max_chars=50) == "Ông ấy giữ chức vụ gì?"


def test_the_follow_up_after_the_chair_question_is_answered_from_its_article(seed_engine):
    first = seed_engine.ask(CHAIR_QUESTION)
    assert not first.abstained and first.citations[0].hit.passage.doc_id == CHAIR_DOC
    follow_up = seed_engine.ask(contextualize("Ông ấy giữ chức vụ gì?", next_context(CHAIR_QUESTION, None)))
    assert not follow_up.abstained
    assert follow_up.citations[0].hit.passage.doc_id == CHAIR_DOC
    assert "Phó tham mưu trưởng" in answer_text(follow_up)
    alone = seed_engine.ask("Ông ấy giữ chức vụ gì?")  # what the context is for
    assert alone.abstained or alone.citations[0].hit.passage.doc_id != CHAIR_DOC
