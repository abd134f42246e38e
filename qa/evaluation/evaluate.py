"""Evaluation: question sets (ours, or any SQuAD-format file), document-level metrics, answer metrics judged on
the short answer (qa.evaluation.answer_metrics), TREC run files, per-question results (`<set>.questions.jsonl`),
a Markdown report and its plots.

A document's rank is the rank of its best passage. Metrics are over the
answerable questions, except `abstain_accuracy`, which is over all of them."""

from __future__ import annotations

import hashlib
import json
import math
import re
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from qa.evaluation.answer_metrics import ANSWER_METRICS, answer_metrics, miss_causes, risk_coverage
from qa.evaluation.answer_view import read_answer
from qa.language.text import fold_diacritics, unify_tones
from qa.settings import Settings

CURVE_K = 20
METRICS = ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10", "answer_hit", "abstain_accuracy", *ANSWER_METRICS,
           "latency_ms_p50", "latency_ms_p95")


@dataclass(frozen=True)
class Question:
    qid: str
    question: str
    gold: tuple[str, ...]  # doc ids; empty when the corpus cannot answer
    answers: tuple[str, ...]  # gold answer strings (any one counts)
    group: str = ""  # for SQuAD: the article title (halves are reported apart)
    previous: str = ""  # a follow-up: the question asked before it in the conversation
    twin_of: str = ""  # the id of the question this one restates with diacritics (unaccented twins are compared)


@dataclass
class QuestionResult:
    ranked_docs: list[tuple[str, float]]  # (doc_id, score), best first, distinct documents
    answer: str
    abstained: bool
    latency_ms: float
    partial: bool = False
    short_answer: str | None = None
    confidence: float = 0.0
    confident: bool = True  # shown as a confident answer (results without the flag count as confident)
    kind: str | None = None  # what the question asks for ("who", "when", ...), as the engine typed it
    evidence: str = ""  # the sentence the short answer stands in (without one: the answer's text)
    short_shown: str | None = None  # the short answer as shown (a year may be added to a bare day/month)
    source_document: str | None = None  # the article the answer comes from
    source_title: str = ""
    articles_read: int | None = None  # distinct articles handed to the answerer (the first of ranked_docs); None: all


@dataclass
class ModeReport:
    metrics: dict[str, float]
    curve: list[float] = field(default_factory=list)  # recall@k for k = 1..CURVE_K


# --- question sets ------------------------------------------------------------


def load_questions(path: Path, skipped: list[str] | None = None) -> list[Question]:
    """The questions of a `.jsonl` question file, every row checked first (qa.evaluation.rows). ValueError naming the
    line and id of the first bad row; with `skipped`, bad rows are left out and their lines appended there."""
    from qa.evaluation.rows import BadRow, check_row
    from qa.ingest.corpus import decode_bytes

    questions = []
    for number, line in enumerate(decode_bytes(path.read_bytes()).splitlines(), 1):
        if not line.strip():
            continue
        try:
            r = check_row(line, number)
        except BadRow as exc:
            if skipped is None:
                raise
            skipped.append(str(exc))
            continue
        answer = r.get("answer") or ""
        questions.append(Question(str(r["id"]), r["question"], tuple(r["gold"]), (answer,) if answer else (),
                                  previous=r.get("previous") or "", twin_of=r.get("twin_of") or ""))
    if not questions:
        raise ValueError("tệp không có câu hỏi nào" + (f" dùng được ({len(skipped)} dòng bị bỏ qua)" if skipped else ""))
    return questions


def load_squad(path: Path) -> tuple[list[dict], list[Question]]:
    """Documents (one per unique context, id `TITLE#i`, no title: as MTEB does) and questions."""
    data = json.loads(path.read_text(encoding="utf-8"))
    documents, questions, by_context = [], [], {}
    for article in data["data"]:
        title = article.get("title", "doc")
        for i, paragraph in enumerate(article["paragraphs"]):
            context = paragraph["context"]
            if context not in by_context:
                by_context[context] = f"{title}#{i}"
                documents.append({"id": by_context[context], "title": "", "text": context})
            for qa in paragraph["qas"]:
                answers = tuple(dict.fromkeys(a["text"] for a in qa.get("answers", [])))
                questions.append(Question(qa["id"], qa["question"], (by_context[context],), answers, title))
    return documents, questions


