"""Photo captions, credits and navigation text are recognized at ingest, stay searchable, and are never evidence."""

from __future__ import annotations

import pytest

from qa.ingest.statements import CAPTION, CREDIT, NAVIGATION, STATEMENT, line_kind, sentence_kinds
from qa.language.text import sentence_spans


@pytest.mark.parametrize("line, kind", [
    ("Quang cảnh Hội nghị.", CAPTION),
    ("Các đại biểu tham dự hội nghị.", CAPTION),
    ("Toàn cảnh buổi lễ xuất quân", CAPTION),
    ("Thiếu tướng Phạm Hoàng Long chứng kiến các đơn vị ký kết giao ước thi đua năm 2024", CAPTION),
    ("Lãnh đạo Quân khu chụp ảnh lưu niệm với các điển hình tiên tiến.", CAPTION),
    ("Đại tá Nguyễn Văn A phát biểu tại hội nghị. (Ảnh: Thu Hà)", CAPTION),
    ("Ảnh: Thu Hà", CREDIT),
    ("Tin, ảnh: VĂN DƯƠNG", CREDIT),
    ("Nguyễn Hoàng", CREDIT),
    ("Quang Nhất (Bộ CHQS tỉnh)", CREDIT),
    ("Trả lời", NAVIGATION),
    ("Các tin khác:", NAVIGATION),
    ("Chia sẻ Facebook Zalo", NAVIGATION),
    ("Thiếu tướng Phạm Hoàng Long, Tham mưu trưởng Quân khu chủ trì hội nghị.", STATEMENT),
    ("Năm 2023, Bộ Tham mưu đã trao danh hiệu “Đơn vị Quyết thắng” cho 11 tập thể.", STATEMENT),
    ("Chiều 05/01, Bộ Tham mưu Quân khu tổ chức hội nghị tổng kết công tác đảng, công tác chính trị năm 2023 "
     "và triển khai nhiệm vụ năm 2024, dưới sự chủ trì của Thiếu tướng Phạm Hoàng Long", STATEMENT),
])
def test_line_kinds(line, kind):
    assert line_kind(line) == kind


def test_a_sentence_inside_a_paragraph_is_a_statement_whatever_it_says():
    text = ("Hội nghị diễn ra tại Hội trường Bộ Tham mưu.\n\nQuang cảnh Hội nghị.\n\n"
            "Quang cảnh hội nghị cho thấy sự chuẩn bị chu đáo. Các đại biểu đã thảo luận sôi nổi.")
    kinds = sentence_kinds(text, sentence_spans(text))
    assert kinds == [STATEMENT, CAPTION, STATEMENT, STATEMENT]


def test_a_caption_is_never_evidence_but_stays_searchable(fake_engine):
    index = fake_engine.refresh()
    doc = "000_a14a30c824323fdb"
    every = _texts(index, doc, False)
    statements = _texts(index, doc, True)
    assert "Quang cảnh Hội nghị." in every and "Quang cảnh Hội nghị." not in statements
    assert len(statements) < len(every)
    # still found by search: the caption's words retrieve its article
    hits = fake_engine.search("Quang cảnh Hội nghị")
    assert any(h.article.doc_id == doc for h in hits)
    shown_any = 0
    for question in ("Hội nghị diễn ra ở đâu?", "Quang cảnh hội nghị thế nào?", "Các đại biểu tham dự hội nghị nào?"):
        answer = fake_engine.ask(fake_engine.question(question))
        shown = [span.text.strip() for span in answer.evidence]
        if answer.short is not None and answer.short.span is not None:
            c = answer.citations[answer.short.source - 1]
            shown.append(c.hit.article.text[c.sentence_start:c.sentence_end].strip())
        shown_any += len(shown)
        for text in shown:
            assert not text.startswith("Quang cảnh") and not text.startswith("Các đại biểu tham dự"), (question, text)
    assert shown_any  # these questions were answered with evidence, just not with a caption


def _texts(index, doc: str, statements_only: bool) -> list[str]:
    text = index.article(doc).text
    return [text[a:b].strip() for a, b, _ in index.article_sentences(doc, statements_only=statements_only)]
