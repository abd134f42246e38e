"""The index folder: build (incremental, atomic, locked) and load.

Layout of `--index DIR`::

    DIR/current -> gen-000003      symlink, swapped atomically after a build
    DIR/gen-000003/manifest.json   format, embedder, chunking, per-article hashes
                  /articles.jsonl  the stored (cleaned, NFC) articles
                  /passages.jsonl  Passage records, aligned with the vectors
                  /vectors.npy     float32 (N, dim): FAISS and BM25 rebuild without embedding
                  /dense.faiss     FAISS inner-product index
                  /sentences.jsonl every sentence of every article (doc_id, start, end)
                  /sentence_vectors.npy, sentences.faiss
                                   sentence vectors: a retrieval channel and the answerer's evidence
                  /bm25/           bm25s indexes (accented and diacritic-folded)
    DIR/.lock                      held while a build runs

A build writes a new `gen-*` folder and then repoints `current` with one
rename, so a crash leaves the previous generation serving and a reader never
sees half an index.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from qa import __version__
from qa.bm25 import BM25Channel
from qa.chunking import Passage, embedding_input, split_article
from qa.corpus import Article, load_corpus
from qa.embedders import Embedder, load_embedder
from qa.settings import Settings
from qa.text import sentence_spans, unify_tones

FORMAT_VERSION = 2
FAIL_AFTER_BATCHES_ENV = "QA_FAIL_AFTER_BATCHES"  # test fail-point: abort the build after N embedding batches


class IndexError_(Exception):
    """Base for index problems; the message says what to do."""


class IndexNotFound(IndexError_):
    pass


class IndexMismatch(IndexError_):
    pass


class IndexCorrupt(IndexError_):
    pass


class IndexLocked(IndexError_):
    pass


class BuildAborted(RuntimeError):
    pass


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

    def summary(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.changed)} changed, {len(self.removed)} removed, "
            f"{len(self.unchanged)} unchanged articles; {self.passages} passages, {self.sentences} sentences ({self.embedded} embedded) "
            f"in {self.seconds:.1f} s"
        )


def chunking_params(settings: Settings) -> dict:
    return {"splitter": "RecursiveCharacterTextSplitter", "chunk_size": settings.chunk_size, "chunk_overlap": settings.chunk_overlap}


def _text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# --- lock --------------------------------------------------------------------


class BuildLock:
    """An exclusive flock on DIR/.lock; `timeout` 0 fails at once with IndexLocked."""

    def __init__(self, index_dir: Path, timeout: float = 0.0) -> None:
        self.path = index_dir / ".lock"
        self.timeout = timeout
        self._fd: int | None = None

    def __enter__(self) -> BuildLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
                    os.close(fd)
                    raise IndexLocked(f"another build of {self.path.parent} is running (pid {holder}); try again when it ends") from None
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


# --- loading -----------------------------------------------------------------


def current_generation(index_dir: Path) -> Path | None:
    link = index_dir / "current"
    if not link.is_symlink():
        return None
    return index_dir / os.readlink(link)


def read_manifest(index_dir: Path) -> dict:
    path = current_generation(index_dir)
    if path is None:
        raise IndexNotFound(f"no index in {index_dir}: run `qa index` first")
    try:
        return json.loads((path / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise IndexCorrupt(f"index {path} is unreadable ({exc}): run `qa index --full`") from None


@dataclass
class LoadedIndex:
    path: Path  # the generation folder
    manifest: dict
    articles: dict[str, Article]
    passages: list[Passage]
    vectors: np.ndarray
    faiss_index: object
    bm25: BM25Channel
    sentences: list[tuple[str, int, int]]  # (doc_id, start, end) in the article text
    sentence_vectors: np.ndarray
    sentence_faiss: object
    sentence_passages: list[list[int]] = field(default_factory=list)  # passages each sentence overlaps

    def __post_init__(self) -> None:
        if not self.sentence_passages:
            by_doc: dict[str, list[int]] = {}
            for i, p in enumerate(self.passages):
                by_doc.setdefault(p.doc_id, []).append(i)
            self.sentence_passages = [
                [i for i in by_doc.get(doc, []) if self.passages[i].start < end and self.passages[i].end > start]
                for doc, start, end in self.sentences
            ]

    @property
    def generation(self) -> str:
        return self.path.name

    # The reader's interface: callers (answerer, UI, evaluation) use only these, not the storage.
    def article(self, doc_id: str) -> Article:
        return self.articles[doc_id]

    def doc_ids(self) -> list[str]:
        return list(self.articles)

    def article_sentences(self, doc_id: str) -> list[tuple[int, int, int]]:
        """(start, end, sentence row) of each sentence of the article, in text order."""
        if not hasattr(self, "_doc_sentences"):
            by_doc: dict[str, list[tuple[int, int, int]]] = {}
            for row, (doc, start, end) in enumerate(self.sentences):
                by_doc.setdefault(doc, []).append((start, end, row))
            self._doc_sentences = by_doc
        return self._doc_sentences.get(doc_id, [])

    def sentence_vector(self, row: int) -> np.ndarray:
        return np.asarray(self.sentence_vectors[row], dtype=np.float32)

    @classmethod
    def load(cls, index_dir: Path, embedder_id: str | None = None, settings: Settings | None = None, mmap: bool = True) -> LoadedIndex:
        """The current generation of `index_dir`.

        Refuses (IndexMismatch) an index built with another embedder or other
        chunking than asked for; IndexCorrupt when files are missing or unreadable."""
        import faiss

        path = current_generation(index_dir)
        manifest = read_manifest(index_dir)
        if manifest.get("format_version") != FORMAT_VERSION:
            raise IndexMismatch(
                f"index {path} has format {manifest.get('format_version')}, this qa reads {FORMAT_VERSION}: run `qa index --full`"
            )
        if embedder_id is not None and manifest["embedder"]["id"] != embedder_id:
            raise IndexMismatch(
                f"index {path} was built with {manifest['embedder']['id']!r}, not {embedder_id!r}: run `qa index --full`"
            )
        if settings is not None and manifest["chunking"] != chunking_params(settings):
            raise IndexMismatch(
                f"index {path} was built with chunking {manifest['chunking']}, settings ask for {chunking_params(settings)}: "
                "run `qa index --full`"
            )
        try:
            articles = {a.doc_id: a for a in (Article(**json.loads(line)) for line in _lines(path / "articles.jsonl"))}
            passages = [Passage(**json.loads(line)) for line in _lines(path / "passages.jsonl")]
            vectors = np.load(path / "vectors.npy", mmap_mode="r" if mmap else None)
            faiss_index = faiss.read_index(str(path / "dense.faiss"))
            bm25 = BM25Channel.load(path / "bm25", mmap=mmap)
            sentences = [tuple(json.loads(line)) for line in _lines(path / "sentences.jsonl")]
            sentence_vectors = np.load(path / "sentence_vectors.npy", mmap_mode="r" if mmap else None)
            sentence_faiss = faiss.read_index(str(path / "sentences.faiss"))
        except (OSError, ValueError, TypeError, RuntimeError, KeyError) as exc:
            raise IndexCorrupt(f"index {path} is damaged ({type(exc).__name__}: {exc}): run `qa index --full`") from None
        n = manifest["passage_count"]
        if not (len(passages) == n == vectors.shape[0] == faiss_index.ntotal) or not (
            len(sentences) == sentence_vectors.shape[0] == sentence_faiss.ntotal
        ):
            raise IndexCorrupt(f"index {path} is inconsistent (passages, vectors and FAISS disagree): run `qa index --full`")
        return cls(path, manifest, articles, passages, vectors, faiss_index, bm25, sentences, sentence_vectors, sentence_faiss)


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# --- building ----------------------------------------------------------------


def _faiss_index(vectors: np.ndarray, ann: str):
    import faiss

    dim = vectors.shape[1]
    if ann == "hnsw":
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efSearch = 128
    else:
        index = faiss.IndexFlatIP(dim)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


class _Progress:
    """Embedding progress on stderr (passages/s), plus the test fail-point."""

    def __init__(self, total: int, show: bool) -> None:
        self.batches = 0
        self.fail_after = int(os.environ.get(FAIL_AFTER_BATCHES_ENV, "0") or 0)
        self.bar = None
        if show and total:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="passage", desc="embedding", file=sys.stderr, mininterval=0.5, smoothing=0.1)

    def __call__(self, n: int) -> None:
        self.batches += 1
        if self.bar is not None:
            self.bar.update(n)
        if self.fail_after and self.batches >= self.fail_after:
            raise BuildAborted(f"fail-point: aborted after {self.batches} embedding batches")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def build_index(
    settings: Settings,
    full: bool = False,
    embedder: Embedder | None = None,
    progress: bool = True,
    lock_timeout: float = 0.0,
    log: Callable[[str], None] = lambda msg: print(msg, file=sys.stderr),
) -> BuildReport:
    """Bring `settings.index_dir` up to date with `settings.corpus_dirs`.

    Only new or changed passage texts are embedded: vectors are reused by the
    hash of the embedder input. `full` ignores the previous generation."""
    started = time.monotonic()
    index_dir = settings.index_dir
    with BuildLock(index_dir, timeout=lock_timeout):
        articles, warnings = load_corpus(list(settings.corpus_dirs))
        for warning in warnings:
            log(f"warning: {warning}")
        prior = current_generation(index_dir)  # kept on disk after the swap, for readers still using it
        previous = None
        if not full and current_generation(index_dir) is not None:
            previous = LoadedIndex.load(index_dir, mmap=False)
            if previous.manifest["embedder"]["model"] != (embedder.model if embedder else settings.model):
                raise IndexMismatch(
                    f"index {index_dir} was built with {previous.manifest['embedder']['model']}, not "
                    f"{embedder.model if embedder else settings.model}: run `qa index --full`"
                )
            if previous.manifest["chunking"] != chunking_params(settings):
                raise IndexMismatch(f"chunking settings changed since the last build of {index_dir}: run `qa index --full`")
        embedder = embedder or load_embedder(settings.model)
        if previous is not None and previous.manifest["embedder"]["id"] != embedder.model_id:
            raise IndexMismatch(f"embedder changed since the last build of {index_dir}: run `qa index --full`")

        old_hashes = previous.manifest["articles"] if previous else {}
        new_hashes = {a.doc_id: a.content_hash() for a in articles}
        report_lists = {
            "added": sorted(d for d in new_hashes if d not in old_hashes),
            "changed": sorted(d for d in new_hashes if d in old_hashes and old_hashes[d] != new_hashes[d]),
            "removed": sorted(d for d in old_hashes if d not in new_hashes),
            "unchanged": sorted(d for d in new_hashes if old_hashes.get(d) == new_hashes[d]),
        }
        if previous is not None and not (report_lists["added"] or report_lists["changed"] or report_lists["removed"]):
            return BuildReport(**report_lists, passages=len(previous.passages), sentences=len(previous.sentences),
                               seconds=time.monotonic() - started,
                               warnings=warnings, generation=previous.generation)

        passages: list[Passage] = []
        inputs: list[str] = []
        sentences: list[tuple[str, int, int]] = []
        sentence_inputs: list[str] = []
        for article in articles:
            for passage in split_article(article, settings.chunk_size, settings.chunk_overlap):
                passages.append(passage)
                inputs.append(embedding_input(article, passage))
            for start, end in sentence_spans(article.text):
                sentences.append((article.doc_id, start, end))
                sentence_inputs.append(sentence_input(article.text[start:end]))
        # One embedding pass for passages and sentences; "s:" keeps a sentence apart from an equal passage.
        all_inputs = inputs + sentence_inputs
        hashes = [_text_hash(t) for t in inputs] + [_text_hash("s:" + t) for t in sentence_inputs]
        cached: dict[str, np.ndarray] = {}
        if previous is not None:
            for i, p in enumerate(previous.passages):
                cached.setdefault(_text_hash(embedding_input(previous.articles[p.doc_id], p)), previous.vectors[i])
            for i, (doc, start, end) in enumerate(previous.sentences):
                text = previous.articles[doc].text[start:end]
                cached.setdefault(_text_hash("s:" + sentence_input(text)), previous.sentence_vectors[i])
        todo = sorted({h: i for i, h in enumerate(hashes) if h not in cached}.values())
        bar = _Progress(len(todo), progress)
        try:
            fresh = embedder.embed_passages([all_inputs[i] for i in todo], settings.embed_batch_size, on_batch=bar)
        finally:
            bar.close()
        for row, i in enumerate(todo):
            cached[hashes[i]] = fresh[row]
        stacked = np.vstack([cached[h] for h in hashes]).astype(np.float32) if hashes else np.zeros((0, embedder.dim), np.float32)
        vectors, sentence_vectors = stacked[: len(inputs)], stacked[len(inputs) :]

        manifest = {
            "format_version": FORMAT_VERSION,
            "qa_version": __version__,
            "embedder": {"model": embedder.model, "id": embedder.model_id, "dim": embedder.dim},
            "chunking": chunking_params(settings),
            "ann": settings.ann,
            "bm25": {"tokens": "syllables+bigrams", "folded_for_unaccented_queries": True},
            "corpus_dirs": [str(p) for p in settings.corpus_dirs],
            "articles": new_hashes,
            "article_count": len(articles),
            "passage_count": len(passages),
            "sentence_count": len(sentences),
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        generation = _write_generation(index_dir, articles, passages, vectors, inputs, sentences, sentence_vectors, manifest, settings.ann)
        _swap_current(index_dir, generation)
        _remove_stale(index_dir, keep={generation.name, prior.name if prior else ""})
        return BuildReport(**report_lists, passages=len(passages), sentences=len(sentences), embedded=len(todo),
                           seconds=time.monotonic() - started, warnings=warnings, generation=generation.name)


def sentence_input(sentence: str) -> str:
    """What the embedder sees for a sentence: the sentence alone (as a passage)."""
    return unify_tones(sentence)


def _write_generation(index_dir, articles, passages, vectors, inputs, sentences, sentence_vectors, manifest, ann) -> Path:
    import faiss

    numbers = [int(p.name.split("-")[1]) for p in index_dir.glob("gen-*") if p.name.split("-")[1].isdigit()]
    final = index_dir / f"gen-{max(numbers, default=0) + 1:06d}"
    tmp = index_dir / f".tmp-{final.name}-{os.getpid()}"
    tmp.mkdir(parents=True)
    with open(tmp / "articles.jsonl", "w", encoding="utf-8") as f:
        for a in articles:
            f.write(json.dumps(asdict(a), ensure_ascii=False) + "\n")
    with open(tmp / "passages.jsonl", "w", encoding="utf-8") as f:
        for p in passages:
            f.write(json.dumps(asdict(p), ensure_ascii=False) + "\n")
    np.save(tmp / "vectors.npy", vectors)
    faiss.write_index(_faiss_index(vectors, ann), str(tmp / "dense.faiss"))
    with open(tmp / "sentences.jsonl", "w", encoding="utf-8") as f:
        for sentence in sentences:
            f.write(json.dumps(sentence, ensure_ascii=False) + "\n")
    np.save(tmp / "sentence_vectors.npy", sentence_vectors)
    faiss.write_index(_faiss_index(sentence_vectors, ann), str(tmp / "sentences.faiss"))
    (tmp / "bm25").mkdir()
    BM25Channel.build(inputs).save(tmp / "bm25")
    (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
    os.rename(tmp, final)
    return final


def _swap_current(index_dir: Path, generation: Path) -> None:
    tmp_link = index_dir / f".current-{os.getpid()}"
    if tmp_link.is_symlink():
        tmp_link.unlink()
    os.symlink(generation.name, tmp_link)
    os.replace(tmp_link, index_dir / "current")  # atomic: readers see the old or the new generation


def _remove_stale(index_dir: Path, keep: set[str]) -> None:
    """Old generations (the previous one is kept for readers still using it) and leftovers of aborted builds."""
    for path in index_dir.iterdir():
        if (path.name.startswith("gen-") and path.name not in keep) or path.name.startswith(".tmp-"):
            shutil.rmtree(path, ignore_errors=True)
        elif path.name.startswith(".current-"):
            path.unlink(missing_ok=True)
