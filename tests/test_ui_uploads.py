"""Issue 9, items 6 and 8: uploads bounded by the work they cause, indexed by a background queue whose
position and progress the chat shows, duplicates skipped with the name of the existing article.

The queue and the duplicate rules are tested on the ChatService of the shared real server (the code
the page calls) and through the page itself; the progress counter with a gated fake embedder."""

from __future__ import annotations

import re
import threading
import time

import pytest
from conftest import FakeEmbedder, copy_seeds
from playwright.sync_api import expect
from ui_fixtures import BUILD_TIMEOUT_MS, PENDING_JOB, ask, upload

from qa.index import BuildLock, LoadedIndex, build_index
from qa.ingest.chunking import split_article
from qa.ingest.corpus import read_text_file
from qa.language.text import sentence_spans
from qa.settings import Settings
from ui import jobs as jobs_module
from ui.jobs import IndexJobs
from ui.service import ChatService
from ui.uploads import KnownTexts, UploadError, check_upload, estimate_texts

LAKE_ARTICLE = """title: Hồ Lạc Thủy tổ chức diễn tập phòng chống lũ
date: 2025-05-20

Sáng 20/5, Ban CHQS huyện Lạc Thủy tổ chức diễn tập phòng chống lũ tại hồ Đá Bạc. Đại úy Nông Thị Hạnh Nguyên chỉ huy \
lực lượng cứu hộ của buổi diễn tập.

Có 120 chiến sĩ và 14 xuồng máy tham gia diễn tập.
"""
LAKE_QUESTION = "Ai chỉ huy lực lượng cứu hộ trong buổi diễn tập phòng chống lũ tại hồ Đá Bạc?"
LAKE_PERSON = "Nông Thị Hạnh Nguyên"
BRIDGE_ARTICLE = """title: Cầu phao Suối Mơ được lắp trong 40 phút

Ngày 3/6, Lữ đoàn công binh 249 lắp cầu phao qua Suối Mơ trong 40 phút. Thiếu tá Đinh Công Vạn Xuân chỉ huy việc lắp cầu.
"""
BRIDGE_QUESTION = "Ai chỉ huy việc lắp cầu phao qua Suối Mơ?"


def _many_sentences(count: int) -> str:
    return "Tiêu đề lô lớn\n\n" + " ".join(f"Câu số {i} nói về buổi huấn luyện thứ {i} của đơn vị." for i in range(count))


# --- work bound (item 6) ------------------------------------------------------------------


