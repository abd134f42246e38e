"""Answers a user can trust: short answers, years not covered, follow-ups to another year, dates as news
writes them, unaccented questions. Pattern tests on plain text, then the seed corpus with the real model."""

from __future__ import annotations

import pytest
from conftest import CHAIR_DOC, CHAIR_QUESTION

from qa.answer.followup import contextualize, next_context
from qa.answer.short import find_short
from qa.ingest.corpus import Article
from qa.render.data import answer_to_dict
from qa.render.plain import answer_text
from qa.search.question import question_type

CUC_CHINH_TRI_DOC = "002_f5868a43e4f9d8e2"
NGHI_QUYET_DOC = "004_f6daa8ccb9b5dc7d"


def short(question, text, date=None, sentence=None):
    article = Article("a", "", text, date=date)
    found = find_short(question_type(question), question, article, sentence or (0, len(text)))
    return None if found is None else (text[found.start:found.end], found.shown)


@pytest.mark.parametrize(("question", "kind"), [
    (CHAIR_QUESTION, "who"), ("Hội nghị diễn ra ngày nào?", "when"), ("hoi nghi dien ra khi nao", "when"),
    ("Có bao nhiêu đảng viên?", "count"), ("Đại hội lần thứ mấy?", "ordinal"), ("Văn bản nào chỉ đạo việc này?", "document"),
    ("Đơn vị nào được tặng cờ?", "unit"), ("Ông Tâm giữ chức vụ gì?", "title"), ("Bài này do ai viết?", "author"),
    ("Bài viết được đăng tin ngày nào?", "posted"), ("Chủ đề thi đua là gì?", "named"),
    ("Công tác giáo dục chính trị của đơn vị ra sao?", None),
])
def test_question_types(question, kind):
    assert question_type(question) == kind


def test_who_gives_the_person_with_rank_and_title_up_to_the_verb_asked_about():
    text = "Thiếu tướng Phạm Hoàng Long, Phó tham mưu trưởng, Phó bí thư Đảng ủy Bộ Tham mưu chủ trì hội nghị."
    assert short("Ai chủ trì hội nghị?", text)[0] == "Thiếu tướng Phạm Hoàng Long, Phó tham mưu trưởng, Phó bí thư Đảng ủy Bộ Tham mưu"
    text = "Trung tướng Dương Đình Thông dự và chỉ đạo. Thiếu tướng Lê Văn Thơ, Cục trưởng Cục Chính trị phát biểu."
    assert short("Ai là Cục trưởng Cục Chính trị?", text)[0] == "Thiếu tướng Lê Văn Thơ, Cục trưởng Cục Chính trị"
    assert short("Thiếu tướng Lê Văn Thơ phát biểu gì?", "Thiếu tướng Lê Văn Thơ phát biểu.") is None  # named in the question


def test_when_skips_the_dates_of_documents_and_completes_day_month_with_the_publication_year():
    text = "Chiều 25/11, Cục Chính trị tổ chức hội nghị. Hội nghị quán triệt Kế hoạch số 1180 - KH/ĐU ngày 03/11/2024."
    second = (text.index("Hội nghị quán"), len(text))
    assert short("Hội nghị diễn ra khi nào?", text, date="2024-11-26", sentence=second) is None
    assert short("Hội nghị diễn ra khi nào?", text, date="2024-11-26", sentence=(0, second[0] - 1)) == ("25/11", "25/11 (năm 2024)")
    assert short("Kế hoạch số 1180 ban hành ngày nào?", text, sentence=second) == ("03/11/2024", "03/11/2024")
    assert short("Diễn tập diễn ra khi nào?", "Từ ngày 06 đến ngày 09/11, huyện tổ chức diễn tập.")[0] == "06 đến ngày 09/11"
    assert short("Hội nghị tổ chức ngày nào?", "Ngày 7-12, Cục Chính trị tổ chức hội nghị.")[0] == "7-12"


def test_counts_come_with_their_unit_and_skip_dates_and_unit_numbers():
    text = "Ngày 23/5, Trung đoàn 741, Sư đoàn 389 tổ chức lễ; 512 chiến sĩ mới tuyên thệ."
    assert short("Bao nhiêu chiến sĩ mới tuyên thệ?", text)[0] == "512 chiến sĩ mới"
    text = "Năm 2023 giới thiệu 288 đảng viên về sinh hoạt, có trên 80% khá, giỏi và 11 tập thể được khen."
    assert short("Bao nhiêu đảng viên về sinh hoạt?", text)[0] == "288 đảng viên"
    assert short("Bao nhiêu tập thể được khen?", text)[0] == "11 tập thể"
    assert short("Bao nhiêu xe được cấp?", text) is None  # several numbers, none counts what was asked


def test_ordinals_units_documents_and_titles():
    assert short("Đại hội Đảng bộ Quân khu lần thứ mấy?", "Nghị quyết Đại hội Đảng bộ Quân khu lần thứ IX.")[0] == "lần thứ IX"
    assert short("Bầu cử Quốc hội khóa mấy?", "Chuẩn bị bầu cử đại biểu Quốc hội khóa XV.")[0] == "khóa XV"
    assert short("Đơn vị nào được tặng cờ?", "Ban CHQS thị xã Sa Pa được tặng Cờ thi đua.")[0] == "Ban CHQS thị xã Sa Pa"
    text = "Thiếu tướng Trần Chí Tâm quán triệt Chỉ thị số 2889-CT/ĐU ngày 10/9/2024."
    assert short("Văn bản nào được quán triệt?", text)[0] == "Chỉ thị số 2889-CT/ĐU"
    text = "Thiếu tướng Trần Chí Tâm, Ủy viên Đảng ủy Quân khu, Bí thư Đảng ủy Cục Chính trị chủ trì hội nghị."
    assert short("Thiếu tướng Trần Chí Tâm giữ chức vụ gì?", text)[0] == "Ủy viên Đảng ủy Quân khu, Bí thư Đảng ủy Cục Chính trị"
    text = "Xây dựng chi bộ “4 tốt, 3 không” và phát động thi đua với chủ đề “Đoàn kết, kỷ cương, quyết thắng”."
    assert short("Chủ đề thi đua năm nay là gì?", text)[0] == "Đoàn kết, kỷ cương, quyết thắng"
    assert short("Mô hình chi bộ mang tên gì?", text)[0] == "4 tốt, 3 không"


