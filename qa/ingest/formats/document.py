"""What a format reader gives: the article's text and what the file says about it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Document:
    text: str  # paragraphs, one a line
    title: str | None = None
    date: str | None = None  # YYYY-MM-DD
    author: str | None = None
    url: str | None = None


def from_lines(lines: list[str], title: str | None = None, author: str | None = None) -> Document:
    """A document out of a file's paragraphs: a dateline among the first lines is the date (and not text)."""
    from qa.ingest.formats.dates import DATELINE_RE, vietnamese_date

    kept, date = [], None
    for number, line in enumerate(lines):
        line = " ".join(line.split())
        if not line:
            continue
        if date is None and number < 8 and DATELINE_RE.match(line):
            date = vietnamese_date(line)
            continue
        kept.append(line)
    return Document("\n".join(kept), title or None, date, author)
