"""The answer parts of the evaluation report, in Vietnamese with decimal commas: the risk-coverage table and
plot, the miss causes, and the list of every question (the wrong and the unsure first)."""

from __future__ import annotations

from qa.evaluation.answer_metrics import CAUSES
from qa.messages import vi_number, vi_percent

PART_NAMES = {"all": "tất cả", "first_half": "nửa đầu", "second_half": "nửa sau"}
CAUSE_NAMES = {
    "right": "Đúng và báo chắc chắn",
    "unsure": "Đúng nhưng báo «chưa chắc chắn»",
    "span": "Đúng câu, sai câu trả lời ngắn",
    "sentence": "Tìm được bài đúng nhưng chọn sai câu",
    "retrieval": "Không tìm được bài đúng (bài đúng không ở trong các bài được đọc)",
    "declined": "Có bài đúng nhưng từ chối hoặc chỉ trả lời một phần",
    "declined_rightly": "Kho không có câu trả lời và đã từ chối (đúng)",
    "should_decline": "Kho không có câu trả lời nhưng vẫn trả lời",
    "unjudged": "Không chấm được (câu hỏi không ghi đáp án)",
}
UNANSWERABLE_CAUSES = ("declined_rightly", "should_decline")
EXACT_NOTE = ("«Câu trả lời ngắn đúng hoàn toàn» chỉ tính khi câu trả lời trùng khít đáp án, nên có thể thấp dù câu "
              "trả lời đúng: câu trả lời cho câu hỏi «ai» thường thêm cấp bậc, chức vụ («Thiếu tướng Phạm Hoàng Long» "
              "khi đáp án là «Phạm Hoàng Long»); độ trùng từ (F1) và cách chấm «đúng» dưới đây tính cả những câu đó.")
JUDGING_NOTE = ("Một câu trả lời được chấm **đúng** khi câu trả lời ngắn (chữ đậm) trùng từ với đáp án từ 0,5 trở lên "
                "(F1) và có đủ các con số của đáp án, hoặc, với câu hỏi «ai», chứa trọn tên trong đáp án; câu trả lời "
                "không có phần ngắn được chấm theo câu trích dẫn (có chứa đáp án). Câu kho không trả lời được thì từ "
                "chối mới là đúng.")


def _parts(out: dict) -> list[tuple[str, dict]]:
    return [("all", out)] + list((out.get("halves") or {}).items())


def _columns(out: dict, key: str, mode_names: dict) -> list[tuple[str, object]]:
    """(column heading, value of `key` for that part and mode)."""
    halves = bool(out.get("halves"))
    return [(mode_names.get(mode, mode) + (f", {PART_NAMES.get(name, name)}" if halves else ""), value)
            for name, part in _parts(out) for mode, value in (part.get(key) or {}).items()]


def _share(value) -> str:
    return "—" if value is None else vi_number(value, 3)


def risk_table(out: dict, mode_names: dict) -> str:
    """One row per confidence threshold (every 0,1): coverage / precision in each column; then the area."""
    columns = _columns(out, "risk_coverage", mode_names)
    if not columns:
        return ""
    rows = ["| Độ tin cậy ≥ | " + " | ".join(name for name, _ in columns) + " |", "|---|" + "---:|" * len(columns)]
    thresholds = [p["threshold"] for p in columns[0][1]["points"] if round(p["threshold"] * 10, 6).is_integer()]
    for t in thresholds:
        cells = []
        for _, curve in columns:
            p = next(x for x in curve["points"] if x["threshold"] == t)
            cells.append(f"{_share(p['coverage'])} / {_share(p['precision'])}")
        rows.append(f"| {vi_number(t, 1)} | " + " | ".join(cells) + " |")
    rows.append("| Diện tích dưới đường cong | " + " | ".join(_share(c["area"]) for _, c in columns) + " |")
    return "\n".join(rows)


