"""What the chat and `qa ask` show: the short answer in bold, cited sources marked, others unmarked, no raw scores."""

from __future__ import annotations

import re
from types import SimpleNamespace

from qa.answer.answerer import Answer, Citation
from qa.engine import render_text
from qa.ingest.chunking import Passage
from qa.ingest.corpus import Article
from qa.search.retrieve import Hit
from ui.render import answer_html

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
    short = "Thiếu tướng Phạm Hoàng Long"
    text = f"{short} [1]\n{LEAD[start:]} [1]"
    values = {"short_answer": short, "short_source": 1, "short_start": start, "short_end": start + len(short),
              "confidence": 0.9, "confident": True}
    values.update(extra)
    return Answer(text, (cited, other), False, **values)


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
    answer = Answer(first.text + " Đại tá Lê Văn A dự hội nghị. [2]", (first.citations[0], second), False,
                    short_answer="Thiếu tướng Phạm Hoàng Long", short_source=1, short_start=first.short_start,
                    short_end=first.short_end)
    shown = _visible(answer_html(answer))
    assert "<em>«Đại tá Lê Văn A dự hội nghị.»</em>" in shown and "Nguồn khác" not in shown


def test_a_low_confidence_answer_says_so_above_the_short_answer():
    html = answer_html(SimpleNamespace(**{**_answer().__dict__, "confident": False}))
    assert html.index("qa-unsure") < html.index("qa-short") and "Chưa chắc chắn" in html
    assert "chưa chắc chắn" in html[html.index("qa-why"):]
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


def test_why_says_which_article_of_another_year_was_set_aside():
    first = _answer()
    other_year = _citation("d", "Hội nghị năm 2022 diễn ra.", (0, 25), -1.0)
    other_year = Citation(Hit(other_year.hit.passage, Article("d", "Tổng kết năm 2022", other_year.hit.article.text),
                              -1.0, 2, 0.8, 2, 2.0, 2), 0, 25)
    answer = Answer(first.text, (first.citations[0], other_year), False, short_answer=first.short_answer, short_source=1,
                    short_start=first.short_start, short_end=first.short_end)
    why = answer_html(answer, question="Ai chủ trì hội nghị tổng kết năm 2024?")
    assert "Bài [2] «Tổng kết năm 2022» nói về năm 2022, không phải năm 2024 mà câu hỏi nêu" in why


def test_an_abstention_explains_why_without_guessing():
    html = answer_html(Answer("Không tìm thấy thông tin trong kho bài viết.", (), True), question="Giá xăng hôm nay?")
    assert "qa-abstained" in html and "Vì sao?" in html and "thay vì đoán" in html and "qa-tech" not in html


def test_the_restored_question_and_a_partial_answer_are_shown_as_such():
    partial = Answer("Kho không có bài về hội nghị năm 2019. Gần nhất: năm 2023 — … [1]", _answer().citations, False,
                     partial=True, understood_as="ai chủ trì hội nghị năm 2019")
    html = answer_html(partial, asked_as="ai chu tri hoi nghi nam 2019")
    assert "Hiểu câu hỏi là: <em>ai chủ trì hội nghị năm 2019</em>" in html
    assert "qa-partial" in html and "qa-short" not in html


def test_text_output_lists_cited_sources_then_the_others_without_scores():
    text = render_text(_answer(understood_as="thiếu tướng nào chủ trì"))
    assert text.startswith("Hiểu câu hỏi là: thiếu tướng nào chủ trì\n\nThiếu tướng Phạm Hoàng Long [1]")
    assert text.index("Nguồn:") < text.index("[1] Bài a") < text.index("Nguồn khác:") < text.index("[2] Bài b")
    assert "«Thiếu tướng Phạm Hoàng Long chủ trì hội nghị.»" in text and "«Quang cảnh" not in text
    assert "-0.35" not in text and "điểm" not in text
