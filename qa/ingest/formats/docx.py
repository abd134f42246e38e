"""Word (`.docx`) articles, with python-docx: paragraphs and table rows in order; the title from the file's
properties or its first heading («Title» or «Heading» style)."""

from __future__ import annotations

import io

from qa.ingest.formats.document import Document, from_lines
from qa.language.text import normalize


def read_docx(data: bytes) -> Document:
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # not a zip, no document part…: python-docx raises several kinds
        raise ValueError(f"không đọc được tệp Word ({type(exc).__name__}): tệp hỏng hoặc không phải .docx") from None
    title = normalize(document.core_properties.title or "").strip() or None
    lines = []
    for paragraph in document.paragraphs:
        text = normalize(paragraph.text).strip()
        if not text:
            continue
        style = (paragraph.style.name or "") if paragraph.style is not None else ""
        if title is None and not lines and style.startswith(("Title", "Heading")):
            title = text
            continue
        lines.append(text)
    for table in document.tables:  # after the text: python-docx does not say where a table stood
        for row in table.rows:
            cells = [normalize(cell.text).strip() for cell in row.cells]
            if any(cells):
                lines.append(" | ".join(dict.fromkeys(c for c in cells if c)))
    if not lines:
        raise ValueError("tệp Word không có đoạn văn nào")
    return from_lines(lines, title)
