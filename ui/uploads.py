"""Adding articles from the browser: validate, bound the work, skip duplicates, save under a safe unique name.

Indexing what was saved is ui.jobs' business (a background queue); here nothing is embedded. Every
message is Vietnamese and names the file it is about."""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from qa.ingest.chunking import split_article
from qa.ingest.corpus import ARTICLE_SUFFIXES, Article, article_id, decode_bytes, jsonl_article, os_error_reason, read_article_file
from qa.language.text import fold_diacritics, normalize, sentence_spans
from qa.messages import vi_number
from qa.settings import Settings

_NAME_MAX_CHARS = 80
LARGE_BATCH_HINT = "Với lô lớn, hãy chép tệp vào thư mục bài viết (corpus/) và chạy `qa index` trong terminal."


def vi_mib(size: int) -> str:
    """Bytes as MiB for a limit: 2097152 -> `2`, 1572864 -> `1,5`."""
    mib = size / 1048576
    return vi_number(mib) if mib == int(mib) else vi_number(mib, 1)


class UploadError(ValueError):
    """The file is not accepted; the message says why (in Vietnamese, for the user)."""


@dataclass(frozen=True)
class Upload:
    name: str  # the safe file name asked for
    original_name: str
    data: bytes  # what is saved: the file, or for JSONL its lines that are not duplicates
    articles: tuple[Article, ...]  # as the indexer will read them; a text file's id is fixed when it is saved
    texts: int  # passages + sentences its articles mean to embed (at most: equal texts are embedded once)
    skipped: tuple[str, ...] = ()  # messages for JSONL lines left out as duplicates

    @property
    def is_jsonl(self) -> bool:
        return self.name.endswith(".jsonl")


def safe_file_name(name: str) -> str:
    """`../Bài viết mới.TXT` -> `Bai_viet_moi.txt`: no folders, only [A-Za-z0-9._-], never hidden (`.x` is not indexed)."""
    base = os.path.basename(normalize(name).replace("\\", "/"))
    stem, suffix = os.path.splitext(base)
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", fold_diacritics(stem)).strip("._-")[:_NAME_MAX_CHARS]
    return (stem or "bai_viet") + suffix.lower()


def estimate_texts(articles, settings: Settings, stop_above: int | None = None) -> int:
    """Texts an index build embeds for these articles: their passages and their sentences (equal texts are
    embedded once: an upper bound). Counting stops once over `stop_above`: sentences are cheap to count,
    passages less so."""
    total = 0
    for article in articles:
        total += len(sentence_spans(article.text))
        if stop_above is not None and total > stop_above:
            return total
        total += len(split_article(article, settings.chunk_size, settings.chunk_overlap))
    return total


class KnownTexts:
    """Text hash -> article id of everything an upload must not repeat: the loaded index, the
    uploads waiting to be indexed, the files accepted earlier in the same upload."""

    def __init__(self, known: dict[str, str] | None = None, lookup: Callable[[str], str | None] | None = None) -> None:
        self.by_hash: dict[str, str] = dict(known or {})
        self.lookup = lookup  # further text hashes (the loaded index's catalog), asked one at a time

    def owner(self, article: Article) -> str | None:
        h = article.text_hash()
        return self.by_hash.get(h) or (self.lookup(h) if self.lookup else None)

    def add(self, article: Article, doc_id: str | None = None) -> None:
        self.by_hash.setdefault(article.text_hash(), doc_id or article.doc_id)


def check_upload(path: Path, original_name: str, known_ids: set[str], settings: Settings,
                 known_texts: KnownTexts | None = None) -> Upload:
    """The upload, read and parsed as the indexer will; UploadError when it cannot or need not be indexed.
    No message names the server path it was read from."""
    try:
        return _check_upload(path, original_name, known_ids, settings, known_texts)
    except OSError as exc:
        raise UploadError(f"«{original_name}» không đọc được ({os_error_reason(exc)}).") from None


