"""What the evaluation reads of an answer, in one place: the short answer, the sentence it stands in, its source,
and the confidence the user is shown.

Everything `qa eval` judges goes through `read_answer`, so that when the answer's shape changes (a structured
answer, a calibrated probability instead of today's reader score) only this adapter follows it. Today's
confidence and its "confident" flag are `Answer.confidence` / `Answer.confident`, set by
`qa.answer.answerer.Answerer._compose` (the reader's probability, halved on thin retrieval evidence, confident
at `AnswerSettings.confident_at`) or by the byline / publication-date answers (`metadata_confidence`)."""

from __future__ import annotations

from dataclasses import dataclass

from qa.render.plain import answer_text


@dataclass(frozen=True)
class AnswerReading:
    text: str  # the whole answer as shown, [n] markers included
    short: str | None  # the short answer as extracted from the article (a year added for display is not scored)
    short_shown: str | None  # the short answer as shown (e.g. a bare day/month completed with the article's year)
    evidence: str  # the sentence the short answer stands in; without a short answer, the answer's text
    source_document: str | None  # doc id of the article the answer comes from
    source_title: str  # its title ('' when the article has none)
    confidence: float  # what the user is shown as the answer's confidence (0..1)
    confident: bool  # shown as confident: not abstained, not partial, not marked "chưa chắc chắn"
    abstained: bool
    partial: bool


def read_answer(answer) -> AnswerReading:
    """The evaluation's view of a `qa.answer.result.Answer` (data: nothing is parsed out of its text)."""
    citations = answer.citations
    n = answer.short_source or (1 if citations and not answer.abstained else None)  # an abstention comes from no article
    citation = citations[n - 1] if n else None
    article = citation.hit.article if citation else None
    if answer.short_answer is not None and citation is not None:
        evidence = article.text[citation.sentence_start:citation.sentence_end].strip()
    else:
        evidence = "" if answer.abstained else answer_text(answer, markers=False).strip()
    return AnswerReading(
        text=answer_text(answer), short=short_span(answer), short_shown=answer.short_answer, evidence=evidence,
        source_document=article.doc_id if article else None, source_title=(article.title or "") if article else "",
        confidence=float(answer.confidence),
        confident=bool(answer.confident) and not answer.abstained and answer.partial is None,
        abstained=answer.abstained, partial=answer.partial is not None)


def short_span(answer) -> str | None:
    """The short answer as extracted from the article (without a year added for display)."""
    if answer.short_answer is None or answer.short_start is None:
        return answer.short_answer
    return answer.citations[answer.short_source - 1].hit.article.text[answer.short_start:answer.short_end]
