"""Conversations evaluated turn by turn (`qa eval --conversations eval/conversations.jsonl`).

A thread is asked as a user would ask it: each follow-up after the system's own earlier answers (not the
gold ones), so a wrong first answer costs its follow-ups too. Turns are scored with the metrics of
`qa.evaluation.evaluate` (retrieval, answer_hit, short F1, confident wrong answers), reported apart for
first turns, follow-ups, and each kind of reference the follow-ups make (person, event, document, year,
entity, ellipsis, new).

One thread per line:
    {"id": "c01", "turns": [{"question": "Ai chủ trì …?", "gold": ["003_…"], "answer": "Phạm Hoàng Long"},
                            {"question": "Ông ấy giữ chức vụ gì?", "gold": ["003_…"], "answer": "Phó tham mưu trưởng",
                             "answers": ["Phó tham mưu trưởng, Phó bí thư Đảng ủy Bộ Tham mưu Quân khu"], "reference": "person"}]}

`answer` is the shortest correct answer (answer_hit: the answer text contains it); `answers`, optional, lists other
complete forms the short answer may take (the person with rank and titles as the article writes them, all the
titles held): short F1 and exact match take the best of them.

The dev set's index (when no --index is given) holds the sample corpus, the distractors and XQuAD-vi
articles 1-24 only (one document per paragraph, ids `TITLE#i` as `qa eval --squad` makes them): articles
25-48 are held out and never read here."""

from __future__ import annotations

import hashlib
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from qa.evaluation.evaluate import CURVE_K, Question, QuestionResult, question_result, score_mode
from qa.settings import Settings

XQUAD_DEV_ARTICLES = 24  # XQuAD-vi articles 1-24 are for development; 25-48 are held out
REFERENCES = ("person", "event", "document", "year", "entity", "ellipsis", "new")
PARTS = ("first", "follow_up")


@dataclass(frozen=True)
class Thread:
    tid: str
    turns: tuple[Question, ...]
    references: tuple[str, ...]  # per turn: the kind of reference the writer meant ("" for the first turn)


def load_conversations(path: Path) -> list[Thread]:
    threads = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            turns, references = [], []
            for i, turn in enumerate(record["turns"]):
                answers = [turn.get("answer", ""), *turn.get("answers", ())]  # `answers`: other forms that count as well
                turns.append(Question(f"{record['id']}.{i + 1}", turn["question"], tuple(turn["gold"]),
                                      tuple(dict.fromkeys(a for a in answers if a))))
                references.append(turn.get("reference", "") if i else "")
            if len(turns) < 2:
                raise ValueError("cần ít nhất hai lượt")
            threads.append(Thread(str(record["id"]), tuple(turns), tuple(references)))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"dòng {number} không phải một cuộc trò chuyện dạng {{\"id\", \"turns\": [{{\"question\", \"gold\", "
                             f"\"answer\"}}, …]}} ({exc})") from None
    if not threads:
        raise ValueError("tệp không có cuộc trò chuyện nào")
    return threads


def conversation_index(settings: Settings, cache: Path, corpus_dirs: tuple[Path, ...], xquad: Path | None) -> Settings:
    """The dev index: `corpus_dirs` and XQuAD-vi articles 1-24 of `xquad`, built (or updated) in `cache`."""
    from qa.index import build_index

    dirs = list(corpus_dirs)
    if xquad is not None:
        data = json.loads(xquad.read_text(encoding="utf-8"))["data"][:XQUAD_DEV_ARTICLES]
        lines = "".join(json.dumps({"id": f"{a.get('title', 'doc')}#{i}", "title": "", "text": p["context"]}, ensure_ascii=False) + "\n"
                        for a in data for i, p in enumerate(a["paragraphs"]))
        folder = cache / f"xquad-1-{XQUAD_DEV_ARTICLES}-{hashlib.sha256(lines.encode()).hexdigest()[:12]}"
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / "documents.jsonl"
        if not target.exists() or target.read_text(encoding="utf-8") != lines:
            target.write_text(lines, encoding="utf-8")
        dirs.append(folder)
    params = f"{settings.model}|{settings.chunk_size}|{settings.chunk_overlap}|{settings.ann}|{'|'.join(map(str, dirs))}"
    index_dir = cache / f"conversations-{hashlib.sha256(params.encode()).hexdigest()[:10]}"
    conv_settings = settings.with_(index_dir=index_dir, corpus_dirs=tuple(dirs))
    report = build_index(conv_settings, progress=True)
    print(f"chỉ mục hội thoại: {report.summary()}", file=sys.stderr)
    return conv_settings


