"""The answer as plain text: the answer line(s) with their [n] markers, and the CLI's page with its sources.

Written from the `Answer`'s data alone: a marker [n] is put after each span from its `source`, so an article
sentence that itself holds "[3]" is printed as the article wrote it and never counts as a citation."""

from __future__ import annotations

from qa.answer.result import BYLINE, NO_SHORT_ANSWER, PUBLISHED, Answer, Span

ABSTAIN_MESSAGE = "Không tìm thấy thông tin trong kho bài viết."
UNSURE = "chưa chắc chắn"


def cite(n: int) -> str:
    return f"[{n}]"


def span_line(span: Span, markers: bool = True) -> str:
    """One evidence sentence with its marker."""
    return f"{span.text.strip()} {cite(span.source)}" if markers else span.text.strip()


def evidence_text(answer: Answer, markers: bool = True) -> str:
    return " ".join(span_line(s, markers) for s in answer.evidence)


def partial_intro(answer: Answer) -> str:
    """`Kho không có bài về … năm 2019. Gần nhất: năm 2023 — `: what the corpus lacks and what is shown instead."""
    p = answer.partial
    near = f"Gần nhất: năm {p.nearest_year} — " if p.nearest_year else "Gần nhất: "
    return f"Kho không có bài về {p.topic}. {near}"


def metadata_note(answer: Answer) -> str:
    """What a short answer taken from an article's metadata is (its byline, its publication date)."""
    short = answer.short
    title = answer.citations[short.source - 1].hit.article.title
    if short.basis == BYLINE:
        return f"Tác giả bài «{title}»."
    if short.basis == PUBLISHED:
        return f"Bài «{title}» đăng ngày {short.shown}."
    return ""


def short_line(answer: Answer, markers: bool = True) -> str:
    """The short answer with its marker, and `(chưa chắc chắn)` when it is not confident."""
    short = answer.short
    return short.shown + (f" {cite(short.source)}" if markers else "") + ("" if answer.confident else f" ({UNSURE})")


def answer_text(answer: Answer, markers: bool = True) -> str:
    """The answer as one string: the short answer first (when there is one), then its evidence with [n]
    markers (`markers=False`: without them); [n] is answer.citations[n-1]. What `qa eval` matches gold answers
    against."""
    if answer.abstained:
        return ABSTAIN_MESSAGE
    evidence = evidence_text(answer, markers)
    if answer.partial is not None:
        return partial_intro(answer) + evidence
    if answer.short is None:
        return f"({UNSURE.capitalize()}) {evidence}" if answer.reason == NO_SHORT_ANSWER else evidence
    if answer.short.basis != "text":
        rest = " ".join(x for x in (metadata_note(answer), evidence) if x)
        return f"{short_line(answer, markers)}\n{rest}"
    return f"{short_line(answer, markers)}\n{evidence}"


def marked_snippet(passage_text: str, start: int, sentence_start: int, sentence_end: int, left: str = "«", right: str = "»") -> str:
    """The passage with its supporting sentence (clipped to the passage) between markers."""
    a = max(sentence_start - start, 0)
    b = min(sentence_end - start, len(passage_text))
    if b <= a:
        return passage_text
    return passage_text[:a] + left + passage_text[a:b] + right + passage_text[b:]


def cli_text(answer: Answer) -> str:
    """`qa ask`'s page: how the question was understood, the answer with its [n] markers, then the sources it
    cites (supporting sentence between « »), then the other sources retrieved ("Nguồn khác", unmarked).
    Ranks, never raw scores; an abstention lists no sources."""
    lines = [f"Hiểu câu hỏi là: {answer.understood_as}", ""] if answer.understood_as else []
    lines.append(answer_text(answer))
    if answer.abstained:
        return "\n".join(lines)
    cited = set(answer.cited)
    others = [n for n in range(1, len(answer.citations) + 1) if n not in cited]
    for title, numbers in (("Nguồn:", sorted(cited)), ("Nguồn khác:", others)):
        if not numbers:
            continue
        lines += ["", title]
        for n in numbers:
            c = answer.citations[n - 1]
            a, p = c.hit.article, c.hit.passage
            meta = " · ".join(x for x in (a.date, a.url) if x)
            lines.append(f"[{n}] {a.title} ({p.doc_id}){' — ' + meta if meta else ''}")
            snippet = marked_snippet(p.text, p.start, c.sentence_start, c.sentence_end) if n in cited else p.text
            lines.append("    " + snippet.replace("\n", " "))
    return "\n".join(lines)
