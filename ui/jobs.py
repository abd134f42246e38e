"""Index updates as background jobs: one worker thread, a FIFO queue, progress and queue position for the chat.

An upload saves its files into the corpus and queues a job; the chat polls the job's description.
The files are on disk before the job is queued, so a job that fails or a server that stops loses
nothing: the next build (a later job or `qa index`) indexes them."""

from __future__ import annotations

import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from qa.embed.embedders import Embedder
from qa.errors import BuildAborted, CorpusError, EmbedderError, IndexLocked, IndexProblem
from qa.index import build_index, indexed_embedder
from qa.ingest.corpus import Article
from qa.messages import build_summary, index_error_message, vi_number, vi_seconds
from qa.settings import Settings

log = logging.getLogger("qa.ui")
# A build started in a terminal holds the index lock: wait for it rather than fail at once.
BUILD_LOCK_TIMEOUT_S = 120.0


class QueueFull(Exception):
    pass


@dataclass
class Job:
    id: int
    files: tuple[Path, ...]  # saved in the corpus, to be indexed
    articles: tuple[tuple[str, Article], ...]  # (saved id, article): duplicates of later uploads are checked against them
    estimated_texts: int
    state: str = "queued"  # queued -> running -> done | failed
    embedded: int = 0
    to_embed: int = 0  # what the build asked the embedder for (0 until known)
    result: str = ""
    started: float = 0.0


@dataclass
class _Counter:
    done: int = 0
    total: int = 0


class _ProgressEmbedder(Embedder):
    """The worker's embedder, counting what the build embeds (the job's progress)."""

    def __init__(self, inner: Embedder) -> None:
        self.inner, self.model, self.model_id, self.dim = inner, inner.model, inner.model_id, inner.dim
        self.counter = _Counter()

    def embed_batch(self, texts, is_query):
        out = self.inner.embed_batch(texts, is_query)
        if not is_query:
            self.counter.done += len(texts)
        return out

    def embed_passages(self, texts, batch_size=16, on_batch=None):
        self.counter.total += len(texts)
        return super().embed_passages(texts, batch_size, on_batch)


