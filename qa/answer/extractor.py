"""The typed short-answer extractor: candidates (`qa.answer.candidates`), features (`qa.answer.features`)
and learned weights (`extractor_model.json`, written by `qa train-answers`), behind the span-reader protocol.

The ranker's softmax over the candidates of a question says which span is best; its calibration
(fitted on held-out folds of the training data) turns the best span's probability into the
probability that the span is right, which the answerer combines with retrieval's evidence."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from qa.answer.candidates import Candidate, Token, generate, tokenize
from qa.answer.features import QuestionView, features, sentence_coverage, view
from qa.answer.short import find_short
from qa.answer.spans import ScoredSpan, SentenceInput
from qa.language.text import has_diacritics
from qa.search.question import question_type

MODEL_PATH = Path(__file__).with_name("extractor_model.json")
TOP_SENTENCES = 4  # sentences of a training question handed to the ranker (best covering first)
RULE_RATIO = 0.1  # a seed-style rule's span is kept unless the best span is 10x as probable
MAX_QUESTION_TOKENS = 60  # longer "questions" are pasted text: nothing to align with a wh-word


@dataclass(frozen=True)
class Group:
    """The candidates of one question over its sentences, with their features."""

    question: QuestionView
    candidates: list[Candidate]
    rows: list[dict[str, float]]
    tokens: list[list[Token]]  # per sentence
    coverage: list[float]  # per sentence


def question_view(question: str) -> QuestionView:
    return view(question, not has_diacritics(question), question_type(question))


def build_group(question: str, sentences: Sequence[SentenceInput], constraints: tuple | None = None) -> Group:
    """Candidates and features of `question` over `sentences` (in the order given: best first); `constraints`:
    the question's, when it was made into a Question (else extracted from the string)."""
    qv = question_view(question)
    folded = not has_diacritics(question)
    tokens = [tokenize(s.article_text, s.start, s.end, folded) for s in sentences]
    coverage = [sentence_coverage(qv, t) for t in tokens]
    best = max(coverage, default=0.0)
    candidates, rows = [], []
    for k, s in enumerate(sentences):
        rule = None
        if qv.kind and qv.kind not in ("author", "posted"):
            short = find_short(qv.kind, question, _Text(s.article_text, s.date), (s.start, s.end), constraints)
            rule = (short.start, short.end) if short else None
        extra = [(*rule, "rule")] if rule else []
        asked = set(qv.keys)
        matched = [i for i, t in enumerate(tokens[k]) if t.key in qv.content]
        for c in generate(k, s.article_text, tokens[k], list(qv.keys), ("", *qv.wh), extra):
            if "rule" not in c.kinds and all(t.brk or t.key in asked for t in tokens[k][c.i:c.j]):
                continue  # what the question already says is not its answer
            candidates.append(c)
            rows.append(features(qv, c, tokens[k], k, coverage[k], best, rule, matched))
    return Group(qv, candidates, rows, tokens, coverage)


@dataclass(frozen=True)
class _Text:
    text: str
    date: str | None = None


@dataclass(frozen=True)
class ExtractorModel:
    weights: dict[str, float]
    calibration: tuple[float, ...]  # logistic weights over calibration_inputs(), bias last

    def scores(self, rows: list[dict[str, float]]) -> np.ndarray:
        w = self.weights
        return np.array([sum(w.get(name, 0.0) * value for name, value in row.items()) for row in rows])

    def calibrated(self, inputs: list[float]) -> float:
        *a, bias = self.calibration
        z = sum(x * y for x, y in zip(a, inputs)) + bias
        return 1 / (1 + math.exp(-z)) if z > -700 else 0.0


def calibration_inputs(probability: float, coverage: float, qv: QuestionView) -> list[float]:
    """What the calibration sees of a best span: the ranker's probability (as a logit), how much of the
    question its sentence covers, and whether the question has a wh-word the span can stand for."""
    p = min(max(probability, 1e-6), 1 - 1e-6)
    return [math.log(p / (1 - p)), coverage, 0.0 if qv.qtype == "other" else 1.0]


