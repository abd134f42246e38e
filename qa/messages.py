"""Vietnamese wording of what other layers report in English: index errors, build reports, build log lines.

The index package raises its own errors; the CLI and the chat show them through here, so a user
reads one Vietnamese line whatever language the raising layer wrote it in."""

from __future__ import annotations

import re

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
        return f"Chưa có chỉ mục{place}: hãy chạy `qa index` trước."
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
    line = (f"thêm {len(report.added)}, sửa {len(report.changed)}, xóa {len(report.removed)}, "
            f"giữ nguyên {len(report.unchanged)} bài; {report.passages} đoạn, {report.sentences} câu "
            f"({report.embedded} đoạn và câu mới được nhúng), {report.segments} phân đoạn, trong {report.seconds:.1f} giây")
    duplicates = getattr(report, "duplicates", None) or []
    if duplicates:
        line += f"; bỏ qua {len(duplicates)} bài trùng nội dung với bài đã có"
    return line


_LOG_PREFIXES = (("warning: ", "cảnh báo: "), ("error: ", "lỗi: "))


def build_log_line(message: str) -> str:
    """A line build_index logs (`warning: ...`), with its English prefix in Vietnamese."""
    for english, vietnamese in _LOG_PREFIXES:
        if message.startswith(english):
            return vietnamese + message[len(english):]
    return message
