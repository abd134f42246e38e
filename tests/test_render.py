"""What the chat and `qa ask` show: the short answer in bold, cited sources marked, others unmarked, no raw scores."""

from __future__ import annotations

import re
from dataclasses import replace

from qa.answer.result import NO_HITS, TOO_FAR, YEAR_MISSING, Answer, Citation, Partial, ShortAnswer, span_of
from qa.ingest.chunking import Passage
from qa.ingest.corpus import Article
from qa.render.data import answer_to_dict
from qa.render.html import answer_html
from qa.render.plain import answer_text, cli_text
from qa.search.constraints import ABSENT, BOUND, CONFLICT, Constraint, Verdict
from qa.search.retrieve import Hit

LEAD = "Chiều 05/01, Bộ Tham mưu tổ chức hội nghị. Thiếu tướng Phạm Hoàng Long chủ trì hội nghị."
CAPTION = "Quang cảnh hội nghị."


def _citation(doc_id: str, text: str, sentence: tuple[int, int], score: float) -> Citation:
    article = Article(doc_id, f"Bài {doc_id}", text, date="2024-01-05")
    hit = Hit(Passage(f"{doc_id}#0", doc_id, text, 0, len(text)), article, score, 1, 0.9, 1, 3.2, 1)
    return Citation(hit, *sentence)


def _answer(**extra) -> Answer:
    start = LEAD.index("Thiếu tướng")
    cited = _citation("a", LEAD, (start, len(LEAD)), -0.35)
    other = _citation("b", CAPTION, (0, len(CAPTION)), -1.25)
    citations = extra.pop("citations", (cited, other))
    short = "Thiếu tướng Phạm Hoàng Long"
    values = {"short": ShortAnswer(short, 1, span_of(citations, 1, start, start + len(short)), score=0.9),
              "evidence": (span_of(citations, 1, start, len(LEAD)),), "confidence": 0.9, "confident": True,
              "confidence_parts": {"reader": 0.9, "weak_evidence": False, "evidence_factor": 1.0, "confident_at": 0.5}}
    values.update(extra)
    return Answer(citations, False, **values)


def _visible(html: str) -> str:
    """The answer as it shows before anything is opened: without the content of folded <details>."""
    out, depth, i = [], 0, 0
    for match in re.finditer(r"<details[^>]*>|</details>|<summary[^>]*>.*?</summary>", html, re.S):
        if depth == 0:
            out.append(html[i:match.start()])
        tag = match.group(0)
        if tag.startswith("<summary") and depth == 1:
            out.append(tag)
        depth += 1 if tag.startswith("<details") else -1 if tag == "</details>" else 0
        i = match.end()
    out.append(html[i:] if depth == 0 else "")
    return "".join(out)


def test_the_short_answer_is_bold_then_one_evidence_sentence_with_the_span_marked():
    """Issue 16, item 3: the name shows twice (bold, then marked inside its sentence), never three times."""
    html = answer_html(_answer(), question="Ai chủ trì hội nghị?")
    assert re.search(r'class="qa-short"[^>]*><strong>Thiếu tướng Phạm Hoàng Long</strong>', html)
    assert html.index("qa-short") < html.index("qa-evidence") < html.index("qa-sources") < html.index("Nguồn khác")
    evidence = re.search(r'class="qa-evidence"[^>]*>(.*?)</p>', html).group(1)
    assert evidence == "<mark>Thiếu tướng Phạm Hoàng Long</mark> chủ trì hội nghị. <strong>[1]</strong>"
    shown = _visible(html)
    assert shown.count("Phạm Hoàng Long") == 2  # bold, and inside the evidence; the source line does not repeat it
    assert "[1]</strong> Bài a" in shown and "05/01/2024" in shown  # the source: one line, title and date
    assert "Quang cảnh" not in shown and "Nguồn khác (1)" in shown  # the uncited source folded away
    assert "-0.35" not in html and "-1.25" not in html  # ranks, never negative scores


def test_sources_open_on_the_full_passage_and_only_cited_ones_are_marked():
    html = answer_html(_answer())
    cited = html[html.index('class="qa-source"'):html.index("Nguồn khác")]
    assert "<mark>Thiếu tướng Phạm Hoàng Long chủ trì hội nghị.</mark>" in cited and "Chiều 05/01" in cited
    other = html[html.index("Nguồn khác"):html.index("qa-why")]
    assert "qa-source-other" in other and "<mark>" not in other and CAPTION in other


