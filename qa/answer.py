"""Extractive answers: the sentence(s) of the retrieved passages that answer the question.

No language model: sentences are scored on IDF-weighted overlap with the
question, the rank of their passage, and whether they hold what the question
asks for (a person for `ai`, a date for `khi nào`, a number for `bao nhiêu`).
It abstains when the evidence is too thin, judged on lexical coverage and on
the question's specific names and numbers being present at all: dense scores
alone are too compressed to tell related from unrelated."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from qa.bm25 import QUERY_STOPWORDS, BM25Channel
from qa.retrieve import Hit
from qa.text import fold_diacritics, has_diacritics, search_tokens, sentence_spans, unify_tones

ABSTAIN_MESSAGE = "Không tìm thấy thông tin trong kho bài viết."


@dataclass(frozen=True)
class Citation:
    hit: Hit
    sentence_start: int  # offsets of the supporting sentence in hit.article.text
    sentence_end: int


@dataclass(frozen=True)
class Answer:
    text: str  # with [n] markers; [n] refers to citations[n-1]
    citations: tuple[Citation, ...]
    abstained: bool


@dataclass(frozen=True)
class AnswerSettings:
    min_coverage: float = 0.45  # IDF-weighted share of question tokens found in the best passage
    second_sentence_ratio: float = 0.85
    rank_weight: float = 0.15
    type_bonus: float = 0.25


_RANKS = (
    r"(?:Đại tướng|Thượng tướng|Trung tướng|Thiếu tướng|Đại tá|Thượng tá|Trung tá|Thiếu tá"
    r"|Đại úy|Thượng úy|Trung úy|Thiếu úy|Đồng chí|đồng chí|ông|bà)"
)
_NAME = r"(?:[A-ZÀ-Ỹ][\wÀ-ỹ]*)(?:\s+[A-ZÀ-Ỹ][\wÀ-ỹ]*){1,3}"
_PERSON_RE = re.compile(_RANKS + r"\s+" + _NAME)
_DATE_RE = re.compile(
    r"\b\d{1,2}\s*[/-]\s*\d{1,2}(?:\s*[/-]\s*\d{2,4})?\b|\b(?:ngày|tháng|năm)\s+\d{1,4}\b|\b(?:sáng|chiều|tối)\s+(?:ngày\s+)?\d", re.I
)
_NUMBER_RE = re.compile(r"\b\d+(?:[.,]\d+)*\b")

_QUESTION_TYPES = (
    ("who", re.compile(r"\b(ai|người nào|vị nào|đồng chí nào|ong nao|nguoi nao)\b|^ai\b", re.I)),
    ("when", re.compile(
        r"\b(khi nào|bao giờ|ngày nào|hôm nào|năm nào|tháng nào|lúc nào|thời gian nào|thời điểm nào"
        r"|khi nao|bao gio|ngay nao|nam nao|thang nao|luc nao)\b", re.I)),
    ("count", re.compile(r"\b(bao nhiêu|mấy|số lượng|bao nhieu|so luong)\b", re.I)),
)
_KEY_NUMBER_RE = re.compile(r"\b\d{2,}\b")
_KEY_NAME_RE = re.compile(r"(?<!^)(?<![.?!]\s)\b[A-ZÀ-Ỹ][\wÀ-ỹ]+(?:\s+[A-ZÀ-Ỹ][\wÀ-ỹ]+)+")


def question_type(question: str) -> str | None:
    q = unify_tones(question).lower()
    for name, pattern in _QUESTION_TYPES:
        if pattern.search(q) or pattern.search(fold_diacritics(q)):
            return name
    return None


def _has_type(kind: str | None, sentence: str, question: str) -> bool:
    if kind == "who":
        return any(m.group(0) not in question for m in _PERSON_RE.finditer(sentence))
    if kind == "when":
        return any(m.group(0) not in question for m in _DATE_RE.finditer(sentence))
    if kind == "count":
        q_numbers = set(_NUMBER_RE.findall(question))
        return any(n not in q_numbers for n in _NUMBER_RE.findall(sentence))
    return False


@lru_cache(maxsize=4096)
def _article_sentences(text: str) -> tuple[tuple[int, int], ...]:
    return tuple(sentence_spans(text))


def key_terms(question: str) -> list[str]:
    """Names and numbers in a question that an answering article must mention (folded, lowercased)."""
    terms = [m.group(0) for m in _KEY_NAME_RE.finditer(question)] + _KEY_NUMBER_RE.findall(question)
    return [fold_diacritics(unify_tones(t)).lower() for t in terms]


class Answerer:
    def __init__(self, bm25: BM25Channel, settings: AnswerSettings | None = None) -> None:
        self.bm25 = bm25
        self.settings = settings or AnswerSettings()

    def answer(self, question: str, hits: list[Hit]) -> Answer:
        s = self.settings
        if not hits:
            return Answer(ABSTAIN_MESSAGE, (), True)
        folded = not has_diacritics(question)
        q_tokens = [t for t in dict.fromkeys(search_tokens(question, folded=folded)) if t not in QUERY_STOPWORDS]
        idf = self.bm25.idf(q_tokens, folded)
        total = sum(idf.values()) or 1.0

        def coverage(text: str) -> float:
            present = set(search_tokens(text, folded=folded))
            return sum(w for t, w in idf.items() if t in present) / total

        kind = question_type(question)
        scored = []  # (score, coverage, hit index, span)
        for n, hit in enumerate(hits):
            article = hit.article
            for a, b in _article_sentences(article.text):
                if b <= hit.passage.start or a >= hit.passage.end:
                    continue
                sentence = article.text[a:b]
                cov = coverage(sentence if len(sentence) > 20 else f"{article.title} {sentence}")
                score = cov + s.rank_weight / (n + 1) + (s.type_bonus if _has_type(kind, sentence, question) else 0.0)
                scored.append((score, cov, n, (a, b)))
        best_per_hit: dict[int, tuple] = {}
        for item in sorted(scored, key=lambda x: (-x[0], x[2], x[3])):
            best_per_hit.setdefault(item[2], item)
        citations = tuple(
            Citation(hit, *best_per_hit[n][3]) if n in best_per_hit else Citation(hit, hit.passage.start, hit.passage.start)
            for n, hit in enumerate(hits)
        )
        if self._abstain(question, hits, coverage) or not scored:
            return Answer(ABSTAIN_MESSAGE, (), True)
        ranked = sorted(best_per_hit.values(), key=lambda x: (-x[0], x[2]))
        chosen = [ranked[0]]
        if len(ranked) > 1:
            first, second = ranked[0], ranked[1]
            first_text = hits[first[2]].article.text[first[3][0] : first[3][1]]
            second_text = hits[second[2]].article.text[second[3][0] : second[3][1]]
            if (second[0] >= s.second_sentence_ratio * first[0]) or (
                kind and not _has_type(kind, first_text, question) and _has_type(kind, second_text, question)
            ):
                chosen.append(second)
        parts = []
        for _, _, n, (a, b) in chosen:
            parts.append(f"{hits[n].article.text[a:b].strip()} [{n + 1}]")
        return Answer(" ".join(parts), citations, False)

    def _abstain(self, question: str, hits: list[Hit], coverage) -> bool:
        best = max(coverage(h.passage.text + " " + h.article.title) for h in hits)
        if best < self.settings.min_coverage:
            return True
        keys = key_terms(question)
        if keys:
            evidence = fold_diacritics(unify_tones(" ".join(h.article.title + " " + h.article.text for h in hits))).lower()
            if any(k not in evidence for k in keys):
                return True
        return False
