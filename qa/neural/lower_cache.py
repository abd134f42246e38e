"""The outputs of the frozen lower layers, computed once per window and kept on disk (bf16).

With the embeddings and the first `frozen` layers frozen, their output for a window never changes during
training; computing it once and training only the upper layers on it makes every later step cost the upper
layers alone (forward and backward). The file is a flat [tokens, hidden] array of bfloat16 stored as uint16,
window i at rows offsets[i]:offsets[i + 1]; it is filled in chunks and records how far it got, so an
interrupted session resumes. A key (the windows, the frozen depth and the weights they came from) names it, so
changed data or weights never reuse a stale cache."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import numpy as np

CHUNK_WINDOWS = 64


def cache_key(windows, frozen: int, weights_tag: str) -> str:
    digest = hashlib.blake2b(digest_size=10)
    digest.update(f"{frozen}|{weights_tag}|{len(windows)}".encode())
    for w in windows:
        digest.update(np.asarray(w.ids, dtype=np.int32).tobytes())
    return digest.hexdigest()


class LowerCache:
    def __init__(self, work: Path, key: str, lengths: list[int], hidden: int):
        self.dir = work / f"lower-{key}"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        self.hidden = hidden
        path = self.dir / "hidden.u16"
        shape = (int(self.offsets[-1]), hidden)
        mode = "r+" if path.exists() and path.stat().st_size == shape[0] * hidden * 2 else "w+"
        self.array = np.memmap(path, dtype=np.uint16, mode=mode, shape=shape)
        self.progress_path = self.dir / "progress.json"
        self.done = json.loads(self.progress_path.read_text())["done"] if mode == "r+" and self.progress_path.exists() else 0

    @property
    def complete(self) -> bool:
        return self.done >= len(self.offsets) - 1

    def fill(self, model, windows, frozen: int, pad: int, torch, log) -> None:
        """Runs the embeddings and layers [0, frozen) over every window not cached yet."""
        began, first = time.monotonic(), self.done
        total = len(windows)
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
            while self.done < total:
                part = range(self.done, min(total, self.done + CHUNK_WINDOWS))
                length = max(len(windows[i].ids) for i in part)
                ids = torch.full((len(part), length), pad, dtype=torch.long)
                mask = torch.zeros((len(part), length), dtype=torch.long)
                for row, i in enumerate(part):
                    ids[row, :len(windows[i].ids)] = torch.tensor(windows[i].ids)
                    mask[row, :len(windows[i].ids)] = 1
                hidden = model.encoder.run_layers(model.encoder.embed(ids), mask, 0, frozen).to(torch.bfloat16)
                bits = hidden.view(torch.int16).numpy().view(np.uint16)
                for row, i in enumerate(part):
                    self.array[self.offsets[i]:self.offsets[i + 1]] = bits[row, :len(windows[i].ids)]
                self.done = part.stop
                self.array.flush()
                self.progress_path.write_text(json.dumps({"done": self.done}))
                if self.done % (CHUNK_WINDOWS * 16) == 0 or self.done == total:
                    rate = (self.done - first) / max(time.monotonic() - began, 1e-9)
                    log(f"lower layers cached for {self.done}/{total} windows ({rate:.1f} windows/s this session)")

    def batch(self, indices, torch):
        """[batch, tokens, hidden] bf16 hidden states, zero-padded, and the matching attention mask."""
        length = max(int(self.offsets[i + 1] - self.offsets[i]) for i in indices)
        out = np.zeros((len(indices), length, self.hidden), dtype=np.uint16)
        mask = torch.zeros((len(indices), length), dtype=torch.long)
        for row, i in enumerate(indices):
            n = int(self.offsets[i + 1] - self.offsets[i])
            out[row, :n] = self.array[self.offsets[i]:self.offsets[i + 1]]
            mask[row, :n] = 1
        return torch.from_numpy(out.view(np.int16)).view(torch.bfloat16), mask
