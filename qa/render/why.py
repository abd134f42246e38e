"""`Vì sao?`: why this answer, in words a reader follows, with the ids and channel scores in a technical fold.

Said in words: which article and sentence the answer comes from and which words of the question that sentence
shares, how the article ranked by meaning and by keywords, which retrieved articles the question's constraints
set aside and why (the verdicts retrieval and the answerer actually applied, `Citation.verdict`), why the answer
is partial or unsure (from the confidence's parts), why the system abstained (`Answer.reason`). Nothing here
re-derives a verdict or a score. The passage ids and raw scores stay in «Chi tiết kỹ thuật»."""

from __future__ import annotations

import re
from html import escape

from qa.answer.result import CONSTRAINTS, NO_HITS, TOO_FAR, Answer, Citation
from qa.language.text import QUESTION_WORDS, fold_diacritics
from qa.messages import vi_date, vi_number
from qa.search.constraints import ABSENT, CONFLICT

_WORD_RE = re.compile(r"\w+")
_TOKEN_RE = re.compile(r"\w+|[^\w\s]+")
_MUTED_STYLE = "opacity:0.75;font-size:0.9em"
_TABLE_STYLE = "border-collapse:collapse;font-size:0.9em;margin-top:4px"
_CELL_STYLE = "border:1px solid rgba(128,128,128,0.4);padding:2px 6px;text-align:left"
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
        if key in QUESTION_WORDS:
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
    while phrase and fold_diacritics(phrase[-1]).lower() in QUESTION_WORDS:
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


_KIND_WORDS = {"year": "năm", "document": "văn bản", "date": "ngày", "name": "tên", "number": "con số"}


def _failed(citation: Citation) -> list[str]:
    """What set this article aside, from its verdict: each constraint it failed, in words."""
    verdict = citation.verdict
    if verdict is None or verdict.complete:
        return []
    reasons = []
    for constraint, level in verdict.levels:
        if constraint.kind == "number" or level not in (ABSENT, CONFLICT):
            continue  # a bare number only ranks (Verdict.complete)
        what = f"{_KIND_WORDS.get(constraint.kind, constraint.kind)} «{escape(constraint.text)}»"
        if level == CONFLICT and verdict.conflict_years:
            reasons.append(f"bài nói về năm {', '.join(map(escape, verdict.conflict_years))}, không phải {what} mà câu hỏi nêu")
        else:
            reasons.append(f"bài không nói đến {what} mà câu hỏi nêu")
    return reasons


def _set_aside_lines(answer: Answer) -> list[str]:
    """Retrieved articles that the question's constraints excluded, with exactly the verdicts that excluded them."""
    lines = []
    for n, citation in enumerate(answer.citations, 1):
        reasons = _failed(citation)
        if reasons:
            lines.append(f"Bài [{n}] «{escape(citation.hit.article.title)}» không được dùng làm căn cứ: {'; '.join(reasons)}.")
    return lines


def _abstain_lines(answer: Answer) -> list[str]:
    """Why there is no answer, from the reason the answerer gave and the figures it compared."""
    parts = answer.confidence_parts
    if answer.reason == NO_HITS:
        return ["Tìm kiếm không trả về bài nào cho câu hỏi này (hoặc cho khoảng ngày đã chọn)."]
    if answer.reason == TOO_FAR and "best_similarity" in parts:
        return [ABSTAIN_WHY, f"Câu gần nhất giống câu hỏi ở mức {vi_number(parts['best_similarity'], 3)} theo nghĩa; đoạn văn "
                             f"khớp nhiều nhất chứa {vi_number(100 * parts['best_coverage'], 0)}% từ khóa của câu hỏi."]
    if answer.reason == CONSTRAINTS:
        return ["Không bài nào tìm được thỏa điều câu hỏi nêu (năm, số văn bản hay tên), nên hệ thống không trả lời.",
                *_set_aside_lines(answer)]
    return [ABSTAIN_WHY]


def _rank(rank: int | None, score: float | None, digits: int) -> str:
    """`#rank (score)`; a score below 0 (a fused z-score) means nothing to a reader: the rank alone."""
    if rank is None:
        return "—"
    return f"#{rank}" if score is None or score < 0 else f"#{rank} ({vi_number(score, digits)})"


def technical_html(citations: tuple[Citation, ...]) -> str:
    """Per source: passage id, rank and score of each retrieval channel, final rank (— : not among its candidates)."""
    if not citations:
        return ""
    header = "".join(f'<th style="{_CELL_STYLE}">{h}</th>' for h in ("Số", "Mã đoạn", "Theo nghĩa: hạng (điểm)",
                                                                       "Theo từ khóa: hạng (điểm)", "Hạng cuối"))
    rows = "".join(
        "<tr>" + "".join(f'<td style="{_CELL_STYLE}">{cell}</td>' for cell in (
            f"[{n}]", escape(c.hit.passage.pid), _rank(c.hit.dense_rank, c.hit.dense_score, 4),
            _rank(c.hit.bm25_rank, c.hit.bm25_score, 3), f"#{n}")) + "</tr>"
        for n, c in enumerate(citations, 1)
    )
    return ('<details class="qa-tech"><summary>Chi tiết kỹ thuật</summary>'
            f'<div style="{_MUTED_STYLE}">Hạng và điểm của từng bài tìm được theo tìm kiếm ngữ nghĩa và từ khóa; '
            "— là không nằm trong các ứng viên của kênh đó.</div>"
            f'<table style="{_TABLE_STYLE}"><tr>{header}</tr>{rows}</table></details>')


def why_lines(answer: Answer, question: str) -> list[str]:
    """The explanation, one HTML sentence per line."""
    if answer.abstained:
        return _abstain_lines(answer)
    used = answer.cited
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
    if answer.partial is not None:
        lines.append(f"Không bài nào tìm được nói đúng về năm {escape(answer.partial.missing_year)} mà câu hỏi nêu; câu trả lời "
                     "chỉ ra bài gần nhất, nên chỉ là câu trả lời một phần.")
    if not answer.confident and answer.partial is None:
        lines.append(_unsure_line(answer))
    return lines + _set_aside_lines(answer)


def _unsure_line(answer: Answer) -> str:
    """Why «chưa chắc chắn», with the figures the confidence was computed from."""
    parts = answer.confidence_parts
    if "reader" not in parts:
        return "Không tìm được câu trả lời ngắn trong các câu căn cứ, nên câu trả lời được ghi «chưa chắc chắn»."
    line = (f"Điểm tin cậy của câu trả lời ngắn là {vi_number(answer.confidence, 2)}, dưới ngưỡng "
            f"{vi_number(parts.get('confident_at', 0.5), 2)}")
    if parts.get("weak_evidence"):
        line += " (căn cứ tìm được yếu: câu căn cứ chỉ khớp một phần câu hỏi, nên điểm bị giảm)"
    return line + ", nên nó được ghi «chưa chắc chắn»."


def why_html(answer: Answer, question: str) -> str:
    items = "".join(f"<li>{line}</li>" for line in why_lines(answer, question))
    return (f'<details class="qa-why"><summary>Vì sao?</summary><ul style="margin:4px 0;padding-left:18px">{items}</ul>'
            f"{technical_html(answer.citations)}</details>")
