"""One Vietnamese line for what the index layer reports: its errors (whose own text may be technical, with
paths) and a build's summary. The CLI and the chat both word them through here."""

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
