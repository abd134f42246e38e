"""Per-file checksums of a segment: written at commit (segment.json's `checksums`), verified when a process first
opens the segment for questions and by `qa index --verify`.

A file's size is checked before each question (a truncated mapping kills the process); a flipped byte keeps the
size, and gave a UnicodeDecodeError traceback in every `qa ask` (text.bin), IndexErrors (offsets), or silently
wrong answers (vectors). CRC-32 (zlib, about a gigabyte a second) finds such damage; it guards against the disk,
not against someone who rewrites both a file and its checksum.

A process that finds a damaged segment leaves a DAMAGED file in it (when it may write there): the next
`qa index` then drops that segment and indexes its articles again, instead of finding the index unchanged."""

from __future__ import annotations

import os
import zlib
from pathlib import Path

_CHUNK = 1 << 24
MARKER = "DAMAGED"


def file_checksum(path: str | Path) -> str:
    crc = 0
    with open(path, "rb", buffering=0) as f:
        buffer = bytearray(_CHUNK)
        view = memoryview(buffer)
        while n := f.readinto(buffer):
            crc = zlib.crc32(view[:n], crc)
    return f"{crc:08x}"


def folder_checksums(folder: Path, names: list[str]) -> dict[str, str]:
    return {name: file_checksum(folder / name) for name in names}


def damaged_files(folder: Path, meta: dict) -> list[str]:
    """The files whose content no longer has the checksum segment.json recorded (none recorded: nothing to say)."""
    bad = []
    for name, expected in (meta.get("checksums") or {}).items():
        try:
            if file_checksum(os.path.join(folder, name)) != expected:
                bad.append(name)
        except OSError:
            bad.append(name)
    return bad


def mark_damaged(folder: Path, reason: str) -> None:
    try:
        (folder / MARKER).write_text(reason + "\n", encoding="utf-8")
    except OSError:  # a read-only index: `qa index --verify` still finds it
        pass


def marked_damaged(folder: Path) -> bool:
    return os.path.exists(os.path.join(folder, MARKER))
