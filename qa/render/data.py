"""The answer as a JSON object: `qa ask --json` and the HTTP API (`/ask`, `/api/ask`) give exactly this.

Field names are stable (documented in the README, «Dùng từ chương trình khác»). The flat fields of the first
version (`answer`, `short_answer`, `short_source`, `short_start`, `short_end`, `partial`, ...) stay as they were;
the structure beside them (`short`, `evidence`, `sources[].constraints`, `confidence_parts`, `reason`) is what a
program should read: nothing in it needs parsing `answer`."""

from __future__ import annotations

from collections.abc import Sequence

from qa.answer.result import Answer, Citation, Span
from qa.render.plain import answer_text

FORMAT = 2  # bumped when a field changes meaning; fields are only ever added


def span_dict(span: Span | None) -> dict | None:
    if span is None:
        return None
    return {"source": span.source, "doc_id": span.doc, "start": span.start, "end": span.end, "text": span.text}


def _source(n: int, c: Citation, cited: set[int]) -> dict:
    p, a, v = c.hit.passage, c.hit.article, c.verdict
    return {
        "n": n, "pid": p.pid, "doc_id": p.doc_id, "title": a.title, "url": a.url, "date": a.date,
        "text": p.text, "start": p.start, "end": p.end,
        "sentence_start": c.sentence_start, "sentence_end": c.sentence_end, "score": round(c.hit.score, 6),
        "cited": n in cited,
        "ranks": {"dense": c.hit.dense_rank, "bm25": c.hit.bm25_rank, "sentence": c.hit.sentence_rank},
        # How the article stood against what the question pins down; `eligible`: it could answer.
        "eligible": c.eligible,
        "constraints": [{"kind": k.kind, "text": k.text, "level": level} for k, level in v.levels] if v else [],
        "conflict_years": list(v.conflict_years) if v else [],
    }


def answer_to_dict(answer: Answer, llm: dict | None = None) -> dict:
    """The `qa ask --json` object. `llm`: the checked generated answer, when one was asked for (qa.llm)."""
    cited = set(answer.cited)
    short, partial = answer.short, answer.partial
    return {
        "format": FORMAT,
        "answer": answer_text(answer),
        "abstained": answer.abstained,
        "reason": answer.reason,
        "partial": partial is not None,
        "short_answer": answer.short_answer, "short_source": answer.short_source,
        "short_start": answer.short_start, "short_end": answer.short_end,
        "short": None if short is None else {"shown": short.shown, "source": short.source, "basis": short.basis,
                                             "score": round(short.score, 4), "span": span_dict(short.span)},
        "evidence": [span_dict(s) for s in answer.evidence],
        "missing": None if partial is None else {"year": partial.missing_year, "topic": partial.topic,
                                                 "nearest_year": partial.nearest_year, "source": partial.source},
        "understood_as": answer.understood_as, "kind": answer.kind,
        "confidence": answer.confidence, "confident": answer.confident, "confidence_parts": dict(answer.confidence_parts),
        "cited": list(answer.cited),
        "sources": [_source(n, c, cited) for n, c in enumerate(answer.citations, 1)],
        "llm": llm,
    }


def follow_up_dict(question, previous: Sequence[str]) -> dict:
    """How a question (qa.search.question.Question) was read in its conversation: `qa ask --json`'s and the
    API's `follow_up`."""
    return {"asked": question.asked or question.text, "understood_as": question.text, "rewritten": question.rewritten,
            "reference": question.reference, "prior_docs": list(question.prior_docs),
            "previous": list(previous)}
