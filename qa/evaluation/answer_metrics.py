"""Metrics of what a user reads: the short answer, whether a confident answer is right, and why a miss happened.

An answer is judged by what the user reads first (issue 22): with a short answer, it is right when that short
answer is (token F1 >= 0.5 against a gold answer whose numbers it also gives, or, for a who-question, the gold
name contained in it: news adds rank and title, «Thiếu tướng Phạm Hoàng Long»); without one, when its text
contains the gold answer. The numbers are checked because the words around them alone reach F1 0.5: «1 tập thể»
against «11 tập thể», «lần thứ XIII» against «lần thứ IX» score 0.67 and are wrong.
An abstained or partial answer to an answerable question is not right; to an unanswerable one, it is.

- short_exact / short_f1: SQuAD exact match / token F1 of the short answer against the best gold answer, over
  the answerable questions with a gold answer; 0 without a short answer (or when abstained / partial).
- partial_rate: share of all questions answered with "the corpus lacks this; nearest: ...".
- confident_rate: share of all questions answered as confident (neither abstained, partial, nor "chưa chắc chắn").
- coverage: share of the answerable questions given a confident answer.
- confident_precision: share of the confident answers that are right (an unanswerable question answered
  confidently is wrong); None when nothing was answered confidently.
- wrong_confident: share of all questions answered confidently and wrongly.

The risk-coverage curve: for thresholds on the answer's confidence, coverage (share of the answerable questions
answered at least that confidently) against precision (share of those answers that are right), and its area.

Miss causes, one per question (`CAUSES`), in the order a miss is traced: retrieval did not bring the gold
article among those read; the answer's sentence does not hold the gold answer; it does, but the short answer is
another span; the short answer is right but shown as unsure."""

from __future__ import annotations

import re

from qa.language.text import normalize_short, token_f1

ANSWER_METRICS = ("short_exact", "short_f1", "partial_rate", "confident_rate", "coverage", "confident_precision",
                  "wrong_confident")
RIGHT_F1 = 0.5
WHO_KINDS = ("who", "author")  # where the answer may add rank and title around the gold name
# On the answerable questions, then the unanswerable ones.
CAUSES = ("right", "unsure", "span", "sentence", "retrieval", "declined", "declined_rightly", "should_decline", "unjudged")
CURVE_THRESHOLDS = tuple(round(i * 0.05, 2) for i in range(20))  # 0.00 .. 0.95


_NUMBER = re.compile(r"\d+")
_ROMAN = re.compile(r"(?<!\w)[IVXLCDM]+(?!\w)")  # «khóa XV», «lần thứ IX», «quý III»: numbers too


def _numbers(text: str) -> set:
    return {int(x) for x in _NUMBER.findall(text)} | set(_ROMAN.findall(text))


def numbers_given(short: str, shown: str | None, gold: str) -> bool:
    """Every number of the gold answer (Arabic or Roman) is in the short answer, as extracted or as shown (a year
    may be added for display)."""
    return _numbers(gold) <= _numbers(f"{short} {shown or ''}")


def short_is_right(short: str, shown: str | None, answers: tuple[str, ...], kind: str | None, hit) -> bool:
    if any(token_f1(short, g) >= RIGHT_F1 and numbers_given(short, shown, g) for g in answers):
        return True
    return kind in WHO_KINDS and hit(answers, short)


def short_scores(short: str | None, answers: tuple[str, ...]) -> tuple[float, float]:
    """(exact, F1) of a short answer against the best of the gold answers; (0, 0) without one."""
    if not short or not answers:
        return 0.0, 0.0
    exact = float(any(normalize_short(short) == normalize_short(g) for g in answers))
    return exact, max(token_f1(short, g) for g in answers)


def declined(r) -> bool:
    return bool(r.abstained or r.partial)


def is_confident(r) -> bool:
    """Shown as a confident answer (results without the flag count as confident)."""
    return bool(getattr(r, "confident", True)) and not declined(r)


def question_short_f1(q, r) -> float:
    return 0.0 if declined(r) else short_scores(r.short_answer, q.answers)[1]


def judged_right(q, r, hit) -> bool | None:
    """Whether the answer the user reads is right; None for an answerable question without a gold answer text.
    `hit(answers, text)` is `qa.evaluation.evaluate.answer_hit` (normalized containment)."""
    if not q.gold:
        return declined(r)
    if not q.answers:
        return None
    if declined(r):
        return False
    if r.short_answer:
        return short_is_right(r.short_answer, getattr(r, "short_shown", None), q.answers, getattr(r, "kind", None), hit)
    return hit(q.answers, r.answer)


