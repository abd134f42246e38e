"""Question constraints against articles: extraction, bound / present / conflict / absent, reranking."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from qa.index.bm25 import LexicalIndex
from qa.ingest.chunking import Passage
from qa.ingest.corpus import Article
from qa.language.text import fold_diacritics, sentence_spans
from qa.search.constraints import ABSENT, BOUND, CONFLICT, PRESENT, extract, missing_topic, rerank_by_constraints, verdicts
from qa.search.question import make_question
from qa.search.retrieve import Hit
from qa.settings import Settings

ARTICLES = [
    Article("y2023", "Bộ Tham mưu Quân khu: Tổng kết công tác đảng, công tác chính trị năm 2023",
            "Chiều 05/01, Bộ Tham mưu Quân khu tổ chức Hội nghị tổng kết công tác đảng, công tác chính trị năm 2023. "
            "Thiếu tướng Phạm Hoàng Long chủ trì hội nghị. Năm 2024, Bộ Tham mưu tiếp tục thi đua quyết thắng năm 2024.",
            date="2024-01-05"),
    Article("y2022", "Bộ Tham mưu Quân khu: Tổng kết công tác đảng, công tác chính trị năm 2022",
            "Chiều 06/01, Bộ Tham mưu Quân khu tổ chức Hội nghị tổng kết công tác đảng, công tác chính trị năm 2022, "
            "triển khai nhiệm vụ năm 2023. Thiếu tướng Cao Văn Thạch chủ trì hội nghị.", date="2023-01-06"),
    Article("games", "Bộ Tham mưu Quân khu tổ chức Đại hội Thi đua Quyết thắng giai đoạn 2019 – 2024",
            "Ngày 17/6, Bộ Tham mưu Quân khu tổ chức Đại hội Thi đua Quyết thắng giai đoạn 2019 – 2024. "
            "Đại hội khen thưởng 32 cá nhân.", date="2024-06-18"),
    Article("plan", "Cục Chính trị triển khai kế hoạch",
            "Chiều 25/11, Cục Chính trị quán triệt Kế hoạch số 1180 - KH/ĐU ngày 03/11/2024 và Chỉ thị số 11-CT/ĐU. "
            "Sư đoàn 389 và Quân khu 2 dự hội nghị.", date=None),
]


@dataclass
class StubIndex:
    """The reader interface the constraints use: sentence spans and BM25 statistics."""

    articles: list[Article]

    def __post_init__(self):
        self.bm25 = LexicalIndex.build(Path(tempfile.mkdtemp()) / "lexical", [f"{a.title}\n{a.text}" for a in self.articles])

    def article_sentences(self, doc_id):
        article = next(a for a in self.articles if a.doc_id == doc_id)
        return [(a, b, i) for i, (a, b) in enumerate(sentence_spans(article.text))]


@pytest.fixture(scope="module")
def index():
    return StubIndex(ARTICLES)


def kinds(question):
    return [(c.kind, c.text) for c in extract(question)]


def test_extracts_years_documents_dates_numbers_units_and_names():
    assert kinds("Ai chủ trì hội nghị tổng kết năm 2019 của Bộ CHQS tỉnh Lai Châu?") == [
        ("year", "2019"), ("name", "Bộ CHQS"), ("name", "Lai Châu")]
    assert ("document", "chi thi so 11") in kinds("chi thi so 11 cua dang uy quan khu ban hanh ngay nao")
    assert ("document", "Kế hoạch 1180") in kinds("Kế hoạch 1180 ra ngày nào?")
    assert kinds("Hội nghị ngày 25/11 có bao nhiêu đại biểu?") == [("date", "25/11")]
    assert kinds("Bao nhiêu chiến sĩ của Trung đoàn 741 tuyên thệ năm 2024?") == [("year", "2024"), ("name", "Trung đoàn 741")]
    assert kinds("Giao ban quý 1/2021 của QK2 ra sao?") == [("year", "2021"), ("name", "QK2")]
    assert kinds("Có bao nhiêu người chết ở Paris năm 1466?") == [("number", "1466")]
    assert kinds("Trước Manning, ai là thủ quân lớn tuổi nhất?") == []  # the first word starts no name
    assert kinds("Giá xăng hôm nay bao nhiêu?") == []


def test_the_year_binds_to_the_words_before_it_or_after_it_when_it_opens_the_question():
    (year,) = [c for c in extract("Ai chủ trì hội nghị tổng kết công tác đảng năm 2023?") if c.kind == "year"]
    assert {"tong_ket", "cong_tac", "hoi_nghi"} <= set(year.context) and "ai" not in year.context
    (year,) = [c for c in extract("Năm 2022, Cục Chính trị giới thiệu bao nhiêu đảng viên?") if c.kind == "year"]
    assert {"gioi_thieu", "dang_vien"} <= set(year.context)
    assert "cuc_chinh" not in year.context  # a year dates what happened, not to whom


def asked(question: str):
    return make_question(question, Settings())


def levels(index, question):
    found = verdicts(index, asked(question), ARTICLES)
    return {d: [level for _, level in v.levels] for d, v in found.items()}, found


def test_a_near_duplicate_of_another_year_conflicts_and_a_mention_elsewhere_is_no_evidence(index):
    question = "Ai chủ trì hội nghị tổng kết công tác đảng, công tác chính trị năm 2019 của Bộ Tham mưu Quân khu?"
    got, found = levels(index, question)
    assert got["y2023"][0] == CONFLICT and found["y2023"].conflict_years == ("2023",)
    assert got["y2022"][0] == CONFLICT and found["y2022"].conflict_years == ("2022",)
    assert got["games"][0] == ABSENT  # `giai đoạn 2019 – 2024` dates the emulation congress, not this meeting
    assert not any(v.complete for v in found.values())
    assert found["y2023"].only_years_missing()


def test_the_year_of_the_article_is_bound_and_plans_for_the_next_year_do_not_count(index):
    got, found = levels(index, "Ai chủ trì hội nghị tổng kết công tác đảng, công tác chính trị năm 2023 của Bộ Tham mưu Quân khu?")
    assert got["y2023"][0] == BOUND and found["y2023"].complete
    assert got["y2022"][0] == CONFLICT  # `triển khai nhiệm vụ năm 2023` is not the 2023 meeting
    got, _ = levels(index, "Ai chủ trì hội nghị tổng kết công tác đảng, công tác chính trị năm 2024 của Bộ Tham mưu Quân khu?")
    assert got["y2023"][0] == CONFLICT  # published in 2024 and full of 2024 plans, still the 2023 meeting


def test_documents_numbers_dates_and_units_are_present_or_absent(index):
    got, found = levels(index, "Kế hoạch số 1180 của Cục Chính trị ban hành ngày nào?")
    assert got["plan"][0] == PRESENT and got["y2023"][0] == ABSENT and not found["y2023"].complete
    assert levels(index, "chi thi so 11 ban hanh ngay nao")[0]["plan"] == [PRESENT]
    assert levels(index, "Hội nghị chiều 25/11 do ai chủ trì?")[0]["plan"] == [PRESENT]
    assert levels(index, "Hội nghị chiều 5/1 do ai chủ trì?")[0]["y2023"] == [PRESENT]  # the publication date
    assert levels(index, "Sư đoàn 389 làm gì?")[0] == {a.doc_id: [PRESENT if a.doc_id == "plan" else ABSENT] for a in ARTICLES}
    assert levels(index, "QK2 dự hội nghị nào?")[0]["plan"] == [PRESENT]  # `Quân khu 2` spelled out
    got, found = levels(index, "Đại hội khen thưởng 32 cá nhân hay 45 cá nhân?")
    assert got["games"] == [PRESENT, ABSENT] and found["games"].complete  # a bare number only ranks


def test_rerank_moves_the_article_that_satisfies_the_year_above_its_near_duplicate(index):
    def hit(article, score, rank):
        passage = Passage(f"{article.doc_id}#0", article.doc_id, article.text, 0, len(article.text))
        return Hit(passage, article, score, rank, score, rank, score, rank)

    hits = [hit(ARTICLES[1], 2.0, 1), hit(ARTICLES[0], 1.9, 2), hit(ARTICLES[3], 0.5, 3)]
    question = "Ai chủ trì hội nghị tổng kết công tác đảng, công tác chính trị năm 2023 của Bộ Tham mưu Quân khu?"
    reranked = rerank_by_constraints(index, asked(question), hits)
    assert [h.article.doc_id for h in reranked][:2] == ["y2023", "y2022"]
    assert [h.fused_rank for h in reranked] == [1, 2, 3]
    assert rerank_by_constraints(index, asked("Ai chủ trì hội nghị?"), hits) == hits  # nothing stated, nothing moved
    assert rerank_by_constraints(index, asked(question), hits, weight=0) == hits


def test_the_missing_topic_is_named_from_the_event_noun():
    question = "Ai chủ trì hội nghị tổng kết công tác đảng, công tác chính trị năm 2019 của Bộ Tham mưu Quân khu?"
    assert missing_topic(question, "2019") == "hội nghị tổng kết công tác đảng, công tác chính trị năm 2019 của Bộ Tham mưu Quân khu"
    assert missing_topic("Năm 2019 ai đứng đầu?", "2019") == "nội dung này năm 2019"


def test_questions_without_diacritics_are_checked_the_same_way(index):
    question = "Ai chủ trì hội nghị tổng kết công tác đảng, công tác chính trị năm 2024 của Bộ Tham mưu Quân khu?"
    assert levels(index, fold_diacritics(question).lower())[0]["y2023"][0] == CONFLICT