def test_a_second_cited_source_shows_its_own_sentence_in_its_line():
    first = _answer()
    second = _citation("c", "Đại tá Lê Văn A dự hội nghị.", (0, 28), 0.5)
    citations = (first.citations[0], second)
    answer = replace(first, citations=citations, evidence=first.evidence + (span_of(citations, 2, 0, 28),))
    shown = _visible(answer_html(answer))
    assert "<em>«Đại tá Lê Văn A dự hội nghị.»</em>" in shown and "Nguồn khác" not in shown


def test_a_low_confidence_answer_says_so_above_the_short_answer():
    html = answer_html(_answer(confident=False, confidence=0.3))
    assert html.index("qa-unsure") < html.index("qa-short") and "Chưa chắc chắn" in html
    assert "chưa chắc chắn" in html[html.index("qa-why"):] and "0,30, dưới ngưỡng 0,50" in html
    assert "qa-unsure" not in answer_html(_answer())


def test_why_explains_in_words_and_keeps_ids_and_scores_in_the_technical_fold():
    html = answer_html(_answer(), question="Ai chủ trì hội nghị của Bộ Tham mưu năm 2024?")
    why = html[html.index('class="qa-why"'):]
    words = why[:why.index('class="qa-tech"')]
    assert "nguồn [1], bài «Bài a» (đăng ngày 05/01/2024)" in words
    assert "«chủ trì hội nghị»" in words  # the sentence shares these words with the question
    assert "Không có trong câu đó: «Bộ Tham mưu năm 2024»" in words
    assert "thứ 1 khi tìm theo nghĩa" in words and "thứ 1 khi tìm theo từ khóa" in words
    assert "a#0" not in words and "0,9" not in words  # no ids, no scores outside the fold
    technical = why[why.index('class="qa-tech"'):]
    assert "Chi tiết kỹ thuật" in technical and "a#0" in technical and "#1 (0,9000)" in technical and "#1 (3,200)" in technical


YEAR_2024 = Constraint("year", "2024", "2024", ("tong_ket",))


def test_why_says_which_article_the_verdicts_set_aside_and_nothing_else():
    """The exclusion is the verdict retrieval applied (a conflict with the headline's year), not a re-found year."""
    first = _answer()
    other_year = _citation("d", "Hội nghị năm 2022 diễn ra.", (0, 25), -1.0)
    conflict = Verdict(((YEAR_2024, CONFLICT),), ("2022",))
    other_year = Citation(Hit(other_year.hit.passage, Article("d", "Tổng kết năm 2022", other_year.hit.article.text),
                              -1.0, 2, 0.8, 2, 2.0, 2), 0, 25, conflict)
    # An article whose title names 2022 but whose verdict says it is about the year asked: not set aside.
    kept = _citation("e", "Tổng kết năm 2024: năm 2022 đã qua.", (0, 10), -1.1)
    kept = replace(kept, verdict=Verdict(((YEAR_2024, BOUND),)))
    absent = replace(_citation("f", "Một bài khác.", (0, 13), -1.2), verdict=Verdict(((YEAR_2024, ABSENT),)))
    answer = replace(first, citations=(first.citations[0], other_year, kept, absent))
    why = answer_html(answer, question="Ai chủ trì hội nghị tổng kết năm 2024?")
    assert ("Bài [2] «Tổng kết năm 2022» không được dùng làm căn cứ: bài nói về năm 2022, không phải năm «2024» mà câu hỏi nêu."
            in why)
    assert "Bài [4] «Bài f» không được dùng làm căn cứ: bài không nói đến năm «2024» mà câu hỏi nêu." in why
    assert "Bài [3]" not in why and "Bài [1]" not in why
    data = answer_to_dict(answer)
    assert [s["eligible"] for s in data["sources"]] == [True, False, True, False]
    assert data["sources"][1]["constraints"] == [{"kind": "year", "text": "2024", "level": "conflict"}]
    assert data["sources"][1]["conflict_years"] == ["2022"]


