"""Per-question results, `<set>.questions.jsonl` beside the report: one row per question and search mode, with
everything a figure of the report is computed from, so that any figure can be recomputed and any miss looked at.

Fields: mode, id, question, kind (what the question asks for), gold_answers, gold_documents, answer (the whole
text shown), short_answer (as extracted and scored), short_answer_shown, evidence (the sentence the short answer
stands in), source_document, source_title, confidence, confident, abstained, partial, gold_rank (rank of the first
gold document among the distinct documents retrieved; null when absent), articles_read (how many of those the
answerer read), ranked_documents (the first 10), short_exact, short_f1, right (the answer as judged: true, false,
null when the question has no gold answer text), cause (qa.evaluation.answer_metrics.CAUSES), latency_ms, group
(the SQuAD article title; '' for question files)."""

from __future__ import annotations

import json
from pathlib import Path

from qa.evaluation.answer_metrics import declined, gold_rank, judged_right, miss_cause, short_scores

RANKED_KEPT = 10  # enough for recall@10, mrr@10 and nDCG@10


def question_rows(questions, results, mode: str, hit) -> list[dict]:
    rows = []
    for q, r in zip(questions, results):
        right = judged_right(q, r, hit)
        exact, f1 = (0.0, 0.0) if declined(r) else short_scores(r.short_answer, q.answers)
        rows.append({
            "mode": mode, "id": q.qid, "question": q.question, "kind": r.kind,
            "gold_answers": list(q.answers), "gold_documents": list(q.gold),
            "answer": r.answer, "short_answer": r.short_answer, "short_answer_shown": r.short_shown or r.short_answer,
            "evidence": r.evidence, "source_document": r.source_document, "source_title": r.source_title,
            "confidence": round(float(r.confidence), 4), "confident": bool(r.confident) and not declined(r),
            "abstained": bool(r.abstained), "partial": bool(r.partial),
            "gold_rank": gold_rank(q, r), "articles_read": r.articles_read,
            "ranked_documents": [doc for doc, _ in r.ranked_docs[:RANKED_KEPT]],
            "short_exact": exact, "short_f1": round(f1, 4), "right": right, "cause": miss_cause(q, r, right, hit),
            "latency_ms": round(r.latency_ms, 1), "group": q.group,
        })
    return rows


def write_question_rows(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")


def read_question_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
