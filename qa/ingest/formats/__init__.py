"""Article files that are not plain text: saved web pages (`.html`, `.htm`), PDF (`.pdf`) and Word (`.docx`).

Each reader gives a `Document`: the article's text, one paragraph a line, and what the file itself says of its
title, date and author. qa.ingest.corpus turns it into an `Article` with the same cleaning as scraped text
(so one article saved as a page and as `.txt` has one text). One file is one article: a PDF or Word file
holding several articles is read as one.

Nothing here imports qa.ingest.corpus (it imports this package, lazily): the libraries (lxml, trafilatura,
pypdf, python-docx) are loaded only when such a file is read."""

from __future__ import annotations

from qa.ingest.formats.document import Document

HTML_SUFFIXES = (".html", ".htm")
DOCUMENT_SUFFIXES = (*HTML_SUFFIXES, ".pdf", ".docx")
__all__ = ["DOCUMENT_SUFFIXES", "Document", "read_document"]


def read_document(suffix: str, data: bytes) -> Document:
    """The document in a file's bytes, by its suffix; ValueError with a Vietnamese reason when it has no article."""
    if suffix in HTML_SUFFIXES:
        from qa.ingest.formats.html import read_html

        return read_html(data)
    if suffix == ".pdf":
        from qa.ingest.formats.pdf import read_pdf

        return read_pdf(data)
    if suffix == ".docx":
        from qa.ingest.formats.docx import read_docx

        return read_docx(data)
    raise ValueError(f"không đọc được tệp {suffix}")
