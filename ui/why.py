"""`Vì sao?`: why this answer, in words a reader follows, with the ids and channel scores in a technical fold.

Said in words: which article and sentence the answer comes from and which words of the question that sentence
shares, how the article ranked by meaning and by keywords, why an article of another year was set aside, why the
answer is partial or unsure, why the system abstained. The passage ids and raw scores stay in «Chi tiết kỹ thuật»."""

from __future__ import annotations

import re
from html import escape

from qa.answer.answerer import Answer, Citation
from qa.engine import cited_numbers
from qa.language.text import QUERY_STOPWORDS, fold_diacritics
from qa.messages import vi_date, vi_number

_WORD_RE = re.compile(r"\w+")
_TOKEN_RE = re.compile(r"\w+|[^\w\s]+")
_LEAD_CHARS = 300
_YEAR_RE = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
_MUTED_STYLE = "opacity:0.75;font-size:0.9em"
_TABLE_STYLE = "border-collapse:collapse;font-size:0.9em;margin-top:4px"
_CELL_STYLE = "border:1px solid rgba(128,128,128,0.4);padding:2px 6px;text-align:left"
# Words of a question that carry no content of their own (besides the search stopwords).
_QUESTION_WORDS = frozenset(fold_diacritics(w) for w in QUERY_STOPWORDS if "_" not in w) | {
    "ai", "gi", "nao", "dau", "sao", "bao", "nhieu", "may", "khi", "the", "la", "co", "khong", "cua", "va", "duoc",
    "da", "nhung", "cac", "ve", "cho", "biet", "hay", "trong", "o", "tai", "voi", "mot", "nay", "do", "thi"}
ABSTAIN_WHY = ("Hệ thống chỉ trả lời khi có một câu trong kho đủ gần câu hỏi. Lần này không câu nào trong các bài tìm "
               "được đủ gần, hoặc tên người, số văn bản hay năm mà câu hỏi nêu không có trong bài nào; thay vì đoán, "
               "hệ thống báo là không tìm thấy.")


def _words(text: str) -> list[str]:
    return _WORD_RE.findall(text)


def matched_phrases(question: str, sentence: str) -> tuple[list[str], list[str]]:
    """(phrases of the question found in the sentence, phrases of the question it lacks), as the question writes them;
    compared without diacritics or case, so that a question typed without accents matches too. Question words
    («ai», «gì», «của»…) join a phrase only between two words of it."""
    present = {fold_diacritics(w).lower() for w in _words(sentence)}
    runs: dict[bool, list[list[str]]] = {True: [], False: []}
    current: bool | None = None  # whether the run being read is found in the sentence
    for word in _TOKEN_RE.findall(question):
        if not word[0].isalnum():  # punctuation ends a phrase
            if current is not None:
                _trim(runs[current][-1])
            current = None
            continue
        key = fold_diacritics(word).lower()
        if key in _QUESTION_WORDS:
            if current is not None:
                runs[current][-1].append(word)
            continue
        found = key in present
        if found != current:
            if current is not None:
                _trim(runs[current][-1])
            runs[found].append([])
            current = found
        runs[found][-1].append(word)
    if current is not None:
        _trim(runs[current][-1])
    shown = {found: list(dict.fromkeys(" ".join(r) for r in phrases if r)) for found, phrases in runs.items()}
    return shown[True], shown[False]


def _trim(phrase: list[str]) -> None:
    """No trailing «của», «và», «năm nào»: a phrase ends on a content word."""
    while phrase and fold_diacritics(phrase[-1]).lower() in _QUESTION_WORDS:
        phrase.pop()


def _quoted(items: list[str]) -> str:
    return ", ".join(f"«{escape(x)}»" for x in items)


def _article_line(n: int, citation: Citation) -> str:
    article = citation.hit.article
    date = f" (đăng ngày {escape(vi_date(article.date))})" if article.date else ""
    return f"Câu trả lời lấy từ nguồn [{n}], bài «{escape(article.title)}»{date}."


def _rank_line(n: int, citation: Citation) -> str:
    hit = citation.hit
    ranks = []
    if hit.dense_rank is not None:
        ranks.append(f"thứ {hit.dense_rank} khi tìm theo nghĩa")
    if hit.bm25_rank is not None:
        ranks.append(f"thứ {hit.bm25_rank} khi tìm theo từ khóa")
    if not ranks:
        return ""
    return f"Đoạn văn của bài này đứng {' và '.join(ranks)}; sau khi gộp hai cách tìm, nó là nguồn [{n}]."


