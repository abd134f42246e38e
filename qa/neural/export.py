"""Export a trained span model to int8 ONNX with a pruned vocabulary, and write its model card.

The vocabulary keeps the special pieces, every piece seen in the Vietnamese development texts (the project
corpus, eval/dev.jsonl, XQuAD-vi articles 1-24; never a held-out file) and then the most probable pieces
written in Latin script (Vietnamese letters included), up to `size` rows. At run time the tokenizer segments
with the kept pieces only, so a word made of dropped pieces falls back on smaller kept ones (or <unk>)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

MODEL_DIR = Path(__file__).parent / "model"
ONNX_NAME = "reader.onnx"
VOCAB_NAME = "reader-vocab.json"
CARD_NAME = "MODEL_CARD.md"
VOCAB_ROWS = 30000


def _latin(piece: str) -> bool:
    return all(c == "\u2581" or ord(c) < 0x250 or 0x1E00 <= ord(c) <= 0x1EFF or 0x300 <= ord(c) <= 0x36F for c in piece)


def development_texts(project_dir: Path, data_dir: Path) -> list[str]:
    from qa.neural.data import XQUAD_TRAIN_ARTICLES

    texts = [p.read_text(encoding="utf-8") for p in sorted((project_dir / "corpus").glob("*.txt"))]
    dev = project_dir / "eval" / "dev.jsonl"
    if dev.exists():
        for line in dev.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                texts += [row.get("question", ""), row.get("answer") or ""]
    xquad = json.loads((data_dir / "xquad" / "xquad.vi.json").read_text(encoding="utf-8"))["data"][:XQUAD_TRAIN_ARTICLES]
    for article in xquad:
        for paragraph in article["paragraphs"]:
            texts.append(paragraph["context"])
            texts += [qa["question"] for qa in paragraph["qas"]]
    return texts


def kept_vocabulary(tokenizer, texts: list[str], size: int = VOCAB_ROWS) -> list[int]:
    vocab = tokenizer.vocabulary
    kept = {vocab.bos, vocab.eos, vocab.pad, vocab.unk}
    for text in texts:
        kept.update(tokenizer.encode(text).ids)
    by_score = sorted(range(len(vocab.pieces)), key=lambda i: -float(vocab.scores[i]))
    for index in by_score:
        if len(kept) >= size:
            break
        piece = vocab.pieces[index].decode("utf-8", errors="replace")
        if piece and _latin(piece):
            kept.add(index)
    return sorted(kept)


def export_onnx(checkpoint: Path, out_dir: Path, project_dir: Path, data_dir: Path, size: int = VOCAB_ROWS) -> Path:
    """Writes out_dir/reader.onnx (int8) and reader-vocab.json; returns the ONNX path."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from qa.neural.encoder import SpanModel, pretrained_span_model
    from qa.neural.tokenizer import Tokenizer
    from qa.neural.weights import load_weights

    weights = load_weights()
    tokenizer = Tokenizer(weights.vocabulary)
    kept = kept_vocabulary(tokenizer, development_texts(project_dir, data_dir), size)
    full = pretrained_span_model(weights)
    saved = torch.load(checkpoint, map_location="cpu", weights_only=False)
    full.load_state_dict(saved["model"], strict=False)
    pruned = SpanModel(weights.config, vocab_rows=len(kept))
    state = full.state_dict()
    state["encoder.word.weight"] = state["encoder.word.weight"][torch.tensor(kept)]
    pruned.load_state_dict(state)
    pruned.eval()

    out_dir.mkdir(parents=True, exist_ok=True)
    fp32 = out_dir / "reader-fp32.onnx"
    ids = torch.ones((1, 24), dtype=torch.long)
    mask = torch.ones((1, 24), dtype=torch.long)
    torch.onnx.export(pruned, (ids, mask), str(fp32), input_names=["ids", "mask"],
                      output_names=["start_logits", "end_logits"], opset_version=17, dynamo=False,
                      dynamic_axes={"ids": {0: "batch", 1: "tokens"}, "mask": {0: "batch", 1: "tokens"},
                                    "start_logits": {0: "batch", 1: "tokens"}, "end_logits": {0: "batch", 1: "tokens"}})
    target = out_dir / ONNX_NAME
    quantize_dynamic(str(fp32), str(target), weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul", "Gather"])
    fp32.unlink()
    (out_dir / VOCAB_NAME).write_text(json.dumps({"kept_ids": kept}), encoding="utf-8")
    return target


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
