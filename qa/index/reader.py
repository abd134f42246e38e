"""The index as a question sees it: the live rows of all segments of one commit, in one row space.

Opening a commit memory-maps each segment (segments already open from the commit
before are reused: they are immutable) and turns the manifest's deleted article rows
into boolean masks with numpy; nothing is built per passage in Python. Global passage
row = segment offset + local row; the same for sentences."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qa.errors import IndexCorrupt, IndexMismatch
from qa.index.bm25 import LexicalIndex, LexicalPart
from qa.index.manifest import FORMAT_VERSION, current_generation, read_manifest
from qa.index.segment import Segment, SegmentDamaged, date_number
from qa.ingest.chunking import Passage, chunking_params
from qa.ingest.corpus import Article
from qa.settings import Settings

# IVF cells probed: a share of them, at least NPROBE_MIN. Measured on the 100k-passage bench archive (250k
# sentences), recall@10 against exact, passages / sentences: 0.03 -> 0.87 / 0.89, 0.1 -> 0.95 / 0.94,
# 0.2 -> 0.97 / 1.0, 0.4 -> 0.986 / 1.0 at ~10-18 ms for both channels.
NPROBE_SHARE = 0.4
NPROBE_MIN = 8
CANDIDATES_MIN = 1000  # PQ distances are approximate: re-score at least this many exactly (1M archive, sentences
# recall@10: 0.93 with 200, 0.98 with 500, 0.99 with 1000; a channel asks for 200-600 rows, so 800-2400 anyway)


@dataclass(frozen=True)
class RowFilter:
    """Per segment, the articles a question may see (live, and inside a date range if one is asked)."""

    articles: tuple[np.ndarray, ...]
    # (kind, segment) -> row mask, computed on first use: the index's live filter serves every question that
    # asks for no dates, and gathering a mask over 0.5M sentence rows cost 3 ms a segment per question.
    _masks: dict = field(default_factory=dict, compare=False, repr=False)

    def passages(self, i: int, segment: Segment) -> np.ndarray:
        mask = self._masks.get(("p", i))
        if mask is None:
            mask = self._masks[("p", i)] = self.articles[i][segment.passage_articles]
        return mask

    def sentences(self, i: int, segment: Segment) -> np.ndarray:
        mask = self._masks.get(("s", i))
        if mask is None:
            mask = self._masks[("s", i)] = self.articles[i][segment.sentence_articles]
        return mask


class LoadedIndex:
    def __init__(self, path: Path, manifest: dict, segments: list[Segment]) -> None:
        self.path = path
        self.manifest = manifest
        self.segments = segments
        live = []
        for segment, entry in zip(segments, manifest["segments"]):
            mask = np.ones(segment.meta["articles"], dtype=bool)
            mask[np.asarray(entry["deleted"], dtype=np.int64)] = False
            live.append(mask)
        self.live = RowFilter(tuple(live))
        self.passage_offsets = np.concatenate([[0], np.cumsum([s.meta["passages"] for s in segments])]).astype(np.int64)
        self.sentence_offsets = np.concatenate([[0], np.cumsum([s.meta["sentences"] for s in segments])]).astype(np.int64)
        self._live_passages = [self.live.passages(i, s) for i, s in enumerate(segments)]
        counts = (sum(int(m.sum()) for m in live), sum(int(m.sum()) for m in self._live_passages),
                  sum(int(self.live.sentences(i, s).sum()) for i, s in enumerate(segments)))
        expected = (manifest["article_count"], manifest["passage_count"], manifest["sentence_count"])
        if counts != expected:
            raise IndexCorrupt(
                f"chỉ mục {path.name} không nhất quán (đếm được {counts}, manifest ghi {expected}): hãy chạy `qa index --full`"
            )
        self.bm25 = LexicalIndex(
            [LexicalPart(s.postings, s.lengths, m, int(o)) for s, m, o in zip(segments, self._live_passages, self.passage_offsets)],
            int(self.passage_offsets[-1]),
        )
        self._where: dict[str, tuple[int, int]] | None = None
        self._recent: dict[str, tuple[int, int]] = {}
        self._accents = None
        self._texts: dict[str, str] | None = None

    def verify(self) -> None:
        """IndexCorrupt when a mapped file changed size on disk (touching it would kill the process with SIGBUS)."""
        for segment in self.segments:
            try:
                segment.verify()
            except SegmentDamaged as exc:
                raise IndexCorrupt(f"chỉ mục đang dùng bị hỏng trên đĩa ({exc}): hãy chạy `qa index --full`") from None

    def release_pages(self, above_mb: int | None = None) -> bool:
        """Give the pages questions mapped back to the page cache (Segment.release_pages): now, or (`above_mb`) once
        this process holds more than that many MiB of file pages (/proc/self/statm; unknown off Linux: released)."""
        if above_mb is not None and _mapped_mb() <= above_mb:
            return False
        for segment in self.segments:
            segment.release_pages()
        return True

    @property
    def generation(self) -> str:
        return self.path.name

    @classmethod
    def load(cls, index_dir: Path, embedder_id: str | None = None, settings: Settings | None = None,
             opened: dict[str, Segment] | None = None) -> LoadedIndex:
        """The current commit of `index_dir`; `opened` holds segments already open (reused, and updated).

        IndexMismatch for an index built with another embedder, chunking or format; IndexCorrupt
        when a file is missing, truncated or inconsistent (checked before anything is mapped)."""

        path = current_generation(index_dir)
        manifest = read_manifest(index_dir)
        if manifest.get("format_version") != FORMAT_VERSION:
            raise IndexMismatch(
                f"chỉ mục {index_dir} có định dạng {manifest.get('format_version')}, bản qa này đọc {FORMAT_VERSION}: hãy chạy `qa index`"
            )
        if embedder_id is not None and manifest["embedder"]["id"] != embedder_id:
            raise IndexMismatch(f"chỉ mục {index_dir} được dựng bằng {manifest['embedder']['id']!r}, không phải {embedder_id!r}: "
                                "hãy chạy `qa index --full`")
        if settings is not None and manifest["chunking"] != chunking_params(settings):
            raise IndexMismatch(f"chỉ mục {index_dir} được dựng với cách chia đoạn {manifest['chunking']}, cấu hình yêu cầu "
                                f"{chunking_params(settings)}: hãy chạy `qa index --full`")
        opened = {} if opened is None else opened
        check_sums = settings.verify_on_open if settings is not None else True  # once per segment and process
        segments = []
        try:
            for entry in manifest["segments"]:
                segment = opened.get(entry["name"]) or Segment(index_dir / "segments" / entry["name"], check_sums=check_sums)
                opened[entry["name"]] = segment
                segments.append(segment)
            return cls(path, manifest, segments)
        except SegmentDamaged as exc:
            raise IndexCorrupt(f"chỉ mục {index_dir} bị hỏng ({exc}): hãy chạy `qa index --full`") from None
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise IndexCorrupt(f"manifest của {index_dir} bị hỏng ({type(exc).__name__}: {exc}): hãy chạy `qa index --full`") from None

    # --- rows -> objects ------------------------------------------------------------------

    def _locate(self, row: int, offsets: np.ndarray) -> tuple[int, int]:
        i = int(np.searchsorted(offsets, row, side="right")) - 1
        return i, row - int(offsets[i])

    def passage(self, row: int) -> tuple[Passage, Article]:
        i, local = self._locate(row, self.passage_offsets)
        segment = self.segments[i]
        article_row = int(segment.passages[local, 0])
        article = segment.article(article_row)
        self._remember(article.doc_id, i, article_row)
        return segment.passage(local, article), article

    def _remember(self, doc_id: str, i: int, row: int) -> None:
        if len(self._recent) > 4096:
            self._recent.clear()
        self._recent[doc_id] = (i, row)

    def _where_is(self, doc_id: str) -> tuple[int, int] | None:
        if doc_id in self._recent:
            return self._recent[doc_id]
        if self._where is None:  # built once, on the first look-up of an article not met through a hit
            where = {}
            for i, segment in enumerate(self.segments):
                for row in np.flatnonzero(self.live.articles[i]):
                    where[segment.columns["doc_id"][row]] = (i, int(row))
            self._where = where
        return self._where.get(doc_id)

    # The reader's interface for the answerer, the UI and evaluation.
    def article(self, doc_id: str) -> Article:
        where = self._where_is(doc_id)
        if where is None:
            raise KeyError(doc_id)
        return self.segments[where[0]].article(where[1])

    def doc_ids(self) -> list[str]:
        return [s.columns["doc_id"][row] for i, s in enumerate(self.segments) for row in np.flatnonzero(self.live.articles[i])]

    def article_sentences(self, doc_id: str, statements_only: bool = False) -> list[tuple[int, int, int]]:
        """(start, end, global sentence row) of each sentence of the article, in text order; `statements_only`
        leaves out photo captions, credits and navigation text (qa.ingest.statements): never evidence."""
        where = self._where_is(doc_id)
        if where is None:
            return []
        i, row = where
        segment = self.segments[i]
        a, b = int(segment.article_sentence_rows[row]), int(segment.article_sentence_rows[row + 1])
        base = int(self.sentence_offsets[i])
        kinds = segment.sentence_kinds[a:b]
        return [(int(s[1]), int(s[2]), base + a + k) for k, s in enumerate(segment.sentences[a:b])
                if not (statements_only and kinds[k])]

    def article_passage_rows(self, doc_id: str) -> range:
        """The global passage rows of a live article (empty when it is not in the index)."""
        where = self._where_is(doc_id)
        if where is None:
            return range(0)
        i, row = where
        offsets, base = self.segments[i].article_passages, int(self.passage_offsets[i])
        return range(base + int(offsets[row]), base + int(offsets[row + 1]))

    def doc_with_text(self, text_hash: str) -> str | None:
        """The live article whose text (whitespace-insensitive, `Article.text_hash`) it is, if any: from the catalog."""
        if self._texts is None:
            from qa.index.manifest import read_catalog

            self._texts = {entry[1]: doc for doc, entry in read_catalog(self.path)["articles"].items()}
        return self._texts.get(text_hash[:24])

    def accent_model(self):
        """Syllable statistics of all segments (for diacritics restoration), merged on first use."""
        if self._accents is None:
            from qa.language.accents import AccentModel

            try:
                self._accents = AccentModel.merge([s.accent_model() for s in self.segments])
            except SegmentDamaged as exc:
                raise IndexCorrupt(f"chỉ mục bị hỏng ({exc}): hãy chạy `qa index --full`") from None
        return self._accents

    def sentence_vector(self, row: int) -> np.ndarray:
        i, local = self._locate(row, self.sentence_offsets)
        return np.asarray(self.segments[i].sentence_vectors[local], dtype=np.float32)

    # --- search primitives -------------------------------------------------------------------

    def row_filter(self, since: str | None, until: str | None) -> RowFilter:
        if not since and not until:
            return self.live
        lo, hi = date_number(since) if since else 1, date_number(until) if until else 99991231
        return RowFilter(tuple(live & (s.dates >= lo) & (s.dates <= hi) & (s.dates > 0)
                               for live, s in zip(self.live.articles, self.segments)))

    def passage_mask(self, rows: RowFilter) -> np.ndarray:
        """The filter over global passage rows (for the lexical channel)."""
        if not self.segments:
            return np.zeros(0, dtype=bool)
        return np.concatenate([rows.passages(i, s) for i, s in enumerate(self.segments)])

    def search_passages(self, query: np.ndarray, depth: int, rows: RowFilter) -> dict[int, float]:
        """The best `depth` passages by vector similarity: global row -> score."""
        found_rows, found_scores = [], []
        for i, segment in enumerate(self.segments):
            local, scores = vector_top(segment.passage_vectors, segment.passage_ann, query, depth, rows.passages(i, segment))
            found_rows.append(local.astype(np.int64) + self.passage_offsets[i])
            found_scores.append(scores)
        if not found_rows:
            return {}
        rows_, scores_ = np.concatenate(found_rows), np.concatenate(found_scores).astype(np.float64)
        best = np.lexsort((rows_, -scores_))[:depth]  # best first, ties by row (as sorting the tuples did)
        return dict(zip(rows_[best].tolist(), scores_[best].tolist()))

    def search_sentences(self, query: np.ndarray, depth: int, rows: RowFilter) -> list[tuple[float, int, int]]:
        """The best `depth` sentences: (score, first, last global passage row it overlaps), best first."""
        found_spans, found_scores = [], []
        for i, segment in enumerate(self.segments):
            local, scores = vector_top(segment.sentence_vectors, segment.sentence_ann, query, depth, rows.sentences(i, segment))
            spans = segment.sentences[local, 3:5].astype(np.int64)
            inside = spans[:, 0] >= 0  # a sentence outside every passage (not expected) is no evidence
            found_spans.append(spans[inside] + self.passage_offsets[i])
            found_scores.append(scores[inside])
        if not found_spans:
            return []
        spans, scores = np.concatenate(found_spans), np.concatenate(found_scores).astype(np.float64)
        best = np.lexsort((spans[:, 0], -scores))[:depth]  # best first, ties by first passage (as sorting the tuples did)
        return list(zip(scores[best].tolist(), spans[best, 0].tolist(), spans[best, 1].tolist()))


def _mapped_mb() -> float:
    """Resident file-backed (and shared) pages of this process, in MiB: the third field of /proc/self/statm."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[2]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return float("inf")


