"""The vector index past `ann_min_vectors`: IVF with 4-bit PQ fast-scan codes proposes, the stored vectors decide."""

from __future__ import annotations

import faiss
import numpy as np

from qa.index.reader import vector_top
from qa.index.segment import PQ_MIN_VECTORS, _write_ivf


def clustered(n: int, dim: int = 384, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((64, dim)).astype(np.float32)
    x = centres[rng.integers(0, 64, n)] + 0.8 * rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def exact_top(vectors, query, allowed, k=10):
    scores = vectors @ query
    scores[~allowed] = -np.inf
    return set(np.argsort(-scores)[:k].tolist())


def test_pq_codes_find_what_exact_search_finds_with_and_without_a_filter(tmp_path):
    vectors = clustered(6000)
    _write_ivf(tmp_path / "v.ivf", vectors)
    ann = faiss.read_index(str(tmp_path / "v.ivf"))
    assert isinstance(ann, faiss.IndexIVFPQFastScan) and ann.ntotal == len(vectors)
    assert (tmp_path / "v.ivf").stat().st_size < vectors.nbytes / 10  # codes of 1/16 of the vectors, and the ids
    queries = clustered(30, seed=1)
    everything = np.ones(len(vectors), dtype=bool)
    odd = np.arange(len(vectors)) % 2 == 1
    for allowed in (everything, odd):
        recall = []
        for q in queries:
            rows, scores = vector_top(vectors, ann, q, 10, allowed)
            assert allowed[rows].all() and np.allclose(scores, vectors[rows] @ q)  # exact scores, best first
            assert list(scores) == sorted(scores, reverse=True)
            recall.append(len(set(rows.tolist()) & exact_top(vectors, q, allowed)) / 10)
        assert np.mean(recall) >= 0.95, np.mean(recall)


def test_a_small_segment_keeps_8_bit_codes(tmp_path):
    """Fewer vectors than a PQ codebook trains well on (an `ann=ivf` index adding one article)."""
    vectors = clustered(PQ_MIN_VECTORS - 1)
    _write_ivf(tmp_path / "v.ivf", vectors)
    ann = faiss.read_index(str(tmp_path / "v.ivf"))
    assert isinstance(ann, faiss.IndexIVFScalarQuantizer)
    rows, _ = vector_top(vectors, ann, vectors[7], 5, np.ones(len(vectors), dtype=bool))
    assert rows[0] == 7
