"""Publication dates as Vietnamese pages write them, read day first: `Thứ Sáu, 05/01/2024 - 14:30`,
`05/01/2024 14:30 GMT+7`, `5/1/2024, 14:30 (GMT+7)`, `ngày 5 tháng 1 năm 2024`, and ISO `2024-01-05T14:30+07:00`.

Vietnamese writes the day before the month, so `05/01/2024` is 5 January (a US-order reader would say 1 May)."""

from __future__ import annotations

import re

_WEEKDAY = r"(?:Thứ\s+(?:hai|ba|tư|năm|sáu|bảy|bẩy|[2-7])|Chủ\s+nhật|CN|T[2-7])"
_TIME = r"\d{1,2}[:h]\d{2}(?::\d{2})?"
_DMY = r"(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})"
_DMY_RE = re.compile(r"(?<![\d/.-])" + _DMY + r"(?![\d/])")
_WORDS_RE = re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s*(?:,|năm)\s*(\d{4})", re.I)
_ISO_RE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?:[T\s]\d{2}:\d{2}|(?!\d))")
# A line that is nothing but a date stamp (with weekday, time, time zone, `Cập nhật:` in front): the page's
# dateline, not a sentence of the article.
DATELINE_RE = re.compile(
    r"^\s*(?:(?:Ngày\s+)?(?:đăng|cập nhật|xuất bản|đăng lúc)\s*:?\s*)?(?:" + _WEEKDAY + r"\s*,?\s*)?(?:(?:" + _TIME + r")\s*,?\s*)?"
    + r"(?:ngày\s+)?" + _DMY + r"\s*(?:[-,|]?\s*" + _TIME + r")?\s*(?:\(?\s*GMT\s*[+-]\s*\d{1,2}\s*\)?)?\s*$",
    re.I,
)


def iso_day(year: str, month: str, day: str) -> str | None:
    """`2024`, `1`, `5` -> `2024-01-05`; None when the parts are no plausible date."""
    y, m, d = int(year), int(month), int(day)
    if 1 <= d <= 31 and 1 <= m <= 12 and 1900 <= y <= 2100:
        return f"{y:04d}-{m:02d}-{d:02d}"
    return None


def iso_date(value: str) -> str | None:
    """An ISO date or date-time (`2024-01-05T14:30:00+07:00`, as in meta tags and JSON-LD) -> `2024-01-05`."""
    match = _ISO_RE.search(value or "")
    return iso_day(*match.groups()) if match else None


def vietnamese_date(text: str) -> str | None:
    """The first date in a piece of text, day first: `Thứ Sáu, 05/01/2024 - 14:30` -> `2024-01-05`."""
    for pattern in (_DMY_RE, _WORDS_RE):
        for match in pattern.finditer(text or ""):
            day, month, year = match.groups()
            found = iso_day(year, month, day)
            if found:
                return found
    return iso_date(text)
