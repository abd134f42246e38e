"""Issue 23, item 9: file and report names are shown as text in the index tab, never as Markdown or HTML.
An evaluation file named `[x](javascript:…) <img src=x onerror=…>.jsonl` rendered a real link and image."""

from __future__ import annotations

import json

from markdown_it import MarkdownIt

from ui.plain_text import markdown_text
from ui.report import latest_report

HOSTILE = "[x](javascript:alert(1)) <img src=x onerror=alert(1)> **đậm** `mã` # tiêu đề | ô"


def _html(markdown: str) -> str:
    return MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)  # Gradio's Markdown allows HTML


def test_a_hostile_name_is_literal_text():
    html = _html(markdown_text(HOSTILE))
    for tag in ("<a", "<img", "<strong", "<code", "<h1"):
        assert tag not in html, html
    assert "[x](javascript:alert(1))" in html and "&lt;img src=x onerror=alert(1)&gt;" in html and "**đậm**" in html


def test_the_index_tab_shows_a_hostile_report_and_file_name_as_text(tmp_path):
    folder = tmp_path / "danh-gia"
    folder.mkdir()
    report = {"dataset": HOSTILE, "questions": 3, "settings": {}, "modes": {"hybrid": {"recall@1": 0.5}, HOSTILE: {"recall@1": 1.0}},
              "source": {"kind": "questions", "file": HOSTILE + ".jsonl", "index": HOSTILE}}
    (folder / "x](javascript:alert(1)) <img src=x onerror=alert(1)>.json").write_text(json.dumps(report), encoding="utf-8")
    markdown, _ = latest_report((folder,), tmp_path / "plots")
    html = _html(markdown)
    assert "<a" not in html and "<img" not in html, html
    assert html.count("onerror=alert(1)&gt;") >= 3  # the file name, the question file, the index: all shown
