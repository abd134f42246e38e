"""Issue 25, item 3: a saved page, a PDF and a Word file through the chat's upload box, answered with their title
and date; the same article again as `.txt` is skipped as a duplicate. Real server, real model, real Chromium."""

from __future__ import annotations

import json
import shutil

from playwright.sync_api import expect
from ui_fixtures import BUILD_TIMEOUT_MS, ask, upload

from qa.bench.documents import write_docx, write_pdf
from qa.bench.extraction import FIXTURES

BUS = json.loads((FIXTURES / "bao-dan-sinh.expected.json").read_text(encoding="utf-8"))
TREES = json.loads((FIXTURES / "cong-tinh.expected.json").read_text(encoding="utf-8"))
FLOWERS = json.loads((FIXTURES / "trang-dia-phuong.expected.json").read_text(encoding="utf-8"))


def test_a_page_a_pdf_and_a_word_file_uploaded_answer_with_their_title_and_date(page, ui_server, tmp_path):
    saved = tmp_path / "Xe buýt Cù Lao Chàm.html"
    shutil.copy(FIXTURES / "bao-dan-sinh.html", saved)
    pdf = write_pdf(tmp_path / "trong-cay.pdf", ["Thứ Ba, 12/03/2024 - 08:30", *TREES["article"], "Ngọc Anh"],
                    heading=TREES["title"], fonts=tmp_path / "fonts")
    word = write_docx(tmp_path / "hoa-tet.docx", ["Thứ Sáu, 12/01/2024 - 07:15", *FLOWERS["article"], "Phương Thảo"],
                      heading=FLOWERS["title"])
    report = upload(page, saved, pdf, word)
    assert "Đã lưu «Xe buýt Cù Lao Chàm.html» thành «Xe_buyt_Cu_Lao_Cham.html»" in report, report
    assert "xong: thêm" in report and "phân đoạn" not in report, report

    answer = ask(page, "Mỗi ngày tuyến buýt số 3 ở Hội An có bao nhiêu chuyến?")
    expect(answer).to_contain_text("24", timeout=BUILD_TIMEOUT_MS)
    source = answer.locator(".qa-source").first
    expect(source).to_contain_text(BUS["title"])
    expect(source).to_contain_text("08/03/2024")
    assert not any(s in answer.inner_text() for s in ("Tin liên quan", "Đọc nhiều", "Chia sẻ", "Bình luận"))

    answer = ask(page, "Tỉnh Hòa Bình phấn đấu trồng mới khoảng bao nhiêu ha rừng tập trung năm 2024?")
    expect(answer).to_contain_text("9.500", timeout=BUILD_TIMEOUT_MS)
    expect(answer.locator(".qa-source").first).to_contain_text(TREES["title"])
    expect(answer.locator(".qa-source").first).to_contain_text("12/03/2024")

    answer = ask(page, "Toàn tỉnh Lâm Đồng có khoảng bao nhiêu ha hoa?")
    expect(answer).to_contain_text("9.000", timeout=BUILD_TIMEOUT_MS)
    expect(answer.locator(".qa-source").first).to_contain_text(FLOWERS["title"])
    expect(answer.locator(".qa-source").first).to_contain_text("12/01/2024")

    # the same article, as a person would keep it in a text file: skipped, naming the page it repeats
    copy = tmp_path / "chep-tay.txt"
    lines = [*BUS["article"], "Công Bính"]
    copy.write_text(f"title: {BUS['title']}\ndate: 08/03/2024\n\n" + "\n\n".join(lines) + "\n", encoding="utf-8")
    again = upload(page, copy)
    assert "«chep-tay.txt»: trùng nội dung với bài «Xe_buyt_Cu_Lao_Cham» đã có, bỏ qua." in again, again
