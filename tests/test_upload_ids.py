"""Issue 23, item 7: an upload's article ids are reserved while it waits in the queue. Before, `c2.txt` and then
a JSONL with id "c2" were both «Đã lưu»; the first job then failed on the clash and deleted `c2.txt`."""

from __future__ import annotations

import json
import threading

from conftest import FakeEmbedder, copy_seeds

from qa.index import LoadedIndex, build_index
from qa.settings import Settings
from ui.service import ChatService


class GatedEmbedder(FakeEmbedder):
    """Holds the worker's build until released: the first job stays queued/running while the second upload comes."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()

    def embed_batch(self, texts, is_query):
        if not is_query:
            self.gate.wait(60)
        return super().embed_batch(texts, is_query)


def test_a_queued_uploads_id_is_reserved_and_no_earlier_file_is_deleted(tmp_path):
    corpus = copy_seeds(tmp_path / "corpus")
    settings = Settings.from_env({}, index_dir=tmp_path / "index", corpus_dirs=(corpus,))
    embedder = GatedEmbedder()
    embedder.gate.set()
    build_index(settings, embedder=embedder, progress=False)
    embedder.gate.clear()
    service = ChatService(settings, (), tmp_path / "plots", embedder=embedder)
    first = tmp_path / "c2.txt"
    first.write_text("title: Bài c2\n\nĐại úy Lò Văn Hai chỉ huy buổi diễn tập bắn súng.\n", encoding="utf-8")
    lines = service.add_files([(first, "c2.txt")], job_ids := [])
    assert any("Đã lưu «c2.txt»" in line for line in lines), lines
    clash = tmp_path / "lo.jsonl"
    clash.write_text(json.dumps({"id": "c2", "title": "Khác", "text": "Một bài hoàn toàn khác về hội thao."}) + "\n",
                     encoding="utf-8")
    lines = service.add_files([(clash, "lo.jsonl")], job_ids)
    assert any("«lo.jsonl»: mã bài đã có trong kho hoặc lặp lại: c2" in line and "không được lưu" in line for line in lines), lines
    assert not (corpus / "lo.jsonl").exists()
    embedder.gate.set()
    job = service.jobs.wait(job_ids[0], 60)
    assert job.state == "done", job.result
    assert (corpus / "c2.txt").read_text(encoding="utf-8") == first.read_text(encoding="utf-8")
    assert "c2" in LoadedIndex.load(settings.index_dir).doc_ids()


def test_a_clash_with_a_file_copied_in_by_hand_is_reported_and_nothing_is_deleted(tmp_path):
    corpus = copy_seeds(tmp_path / "corpus")
    settings = Settings.from_env({}, index_dir=tmp_path / "index", corpus_dirs=(corpus,))
    embedder = FakeEmbedder()
    build_index(settings, embedder=embedder, progress=False)
    service = ChatService(settings, (), tmp_path / "plots", embedder=embedder)
    (corpus / "tay.txt").write_text("Bài chép tay vào kho về buổi giao ban.\n", encoding="utf-8")
    upload = tmp_path / "lo.jsonl"
    upload.write_text(json.dumps({"id": "tay", "text": "Bài khác trong lô."}) + "\n", encoding="utf-8")
    lines = service.add_files([(upload, "lo.jsonl")], [])
    assert any("mã bài đã có trong kho hoặc lặp lại: tay" in line for line in lines), lines
    assert (corpus / "tay.txt").exists() and not (corpus / "lo.jsonl").exists()
