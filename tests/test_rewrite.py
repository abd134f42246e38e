"""Follow-ups rewritten into the self-contained question they mean (qa.answer.rewrite): each kind of reference,
a complete question left alone, three turns deep; and the rewrite as the engine, the CLI and evaluation use it."""

from __future__ import annotations

import json

import pytest
from conftest import CHAIR_DOC, CHAIR_QUESTION, run_cli

from qa.answer.conversation import history_turns, read_conversation
from qa.answer.rewrite import DOCUMENT, ELLIPSIS, ENTITY, EVENT, NEW, PERSON, YEAR, Turn, rewrite
from qa.errors import QuestionError
from qa.render.plain import answer_text

CHAIR_ANSWER = "Thiếu tướng Phạm Hoàng Long, Phó tham mưu trưởng, Phó bí thư Đảng ủy Bộ Tham mưu Quân khu"
CHAIR = Turn(CHAIR_QUESTION, CHAIR_QUESTION, CHAIR_ANSWER, f"{CHAIR_ANSWER} [1]\n…", (CHAIR_DOC,), "2024-01-05", "who")
DATE_QUESTION = "Bộ Tham mưu Quân khu tổ chức hội nghị tổng kết công tác đảng, công tác chính trị năm 2023 vào ngày nào?"
DATE = Turn(DATE_QUESTION, DATE_QUESTION, "05/01 (năm 2024)", "05/01 (năm 2024) [1]\n…", (CHAIR_DOC,), "2024-01-05", "when")
DIRECTIVE_QUESTION = "Đảng ủy Bộ CHQS tỉnh Bắc Kạn tổ chức hội nghị triển khai các chỉ thị vào ngày nào?"
DIRECTIVE = Turn(DIRECTIVE_QUESTION, DIRECTIVE_QUESTION, "21/02",
                 "21/02 [1]\nHội nghị đã quán triệt nội dung của Chỉ thị số 2423, ngày 09/11/2023 …", ("000_a14a30c824323fdb",),
                 "2024-02-21", "when")
EVENT_TEXT = "hội nghị tổng kết công tác đảng, công tác chính trị năm 2023 của Bộ Tham mưu Quân khu"


@pytest.mark.parametrize("question, history, expected, reference", [
    ("Ông ấy giữ chức vụ gì?", [CHAIR], "Thiếu tướng Phạm Hoàng Long giữ chức vụ gì?", PERSON),
    ("Người đó có mặt ở hội nghị nào khác?", [CHAIR], "Thiếu tướng Phạm Hoàng Long có mặt ở hội nghị nào khác?", PERSON),
    ("Hội nghị đó diễn ra ngày nào?", [CHAIR], f"{EVENT_TEXT[:1].upper()}{EVENT_TEXT[1:]} diễn ra ngày nào?", EVENT),
    ("Sự kiện đó có bao nhiêu đại biểu dự?", [CHAIR], f"{EVENT_TEXT[:1].upper()}{EVENT_TEXT[1:]} có bao nhiêu đại biểu dự?", EVENT),
    ("Hội nghị diễn ra ở đâu?", [CHAIR], f"{EVENT_TEXT[:1].upper()}{EVENT_TEXT[1:]} diễn ra ở đâu?", EVENT),
    ("Chỉ thị đó được ban hành ngày nào?", [DIRECTIVE], "Chỉ thị số 2423 được ban hành ngày nào?", DOCUMENT),
    ("Văn bản này về nội dung gì?", [DIRECTIVE], "Chỉ thị số 2423 về nội dung gì?", DOCUMENT),
    ("Năm đó Bộ Tham mưu phát động thi đua với chủ đề gì?", [CHAIR], "Năm 2023 Bộ Tham mưu phát động thi đua với chủ đề gì?", YEAR),
    ("Khi đó ai là Chính ủy Quân khu?", [CHAIR], "Năm 2023 ai là Chính ủy Quân khu?", YEAR),
    ("Còn năm 2024 thì sao?", [CHAIR], CHAIR_QUESTION.replace("2023", "2024"), ELLIPSIS),
    ("Ai chủ trì?", [DATE], f"Ai chủ trì {EVENT_TEXT}?", ELLIPSIS),
    ("Ở đâu?", [CHAIR], f"{EVENT_TEXT[:1].upper()}{EVENT_TEXT[1:]} diễn ra ở đâu?", ELLIPSIS),
    ("Chức vụ gì?", [CHAIR], "Thiếu tướng Phạm Hoàng Long giữ chức vụ gì?", ELLIPSIS),
    ("Còn Cục Chính trị?", [CHAIR], CHAIR_QUESTION.replace("Bộ Tham mưu Quân khu", "Cục Chính trị"), ELLIPSIS),
])
def test_each_kind_of_reference_is_resolved_into_a_clean_question(question, history, expected, reference):
    meant = rewrite(question, history)
    assert (meant.text, meant.reference) == (expected, reference)
    assert meant.rewritten and meant.asked == question


