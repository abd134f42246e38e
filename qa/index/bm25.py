"""Lexical channel: BM25 over Vietnamese syllables and syllable bigrams.

Each segment stores postings of raw term frequencies (and passage lengths); BM25 is
computed at question time from statistics over all live passages of all segments
(document frequencies, average length), as Lucene does. A ranking therefore does not
depend on how the index happens to be segmented or on deleted passages.

Two token spaces: accented tokens, used for normal queries, and diacritic-folded
tokens, used only when a query is typed without diacritics (folding accented
queries would merge distinct words such as `hội`/`hỏi`). Only the accented space has
postings on disk; the folded space is a map from each folded term to the accented
terms that fold to it, and its postings are their union, summed per passage, at
question time (half the postings bytes; a folded term's tf is the sum of its
variants' tfs, exactly what postings of folded text would hold). Terms are stored as
64-bit hashes, sorted, and tfs in the smallest unsigned type that holds them, so a
segment opens by memory-mapping arrays: nothing per term in Python."""

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
POSTING_FILES = ("terms", "offsets", "docs", "tfs")  # lexical/accented/
FOLD_FILES = ("terms", "offsets", "members")  # lexical/folded/


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


def compact_tfs(counts: np.ndarray) -> np.ndarray:
    """Term frequencies in the smallest unsigned type that holds them: uint8 for any passage of a usual chunk size."""
    top = int(counts.max()) if len(counts) else 0
    return counts.astype(np.uint8 if top <= 0xFF else np.uint16 if top <= 0xFFFF else np.uint32)


# --- writing -------------------------------------------------------------------


def write_postings(folder: Path, texts: Sequence[str], unified: bool = False) -> None:
    """Postings of `texts` (one per passage, in row order), the folded-term map, and the passage lengths."""
    folder.mkdir(parents=True, exist_ok=True)
    vocab: dict[str, int] = defaultdict(itertools.count().__next__)  # a new token gets the next id
    term_ids: list[int] = []
    lengths = np.zeros(len(texts), dtype=np.int32)
    for row, text in enumerate(texts):
        tokens = search_tokens(text, unified=unified)
        lengths[row] = len(tokens)
        term_ids.extend(map(vocab.__getitem__, tokens))
    words = list(vocab)
    hashes = np.array([term_hash(w) for w in words], dtype=np.uint64)
    # Sort postings by (term hash, doc); count repeats into term frequencies.
    rank = np.empty(len(words), dtype=np.int64)
    order = np.argsort(hashes, kind="stable")
    rank[order] = np.arange(len(words))
    n_docs = max(len(texts), 1)
    docs = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
    keys = rank[np.asarray(term_ids, dtype=np.int64)] * n_docs + docs
    unique, tfs = np.unique(keys, return_counts=True)
    term_rank, doc = np.divmod(unique, n_docs)
    offsets = np.zeros(len(words) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(np.bincount(term_rank, minlength=len(words)))
    _save_space(folder / "accented", hashes[order], offsets, doc, tfs)
    folded = np.array([term_hash(_fold_token(words[i])) for i in order.tolist()], dtype=np.uint64)
    _save_fold_map(folder / "folded", folded)
    np.save(folder / "lengths.npy", lengths)


def _save_space(folder: Path, terms: np.ndarray, offsets: np.ndarray, docs: np.ndarray, tfs: np.ndarray) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "terms.npy", terms.astype(np.uint64))
    np.save(folder / "offsets.npy", offsets.astype(np.int64))
    np.save(folder / "docs.npy", docs.astype(np.int32))
    np.save(folder / "tfs.npy", compact_tfs(tfs))


def _save_fold_map(folder: Path, folded: np.ndarray) -> None:
    """`folded[i]`: the folded-term hash of accented term i. Written as folded terms (sorted), each with its
    accented term numbers members[offsets[j]:offsets[j+1]]."""
    folder.mkdir(parents=True, exist_ok=True)
    members = np.argsort(folded, kind="stable")
    terms, starts = np.unique(folded[members], return_index=True)
    np.save(folder / "terms.npy", terms.astype(np.uint64))
    np.save(folder / "offsets.npy", np.append(starts, len(members)).astype(np.int64))
    np.save(folder / "members.npy", members.astype(np.int32))


def merge_postings(folder: Path, parts: list[tuple[Path, np.ndarray, np.ndarray]]) -> None:
    """Postings of several segments' live passages as one, without tokenizing again.

    `parts`: (lexical folder, old row -> new row (-1 when dropped), lengths) per source segment."""
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "lengths.npy", np.concatenate([lengths for _, _, lengths in parts]).astype(np.int32))
    hashes, docs, tfs, term_hashes, term_folds = [], [], [], [], []
    for source, new_rows, _ in parts:
        p = SegmentPostings.open(source / "accented", np.load)
        term = np.repeat(p.terms, np.diff(p.offsets))
        new_doc = new_rows[p.docs]
        keep = new_doc >= 0
        hashes.append(term[keep])
        docs.append(new_doc[keep])
        tfs.append(p.tfs[keep])
        term_hashes.append(p.terms)
        term_folds.append(FoldMap.open(source / "folded", np.load).fold_of(len(p.terms)))
    h, d, t = (np.concatenate(x) for x in (hashes, docs, tfs))
    order = np.lexsort((d, h))
    h, d, t = h[order], d[order], t[order]
    terms, starts = np.unique(h, return_index=True)
    _save_space(folder / "accented", terms, np.append(starts, len(h)), d, t)
    # A term's fold is the same in every segment: take it from any segment that has the term.
    all_terms, first = np.unique(np.concatenate(term_hashes), return_index=True)
    folds = np.concatenate(term_folds)[first]
    _save_fold_map(folder / "folded", folds[np.searchsorted(all_terms, terms)])


