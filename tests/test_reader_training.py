"""The cheaper CPU training of the span reader: the frozen lower layers' cached output, the shipped weights read
back from the int8 ONNX file, and the step-based schedule that several sittings share."""

from __future__ import annotations

import json

import numpy as np
import pytest

from qa.neural.data import Example, make_windows
from qa.neural.export import MODEL_DIR, ONNX_NAME, VOCAB_NAME
from qa.neural.tokenizer import Tokenizer
from qa.neural.weights import load_weights

pytestmark = pytest.mark.model

CONTEXT = ("Chiều 05/01/2024, Bộ Tham mưu Quân khu tổ chức hội nghị tổng kết công tác đảng năm 2023. "
           "Thiếu tướng Phạm Hoàng Long, Tham mưu trưởng Quân khu chủ trì hội nghị.")


@pytest.fixture(scope="module")
def weights():
    return load_weights()


def test_cached_lower_layers_give_the_full_forward(weights, tmp_path):
    import torch

    from qa.neural.encoder import pretrained_span_model
    from qa.neural.lower_cache import LowerCache, cache_key

    tokenizer = Tokenizer(weights.vocabulary)
    examples = [Example("a", "Ai chủ trì hội nghị?", CONTEXT, (("Thiếu tướng Phạm Hoàng Long", 92),), "xquad-vi"),
                Example("b", "Hội nghị tổng kết năm nào?", CONTEXT[:90], (("2023", 84),), "xquad-vi")]
    windows = make_windows(examples, tokenizer, max_tokens=48, stride=16)
    model = pretrained_span_model(weights).eval()
    frozen = 4
    key = cache_key(windows, frozen, "base")
    cache = LowerCache(tmp_path, key, [len(w.ids) for w in windows], weights.config.hidden)
    cache.fill(model, windows, frozen, weights.vocabulary.pad, torch, lambda line: None)
    assert cache.complete and json.loads((cache.dir / "progress.json").read_text())["done"] == len(windows)
    assert LowerCache(tmp_path, key, [len(w.ids) for w in windows], weights.config.hidden).complete  # resumes done
    assert cache_key(windows, frozen + 1, "base") != key and cache_key(windows[1:], frozen, "base") != key

    indices = [0, len(windows) - 1]
    hidden, mask = cache.batch(indices, torch)
    with torch.no_grad():
        upper = model.encoder.run_layers(hidden.float(), mask, frozen, len(model.encoder.layers))
        for row, i in enumerate(indices):
            ids = torch.tensor([windows[i].ids])
            full = model.encoder(ids, torch.ones_like(ids))[0]
            n = len(windows[i].ids)
            cosine = torch.nn.functional.cosine_similarity(full, upper[row, :n], dim=-1)
            assert cosine.min().item() > 0.98  # bf16 storage of the cached states, nothing else differs
            assert not mask[row, n:].any()


def test_shipped_weights_read_back_from_the_int8_model(weights):
    import onnxruntime as ort
    import torch

    from qa.neural.encoder import pretrained_span_model
    from qa.neural.shipped import load_shipped

    model = pretrained_span_model(weights)
    assert load_shipped(model, MODEL_DIR / ONNX_NAME) > 190
    kept = json.loads((MODEL_DIR / VOCAB_NAME).read_text())["kept_ids"]
    tokenizer = Tokenizer(weights.vocabulary, allowed=kept)
    content = tokenizer.encode("Ai chủ trì hội nghị? " + CONTEXT).ids
    ids = [weights.vocabulary.bos, *content, weights.vocabulary.eos]
    remap = {k: i for i, k in enumerate(kept)}
    session = ort.InferenceSession(str(MODEL_DIR / ONNX_NAME))
    onnx_start, _ = session.run(None, {"ids": np.array([[remap[i] for i in ids]]), "mask": np.ones((1, len(ids)), dtype=np.int64)})
    with torch.no_grad():
        start, _ = model.eval()(torch.tensor([ids]), torch.ones((1, len(ids)), dtype=torch.long))
    assert np.corrcoef(start.numpy()[0], onnx_start[0])[0, 1] > 0.98
    assert int(onnx_start.argmax()) in start[0].topk(3).indices.tolist()  # int8 noise may swap close neighbours
