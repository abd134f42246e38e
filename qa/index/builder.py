"""`qa index`: bring the index up to date with the corpus folders, at the cost of what changed.

A build reads only corpus files whose size or mtime changed, splits and embeds only
new or changed articles (vectors are found by text hash in the existing segments and
in the embedding cache first), writes them as one new segment, marks the articles
they replace or remove as deleted in the older segments, and commits with one rename."""

from __future__ import annotations

import hashlib
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qa import __version__
from qa.embed.embedders import Embedder, embedder_for
from qa.errors import BuildAborted, IndexMismatch, IndexProblem
from qa.index.bm25 import write_postings
from qa.index.changes import CorpusDiff, article_text_hash, diff_corpus
from qa.index.embed_cache import EmbeddingCache, in_sorted
from qa.index.manifest import (
    FORMAT_VERSION,
    ArticleEntry,
    BuildLock,
    FileEntry,
    current_generation,
    read_catalog,
    read_file_table,
    read_manifest,
    remove_stale,
    swap_current,
    with_segments,
    write_generation,
)
from qa.index.merger import merge_segments, segments_to_merge
from qa.index.segment import Segment, SegmentDamaged, SegmentData, SegmentVectors, new_segment, segment_intact
from qa.ingest.chunking import chunking_params, embedding_input, split_article
from qa.ingest.corpus import Article, corpus_files
from qa.ingest.statements import kinds_of_rows
from qa.language.text import sentence_spans, unify_tones
from qa.messages import build_summary
from qa.settings import Settings

FAIL_AFTER_BATCHES_ENV = "QA_FAIL_AFTER_BATCHES"  # test fail-point: abort the build after N embedding batches


@dataclass(frozen=True)
class BuildReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    passages: int = 0
    sentences: int = 0
    embedded: int = 0  # texts (passages and sentences) actually sent to the embedder
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    generation: str = ""
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (skipped article, the existing one with its text)
    segments: int = 0
    merged: int = 0  # segments folded together after the build

    def summary(self) -> str:
        return build_summary(self)


def text_hash(kind: str, text: str) -> int:
    """64-bit hash of what the embedder sees; `kind` keeps a sentence apart from an equal passage."""
    return int.from_bytes(hashlib.blake2b(f"{kind}\x00{text}".encode(), digest_size=8).digest(), "little")


def sentence_input(sentence: str) -> str:
    """What the embedder sees for a sentence: the sentence alone (as a passage)."""
    return unify_tones(sentence)


class _Progress:
    """Embedding progress on stderr (Vietnamese, texts per second), plus the test fail-point."""

    def __init__(self, total: int, show: bool) -> None:
        from qa.messages import Progress

        self.batches = 0
        self.fail_after = int(os.environ.get(FAIL_AFTER_BATCHES_ENV, "0") or 0)
        self.bar = Progress(total, "Đang nhúng", "đoạn và câu", show=show)

    def __call__(self, n: int) -> None:
        self.batches += 1
        self.bar.update(n)
        if self.fail_after and self.batches >= self.fail_after:
            raise BuildAborted(f"fail-point: aborted after {self.batches} embedding batches")

    def close(self) -> None:
        self.bar.close()


# --- building ----------------------------------------------------------------------