@lru_cache(maxsize=4)
def load_model(path: Path = MODEL_PATH) -> ExtractorModel:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return ExtractorModel(dict(data["weights"]), tuple(data["calibration"]["weights"]))


def softmax(values: np.ndarray) -> np.ndarray:
    if not len(values):
        return values
    e = np.exp(values - values.max())
    return e / e.sum()


class TypedExtractor:
    """A SpanReader: typed candidates ranked by the learned weights, scored by calibrated probability."""

    def __init__(self, model: ExtractorModel | None = None, top: int = 5) -> None:
        self.model = model or load_model()
        self.top = top

    def read(self, question, sentences: Sequence[SentenceInput]) -> list[ScoredSpan]:
        text = question if isinstance(question, str) else getattr(question, "understood", None) or question.text
        sentences = list(sentences)
        if not sentences:
            return []
        group = build_group(text, sentences, None if isinstance(question, str) else question.constraints)
        if not group.candidates or len(group.question.keys) > MAX_QUESTION_TOKENS:
            return []
        probability = softmax(self.model.scores(group.rows))
        order = sorted(range(len(probability)), key=lambda k: (-probability[k], k))[: self.top]
        rules = [k for k, c in enumerate(group.candidates) if "rule" in c.kinds]
        if rules:
            # The patterns of `qa.answer.short` were written for this news; the ranker overrides them only when
            # it is far surer of another span (out-of-fold on eval/dev.jsonl: F1 0.537 -> 0.579, XQuAD 1-24 -0.012).
            rule = max(rules, key=lambda k: (probability[k], -k))
            if probability[rule] >= RULE_RATIO * probability[order[0]] and rule != order[0]:
                order = [rule] + [k for k in order if k != rule][: self.top - 1]
        out, seen = [], set()
        for k in order:
            c = _with_rank_and_title(group, group.candidates[k])
            s = sentences[c.sentence]
            tokens = group.tokens[c.sentence]
            a, b = tokens[c.i].start, tokens[c.j - 1].end
            if (c.sentence, a, b) in seen:
                continue
            seen.add((c.sentence, a, b))
            score = self.model.calibrated(calibration_inputs(float(probability[k]), group.coverage[c.sentence], group.question))
            out.append(ScoredSpan(s.doc_id, a, b, s.article_text[a:b], score, _main_kind(c.kinds), c.sentence))
        return out


def _with_rank_and_title(group: Group, c: Candidate) -> Candidate:
    """For `ai / người nào` in the news: the person as the article writes them, rank and title included
    (`Thiếu tướng Phạm Hoàng Long, Phó tham mưu trưởng`), when the span chosen is the name inside; for
    `bao nhiêu` the number with its unit (`288 đảng viên`), when the span chosen is the bare number; for
    `chức vụ gì` all the titles after the name, when the span chosen is one of them."""
    kind = group.question.kind
    wider = {"who": {"rule", "person_title", "person"}, "count": {"rule"}, "title": {"rule"}}.get(kind)
    if not wider:
        return c
    around = [x for x in group.candidates if x.sentence == c.sentence and x.i <= c.i and c.j <= x.j and x is not c
              and x.kinds & wider]
    if not around:
        return c
    return max(around, key=lambda x: ("rule" in x.kinds, "person_title" in x.kinds, x.j - x.i))


_KIND_ORDER = ("person_title", "person", "date", "date_word", "year", "number_unit", "number", "number_word_unit", "number_word",
               "name", "quote", "paren", "reason", "purpose", "anchor_between", "anchor_left", "anchor_right")


def _main_kind(kinds: set[str]) -> str:
    """The most specific kind that proposed a span (for display and the report)."""
    for kind in _KIND_ORDER:
        if kind in kinds:
            return "anchor" if kind.startswith("anchor") else kind
    return sorted(kinds)[0] if kinds else "span"
