"""Metrics of what a user reads: the short answer, partial answers, and confident wrong answers.

- short_exact: the normalized short answer equals a normalized gold answer (SQuAD exact match).
- short_f1: SQuAD token F1 of the short answer against the best gold answer; 0 without a short answer.
- partial_rate: share of all questions answered with "the corpus lacks this; nearest: ...".
- wrong_confident: share of all questions answered confidently (neither abstained nor partial) and
  wrongly: an answerable question whose answer does not contain the gold answer, or an unanswerable one.

The short metrics are over the answerable questions that have a gold answer. The short answer scored
is the span extracted from the article (a year added to a bare day/month for display is not scored)."""

from __future__ import annotations

import re
from collections import Counter

from qa.language.text import unify_tones

ANSWER_METRICS = ("short_exact", "short_f1", "partial_rate", "wrong_confident")


def normalize_short(text: str) -> str:
    """SQuAD normalization, for Vietnamese: lowercase, tones unified, punctuation and [n] markers out."""
    text = re.sub(r"\[\d+\]", " ", unify_tones(text or "").lower())
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(text.split())


def token_f1(produced: str, gold: str) -> float:
    a, b = normalize_short(produced).split(), normalize_short(gold).split()
    if not a or not b:
        return float(a == b)
    common = sum((Counter(a) & Counter(b)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(a), common / len(b)
    return 2 * precision * recall / (precision + recall)


def short_scores(short: str | None, answers: tuple[str, ...]) -> tuple[float, float]:
    """(exact, F1) of a short answer against the best of the gold answers; (0, 0) without one."""
    if not short or not answers:
        return 0.0, 0.0
    exact = float(any(normalize_short(short) == normalize_short(g) for g in answers))
    return exact, max(token_f1(short, g) for g in answers)


def answer_metrics(questions, results, hit) -> dict[str, float]:
    """The four metrics over `questions` and their `results` (QuestionResult); `hit(answers, text)` is answer_hit."""
    with_answers = [(q, r) for q, r in zip(questions, results) if q.gold and q.answers]
    exact = f1 = 0.0
    for q, r in with_answers:
        if r.abstained or r.partial:
            continue
        e, f = short_scores(r.short_answer, q.answers)
        exact, f1 = exact + e, f1 + f
    wrong = 0
    for q, r in zip(questions, results):
        if r.abstained or r.partial:
            continue
        if not q.gold or (q.answers and not hit(q.answers, r.answer)):
            wrong += 1
    n = len(questions) or 1
    return {
        "short_exact": exact / len(with_answers) if with_answers else 0.0,
        "short_f1": f1 / len(with_answers) if with_answers else 0.0,
        "partial_rate": sum(r.partial for r in results) / n,
        "wrong_confident": wrong / n,
    }