def _set_aside_lines(answer: Answer, question: str, used: set[int]) -> list[str]:
    """Sources not used whose headline is about another year than the one the question asks for."""
    asked = set(_YEAR_RE.findall(question))
    if not asked:
        return []
    lines = []
    for n, citation in enumerate(answer.citations, 1):
        article = citation.hit.article
        years = set(_YEAR_RE.findall(article.title))
        lead_years = set(_YEAR_RE.findall(article.text[:_LEAD_CHARS]))  # a cut title or a lead about the year asked: not claimed
        if n not in used and years and not (years | lead_years) & asked:
            lines.append(f"Bài [{n}] «{escape(citation.hit.article.title)}» nói về năm {', '.join(sorted(years))}, không phải "
                         f"năm {', '.join(sorted(asked))} mà câu hỏi nêu, nên không được dùng làm căn cứ.")
    return lines


def _rank(rank: int | None, score: float | None, digits: int) -> str:
    """`#rank (score)`; a score below 0 (a fused z-score) means nothing to a reader: the rank alone."""
    if rank is None:
        return "—"
    return f"#{rank}" if score is None or score < 0 else f"#{rank} ({vi_number(score, digits)})"


def technical_html(citations: tuple[Citation, ...]) -> str:
    """Per source: passage id, rank and score of each retrieval channel, final rank (— : not among its candidates)."""
    if not citations:
        return ""
    header = "".join(f'<th style="{_CELL_STYLE}">{h}</th>' for h in ("Nguồn", "Mã đoạn", "Theo nghĩa (dense): hạng (điểm)",
                                                                       "Theo từ khóa (BM25): hạng (điểm)", "Hạng cuối"))
    rows = "".join(
        "<tr>" + "".join(f'<td style="{_CELL_STYLE}">{cell}</td>' for cell in (
            f"[{n}]", escape(c.hit.passage.pid), _rank(c.hit.dense_rank, c.hit.dense_score, 4),
            _rank(c.hit.bm25_rank, c.hit.bm25_score, 3), f"#{n}")) + "</tr>"
        for n, c in enumerate(citations, 1)
    )
    return ('<details class="qa-tech"><summary>Chi tiết kỹ thuật</summary>'
            f'<div style="{_MUTED_STYLE}">Hạng và điểm của từng nguồn theo tìm kiếm ngữ nghĩa (dense) và từ khóa (BM25); '
            "— là không nằm trong các ứng viên của kênh đó.</div>"
            f'<table style="{_TABLE_STYLE}"><tr>{header}</tr>{rows}</table></details>')


def why_lines(answer: Answer, question: str) -> list[str]:
    """The explanation, one HTML sentence per line."""
    if answer.abstained:
        return [ABSTAIN_WHY]
    used = cited_numbers(answer)
    n = answer.short_source if answer.short_source and 0 < answer.short_source <= len(answer.citations) else min(used, default=None)
    lines = []
    if n is not None:
        citation = answer.citations[n - 1]
        lines.append(_article_line(n, citation))
        sentence = citation.hit.article.text[citation.sentence_start:citation.sentence_end]
        if sentence.strip():
            found, missing = matched_phrases(question, sentence + " " + citation.hit.article.title)
            if found:
                lines.append(f"Câu làm căn cứ và tiêu đề bài có các từ của câu hỏi: {_quoted(found)}.")
            if missing:
                lines.append(f"Không có trong câu đó: {_quoted(missing[:6])}.")
        rank = _rank_line(n, citation)
        if rank:
            lines.append(rank)
    if answer.partial:
        lines.append("Không bài nào tìm được nói đúng về điều câu hỏi nêu (thường là năm); câu trả lời chỉ ra bài gần nhất, "
                     "nên chỉ là câu trả lời một phần.")
    if not getattr(answer, "confident", True):
        lines.append("Điểm tin cậy của câu trả lời thấp (câu căn cứ chỉ khớp một phần câu hỏi), nên nó được ghi «chưa chắc chắn».")
    lines += _set_aside_lines(answer, question, used | ({n} if n else set()))
    return lines


def why_html(answer: Answer, question: str) -> str:
    items = "".join(f"<li>{line}</li>" for line in why_lines(answer, question))
    return (f'<details class="qa-why"><summary>Vì sao?</summary><ul style="margin:4px 0;padding-left:18px">{items}</ul>'
            f"{technical_html(answer.citations)}</details>")
