"""Features of a candidate short answer: what it is (its kinds) against what the question asks,
where it sits against the question words it aligns with, its words and context, and the sentence."""

from __future__ import annotations

from dataclasses import dataclass

from qa.answer.candidates import QUESTION_TYPES, Candidate, Token, fold_key, question_tokens, wh_position
from qa.language.text import fold_diacritics

# Question words that say nothing about the answer's place (they are in every question).
_FUNCTION = frozenset(fold_diacritics(
    """ai gì nào đâu sao bao nhiêu mấy khi thế là có không của và được đã những các về điều cho biết hãy
    một này đó thì mà với trong tại ở bởi vào từ đến như theo cũng người nào cái""").split())


@dataclass(frozen=True)
class QuestionView:
    """The question as the features see it: its tokens, type, wh-phrase and content words."""
    keys: tuple[str, ...]
    qtype: str
    wh: tuple[int, int]
    left: frozenset[str]  # content words in the 4 tokens before the wh-phrase
    right: frozenset[str]  # ... and after it
    content: frozenset[str]  # all content words
    kind: str | None  # the seed-style type (qa.search.question.question_type)


def view(question: str, folded: bool, kind: str | None) -> QuestionView:
    keys = question_tokens(question, folded)
    qtype, a, b = wh_position(keys)
    content = frozenset(k for k in keys if fold_diacritics(k) not in _FUNCTION)
    left = frozenset(k for k in keys[max(0, a - 4):a] if k in content)
    right = frozenset(k for k in keys[b:b + 4] if k in content)
    return QuestionView(tuple(keys), qtype if qtype in QUESTION_TYPES else "other", (a, b), left, right, content, kind)


def sentence_coverage(q: QuestionView, tokens: list[Token]) -> float:
    present = {t.key for t in tokens}
    return len(q.content & present) / (len(q.content) or 1)


def _bucket(n: int) -> str:
    return str(n) if n <= 4 else "5-6" if n <= 6 else "7-9" if n <= 9 else "10+"


def _side(key: str | None, q: QuestionView) -> str:
    if key is None:
        return "edge"
    if key in q.left:
        return "left"
    if key in q.right:
        return "right"
    if key in q.content:
        return "q"
    return "none"


def features(q: QuestionView, c: Candidate, tokens: list[Token], sentence_rank: int, coverage: float, best_coverage: float,
             rule_span: tuple[int, int] | None, matched: list[int] | None = None) -> dict[str, float]:
    """Sparse features (name -> value) of candidate `c` over its sentence's `tokens`."""
    f: dict[str, float] = {}
    qt = q.qtype
    span = tokens[c.i:c.j]
    words = [t for t in span if not t.brk]
    length = len(words)
    for kind in c.kinds:
        f[f"k={kind}"] = 1.0
        f[f"qt={qt}|k={kind}"] = 1.0
        if q.kind:
            f[f"sk={q.kind}|k={kind}"] = 1.0
    f[f"nk={min(len(c.kinds), 4)}"] = 1.0
    f[f"len={_bucket(length)}"] = 1.0
    f[f"qt={qt}|len={_bucket(length)}"] = 1.0
    in_q = sum(t.key in q.content or t.key in q.keys for t in words)
    share = in_q / (length or 1)
    f["in_q"] = share
    f[f"qt={qt}|in_q"] = share
    if words and in_q == length:
        f["all_in_q"] = 1.0
    # Alignment: the words just outside the span, and whether they match the question around the wh-phrase.
    before = tokens[c.i - 1].key if c.i > 0 else None
    after = tokens[c.j].key if c.j < len(tokens) else None
    lside, rside = _side(before, q), _side(after, q)
    f[f"L={lside}"] = 1.0
    f[f"R={rside}"] = 1.0
    f[f"L={lside}|R={rside}"] = 1.0
    f[f"qt={qt}|L={lside}|R={rside}"] = 1.0
    near_left = next((_side(t.key, q) for t in reversed(tokens[max(0, c.i - 4):c.i]) if t.key in q.content), "none")
    near_right = next((_side(t.key, q) for t in tokens[c.j:c.j + 4] if t.key in q.content), "none")
    f[f"NL={near_left}"] = 1.0
    f[f"NR={near_right}"] = 1.0
    # Exact alignment: the sentence repeats the question's words right before / after the wh-phrase around the span.
    a, b = q.wh
    left_exact = sum(1 for d in (1, 2, 3) if c.i - d >= 0 and a - d >= 0 and tokens[c.i - d].key == q.keys[a - d])
    right_exact = sum(1 for d in (0, 1, 2) if c.j + d < len(tokens) and b + d < len(q.keys) and tokens[c.j + d].key == q.keys[b + d])
    if left_exact or right_exact:
        f[f"exact_L={left_exact}"] = 1.0
        f[f"exact_R={right_exact}"] = 1.0
        f[f"qt={qt}|exact={min(left_exact, 1)}{min(right_exact, 1)}"] = 1.0
    window = {t.key for t in tokens[max(0, c.i - 6):c.i]} | {t.key for t in tokens[c.j:c.j + 6]}
    f["win_cov"] = len(q.content & window) / (len(q.content) or 1)
    if matched is None:  # positions of the sentence's tokens that the question has
        matched = [k for k, t in enumerate(tokens) if t.key in q.content]
    if matched:
        if c.j <= matched[0]:
            f["pos=before_matches"] = 1.0
        elif c.i >= matched[-1] + 1:
            f["pos=after_matches"] = 1.0
        else:
            f["pos=inside_matches"] = 1.0
    else:
        f["pos=no_matches"] = 1.0
    # Context words.
    bf = fold_key(before) if before else "^"
    af = fold_key(after) if after else "$"
    f[f"prev={bf}"] = 1.0
    f[f"next={af}"] = 1.0
    f[f"qt={qt}|prev={bf}"] = 1.0
    f[f"qt={qt}|next={af}"] = 1.0
    first = fold_key(words[0].key) if words else ""
    f[f"first={first}"] = 1.0
    f[f"qt={qt}|first={first}"] = 1.0
    # Shape.
    if words and words[0].upper:
        f["first_upper"] = 1.0
    if words and all(t.upper or t.digit for t in words):
        f[f"qt={qt}|all_cap"] = 1.0
    if any(t.digit for t in words):
        f[f"qt={qt}|digit"] = 1.0
    if c.i == 0 or tokens[c.i - 1].brk:
        f["starts_at_break"] = 1.0
    if c.j == len(tokens) or tokens[c.j].brk:
        f["ends_at_break"] = 1.0
    if c.i == 0 and c.j == len(tokens):
        f["whole_sentence"] = 1.0
    # The sentence.
    f[f"srank={min(sentence_rank, 3)}"] = 1.0
    f["s_cov"] = coverage
    f["s_rel"] = coverage / best_coverage if best_coverage > 0 else 0.0
    if coverage >= best_coverage:
        f["s_best"] = 1.0
    # The hand-written rule of the seed style (`qa.short.find_short`).
    if rule_span is not None:
        a, b = tokens[c.i].start, tokens[c.j - 1].end
        if (a, b) == rule_span:
            f["rule_exact"] = 1.0
            f[f"sk={q.kind}|rule_exact"] = 1.0
        elif a < rule_span[1] and rule_span[0] < b:
            f["rule_overlap"] = 1.0
    return f