def squad_index(path: Path, settings: Settings, cache: Path) -> tuple[Settings, list[Question]]:
    """Index a SQuAD file in a cache folder keyed by its content and the index settings."""
    from qa.errors import IndexCorrupt, IndexMismatch
    from qa.index import build_index

    documents, questions = load_squad(path)
    key = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    params = f"{settings.model}|{settings.chunk_size}|{settings.chunk_overlap}|{settings.ann}"
    folder = cache / f"{path.stem}-{key}-{hashlib.sha256(params.encode()).hexdigest()[:8]}"
    corpus = folder / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    lines = "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in documents)
    target = corpus / "documents.jsonl"
    if not target.exists() or target.read_text(encoding="utf-8") != lines:
        target.write_text(lines, encoding="utf-8")
    squad_settings = settings.with_(index_dir=folder / "index", corpus_dirs=(corpus,))
    try:
        report = build_index(squad_settings, progress=True)
    except (IndexMismatch, IndexCorrupt):  # a cache from another qa version: rebuild it
        report = build_index(squad_settings, full=True, progress=True)
    print(f"{path.name}: {report.summary()}", file=sys.stderr)
    return squad_settings, questions


# --- metrics ------------------------------------------------------------------


def normalize_answer(text: str) -> str:
    text = re.sub(r"\[\d+\]", " ", unify_tones(text).lower())
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(text.split())


def answer_hit(answers: tuple[str, ...], produced: str) -> bool:
    produced_n = normalize_answer(produced)
    for gold in answers:
        gold_n = normalize_answer(gold)
        if gold_n and (gold_n in produced_n or fold_diacritics(gold_n) in fold_diacritics(produced_n)):
            return True
    return False


def recall_at(gold: tuple[str, ...], ranked: list[str], k: int) -> float:
    return len(set(gold) & set(ranked[:k])) / len(gold)


def mrr_at(gold: tuple[str, ...], ranked: list[str], k: int) -> float:
    return next((1.0 / r for r, d in enumerate(ranked[:k], 1) if d in gold), 0.0)


