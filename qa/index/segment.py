"""One immutable segment: a folder of arrays written once and memory-mapped by readers.

    seg-000004/segment.json        counts, dimension, the size of every file (checked before mapping)
              articles.json        doc ids, titles, urls, bylines, sources (columns)
              dates.npy            int32 YYYYMMDD per article, 0 when undated (vectorized date filters)
              text.bin, text_offsets.npy
                                   the article texts (UTF-8, concatenated) that passages point into
              article_passages.npy, article_sentences.npy
                                   passages / sentences of article a are rows [x[a], x[a+1])
              passages.npy         int32 (P, 3): article row, start, end (character offsets in the text)
              sentences.npy        int32 (S, 5): article row, start, end, first and last passage it overlaps
              sentence_kinds.npy   uint8 (S,): statement, or caption / credit / navigation (qa.ingest.statements)
              passage_vectors.npy, sentence_vectors.npy   float32, normalized
              passage_hashes.npy, sentence_hashes.npy     uint64 hash of what was embedded (vector reuse)
              passages.ivf, sentences.ivf                 FAISS IVF-PQ (4-bit fast-scan codes), only past `ann_min_vectors`
              lexical/                                    BM25 postings (qa.index.bm25)
              accents.json                                syllable statistics for diacritics restoration (qa.language.accents)

Deletes are not stored here: the manifest lists the deleted article rows of each segment."""

from __future__ import annotations

import json
import mmap
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

import numpy as np

from qa.index.bm25 import open_spaces
from qa.index.checksums import MARKER, damaged_files, folder_checksums, mark_damaged, marked_damaged
from qa.index.manifest import next_number
from qa.ingest.chunking import Passage
from qa.ingest.corpus import Article
from qa.language.accents import AccentModel
from qa.settings import Settings

SEGMENT_FORMAT = 3  # 2: accented postings only, with a folded-term map; tfs unsigned; IVF-PQ fast-scan codes; 3: sentence kinds
ARTICLE_COLUMNS = ("doc_id", "title", "url", "byline", "source")


class SegmentDamaged(Exception):
    """A file of the segment is missing, truncated or unreadable."""


@dataclass(frozen=True)
class SegmentData:
    """What a build or a merge hands over to be written as a segment (rows in final order)."""

    articles: list[Article]
    passages: np.ndarray  # int32 (P, 3)
    sentences: np.ndarray  # int32 (S, 5)
    passage_vectors: np.ndarray
    sentence_vectors: np.ndarray
    passage_hashes: np.ndarray  # uint64
    sentence_hashes: np.ndarray
    write_lexical: Callable[[Path], None]  # writes the BM25 postings folder (from texts, or merged from segments)
    accents: AccentModel | None = None  # the diacritics model; None: counted from the articles
    sentence_kinds: np.ndarray | None = None  # uint8 (S,); None: every sentence a statement


def date_number(date: str | None) -> int:
    return int(date.replace("-", "")) if date else 0