def split_for_index(articles: list[Article], settings: Settings):
    """Passages and sentences of `articles` as segment rows, their embedder inputs and hashes.

    Tone unification keeps every character in place, so each article is unified once and
    its passages and sentences are cut out of that (what `embedding_input` would give)."""
    passage_rows, sentence_rows, inputs, sentence_inputs = [], [], [], []
    for row, article in enumerate(articles):
        passages = split_article(article, settings.chunk_size, settings.chunk_overlap)
        unified = unify_tones(article.text)
        if len(unified) != len(article.text):  # not expected for NFC text; the slow way stays exact
            unified = None
        title = unify_tones(article.title) + "\n" if article.title else ""
        first = len(passage_rows)
        for p in passages:
            passage_rows.append((row, p.start, p.end))
            inputs.append(title + unified[p.start : p.end] if unified is not None else embedding_input(article, p))
        for start, end in sentence_spans(article.text):
            # Passages are sorted by start and end, so the ones a sentence overlaps are consecutive.
            overlapping = [first + i for i, p in enumerate(passages) if p.start < end and p.end > start]
            lo, hi = (overlapping[0], overlapping[-1]) if overlapping else (-1, -1)
            sentence_rows.append((row, start, end, lo, hi))
            sentence_inputs.append(unified[start:end] if unified is not None else sentence_input(article.text[start:end]))
    passages = np.array(passage_rows, dtype=np.int32).reshape(-1, 3)
    sentences = np.array(sentence_rows, dtype=np.int32).reshape(-1, 5)
    p_hashes = np.array([text_hash("p", t) for t in inputs], dtype=np.uint64)
    s_hashes = np.array([text_hash("s", t) for t in sentence_inputs], dtype=np.uint64)
    return passages, sentences, inputs, sentence_inputs, p_hashes, s_hashes


def find_vectors(wanted: np.ndarray, segments: list[Segment | SegmentVectors], cache: EmbeddingCache) -> dict[int, np.ndarray]:
    """Vectors already computed for any of `wanted` hashes: in the segments, then in the embedding cache."""
    found: dict[int, np.ndarray] = {}
    wanted = np.unique(wanted)
    if not len(wanted):
        return found
    for segment in segments:
        for kind in ("passage", "sentence"):
            hashes = np.load(segment.folder / f"{kind}_hashes.npy", mmap_mode="r")
            rows = np.flatnonzero(in_sorted(hashes, wanted))
            if len(rows):
                vectors = getattr(segment, f"{kind}_vectors")
                for r in rows:
                    found.setdefault(int(hashes[r]), np.asarray(vectors[r]))
    missing = wanted[~np.isin(wanted, np.fromiter(found, dtype=np.uint64, count=len(found)))]
    found.update(cache.lookup(missing))
    return found


def embed_missing(texts: list[str], hashes: np.ndarray, known: dict[int, np.ndarray], embedder: Embedder,
                  cache: EmbeddingCache, settings: Settings, progress: bool) -> int:
    """Embed the distinct texts whose hash is not in `known` (adding them), chunk by chunk into the cache."""
    todo = list({int(h): i for i, h in enumerate(hashes) if int(h) not in known}.values())
    todo.sort()
    bar = _Progress(len(todo), progress)
    try:
        # A cluster embedder pays a start-up per call: it asks for bigger chunks (texts_per_call).
        size = max(settings.embed_chunk, getattr(embedder, "texts_per_call", 0))
        for a in range(0, len(todo), size):
            chunk = todo[a : a + size]
            vectors = embedder.embed_passages([texts[i] for i in chunk], settings.embed_batch_size, on_batch=bar)
            chunk_hashes = hashes[chunk]
            cache.add(chunk_hashes, vectors)
            for h, v in zip(chunk_hashes, vectors):
                known[int(h)] = v
    finally:
        bar.close()
    return len(todo)


def _stack(hashes: np.ndarray, known: dict[int, np.ndarray], dim: int) -> np.ndarray:
    out = np.empty((len(hashes), dim), dtype=np.float32)
    for row, h in enumerate(hashes.tolist()):
        out[row] = known[h]
    return out


def indexed_embedder(settings: Settings) -> Embedder:
    """The embedder of the model the index was built with (questions must be embedded alike), or the configured
    one when there is no index yet."""
    try:
        model = read_manifest(settings.index_dir)["embedder"]["model"]
    except IndexProblem:
        model = settings.model
    return embedder_for(settings, model)