def test_an_entity_is_named_from_the_previous_question_or_answer():
    museum = Turn("Bảo tàng Victoria và Albert được thành lập năm nào?", "Bảo tàng Victoria và Albert được thành lập năm nào?",
                  "năm 1852", "", ("V&A#0",), None, "when")
    assert rewrite("Bảo tàng đó nằm ở thành phố nào?", [museum]).text == "Bảo tàng Victoria và Albert nằm ở thành phố nào?"
    team = Turn("Đội nào đã giành chức vô địch Ekstraklasa vào năm 2000?", "Đội nào đã giành chức vô địch Ekstraklasa vào năm 2000?",
                "Polonia Warsaw", "", ("Warsaw#1",), None, "unit")
    meant = rewrite("Đội đó giành chức vô địch quốc gia năm nào?", [team])
    assert (meant.text, meant.reference, meant.prior_docs) == ("Polonia Warsaw giành chức vô địch quốc gia năm nào?", ENTITY, ("Warsaw#1",))


def test_the_previous_answers_article_is_the_prior_except_after_a_swap():
    assert rewrite("Ông ấy giữ chức vụ gì?", [CHAIR]).prior_docs == (CHAIR_DOC,)
    assert rewrite("Còn năm 2022 thì sao?", [CHAIR]).prior_docs == ()  # another year is another article


@pytest.mark.parametrize("question", [
    "Thiếu tướng Trần Chí Tâm giữ chức vụ gì?",
    "Ai chủ trì hội nghị quán triệt chỉ thị về tổ chức Đại hội Đảng các cấp của Cục Chính trị Quân khu 7?",
    "Giá xăng hôm nay bao nhiêu?",
    "Năm nay Quân khu tổ chức bao nhiêu hội nghị?",
    "Ai là Chính ủy Quân khu năm 2023?",
])
def test_a_complete_new_question_after_a_thread_is_not_rewritten(question):
    meant = rewrite(question, [CHAIR, DATE])
    assert (meant.text, meant.reference, meant.rewritten, meant.prior_docs) == (question, NEW, False, ())


def test_without_history_nothing_is_rewritten():
    assert rewrite("Ông ấy giữ chức vụ gì?", []).text == "Ông ấy giữ chức vụ gì?"


def test_three_turns_deep_the_person_and_the_event_come_from_earlier_turns():
    second = rewrite("Hội nghị đó diễn ra ngày nào?", [CHAIR])
    turn2 = Turn("Hội nghị đó diễn ra ngày nào?", second.text, "05/01 (năm 2024)", "05/01 (năm 2024) [1]", (CHAIR_DOC,),
                 "2024-01-05", "when")
    third = rewrite("Ông ấy giữ chức vụ gì?", [CHAIR, turn2])  # the person of turn 1, not of the date answer
    assert third.text == "Thiếu tướng Phạm Hoàng Long giữ chức vụ gì?" and third.prior_docs == (CHAIR_DOC,)
    turn3 = Turn("Ông ấy giữ chức vụ gì?", third.text, "Phó tham mưu trưởng", "", (CHAIR_DOC,), "2024-01-05", "title")
    fourth = rewrite("Còn năm 2022 thì sao?", [CHAIR, turn2, turn3])  # the latest question with a year gets the new one
    assert fourth.text == f"{EVENT_TEXT[:1].upper()}{EVENT_TEXT[1:]} diễn ra ngày nào?".replace("2023", "2022")


