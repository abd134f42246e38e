"""What the bench needs from a loaded index and engine beyond their public interface, kept here alone.

ANN recall compares the index's own dense search (FAISS, HNSW when
`settings.ann` asks for it) with exact search by numpy over the same passage
vectors. If the index's storage changes, only these two functions follow it."""

from __future__ import annotations

import numpy as np


def index_dense_top(index, vector: np.ndarray, k: int) -> list[int]:
    """Passage rows of the index's own dense search (the dense channel of retrieval), best first."""
    from qa.retrieve import dense_channel

    return list(dense_channel(index, vector, k, None).scores)


def passage_vectors(index) -> np.ndarray:
    """All passage vectors (N, dim), rows as `index_dense_top` numbers them (memory-mapped where stored so)."""
    if hasattr(index, "passage_vectors"):
        return index.passage_vectors()
    return index.vectors


def ann_recall(index, query_vectors: np.ndarray, k: int = 10, block: int = 65536) -> float:
    """Mean recall@k of the index's search against exact inner product; ties with the k-th exact score count as found."""
    vectors = passage_vectors(index)
    n = vectors.shape[0]
    if n == 0 or len(query_vectors) == 0:
        return 1.0
    queries = np.ascontiguousarray(query_vectors, dtype=np.float32)
    scores = np.empty((len(queries), n), dtype=np.float32)
    for start in range(0, n, block):  # blocks: a memory-mapped matrix is read once, never copied whole
        scores[:, start : start + block] = queries @ np.asarray(vectors[start : start + block], dtype=np.float32).T
    kk = min(k, n)
    found = 0.0
    for q, row in zip(queries, scores):
        threshold = np.partition(row, n - kk)[n - kk]
        top = index_dense_top(index, q, kk)
        found += min(sum(1 for i in top if row[i] >= threshold - 1e-5), kk) / kk
    return found / len(queries)


def forget_query_vectors(engine) -> None:
    """Engine keeps the last questions' vectors; a timed run that repeats questions must embed them again."""
    getattr(engine, "_vectors", {}).clear()
