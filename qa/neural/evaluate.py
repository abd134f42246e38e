"""The reader alone, given the gold paragraph: SQuAD-style F1 / EM (the project's normalization) and latency.

`f1`/`exact` score the best span whatever the null score says; `answered_f1` counts a question whose null
score beats its best span as 0 (what the reader gives when it may abstain); `null_rate` is the share of such
questions (all XQuAD questions have an answer, so every abstention is a miss here)."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from qa.evaluation.answer_metrics import short_scores


def evaluate_reader(model, examples, limit: int | None = None) -> dict[str, float]:
    chosen = examples[:limit] if limit else examples
    exact = f1 = answered_f1 = nulls = 0.0
    seconds = []
    for example in chosen:
        began = time.perf_counter()
        found = model.candidates(example.question, example.context, top=1)
        seconds.append(time.perf_counter() - began)
        gold = tuple(text for text, _ in example.answers)
        if not found:
            nulls += 1
            continue
        e, f = short_scores(example.context[found[0].start:found[0].end], gold)
        exact, f1 = exact + e, f1 + f
        if found[0].probability >= 0.5:
            answered_f1 += f
        else:
            nulls += 1
    n = len(chosen) or 1
    return {
        "questions": len(chosen), "f1": round(f1 / n, 4), "exact": round(exact / n, 4),
        "answered_f1": round(answered_f1 / n, 4), "null_rate": round(nulls / n, 4),
        "latency_p50_ms": round(1000 * statistics.median(seconds), 1) if seconds else 0.0,
        "latency_mean_ms": round(1000 * statistics.fmean(seconds), 1) if seconds else 0.0,
    }


def evaluate_splits(model_dir: Path, data_dir: Path, dev_articles: int = 2, limit: int | None = None,
                    threads: int | None = None) -> dict[str, dict[str, float]]:
    from qa.neural.data import dev_examples, heldout_examples
    from qa.neural.reader import SpanModel

    model = SpanModel(model_dir, threads=threads)
    figures = {"heldout_xquad_vi_25_48": evaluate_reader(model, heldout_examples(data_dir, "vi"), limit)}
    dev = dev_examples(data_dir, dev_articles)
    if dev:
        figures["dev_xquad_vi"] = evaluate_reader(model, dev, limit)
    return figures
