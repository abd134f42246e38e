"""Quick timings of a real index (the seed corpus by default): embedding throughput and question latency per mode."""

from __future__ import annotations

import time

from qa.settings import MODES, Settings

SAMPLE_QUESTIONS = [
    "Ai chủ trì hội nghị tổng kết công tác đảng, công tác chính trị năm 2023 của Bộ Tham mưu Quân khu?",
    "Cục Chính trị trao danh hiệu Chiến sĩ thi đua cơ sở cho bao nhiêu cá nhân?",
    "Chỉ thị số 2423 của Thường vụ Quân ủy Trung ương về vấn đề gì?",
    "hoi nghi giao ban cong tac dang quy 1 nam 2021",
    "Giá xăng hôm nay bao nhiêu?",
]


def run_seed(settings: Settings, queries: int, log) -> dict:
    """Times on the index at `settings.index_dir`, built from `settings.corpus_dirs` first if there is none."""
    from qa.bench.probe import forget_query_vectors
    from qa.engine import Engine
    from qa.errors import IndexNotFound
    from qa.evaluation.evaluate import percentile
    from qa.index import build_index, read_manifest
    from qa.ingest.chunking import embedding_input, split_article

    try:
        read_manifest(settings.index_dir)
    except IndexNotFound:
        log(f"seed: no index in {settings.index_dir}, building it from {', '.join(map(str, settings.corpus_dirs))}")
        build_index(settings, progress=False, log=log)
    engine = Engine(settings)
    index = engine.refresh()
    manifest = index.manifest

    articles = [index.article(d) for d in index.doc_ids()]
    sample = [embedding_input(a, p) for a in articles for p in split_article(a, settings.chunk_size, settings.chunk_overlap)][:32]
    started = time.perf_counter()
    engine.embedder().embed_passages(sample, settings.embed_batch_size)
    embed_s = time.perf_counter() - started

    started = time.perf_counter()
    for q in SAMPLE_QUESTIONS * 4:
        engine.embedder().embed_query(q)
    query_ms = (time.perf_counter() - started) * 1000 / (len(SAMPLE_QUESTIONS) * 4)

    questions = [SAMPLE_QUESTIONS[i % len(SAMPLE_QUESTIONS)] for i in range(queries)]
    p50, p95 = {}, {}
    for mode in MODES:
        latencies = []
        for q in questions:
            forget_query_vectors(engine)  # the sample repeats questions: each ask embeds its question, as a new one would
            started = time.perf_counter()
            engine.ask(q, mode=mode)
            latencies.append((time.perf_counter() - started) * 1000)
        p50[mode], p95[mode] = percentile(latencies, 0.5), percentile(latencies, 0.95)
    log(f"seed: {manifest['passage_count']} passages, ask hybrid p50 {p50['hybrid']:.1f} ms")
    return {
        "index": settings.index_dir.name, "embedder": manifest["embedder"]["id"], "articles": manifest["article_count"],
        "passages": manifest["passage_count"], "sentences": manifest["sentence_count"],
        "embed_texts_per_s": len(sample) / embed_s if sample else 0.0, "embed_texts": len(sample),
        "embed_batch": settings.embed_batch_size, "query_embed_ms": query_ms, "questions": queries,
        "ask_ms_p50": p50, "ask_ms_p95": p95,
    }
