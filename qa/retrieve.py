"""Dense (FAISS), lexical (BM25) and hybrid (weighted reciprocal rank fusion) retrieval."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qa.chunking import Passage
from qa.corpus import Article
from qa.embedders import Embedder
from qa.index import LoadedIndex
from qa.settings import MODES, Settings


@dataclass(frozen=True)
class Hit:
    passage: Passage
    article: Article
    score: float  # of the mode asked for (fused for hybrid); higher is better
    dense_rank: int | None  # 1-based rank among all passages in that channel; None = not among the candidates
    dense_score: float | None
    bm25_rank: int | None
    bm25_score: float | None
    fused_rank: int = 0  # rank before article diversity was applied


def _allowed(index: LoadedIndex, since: str | None, until: str | None) -> np.ndarray | None:
    """Passages whose article date lies in [since, until]; undated articles are left out of a date filter."""
    if not since and not until:
        return None
    keep = []
    for p in index.passages:
        date = index.articles[p.doc_id].date
        keep.append(bool(date) and (not since or date >= since) and (not until or date <= until))
    return np.array(keep, dtype=bool)


def _dense(index: LoadedIndex, query_vector: np.ndarray, depth: int, allowed) -> tuple[np.ndarray, np.ndarray]:
    n = len(index.passages)
    search_k = n if allowed is not None else min(depth, n)
    scores, ids = index.faiss_index.search(query_vector.reshape(1, -1).astype(np.float32), search_k)
    scores, ids = scores[0], ids[0]
    keep = ids >= 0
    if allowed is not None:
        keep &= allowed[np.clip(ids, 0, None)]
    return ids[keep][:depth], scores[keep][:depth]


def _bm25(index: LoadedIndex, question: str, depth: int, allowed) -> tuple[np.ndarray, np.ndarray]:
    scores = index.bm25.scores(question)
    if allowed is not None:
        scores = np.where(allowed, scores, 0.0)
    # Stable sort on -score keeps ties in passage order: deterministic.
    order = np.argsort(-scores, kind="stable")[:depth]
    order = order[scores[order] > 0]
    return order, scores[order]


def search(
    index: LoadedIndex,
    embedder: Embedder,
    question: str,
    settings: Settings,
    k: int | None = None,
    mode: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> list[Hit]:
    """The best `k` passages for `question`, at most `settings.max_passages_per_article`
    per article unless fewer articles than `k` match."""
    k = k or settings.k
    mode = mode or settings.mode
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}: use one of {', '.join(MODES)}")
    if not index.passages:
        return []
    allowed = _allowed(index, since, until)
    depth = max(settings.candidates, k * 4)
    dense_ids, dense_scores = (
        _dense(index, embedder.embed_query(question), depth, allowed) if mode != "bm25" else (np.array([], int), np.array([]))
    )
    bm25_ids, bm25_scores = _bm25(index, question, depth, allowed) if mode != "dense" else (np.array([], int), np.array([]))
    dense = {int(i): (r, float(s)) for r, (i, s) in enumerate(zip(dense_ids, dense_scores), 1)}
    lexical = {int(i): (r, float(s)) for r, (i, s) in enumerate(zip(bm25_ids, bm25_scores), 1)}
    fused: dict[int, float] = {}
    if mode == "dense":
        fused = {i: s for i, (_, s) in dense.items()}
    elif mode == "bm25":
        fused = {i: s for i, (_, s) in lexical.items()}
    else:
        for i, (r, _) in dense.items():
            fused[i] = fused.get(i, 0.0) + settings.dense_weight / (settings.rrf_k + r)
        for i, (r, _) in lexical.items():
            fused[i] = fused.get(i, 0.0) + settings.bm25_weight / (settings.rrf_k + r)
    ranked = sorted(fused, key=lambda i: (-fused[i], i))
    hits = []
    for fused_rank, i in enumerate(ranked, 1):
        p = index.passages[i]
        d, b = dense.get(i, (None, None)), lexical.get(i, (None, None))
        hits.append(Hit(p, index.articles[p.doc_id], fused[i], d[0], d[1], b[0], b[1], fused_rank))
    return diversify(hits, k, settings.max_passages_per_article)


def diversify(hits: list[Hit], k: int, per_article: int) -> list[Hit]:
    """Top `k` with at most `per_article` passages of one article, filled up in rank order if short."""
    chosen, spare, count = [], [], {}
    for hit in hits:
        if count.get(hit.passage.doc_id, 0) < per_article:
            chosen.append(hit)
            count[hit.passage.doc_id] = count.get(hit.passage.doc_id, 0) + 1
        else:
            spare.append(hit)
        if len(chosen) == k:
            return chosen
    chosen += spare[: k - len(chosen)]
    return sorted(chosen, key=lambda h: h.fused_rank)
