"""`qa bench`: timings on this machine (embedding throughput, question latency per mode).

Timing goals live here, not in tests: the numbers depend on the machine."""

from __future__ import annotations

import time

from qa.evaluate import percentile
from qa.settings import MODES, Settings

SAMPLE_QUESTIONS = [
    "Ai chủ trì hội nghị tổng kết công tác đảng, công tác chính trị năm 2023 của Bộ Tham mưu Quân khu?",
    "Cục Chính trị trao danh hiệu Chiến sĩ thi đua cơ sở cho bao nhiêu cá nhân?",
    "Chỉ thị số 2423 của Thường vụ Quân ủy Trung ương về vấn đề gì?",
    "hoi nghi giao ban cong tac dang quy 1 nam 2021",
    "Giá xăng hôm nay bao nhiêu?",
]


def run_bench(settings: Settings, queries: int = 50) -> int:
    from qa.engine import Engine

    engine = Engine(settings)
    index = engine.index
    print(f"index {index.path}: {len(index.passages)} passages, {len(index.sentences)} sentences, {index.manifest['embedder']['id']}")

    sample = [index.articles[p.doc_id].title + "\n" + p.text for p in index.passages[:32]]
    started = time.perf_counter()
    engine.embedder.embed_passages(sample, settings.embed_batch_size)
    elapsed = time.perf_counter() - started
    print(f"embedding: {len(sample) / elapsed:.1f} passages/s ({len(sample)} passages, batch {settings.embed_batch_size})")

    started = time.perf_counter()
    for q in SAMPLE_QUESTIONS * 4:
        engine.embedder.embed_query(q)
    print(f"query embedding: {(time.perf_counter() - started) * 1000 / (len(SAMPLE_QUESTIONS) * 4):.1f} ms")

    questions = [SAMPLE_QUESTIONS[i % len(SAMPLE_QUESTIONS)] for i in range(queries)]
    for mode in MODES:
        latencies = []
        for q in questions:
            started = time.perf_counter()
            engine.ask(q, mode=mode)
            latencies.append((time.perf_counter() - started) * 1000)
        p50, p95 = percentile(latencies, 0.5), percentile(latencies, 0.95)
        print(f"ask --mode {mode:6}: p50 {p50:6.1f} ms   p95 {p95:6.1f} ms   ({queries} questions)")
    return 0
