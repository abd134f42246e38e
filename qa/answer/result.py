"""The answer as data: what the answerer found, never a finished string.

Modelled on the Hugging Face QA pipeline's `{score, start, end, answer}`: the short answer and every evidence
sentence are spans (document, exact offsets into the stored article text, the text itself), the sources are the
retrieved hits with how each article stood against the question's constraints, and the confidence comes with the
parts it was computed from. Every screen (chat HTML, CLI text, `--json`, the HTTP API) is written from this by
`qa.render`; nothing parses text to recover any of it, so an article sentence holding "[3]" stays text."""

from __future__ import annotations

from dataclasses import dataclass, field

from qa.search.constraints import Verdict
from qa.search.retrieve import Hit

# Why an answer abstained, is partial, or has no short answer (Answer.reason); stable names, used in `--json`.
NO_HITS = "no_hits"  # retrieval found nothing
NO_SENTENCES = "no_sentences"  # the retrieved articles have no sentence to read
TOO_FAR = "too_far"  # no sentence is close enough to the question (similarity / coverage below the floors)
CONSTRAINTS = "constraints"  # no retrieved article satisfies what the question pins down (year, document, name)
YEAR_MISSING = "year_missing"  # partial: the corpus has the event for another year only
NO_SHORT_ANSWER = "no_short_answer"  # answered with sentences; the reader found no short answer in them
NO_PUBLICATION_DATE = "no_publication_date"  # asked when an article was posted; it has no date
REASONS = (NO_HITS, NO_SENTENCES, TOO_FAR, CONSTRAINTS, YEAR_MISSING, NO_SHORT_ANSWER, NO_PUBLICATION_DATE)

# ShortAnswer.basis: where the short answer stands.
IN_TEXT, BYLINE, PUBLISHED = "text", "byline", "published"


@dataclass(frozen=True)
class Span:
    """A piece of a retrieved article: article.text[start:end] == text."""

    doc: str  # doc_id
    start: int
    end: int
    text: str
    source: int  # n of the citation (1-based) whose article this is


@dataclass(frozen=True)
class ShortAnswer:
    shown: str  # as shown: the span, with the publication year added to a bare day/month; or the metadata
    source: int  # n of the citation it comes from
    span: Span | None  # where it stands in the text; None for metadata (a byline, a publication date)
    basis: str = IN_TEXT  # IN_TEXT | BYLINE | PUBLISHED
    score: float = 0.0  # the reader's calibrated probability for the span (metadata: its fixed confidence)


@dataclass(frozen=True)
class Citation:
    """One retrieved hit as a source of the answer."""

    hit: Hit
    sentence_start: int  # offsets of its best (or supporting) sentence in hit.article.text
    sentence_end: int
    verdict: Verdict | None = None  # how its article stood against the question's constraints (None: none stated)

    @property
    def eligible(self) -> bool:
        """Whether the article satisfied the constraints and so could answer (as `Verdict.complete`)."""
        return self.verdict is None or self.verdict.complete


@dataclass(frozen=True)
class Partial:
    """The corpus lacks what the question pins down (its year): the nearest is shown instead."""

    missing_year: str  # the year asked for
    topic: str  # what the question asks about in that year (`hội nghị tổng kết ... năm 2019 của ...`)
    nearest_year: str | None  # the year the nearest article is about
    source: int  # n of the citation of the nearest article


@dataclass(frozen=True)
class Answer:
    citations: tuple[Citation, ...]  # the retrieved hits, best first; [n] is citations[n-1]
    abstained: bool
    reason: str | None = None  # one of REASONS when abstained, partial or without a short answer
    short: ShortAnswer | None = None
    evidence: tuple[Span, ...] = ()  # the sentences shown as support, in order
    partial: Partial | None = None
    confidence: float = 0.0  # calibrated probability (0..1) that the short answer is right, retrieval's evidence included
    confidence_parts: dict = field(default_factory=dict, compare=False)  # named features it was computed from
    confident: bool = False  # shown as a confident answer (else marked "chưa chắc chắn", or abstained)
    understood_as: str | None = None  # the question as it was understood, when it differs from what was typed
    kind: str | None = None  # what the question asked for (who, when, count, ...; None: anything)

    @property
    def cited(self) -> tuple[int, ...]:
        """The n of every source the answer rests on (short answer, evidence, nearest article), ascending."""
        found = {s.source for s in self.evidence}
        if self.short is not None:
            found.add(self.short.source)
        if self.partial is not None:
            found.add(self.partial.source)
        return tuple(sorted(n for n in found if 0 < n <= len(self.citations)))

    # The short answer's fields one by one, as `qa ask --json` has always named them.
    @property
    def short_answer(self) -> str | None:
        return self.short.shown if self.short else None

    @property
    def short_source(self) -> int | None:
        return self.short.source if self.short else None

    @property
    def short_start(self) -> int | None:
        return self.short.span.start if self.short and self.short.span else None

    @property
    def short_end(self) -> int | None:
        return self.short.span.end if self.short and self.short.span else None


def span_of(citations: tuple[Citation, ...], n: int, start: int, end: int) -> Span:
    """The span [start, end) of the article of citation n (1-based)."""
    article = citations[n - 1].hit.article
    return Span(article.doc_id, start, end, article.text[start:end], n)