def gold_rank(q, r) -> int | None:
    """Rank (1-based) of the first gold document among the distinct documents retrieved; None when absent."""
    return next((i for i, (doc, _) in enumerate(r.ranked_docs, 1) if doc in q.gold), None)


def gold_read(q, r) -> bool:
    """A gold article was among the articles handed to the answerer."""
    rank = gold_rank(q, r)
    read = getattr(r, "articles_read", None)
    return rank is not None and (read is None or rank <= read)


def miss_cause(q, r, right: bool | None, hit) -> str:
    """One of CAUSES for this question's answer."""
    if not q.gold:
        return "declined_rightly" if declined(r) else "should_decline"
    if right is None:
        return "unjudged"
    if right:
        return "right" if is_confident(r) else "unsure"
    if not gold_read(q, r):
        return "retrieval"
    if declined(r):
        return "declined"
    evidence = getattr(r, "evidence", "") or r.answer
    return "span" if hit(q.answers, evidence) else "sentence"


def answer_metrics(questions, results, hit) -> dict[str, float | None]:
    """ANSWER_METRICS over `questions` and their `results` (QuestionResult)."""
    with_answers = [(q, r) for q, r in zip(questions, results) if q.gold and q.answers]
    exact = f1 = 0.0
    for q, r in with_answers:
        if not declined(r):
            e, f = short_scores(r.short_answer, q.answers)
            exact, f1 = exact + e, f1 + f
    confident = [(q, judged_right(q, r, hit)) for q, r in zip(questions, results) if is_confident(r)]
    judged = [right for _, right in confident if right is not None]
    answerable = sum(1 for q in questions if q.gold)
    n = len(questions) or 1
    return {
        "short_exact": exact / len(with_answers) if with_answers else 0.0,
        "short_f1": f1 / len(with_answers) if with_answers else 0.0,
        "partial_rate": sum(bool(r.partial) for r in results) / n,
        "confident_rate": len(confident) / n,
        "coverage": sum(1 for q, _ in confident if q.gold) / answerable if answerable else 0.0,
        "confident_precision": sum(judged) / len(judged) if judged else None,
        "wrong_confident": sum(1 for right in judged if not right) / n,
    }


def miss_causes(questions, results, hit) -> dict[str, int]:
    """How many questions fall under each cause (every cause listed, zeros included)."""
    counts = dict.fromkeys(CAUSES, 0)
    for q, r in zip(questions, results):
        counts[miss_cause(q, r, judged_right(q, r, hit), hit)] += 1
    return counts


def risk_coverage(questions, results, hit) -> dict:
    """{"area", "points": [{threshold, coverage, precision, answered_f1}]}: at each threshold, the answers with at
    least that confidence (not abstained, not partial); coverage over the answerable questions, precision over
    those answers (unanswerable questions answered are wrong), answered_f1 the mean short F1 of those with a gold
    answer. The area under precision-vs-coverage is taken over every distinct confidence, not only the table's."""
    answered = []  # (confidence, right, answerable, short F1 or None)
    for q, r in zip(questions, results):
        right = judged_right(q, r, hit)
        if declined(r) or right is None:
            continue
        answered.append((float(getattr(r, "confidence", 0.0)), right, bool(q.gold),
                         question_short_f1(q, r) if q.gold and q.answers else None))
    total = sum(1 for q in questions if q.gold) or 1

    def point(threshold: float) -> dict:
        kept = [a for a in answered if a[0] >= threshold]
        f1s = [a[3] for a in kept if a[3] is not None]
        return {"threshold": threshold, "coverage": round(sum(a[2] for a in kept) / total, 4),
                "precision": round(sum(a[1] for a in kept) / len(kept), 4) if kept else None,
                "answered_f1": round(sum(f1s) / len(f1s), 4) if f1s else None}

    area, covered, right, seen, last = 0.0, 0, 0, 0, 0.0
    ordered = sorted(answered, key=lambda a: -a[0])
    for i, (confidence, ok, answerable, _) in enumerate(ordered):
        covered, right, seen = covered + answerable, right + ok, seen + 1
        if i + 1 == len(ordered) or ordered[i + 1][0] != confidence:  # ties enter together
            area += (right / seen) * (covered / total - last)
            last = covered / total
    return {"area": round(area, 4), "points": [point(t) for t in CURVE_THRESHOLDS]}
