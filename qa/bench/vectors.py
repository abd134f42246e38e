"""Real passage vectors cached on disk with what each cost to compute, so re-runs of the peer comparison are cheap
and still honest: a build is charged the embedding seconds it would have spent.

Every cached text keeps the seconds its embedding took when it was computed
(its batch's time divided by the batch's texts). A build through
`CachingEmbedder` is then reported as its wall time, minus the model time
actually spent in this run, plus the charged seconds of every text it asked
for (cached or not): the figure of a build that embeds everything, measured
without paying for it twice. A full `qa bench` starts from an empty cache, so
all its charges are measured in that run. Questions are never cached."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import numpy as np

from qa.embed.embedders import Embedder


def _key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class VectorCache:
    def __init__(self, folder: Path, model_id: str, fresh: bool = False) -> None:
        self.path = folder / f"vectors-{_key(model_id)[:12]}.npz"
        self.entries: dict[str, tuple[np.ndarray, float]] = {}
        self.loaded = 0
        if self.path.exists() and not fresh:
            with np.load(self.path) as data:
                for key, vector, cost in zip(data["keys"], data["vectors"], data["costs"]):
                    self.entries[str(key)] = (vector, float(cost))
            self.loaded = len(self.entries)
        self._dirty = False

    def get(self, key: str) -> tuple[np.ndarray, float] | None:
        return self.entries.get(key)

    def put(self, key: str, vector: np.ndarray, cost: float) -> None:
        self.entries[key] = (np.asarray(vector, dtype=np.float32), cost)
        self._dirty = True

    def save(self) -> None:
        if not self._dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = list(self.entries)
        tmp = self.path.with_name(self.path.stem + f".tmp-{os.getpid()}.npz")
        np.savez(tmp, keys=np.array(keys), vectors=np.stack([self.entries[k][0] for k in keys]),
                 costs=np.array([self.entries[k][1] for k in keys]))
        os.replace(tmp, self.path)
        self._dirty = False


class CachingEmbedder(Embedder):
    """The real embedder for passages through a VectorCache; questions go to the real one every time."""

    def __init__(self, real: Embedder, cache: VectorCache) -> None:
        self.real, self.cache = real, cache
        self.model, self.model_id, self.dim = real.model, real.model_id, real.dim
        self.reset()

    def reset(self) -> None:
        self.charged_s = 0.0  # embedding seconds of every passage text asked for (measured now or when first embedded)
        self.model_s = 0.0  # seconds actually spent in the model since the reset
        self.texts = 0
        self.computed = 0

    def as_if_embedded(self, wall_s: float) -> float:
        """`wall_s` of a build since the reset, as if every text it asked for had been embedded in it."""
        return wall_s - self.model_s + self.charged_s

    def embed_batch(self, texts, is_query):
        texts = list(texts)
        if is_query:
            return self.real.embed_batch(texts, is_query=True)
        keys = [_key(t) for t in texts]
        missing = sorted({k: i for i, k in enumerate(keys) if self.cache.get(k) is None}.values())
        if missing:
            started = time.perf_counter()
            vectors = self.real.embed_batch([texts[i] for i in missing], is_query=False)
            spent = time.perf_counter() - started
            self.model_s += spent
            self.computed += len(missing)
            for row, i in enumerate(missing):
                self.cache.put(keys[i], vectors[row], spent / len(missing))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, key in enumerate(keys):
            vector, cost = self.cache.get(key)
            out[row] = vector
            self.charged_s += cost
        self.texts += len(texts)
        return out
