"""A real OpenAI-compatible server for the LLM tests: llama.cpp's (`llama-cpp-python[server]`, the `llm` extra) over
a tiny llama-architecture model with random weights, written at test time with the `gguf` package. Nothing is
downloaded; the model writes nonsense, which is what the verifier must reject, while the protocol, streaming,
citation parsing, timeouts and fallbacks run for real."""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

# Pieces the random model can write: bytes (any text), and whole markers and words it may string together.
PIECES = ["[1]", "[2]", "[3]", " [1].", ".", ",", " ", "▁Hội", "▁nghị", "▁Thiếu", "▁tướng", "▁năm", "▁2023", "▁chủ", "▁trì"]


def llama_server_missing() -> str | None:
    """Why the real server cannot run here (None: it can)."""
    for module, package in (("llama_cpp", "llama-cpp-python"), ("gguf", "gguf"), ("sse_starlette", "sse-starlette"),
                            ("starlette_context", "starlette-context")):
        if importlib.util.find_spec(module) is None:
            return f"{package} is not installed (pip install '.[llm]'; llama-cpp-python compiles llama.cpp from source)"
    return None


def write_tiny_llama(path: Path, seed: int = 0, n_ctx: int = 8192) -> Path:
    """A 2-layer llama with a byte-level SentencePiece vocabulary and random weights (about 2 MB)."""
    import gguf

    rng = np.random.default_rng(seed)
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)] + PIECES
    types = [gguf.TokenType.UNKNOWN, gguf.TokenType.CONTROL, gguf.TokenType.CONTROL] + [gguf.TokenType.BYTE] * 256 \
        + [gguf.TokenType.NORMAL] * len(PIECES)
    n_vocab, n_embd, n_ff, n_head, n_layer = len(tokens), 64, 128, 4, 2
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("tiny-random-llama")
    writer.add_context_length(n_ctx)
    writer.add_embedding_length(n_embd)
    writer.add_block_count(n_layer)
    writer.add_feed_forward_length(n_ff)
    writer.add_head_count(n_head)
    writer.add_head_count_kv(n_head)
    writer.add_rope_dimension_count(n_embd // n_head)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores([0.0] * 3 + [-1000.0] * 256 + [-float(i) for i in range(len(PIECES))])
    writer.add_token_types(types)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_unk_token_id(0)

    def weight(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape) * 0.2).astype(np.float32)

    writer.add_tensor("token_embd.weight", weight(n_vocab, n_embd))
    writer.add_tensor("output_norm.weight", np.ones(n_embd, dtype=np.float32))
    writer.add_tensor("output.weight", weight(n_vocab, n_embd))
    for i in range(n_layer):
        writer.add_tensor(f"blk.{i}.attn_norm.weight", np.ones(n_embd, dtype=np.float32))
        for name in ("attn_q", "attn_k", "attn_v", "attn_output"):
            writer.add_tensor(f"blk.{i}.{name}.weight", weight(n_embd, n_embd))
        writer.add_tensor(f"blk.{i}.ffn_norm.weight", np.ones(n_embd, dtype=np.float32))
        writer.add_tensor(f"blk.{i}.ffn_gate.weight", weight(n_ff, n_embd))
        writer.add_tensor(f"blk.{i}.ffn_up.weight", weight(n_ff, n_embd))
        writer.add_tensor(f"blk.{i}.ffn_down.weight", weight(n_embd, n_ff))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SMALL_SERVER_KEY = "khoa-thu-nghiem"  # the small server wants it (HTTP 401 without)


def start_llama_server(model: Path, n_ctx: int, log: Path, key: str | None = None) -> tuple[subprocess.Popen, str]:
    """`python -m llama_cpp.server` on a free loopback port; (process, base URL) once it answers."""
    import httpx

    port = free_port()
    out = open(log, "w")  # noqa: SIM115 - the server writes to it until it is stopped
    process = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
                                "--port", str(port), "--n_ctx", str(n_ctx), "--n_threads", "1", "--chat_format", "llama-2",
                                *(["--api_key", key] if key else [])],
                               stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"llama.cpp server exited ({process.returncode}): {log.read_text()[-2000:]}")
        try:
            headers = {"Authorization": f"Bearer {key}"} if key else {}
            if httpx.get(f"{url}/v1/models", timeout=2, headers=headers).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError(f"llama.cpp server did not answer in 120 s: {log.read_text()[-2000:]}")


@pytest.fixture(scope="session")
def llm_server(tmp_path_factory):
    """(base URL of a large-context server, base URL of one that wants SMALL_SERVER_KEY and whose context the
    prompt overflows)."""
    missing = llama_server_missing()
    if missing:
        pytest.skip(missing)
    root = tmp_path_factory.mktemp("llm")
    model = write_tiny_llama(root / "tiny.gguf")
    big, big_url = start_llama_server(model, 8192, root / "big.log")
    small, small_url = start_llama_server(model, 256, root / "small.log", key=SMALL_SERVER_KEY)
    yield big_url, small_url
    for process in (big, small):
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