# --- reading -------------------------------------------------------------------


@dataclass(frozen=True)
class SegmentPostings:
    """One segment's accented postings (memory-mapped)."""

    terms: np.ndarray  # uint64 term hashes, sorted
    offsets: np.ndarray  # postings of terms[i] are docs/tfs[offsets[i]:offsets[i+1]]
    docs: np.ndarray  # int32 passage rows, increasing within a term
    tfs: np.ndarray  # unsigned term frequencies

    @classmethod
    def open(cls, folder: Path, load) -> SegmentPostings:
        return cls(*(load(folder / f"{name}.npy") for name in POSTING_FILES))

    def find(self, token: str) -> int:
        """The term number of `token`, or -1."""
        h = np.uint64(term_hash(token))
        i = int(np.searchsorted(self.terms, h))
        return i if i < len(self.terms) and self.terms[i] == h else -1

    def term_postings(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        a, b = int(self.offsets[i]), int(self.offsets[i + 1])
        return self.docs[a:b], self.tfs[a:b]

    def postings(self, token: str) -> tuple[np.ndarray, np.ndarray]:
        i = self.find(token)
        return self.term_postings(i) if i >= 0 else (_EMPTY_DOCS, _EMPTY_TFS)


@dataclass(frozen=True)
class FoldMap:
    """One segment's folded space: each folded term's accented terms (memory-mapped)."""

    terms: np.ndarray  # uint64 folded-term hashes, sorted
    offsets: np.ndarray  # accented term numbers of terms[j] are members[offsets[j]:offsets[j+1]]
    members: np.ndarray  # int32

    @classmethod
    def open(cls, folder: Path, load) -> FoldMap:
        return cls(*(load(folder / f"{name}.npy") for name in FOLD_FILES))

    def fold_of(self, n_terms: int) -> np.ndarray:
        """The folded-term hash of each accented term number."""
        out = np.zeros(n_terms, dtype=np.uint64)
        out[self.members] = np.repeat(self.terms, np.diff(self.offsets))
        return out


@dataclass(frozen=True)
class FoldedPostings:
    """Postings of a folded token: the union of its accented variants' postings, tfs summed per passage."""

    fold: FoldMap
    accented: SegmentPostings
    rows: int  # passages of the segment

    def postings(self, token: str) -> tuple[np.ndarray, np.ndarray]:
        h = np.uint64(term_hash(token))
        j = int(np.searchsorted(self.fold.terms, h))
        if j >= len(self.fold.terms) or self.fold.terms[j] != h:
            return _EMPTY_DOCS, _EMPTY_TFS
        variants = self.fold.members[int(self.fold.offsets[j]) : int(self.fold.offsets[j + 1])]
        if len(variants) == 1:
            return self.accented.term_postings(int(variants[0]))
        parts = [self.accented.term_postings(int(i)) for i in variants]
        docs = np.concatenate([d for d, _ in parts])
        tfs = np.concatenate([t for _, t in parts])
        if len(docs) * 32 > self.rows:  # a common folded syllable: one slot per passage beats sorting its postings
            summed = np.bincount(docs, weights=tfs, minlength=self.rows)
            present = np.flatnonzero(summed)
            return present.astype(np.int32), summed[present].astype(np.float32)
        present, at = np.unique(docs, return_inverse=True)
        return present.astype(np.int32), np.bincount(at, weights=tfs).astype(np.float32)


def open_spaces(folder: Path, load) -> dict[str, SegmentPostings | FoldedPostings]:
    """Both token spaces of a segment's lexical folder."""
    accented = SegmentPostings.open(folder / "accented", load)
    rows = len(load(folder / "lengths.npy"))
    return {"accented": accented, "folded": FoldedPostings(FoldMap.open(folder / "folded", load), accented, rows)}


_EMPTY_DOCS = np.zeros(0, dtype=np.int32)
_EMPTY_TFS = np.zeros(0, dtype=np.uint8)


@dataclass(frozen=True)
class LexicalPart:
    """A segment as the lexical channel sees it: postings, passage lengths, live rows, global offset."""

    spaces: dict[str, SegmentPostings | FoldedPostings]
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
        # Per passage, BM25's length normalization (float64, the same arithmetic a question did before); and which
        # parts have no deleted passage, whose postings need no live mask.
        self._norms = [K1 * (1 - B + B * np.asarray(p.lengths) / self.avg_length) for p in parts]
        self._all_live = [bool(p.live.all()) for p in parts]

    @classmethod
    def build(cls, folder: Path, texts: Sequence[str]) -> LexicalIndex:
        """One segment's postings of `texts` written into `folder` and opened (for tools and tests)."""
        write_postings(folder, texts)

        def load(path):
            return np.load(path, mmap_mode="r").view(np.ndarray)

        part = LexicalPart(open_spaces(folder, load), load(folder / "lengths.npy"), np.ones(len(texts), dtype=bool), 0)
        return cls([part], len(texts))

    def _live_postings(self, token: str, folded: bool):
        space = "folded" if folded else "accented"
        for n, part in enumerate(self.parts):
            docs, tfs = part.spaces[space].postings(token)
            if len(docs):
                if self._all_live[n]:
                    yield n, docs, tfs
                else:
                    keep = part.live[docs]
                    yield n, docs[keep], tfs[keep]

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
            for n, docs, tfs in found:
                part = self.parts[n]
                view = out[part.offset : part.offset + len(self._norms[n])]
                view[docs] += (repeats * idf) * tfs / (tfs + self._norms[n][docs])
        return out

