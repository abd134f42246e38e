"""Names that come from files (report names, evaluation file names, index folders) put into Markdown as text:
a name like `[x](javascript:…) <img src=x onerror=…>.jsonl` must show as those characters, never as a link or
an image."""

from __future__ import annotations

import re
from html import escape

# Every ASCII punctuation character may be backslash-escaped in CommonMark; these start Markdown constructs.
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>:])")


def markdown_text(name: object) -> str:
    """`name` as literal text inside Markdown (and the HTML that Markdown lets through)."""
    flat = " ".join(str(name).split())  # no line breaks: a name stays on its line
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", escape(flat, quote=False))


def report_as_text(report: dict) -> dict:
    """A copy of an evaluation report whose names (shown in the index tab's Markdown) are literal text."""
    shown = dict(report)
    if isinstance(report.get("source"), dict):
        shown["source"] = {k: markdown_text(v) if isinstance(v, str) else v for k, v in report["source"].items()}
    if isinstance(report.get("dataset"), str):
        shown["dataset"] = markdown_text(report["dataset"])
    if isinstance(report.get("modes"), dict):
        shown["modes"] = {markdown_text(mode): values for mode, values in report["modes"].items()}
    return shown