def ndcg_at(gold: tuple[str, ...], ranked: list[str], k: int) -> float:
    dcg = sum(1.0 / math.log2(r + 1) for r, d in enumerate(ranked[:k], 1) if d in gold)
    ideal = sum(1.0 / math.log2(r + 1) for r in range(1, min(len(gold), k) + 1))
    return dcg / ideal


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def score_mode(questions: list[Question], results: list[QuestionResult]) -> ModeReport:
    answerable = [(q, r) for q, r in zip(questions, results) if q.gold]
    m: dict[str, float] = {}
    if answerable:
        ranked = [[d for d, _ in r.ranked_docs] for _, r in answerable]
        golds = [q.gold for q, _ in answerable]
        for k in (1, 5, 10):
            m[f"recall@{k}"] = sum(recall_at(g, rk, k) for g, rk in zip(golds, ranked)) / len(golds)
        m["mrr@10"] = sum(mrr_at(g, rk, 10) for g, rk in zip(golds, ranked)) / len(golds)
        m["ndcg@10"] = sum(ndcg_at(g, rk, 10) for g, rk in zip(golds, ranked)) / len(golds)
        with_answers = [(q, r) for q, r in answerable if q.answers]
        m["answer_hit"] = (
            sum(not r.abstained and not r.partial and answer_hit(q.answers, r.answer) for q, r in with_answers) / len(with_answers)
            if with_answers else 0.0
        )
        curve = [sum(recall_at(g, rk, k) for g, rk in zip(golds, ranked)) / len(golds) for k in range(1, CURVE_K + 1)]
    else:
        m.update({k: 0.0 for k in ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10", "answer_hit")})
        curve = []
    # A partial answer ("the corpus has no article on this in 2019; nearest: 2023") declines the question asked.
    m["abstain_accuracy"] = sum((r.abstained or r.partial) == (not q.gold) for q, r in zip(questions, results)) / len(questions)
    m.update(answer_metrics(questions, results, answer_hit))
    latencies = [r.latency_ms for r in results]
    m["latency_ms_p50"] = percentile(latencies, 0.5)
    m["latency_ms_p95"] = percentile(latencies, 0.95)
    return ModeReport({k: None if m[k] is None else round(m[k], 4) for k in METRICS}, [round(c, 4) for c in curve])


def run_questions(engine, questions: list[Question], mode: str, progress: bool = True) -> list[QuestionResult]:
    from qa.answer.followup import contextualize
    from qa.messages import Progress

    results = []
    bar = Progress(len(questions), f"Đang hỏi ({mode})", "câu", show=progress)
    for q in questions:
        started = time.perf_counter()
        asked = contextualize(q.question, q.previous) if q.previous else q.question
        question = engine.question(asked, k=CURVE_K, mode=mode)
        hits = engine.search(question)
        read = hits[: engine.settings.k]
        answer = engine.answer(question, read)
        results.append(question_result(question, answer, hits, read, (time.perf_counter() - started) * 1000))
        bar.update(1)
    bar.close()
    return results


def question_result(question, answer, hits, read, latency: float) -> QuestionResult:
    """What the evaluation keeps of one asked question: the ranked documents and the answer as the user reads it."""
    seen = read_answer(answer)
    docs: dict[str, float] = {}
    for h in hits:
        docs.setdefault(h.passage.doc_id, h.score)
    return QuestionResult(
        list(docs.items()), seen.text, seen.abstained, latency, seen.partial, seen.short, seen.confidence, seen.confident,
        kind=question.kind, evidence=seen.evidence, short_shown=seen.short_shown, source_document=seen.source_document,
        source_title=seen.source_title, articles_read=len({h.passage.doc_id for h in read}))


# --- outputs ------------------------------------------------------------------


def write_trec_run(path: Path, questions: list[Question], results: list[QuestionResult], tag: str) -> None:
    """`qid Q0 docid rank score tag`; ranks follow the system's order, which breaks ties by passage order."""
    with open(path, "w", encoding="utf-8") as f:
        for q, r in zip(questions, results):
            for rank, (doc, score) in enumerate(r.ranked_docs, 1):
                f.write(f"{q.qid} Q0 {doc.replace(' ', '_')} {rank} {score:.6f} {tag}\n")


def write_qrels(path: Path, questions: list[Question]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for q in questions:
            for doc in q.gold:
                f.write(f"{q.qid} 0 {doc.replace(' ', '_')} 1\n")


def settings_summary(engine) -> dict:
    s = engine.settings
    return {
        "embedder": engine.refresh().manifest["embedder"]["id"],
        "chunk_size": engine.refresh().manifest["chunking"]["chunk_size"],
        "chunk_overlap": engine.refresh().manifest["chunking"]["chunk_overlap"],
        "k": s.k, "fusion": "z-score", "dense_weight": s.dense_weight, "sentence_weight": s.sentence_weight,
        "bm25_weight": s.bm25_weight, "candidates": s.candidates,
        "passages": engine.refresh().manifest["passage_count"], "documents": engine.refresh().manifest["article_count"],
    }


def evaluate(engine, questions: list[Question], modes: list[str], dataset: str, reports: Path | None,
             halves: bool = False, progress: bool = True, source: dict | None = None) -> dict:
    """Run every mode, write the JSON report, TREC runs, the Vietnamese report and its plot under `reports` (and
    nowhere else), return the JSON report. `source`: what it was run on (kind, file, index), shown with the results."""
    measured_at = datetime.now(UTC).isoformat(timespec="seconds")  # when the questions were asked, for the report
    per_mode: dict[str, ModeReport] = {}
    results_by_mode: dict[str, list[QuestionResult]] = {}
    for mode in modes:
        results_by_mode[mode] = run_questions(engine, questions, mode, progress)
        per_mode[mode] = score_mode(questions, results_by_mode[mode])
    out = {
        "dataset": dataset,
        "questions": len(questions),
        "measured_at": measured_at,
        "settings": settings_summary(engine),
        "modes": {mode: r.metrics for mode, r in per_mode.items()},
        **answer_sections(questions, results_by_mode),
        "curves": {mode: r.curve for mode, r in per_mode.items()},
        "source": source or {},
    }
    if halves:
        groups = list(dict.fromkeys(q.group for q in questions))
        first = set(groups[: len(groups) // 2])
        out["halves"] = {}
        for name, keep in (("first_half", lambda q: q.group in first), ("second_half", lambda q: q.group not in first)):
            idx = [i for i, q in enumerate(questions) if keep(q)]
            sub = [questions[i] for i in idx]
            by_mode = {m: [results_by_mode[m][i] for i in idx] for m in modes}
            out["halves"][name] = {
                "questions": len(sub),
                "modes": {m: score_mode(sub, by_mode[m]).metrics for m in modes},
                **answer_sections(sub, by_mode),
            }
    twins = [q for q in questions if q.twin_of]
    if twins:
        position = {q.qid: i for i, q in enumerate(questions)}
        pairs = [(position[q.twin_of], position[q.qid]) for q in twins if q.twin_of in position]
        out["twins"] = {"pairs": len(pairs), "modes": {
            m: {side: score_mode([questions[p[k]] for p in pairs], [results_by_mode[m][p[k]] for p in pairs]).metrics
                for k, side in ((0, "unaccented"), (1, "accented"))}
            for m in modes}}
    if reports is not None:
        write_reports(reports, out, questions, results_by_mode)
    return out


def answer_sections(questions: list[Question], results_by_mode: dict[str, list[QuestionResult]]) -> dict:
    """The risk-coverage curve and the miss causes, per mode."""
    return {"risk_coverage": {m: risk_coverage(questions, rs, answer_hit) for m, rs in results_by_mode.items()},
            "miss_causes": {m: miss_causes(questions, rs, answer_hit) for m, rs in results_by_mode.items()}}


def write_reports(reports: Path, out: dict, questions: list[Question], results_by_mode: dict[str, list[QuestionResult]]) -> None:
    from qa.evaluation.answer_report import plot_risk_coverage
    from qa.evaluation.per_question import question_rows, write_question_rows
    from qa.evaluation.report import MODE_NAMES, markdown_report, plot_curves

    dataset = out["dataset"]
    reports.mkdir(parents=True, exist_ok=True)
    (reports / f"{dataset}.json").write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    write_qrels(reports / f"{dataset}.qrels", questions)
    for mode, results in results_by_mode.items():
        write_trec_run(reports / f"{dataset}.{mode}.trec", questions, results, f"qa-{mode}")
    rows = [row for mode, results in results_by_mode.items() for row in question_rows(questions, results, mode, answer_hit)]
    write_question_rows(reports / f"{dataset}.questions.jsonl", rows)
    plot_curves(reports / f"{dataset}.png", out)
    plot_risk_coverage(reports / f"{dataset}.confidence.png", out, MODE_NAMES)
    (reports / f"{dataset}.md").write_text(markdown_report(out, f"{dataset}.png", rows), encoding="utf-8")


def compare(old: dict, new: dict) -> str:
    """Each metric of two JSON reports side by side, with the change (Vietnamese names, decimal commas)."""
    from qa.evaluation.report import MODE_NAMES, metric_name
    from qa.messages import vi_number

    rows = []
    for mode in new["modes"]:
        for metric in new["modes"][mode]:
            a, b = old.get("modes", {}).get(mode, {}).get(metric), new["modes"][mode].get(metric)
            if isinstance(a, int | float) and isinstance(b, int | float):
                sign = "+" if b - a >= 0 else "−"
                rows.append((MODE_NAMES.get(mode, mode), metric_name(metric), vi_number(a, 4), vi_number(b, 4),
                             sign + vi_number(abs(b - a), 4)))
    header = ("Chế độ", "Số đo", "Cũ", "Mới", "Chênh lệch")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(5)]
    return "\n".join("  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
                     for r in [header, *rows])
