"""Is this text fit for the index? Every string that enters it must be valid Unicode (it is written as UTF-8):
a lone surrogate (JSON `"\\ud800"`) or a file name that is not UTF-8 (Python gives its bytes as surrogates)
would stop every later build at its first write. Such input is refused where it comes in, with one
Vietnamese line naming the field or the file."""

from __future__ import annotations

import re

_SURROGATE = re.compile("[\ud800-\udfff]")
ARTICLE_FIELDS = ("id", "title", "text", "url", "date", "byline")


def unicode_problem(value: str) -> str | None:
    """Why `value` is not valid Unicode (Vietnamese), or None."""
    found = _SURROGATE.search(value)
    if found is None:
        return None
    return f"ký tự thay thế UTF-16 đơn lẻ U+{ord(found.group()):04X} ở vị trí {found.start() + 1}, không phải Unicode hợp lệ"


def check_record(record: dict) -> None:
    """A JSONL record's article fields: strings (or numbers, for the optional ones) of valid Unicode; ValueError otherwise."""
    for name in ARTICLE_FIELDS:
        value = record.get(name)
        if value is None:
            continue
        if name not in ("id", "text") and isinstance(value, (dict, list, bool)):
            raise ValueError(f'trường "{name}" phải là chuỗi, không phải {_KINDS[type(value)]}')
        if isinstance(value, str) and (problem := unicode_problem(value)):
            raise ValueError(f'trường "{name}": {problem}')


_KINDS = {dict: "đối tượng", list: "danh sách", bool: "giá trị đúng/sai"}


def valid_name(name: str) -> bool:
    """False for a file name whose bytes are not UTF-8 (Python decodes them to surrogates)."""
    return _SURROGATE.search(name) is None


def shown_name(name: str) -> str:
    """A file name that can be printed whatever it holds: undecodable bytes as `\\xNN`."""
    if valid_name(name):
        return name
    return name.encode("utf-8", "surrogateescape" if _only_escapes(name) else "backslashreplace").decode("utf-8", "backslashreplace")


def _only_escapes(name: str) -> bool:
    return all("\udc80" <= c <= "\udcff" for c in _SURROGATE.findall(name))


def bad_name_warning(name: str) -> str:
    return f"bỏ qua {shown_name(name)}: tên tệp không phải UTF-8 hợp lệ; hãy đổi tên tệp"
