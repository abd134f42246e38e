"""Issue 23, item 5: corruption that keeps a file's size is detected. Each segment file's CRC-32 is written at
commit and compared when a process first opens the segment for questions, and by `qa index --verify`.

Before: one flipped byte in text.bin made every `qa ask` crash with a UnicodeDecodeError traceback and `qa index`
said the index was unchanged; out-of-range offsets gave IndexErrors; garbage in vectors, wrong answers."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import CHAIR_DOC, CHAIR_QUESTION, FakeEmbedder, copy_seeds

from qa.engine import Engine
from qa.errors import IndexCorrupt
from qa.index import LoadedIndex, build_index
from qa.index.checksums import MARKER
from qa.settings import Settings


@pytest.fixture
def built(tmp_path):
    settings = Settings.from_env({}, index_dir=tmp_path / "index", corpus_dirs=(copy_seeds(tmp_path / "corpus"),))
    embedder = FakeEmbedder()
    build_index(settings, embedder=embedder, progress=False)
    return settings, embedder


def _segment(settings):
    return next((settings.index_dir / "segments").iterdir())


def _flip(path, offset: int | None = None) -> None:
    data = bytearray(path.read_bytes())
    at = len(data) // 2 if offset is None else offset
    data[at] ^= 0xFF
    path.write_bytes(bytes(data))  # same size


@pytest.mark.parametrize("name", ["text.bin", "text_offsets.npy", "passages.npy", "passage_vectors.npy", "articles.json",
                                  "lexical/lengths.npy"])
def test_a_flipped_byte_is_a_vietnamese_notice_and_the_next_qa_index_repairs_it(built, name):
    settings, embedder = built
    segment = _segment(settings)
    meta = json.loads((segment / "segment.json").read_text())
    assert set(meta["checksums"]) == set(meta["files"])
    _flip(segment / name, len((segment / name).read_bytes()) - 3 if name.endswith(".npy") else None)
    with pytest.raises(IndexCorrupt) as caught:
        Engine(settings, embedder=embedder).ask(CHAIR_QUESTION)
    message = str(caught.value)
    assert "bị hỏng" in message and "qa index --full" in message and name in message and "\n" not in message
    assert (segment / MARKER).exists()  # left for the next build
    said: list[str] = []
    report = build_index(settings, embedder=embedder, progress=False, log=said.append)
    assert len(report.added) == 5 and any("các bài của nó sẽ được lập chỉ mục lại" in line for line in said)
    current = LoadedIndex.load(settings.index_dir).manifest["segments"]
    assert segment.name not in {e["name"] for e in current}  # the new commit no longer uses the damaged segment
    assert Engine(settings, embedder=embedder).search(CHAIR_QUESTION, mode="bm25")[0].article.doc_id == CHAIR_DOC


def test_qa_index_verify_finds_damage_no_process_has_seen_and_rebuilds_it(built):
    settings, embedder = built
    segment = _segment(settings)
    vectors = np.load(segment / "sentence_vectors.npy")
    _flip(segment / "sentence_vectors.npy")  # garbage in a vector: no error anywhere, only wrong scores
    assert build_index(settings, embedder=embedder, progress=False).added == []  # sizes alone: "unchanged"
    said: list[str] = []
    report = build_index(settings, embedder=embedder, progress=False, log=said.append, verify=True)
    assert len(report.added) == 5, said
    assert any("0/1 phân đoạn nguyên vẹn, 1 bị hỏng" in line for line in said), said
    repaired = np.load(next((settings.index_dir / "segments").iterdir()) / "sentence_vectors.npy")
    assert np.allclose(np.sort(repaired, axis=0), np.sort(vectors, axis=0))
    said.clear()
    build_index(settings, embedder=embedder, progress=False, log=said.append, verify=True)
    assert any("1/1 phân đoạn nguyên vẹn" in line for line in said), said


def test_the_last_good_generation_keeps_serving_when_a_new_segment_is_damaged(built):
    settings, embedder = built
    engine = Engine(settings, embedder=embedder)
    assert engine.search(CHAIR_QUESTION, mode="bm25")[0].article.doc_id == CHAIR_DOC
    (settings.corpus_dirs[0] / "moi.txt").write_text("Bài mới về buổi huấn luyện bắn đạn thật.\n", encoding="utf-8")
    build_index(settings, embedder=embedder, progress=False)
    newest = max((settings.index_dir / "segments").iterdir())
    _flip(newest / "text.bin")
    assert engine.search(CHAIR_QUESTION, mode="bm25")[0].article.doc_id == CHAIR_DOC  # still the old commit
    assert "bị lỗi" in engine.problem and "qa index" in engine.problem
    assert "moi" not in engine.refresh().doc_ids()
    build_index(settings, embedder=embedder, progress=False)  # repaired
    assert "moi" in Engine(settings, embedder=embedder).refresh().doc_ids()
