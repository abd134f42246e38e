"""Which sentences of an article are statements, and which are the page around them.

A news page copied as text keeps photo captions («Quang cảnh Hội nghị.»), credits («Ảnh: Thu Hà», «Tin, ảnh:
VĂN DƯƠNG»), the reporter's name on a line of its own, and the site's navigation and share text («Trả lời»,
«Các tin khác:»). They stay searchable (a caption often names the event), but none of them states a fact the
answer can stand on, so the answerer never shows one as evidence. Recognized at ingest and stored per sentence
(the segment's `sentence_kinds.npy`), from the line a sentence stands on: a caption is a short line of its own,
one sentence, that opens like a caption, mentions the photo, or describes a person without a sentence's final
stop (news captions are written that way; body sentences end with one)."""

from __future__ import annotations

import re

import numpy as np

from qa.language.text import fold_diacritics

STATEMENT, CAPTION, CREDIT, NAVIGATION = 0, 1, 2, 3
KIND_NAMES = {STATEMENT: "statement", CAPTION: "caption", CREDIT: "credit", NAVIGATION: "navigation"}
CAPTION_MAX_WORDS = 25

_CREDIT_RE = re.compile(
    r"^\(?\s*(?:tin|bai|anh|video|clip|tin,? anh|tin va anh|bai,? anh|bai va anh|bai va anh|do hoa|nguon|theo|thuc hien)"
    r"\s*[:：]", re.I)
_PHOTO_RE = re.compile(r"\((?:anh|nguon)\s*[:：][^)]*\)|\banh\s*[:：]|chup anh|anh minh hoa|\(anh\)", re.I)
_CAPTION_LEAD_RE = re.compile(
    r"^(?:quang canh|toan canh|mot goc|cac dai bieu|dai bieu|cac dong chi dai bieu|hinh anh|anh tu lieu|tiet muc|canh)\b", re.I)
_PERSON_LEAD_RE = re.compile(
    r"^(?:dai tuong|thuong tuong|trung tuong|thieu tuong|dai ta|thuong ta|trung ta|thieu ta|dai uy|thuong uy|trung uy|thieu uy"
    r"|dong chi|cac dong chi|lanh dao|ong|ba|chu tich|bi thu|pho|thu truong|bo truong|tu lenh|chinh uy)\b", re.I)
_NAVIGATION_RE = re.compile(
    r"^(?:tra loi|chia se|binh luan|gui binh luan|cac tin khac|tin lien quan|tin khac|xem them|doc tiep|doc them|in bai|gui bai"
    r"|tim kiem|tim kiem theo|chuyen muc|trang chu|lien he|dang nhap|dang ky|facebook|zalo|twitter|youtube|quay lai|len dau trang"
    r"|thu dien tu cua ban se khong duoc hien thi|bai viet lien quan|tin moi|tin doc nhieu|xem nhieu|thich|tweet|email|in)\b", re.I)
_TERMINAL = ".!?…\"”»)"


def _words(line: str) -> list[str]:
    return line.split()


def _is_name_line(line: str) -> bool:
    """A reporter's name on its own line: 1-4 capitalised words, perhaps with a unit in brackets, no stop."""
    bare = re.sub(r"\s*\([^)]{1,60}\)\s*$", "", line).strip()
    words = bare.split()
    return 1 <= len(words) <= 4 and all(w[:1].isupper() for w in words) and not bare.endswith(tuple(_TERMINAL[:4]))


def line_kind(line: str, first_line: bool = False) -> int:
    """The kind of one line of article text (a whole paragraph of the page)."""
    text = " ".join(line.split())
    if not text:
        return STATEMENT
    folded = fold_diacritics(text).lower()
    words = _words(text)
    if _CREDIT_RE.match(folded) or folded.startswith("nguon ") and "http" in folded:
        return CREDIT
    if _NAVIGATION_RE.match(folded) and len(words) <= 12:
        return NAVIGATION
    if len(words) > CAPTION_MAX_WORDS or len(re.findall(r"[.!?…](?:\s|$)", text.rstrip(_TERMINAL) + " ")) > 1:
        return STATEMENT  # a long line, or several sentences: body text
    if _PHOTO_RE.search(folded) or _CAPTION_LEAD_RE.match(folded):
        return CAPTION
    if not first_line and _is_name_line(text):
        return CREDIT
    if not first_line and not text.endswith(tuple(_TERMINAL)) and _PERSON_LEAD_RE.match(folded):
        return CAPTION
    return STATEMENT


def sentence_kinds(text: str, spans: list[tuple[int, int]]) -> list[int]:
    """The kind of each sentence span of `text`: the kind of its line when it stands alone on it, else a statement
    (a sentence inside a paragraph of several is body text)."""
    kinds = []
    first_line_end = text.find("\n") if "\n" in text else len(text)
    cache: dict[int, int] = {}
    for start, end in spans:
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", end)
        line_end = len(text) if line_end < 0 else line_end
        line = text[line_start:line_end]
        alone = not line[:start - line_start].strip() and not line[end - line_start:].strip()
        if not alone:
            kinds.append(STATEMENT)
            continue
        if line_start not in cache:
            cache[line_start] = line_kind(line, first_line=line_start == 0 and line_end <= first_line_end)
        kinds.append(cache[line_start])
    return kinds


def kinds_of_rows(articles, sentences: np.ndarray) -> np.ndarray:
    """uint8 kind of each sentence row of a segment (columns: article row, start, end, ...), rows sorted by article."""
    kinds = np.zeros(len(sentences), dtype=np.uint8)
    if not len(sentences):
        return kinds
    bounds = np.searchsorted(sentences[:, 0], np.arange(len(articles) + 1))
    for row, article in enumerate(articles):
        a, b = int(bounds[row]), int(bounds[row + 1])
        kinds[a:b] = sentence_kinds(article.text, [(int(s), int(e)) for s, e in sentences[a:b, 1:3]])
    return kinds
