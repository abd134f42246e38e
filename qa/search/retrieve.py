"""Dense (passage and sentence vectors), lexical (BM25) and hybrid (z-score fusion) retrieval."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from qa.index import LoadedIndex, RowFilter
from qa.ingest.chunking import Passage
from qa.ingest.corpus import Article
from qa.search.constraints import RERANK_DEPTH, rerank_by_constraints
from qa.search.question import Question
from qa.settings import Settings


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


def dense_channel(index: LoadedIndex, query_vector: np.ndarray, depth: int, rows: RowFilter) -> Channel:
    return Channel.of(index.search_passages(query_vector, depth, rows))


def sentence_channel(index: LoadedIndex, query_vector: np.ndarray, depth: int, rows: RowFilter) -> Channel:
    """Each passage scored by its single best sentence: a question usually asks about one sentence."""
    best: dict[int, float] = {}
    for score, first, last in index.search_sentences(query_vector, depth * 3, rows):
        for p in range(first, last + 1):
            best.setdefault(p, score)  # sentences come best first
        if len(best) >= depth:
            break
    return Channel.of(best)


def bm25_channel(index: LoadedIndex, question: str, depth: int, rows: RowFilter) -> Channel:
    scores = index.bm25.scores(question)
    if rows is not index.live:  # deleted rows already score 0
        scores = np.where(index.passage_mask(rows), scores, 0.0)
    k = min(depth, len(scores))
    if k == 0:
        return Channel.of({})
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.lexsort((top, -scores[top]))]  # ties in row order: deterministic
    return Channel.of({int(i): float(scores[i]) for i in top if scores[i] > 0})


def search(index: LoadedIndex, question: Question, settings: Settings) -> list[Hit]:
    """The best `k` passages for `question`, at most `settings.max_passages_per_article`
    per article unless fewer articles than `k` match.

    Hybrid fuses three channels: passage vectors, sentence vectors and BM25. Each
    channel's scores are standardized (z-scores over its candidates) and summed
    with weights chosen by measurement; z-scores keep a much stronger channel
    from being flattened the way rank fusion flattens it."""
    k = question.k or settings.k
    mode = question.mode or settings.mode
    if not index.manifest["passage_count"]:
        return []
    rows = index.row_filter(question.since, question.until)
    if not any(a.any() for a in rows.articles):
        return []
    depth = max(settings.candidates, k * 4)
    channels: dict[str, tuple[Channel, float]] = {}
    if mode in ("dense", "hybrid"):
        vector = question.vector  # of the question with its diacritics restored
        channels["dense"] = (dense_channel(index, vector, depth, rows), settings.dense_weight)
        channels["sentence"] = (sentence_channel(index, vector, depth, rows), settings.sentence_weight)
    if mode in ("bm25", "hybrid"):
        # BM25 reads the question as typed: a question without accents is still matched by its folded twin
        # when a restored syllable is wrong.
        channels["bm25"] = (bm25_channel(index, question.text, depth, rows), settings.bm25_weight)
    if mode == "bm25":
        fused = dict(channels["bm25"][0].scores)
    else:
        candidates = set().union(*(c.scores for c, _ in channels.values()))
        fused = {i: sum(w * c.z(i) for c, w in channels.values()) for i in candidates}
    _prefer(index, question, fused, channels, rows, settings.prior_weight, mode == "bm25")
    ranks = {name: c.ranks() for name, (c, _) in channels.items()}
    ranked = sorted(fused, key=lambda i: (-fused[i], i))
    hits = []
    for fused_rank, i in enumerate(ranked, 1):
        d, s, b = (ranks.get(name, {}).get(i, (None, None)) for name in ("dense", "sentence", "bm25"))
        hits.append(_Ranked(i, fused[i], d[0], d[1], b[0], b[1], fused_rank, s[0], s[1]))
    # Only the head is read from the index (articles and passage texts): enough for the constraint
    # rerank and for `k` distinct articles.
    head = [Hit(*index.passage(h.row), *h[1:]) for h in hits[: max(RERANK_DEPTH, 20 * k)]]
    head = rerank_by_constraints(index, question, head, settings.constraint_weight)
    return diversify(head, k, settings.max_passages_per_article)


def _prefer(index: LoadedIndex, question: Question, fused: dict[int, float], channels, rows: RowFilter, weight: float,
            bm25_only: bool) -> None:
    """A follow-up's prior: the passages of the articles the previous answer came from move up by `weight`
    standard deviations of the fused scores (added to the candidates when no channel found them)."""
    if not question.prior_docs or weight <= 0 or not fused:
        return
    values = np.fromiter(fused.values(), dtype=np.float64)
    scale = float(values.std()) if len(values) > 1 and values.std() > 1e-9 else 1.0
    allowed = index.passage_mask(rows) if rows is not index.live else None
    for doc_id in question.prior_docs:
        for i in index.article_passage_rows(doc_id):
            if allowed is not None and not allowed[i]:
                continue
            if i not in fused:  # raw BM25 scores in bm25 mode, z-scores otherwise
                fused[i] = float(values.min()) if bm25_only else sum(w * c.z(i) for c, w in channels.values())
            fused[i] += weight * scale


class _Ranked(NamedTuple):
    """A fused candidate before it is turned into a Hit (only the chosen few are read from the index)."""

    row: int
    score: float
    dense_rank: int | None
    dense_score: float | None
    bm25_rank: int | None
    bm25_score: float | None
    fused_rank: int
    sentence_rank: int | None
    sentence_score: float | None


def diversify(hits: list[Hit], k: int, per_article: int) -> list[Hit]:
    """Top `k` with at most `per_article` passages of one article, filled up in rank order if short."""
    chosen, spare, count = [], [], {}
    for hit in hits:
        article = hit.passage.doc_id
        if count.get(article, 0) < per_article:
            chosen.append(hit)
            count[article] = count.get(article, 0) + 1
        else:
            spare.append(hit)
        if len(chosen) == k:
            return chosen
    chosen += spare[: k - len(chosen)]
    return sorted(chosen, key=lambda h: h.fused_rank)