def test_the_work_estimate_is_what_a_build_embeds_at_most(tmp_path, fake_embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    path = corpus / "ho.txt"
    path.write_text(LAKE_ARTICLE, encoding="utf-8")
    settings = Settings.from_env({}, index_dir=tmp_path / "index", corpus_dirs=(corpus,))
    article = read_text_file(path)
    estimate = estimate_texts([article], settings)
    assert estimate == len(split_article(article, 600, 120)) + len(sentence_spans(article.text))
    report = build_index(settings, embedder=fake_embedder, progress=False)
    assert report.passages + report.sentences == estimate >= report.embedded > 0


def test_a_file_meaning_too_much_work_is_refused_and_says_how_to_index_it(tmp_path):
    settings = Settings.from_env({})
    path = tmp_path / "lo_lon.txt"
    path.write_text(_many_sentences(2500), encoding="utf-8")
    assert path.stat().st_size < settings.upload_max_bytes  # small in bytes, large in work
    with pytest.raises(UploadError) as caught:
        check_upload(path, "lô lớn.txt", set(), settings)
    message = str(caught.value)
    assert "«lô lớn.txt»" in message and f"cần nhúng hơn {settings.upload_max_texts} đoạn và câu" in message and "`qa index`" in message


def test_limits_on_files_and_on_the_work_of_one_upload(tmp_path):
    """The service the page calls, with small limits and the fake embedder (the page test below uses the real ones)."""
    settings = Settings.from_env({}, index_dir=tmp_path / "index", corpus_dirs=(copy_seeds(tmp_path / "corpus"),),
                                 upload_max_files=3, upload_max_texts=60)
    service = ChatService(settings, (tmp_path / "reports",), tmp_path / "plots", embedder=FakeEmbedder())
    corpus = settings.corpus_dirs[0]
    before = sorted(p.name for p in corpus.iterdir())
    many = []
    for i in range(4):
        many.append((tmp_path / f"f{i}.txt", f"f{i}.txt"))
        many[-1][0].write_text(f"Tiêu đề {i}\n\nBài số {i}.", encoding="utf-8")
    lines = service.add_files(many, job_ids := [])
    assert len(lines) == 1 and "tối đa 3 tệp (đã chọn 4); không tệp nào được lưu" in lines[0] and "`qa index`" in lines[0]
    assert job_ids == [] and sorted(p.name for p in corpus.iterdir()) == before

    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text(_many_sentences(30), encoding="utf-8")  # 30 sentences and a few passages: over half the budget
    second.write_text(_many_sentences(30).replace("huấn luyện", "diễn tập"), encoding="utf-8")
    lines = service.add_files([(first, "a.txt"), (second, "b.txt")], job_ids)
    assert lines[0].startswith("Đã lưu «a.txt»"), lines
    assert "vượt phần còn lại" in lines[1] and "giới hạn 60" in lines[1] and "Tệp không được lưu" in lines[1], lines
    assert (corpus / "a.txt").exists() and not (corpus / "b.txt").exists() and len(job_ids) == 1
    job = service.jobs.wait(job_ids[0], timeout=60)
    assert job.state == "done" and "thêm 6," in job.result, job.result  # five seeds (first build) and a.txt


# --- the queue, its positions and progress (item 6) ---------------------------------------


class GatedEmbedder(FakeEmbedder):
    """Stops after its first batch until the test opens the gate: progress can be read half-way."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()

    def embed_batch(self, texts, is_query):
        if self.calls >= 1 and not is_query:
            assert self.gate.wait(60)
        return super().embed_batch(texts, is_query)


def test_jobs_run_one_at_a_time_with_queue_position_and_progress(tmp_path, monkeypatch):
    settings = Settings.from_env({}, index_dir=tmp_path / "index", corpus_dirs=(copy_seeds(tmp_path / "corpus"),),
                                 embed_batch_size=4)
    embedder = GatedEmbedder()
    jobs = IndexJobs(settings, embedder_factory=lambda: embedder)
    first = jobs.submit([], [], 0)
    second = jobs.submit([], [], 0)
    deadline = time.monotonic() + 60
    while "đang nhúng 4/" not in jobs.describe(first.id) and time.monotonic() < deadline:
        time.sleep(0.05)
    running = jobs.describe(first.id)
    assert running.startswith(f"Cập nhật chỉ mục #{first.id}: đang nhúng 4/") and "đoạn và câu" in running, running
    total = int(running.split("/")[1].split()[0])
    assert total > 4
    assert jobs.describe(second.id) == f"Cập nhật chỉ mục #{second.id}: đang chờ, còn 1 lần cập nhật chạy trước."
    embedder.gate.set()
    assert jobs.wait(first.id, 60).state == "done" and jobs.wait(second.id, 60).state == "done"
    assert jobs.describe(first.id).startswith(f"Cập nhật chỉ mục #{first.id}: xong: thêm 5, sửa 0, xóa 0, giữ nguyên 0 bài;")
    assert f"({total} đoạn và câu mới được nhúng)" in jobs.describe(first.id)
    assert "thêm 0, sửa 0, xóa 0, giữ nguyên 5 bài" in jobs.describe(second.id)

    monkeypatch.setattr(jobs_module, "BUILD_LOCK_TIMEOUT_S", 0.2)  # a terminal build holds the lock too long
    saved = settings.corpus_dirs[0] / "moi.txt"
    saved.write_text(LAKE_ARTICLE, encoding="utf-8")
    with BuildLock(settings.index_dir):
        third = jobs.wait(jobs.submit([saved], [], 10).id, 60)
    assert third.state == "failed" and "sẽ vào chỉ mục ở lần cập nhật sau" in third.result
    assert saved.exists()  # nothing uploaded is lost: the next build indexes it
    assert "moi" not in LoadedIndex.load(settings.index_dir).doc_ids()
    assert jobs.wait(jobs.submit([], [], 0).id, 60).state == "done" and "moi" in LoadedIndex.load(settings.index_dir).doc_ids()


def test_the_page_shows_the_queue_position_then_the_result(page, ui_server, tmp_path):
    lake, bridge = tmp_path / "Hồ Lạc Thủy.txt", tmp_path / "Cầu phao.txt"
    lake.write_text(LAKE_ARTICLE, encoding="utf-8")
    bridge.write_text(BRIDGE_ARTICLE, encoding="utf-8")
    report = page.locator("#upload-report textarea")
    file_input = page.locator('#upload input[type="file"]')
    with BuildLock(ui_server.settings.index_dir):  # as if `qa index` ran in a terminal: the first job waits
        file_input.set_input_files(str(lake))
        expect(report).to_have_value(PENDING_JOB, timeout=BUILD_TIMEOUT_MS)
        file_input.set_input_files(str(bridge))
        expect(report).to_have_value(re.compile(r"#\d+: đang chờ, còn 1 lần cập nhật chạy trước"), timeout=BUILD_TIMEOUT_MS)
        assert re.search(r"#\d+: đang chuẩn bị", report.input_value())  # the first job, waiting for the lock
        assert "Đã lưu «Cầu phao.txt» thành «Cau_phao.txt»" in report.input_value()
    expect(report).not_to_have_value(PENDING_JOB, timeout=BUILD_TIMEOUT_MS)
    final = report.input_value()
    assert final.count(": xong: thêm") == 2, final
    expect(ask(page, BRIDGE_QUESTION)).to_contain_text("Đinh Công Vạn Xuân", timeout=BUILD_TIMEOUT_MS)


def test_the_page_refuses_too_much_work_with_a_vietnamese_hint(page, ui_server, tmp_path):
    path = tmp_path / "lo_lon.txt"
    path.write_text(_many_sentences(2500), encoding="utf-8")
    report = upload(page, path)
    assert "vượt giới hạn" in report and "`qa index`" in report and "Tệp không được lưu" in report
    assert not (ui_server.settings.corpus_dirs[0] / "lo_lon.txt").exists()


# --- duplicates (item 8) ---------------------------------------------------------------------


def test_the_same_file_twice_or_under_another_name_is_skipped_naming_the_article(page, ui_server, tmp_path):
    first = tmp_path / "Hồ Đá Bạc.txt"
    first.write_text(LAKE_ARTICLE.replace("Lạc Thủy", "Kim Bôi"), encoding="utf-8")
    assert "xong: thêm 1," in upload(page, first)
    expect(ask(page, LAKE_QUESTION)).to_contain_text(LAKE_PERSON, timeout=BUILD_TIMEOUT_MS)
    corpus = ui_server.settings.corpus_dirs[0]
    files_before = sorted(p.name for p in corpus.iterdir())

    again = upload(page, first)  # the same file
    assert "«Hồ Đá Bạc.txt»: trùng nội dung với bài «Ho_Da_Bac» đã có, bỏ qua. Tệp không được lưu." in again, again
    renamed = tmp_path / "ten_khac.md"
    renamed.write_text(first.read_text(encoding="utf-8").replace("title: Hồ Lạc", "title: Một tên khác cho hồ Lạc"), encoding="utf-8")
    other_name = upload(page, renamed)  # the same text under another name and title
    assert "«ten_khac.md»: trùng nội dung với bài «Ho_Da_Bac»" in other_name, other_name
    assert sorted(p.name for p in corpus.iterdir()) == files_before


def test_duplicates_inside_one_upload_and_inside_a_jsonl(ui_server, tmp_path):
    service: ChatService = ui_server.service
    a, b = tmp_path / "mot.txt", tmp_path / "hai.txt"
    text = BRIDGE_ARTICLE.replace("Suối Mơ", "Suối Hoa").replace("249", "512")
    a.write_text(text, encoding="utf-8")
    b.write_text(text, encoding="utf-8")
    jsonl = tmp_path / "lo.jsonl"
    body = read_text_file(a).text.replace("\n\n", " ")
    jsonl.write_text(f'{{"id": "j-moi", "text": "Bài JSONL riêng về hội thao năm 2025 của Trung đoàn 88."}}\n'
                     f'{{"id": "j-trung", "text": "{body}"}}\n', encoding="utf-8")
    with BuildLock(ui_server.settings.index_dir):  # the job waits: its texts are pending, not indexed
        lines = service.add_files([(a, "mot.txt"), (b, "hai.txt"), (jsonl, "lo.jsonl")], job_ids := [])
        assert KnownTexts(service.jobs.pending_texts()).owner(read_text_file(a)) == "mot"
        again = service.add_files([(b, "hai.txt")], [])
        assert again == ["«hai.txt»: trùng nội dung với bài «mot» đã có, bỏ qua. Tệp không được lưu."]
    assert lines[0].startswith("Đã lưu «mot.txt»")
    assert lines[1] == "«hai.txt»: trùng nội dung với bài «mot» đã có, bỏ qua. Tệp không được lưu."
    assert lines[2] == "«lo.jsonl» dòng 2 (mã j-trung): trùng nội dung với bài «mot», bỏ qua."
    assert lines[3].startswith("Đã lưu «lo.jsonl»") and "mã bài: j-moi)" in lines[3]
    saved = ui_server.settings.corpus_dirs[0] / "lo.jsonl"
    assert "j-trung" not in saved.read_text(encoding="utf-8")
    assert service.jobs.wait(job_ids[0], BUILD_TIMEOUT_MS / 1000).state == "done"
