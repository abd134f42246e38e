"""Lexical channel: BM25 over Vietnamese syllables and syllable bigrams.

Each segment stores postings of raw term frequencies (and passage lengths); BM25 is
computed at question time from statistics over all live passages of all segments
(document frequencies, average length), as Lucene does. A ranking therefore does not
depend on how the index happens to be segmented or on deleted passages.

Two token spaces: accented tokens, used for normal queries, and diacritic-folded
tokens, used only when a query is typed without diacritics (folding accented
queries would merge distinct words such as `hội`/`hỏi`). Terms are stored as 64-bit
hashes, sorted, so a segment opens by memory-mapping arrays: nothing per term in Python."""

from __future__ import annotations

import hashlib
import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from qa.language.text import QUERY_STOPWORDS, fold_diacritics, has_diacritics, search_tokens

# Question words carry no evidence about which passage answers.
K1, B = 1.5, 0.75  # bm25s' defaults (Lucene's k1 is 1.2; b = 0.75 in both)
SPACES = ("accented", "folded")
POSTING_FILES = ("terms", "offsets", "docs", "tfs")


@lru_cache(maxsize=1 << 20)
def term_hash(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode(), digest_size=8).digest(), "little")


@lru_cache(maxsize=1 << 20)
def _fold_token(token: str) -> str:
    return fold_diacritics(token)


def query_terms(question: str) -> tuple[list[str], bool]:
    """The question's search tokens (stopwords out, repeats kept) and whether they are folded."""
    folded = not has_diacritics(question)
    return [t for t in search_tokens(question, folded=folded) if t not in QUERY_STOPWORDS], folded


# --- writing -------------------------------------------------------------------


def write_postings(folder: Path, texts: Sequence[str], unified: bool = False) -> None:
    """Postings of `texts` (one per passage, in row order) for both token spaces, and their lengths."""
    folder.mkdir(parents=True, exist_ok=True)
    vocab: dict[str, int] = defaultdict(itertools.count().__next__)  # a new token gets the next id
    term_ids: list[int] = []
    lengths = np.zeros(len(texts), dtype=np.int32)
    for row, text in enumerate(texts):
        tokens = search_tokens(text, unified=unified)
        lengths[row] = len(tokens)
        term_ids.extend(map(vocab.__getitem__, tokens))
    docs = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
    tids = np.asarray(term_ids, dtype=np.int64)
    words = list(vocab)
    folded_words: dict[str, int] = {}
    to_folded = np.array([folded_words.setdefault(_fold_token(w), len(folded_words)) for w in words] or [0], dtype=np.int64)
    np.save(folder / "lengths.npy", lengths)
    for space, ids, names in (("accented", tids, words), ("folded", to_folded[tids] if len(tids) else tids, list(folded_words))):
        _write_space(folder / space, docs, ids, names, len(texts))


