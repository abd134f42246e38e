"""Embedders of the scale runs: a fast deterministic fake for the bulk, and wrappers that time embedding.

The fake maps each lowercased syllable to a fixed Gaussian vector (seeded by a
stable hash of the syllable) and sums them, weighted, into one normalized
384-dim vector: a random projection of the bag of syllables, so cosine
neighbours are texts that share words, as with a real model, and ANN recall
against exact search means something. It runs at numpy speed, so the build
seconds measure the index, not a model."""

from __future__ import annotations

import hashlib
import re
import time

import numpy as np

from qa.embed.embedders import Embedder

_TOKEN_RE = re.compile(r"\w+")
# The commonest syllables of Vietnamese news carry little: damped, as IDF would.
_COMMON = frozenset(
    """của và các là có được trong cho với những một đã người này để không năm từ theo đến về khi
    đó cũng như tại sự nhiều ra trên hơn vào đang sẽ thì mà làm nhưng do bị lại các này nên còn""".split()
)


class HashProjectionEmbedder(Embedder):
    model = "bench-fake"
    model_id = "bench-fake-hashed-syllables-gaussian-384-v1"
    dim = 384

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self._ids: dict[str, int] = {}
        self._table = np.zeros((1024, self.dim), dtype=np.float32)  # one row per syllable seen, grown as needed
        self._weights = np.zeros(1024, dtype=np.float32)

    def _add(self, token: str) -> int:
        row = len(self._ids)
        if row == len(self._table):
            self._table = np.vstack([self._table, np.zeros_like(self._table)])
            self._weights = np.concatenate([self._weights, np.zeros_like(self._weights)])
        key = int.from_bytes(hashlib.blake2b(token.encode(), digest_size=8).digest(), "little")
        self._table[row] = np.random.default_rng([self.seed, key]).standard_normal(self.dim, dtype=np.float32)
        self._weights[row] = 0.25 if token in _COMMON else 1.0
        self._ids[token] = row
        return row

    def embed_batch(self, texts, is_query):
        ids, lengths = [], []
        known = self._ids
        for text in texts:
            tokens = _TOKEN_RE.findall(text.lower())
            rows = list(map(known.get, tokens))
            if None in rows:  # new syllables: add each once (a repeat in the same text must not be added twice)
                for token in tokens:
                    if token not in known:
                        self._add(token)
                rows = list(map(known.__getitem__, tokens))
            ids.extend(rows)
            lengths.append(len(tokens))
        out = np.zeros((len(lengths), self.dim), dtype=np.float32)
        if ids:
            rows = np.asarray(ids, dtype=np.int64)
            weighted = self._table[rows] * self._weights[rows, None]
            nonempty = np.flatnonzero(np.asarray(lengths) > 0)
            offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])[nonempty]
            out[nonempty] = np.add.reduceat(weighted, offsets, axis=0)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1.0)


class TimedEmbedder(Embedder):
    """Another embedder, with the seconds spent inside it counted (subtracted from build times)."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.model, self.model_id, self.dim = inner.model, inner.model_id, inner.dim
        self.seconds = 0.0
        self.texts = 0

    def embed_batch(self, texts, is_query):
        started = time.perf_counter()
        try:
            return self.inner.embed_batch(texts, is_query)
        finally:
            self.seconds += time.perf_counter() - started
            self.texts += len(texts)


class ServingEmbedder(Embedder):
    """Serves the fake index's vector space but computes every question's real embedding too.

    An index built with the fake embedder can only be searched with fake query
    vectors; so each question is also embedded by the real model (the result
    is dropped) to keep its cost inside the measured ask time."""

    def __init__(self, fake: Embedder, real: Embedder) -> None:
        self.fake, self.real = fake, real
        self.model, self.model_id, self.dim = fake.model, fake.model_id, fake.dim
        self.real_ms: list[float] = []
        self.fake_ms: list[float] = []

    def embed_batch(self, texts, is_query):
        if is_query:
            started = time.perf_counter()
            self.real.embed_batch(texts, is_query=True)
            self.real_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        out = self.fake.embed_batch(texts, is_query)
        if is_query:
            self.fake_ms.append((time.perf_counter() - started) * 1000)
        return out