def vector_top(vectors: np.ndarray, ann, query: np.ndarray, depth: int, allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of the best `depth` allowed vectors and their inner products, best first (ties by row).

    Exact below the ANN size; above it an IVF index proposes candidates (filtered inside FAISS,
    so a filter never silently shortens the list) and the stored vectors re-score them exactly."""
    n = len(vectors)
    if n == 0 or depth <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    if ann is None:
        scores = np.asarray(vectors @ query, dtype=np.float32)
        candidates = np.flatnonzero(allowed) if not allowed.all() else None
        pool = scores if candidates is None else scores[candidates]
        k = min(depth, len(pool))
        if k == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        top = np.argpartition(-pool, k - 1)[:k]
        rows = top if candidates is None else candidates[top]
        order = np.lexsort((rows, -scores[rows]))
        return rows[order], scores[rows[order]]
    import faiss

    params = faiss.SearchParametersIVF()
    params.nprobe = min(ann.nlist, max(NPROBE_MIN, int(round(ann.nlist * NPROBE_SHARE))))
    bits = None
    if not allowed.all():
        bits = np.packbits(allowed, bitorder="little")
        params.sel = faiss.IDSelectorBitmap(n, faiss.swig_ptr(bits))
    _, ids = ann.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), min(n, max(depth * 4, CANDIDATES_MIN)), params=params)
    rows = np.sort(ids[0][ids[0] >= 0])
    if not len(rows):
        return rows, np.zeros(0, dtype=np.float32)
    scores = np.asarray(vectors[rows] @ query, dtype=np.float32)
    order = np.lexsort((rows, -scores))[:depth]
    del bits
    return rows[order], scores[order]