def test_a_sentence_holding_a_bracketed_number_is_text_never_a_citation():
    """An article writes "[3]": it is printed as written, and neither counted nor bolded as a source."""
    text = "Theo báo cáo [3], đơn vị có 120 chiến sĩ. Họ huấn luyện tốt."
    cited = _citation("a", text, (0, 41), 0.5)
    others = tuple(_citation(x, f"Bài {x}.", (0, 6), 0.1) for x in "bcd")
    citations = (cited, *others)
    answer = Answer(citations, False, short=ShortAnswer("120 chiến sĩ", 1, span_of(citations, 1, 28, 40), score=0.8),
                    evidence=(span_of(citations, 1, 0, 41),), confidence=0.8, confident=True)
    assert answer.cited == (1,)
    assert answer_text(answer) == "120 chiến sĩ [1]\nTheo báo cáo [3], đơn vị có 120 chiến sĩ. [1]"
    page = cli_text(answer)
    assert page.index("Nguồn khác:") < page.index("[3] Bài c")
    assert "[3] Bài c" not in page[page.index("Nguồn:"):page.index("Nguồn khác:")]
    html = answer_html(answer)
    assert "<strong>[3]</strong>" not in html[:html.index("qa-sources")] and "báo cáo [3], đơn vị" in html
    assert "Nguồn khác (3)" in html
    assert answer_to_dict(answer)["cited"] == [1] and [s["cited"] for s in answer_to_dict(answer)["sources"]] == [
        True, False, False, False]


def test_an_abstention_explains_why_without_guessing():
    html = answer_html(Answer((), True, NO_HITS), question="Giá xăng hôm nay?")
    assert "qa-abstained" in html and "Vì sao?" in html and "không trả về bài nào" in html and "qa-tech" not in html
    far = answer_html(Answer(_answer().citations, True, TOO_FAR, confidence_parts={"best_similarity": 0.8, "best_coverage": 0.1}))
    assert "thay vì đoán" in far and "mức 0,800" in far and "10% từ khóa" in far
    assert "qa-sources" not in far  # an abstention lists no sources


def test_the_restored_question_and_a_partial_answer_are_shown_as_such():
    base = _answer()
    partial = Answer(base.citations, False, YEAR_MISSING, evidence=base.evidence, partial=Partial("2019", "hội nghị năm 2019", "2023", 1),
                     understood_as="ai chủ trì hội nghị năm 2019")
    html = answer_html(partial, asked_as="ai chu tri hoi nghi nam 2019")
    assert "Hiểu câu hỏi là: <em>ai chủ trì hội nghị năm 2019</em>" in html
    assert "qa-partial" in html and "qa-short" not in html
    assert answer_text(partial) == ("Kho không có bài về hội nghị năm 2019. Gần nhất: năm 2023 — "
                                    "Thiếu tướng Phạm Hoàng Long chủ trì hội nghị. [1]")
    assert answer_to_dict(partial)["missing"] == {"year": "2019", "topic": "hội nghị năm 2019", "nearest_year": "2023", "source": 1}


def test_text_output_lists_cited_sources_then_the_others_without_scores():
    text = cli_text(_answer(understood_as="thiếu tướng nào chủ trì"))
    assert text.startswith("Hiểu câu hỏi là: thiếu tướng nào chủ trì\n\nThiếu tướng Phạm Hoàng Long [1]")
    assert text.index("Nguồn:") < text.index("[1] Bài a") < text.index("Nguồn khác:") < text.index("[2] Bài b")
    assert "«Thiếu tướng Phạm Hoàng Long chủ trì hội nghị.»" in text and "«Quang cảnh" not in text
    assert "-0.35" not in text and "điểm" not in text


def test_why_lists_exactly_the_articles_the_real_verdicts_excluded(fake_engine):
    """End to end: the retrieved articles that «Vì sao?» says were set aside are those whose verdict was incomplete."""
    from tests.conftest import CHAIR_QUESTION

    answer = fake_engine.ask(CHAIR_QUESTION, k=5)
    excluded = {n for n, c in enumerate(answer.citations, 1) if not c.eligible}
    assert excluded and all(c.verdict is not None for c in answer.citations)  # the question pins the year 2023
    html = answer_html(answer, question=CHAIR_QUESTION)
    said = {int(n) for n in re.findall(r"Bài \[(\d+)\] «[^»]*» không được dùng làm căn cứ", html)}
    assert said == excluded


def test_an_unsure_answer_is_marked_once_in_the_chat():
    html = answer_html(_answer(confident=False, confidence=0.3))
    shown = html[:html.index("qa-why")]
    assert shown.count("Chưa chắc chắn") + shown.count("chưa chắc chắn") == 1