def _write_space(folder: Path, docs: np.ndarray, tids: np.ndarray, names: list[str], n_docs: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    hashes = np.array([term_hash(w) for w in names], dtype=np.uint64)
    # Sort postings by (term hash, doc); count repeats into term frequencies.
    rank = np.empty(len(names), dtype=np.int64)
    order = np.argsort(hashes, kind="stable")
    rank[order] = np.arange(len(names))
    keys = rank[tids] * max(n_docs, 1) + docs if len(tids) else tids
    unique, tfs = np.unique(keys, return_counts=True)
    term_rank, doc = np.divmod(unique, max(n_docs, 1))
    offsets = np.zeros(len(names) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(np.bincount(term_rank, minlength=len(names)))
    np.save(folder / "terms.npy", hashes[order])
    np.save(folder / "offsets.npy", offsets)
    np.save(folder / "docs.npy", doc.astype(np.int32))
    np.save(folder / "tfs.npy", tfs.astype(np.float32))


def merge_postings(folder: Path, parts: list[tuple[Path, np.ndarray, np.ndarray]]) -> None:
    """Postings of several segments' live passages as one, without tokenizing again.

    `parts`: (lexical folder, old row -> new row (-1 when dropped), lengths) per source segment."""
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "lengths.npy", np.concatenate([lengths for _, _, lengths in parts]).astype(np.int32))
    for space in SPACES:
        hashes, docs, tfs = [], [], []
        for source, new_rows, _ in parts:
            p = SegmentPostings.open(source / space, lambda path: np.load(path))
            per_term = np.diff(p.offsets)
            term = np.repeat(p.terms, per_term)
            new_doc = new_rows[p.docs]
            keep = new_doc >= 0
            hashes.append(term[keep])
            docs.append(new_doc[keep])
            tfs.append(p.tfs[keep])
        h, d, t = (np.concatenate(x) for x in (hashes, docs, tfs))
        order = np.lexsort((d, h))
        h, d, t = h[order], d[order], t[order]
        terms, starts = np.unique(h, return_index=True)
        out = folder / space
        out.mkdir(parents=True, exist_ok=True)
        np.save(out / "terms.npy", terms.astype(np.uint64))
        np.save(out / "offsets.npy", np.append(starts, len(h)).astype(np.int64))
        np.save(out / "docs.npy", d.astype(np.int32))
        np.save(out / "tfs.npy", t.astype(np.float32))


# --- reading -------------------------------------------------------------------


@dataclass(frozen=True)
class SegmentPostings:
    """One segment's postings in one token space (memory-mapped)."""

    terms: np.ndarray  # uint64 term hashes, sorted
    offsets: np.ndarray  # postings of terms[i] are docs/tfs[offsets[i]:offsets[i+1]]
    docs: np.ndarray
    tfs: np.ndarray

    @classmethod
    def open(cls, folder: Path, load) -> SegmentPostings:
        return cls(*(load(folder / f"{name}.npy") for name in POSTING_FILES))

    def postings(self, token: str) -> tuple[np.ndarray, np.ndarray]:
        h = np.uint64(term_hash(token))
        i = int(np.searchsorted(self.terms, h))
        if i >= len(self.terms) or self.terms[i] != h:
            return _EMPTY_DOCS, _EMPTY_TFS
        a, b = int(self.offsets[i]), int(self.offsets[i + 1])
        return self.docs[a:b], self.tfs[a:b]


_EMPTY_DOCS = np.zeros(0, dtype=np.int32)
_EMPTY_TFS = np.zeros(0, dtype=np.float32)


@dataclass(frozen=True)
class LexicalPart:
    """A segment as the lexical channel sees it: postings, passage lengths, live rows, global offset."""

    spaces: dict[str, SegmentPostings]
    lengths: np.ndarray
    live: np.ndarray  # bool per passage row
    offset: int  # global row of the segment's first passage


class LexicalIndex:
    """BM25 across segments with global statistics over live passages."""

    def __init__(self, parts: list[LexicalPart], total_rows: int) -> None:
        self.parts = parts
        self.total_rows = total_rows
        self.num_docs = int(sum(int(p.live.sum()) for p in parts))
        length = sum(int(p.lengths[p.live].sum()) for p in parts)
        self.avg_length = length / self.num_docs if self.num_docs else 1.0

    @classmethod
    def build(cls, folder: Path, texts: Sequence[str]) -> LexicalIndex:
        """One segment's postings of `texts` written into `folder` and opened (for tools and tests)."""
        write_postings(folder, texts)

        def load(path):
            return np.load(path, mmap_mode="r").view(np.ndarray)

        spaces = {space: SegmentPostings.open(folder / space, load) for space in SPACES}
        part = LexicalPart(spaces, load(folder / "lengths.npy"), np.ones(len(texts), dtype=bool), 0)
        return cls([part], len(texts))

    def _live_postings(self, token: str, folded: bool):
        space = "folded" if folded else "accented"
        for part in self.parts:
            docs, tfs = part.spaces[space].postings(token)
            if len(docs):
                keep = part.live[docs]
                yield part, docs[keep], tfs[keep]

    def document_frequency(self, token: str, folded: bool) -> int:
        return sum(len(docs) for _, docs, _ in self._live_postings(token, folded))

    def idf(self, tokens: list[str], folded: bool) -> dict[str, float]:
        """Inverse document frequency (over live passages) of each token; unseen tokens get the highest."""
        n = self.num_docs
        return {t: float(np.log(1 + (n - df + 0.5) / (df + 0.5))) for t in tokens for df in [self.document_frequency(t, folded)]}

    def scores(self, question: str) -> np.ndarray:
        """BM25 score of every global passage row for `question` (zeros where nothing matches, and for deleted rows)."""
        tokens, folded = query_terms(question)
        out = np.zeros(self.total_rows, dtype=np.float32)
        counts = {t: tokens.count(t) for t in tokens}  # a repeated query token counts again, as in bm25s
        for token, repeats in counts.items():
            found = list(self._live_postings(token, folded))
            df = sum(len(d) for _, d, _ in found)
            if not df:
                continue
            idf = np.log(1 + (self.num_docs - df + 0.5) / (df + 0.5))
            for part, docs, tfs in found:
                norm = K1 * (1 - B + B * part.lengths[docs] / self.avg_length)
                out[part.offset + docs.astype(np.int64)] += (repeats * idf) * tfs / (tfs + norm)
        return out

