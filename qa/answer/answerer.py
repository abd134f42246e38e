"""Extractive answers: a short answer first, then the sentence(s) of the retrieved articles that support it.

No language model: sentences are scored on IDF-weighted overlap with the
question, sentence-vector similarity, the rank of their passage, and whether
they hold what the question asks for (a person for `ai`, a date for `khi nào`,
a number for `bao nhiêu`). A span reader (`qa.answer.spans`; by default the trained typed extractor,
`qa.answer.extractor`) cuts the short answer out of the best few sentences, with a calibrated probability;
combined with retrieval's evidence it decides whether the answer is shown as confident or as
"chưa chắc chắn" (not sure).
Only articles that satisfy the question's constraints (`qa.search.constraints`: years,
document numbers, numbers, names) may answer. When none does but a near-duplicate
of another year does, the answer says so (`partial`) and names the nearest year;
it abstains when the evidence is too thin.

It returns data (`qa.answer.result.Answer`: spans, sources with their verdicts, confidence and its parts);
`qa.render` writes every screen from it."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from functools import lru_cache

from qa.answer.calibration import asks_for_a_clause, load_calibration, logit
from qa.answer.extractor import TypedExtractor
from qa.answer.result import (
    BYLINE,
    CONSTRAINTS,
    NO_HITS,
    NO_PUBLICATION_DATE,
    NO_SENTENCES,
    NO_SHORT_ANSWER,
    PUBLISHED,
    TOO_FAR,
    YEAR_MISSING,
    Answer,
    Citation,
    Partial,
    ShortAnswer,
    span_of,
)
from qa.answer.short import completed, find_short, has_type
from qa.answer.spans import TYPED_KINDS, ScoredSpan, SentenceInput, SpanReader
from qa.language.text import QUERY_STOPWORDS, has_diacritics, search_tokens
from qa.search.constraints import Verdict, missing_topic, verdicts
from qa.search.question import Question
from qa.search.retrieve import Hit


@dataclass(frozen=True)
class AnswerSettings:
    # Chosen on eval/dev.jsonl and the XQuAD dev half.
    lexical_weight: float = 0.5  # IDF-weighted share of the question's tokens in the sentence
    semantic_weight: float = 0.5  # sentence-vector similarity, rescaled over the candidate sentences
    rank_weight: float = 0.1  # prior for sentences of better-ranked passages
    type_bonus: float = 0.2  # the sentence holds what the question asks for (person, date, number)
    second_sentence_ratio: float = 0.9
    # The answer is often outside the passage that was retrieved (the lead names the event, a later
    # sentence the number): the whole article of the best hits is read, sentences outside the passage
    # a little less likely.
    whole_article_hits: int = 2
    same_article_ratio: float = 0.7  # another sentence of the answering article may give the short answer
    same_article_second_ratio: float = 0.65  # ... or be shown as well, when it scores this close to the best
    outside_passage_penalty: float = 0.1
    # Abstain when no sentence is close to the question, or when the best passage covers little of
    # it and no sentence is clearly close. The floors are specific to the e5 family (unrelated
    # Vietnamese text scores near 0.8); measured on eval/dev.jsonl, answerable questions reach >= 0.836.
    min_coverage: float = 0.3
    min_similarity: float = 0.825
    weak_similarity: float = 0.86
    # The reader's calibrated probability, times `weak_evidence_factor` when retrieval's evidence is thin
    # (little of the question covered, or no sentence clearly close), must reach `confident_at`.
    confident_at: float = 0.5
    weak_evidence_factor: float = 0.5
    metadata_confidence: float = 0.9  # a byline or publication date of an article that satisfies the question
    # Sentences handed to the span reader (best first); chosen end to end on XQuAD-vi articles 1-24:
    # short F1 0.383 with 4, 0.395 with 3, 0.406 with 2 (answer_hit 0.869, 0.869, 0.866).
    reader_sentences: int = 2


@dataclass(frozen=True)
class _Scored:
    score: float
    n: int  # hit number
    span: tuple[int, int]
    typed: bool


class Answerer:
    def __init__(self, index, settings: AnswerSettings | None = None, reader: SpanReader | None = None) -> None:
        self.index = index
        self.settings = settings or AnswerSettings()
        self.reader = reader or TypedExtractor()
        # The similarity floors were measured for e5 models; other models judge on coverage alone.
        self._similarity_calibrated = "e5" in index.manifest["embedder"]["id"].lower()

    def answer(self, asked: Question, hits: list[Hit]) -> Answer:
        if not hits:
            return Answer((), True, NO_HITS, kind=asked.kind)
        question, kind = asked.understood, asked.kind
        query_vector = asked.vector
        folded = not has_diacritics(question)
        q_tokens = [t for t in dict.fromkeys(search_tokens(question, folded=folded)) if t not in QUERY_STOPWORDS]
        idf = self.index.bm25.idf(q_tokens, folded)
        total = sum(idf.values()) or 1.0

        def coverage(text: str) -> float:
            present = _token_set(text, folded)
            return sum(w for t, w in idf.items() if t in present) / total

        # Retrieval's rerank checked these articles already (Question.checked): the verdicts travel with the answer.
        found = verdicts(self.index, asked, [h.article for h in hits])
        scored, best_similarity = self._score_sentences(asked, hits, query_vector, coverage)
        if not scored:
            return Answer(tuple(Citation(h, *self._passage_sentence(h), found.get(h.article.doc_id)) for h in hits),
                          True, NO_SENTENCES, kind=kind)
        best_per_hit: dict[int, _Scored] = {}
        in_passage: dict[int, tuple[int, int]] = {}  # what a source shows: its best sentence inside its passage
        for item in scored:
            best_per_hit.setdefault(item.n, item)
            p = hits[item.n].passage
            if p.start <= item.span[0] and item.span[1] <= p.end:
                in_passage.setdefault(item.n, item.span)
        citations = tuple(
            Citation(hit, *(in_passage[n] if n in in_passage else self._passage_sentence(hit)), found.get(hit.article.doc_id))
            for n, hit in enumerate(hits)
        )
        best_coverage = max(coverage(h.passage.text + " " + h.article.title) for h in hits)
        evidence = {"best_coverage": round(best_coverage, 4), "best_similarity": round(best_similarity, 4)}
        if self._too_far(best_coverage, best_similarity):
            return Answer(citations, True, TOO_FAR, confidence_parts=evidence, kind=kind)
        eligible = [n for n, h in enumerate(hits) if _complete(found.get(h.article.doc_id))]
        if not eligible:
            return self._partial_or_abstain(question, hits, found, best_per_hit, citations, kind)
        if kind == "author":
            # The byline is metadata, not body text: the answer names it and cites the article.
            for n in eligible:
                byline = hits[n].article.byline
                if byline:
                    confidence = self.settings.metadata_confidence
                    return Answer(citations, False, short=ShortAnswer(byline, n + 1, None, BYLINE, confidence),
                                  confidence=confidence, confidence_parts={**evidence, "metadata": confidence}, confident=True,
                                  kind=kind)
        allowed = set(eligible)
        ranked = [x for x in scored if x.n in allowed]
        if not ranked:
            return Answer(citations, True, CONSTRAINTS, confidence_parts=evidence, kind=kind)
        s = self.settings
        weak = best_coverage < s.min_coverage or (self._similarity_calibrated and best_similarity < s.weak_similarity)
        retrieval = (best_coverage, best_similarity if self._similarity_calibrated else 0.0)
        return self._compose(asked, kind, hits, ranked, citations, weak, retrieval, evidence)

    # --- scoring ------------------------------------------------------------

    def _score_sentences(self, asked: Question, hits, query_vector, coverage) -> tuple[list[_Scored], float]:
        """Candidate sentences best first, and the best sentence similarity."""
        s = self.settings
        question, kind, constraints = asked.understood, asked.kind, asked.constraints
        rows = []  # (n, span, lexical, similarity, typed)
        for n, hit in enumerate(hits):
            article = hit.article
            for a, b, row in self.index.article_sentences(article.doc_id, statements_only=True):
                outside = b <= hit.passage.start or a >= hit.passage.end
                if outside and n >= s.whole_article_hits:
                    continue
                sentence = article.text[a:b]
                similarity = float(self.index.sentence_vector(row) @ query_vector) if query_vector is not None else 0.0
                lexical = coverage(sentence if len(sentence) > 40 else f"{article.title} {sentence}")
                rows.append((n, (a, b), lexical - (s.outside_passage_penalty if outside else 0.0), similarity,
                             has_type(kind, sentence, question, constraints)))
        if not rows:
            return [], 0.0
        sims = [r[3] for r in rows]
        low, spread = min(sims), (max(sims) - min(sims)) or 1.0
        scored = [
            _Scored(s.lexical_weight * lex + s.semantic_weight * (sim - low) / spread + s.rank_weight / (n + 1)
                    + (s.type_bonus if typed else 0.0), n, span, typed)
            for n, span, lex, sim, typed in rows
        ]
        return sorted(scored, key=lambda x: (-x.score, x.n, x.span)), max(sims)

    def _too_far(self, best_coverage: float, best_similarity: float) -> bool:
        s = self.settings
        if not self._similarity_calibrated:
            return best_coverage < s.min_coverage
        return best_similarity < s.min_similarity or (best_coverage < s.min_coverage and best_similarity < s.weak_similarity)

    # --- composing ----------------------------------------------------------

    def _passage_sentence(self, hit: Hit) -> tuple[int, int]:
        """The sentence a source shows when none of its passage's sentences was a candidate (a passage of captions
        only): its passage's first sentence inside it, whatever its kind."""
        p = hit.passage
        return next(((a, b) for a, b, _ in self.index.article_sentences(hit.article.doc_id) if p.start <= a and b <= p.end),
                    (p.start, p.end))

    def _sentences(self, doc_id: str) -> list[tuple[int, int]]:
        return [(a, b) for a, b, _ in self.index.article_sentences(doc_id, statements_only=True)]

    def _reader_inputs(self, hits, ranked: list[_Scored], typed) -> tuple[list[SentenceInput], list[tuple[int, tuple[int, int]]]]:
        """The best sentences for the span reader, and for each its (hit number, span); news often names the
        event in one sentence and who / when / how many in the next: `typed`, the sentence of the best article
        that holds what the question asks for when the best sentence lacks it, is read too."""
        chosen = list(dict.fromkeys((x.n, x.span) for x in ranked[:self.settings.reader_sentences]))
        if typed is not None and (ranked[0].n, typed) not in chosen:
            chosen.append((ranked[0].n, typed))
        score = {(x.n, x.span): x.score for x in ranked}
        inputs = [SentenceInput(hits[n].article.doc_id, hits[n].article.text, a, b, hits[n].article.title, hits[n].article.date,
                                n, hits[n].score, score.get((n, (a, b)), 0.0)) for n, (a, b) in chosen]
        return inputs, chosen

    def _typed_sentence(self, asked: Question, kind: str | None, hits, ranked: list[_Scored]) -> tuple[int, int] | None:
        """When the best sentence lacks what the question asks for (a person, a date, a count): the sentence of
        the same article that has it, as `qa.answer.short`'s patterns find it (the lead for a date, the next
        sentence, or a close sentence of the same article)."""
        if kind is None or kind in ("author", "posted"):
            return None
        top = ranked[0]
        article = hits[top.n].article
        question, constraints = asked.understood, asked.constraints
        if find_short(kind, question, article, top.span, constraints) is not None:
            return None
        sentences = self._sentences(article.doc_id)
        following = next(((x, y) for x, y in sentences if x >= top.span[1]), None)
        others = [sentences[0]] if kind == "when" and sentences else []
        others += [following] if following else []
        others += [x.span for x in ranked[1:] if x.n == top.n and x.typed and x.score >= self.settings.same_article_ratio * top.score]
        return next((x for x in dict.fromkeys(others) if find_short(kind, question, article, x, constraints) is not None), None)

    def _compose(self, asked: Question, kind: str | None, hits: list[Hit], ranked: list[_Scored], citations, weak: bool,
                 retrieval: tuple[float, float], evidence_parts: dict) -> Answer:
        """The short answer the reader finds best, the sentence it stands in (and a close second sentence of
        the same article, or of a second article when it scores as high), marked confident or not."""
        s = self.settings
        top = ranked[0]
        typed = self._typed_sentence(asked, kind, hits, ranked)
        inputs, origin = self._reader_inputs(hits, ranked, typed)
        found, other = self._read(asked, inputs) if kind != "posted" else ([], None)
        best = found[0] if found else None
        clause = asks_for_a_clause(asked.understood)
        if best is not None and clause:
            best = _as_clause(best, inputs[best.sentence])
        n, span = origin[best.sentence] if best else (top.n, top.span)
        article = hits[n].article
        # What the answer shows: the best sentence; the sentence that holds what the question asks for when the
        # best one lacks it, else a close second sentence of the same article (it often holds what the best one
        # only leads to); the short answer's sentence; a second article's sentence when it scores as high.
        top_article = hits[top.n].article
        shown = [top.span]
        if typed is not None:
            shown.append(typed)
        else:
            text_of = lambda x: " ".join(top_article.text[x[0]:x[1]].split())  # noqa: E731 - a caption repeats a sentence
            close = next((x for x in ranked[1:] if x.n == top.n and x.score >= s.same_article_second_ratio * top.score
                          and text_of(x.span) != text_of(top.span)), None)
            if close is not None:
                shown.append(close.span)
        parts = [(top.n, x) for x in sorted(dict.fromkeys(shown + ([span] if n == top.n else [])))]
        if n != top.n:
            parts.append((n, span))
        second = next((x for x in ranked if x.n != top.n), None)
        if second is not None and n == top.n and second.score >= s.second_sentence_ratio * top.score:
            parts.append((second.n, second.span))
        # The citation marks the sentence the short answer stands in (with its neighbour when adjacent).
        own = sorted(x for i, x in parts if i == n)
        marked = span
        for x in own:
            if 0 <= span[0] - x[1] <= 2:
                marked = (x[0], span[1])
            elif 0 <= x[0] - span[1] <= 2:
                marked = (marked[0], x[1])
        citations = tuple(replace(c, sentence_start=marked[0], sentence_end=marked[1]) if i == n else c
                          for i, c in enumerate(citations))
        evidence = tuple(span_of(citations, i + 1, x, y) for i, (x, y) in parts)
        if kind == "posted":
            return self._posted(hits, ranked, citations, evidence, evidence_parts)
        if best is None:
            return Answer(citations, False, NO_SHORT_ANSWER, evidence=evidence, confidence_parts=evidence_parts, kind=kind)
        facts = confidence_parts(asked, best, found, other, clause, n, weak, retrieval)
        calibration = load_calibration()
        if calibration is not None:
            confidence = calibration.probability(facts)
            threshold = calibration.threshold
        else:
            confidence = best.score * (s.weak_evidence_factor if weak else 1.0)
            threshold = s.confident_at
        confident = confidence >= threshold and not facts["fragment"]  # a why / how question is never answered by a fragment
        short = ShortAnswer(completed(best.text, article.date), n + 1, span_of(citations, n + 1, best.start, best.end),
                            score=best.score)
        # The calibration's facts (qa.answer.calibration.FEATURES), and what «Vì sao?» says of them.
        parts = {**evidence_parts, **{k: round(float(v), 4) for k, v in facts.items()}, "reader": round(best.score, 4),
                 "confident_at": round(float(threshold), 4)}
        return Answer(citations, False, short=short, evidence=evidence, confidence=round(confidence, 4),
                      confidence_parts=parts, confident=confident, kind=kind)

    def _read(self, asked: Question, inputs) -> tuple[list[ScoredSpan], ScoredSpan | None]:
        if hasattr(self.reader, "read_with_second_opinion"):
            return self.reader.read_with_second_opinion(asked, inputs)
        return self.reader.read(asked, inputs), None

    def _posted(self, hits, ranked, citations, evidence, evidence_parts) -> Answer:
        """`... được đăng ngày nào?`: the publication date, which is metadata, not body text."""
        n = ranked[0].n
        date = hits[n].article.date
        if not date:
            return Answer(citations, False, NO_PUBLICATION_DATE, evidence=evidence, confidence_parts=evidence_parts, kind="posted")
        shown = f"{date[8:10]}/{date[5:7]}/{date[:4]}"
        confidence = self.settings.metadata_confidence
        return Answer(citations, False, short=ShortAnswer(shown, n + 1, None, PUBLISHED, confidence), evidence=evidence,
                      confidence=confidence, confidence_parts={**evidence_parts, "metadata": confidence}, confident=True,
                      kind="posted")

    def _partial_or_abstain(self, question, hits, found: dict[str, Verdict], best_per_hit, citations, kind) -> Answer:
        """No retrieved article satisfies the question: say which year is missing and show the nearest, or abstain."""
        for n, hit in enumerate(hits):
            verdict = found.get(hit.article.doc_id)
            if verdict is None or n not in best_per_hit or not verdict.only_years_missing():
                continue
            missing = verdict.missing_years()
            nearest = verdict.conflict_years[0] if verdict.conflict_years else (hit.article.date or "")[:4]
            a, b = best_per_hit[n].span
            partial = Partial(missing[0], missing_topic(question, missing[0]), nearest or None, n + 1)
            return Answer(citations, False, YEAR_MISSING, evidence=(span_of(citations, n + 1, a, b),), partial=partial, kind=kind)
        return Answer(citations, True, CONSTRAINTS, kind=kind)


