"""What the bench needs from a loaded index and engine beyond their public interface, kept here alone.

ANN recall compares the index's own vector search (exact or IVF per segment, as
`settings.ann` chose) with exact search by numpy over the same stored vectors of the
live rows. If the index's storage changes, only this file follows it."""

from __future__ import annotations

import numpy as np


def _top(index, vector: np.ndarray, k: int, sentences: bool) -> list[int]:
    """Global rows (passages, or sentences) of the index's own vector search, best first."""
    from qa.index.reader import vector_top

    found = []
    for i, segment in enumerate(index.segments):
        vectors, ann, offsets = ((segment.sentence_vectors, segment.sentence_ann, index.sentence_offsets) if sentences
                                 else (segment.passage_vectors, segment.passage_ann, index.passage_offsets))
        allowed = index.live.sentences(i, segment) if sentences else index.live.passages(i, segment)
        rows, scores = vector_top(vectors, ann, vector, k, allowed)
        found += [(float(s), int(offsets[i]) + int(r)) for r, s in zip(rows, scores)]
    found.sort(key=lambda x: (-x[0], x[1]))
    return [row for _, row in found[:k]]


def _exact_scores(index, queries: np.ndarray, sentences: bool, block: int = 65536) -> np.ndarray:
    """Inner products of every query with every global row; -inf for deleted rows."""
    parts = []
    for i, segment in enumerate(index.segments):
        vectors = segment.sentence_vectors if sentences else segment.passage_vectors
        allowed = index.live.sentences(i, segment) if sentences else index.live.passages(i, segment)
        scores = np.empty((len(queries), len(vectors)), dtype=np.float32)
        for start in range(0, len(vectors), block):  # blocks: a memory-mapped matrix is read once, never copied whole
            scores[:, start : start + block] = queries @ np.asarray(vectors[start : start + block], dtype=np.float32).T
        scores[:, ~allowed] = -np.inf
        parts.append(scores)
    return np.concatenate(parts, axis=1) if parts else np.zeros((len(queries), 0), dtype=np.float32)


def ann_recall(index, query_vectors: np.ndarray, k: int = 10, sentences: bool = False) -> float:
    """Mean recall@k of the index's search (passages, or sentences) against exact inner product over the same vectors;
    ties with the k-th exact score count as found."""
    queries = np.ascontiguousarray(query_vectors, dtype=np.float32)
    if len(queries) == 0:
        return 1.0
    scores = _exact_scores(index, queries, sentences)
    n = scores.shape[1]
    if n == 0:
        return 1.0
    kk = min(k, n)
    found = 0.0
    for q, row in zip(queries, scores):
        threshold = np.partition(row, n - kk)[n - kk]
        top = _top(index, q, kk, sentences)
        found += min(sum(1 for i in top if row[i] >= threshold - 1e-5), kk) / kk
    return found / len(queries)


def forget_query_vectors(engine) -> None:
    """Engine keeps the last questions' vectors; a timed run that repeats questions must embed them again."""
    getattr(engine, "_vectors", {}).clear()
