"""Dense (FAISS), lexical (BM25) and hybrid (weighted reciprocal rank fusion) retrieval."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qa.chunking import Passage
from qa.constraints import rerank_by_constraints
from qa.corpus import Article
from qa.embedders import Embedder
from qa.index import LoadedIndex
from qa.settings import MODES, Settings


@dataclass(frozen=True)
class Hit:
    passage: Passage
    article: Article
    score: float  # of the mode asked for (fused for hybrid); higher is better
    dense_rank: int | None  # 1-based rank among the passages of that channel; None = not among its candidates
    dense_score: float | None
    bm25_rank: int | None
    bm25_score: float | None
    fused_rank: int = 0  # rank before article diversity was applied
    sentence_rank: int | None = None  # channel of the best single sentence inside the passage
    sentence_score: float | None = None


@dataclass(frozen=True)
class Channel:
    """One ranking: candidate passage -> score, and the statistics that put it on a common scale."""

    scores: dict[int, float]
    mean: float
    std: float
    floor: float  # what a passage outside the candidates is taken to score

    @classmethod
    def of(cls, scores: dict[int, float]) -> Channel:
        values = np.array(list(scores.values()) or [0.0], dtype=np.float64)
        std = float(values.std())
        return cls(scores, float(values.mean()), std if std > 1e-9 else 1.0, float(values.min()))

    def z(self, i: int) -> float:
        return (self.scores.get(i, self.floor) - self.mean) / self.std

    def ranks(self) -> dict[int, tuple[int, float]]:
        ordered = sorted(self.scores, key=lambda i: (-self.scores[i], i))
        return {i: (r, self.scores[i]) for r, i in enumerate(ordered, 1)}


def _allowed(index: LoadedIndex, since: str | None, until: str | None) -> np.ndarray | None:
    """Passages whose article date lies in [since, until]; undated articles are left out of a date filter."""
    if not since and not until:
        return None
    keep = []
    for p in index.passages:
        date = index.articles[p.doc_id].date
        keep.append(bool(date) and (not since or date >= since) and (not until or date <= until))
    return np.array(keep, dtype=bool)


def _faiss_top(faiss_index, query_vector: np.ndarray, depth: int, total: int) -> tuple[np.ndarray, np.ndarray]:
    scores, ids = faiss_index.search(query_vector.reshape(1, -1).astype(np.float32), min(depth, total))
    keep = ids[0] >= 0
    return ids[0][keep], scores[0][keep]


def dense_channel(index: LoadedIndex, query_vector: np.ndarray, depth: int, allowed) -> Channel:
    n = len(index.passages)
    ids, scores = _faiss_top(index.faiss_index, query_vector, n if allowed is not None else depth, n)
    found = {int(i): float(s) for i, s in zip(ids, scores) if allowed is None or allowed[i]}
    return Channel.of(dict(list(found.items())[:depth]))


def sentence_channel(index: LoadedIndex, query_vector: np.ndarray, depth: int, allowed) -> Channel:
    """Each passage scored by its single best sentence: a question usually asks about one sentence."""
    n = len(index.sentences)
    ids, scores = _faiss_top(index.sentence_faiss, query_vector, n if allowed is not None else depth * 3, n)
    best: dict[int, float] = {}
    for i, s in zip(ids, scores):
        for p in index.sentence_passages[int(i)]:
            if (allowed is None or allowed[p]) and p not in best:
                best[p] = float(s)  # sentences come best first
        if len(best) >= depth:
            break
    return Channel.of(best)


def bm25_channel(index: LoadedIndex, question: str, depth: int, allowed) -> Channel:
    scores = index.bm25.scores(question)
    if allowed is not None:
        scores = np.where(allowed, scores, 0.0)
    # Stable sort on -score keeps ties in passage order: deterministic.
    order = np.argsort(-scores, kind="stable")[:depth]
    return Channel.of({int(i): float(scores[i]) for i in order if scores[i] > 0})


def search(
    index: LoadedIndex,
    embedder: Embedder,
    question: str,
    settings: Settings,
    k: int | None = None,
    mode: str | None = None,
    since: str | None = None,
    until: str | None = None,
    query_vector: np.ndarray | None = None,
) -> list[Hit]:
    """The best `k` passages for `question`, at most `settings.max_passages_per_article`
    per article unless fewer articles than `k` match.

    Hybrid fuses three channels: passage vectors, sentence vectors and BM25. Each
    channel's scores are standardized (z-scores over its candidates) and summed
    with weights chosen by measurement; z-scores keep a much stronger channel
    from being flattened the way rank fusion flattens it."""
    k = k or settings.k
    mode = mode or settings.mode
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}: use one of {', '.join(MODES)}")
    if not index.passages:
        return []
    allowed = _allowed(index, since, until)
    if allowed is not None and not allowed.any():
        return []
    depth = max(settings.candidates, k * 4)
    channels: dict[str, tuple[Channel, float]] = {}
    if mode in ("dense", "hybrid"):
        vector = embedder.embed_query(question) if query_vector is None else query_vector
        channels["dense"] = (dense_channel(index, vector, depth, allowed), settings.dense_weight)
        channels["sentence"] = (sentence_channel(index, vector, depth, allowed), settings.sentence_weight)
    if mode in ("bm25", "hybrid"):
        channels["bm25"] = (bm25_channel(index, question, depth, allowed), settings.bm25_weight)
    if mode == "bm25":
        fused = dict(channels["bm25"][0].scores)
    else:
        candidates = set().union(*(c.scores for c, _ in channels.values()))
        fused = {i: sum(w * c.z(i) for c, w in channels.values()) for i in candidates}
    ranks = {name: c.ranks() for name, (c, _) in channels.items()}
    ranked = sorted(fused, key=lambda i: (-fused[i], i))
    hits = []
    for fused_rank, i in enumerate(ranked, 1):
        p = index.passages[i]
        d, s, b = (ranks.get(name, {}).get(i, (None, None)) for name in ("dense", "sentence", "bm25"))
        hits.append(Hit(p, index.articles[p.doc_id], fused[i], d[0], d[1], b[0], b[1], fused_rank, s[0], s[1]))
    hits = rerank_by_constraints(index, question, hits, settings.constraint_weight)
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