def _counts_to_offsets(rows: np.ndarray, n: int) -> np.ndarray:
    offsets = np.zeros(n + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(np.bincount(rows, minlength=n)) if len(rows) else 0
    return offsets


def write_segment(folder: Path, data: SegmentData, ann_min_vectors: int, ann: str) -> dict:
    """Write `data` into `folder` (a temporary name the caller renames); returns segment.json's content."""
    folder.mkdir(parents=True)
    arts = data.articles
    (folder / "articles.json").write_text(
        json.dumps({c: [getattr(a, c) for a in arts] for c in ARTICLE_COLUMNS}, ensure_ascii=False), encoding="utf-8"
    )
    np.save(folder / "dates.npy", np.array([date_number(a.date) for a in arts], dtype=np.int32))
    encoded = [a.text.encode("utf-8") for a in arts]
    (folder / "text.bin").write_bytes(b"".join(encoded))
    np.save(folder / "text_offsets.npy", np.concatenate([[0], np.cumsum([len(e) for e in encoded], dtype=np.int64)]).astype(np.int64))
    np.save(folder / "article_passages.npy", _counts_to_offsets(data.passages[:, 0], len(arts)))
    np.save(folder / "article_sentences.npy", _counts_to_offsets(data.sentences[:, 0], len(arts)))
    np.save(folder / "passages.npy", data.passages.astype(np.int32))
    np.save(folder / "sentences.npy", data.sentences.astype(np.int32))
    kinds = data.sentence_kinds if data.sentence_kinds is not None else np.zeros(len(data.sentences), dtype=np.uint8)
    np.save(folder / "sentence_kinds.npy", np.asarray(kinds, dtype=np.uint8))
    for kind in ("passage", "sentence"):
        vectors = np.ascontiguousarray(getattr(data, f"{kind}_vectors"), dtype=np.float32)
        np.save(folder / f"{kind}_vectors.npy", vectors)
        np.save(folder / f"{kind}_hashes.npy", np.asarray(getattr(data, f"{kind}_hashes"), dtype=np.uint64))
        if ann != "flat" and (ann == "ivf" or len(vectors) >= ann_min_vectors) and len(vectors) > 0:
            _write_ivf(folder / f"{kind}s.ivf", vectors)
    data.write_lexical(folder / "lexical")
    # The corpus's own syllable statistics, for restoring diacritics of questions typed without them.
    accents = data.accents or AccentModel.from_texts(f"{a.title}\n{a.text}" for a in arts)
    accents.save(folder / "accents.json")
    meta = {
        "format": SEGMENT_FORMAT,
        "articles": len(arts),
        "passages": len(data.passages),
        "sentences": len(data.sentences),
        "dim": int(data.passage_vectors.shape[1]) if data.passage_vectors.ndim == 2 else 0,
        "files": {str(p.relative_to(folder)): p.stat().st_size for p in sorted(folder.rglob("*")) if p.is_file()},
    }
    meta["checksums"] = folder_checksums(folder, list(meta["files"]))  # the files were just written: in the page cache
    (folder / "segment.json").write_text(json.dumps(meta, indent=1))
    _fsync_tree(folder)
    return meta


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            fd = os.open(path, os.O_RDONLY)
            os.fsync(fd)
            os.close(fd)


def ivf_lists(n: int) -> int:
    """IVF cells: ~sqrt(n), so a question scans a few hundred codes per probe; FAISS wants 39 training points a cell."""
    return max(1, min(int(np.sqrt(n)), n // 39))


PQ_MIN_VECTORS = 1024  # 16 centroids a sub-quantizer want some 600 training points; fewer vectors keep 8-bit codes


def _write_ivf(path: Path, vectors: np.ndarray) -> None:
    """IVF with 4-bit product-quantized codes scanned by FAISS's fast-scan kernels: a code is 1/16 of the float32
    vector (two dimensions a sub-quantizer). The codes only propose candidates; the stored vectors re-score them
    exactly (qa.index.reader.vector_top). Measured on 200k bench passages, recall@10 against exact search equals
    IVF-SQ8's (0.984) at a quarter of its bytes and about a quarter of its scan time."""
    import faiss

    n, dim = vectors.shape
    nlist = ivf_lists(n)
    quantizer = faiss.IndexFlatIP(dim)
    if dim % 2 == 0 and n >= PQ_MIN_VECTORS:
        index = faiss.IndexIVFPQFastScan(quantizer, dim, nlist, dim // 2, 4, faiss.METRIC_INNER_PRODUCT)
    else:
        index = faiss.IndexIVFScalarQuantizer(quantizer, dim, nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
    sample = vectors[np.random.default_rng(0).choice(n, size=min(n, 40 * nlist), replace=False)]
    index.train(sample)
    index.add(vectors)
    faiss.write_index(index, str(path))


class Segment:
    """A segment opened for reading: sizes checked against segment.json, then arrays memory-mapped."""

    def __init__(self, folder: Path, check_sums: bool = False) -> None:
        """`check_sums`: also compare every file with its checksum (qa.index.checksums): what a process serving
        questions does once per segment."""
        self.folder = folder
        self.name = folder.name
        self._maps: list[mmap.mmap] = []
        try:
            self.meta = json.loads((folder / "segment.json").read_text())
            if self.meta.get("format") != SEGMENT_FORMAT:
                raise SegmentDamaged(f"segment {self.name} has format {self.meta.get('format')}, not {SEGMENT_FORMAT}")
            self.verify()
            if marked_damaged(folder):
                raise SegmentDamaged(f"segment {self.name} bị hỏng (đã ghi nhận: {MARKER})")
            if check_sums and (bad := damaged_files(folder, self.meta)):
                reason = f"segment {self.name}: {', '.join(bad)} bị hỏng (sai mã kiểm tra CRC-32)"
                mark_damaged(folder, reason)
                raise SegmentDamaged(reason)
            load = self._load
            self.dates = load("dates.npy")
            self.text_offsets = load("text_offsets.npy")
            self.article_passages = load("article_passages.npy")
            self.article_sentence_rows = load("article_sentences.npy")
            self.passages = load("passages.npy")
            self.sentences = load("sentences.npy")
            self.sentence_kinds = load("sentence_kinds.npy")
            self.passage_vectors = load("passage_vectors.npy")
            self.sentence_vectors = load("sentence_vectors.npy")
            self.lengths = load("lexical/lengths.npy")
            self.postings = open_spaces(Path("lexical"), load)
            self._text = np.memmap(folder / "text.bin", dtype=np.uint8, mode="r") if self.meta["files"]["text.bin"] else None
            if self._text is not None:
                self._maps.append(self._text._mmap)
            self.columns  # noqa: B018 - checked now, not on the first question
        except SegmentDamaged:
            raise
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise SegmentDamaged(f"segment {self.name}: {type(exc).__name__}: {exc}") from None
        counts = (len(self.dates), len(self.passages), len(self.sentences))
        expected = (self.meta["articles"], self.meta["passages"], self.meta["sentences"])
        if counts != expected or len(self.passage_vectors) != counts[1] or len(self.sentence_vectors) != counts[2] \
                or len(self.sentence_kinds) != counts[2]:
            raise SegmentDamaged(f"segment {self.name} is inconsistent: {counts} rows, expected {expected}")

    def verify(self) -> None:
        """Every file has the size segment.json recorded: a truncated mapped file kills the process with SIGBUS when touched."""
        if not hasattr(self, "_sizes"):
            self._sizes = _recorded_sizes(self.folder, self.meta)
        _check_sizes(self.name, self._sizes)

    def _load(self, name: str) -> np.ndarray:
        # A plain ndarray over the mapping: np.memmap's own indexing costs microseconds a call.
        mapped = np.load(self.folder / name, mmap_mode="r")
        if getattr(mapped, "_mmap", None) is not None:
            self._maps.append(mapped._mmap)
        return mapped.view(np.ndarray)

    def release_pages(self) -> None:
        """Unmap the pages questions touched (they stay in the page cache; the next touch maps them again).

        The kernel maps whole large folios of a file on a fault, so re-scoring a few thousand scattered vector
        rows a question left most of the vector files resident in the server after a few dozen questions
        (6.8 GB at 1M passages, 0.7 GB of it the process's own): counted in its RSS and its OOM score. Unmapping is
        cheap; mapping the pages again on later questions is what costs (Settings.mapped_index_mb). The data stays
        valid for any thread reading it (shared file mappings)."""
        for mapping in self._maps:
            mapping.madvise(mmap.MADV_DONTNEED)

    @cached_property
    def columns(self) -> dict[str, list]:
        data = json.loads((self.folder / "articles.json").read_text(encoding="utf-8"))
        if any(len(data[c]) != self.meta["articles"] for c in ARTICLE_COLUMNS):
            raise SegmentDamaged(f"segment {self.name}: articles.json does not match its counts")
        return data

    @cached_property
    def passage_articles(self) -> np.ndarray:
        """The article row of each passage, contiguous (a filter gathers it for every question)."""
        return np.ascontiguousarray(self.passages[:, 0])

    @cached_property
    def sentence_articles(self) -> np.ndarray:
        return np.ascontiguousarray(self.sentences[:, 0])

    @cached_property
    def passage_ann(self):
        return self._ann("passages.ivf")

    @cached_property
    def sentence_ann(self):
        return self._ann("sentences.ivf")

    def accent_model(self) -> AccentModel:
        try:
            return AccentModel.load(self.folder / "accents.json")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise SegmentDamaged(f"segment {self.name}: accents.json: {exc}") from None

    def _ann(self, name: str):
        import faiss

        if name not in self.meta["files"]:
            return None
        # Mapped, not copied: half the read time at 1M, and the codes stay page cache the kernel may drop.
        return faiss.read_index(str(self.folder / name), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)

    def text(self, row: int) -> str:
        a, b = int(self.text_offsets[row]), int(self.text_offsets[row + 1])
        return bytes(self._text[a:b]).decode("utf-8") if b > a else ""

    def article(self, row: int) -> Article:
        c = self.columns
        date = int(self.dates[row])
        iso = f"{date // 10000:04d}-{date // 100 % 100:02d}-{date % 100:02d}" if date else None
        return Article(c["doc_id"][row], c["title"][row], self.text(row), c["url"][row], iso, c["byline"][row], c["source"][row])

    def passage(self, row: int, article: Article | None = None) -> Passage:
        a, start, end = (int(x) for x in self.passages[row])
        article = article or self.article(a)
        ordinal = row - int(self.article_passages[a])
        return Passage(f"{article.doc_id}#{ordinal}", article.doc_id, article.text[start:end], start, end)


def _recorded_sizes(folder: Path, meta: dict) -> list[tuple[str, str, int]]:
    """(name, path, size) of every file segment.json lists."""
    return [(name, os.path.join(folder, name), size) for name, size in meta["files"].items()]


def _check_sizes(segment: str, sizes: list[tuple[str, str, int]]) -> None:
    for name, path, size in sizes:
        try:
            actual = os.stat(path).st_size
        except OSError:
            raise SegmentDamaged(f"segment {segment}: {name} is missing") from None
        if actual != size:
            raise SegmentDamaged(f"segment {segment}: {name} has {actual} bytes, expected {size}")


def segment_intact(folder: Path) -> bool:
    """segment.json readable and of this format, every file it lists present with its recorded size: what a
    re-run with nothing changed checks instead of opening the segment (a damaged one is then opened, and rebuilt)."""
    try:
        meta = json.loads((folder / "segment.json").read_text())
        if meta.get("format") != SEGMENT_FORMAT:
            return False
        _check_sizes(folder.name, _recorded_sizes(folder, meta))
        if marked_damaged(folder):
            return False
    except (OSError, ValueError, KeyError, TypeError, AttributeError, SegmentDamaged):
        return False
    return True


class SegmentVectors(NamedTuple):
    """The vectors of a segment of any format (their files have not changed since format 1), by text hash:
    what a rebuild after a format change reuses instead of embedding again."""

    folder: Path
    passage_vectors: np.ndarray
    sentence_vectors: np.ndarray

    @classmethod
    def open(cls, folder: Path) -> SegmentVectors:
        return cls(folder, *(np.load(folder / f"{kind}_vectors.npy", mmap_mode="r") for kind in ("passage", "sentence")))


def new_segment(index_dir: Path, data: SegmentData, settings: Settings) -> dict:
    """Write `data` as the next segment; returns its manifest entry."""
    segments = index_dir / "segments"
    segments.mkdir(parents=True, exist_ok=True)
    name = f"seg-{next_number(segments, 'seg-'):06d}"
    tmp = index_dir / f".tmp-{name}-{os.getpid()}"
    # The build lock is held: a folder of this name is left over by an earlier failed build of this process.
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        meta = write_segment(tmp, data, settings.ann_min_vectors, settings.ann)
        os.rename(tmp, segments / name)
    except BaseException:  # a failed build cleans up after itself: the next one in this process must work
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return {"name": name, "articles": meta["articles"], "passages": meta["passages"], "sentences": meta["sentences"], "deleted": [],
            "live_passages": meta["passages"], "live_sentences": meta["sentences"]}