def _previous(index_dir: Path, settings: Settings, embedder: Embedder | None, full: bool, log) -> dict | None:
    """The current manifest to build on, or None for a build from scratch."""
    if full or current_generation(index_dir) is None:
        return None
    manifest = read_manifest(index_dir)
    if manifest.get("format_version") != FORMAT_VERSION:
        log(f"chỉ mục {index_dir} có định dạng cũ ({manifest.get('format_version')}): dựng lại toàn bộ, dùng lại các vectơ đã nhúng")
        return None
    model = embedder.model if embedder else settings.model
    if manifest["embedder"]["model"] != model:
        raise IndexMismatch(
            f"chỉ mục {index_dir} được dựng bằng {manifest['embedder']['model']}, không phải {model}: hãy chạy `qa index --full`"
        )
    if manifest["chunking"] != chunking_params(settings):
        raise IndexMismatch(f"cách chia đoạn đã đổi kể từ lần dựng trước của {index_dir}: hãy chạy `qa index --full`")
    return manifest


def _untouched_files(index_dir: Path, generation: Path, manifest: dict, folders: tuple[Path, ...]) -> dict | None:
    """The commit's file table when every corpus file has its recorded size and mtime, no file came or went, and
    every segment's files have their recorded sizes: then nothing is to be done, and neither the catalog nor a
    segment need be read (what the catalog costs grows with the corpus; this grows with its files)."""
    files = read_file_table(generation)
    if files is None or not all(folder.is_dir() for folder in folders):
        return None
    seen = 0
    for folder in folders:
        for path in corpus_files(folder):
            entry = files.get(str(path))
            try:
                st = path.stat()
            except OSError:
                return None
            old = FileEntry(*entry) if entry is not None else None
            # Size -1 marks a file holding a skipped duplicate (re-read once anything changes; qa.index.changes).
            if old is None or old.size not in (st.st_size, -1) or old.mtime_ns != st.st_mtime_ns:
                return None
            seen += 1
    if seen != len(files) or not all(segment_intact(index_dir / "segments" / e["name"]) for e in manifest["segments"]):
        return None
    return files


