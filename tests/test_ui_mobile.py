"""Issue 25, items 5 and 7: the chat on a phone (390×844) and a tablet (768×1024), day-first dates in the date
boxes, and the Vietnamese API page. Element boxes in a real Chromium against the real server, not pixels."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import CHAIR_QUESTION, ROOT
from playwright.sync_api import expect
from ui_fixtures import ANSWER_TIMEOUT_MS, ask, free_port, question_box

from ui.api_doc import API_DOC_PATH
from ui.server import start_server

SCREENS = {"phone": (390, 844), "tablet": (768, 1024)}
# Every word of every table cell on one line: a word split over two lines has two client rects.
BROKEN_WORDS_JS = """(selector) => {
  const broken = [];
  for (const cell of document.querySelectorAll(selector)) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const re = /[^\\s/\\-–]+/g;  // a line may break at a space, a slash or a hyphen, never inside a word
      let m;
      while ((m = re.exec(node.data))) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const lines = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
        if (lines.size > 1) broken.push(m[0]);
      }
    }
  }
  return broken;
}"""


@pytest.fixture(params=list(SCREENS), ids=list(SCREENS))
def small_page(request, browser, ui_server):
    width, height = SCREENS[request.param]
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(ui_server.url)
    expect(question_box(page)).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    yield page
    page.close()


def _on_screen(page, locator) -> bool:
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def test_on_the_empty_page_the_question_box_is_on_the_first_screen(small_page):
    assert small_page.evaluate("scrollY") == 0
    assert _on_screen(small_page, question_box(small_page))
    assert _on_screen(small_page, small_page.get_by_role("button", name="Hỏi"))


def test_the_latest_short_answer_is_on_screen_once_it_arrives(small_page):
    for question in (CHAIR_QUESTION, "Ai là Cục trưởng Cục Chính trị?"):
        answer = ask(small_page, question)
        expect(answer.locator(".qa-short")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
        small_page.wait_for_timeout(600)  # the scroll to the new answer is over
        assert _on_screen(small_page, answer.locator(".qa-short")), question
        assert _on_screen(small_page, small_page.locator('[data-testid="user"]').last), question  # and its question above it


@pytest.fixture(scope="module")
def project_report_server(ui_server, tmp_path_factory):
    """The seed index with the project's own XQuAD report (three search modes: the widest table) in the index tab."""
    reports = tmp_path_factory.mktemp("reports")
    shutil.copy(ROOT / "eval" / "reports" / "xquad.vi.json", reports / "xquad.vi.json")
    server = start_server(ui_server.settings, port=free_port(), reports_dir=(tmp_path_factory.mktemp("own"), reports))
    yield server
    server.close()


@pytest.mark.parametrize("screen", list(SCREENS))
def test_no_table_cell_of_the_index_tab_breaks_inside_a_word(browser, project_report_server, screen):
    width, height = SCREENS[screen]
    page = browser.new_page(viewport={"width": width, "height": height})
    try:
        page.goto(project_report_server.url)
        page.get_by_role("tab", name="Chỉ mục & đánh giá").click()
        report = page.locator("#eval-report")
        expect(report).to_contain_text("Kết hợp", timeout=ANSWER_TIMEOUT_MS)  # the committed reports: hybrid
        expect(page.locator("#index-status")).to_contain_text("Số bài viết", timeout=ANSWER_TIMEOUT_MS)
        assert page.locator("#eval-report td").count() > 30
        assert page.evaluate(BROKEN_WORDS_JS, "#eval-report td, #eval-report th, #index-status td, #index-status th") == []
        text = report.inner_text()
        assert text.count("không phải trên kho bài của bạn") == 1  # said once
        measured = json.loads((ROOT / "eval" / "reports" / "xquad.vi.json").read_text(encoding="utf-8")).get("measured_at")
        assert ("đo lúc" in text) if measured else ("báo cáo không ghi thời điểm đo" in text)
        assert "ghi lúc" not in text  # never the file's mtime (the clone's time)
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # the page itself never scrolls sideways
    finally:
        page.close()


def test_the_date_boxes_take_day_first_dates(page):
    page.locator("#since input, #since textarea").first.fill("05/01/2024")
    page.locator("#until input, #until textarea").first.fill("2024-01-05")
    answer = ask(page, CHAIR_QUESTION)
    expect(answer).to_contain_text("Phạm Hoàng Long", timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator("#notice")).not_to_contain_text("không hợp lệ")
    for mode in ("Kết hợp", "Ngữ nghĩa", "Từ khóa"):  # the search modes, in Vietnamese only
        expect(page.get_by_label(mode, exact=True)).to_be_attached()
    assert not any(word in page.locator("body").inner_text() for word in ("(hybrid)", "(dense)", "(BM25)"))


def test_the_api_link_opens_a_vietnamese_page_whose_http_example_works(page, ui_server):
    link = page.locator("#api-doc-link a")
    expect(link).to_have_text("Dùng qua API")
    assert link.get_attribute("href") == API_DOC_PATH
    doc = page.request.get(ui_server.url + API_DOC_PATH)
    assert doc.ok and 'lang="vi"' in doc.text() and "Các trường của kết quả" in doc.text()
    # the documented HTTP call, as written there
    started = page.request.post(ui_server.url + "/gradio_api/call/ask",
                                data=json.dumps({"data": [CHAIR_QUESTION, 3, "hybrid", "01/01/2024", "", []]}),
                                headers={"Content-Type": "application/json"})
    assert started.ok, started.text()
    result = page.request.get(f"{ui_server.url}/gradio_api/call/ask/{started.json()['event_id']}", timeout=ANSWER_TIMEOUT_MS).text()
    assert "event: complete" in result
    data = json.loads(result.split("data:", 1)[1].strip().splitlines()[0])
    assert "Phạm Hoàng Long" in data[0]["short_answer"] and data[0]["sources"][0]["date"] == "2024-01-05"


def test_the_index_tab_dates_a_report_by_when_it_was_measured_and_says_whose_articles_once(tmp_path):
    from ui.report import report_markdown

    report = json.loads((ROOT / "eval" / "reports" / "xquad.vi.json").read_text(encoding="utf-8"))
    path = tmp_path / "xquad.vi.json"
    path.write_text("{}", encoding="utf-8")  # its mtime (now) must not be shown as the time of measuring
    dated = report_markdown({**report, "measured_at": "2026-11-30T08:05:00+00:00"}, path, project=True)
    assert "đo lúc" in dated and "30/11/2026" in dated and dated.count("không phải trên kho bài của bạn") == 1
    undated = report_markdown({k: v for k, v in report.items() if k != "measured_at"}, path, project=True)
    assert "báo cáo không ghi thời điểm đo" in undated and "đo lúc" not in undated
    own = report_markdown({"modes": report["modes"], "questions": 9, "source": {"kind": "questions", "file": "q.jsonl"}}, path, True)
    assert own.count("không phải trên kho bài của bạn") == 1  # a question file's line does not say it: the tab does