def run_threads(engine, threads: list[Thread], mode: str, progress: bool = True) -> list[list[tuple[object, QuestionResult]]]:
    """Per thread, per turn: (the Question as understood, its result), each turn after the system's own answers."""
    from qa.answer.rewrite import turn_of
    from qa.messages import Progress

    out = []
    bar = Progress(sum(len(t.turns) for t in threads), f"Đang hỏi hội thoại ({mode})", "lượt", show=progress)
    for thread in threads:
        history, rows = [], []
        for turn in thread.turns:
            started = time.perf_counter()
            question = engine.question(turn.question, k=CURVE_K, mode=mode, history=history)
            hits = engine.search(question)
            read = hits[: engine.settings.k]
            answer = engine.answer(question, read)
            latency = (time.perf_counter() - started) * 1000
            history.append(turn_of(question, answer))
            rows.append((question, question_result(question, answer, hits, read, latency)))
            bar.update(1)
        out.append(rows)
    bar.close()
    return out


def _part(threads: list[Thread], runs, keep) -> tuple[list[Question], list[QuestionResult]]:
    questions, results = [], []
    for thread, rows in zip(threads, runs):
        for i, (turn, (_, result)) in enumerate(zip(thread.turns, rows)):
            if keep(i, thread.references[i]):
                questions.append(turn)
                results.append(result)
    return questions, results


def _of_reference(reference: str):
    return lambda i, r: i > 0 and r == reference


def evaluate_conversations(engine, threads: list[Thread], modes: list[str], dataset: str, reports: Path | None,
                           progress: bool = True, source: dict | None = None) -> dict:
    """Ask every thread in every mode; the JSON report (first turns, follow-ups, per reference kind), and under
    `reports`: NAME.json, the Vietnamese NAME.md and every turn as asked and understood in NAME.turns.jsonl."""
    from qa.evaluation.evaluate import settings_summary

    runs = {mode: run_threads(engine, threads, mode, progress) for mode in modes}
    parts = {"first": lambda i, r: i == 0, "follow_up": lambda i, r: i > 0}
    parts.update({f"follow_up.{ref}": _of_reference(ref) for ref in REFERENCES})
    parts["third_turn"] = lambda i, r: i >= 2
    out = {"dataset": dataset, "threads": len(threads), "questions": sum(len(t.turns) for t in threads),
           "settings": settings_summary(engine), "source": source or {}, "parts": {}}
    for name, keep in parts.items():
        questions = _part(threads, runs[modes[0]], keep)[0]
        if not questions:
            continue
        out["parts"][name] = {"questions": len(questions),
                              "modes": {m: score_mode(*_part(threads, runs[m], keep)).metrics for m in modes}}
    out["modes"] = out["parts"]["follow_up"]["modes"]  # what `qa eval --compare` compares
    if reports is not None:
        write_conversation_reports(reports, out, threads, runs)
    return out


def write_conversation_reports(reports: Path, out: dict, threads: list[Thread], runs) -> None:
    from qa.evaluation.evaluate import answer_hit

    reports.mkdir(parents=True, exist_ok=True)
    dataset = out["dataset"]
    (reports / f"{dataset}.json").write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    with open(reports / f"{dataset}.turns.jsonl", "w", encoding="utf-8") as f:
        for mode, per_thread in runs.items():
            for thread, rows in zip(threads, per_thread):
                for i, (turn, (question, result)) in enumerate(zip(thread.turns, rows)):
                    f.write(json.dumps({
                        "mode": mode, "id": turn.qid, "question": turn.question, "understood_as": question.text,
                        "reference": question.reference, "expected_reference": thread.references[i] or None,
                        "gold": list(turn.gold), "answer": turn.answers[0] if turn.answers else "",
                        "short_answer": result.short_answer,
                        "answer_hit": answer_hit(turn.answers, result.answer) if turn.answers else None,
                        "abstained": result.abstained, "partial": result.partial, "confident": result.confident,
                        "top_doc": result.ranked_docs[0][0] if result.ranked_docs else None,
                    }, ensure_ascii=False) + "\n")
    (reports / f"{dataset}.md").write_text(conversation_markdown(out), encoding="utf-8")


PART_TITLES = {"first": "Lượt đầu", "follow_up": "Câu hỏi tiếp (mọi lượt sau lượt đầu)", "third_turn": "Lượt thứ ba trở đi",
               "follow_up.person": "Câu hỏi tiếp: người (ông ấy, bà ấy, người đó)",
               "follow_up.event": "Câu hỏi tiếp: sự kiện (hội nghị đó, cuộc diễn tập này)",
               "follow_up.document": "Câu hỏi tiếp: văn bản (chỉ thị đó, văn bản này)",
               "follow_up.year": "Câu hỏi tiếp: thời gian (năm đó, khi đó)",
               "follow_up.entity": "Câu hỏi tiếp: đơn vị, nơi chốn (đơn vị đó, bảo tàng này)",
               "follow_up.ellipsis": "Câu hỏi tiếp tỉnh lược (Còn năm 2024 thì sao?, Ai chủ trì?, Ở đâu?)",
               "follow_up.new": "Câu hỏi mới, đầy đủ, giữa cuộc trò chuyện"}
