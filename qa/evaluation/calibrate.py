"""`qa calibrate`: fit the answer calibration (qa/answer/calibration.py) on development questions, end to end.

Development data only: eval/dev.jsonl and eval/dev_news.jsonl (questions written in the corpus's news style, why /
how / what-to-do among them, and some the corpus cannot answer) over the sample corpus and its distractors, and XQuAD-vi articles 23-24
(kept out of the readers' training) over an index of XQuAD-vi articles 1-24. Held-out files are never read.
Each shown short answer is one example, right or wrong as `qa eval` judges what the user reads (token F1 >= 0.5
with the gold numbers, or containment for who-questions); an answer to a question the corpus cannot answer is
wrong. The folds of the cross-validated figures are fixed (by position)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from qa.errors import UserError

DEV_FILES = ("dev.jsonl", "dev_news.jsonl")  # over corpus/ and eval/distractors/; dev_news: why / how / what-to-do too
XQUAD_DEV_ARTICLES = (22, 24)  # 0-based [22, 24): articles 23-24
XQUAD_INDEX_ARTICLES = 24
FOLDS = 5


def judged_right(answer, answers: tuple[str, ...], kind: str | None) -> bool:
    """What the user reads is right, as `qa eval` judges it (qa.evaluation.answer_metrics.short_is_right)."""
    from qa.evaluation.answer_metrics import short_is_right
    from qa.evaluation.answer_view import read_answer
    from qa.evaluation.evaluate import answer_hit

    reading = read_answer(answer)
    return bool(answers and reading.short) and short_is_right(reading.short, reading.short_shown, answers, kind, answer_hit)


def collect(engine, questions, log=None) -> tuple[list[dict], list[int], list[str]]:
    """(confidence parts, right 0/1, question id) of every answer that shows a short answer."""
    rows, labels, ids = [], [], []
    for number, q in enumerate(questions, 1):
        question = engine.question(q.question, mode="hybrid")
        answer = engine.answer(question, engine.search(question))
        if log and number % 25 == 0:
            log(f"  {number}/{len(questions)} câu")
        if answer.abstained or not answer.short_answer or not answer.confidence_parts:
            continue
        rows.append(dict(answer.confidence_parts))
        labels.append(int(bool(q.gold) and judged_right(answer, q.answers, question.kind)))
        ids.append(q.qid)
    return rows, labels, ids


def _xquad_dev(data_dir: Path, cache: Path) -> Path:
    """XQuAD-vi articles 1-24 as a SQuAD file whose questions are those of articles 23-24 (the others are emptied)."""
    data = json.loads((data_dir / "xquad" / "xquad.vi.json").read_text(encoding="utf-8"))
    articles = data["data"][:XQUAD_INDEX_ARTICLES]
    for index, article in enumerate(articles):
        if not XQUAD_DEV_ARTICLES[0] <= index < XQUAD_DEV_ARTICLES[1]:
            for paragraph in article["paragraphs"]:
                paragraph["qas"] = []
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / "xquad.vi.dev-23-24.json"
    text = json.dumps({"data": articles, "version": data.get("version", "")}, ensure_ascii=False)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path


def dev_sets(settings, project: Path, data_dir: Path, cache: Path):
    """[(name, engine, questions)] of the development sets."""
    from qa.engine import Engine
    from qa.evaluation.evaluate import load_questions, squad_index
    from qa.index import build_index

    corpus_settings = settings.with_(index_dir=cache / "dev-corpus-index",
                                     corpus_dirs=(project / "corpus", project / "eval" / "distractors"))
    build_index(corpus_settings, progress=False)
    corpus_engine = Engine(corpus_settings)
    sets = [(f"eval/{name}", corpus_engine, load_questions(project / "eval" / name)) for name in DEV_FILES]
    xquad_settings, questions = squad_index(_xquad_dev(data_dir, cache), settings, cache)
    sets.append(("XQuAD-vi 23-24", Engine(xquad_settings), questions))
    return sets


def cross_validated(rows, labels, target: float) -> dict:
    """Precision and coverage of the confident answers when each fold is judged by a fit on the others."""
    from qa.answer.calibration import Calibration, choose_threshold, fit

    right = confident = 0
    for fold in range(FOLDS):
        train = [i for i in range(len(rows)) if i % FOLDS != fold]
        test = [i for i in range(len(rows)) if i % FOLDS == fold]
        weights = fit([rows[i] for i in train], [labels[i] for i in train])
        model = Calibration(weights, 1.0, target)
        threshold = choose_threshold([model.probability(rows[i]) for i in train], [labels[i] for i in train], target)
        for i in test:
            if model.probability(rows[i]) >= threshold:
                confident += 1
                right += labels[i]
    return {"confident": confident, "confident_precision": round(right / confident, 4) if confident else 0.0,
            "coverage_of_shown": round(confident / len(rows), 4) if rows else 0.0}


def calibrate(settings, project: Path, data_dir: Path, cache: Path, out: Path, target: float = 0.9) -> dict:
    from qa.answer.calibration import Calibration, choose_threshold, fit, write_calibration

    log = lambda m: print(m, file=sys.stderr)  # noqa: E731
    rows, labels, per_set = [], [], {}
    for name, engine, questions in dev_sets(settings, project, data_dir, cache):
        log(f"{name}: {len(questions)} câu hỏi")
        r, y, _ = collect(engine, questions, log)
        rows += r
        labels += y
        per_set[name] = {"questions": len(questions), "shown": len(r), "right": sum(y)}
    if len(rows) < 20:
        raise UserError(f"quá ít câu trả lời để hiệu chỉnh ({len(rows)})")
    weights = fit(rows, labels)
    model = Calibration(weights, 1.0, target)
    probabilities = [model.probability(r) for r in rows]
    threshold = choose_threshold(probabilities, labels, target)
    chosen = [i for i, p in enumerate(probabilities) if p >= threshold]
    figures = {
        "sets": per_set, "examples": len(rows), "right": sum(labels), "threshold": threshold,
        "in_sample": {"confident": len(chosen),
                      "confident_precision": round(sum(labels[i] for i in chosen) / len(chosen), 4) if chosen else 0.0},
        "cross_validated": cross_validated(rows, labels, target),
    }
    write_calibration(out, weights, threshold, target, figures)
    return figures


def add_parser(sub):
    p = sub.add_parser("calibrate", help="hiệu chỉnh độ tin cậy của câu trả lời trên dữ liệu phát triển")
    p.add_argument("--data", help="thư mục dữ liệu có xquad/ (mặc định: ../shared/data cạnh kho mã)")
    p.add_argument("--cache", default=".cache/calibration", help="thư mục chỉ mục tạm của các tập phát triển")
    p.add_argument("--out", help="tệp hiệu chỉnh (mặc định: qa/answer/calibration.json)")
    p.add_argument("--precision", type=float, default=0.9, help="độ chính xác tối thiểu của câu trả lời «chắc chắn» (mặc định 0,9)")
    return p


def run(args, settings) -> int:
    from qa.answer.calibration import CALIBRATION_PATH
    from qa.neural.command import DEFAULT_DATA, REPO

    data_dir = Path(args.data) if args.data else DEFAULT_DATA
    if not (data_dir / "xquad" / "xquad.vi.json").exists():
        raise UserError(f"--data: không thấy xquad/xquad.vi.json trong {data_dir}")
    out = Path(args.out) if args.out else CALIBRATION_PATH
    figures = calibrate(settings, REPO, data_dir, Path(args.cache), out, args.precision)
    cv = figures["cross_validated"]
    print(f"{out}: {figures['examples']} câu trả lời ({figures['right']} đúng); ngưỡng {figures['threshold']:.3f}; "
          f"kiểm chứng chéo: {cv['confident']} câu chắc chắn, đúng {cv['confident_precision']:.3f}")
    return 0