def build_index(
    settings: Settings,
    full: bool = False,
    embedder: Embedder | None = None,
    progress: bool = True,
    lock_timeout: float = 0.0,
    log: Callable[[str], None] = lambda msg: print(msg, file=sys.stderr),
    merge: bool = False,
    verify: bool = False,
) -> BuildReport:
    """Bring `settings.index_dir` up to date with `settings.corpus_dirs`.

    `full` ignores the previous commit; `merge` folds all segments into one afterwards; `verify` compares every
    segment file with its checksum first, and indexes the articles of a damaged segment again."""
    started = time.monotonic()
    index_dir = settings.index_dir
    with BuildLock(index_dir, timeout=lock_timeout):
        prior = current_generation(index_dir)
        manifest = _previous(index_dir, settings, embedder, full, log)
        untouched = (_untouched_files(index_dir, prior, manifest, settings.corpus_dirs)
                     if manifest and not merge and not verify else None)
        if untouched is not None:
            remove_stale(index_dir, {prior.name, *_previous_generation(index_dir, prior)})
            unchanged = sorted(doc for entry in untouched.values() for doc in FileEntry(*entry).doc_ids)
            return _report(CorpusDiff([], [], [], [], unchanged, untouched, [], []), manifest, started, prior.name, 0)
        catalog = read_catalog(prior) if manifest else None
        segments = _open_segments(index_dir, manifest, catalog, log, check_sums=verify) if manifest else []
        diff = diff_corpus(settings.corpus_dirs, catalog)
        for warning in diff.warnings:
            log(f"cảnh báo: {warning}")
        nothing = manifest is not None and not (diff.fresh or diff.removed)
        if nothing and not merge:
            if diff.files != catalog["files"]:  # e.g. a touched file with the same articles: remember its new mtime
                _commit(index_dir, manifest, {**catalog, "files": diff.files}, prior)
            else:
                remove_stale(index_dir, {prior.name, *_previous_generation(index_dir, prior)})
            return _report(diff, manifest, started, current_generation(index_dir).name, 0)

        embedder = embedder or embedder_for(settings)
        if manifest is not None and manifest["embedder"]["id"] != embedder.model_id:
            raise IndexMismatch(f"bộ nhúng đã đổi kể từ lần dựng trước của {index_dir}: hãy chạy `qa index --full`")
        cache = EmbeddingCache(index_dir, embedder.model_id)
        if manifest is None and not full:
            segments = _older_format_vectors(index_dir, embedder, log)
        articles_table = dict(catalog["articles"]) if catalog else {}
        entries = [dict(s, deleted=list(s["deleted"])) for s in manifest["segments"]] if manifest else []
        by_name = {e["name"]: e for e in entries}
        for doc_id in diff.removed + diff.changed:
            _, _, seg, row, n_passages, n_sentences = articles_table.pop(doc_id)
            entry = by_name[seg]
            entry["deleted"].append(row)
            entry["live_passages"] -= n_passages
            entry["live_sentences"] -= n_sentences
        embedded = 0
        for batch in segment_batches(diff.fresh, settings):
            entry, counts, n = _write_fresh(index_dir, batch, segments, cache, embedder, settings, progress)
            embedded += n
            entries.append(entry)
            for row, article in enumerate(batch):
                row_entry = ArticleEntry(article.content_hash(), article_text_hash(article), entry["name"], row, *counts[row])
                articles_table[article.doc_id] = list(row_entry)
        entries = [e for e in entries if len(e["deleted"]) < e["articles"]]
        new_manifest = _manifest(settings, embedder, entries)
        new_catalog = {"articles": articles_table, "files": diff.files}
        generation = _commit(index_dir, new_manifest, new_catalog, prior)
        cache.clear()
        merged = 0
        plan = segments_to_merge(new_manifest["segments"], settings, everything=merge)
        if plan:
            merged = len(plan)
            new_manifest, new_catalog = merge_segments(index_dir, new_manifest, new_catalog, plan, settings)
            generation = _commit(index_dir, new_manifest, new_catalog, generation)
        return _report(diff, new_manifest, started, generation.name, embedded, merged)


def segment_batches(articles: list[Article], settings: Settings) -> list[list[Article]]:
    """`articles` cut into groups of about `segment_max_passages` passages: the memory a build needs stays bounded."""
    batches, current, size = [], [], 0
    for article in articles:
        current.append(article)
        size += 1 + len(article.text) // max(settings.chunk_size - settings.chunk_overlap, 1)
        if size >= settings.segment_max_passages:
            batches.append(current)
            current, size = [], 0
    return batches + ([current] if current else [])


def _write_fresh(index_dir: Path, batch: list[Article], segments: list[Segment | SegmentVectors], cache: EmbeddingCache, embedder: Embedder,
                 settings: Settings, progress: bool) -> tuple[dict, list[tuple[int, int]], int]:
    """One new segment of `batch`: its manifest entry, (passages, sentences) per article, texts embedded."""
    passages, sentences, inputs, sentence_inputs, p_hashes, s_hashes = split_for_index(batch, settings)
    all_hashes = np.concatenate([p_hashes, s_hashes])
    known = find_vectors(all_hashes, segments, cache)
    embedded = embed_missing(inputs + sentence_inputs, all_hashes, known, embedder, cache, settings, progress)
    vectors = _stack(all_hashes, known, embedder.dim)
    known.clear()
    data = SegmentData(batch, passages, sentences, vectors[: len(p_hashes)], vectors[len(p_hashes) :], p_hashes, s_hashes,
                       lambda folder: write_postings(folder, inputs, unified=True), sentence_kinds=kinds_of_rows(batch, sentences))
    entry = new_segment(index_dir, data, settings)
    counts = zip(np.bincount(passages[:, 0], minlength=len(batch)).tolist(), np.bincount(sentences[:, 0], minlength=len(batch)).tolist())
    return entry, list(counts), embedded