def causes_table(out: dict, mode_names: dict) -> str:
    """One row per cause: number of questions and its share of the answerable (or unanswerable) questions."""
    columns = _columns(out, "miss_causes", mode_names)
    if not columns:
        return ""
    rows = ["| Kết quả | " + " | ".join(name for name, _ in columns) + " |", "|---|" + "---:|" * len(columns)]
    for cause in CAUSES:
        if all(counts.get(cause, 0) == 0 for _, counts in columns) and cause not in ("right", "unsure", "span", "sentence",
                                                                                    "retrieval"):
            continue
        cells = []
        for _, counts in columns:
            group = [c for c in CAUSES if (c in UNANSWERABLE_CAUSES) == (cause in UNANSWERABLE_CAUSES)]
            total = sum(counts.get(c, 0) for c in group)
            n = counts.get(cause, 0)
            cells.append(f"{vi_number(n)} ({vi_percent(n / total) if total else '—'})")
        rows.append(f"| {CAUSE_NAMES.get(cause, cause)} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def _order(row: dict) -> int:
    """The confident mistakes first, then the other mistakes, the unsure, the unjudged, the right."""
    if row["right"] is False:
        return 0 if row["confident"] else 1
    if row["cause"] == "unsure":
        return 2
    return 3 if row["right"] is None else 4


def _cell(text: str | None, limit: int = 160) -> str:
    text = " ".join((text or "").split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text.replace("|", "\\|") or "—"


def _shown_as(row: dict) -> str:
    if row["abstained"]:
        return "Từ chối"
    if row["partial"]:
        return "Trả lời một phần"
    word = "Chắc chắn" if row["confident"] else "Chưa chắc chắn"
    return f"{word} ({vi_number(row['confidence'], 2)})"


def questions_table(rows: list[dict]) -> str:
    """Every question of one mode: what was expected, what was given, judged how, shown how, from where."""
    lines = ["| # | Câu hỏi | Đáp án mong đợi | Câu trả lời ngắn | Chấm | Hiển thị | Kết quả | Nguồn |",
             "|---:|---|---|---|---|---|---|---|"]
    for i, row in sorted(enumerate(rows, 1), key=lambda x: (_order(x[1]), x[0])):
        expected = " / ".join(row["gold_answers"]) if row["gold_answers"] else ("(kho không có)" if not row["gold_documents"] else "")
        given = row["short_answer_shown"] or ("" if row["abstained"] else f"(không có; câu trích: {row['evidence']})")
        judged = {True: "Đúng", False: "Sai", None: "—"}[row["right"]]
        source = row["source_title"] or row["source_document"] or ""
        lines.append(f"| {i} | {_cell(row['question'])} | {_cell(expected)} | {_cell(given)} | {judged} | {_shown_as(row)} | "
                     f"{CAUSE_NAMES.get(row['cause'], row['cause'])} | {_cell(source, 80)} |")
    return "\n".join(lines)


def listed_mode(rows: list[dict]) -> str | None:
    """The mode whose answers the question list shows: hybrid (the default) when measured, else the first."""
    modes = list(dict.fromkeys(r["mode"] for r in rows))
    return "hybrid" if "hybrid" in modes else (modes[0] if modes else None)


def plot_risk_coverage(path, out: dict, mode_names: dict) -> None:
    """Precision (y) against coverage (x) over the confidence thresholds, one line per mode and part; the point the
    answers are shown confident at today is marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=110)
    for name, part in _parts(out):
        for mode, curve in (part.get("risk_coverage") or {}).items():
            points = [p for p in curve["points"] if p["precision"] is not None]
            line, = ax.plot([p["coverage"] for p in points], [p["precision"] for p in points], marker="o", markersize=3,
                            label=f"{mode_names.get(mode, mode)} ({PART_NAMES.get(name, name)}), "
                                  f"diện tích {vi_number(curve['area'], 3)}")
            metrics = (part.get("modes") or {}).get(mode) or {}
            if metrics.get("confident_precision") is not None:
                ax.plot([metrics["coverage"]], [metrics["confident_precision"]], marker="*", markersize=11,
                        color=line.get_color(), linestyle="none")
    ax.set_xlabel("độ phủ: tỉ lệ câu trả lời được có câu trả lời với độ tin cậy ≥ ngưỡng")
    ax.set_ylabel("độ chính xác của các câu trả lời đó")
    ax.set_title(f"{out['dataset']}: độ chính xác theo độ phủ (★: ngưỡng «chắc chắn» hiện dùng)", fontsize=9)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: vi_number(x, 1)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: vi_number(y, 1)))
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
