"""What the bench needs from a loaded index and engine beyond their public interface, kept here alone.

ANN recall compares the index's own vector search (FAISS, HNSW when
`settings.ann` asks for it) with exact search by numpy over the same passage
or sentence vectors. If the index's storage changes, only this file follows it."""

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


def index_sentence_top(index, vector: np.ndarray, k: int) -> list[int]:
    """Sentence rows of the index's own sentence-vector search, best first."""
    scores, ids = index.sentence_faiss.search(np.asarray(vector, dtype=np.float32).reshape(1, -1), k)
    return [int(i) for i in ids[0] if i >= 0]


def sentence_vectors(index) -> np.ndarray:
    """All sentence vectors (S, dim), rows as `index_sentence_top` and `index.sentence_vector(row)` number them."""
    if hasattr(index, "all_sentence_vectors"):
        return index.all_sentence_vectors()
    return index.sentence_vectors


def ann_recall(index, query_vectors: np.ndarray, k: int = 10, block: int = 65536, sentences: bool = False) -> float:
    """Mean recall@k of the index's search (passages, or sentences) against exact inner product over the same vectors;
    ties with the k-th exact score count as found."""
    vectors = sentence_vectors(index) if sentences else passage_vectors(index)
    search = index_sentence_top if sentences else index_dense_top
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
        top = search(index, q, kk)
        found += min(sum(1 for i in top if row[i] >= threshold - 1e-5), kk) / kk
    return found / len(queries)


def forget_query_vectors(engine) -> None:
    """Engine keeps the last questions' vectors; a timed run that repeats questions must embed them again."""
    getattr(engine, "_vectors", {}).clear()