def _older_format_vectors(index_dir: Path, embedder: Embedder, log) -> list[SegmentVectors]:
    """The vectors of a committed index of an older format, built with this embedder: a rebuild after an
    upgrade tokenizes and writes again, but embeds nothing it embedded before."""
    try:
        manifest = read_manifest(index_dir)
    except IndexProblem:
        return []
    if manifest.get("format_version") == FORMAT_VERSION or manifest.get("embedder", {}).get("id") != embedder.model_id:
        return []
    sources = []
    for entry in manifest.get("segments", []):
        try:
            sources.append(SegmentVectors.open(index_dir / "segments" / entry["name"]))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log(f"cảnh báo: không đọc được vectơ cũ của {entry.get('name')}: {exc}")
    return sources


def _open_segments(index_dir: Path, manifest: dict, catalog: dict, log, check_sums: bool = False) -> list[Segment]:
    """The manifest's segments; a damaged one is dropped (in `manifest` and `catalog`) so its articles are built again.
    `check_sums`: every file compared with its checksum (`qa index --verify`); else sizes, and a DAMAGED mark left
    by a process that found the damage."""
    segments = []
    entries = list(manifest["segments"])
    for entry in entries:
        try:
            segments.append(Segment(index_dir / "segments" / entry["name"], check_sums=check_sums))
        except SegmentDamaged as exc:
            log(f"cảnh báo: {exc}; các bài của nó sẽ được lập chỉ mục lại")
            manifest["segments"] = [e for e in manifest["segments"] if e is not entry]
            lost = {doc for doc, value in catalog["articles"].items() if ArticleEntry(*value).segment == entry["name"]}
            catalog["articles"] = {doc: value for doc, value in catalog["articles"].items() if doc not in lost}
            catalog["files"] = {path: value for path, value in catalog["files"].items() if not lost & set(FileEntry(*value).doc_ids)}
    if check_sums:
        log(f"kiểm tra mã CRC-32: {len(segments)}/{len(entries)} phân đoạn nguyên vẹn"
            + (f", {len(entries) - len(segments)} bị hỏng được lập chỉ mục lại" if len(segments) < len(entries) else ""))
    return segments


def _manifest(settings: Settings, embedder: Embedder, entries: list[dict]) -> dict:
    return with_segments({
        "format_version": FORMAT_VERSION,
        "qa_version": __version__,
        "embedder": {"model": embedder.model, "id": embedder.model_id, "dim": embedder.dim},
        "chunking": chunking_params(settings),
        "ann": {"kind": settings.ann, "min_vectors": settings.ann_min_vectors},
        "bm25": {"tokens": "syllables+bigrams", "folded_for_unaccented_queries": True, "statistics": "global, live passages"},
        "corpus_dirs": [str(p) for p in settings.corpus_dirs],
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }, entries)


def _commit(index_dir: Path, manifest: dict, catalog: dict, prior: Path | None) -> Path:
    generation = write_generation(index_dir, manifest, catalog)
    swap_current(index_dir, generation)
    # The commit before is kept for readers still on it; everything older goes.
    remove_stale(index_dir, {generation.name} | ({prior.name} if prior else set()))
    return generation


def _previous_generation(index_dir: Path, current: Path) -> set[str]:
    gens = sorted(p.name for p in index_dir.glob("gen-*") if p.name < current.name and (p / "manifest.json").is_file())
    return {gens[-1]} if gens else set()


def _report(diff: CorpusDiff, manifest: dict, started: float, generation: str, embedded: int, merged: int = 0) -> BuildReport:
    return BuildReport(
        added=diff.added, changed=diff.changed, removed=diff.removed, unchanged=diff.unchanged,
        passages=manifest.get("passage_count", 0), sentences=manifest.get("sentence_count", 0), embedded=embedded,
        seconds=time.monotonic() - started, warnings=diff.warnings, generation=generation, duplicates=diff.duplicates,
        segments=len(manifest["segments"]), merged=merged,
    )
