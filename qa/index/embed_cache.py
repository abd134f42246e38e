"""Vectors of a build in progress, kept on disk by text hash, so a killed build resumes.

Each finished chunk of embeddings is written as one small file (written under a
temporary name, then renamed: a kill leaves whole chunks or nothing). The next
build reads back what it needs; a committed build empties the cache."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import numpy as np


def in_sorted(keys: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Which of `keys` are in `wanted` (sorted, unique, not empty): np.isin without sorting `wanted` again."""
    at = np.minimum(np.searchsorted(wanted, keys), len(wanted) - 1)
    return wanted[at] == keys


class EmbeddingCache:
    def __init__(self, index_dir: Path, embedder_id: str) -> None:
        key = hashlib.sha256(embedder_id.encode()).hexdigest()[:12]
        self.folder = index_dir / "embed-cache" / key
        self._count = 0

    def lookup(self, hashes: np.ndarray) -> dict[int, np.ndarray]:
        """Cached vectors for any of `hashes` (uint64). A binary search of each chunk's keys in the sorted wanted
        hashes: np.isin sorted all wanted hashes again for every chunk, which made the lookups of a 1M-passage
        build quadratic (most of its time, in a profile)."""
        found: dict[int, np.ndarray] = {}
        if not self.folder.is_dir() or not len(hashes):
            return found
        wanted = np.unique(np.asarray(hashes, dtype=np.uint64))
        for path in sorted(self.folder.glob("chunk-*.npz")):
            try:
                with np.load(path) as data:
                    keys, vectors = data["hashes"], data["vectors"]
            except (OSError, ValueError, KeyError):
                continue  # a damaged chunk is only lost work
            hit = in_sorted(keys, wanted)
            for h, v in zip(keys[hit], vectors[hit]):
                found[int(h)] = v
        return found

    def add(self, hashes: np.ndarray, vectors: np.ndarray) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._count += 1
        name = f"chunk-{os.getpid()}-{self._count:06d}"
        tmp = self.folder / f".{name}.npz"
        with open(tmp, "wb") as f:
            np.savez(f, hashes=np.asarray(hashes, dtype=np.uint64), vectors=np.asarray(vectors, dtype=np.float32))
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, self.folder / f"{name}.npz")

    def clear(self) -> None:
        shutil.rmtree(self.folder.parent, ignore_errors=True)
