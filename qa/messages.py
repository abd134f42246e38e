"""What the user reads, worded once for the CLI and the chat: one Vietnamese line for what the index layer
reports (its errors, whose own text may be technical, with paths; a build's summary), numbers, durations and
dates as a Vietnamese reader writes them (decimal comma, thousands dot, day/month/year: no page writes `2.1 giây`
beside `0,938`), and the progress of long console work."""

from __future__ import annotations

import re
import sys
import time
from datetime import date, datetime
from typing import TextIO

from qa.errors import BuildAborted, IndexCorrupt, IndexLocked, IndexMismatch, IndexNotFound, IndexProblem

# Letters only Vietnamese uses among the languages this project meets: a message with them is already Vietnamese.
_VIETNAMESE_RE = re.compile(r"[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]", re.I)
_PID_RE = re.compile(r"pid (\d+)")


def is_vietnamese(text: str) -> bool:
    return bool(_VIETNAMESE_RE.search(text))


def index_error_message(exc: BaseException, where: str | None = None) -> str:
    """One Vietnamese line for an index error. `where`: the index folder to name (None on the server,
    whose paths are not the user's business)."""
    text = str(exc)
    if is_vietnamese(text.replace(where or "\0", "")):
        return text if where else _without_paths(text)
    place = f" trong {where}" if where else ""
    if isinstance(exc, IndexNotFound):
        return f"Chưa có chỉ mục{place}: hãy chạy `qa index` trước, hoặc chỉ đúng thư mục chỉ mục bằng `--index THƯ_MỤC`."
    if isinstance(exc, IndexMismatch):
        return (f"Chỉ mục{place} được dựng với mô hình nhúng, cách cắt đoạn hoặc định dạng khác với cấu hình hiện tại: "
                "hãy chạy `qa index --full`.")
    if isinstance(exc, IndexCorrupt):
        return f"Chỉ mục{place} bị hỏng hoặc không đọc được: hãy chạy `qa index --full`."
    if isinstance(exc, IndexLocked):
        pid = _PID_RE.search(text)
        holder = f" (tiến trình {pid.group(1)})" if pid else ""
        return f"Một lần cập nhật chỉ mục khác đang chạy{holder}{place}: hãy thử lại khi nó xong."
    if isinstance(exc, BuildAborted):
        return f"Việc cập nhật chỉ mục{place} bị dừng giữa chừng; chỉ mục cũ vẫn dùng được. Hãy chạy lại `qa index`."
    if isinstance(exc, IndexProblem):
        return f"Không dùng được chỉ mục{place}: hãy chạy `qa index --full`."
    return text


def _without_paths(text: str) -> str:
    return re.sub(r"(?<![\w`])/\S+", "…", text)


def build_summary(report) -> str:
    """A BuildReport in one Vietnamese line."""
    n = vi_number
    line = (f"thêm {n(len(report.added))}, sửa {n(len(report.changed))}, xóa {n(len(report.removed))}, "
            f"giữ nguyên {n(len(report.unchanged))} bài; {n(report.passages)} đoạn, {n(report.sentences)} câu "
            f"({n(report.embedded)} đoạn và câu mới được nhúng), trong {vi_seconds(report.seconds)}")
    duplicates = getattr(report, "duplicates", None) or []
    if duplicates:
        line += f"; bỏ qua {n(len(duplicates))} bài trùng nội dung với bài đã có"
    return line


# --- numbers, durations, dates -----------------------------------------------------


def vi_number(value: float | int, digits: int = 0) -> str:
    """1234.5 -> `1.234,5` (digits=1); 0.9384 -> `0,938` (digits=3); 1190 -> `1.190`."""
    text = f"{value:,.{digits}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def vi_percent(share: float, digits: int = 1) -> str:
    """0.756 -> `75,6 %`."""
    return f"{vi_number(share * 100, digits)} %"


def vi_seconds(seconds: float) -> str:
    """2.14 -> `2,1 giây`; 0.04 -> `0,04 giây`; 75 -> `1 phút 15 giây`; 4000 -> `1 giờ 7 phút`."""
    if seconds < 0.1:
        return f"{vi_number(seconds, 2)} giây"
    if seconds < 60:
        return f"{vi_number(seconds, 1)} giây"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} phút {secs} giây" if secs else f"{minutes} phút"
    hours, minutes = divmod(round(seconds / 60), 60)  # past an hour, to the nearest minute
    return f"{hours} giờ {minutes} phút" if minutes else f"{hours} giờ"


def vi_date(iso: str | None) -> str:
    """`2024-01-05` -> `05/01/2024`; anything that is not an ISO date is returned as it is ('' for None)."""
    if not iso:
        return ""
    try:
        return date.fromisoformat(iso[:10]).strftime("%d/%m/%Y")
    except ValueError:
        return iso


def vi_datetime(iso: str | None) -> str:
    """`2026-12-01T20:41:07+00:00` -> `20:41 ngày 01/12/2026` in this machine's local time ('' for None)."""
    if not iso:
        return ""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    local = moment.astimezone() if moment.tzinfo else moment
    return f"{local:%H:%M} ngày {local:%d/%m/%Y}"


# --- progress of long console work (embedding, evaluation) ----------------------------
# On a terminal one line is redrawn at most twice a second; into a file or a pipe a line at each quarter.

_REDRAW_S = 0.5


class Progress:
    def __init__(self, total: int, label: str, unit: str, stream: TextIO | None = None, show: bool = True) -> None:
        self.total, self.label, self.unit = total, label, unit
        self.stream = stream if stream is not None else sys.stderr
        self.show = show and total > 0
        self.done = 0
        self.started = time.monotonic()
        self._drawn_at = 0.0
        self._quarter = 0
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def line(self) -> str:
        elapsed = time.monotonic() - self.started
        share = self.done / self.total if self.total else 1.0
        text = f"{self.label}: {vi_number(self.done)}/{vi_number(self.total)} {self.unit} ({vi_number(share * 100)} %)"
        if elapsed > 0 and self.done:
            rate = self.done / elapsed
            text += f", {vi_number(rate, 1)} {self.unit}/giây"
            if self.done < self.total:
                text += f", còn khoảng {vi_seconds((self.total - self.done) / rate)}"
        return text

    def update(self, n: int) -> None:
        self.done += n
        if not self.show:
            return
        now = time.monotonic()
        if self._tty:
            if now - self._drawn_at >= _REDRAW_S or self.done >= self.total:
                self.stream.write("\r\x1b[K" + self.line())
                self.stream.flush()
                self._drawn_at = now
        else:
            quarter = min(4, int(4 * self.done / self.total))
            if quarter > self._quarter and quarter < 4:
                self._quarter = quarter
                print(self.line(), file=self.stream, flush=True)

    def close(self) -> None:
        if not self.show:
            return
        elapsed = vi_seconds(time.monotonic() - self.started)
        end = f"{self.label}: xong {vi_number(self.done)} {self.unit} trong {elapsed}"
        self.stream.write(("\r\x1b[K" if self._tty else "") + end + "\n")
        self.stream.flush()
        self.show = False