def test_a_conversation_file_takes_plain_lines_and_json_lines(tmp_path):
    path = tmp_path / "hoi-thoai.jsonl"
    path.write_text(f"{CHAIR_QUESTION}\n\n" + json.dumps({"question": "Ông ấy giữ chức vụ gì?"}, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    assert read_conversation(path) == [CHAIR_QUESTION, "Ông ấy giữ chức vụ gì?"]
    path.write_text('{"câu hỏi": 1}\n', encoding="utf-8")
    with pytest.raises(QuestionError, match="dòng 1"):
        read_conversation(path)
    with pytest.raises(QuestionError, match="không có tệp"):
        read_conversation(tmp_path / "khong-co.jsonl")


def test_a_history_of_answered_turns_is_taken_as_given():
    given = [{"question": CHAIR_QUESTION, "short_answer": CHAIR_ANSWER, "answer": CHAIR_ANSWER,
              "sources": [{"doc_id": CHAIR_DOC, "date": "2024-01-05", "cited": True}]}]
    turns = history_turns(None, given)  # nothing is asked again: no engine needed
    assert turns[0].doc_ids == (CHAIR_DOC,) and turns[0].kind == "who"
    assert rewrite("Ông ấy giữ chức vụ gì?", turns).text == "Thiếu tướng Phạm Hoàng Long giữ chức vụ gì?"
    with pytest.raises(QuestionError, match="history"):
        history_turns(None, [3])


def test_the_prior_moves_the_previous_article_up(fake_engine):
    """Retrieval's prior (fake embedder: fast): a vague follow-up ranks the previous answer's article first."""
    plain = fake_engine.search("Hội nghị diễn ra ở đâu?", k=3)
    other = next(h.passage.doc_id for h in plain if h.passage.doc_id != plain[0].passage.doc_id)
    question = fake_engine.question("Hội nghị diễn ra ở đâu?", k=3, history=[Turn("…", "…", None, "", (other,), None, None)])
    assert question.prior_docs == (other,)
    assert fake_engine.search(question)[0].passage.doc_id == other


# --- with the real model -------------------------------------------------------------------------


def test_the_issues_follow_ups_are_answered_from_the_thread(seed_engine):
    """The table of issue 27: the follow-up's own question decides what is asked, the thread what it is about."""
    asked, answers = seed_engine.converse([CHAIR_QUESTION, "Ông ấy giữ chức vụ gì?"])
    assert answers[1].understood_as == "Thiếu tướng Phạm Hoàng Long giữ chức vụ gì?" and asked[1].reference == PERSON
    assert "Phó tham mưu trưởng" in (answers[1].short_answer or "")
    assert answers[1].citations[0].hit.passage.doc_id == CHAIR_DOC
    asked, answers = seed_engine.converse([DATE_QUESTION, "Ai chủ trì?"])
    assert asked[1].kind == "who" and "Phạm Hoàng Long" in (answers[1].short_answer or "")  # not the previous date
    asked, answers = seed_engine.converse([CHAIR_QUESTION, "Hội nghị đó diễn ra ngày nào?"])
    assert asked[1].kind == "when" and (answers[1].short_answer or "").startswith("05/01")


def test_three_turns_deep_with_the_real_model(seed_engine):
    asked, answers = seed_engine.converse([CHAIR_QUESTION, "Hội nghị đó diễn ra ngày nào?", "Ông ấy giữ chức vụ gì?"])
    assert [q.reference for q in asked] == [None, EVENT, PERSON]
    assert answers[2].understood_as == "Thiếu tướng Phạm Hoàng Long giữ chức vụ gì?"
    assert "Phó tham mưu trưởng" in answer_text(answers[2]) and answers[2].citations[0].hit.passage.doc_id == CHAIR_DOC


def test_a_first_turn_is_answered_as_a_question_alone(seed_engine):
    alone = seed_engine.ask(CHAIR_QUESTION)
    _, answers = seed_engine.converse([CHAIR_QUESTION])
    assert answer_text(answers[0]) == answer_text(alone) and answers[0].understood_as is None


def _qa(*args, index):
    return run_cli(*args, "--index", index)


def test_cli_ask_previous_shows_and_returns_the_rewritten_question(seed_settings, tmp_path):
    out = _qa("ask", "Ông ấy giữ chức vụ gì?", "--previous", CHAIR_QUESTION, "--json", index=seed_settings.index_dir)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["understood_as"] == "Thiếu tướng Phạm Hoàng Long giữ chức vụ gì?"
    assert data["follow_up"] == {"asked": "Ông ấy giữ chức vụ gì?", "understood_as": data["understood_as"], "rewritten": True,
                                 "reference": PERSON, "prior_docs": [CHAIR_DOC], "previous": [CHAIR_QUESTION]}
    conversation = tmp_path / "hoi-thoai.txt"
    conversation.write_text(f"{CHAIR_QUESTION}\nHội nghị đó diễn ra ngày nào?\n", encoding="utf-8")
    out = _qa("ask", "Ông ấy giữ chức vụ gì?", "--conversation", str(conversation), index=seed_settings.index_dir)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("Hiểu câu hỏi là: Thiếu tướng Phạm Hoàng Long giữ chức vụ gì?\n")
    out = _qa("ask", "Ông ấy giữ chức vụ gì?", "--conversation", str(tmp_path / "khong-co.txt"), index=seed_settings.index_dir)
    assert out.returncode == 2 and "không có tệp cuộc trò chuyện" in out.stderr and "Traceback" not in out.stderr