@dataclass
class IndexJobs:
    """One worker thread building the index for queued uploads, one job at a time."""

    settings: Settings
    embedder_factory: Callable[[], Embedder] | None = None  # default: the model the index was built with
    _queue: queue.Queue = field(default_factory=queue.Queue)
    _jobs: dict[int, Job] = field(default_factory=dict)
    _order: list[int] = field(default_factory=list)  # queued and running job ids, oldest first
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _embedder: _ProgressEmbedder | None = None
    _worker: threading.Thread | None = None

    def submit(self, files: list[Path], articles: list[tuple[str, Article]], estimated_texts: int) -> Job:
        with self._lock:
            if len(self._order) >= self.settings.upload_max_queue:
                raise QueueFull
            job = Job(next(self._ids), tuple(files), tuple(articles), estimated_texts)
            self._jobs[job.id] = job
            self._order.append(job.id)
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._run, name="qa-index-jobs", daemon=True)
                self._worker.start()
        self._queue.put(job.id)
        return job

    def pending_texts(self) -> dict[str, str]:
        """Text hash -> article id of what is saved but not indexed yet."""
        with self._lock:
            return {a.text_hash(): saved_id for jid in self._order for saved_id, a in self._jobs[jid].articles}

    def pending_ids(self) -> set[str]:
        """Article ids saved by queued or running jobs: reserved, so a later upload cannot claim them."""
        with self._lock:
            return {saved_id for jid in self._order for saved_id, _ in self._jobs[jid].articles}

    def get(self, job_id: int) -> Job | None:
        return self._jobs.get(job_id)

    def is_pending(self, job_id: int) -> bool:
        job = self._jobs.get(job_id)
        return job is not None and job.state in ("queued", "running")

    def describe(self, job_id: int) -> str:
        """The job's state for the user: position in the queue, progress, or its result."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return ""
            if job.state == "queued":
                ahead = self._order.index(job_id)
                if ahead == 0:
                    return f"Cập nhật chỉ mục #{job.id}: sắp bắt đầu."
                return f"Cập nhật chỉ mục #{job.id}: đang chờ, còn {vi_number(ahead)} lần cập nhật chạy trước."
            elapsed = vi_seconds(time.monotonic() - job.started)
            if job.state == "running":
                if job.to_embed:
                    share = min(job.embedded / job.to_embed, 1.0)
                    return (f"Cập nhật chỉ mục #{job.id}: đang nhúng {vi_number(job.embedded)}/{vi_number(job.to_embed)} đoạn và câu "
                            f"({vi_number(share * 100)} %), đã {elapsed}.")
                return (f"Cập nhật chỉ mục #{job.id}: đang chuẩn bị (đọc kho bài viết, hoặc chờ một lần cập nhật khác xong), "
                        f"đã {elapsed}.")
            return f"Cập nhật chỉ mục #{job.id}: {job.result}"

    def queue_summary(self) -> str:
        """What is running and waiting, for the index tab ('' when nothing is)."""
        with self._lock:
            order = list(self._order)
        if not order:
            return ""
        lines = [self.describe(j) for j in order[:3]]
        if len(order) > 3:
            lines.append(f"… và {vi_number(len(order) - 3)} lần cập nhật nữa đang chờ.")
        return "\n".join(lines)

    def wait(self, job_id: int, timeout: float) -> Job:
        deadline = time.monotonic() + timeout
        while self.is_pending(job_id) and time.monotonic() < deadline:
            time.sleep(0.1)
        return self._jobs[job_id]

    # --- the worker ---

    def _run(self) -> None:
        while True:
            job = self._jobs[self._queue.get()]
            job.state, job.started = "running", time.monotonic()
            try:
                job.state, job.result = self._build(job)
            except Exception as exc:  # a bug must not stop the queue: the files stay in the corpus
                log.exception("cập nhật chỉ mục #%d lỗi", job.id)
                job.result, job.state = f"lỗi không mong đợi ({type(exc).__name__}); các tệp đã lưu vẫn còn trong kho.", "failed"
            finally:
                with self._lock:
                    self._order.remove(job.id)

    def _build(self, job: Job) -> tuple[str, str]:
        """(state, result for the user)."""
        counter = _Counter()
        stop = threading.Event()
        threading.Thread(target=self._follow, args=(job, counter, stop), daemon=True).start()
        warnings: list[str] = []
        try:
            embedder = self._worker_embedder()
            embedder.counter = counter
            report = build_index(self.settings, embedder=embedder, progress=False, lock_timeout=BUILD_LOCK_TIMEOUT_S,
                                 log=warnings.append)
        except IndexLocked:
            return "failed", ("một lần cập nhật khác (ví dụ `qa index` trong terminal) chạy quá lâu; "
                              "các tệp đã lưu sẽ vào chỉ mục ở lần cập nhật sau.")
        except CorpusError as exc:  # e.g. an id claimed by two files, one copied in by hand (uploads reserve their ids):
            # nothing is deleted, since the file at fault may be the other one, saved earlier.
            log.warning("cập nhật chỉ mục #%d không thành công: %s", job.id, exc)
            return "failed", f"không cập nhật được chỉ mục ({exc}). Các tệp đã lưu vẫn còn trong kho."
        except (IndexProblem, BuildAborted, EmbedderError) as exc:  # not the files' fault: they stay for the next build
            message = str(exc) if isinstance(exc, EmbedderError) else index_error_message(exc)
            log.warning("cập nhật chỉ mục #%d không thành công: %s", job.id, message)
            return "failed", f"không cập nhật được chỉ mục ({message}). Các tệp đã lưu vẫn còn trong kho."
        finally:
            stop.set()
        for warning in warnings:
            log.warning("%s", warning)
        job.embedded = job.to_embed = max(counter.done, job.to_embed)
        return "done", f"xong: {build_summary(report)}."

    def _follow(self, job: Job, counter: _Counter, stop: threading.Event) -> None:
        while not stop.wait(0.25):
            job.embedded, job.to_embed = counter.done, max(counter.total, counter.done)

    def _worker_embedder(self) -> _ProgressEmbedder:
        """Its own instance (not the one answering questions), loaded once: the model the index was built
        with, or the configured one for a first build."""
        if self._embedder is None:
            if self.embedder_factory is not None:
                inner = self.embedder_factory()
            else:
                inner = indexed_embedder(self.settings)
            self._embedder = _ProgressEmbedder(inner)
        return self._embedder