def test_a_day_is_given_for_ngay_nao_and_the_most_precise_date_for_khi_nao():
    text = "Năm 2024, đơn vị tổ chức hội nghị vào chiều 28/11."
    assert short("Hội nghị diễn ra ngày nào?", text)[0] == "28/11"
    assert short("Hội nghị diễn ra khi nào?", text)[0] == "28/11"
    assert short("Hội nghị diễn ra ngày nào?", "Hội nghị tổ chức trong năm 2024.") is None
    assert short("Hội nghị diễn ra năm nào?", "Hội nghị tổ chức trong năm 2024.")[0] == "năm 2024"


# --- the seed corpus, real model -----------------------------------------------


def test_the_short_answer_comes_first_and_points_into_the_supporting_sentence(seed_engine):
    answer = seed_engine.ask(CHAIR_QUESTION)
    data = answer_to_dict(answer)
    assert data["short_answer"].startswith("Thiếu tướng Phạm Hoàng Long") and answer_text(answer).startswith(data["short_answer"])
    source = data["sources"][data["short_source"] - 1]
    assert source["doc_id"] == CHAIR_DOC
    article = answer.citations[data["short_source"] - 1].hit.article
    assert article.text[data["short_start"]:data["short_end"]] == data["short_answer"]
    assert source["sentence_start"] <= data["short_start"] < data["short_end"] <= source["sentence_end"]


def test_a_year_the_corpus_does_not_cover_gets_a_partial_answer_never_another_years_fact(seed_engine):
    question = CHAIR_QUESTION.replace("2023", "2019")
    answer = seed_engine.ask(question)
    assert answer.partial or answer.abstained
    assert answer.short_answer is None  # Phạm Hoàng Long chaired the 2023 meeting: never the answer
    assert not answer_text(answer).startswith("Thiếu tướng Phạm Hoàng Long")
    if answer.partial:
        assert answer_text(answer).startswith("Kho không có bài về hội nghị tổng kết") and "năm 2019" in answer_text(answer)
        assert "Gần nhất: năm 2023" in answer_text(answer) and answer_to_dict(answer)["partial"] is True


def test_a_follow_up_to_another_year_is_not_answered_from_the_2023_article(seed_engine):
    first = seed_engine.ask(CHAIR_QUESTION)
    assert not first.partial and "Phạm Hoàng Long" in first.short_answer
    asked = contextualize("Còn năm 2024 thì sao?", next_context(CHAIR_QUESTION, None))
    answer = seed_engine.ask(asked)
    assert answer.abstained or answer.partial
    assert answer.short_answer is None and not answer_text(answer).startswith("Thiếu tướng")
    if answer.partial:
        assert "năm 2024" in answer_text(answer).split("Gần nhất")[0]


def test_an_unaccented_question_answers_like_its_accented_form(seed_engine):
    plain = seed_engine.ask("thieu tuong tran chi tam giu chuc vu gi")
    accented = seed_engine.ask("Thiếu tướng Trần Chí Tâm giữ chức vụ gì?")
    assert not plain.abstained and not accented.abstained
    assert plain.understood_as == "thiếu tướng trần chí tâm giữ chức vụ gì" and accented.understood_as is None
    assert plain.short_answer == accented.short_answer and "Bí thư Đảng ủy Cục Chính trị" in plain.short_answer
    assert plain.citations[plain.short_source - 1].hit.passage.doc_id == CUC_CHINH_TRI_DOC
    who = seed_engine.ask("ai la cuc truong cuc chinh tri")
    assert "Lê Văn Thơ" in who.short_answer and who.citations[who.short_source - 1].hit.passage.doc_id == NGHI_QUYET_DOC


def test_a_when_question_gets_the_event_date_from_the_lead_not_a_documents_date(seed_engine):
    answer = seed_engine.ask("Hội nghị quán triệt chỉ thị về Đại hội Đảng của Cục Chính trị Quân khu diễn ra khi nào?")
    assert answer.short_answer == "25/11"  # the article has no publication date: no year to add
    article = answer.citations[answer.short_source - 1].hit.article
    assert article.doc_id == CUC_CHINH_TRI_DOC and article.text[answer.short_start:answer.short_end] == "25/11"
    assert answer_text(answer).startswith("25/11 [1]") and "Chiều 25/11" in answer_text(answer)
    dated = seed_engine.ask("Hội nghị tổng kết CTĐ, CTCT năm 2023 của Bộ Tham mưu Quân khu diễn ra ngày nào?")
    assert dated.short_answer == "05/01 (năm 2024)"


def test_a_how_many_question_gets_the_number_with_its_unit(seed_engine):
    answer = seed_engine.ask("Năm 2023, Cục Chính trị đã đưa bao nhiêu đảng viên về sinh hoạt ở nơi mình sinh sống?")
    assert answer.short_answer == "288 đảng viên"