SUMMARY_METRICS = ("recall@1", "answer_hit", "short_f1", "short_exact", "wrong_confident", "confident_rate", "abstain_accuracy")


def _source_line(out: dict) -> str:
    from qa.messages import vi_number

    source = out.get("source") or {}
    docs = (out.get("settings") or {}).get("documents")
    on = f" trên {vi_number(docs)} bài" if docs else ""
    return (f"Đo trên bộ hội thoại «{source.get('file', out['dataset'])}»: {vi_number(out['threads'])} cuộc trò chuyện, "
            f"{vi_number(out['questions'])} lượt hỏi{on}; mỗi câu hỏi tiếp được hỏi sau chính các câu trả lời của hệ thống.")


def conversation_table(out: dict, markdown: bool) -> str:
    """One row per part (first turns, follow-ups, each reference kind), one column per metric, per mode."""
    from qa.evaluation.report import MODE_NAMES, metric_name, metric_value
    from qa.messages import vi_number

    lines = []
    for mode in next(iter(out["parts"].values()))["modes"]:
        header = ["Phần", "Số câu", *(metric_name(k) for k in SUMMARY_METRICS)]
        rows = [[PART_TITLES.get(name, name), vi_number(part["questions"]),
                 *(metric_value(k, part["modes"][mode].get(k)) for k in SUMMARY_METRICS)] for name, part in out["parts"].items()]
        if markdown:
            lines += [f"**{MODE_NAMES.get(mode, mode)}**", "", "| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
            lines += ["| " + " | ".join(r) + " |" for r in rows]
        else:
            widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
            lines += [MODE_NAMES.get(mode, mode) + ":"]
            lines += ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))) for r in [header, *rows]]
        lines.append("")
    return "\n".join(lines).rstrip()


def conversation_summary(out: dict) -> str:
    return "\n".join([_source_line(out), "", conversation_table(out, markdown=False)])


def conversation_markdown(out: dict) -> str:
    from qa.evaluation.report import METRIC_TEXTS

    lines = [f"# Đánh giá hội thoại: {out['dataset']}", "", _source_line(out), "", conversation_table(out, markdown=True), "",
             "## Ý nghĩa các số đo", ""]
    lines += [f"- **{METRIC_TEXTS[k][0]}**: {METRIC_TEXTS[k][1]}." for k in SUMMARY_METRICS if k in METRIC_TEXTS]
    lines += ["", "Từng lượt (câu hỏi, câu được hiểu thành, câu trả lời ngắn) nằm trong tệp "
              f"`{out['dataset']}.turns.jsonl` cùng thư mục.", ""]
    return "\n".join(lines)


def eval_command(args, settings: Settings, modes: list[str]) -> int:
    """`qa eval --conversations FILE`: threads asked turn by turn; without --index, over the dev index (corpus/,
    eval/distractors/ and XQuAD-vi articles 1-24 of --xquad), built in the cache."""
    import os

    from qa.engine import Engine
    from qa.errors import UserError
    from qa.evaluation.report import write_json_out

    source = Path(args.conversations)
    if not source.is_file():
        raise UserError(f"không có tệp {source}")
    try:
        threads = load_conversations(source)
    except ValueError as exc:
        raise UserError(f"không đọc được {source}: {exc}") from None
    if args.limit:
        threads = threads[: args.limit]
    if not args.index:
        xquad = Path(args.xquad) if args.xquad else Path(__file__).resolve().parents[3] / "shared/data/xquad/xquad.vi.json"
        if args.xquad and not xquad.is_file():
            raise UserError(f"không có tệp {xquad}")
        dirs = tuple(Path(d) for d in ("corpus", "eval/distractors") if Path(d).is_dir())
        cache = Path(args.cache or os.environ.get("QA_EVAL_CACHE", ".cache/eval"))
        settings = conversation_index(settings, cache, dirs, xquad if xquad.is_file() else None)
    out_dir = Path(args.out)
    described = {"kind": "conversations", "file": source.name, "index": settings.index_dir.name}
    out = evaluate_conversations(Engine(settings), threads, modes, source.stem, out_dir, source=described)
    print(conversation_summary(out))
    write_json_out(args.json_out, out)
    name = out["dataset"]
    print(f"\nBáo cáo: {out_dir / (name + '.md')} (số liệu {name}.json, từng lượt {name}.turns.jsonl, cùng thư mục {out_dir}/)")
    return 0
