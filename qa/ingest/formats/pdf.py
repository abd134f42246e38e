"""PDF articles: the text layer (pypdf), lines joined back into paragraphs, page numbers and running headers left
out. A PDF without a text layer (a scan) is refused with a line saying it needs OCR: an empty article would
only hide it. pypdf and pdfminer.six read the same Vietnamese (composed, or with combining tone marks) on the
benchmark's PDFs; pypdf is the faster (eval/reports/extraction.md)."""

from __future__ import annotations

import io
import logging
import re
import statistics
from collections import Counter

from qa.ingest.formats.document import Document, from_lines
from qa.language.text import normalize

NO_TEXT_LAYER = "PDF không có lớp chữ (có lẽ là bản quét), cần OCR trước khi đưa vào kho"
_PAGE_NUMBER_RE = re.compile(r"^(?:Trang\s+)?\d{1,4}(?:\s*/\s*\d{1,4})?$", re.I)
_SENTENCE_END = (".", "!", "?", "…", ":", "»", "\"", "”")
# A line that opens a block of its own even after a full line: a byline, a source, a dateline.
_OPENS_BLOCK_RE = re.compile(r"^(?:(?:Tin|Bài|Ảnh|Theo|Nguồn)(?:,?\s*(?:và\s+)?(?:ảnh|bài))?\s*:|Thứ\s|Ngày\s+\d)", re.I)
_MACHINE_TITLE_RE = re.compile(r"^(?:Microsoft Word - .*|untitled|Untitled.*|.*\.(?:docx?|pdf|odt))$")


def pdf_pages(data: bytes, library: str = "pypdf") -> list[list[str]]:
    """Each page's text lines, from pypdf (the default) or pdfminer.six (for the benchmark)."""
    if library == "pdfminer":
        from pdfminer.high_level import extract_text

        pages = extract_text(io.BytesIO(data)).split("\f")
    else:
        import pypdf

        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ValueError("PDF có mật khẩu, hãy lưu lại bản không khóa")
        pages = [page.extract_text() or "" for page in reader.pages]
    return [[" ".join(line.split()) for line in normalize(page).splitlines() if line.strip()] for page in pages]


def pdf_title(data: bytes) -> str | None:
    import pypdf

    title = pypdf.PdfReader(io.BytesIO(data)).metadata
    title = normalize(str(title.title)).strip() if title and title.title else ""
    return title if title and not _MACHINE_TITLE_RE.match(title) else None


def paragraphs(pages: list[list[str]]) -> list[str]:
    """Lines joined into paragraphs: a line as long as the text's full lines goes on in the next one; a shorter
    line (a paragraph's last, a heading) ends its paragraph. Lines on most pages (running headers, footers) and
    page numbers are dropped."""
    repeated = Counter(line for page in pages for line in set(page))
    many = len(pages) > 1
    lines = [line for page in pages for line in page
             if not _PAGE_NUMBER_RE.match(line) and not (many and repeated[line] > len(pages) / 2)]
    if not lines:
        return []
    full = statistics.median(sorted(len(line) for line in lines)[len(lines) // 2 :])
    out, current = [], []
    for line in lines:
        if current and _OPENS_BLOCK_RE.match(line):
            out.append(" ".join(current))
            current = []
        current.append(line)
        if len(line) < 0.8 * full or (line.endswith(_SENTENCE_END) and len(line) < 0.9 * full):
            out.append(" ".join(current))
            current = []
    if current:
        out.append(" ".join(current))
    return out


def read_pdf(data: bytes, library: str = "pypdf") -> Document:
    for name in ("pypdf", "pdfminer"):  # their English warnings about damaged files: the reason comes as our ValueError
        logging.getLogger(name).setLevel(logging.ERROR)
    try:
        pages = pdf_pages(data, library)
        title = pdf_title(data)
    except ValueError:
        raise
    except Exception as exc:  # a damaged file: pypdf and pdfminer raise many kinds of errors
        raise ValueError(f"không đọc được PDF ({type(exc).__name__}): tệp hỏng hoặc không phải PDF") from None
    if sum(len(line) for page in pages for line in page) < 20:
        raise ValueError(NO_TEXT_LAYER)
    return from_lines(paragraphs(pages), title)
