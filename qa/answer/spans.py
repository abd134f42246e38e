"""The span-reader protocol: what any extractor of short answers (the typed ranker, a neural reader) is given
and what it returns, so that one can replace or feed another without touching retrieval or the chat."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from qa.search.question import Question


@dataclass(frozen=True)
class SentenceInput:
    """One candidate sentence handed to a reader, with the article it sits in."""

    doc_id: str
    article_text: str  # the whole article text; the offsets below index into it
    start: int  # the sentence is article_text[start:end]
    end: int
    title: str
    date: str | None  # publication date (ISO), when known
    hit_rank: int  # rank (0 = best) of the retrieved hit it comes from
    passage_score: float  # retrieval evidence of its passage (the fused score)
    sentence_score: float  # the answerer's score of the sentence (overlap with the question, similarity)


@dataclass(frozen=True)
class ScoredSpan:
    doc_id: str
    start: int  # exact offsets into the article_text of the SentenceInput it was read from
    end: int
    text: str  # == article_text[start:end]
    score: float  # calibrated probability (0..1) that this span answers the question
    kind: str  # what kind of candidate it is ("date", "number", "person", "anchor", "neural", ...)
    sentence: int  # index into the sentences the reader was given


class SpanReader(Protocol):
    def read(self, question: Question, sentences: Sequence[SentenceInput]) -> list[ScoredSpan]:
        """Scored spans, best first; [] when nothing in the sentences answers."""
        ...


# Question kinds whose answer the typed extractor's patterns know (a date, a number, a person, a unit ...).
TYPED_KINDS = frozenset({"who", "when", "count", "ordinal", "document", "unit", "title", "named", "author", "posted"})


class CombinedReader:
    """Two readers behind one: `typed` for the question kinds its patterns know, `neural` for the rest, each
    falling back to the other when it finds nothing (policy "kind"); or the neural reader's best span whenever it
    has one (policy "neural"); or whichever best span is more probable (policy "max")."""

    def __init__(self, typed: SpanReader, neural: SpanReader, policy: str = "kind") -> None:
        self.typed, self.neural, self.policy = typed, neural, policy

    def read_with_second_opinion(self, question: Question,
                                 sentences: Sequence[SentenceInput]) -> tuple[list[ScoredSpan], ScoredSpan | None]:
        """What `read` gives, and the best span of the reader it did not go by (None when it has none): whether the
        two readers agree is one of the facts the calibration weighs."""
        first, second = (self.typed, self.neural) if self.policy != "neural" and question.kind in TYPED_KINDS \
            else (self.neural, self.typed)
        spans, others = first.read(question, sentences), second.read(question, sentences)
        if self.policy == "max":
            merged = sorted(spans + others, key=lambda s: -s.score)
            return merged, next((s for s in merged[1:] if s.kind != (merged[0].kind if merged else None)), None)
        if not spans:
            return others, None
        return spans, others[0] if others else None

    def read(self, question: Question, sentences: Sequence[SentenceInput]) -> list[ScoredSpan]:
        if self.policy == "neural":
            return self.neural.read(question, sentences) or self.typed.read(question, sentences)
        if self.policy == "max":
            spans = self.typed.read(question, sentences) + self.neural.read(question, sentences)
            return sorted(spans, key=lambda s: -s.score)
        first, second = (self.typed, self.neural) if question.kind in TYPED_KINDS else (self.neural, self.typed)
        return first.read(question, sentences) or second.read(question, sentences)