def _check_upload(path: Path, original_name: str, known_ids: set[str], settings: Settings,
                  known_texts: KnownTexts | None) -> Upload:
    known_texts = known_texts or KnownTexts()
    name = safe_file_name(original_name)
    suffix = os.path.splitext(name)[1]
    if suffix not in ARTICLE_SUFFIXES:
        raise UploadError(f"«{original_name}»: chỉ nhận tệp {', '.join(ARTICLE_SUFFIXES)}.")
    size = path.stat().st_size
    if size > settings.upload_max_bytes:
        raise UploadError(f"«{original_name}»: tệp {vi_number(size / 1048576, 1)} MiB, tối đa {vi_mib(settings.upload_max_bytes)} MiB. "
                          + LARGE_BATCH_HINT)
    if suffix == ".jsonl":
        upload = _check_jsonl(path, name, original_name, known_ids, known_texts)
    else:
        try:
            article = read_article_file(path, suffix)  # a page, PDF or Word file is read as the indexer will
        except ValueError as exc:
            raise UploadError(f"«{original_name}» không đọc được ({exc}).") from None
        owner = known_texts.owner(article)
        if owner is not None:
            raise UploadError(f"«{original_name}»: trùng nội dung với bài «{owner}» đã có, bỏ qua.")
        upload = Upload(name, original_name, path.read_bytes(), (article,), 0)
    texts = estimate_texts(upload.articles, settings, stop_above=settings.upload_max_texts)
    if texts > settings.upload_max_texts:
        raise UploadError(f"«{original_name}»: cần nhúng hơn {settings.upload_max_texts} đoạn và câu (ít nhất {texts}), vượt giới hạn "
                          "của một lần tải lên qua trang này. " + LARGE_BATCH_HINT)
    return Upload(upload.name, original_name, upload.data, upload.articles, texts, upload.skipped)


def _check_jsonl(path: Path, name: str, original_name: str, known_ids: set[str], known_texts: KnownTexts) -> Upload:
    try:
        lines = decode_bytes(path.read_bytes()).splitlines()
    except ValueError as exc:
        raise UploadError(f"«{original_name}» không đọc được ({exc}).") from None
    problems, kept, skipped, articles = [], [], [], []
    seen = KnownTexts(known_texts.by_hash)
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            article = jsonl_article(line, f"{path}:{number}")
        except ValueError as exc:
            problems.append(f"dòng {number}: {exc}")
            continue
        owner = seen.owner(article)
        if owner is not None:
            skipped.append(f"«{original_name}» dòng {number} (mã {article.doc_id}): trùng nội dung với bài «{owner}», bỏ qua.")
            continue
        seen.add(article)
        kept.append(line)
        articles.append(article)
    if problems:
        raise UploadError(f"«{original_name}» không đọc được ({'; '.join(problems[:3])}).")
    if not articles:
        raise UploadError(" ".join(skipped) if skipped else f"«{original_name}»: không có bài viết nào.")
    ids = [a.doc_id for a in articles]
    clashes = sorted({i for i, n in Counter(ids).items() if n > 1} | (set(ids) & known_ids))
    if clashes:
        raise UploadError(f"«{original_name}»: mã bài đã có trong kho hoặc lặp lại: {', '.join(clashes[:5])}.")
    return Upload(name, original_name, ("\n".join(kept) + "\n").encode("utf-8"), tuple(articles), 0, tuple(skipped))


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
            if suffix != ".jsonl" and article_id(target) in taken_ids:
                continue
            try:
                os.link(hidden, target)  # fails when the name exists: no race with another upload
                return target
            except FileExistsError:
                continue
    finally:
        hidden.unlink(missing_ok=True)


def saved_ids(upload: Upload, path: Path) -> tuple[str, ...]:
    return tuple(a.doc_id for a in upload.articles) if upload.is_jsonl else (article_id(path),)


def saved_line(upload: Upload, path: Path) -> str:
    ids = ", ".join(saved_ids(upload, path))
    if path.name != upload.name:
        return f"Tên «{upload.name}» đã có trong kho: đã lưu «{upload.original_name}» thành «{path.name}» (mã bài: {ids})."
    if path.name == upload.original_name:
        return f"Đã lưu «{path.name}» (mã bài: {ids})."
    return f"Đã lưu «{upload.original_name}» thành «{path.name}» (mã bài: {ids})."
