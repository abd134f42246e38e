"""The latest evaluation report for the index tab: read from its JSON, said in Vietnamese with what it was run on,
its plot drawn from the JSON (Vietnamese labels), and an invitation to measure on one's own questions."""

from __future__ import annotations

import json
from pathlib import Path

from qa.evaluation.report import metrics_table, plot_curves, source_line
from qa.messages import vi_datetime
from ui.plain_text import markdown_text, report_as_text

NOT_YOURS = "không phải trên kho bài của bạn"
INVITATION = (
    "**Đo trên câu hỏi của bạn:** viết vài chục câu hỏi mà bạn biết câu trả lời vào một tệp `.jsonl`, mỗi dòng "
    '`{"id": "c1", "question": "…", "gold": ["mã_bài"], "answer": "…"}` (`gold` rỗng cho câu kho không trả lời được), '
    "rồi chạy `qa eval --questions cau-hoi.jsonl --out danh-gia` trong terminal. Báo cáo mới nhất trong `danh-gia/` "
    "hiện ở đây."
)


def _reports(folders: tuple[Path, ...]) -> list[Path]:
    found = [p for folder in folders if folder.is_dir() for p in folder.glob("*.json") if _is_report(p)]
    return sorted(found, key=lambda p: p.stat().st_mtime)


def latest_report(folders: tuple[Path, ...], plot_dir: Path) -> tuple[str, str | None]:
    """(Markdown for the index tab, path of its plot or None), from the newest report among `folders`; the last
    folder holds the project's own reports (`make eval`), said to be such. The plot is drawn into `plot_dir`."""
    reports = _reports(folders)
    if not reports:
        return f"Chưa có báo cáo đánh giá.\n\n{INVITATION}", None
    path = reports[-1]
    report = json.loads(path.read_text(encoding="utf-8"))
    project = len(folders) > 1 and path.parent.resolve() == folders[-1].resolve()
    return report_markdown(report, path, project), _plot(report, path, plot_dir)


def _plot(report: dict, path: Path, plot_dir: Path) -> str | None:
    """Drawn from the report's curves (Vietnamese labels); a report without them (written before they were kept) has none."""
    if not report.get("curves"):
        return None
    plot_dir.mkdir(parents=True, exist_ok=True)
    target = plot_dir / f"{path.stem}-{path.stat().st_mtime_ns}.png"
    if not target.exists():
        plot_curves(target, report)
    return str(target.resolve())


def _is_report(path: Path) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and isinstance(data.get("modes"), dict)


def report_markdown(report: dict, path: Path, project: bool = False) -> str:
    if not report.get("source") and report.get("halves"):  # older reports: halves are written for SQuAD files only
        report = {**report, "source": {"kind": "squad", "file": f"{report.get('dataset', '?')}.json"}}
    measured = vi_datetime(report.get("measured_at"))  # from the report: the file's mtime is when it was cloned
    when = f"đo lúc {measured}" if measured else "báo cáo không ghi thời điểm đo"
    report = report_as_text(report)  # its names come from file names: text, never Markdown or HTML
    source = source_line(report)
    whose = ""
    if project:  # said once: a SQuAD source line already says whose articles it was measured on
        whose = " Đây là phép đo của chính dự án (`make eval`)" + ("." if NOT_YOURS in source else f", {NOT_YOURS}.")
    lines = [f"**Kết quả đánh giá gần nhất** (tệp «{markdown_text(path.name)}», {when}).", "", source + whose, "",
             metrics_table(report["modes"]), "", INVITATION]
    return "\n".join(lines)