@lru_cache(maxsize=65536)
def _token_set(text: str, folded: bool) -> frozenset[str]:
    """Search tokens of a sentence; the same sentences are read again for question after question."""
    return frozenset(search_tokens(text, folded=folded))


def _complete(verdict: Verdict | None) -> bool:
    return verdict is None or verdict.complete



_CLAUSE_END = re.compile(r"[,;:](?=\s)|[.!?…](?=\s|$)|\s[–—-]\s")
CLAUSE_MIN_WORDS = 5


def _as_clause(span: ScoredSpan, sentence: SentenceInput) -> ScoredSpan:
    """For a why / how / what-to-do question: the clause of the sentence around the span (the whole sentence when
    that clause is short), not a fragment of it."""
    text, a, b = sentence.article_text, sentence.start, sentence.end
    if len(span.text.split()) >= CLAUSE_MIN_WORDS or not a <= span.start < span.end <= b:
        return span
    left = max((m.end() for m in _CLAUSE_END.finditer(text, a, span.start)), default=a)
    right = next((m.start() for m in _CLAUSE_END.finditer(text, span.end, b)), b)
    if len(text[left:right].split()) < CLAUSE_MIN_WORDS:
        left, right = a, next((m.start() for m in re.finditer(r"[.!?…]\s*$", text[a:b])), b - a) + a
    while left < right and text[left].isspace():
        left += 1
    while right > left and text[right - 1].isspace():
        right -= 1
    return replace(span, start=left, end=right, text=text[left:right])


def confidence_parts(asked: Question, best: ScoredSpan, found: list[ScoredSpan], other: ScoredSpan | None, clause: bool,
                     hit: int, weak: bool, retrieval: tuple[float, float]) -> dict[str, float]:
    """The facts of one answer that the calibration weighs (qa.answer.calibration.FEATURES)."""
    second = next((x for x in found[1:] if (x.doc_id, x.start, x.end) != (best.doc_id, best.start, best.end)), None)
    overlaps = other is not None and other.doc_id == best.doc_id and other.start < best.end and best.start < other.end
    words = len(best.text.split())
    coverage, similarity = retrieval
    return {
        "reader_logit": logit(best.score), "margin": best.score - (second.score if second else 0.0),
        "agree": float(overlaps), "disagree": float(other is not None and not overlaps),
        "coverage": coverage, "similarity": max(0.0, similarity - 0.8) * 10, "weak": float(weak),
        "neural": float(best.kind == "neural"), "typed_kind": float(asked.kind in TYPED_KINDS),
        "clause_question": float(clause), "fragment": float(clause and words < CLAUSE_MIN_WORDS),
        "span_words": math.log1p(words), "constraints": float(bool(asked.constraints)), "top_hit": float(hit == 0),
    }
