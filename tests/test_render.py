"""What the chat and `qa ask` show: the short answer in bold, cited sources marked, others unmarked, no raw scores."""

from __future__ import annotations

import re

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
    values = {"short_answer": short, "short_source": 1, "short_start": start, "short_end": start + len(short)}
    values.update(extra)
    return Answer(text, (cited, other), False, **values)


def test_the_short_answer_is_bold_above_the_evidence_and_only_cited_sources_are_marked():
    html = answer_html(_answer())
    assert re.search(r'class="qa-short"[^>]*><strong>Thiếu tướng Phạm Hoàng Long <strong>\[1\]</strong></strong>', html)
    assert html.index("qa-short") < html.index("qa-evidence") < html.index("Nguồn khác")
    assert html.count("<mark>") == 1 and "<mark>Thiếu tướng Phạm Hoàng Long chủ trì hội nghị.</mark>" in html
    other = html[html.index("Nguồn khác"):]
    assert "qa-source-other" in other and "<mark>" not in other.split("<details>")[0]
    assert "-0.35" not in html and "-1.25" not in html  # ranks, never negative scores
    assert "điểm" not in html.split("<details>")[0]


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
