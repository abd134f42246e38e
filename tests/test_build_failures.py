"""Issue 23, item 3: a failed background build cleans up after itself, and the next build in the same process
works (before: it left `.tmp-seg-…-<pid>` behind and every later build of that process failed with
FileExistsError, since the next segment gets the same name)."""

from __future__ import annotations

import errno

from conftest import FakeEmbedder, copy_seeds

from qa.index import LoadedIndex, build_index
from qa.index import builder as builder_module
from qa.settings import Settings
from ui.jobs import IndexJobs


def test_a_failed_background_build_leaves_nothing_and_the_next_one_works(tmp_path, monkeypatch):
    corpus = copy_seeds(tmp_path / "corpus")
    settings = Settings.from_env({}, index_dir=tmp_path / "index", corpus_dirs=(corpus,))
    embedder = FakeEmbedder()
    build_index(settings, embedder=embedder, progress=False)
    jobs = IndexJobs(settings, embedder_factory=lambda: embedder)
    real_write = builder_module.write_postings

    def disk_full(folder, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(builder_module, "write_postings", disk_full)
    (corpus / "moi.txt").write_text("Đại úy Lê Văn Mới chỉ huy buổi diễn tập phòng cháy.\n", encoding="utf-8")
    failed = jobs.wait(jobs.submit([corpus / "moi.txt"], [], 1).id, 60)
    assert failed.state == "failed" and "Traceback" not in failed.result
    assert not [p.name for p in settings.index_dir.iterdir() if p.name.startswith(".tmp-")]
    assert "moi" not in LoadedIndex.load(settings.index_dir).doc_ids()  # the old commit still serves
    monkeypatch.setattr(builder_module, "write_postings", real_write)
    again = jobs.wait(jobs.submit([], [], 0).id, 60)
    assert again.state == "done", again.result
    assert "moi" in LoadedIndex.load(settings.index_dir).doc_ids()
    assert not [p.name for p in settings.index_dir.iterdir() if p.name.startswith(".tmp-")]


def test_a_leftover_of_a_failed_build_of_this_process_does_not_block_the_next(tmp_path):
    """A leftover from before this fix (or a build killed between mkdir and cleanup) with this pid and the next name."""
    import os

    corpus = copy_seeds(tmp_path / "corpus")
    settings = Settings.from_env({}, index_dir=tmp_path / "index", corpus_dirs=(corpus,))
    embedder = FakeEmbedder()
    build_index(settings, embedder=embedder, progress=False)
    (settings.index_dir / f".tmp-seg-000002-{os.getpid()}").mkdir()
    (settings.index_dir / f".tmp-gen-000002-{os.getpid()}").mkdir()
    (corpus / "moi.txt").write_text("Bài mới về buổi huấn luyện.\n", encoding="utf-8")
    assert build_index(settings, embedder=embedder, progress=False).added == ["moi"]
