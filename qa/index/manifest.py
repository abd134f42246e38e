"""The commit point: `DIR/current -> gen-N`, a folder with the manifest and the catalog.

    DIR/current                 symlink, swapped with one rename: readers see the old or the new commit
    DIR/gen-000012/manifest.json   format, embedder, chunking, and the live segments with their deleted rows
                  /catalog.json    per article: content hash, text hash, segment, row
                  /files.json      per corpus file: size, mtime, its article ids (all a re-run with nothing changed reads)
    DIR/segments/seg-000004/    immutable segments (qa.index.segment)
    DIR/embed-cache/            vectors of an unfinished build, so a killed build resumes
    DIR/.lock                   held while a build runs

A reader needs only the manifest; the catalog is for builds (what changed since the last one)."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import time
from pathlib import Path
from typing import NamedTuple

from qa.errors import IndexCorrupt, IndexLocked, IndexNotFound, IndexNotWritable

FORMAT_VERSION = 5  # 4: segment format 2 (compact postings, 4-bit IVF codes); 5: segment format 3 (sentence kinds)


class BuildLock:
    """An exclusive flock on DIR/.lock; `timeout` 0 fails at once with IndexLocked."""

    def __init__(self, index_dir: Path, timeout: float = 0.0) -> None:
        self.path = index_dir / ".lock"
        self.timeout = timeout
        self._fd: int | None = None

    def __enter__(self) -> BuildLock:
        check_writable(self.path.parent)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
                    os.close(fd)
                    raise IndexLocked(
                        f"một lượt lập chỉ mục khác đang chạy trên {self.path.parent} (pid {holder}); hãy thử lại khi nó xong"
                    ) from None
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def check_writable(index_dir: Path) -> None:
    """Fail before any work (embedding) when the index folder cannot take a build."""
    if index_dir.exists() and not index_dir.is_dir():
        raise IndexNotWritable(f"{index_dir} là một tệp, không phải thư mục chỉ mục: hãy chọn --index khác")
    link = index_dir / "current"
    if link.exists() and not link.is_symlink():
        raise IndexNotWritable(f"{link} là thư mục thật, không phải liên kết do qa tạo: hãy đổi tên hoặc xoá nó rồi chạy lại")
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        probe = index_dir / f".probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise IndexNotWritable(f"không ghi được vào thư mục chỉ mục {index_dir} ({exc.strerror}): hãy kiểm tra quyền ghi") from None


def current_generation(index_dir: Path) -> Path | None:
    link = index_dir / "current"
    if not link.is_symlink():
        return None
    return index_dir / os.readlink(link)


def read_json(path: Path, what: str) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not an object")
        return data
    except (OSError, ValueError) as exc:
        raise IndexCorrupt(f"{what} {path} không đọc được ({type(exc).__name__}): hãy chạy `qa index --full`") from None


def read_manifest(index_dir: Path, generation: Path | None = None) -> dict:
    path = generation or current_generation(index_dir)
    if path is None:
        raise IndexNotFound(f"Chưa có chỉ mục trong {index_dir}: hãy chạy `qa index` trước, "
                            "hoặc chỉ đúng thư mục chỉ mục bằng `--index THƯ_MỤC`.")
    return read_json(path / "manifest.json", "manifest")


def with_segments(manifest: dict, entries: list[dict]) -> dict:
    """`manifest` over the segment `entries` (name, row counts, deleted article rows, live counts), live totals recomputed."""
    return dict(
        manifest,
        segments=entries,
        article_count=sum(e["articles"] - len(e["deleted"]) for e in entries),
        passage_count=sum(e["live_passages"] for e in entries),
        sentence_count=sum(e["live_sentences"] for e in entries),
    )


class ArticleEntry(NamedTuple):
    """A catalog row of one article (stored as a JSON list in this order)."""

    content_hash: str  # of everything read from the file (a change re-indexes the article)
    text_hash: str  # of the text alone (two ids with one text are duplicates)
    segment: str
    row: int  # the article's row in its segment
    passages: int
    sentences: int


class FileEntry(NamedTuple):
    """A catalog row of one corpus file: unchanged size and mtime mean its articles need not be read again."""

    size: int  # -1: it holds a skipped duplicate, read again once anything in the corpus changes
    mtime_ns: int
    doc_ids: list[str]  # its articles in the index (a skipped duplicate is not)


def read_catalog(generation: Path) -> dict:
    """{"articles": ..., "files": ...}; commits before files.json kept the file table inside catalog.json."""
    catalog = read_json(generation / "catalog.json", "catalog")
    if "files" not in catalog:
        catalog["files"] = read_json(generation / "files.json", "file table")
    return catalog


def read_file_table(generation: Path) -> dict | None:
    """The file table alone (None when this commit has none of its own, or it cannot be read)."""
    try:
        return read_json(generation / "files.json", "file table")
    except IndexCorrupt:
        return None


def next_number(folder: Path, prefix: str) -> int:
    numbers = [int(p.name[len(prefix):]) for p in folder.glob(f"{prefix}*") if p.name[len(prefix):].isdigit()] if folder.is_dir() else []
    return max(numbers, default=0) + 1


def write_generation(index_dir: Path, manifest: dict, catalog: dict) -> Path:
    """A new commit folder (not yet current)."""
    final = index_dir / f"gen-{next_number(index_dir, 'gen-'):06d}"
    tmp = index_dir / f".tmp-{final.name}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)  # under the build lock: a leftover of this process's failed build
    tmp.mkdir(parents=True)
    parts = (("catalog.json", {k: v for k, v in catalog.items() if k != "files"}), ("files.json", catalog["files"]),
             ("manifest.json", manifest))
    try:
        for name, data in parts:
            with open(tmp / name, "w", encoding="utf-8") as f:
                f.write(json.dumps(data, ensure_ascii=False, separators=(",", ":")))  # dumps is C; dump is Python, 5× slower
                f.flush()
                os.fsync(f.fileno())
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def swap_current(index_dir: Path, generation: Path) -> None:
    tmp_link = index_dir / f".current-{os.getpid()}"
    if tmp_link.is_symlink():
        tmp_link.unlink()
    os.symlink(generation.name, tmp_link)
    os.replace(tmp_link, index_dir / "current")  # atomic: readers see the old or the new commit
    fd = os.open(index_dir, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)


def remove_stale(index_dir: Path, keep_generations: set[str]) -> list[str]:
    """Commits other than `keep_generations`, segments none of them uses, and leftovers of killed builds."""
    removed = []
    live_segments: set[str] = set()
    for name in keep_generations:
        try:
            live_segments |= {s["name"] for s in read_manifest(index_dir, index_dir / name)["segments"]}
        except IndexCorrupt:
            pass
    for path in index_dir.iterdir():
        if (path.name.startswith("gen-") and path.name not in keep_generations) or path.name.startswith((".tmp-", ".probe-")):
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
            removed.append(path.name)
        elif path.name.startswith(".current-"):
            path.unlink(missing_ok=True)
    segments = index_dir / "segments"
    if segments.is_dir():
        for path in segments.iterdir():
            if path.name not in live_segments:
                shutil.rmtree(path, ignore_errors=True)
                removed.append(f"segments/{path.name}")
    return removed
