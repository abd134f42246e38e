"""Adding articles from the browser: validate, save under a safe unique name, update the index."""

from __future__ import annotations

import os
import re
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from qa.corpus import ARTICLE_SUFFIXES, CorpusError, read_jsonl_file, read_text_file
from qa.index import IndexError_, IndexLocked, build_index
from qa.settings import Settings
from qa.text import fold_diacritics, normalize

UPLOAD_MAX_BYTES = 2 * 1024 * 1024
# A build started in a terminal holds the index lock: wait for it rather than fail at once.
BUILD_LOCK_TIMEOUT_S = 120.0
_NAME_MAX_CHARS = 80


class UploadError(ValueError):
    """The file is not accepted; the message says why (in Vietnamese, for the user)."""


@dataclass(frozen=True)
class Upload:
    name: str  # the safe file name asked for
    data: bytes
    ids: tuple[str, ...]  # article ids of a JSONL file; a text file's id is its saved file name's stem


def safe_file_name(name: str) -> str:
    """`../Bài viết mới.TXT` -> `Bai_viet_moi.txt`: no folders, only [A-Za-z0-9._-], never hidden (`.x` is not indexed)."""
    base = os.path.basename(normalize(name).replace("\\", "/"))
    stem, suffix = os.path.splitext(base)
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", fold_diacritics(stem)).strip("._-")[:_NAME_MAX_CHARS]
    return (stem or "bai_viet") + suffix.lower()


def check_upload(path: Path, original_name: str, known_ids: set[str]) -> Upload:
    """The upload, read and parsed as the indexer will; UploadError when it cannot be indexed."""
    name = safe_file_name(original_name)
    suffix = os.path.splitext(name)[1]
    if suffix not in ARTICLE_SUFFIXES:
        raise UploadError(f"«{original_name}»: chỉ nhận tệp {', '.join(ARTICLE_SUFFIXES)}.")
    size = path.stat().st_size
    if size > UPLOAD_MAX_BYTES:
        raise UploadError(f"«{original_name}»: tệp {size / 1048576:.1f} MiB, tối đa {UPLOAD_MAX_BYTES // 1048576} MiB.")
    try:
        if suffix == ".jsonl":
            articles, problems = read_jsonl_file(path)
            if problems or not articles:
                raise ValueError("; ".join(p.replace(str(path), "dòng") for p in problems[:3]) or "không có bài viết nào")
        else:
            read_text_file(path)
            articles = []
    except ValueError as exc:
        raise UploadError(f"«{original_name}» không đọc được ({exc}).") from None
    ids = tuple(a.doc_id for a in articles)
    duplicates = sorted({i for i, n in Counter(ids).items() if n > 1} | (set(ids) & known_ids))
    if duplicates:
        raise UploadError(f"«{original_name}»: mã bài đã có trong kho hoặc lặp lại: {', '.join(duplicates[:5])}.")
    return Upload(name, path.read_bytes(), ids)


def save_upload(upload: Upload, folder: Path, taken_ids: set[str]) -> Path:
    """Write the file as `name`, or `name-2`, `name-3`… when that file (or, for a text file, that
    article id) exists: never overwrites. Written hidden first, then linked: a concurrent build
    never reads half a file."""
    folder.mkdir(parents=True, exist_ok=True)
    stem, suffix = os.path.splitext(upload.name)
    hidden = folder / f".upload-{os.getpid()}-{id(upload)}{suffix}"
    hidden.write_bytes(upload.data)
    try:
        n = 1
        while True:
            target = folder / (upload.name if n == 1 else f"{stem}-{n}{suffix}")
            n += 1
            if suffix != ".jsonl" and normalize(target.stem) in taken_ids:
                continue
            try:
                os.link(hidden, target)  # fails when the name exists: no race with another upload
                return target
            except FileExistsError:
                continue
    finally:
        hidden.unlink(missing_ok=True)


def _saved_line(upload: Upload, original_name: str, path: Path) -> str:
    ids = ", ".join(upload.ids) if upload.ids else normalize(path.stem)
    if path.name != upload.name:
        return f"Tên «{upload.name}» đã có trong kho: đã lưu «{original_name}» thành «{path.name}» (mã bài: {ids})."
    return f"Đã lưu «{original_name}» thành «{path.name}» (mã bài: {ids})."


def add_articles(
    settings: Settings,
    files: list[tuple[Path, str]],
    known_ids: set[str],
    on_stage: Callable[[float, str], None] = lambda fraction, desc: None,
) -> str:
    """Validate and save `files` ((path, original name)) into settings.corpus_dirs[0], then update
    the index. Returns a report for the user, one line per file and one for the build.

    A build that fails on the new files (e.g. an id claimed twice) removes them again, so the
    corpus stays indexable."""
    lines: list[str] = []
    saved: list[Path] = []
    taken = set(known_ids)
    on_stage(0.05, "Kiểm tra tệp")
    for path, original_name in files:
        try:
            upload = check_upload(path, original_name, taken)
        except UploadError as exc:
            lines.append(f"{exc} Tệp không được lưu.")
            continue
        target = save_upload(upload, settings.corpus_dirs[0], taken)
        taken |= set(upload.ids) or {normalize(target.stem)}
        saved.append(target)
        lines.append(_saved_line(upload, original_name, target))
    if not saved:
        return "\n".join(lines or ["Chưa có tệp nào."])
    on_stage(0.2, "Cập nhật chỉ mục (chờ nếu đang có bản dựng khác)")
    warnings: list[str] = []
    try:
        report = build_index(settings, progress=True, lock_timeout=BUILD_LOCK_TIMEOUT_S, log=warnings.append)
    except IndexLocked:
        lines.append("Một tiến trình khác đang cập nhật chỉ mục quá lâu: các tệp đã lưu sẽ vào chỉ mục ở lần cập nhật sau.")
        return "\n".join(lines)
    except (CorpusError, IndexError_) as exc:
        for path in saved:
            path.unlink(missing_ok=True)
        lines.append(f"Không cập nhật được chỉ mục ({exc}). Đã gỡ các tệp vừa lưu.")
        return "\n".join(lines)
    for warning in warnings:
        print(warning, file=sys.stderr)
    lines.append(f"Chỉ mục đã cập nhật: {report.summary()}.")
    on_stage(1.0, "Xong")
    return "\n".join(lines)
