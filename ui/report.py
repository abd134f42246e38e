"""The latest evaluation report for the status tab: read from its JSON (not the English Markdown), in Vietnamese."""

from __future__ import annotations

import json
from pathlib import Path

METRIC_NAMES = {
    "recall@1": "Đúng bài ở vị trí 1",
    "recall@5": "Có bài đúng trong 5 nguồn",
    "recall@10": "Có bài đúng trong 10 nguồn",
    "mrr@10": "MRR@10",
    "ndcg@10": "nDCG@10",
    "answer_hit": "Câu trả lời chứa đáp án",
    "abstain_accuracy": "Từ chối đúng lúc",
    "latency_ms_p50": "Thời gian trung vị (ms)",
    "latency_ms_p95": "Thời gian p95 (ms)",
}
MODE_NAMES = {"hybrid": "Kết hợp (hybrid)", "dense": "Ngữ nghĩa (dense)", "bm25": "Từ khóa (BM25)"}
SETTING_NAMES = {
    "embedder": "Mô hình nhúng", "chunk_size": "Độ dài đoạn (ký tự)", "chunk_overlap": "Phần chồng giữa hai đoạn (ký tự)",
    "k": "Số nguồn mỗi câu trả lời", "fusion": "Cách gộp điểm", "dense_weight": "Trọng số vector đoạn",
    "sentence_weight": "Trọng số vector câu", "bm25_weight": "Trọng số BM25", "candidates": "Ứng viên mỗi kênh",
    "passages": "Số đoạn", "documents": "Số bài",
}
HALF_NAMES = {"first_half": "Nửa đầu (dùng để chỉnh tham số)", "second_half": "Nửa sau (chưa dùng để chỉnh)"}


def latest_report(reports_dir: Path) -> tuple[str, str | None]:
    """(Markdown for the status tab, path of the report's plot or None), from the newest *.json report."""
    reports = sorted((p for p in reports_dir.glob("*.json") if _is_report(p)), key=lambda p: p.stat().st_mtime)
    if not reports:
        return f"Chưa có báo cáo đánh giá trong `{reports_dir.name}/` (chạy `make eval`).", None
    path = reports[-1]
    report = json.loads(path.read_text(encoding="utf-8"))
    plot = path.with_suffix(".png")
    return report_markdown(report, path.name), str(plot.resolve()) if plot.is_file() else None


def _is_report(path: Path) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and isinstance(data.get("modes"), dict)


def report_markdown(report: dict, file_name: str) -> str:
    lines = [f"**Báo cáo đánh giá mới nhất:** bộ câu hỏi «{report.get('dataset', '?')}», {report.get('questions', '?')} câu hỏi "
             f"(tệp `{file_name}`).", "", metrics_table(report["modes"]), ""]
    for name, half in (report.get("halves") or {}).items():
        lines += [f"**{HALF_NAMES.get(name, name)}**, {half.get('questions', '?')} câu hỏi:", "", metrics_table(half["modes"]), ""]
    settings = report.get("settings") or {}
    if settings:
        lines += ["**Cấu hình khi đo:**", ""]
        lines += [f"- {SETTING_NAMES.get(key, key)}: {_value(value)}" for key, value in settings.items()]
    return "\n".join(lines)


def metrics_table(modes: dict[str, dict]) -> str:
    metrics = [m for m in METRIC_NAMES if any(m in values for values in modes.values())]
    rows = ["| Chế độ | " + " | ".join(METRIC_NAMES[m] for m in metrics) + " |", "|" + "---|" * (len(metrics) + 1)]
    for mode, values in modes.items():
        cells = [_metric(m, values.get(m)) for m in metrics]
        rows.append(f"| {MODE_NAMES.get(mode, mode)} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def _metric(name: str, value) -> str:
    if value is None:
        return "—"
    text = f"{value:.1f}" if name.startswith("latency") else f"{value:.3f}"
    return text.replace(".", ",")  # Vietnamese decimal comma


def _value(value) -> str:
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")
    if isinstance(value, str):
        return f"`{value}`"
    return str(value)
