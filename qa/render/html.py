"""HTML for the chat's answers: the short answer, the one sentence it rests on, the sources folded, `Vì sao?`.

One rendering for every answer (issue 14's span and confidence included): the short answer in bold; then only
the evidence that adds to it, the supporting sentence with the short answer's span (Answer.short_start/short_end,
offsets in the cited article) marked and its citation; a line when the answer is not confident; the sources one
line each, their passage on demand; `Vì sao?` in words (qa.render.why). Written from the Answer's data alone.

Every text shown comes from untrusted input (article bodies, titles, URLs, questions): each is escaped here, and
only http(s) URLs become links. The chatbot renders these strings as sanitized HTML with Markdown off, so no
article or question can inject markup, script or Markdown links."""

from __future__ import annotations

from html import escape
from urllib.parse import urlsplit

from qa.answer.result import Answer, Citation, Span
from qa.messages import vi_date
from qa.render.plain import ABSTAIN_MESSAGE, metadata_note, partial_intro
from qa.render.why import why_html

# Inline styles: the chatbot keeps `style` through its sanitizer, and the page CSS is set at launch only.
_MUTED_STYLE = "opacity:0.75;font-size:0.9em"
_ABSTAIN_STYLE = "border:1px solid #f59e0b;background:rgba(245,158,11,0.12);padding:8px 12px;border-radius:6px"
_UNSURE_STYLE = "border-left:3px solid #f59e0b;padding:2px 10px;margin:0 0 6px"
_PARTIAL_STYLE = "border-left:3px solid #f59e0b;padding:4px 10px;margin:0 0 10px"
_SHORT_STYLE = "font-size:1.1em;margin:0 0 6px"
_EVIDENCE_STYLE = "border-left:3px solid #3b82f6;padding:2px 10px;margin:0 0 10px"
_SOURCE_STYLE = "margin:2px 0"
_SUMMARY_STYLE = "cursor:pointer;white-space:nowrap;overflow:hidden;text-overflow:ellipsis"
_PASSAGE_STYLE = "border-left:3px solid rgba(128,128,128,0.5);padding:4px 10px;margin:4px 0 8px"
_SNIPPET_CHARS = 140
ABSTAIN_TITLE = "Không tìm thấy câu trả lời"
ABSTAIN_HINT = ("Hệ thống không đưa ra câu trả lời khi kho bài viết không có đủ căn cứ. "
                "Hãy hỏi cụ thể hơn, đổi chế độ tìm kiếm hoặc khoảng ngày.")
UNSURE_LINE = "Chưa chắc chắn: căn cứ tìm được còn yếu, hãy đọc câu trích dẫn trước khi dùng câu trả lời này."


def text_html(text: str) -> str:
    """Plain text as HTML: escaped, line breaks kept."""
    return escape(text).replace("\n", "<br>")


def safe_url(url: str | None) -> str | None:
    """The URL when it is an absolute http(s) URL without spaces or control characters; else None."""
    if not url or any(ch.isspace() or ord(ch) < 32 for ch in url):
        return None
    parts = urlsplit(url)
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def link_html(text: str, url: str | None) -> str:
    href = safe_url(url)
    if href is None:
        return escape(text)
    return f'<a href="{escape(href, quote=True)}" target="_blank" rel="noopener noreferrer">{escape(text)}</a>'


def marked(text: str, start: int, mark_start: int | None, mark_end: int | None) -> str:
    """`text` (which starts at offset `start` of its article) with article[mark_start:mark_end] in <mark>, clipped."""
    if mark_start is None or mark_end is None:
        return text_html(text)
    a, b = max(mark_start - start, 0), min(mark_end - start, len(text))
    if b <= a:
        return text_html(text)
    return text_html(text[:a]) + "<mark>" + text_html(text[a:b]) + "</mark>" + text_html(text[b:])


def highlighted_passage(passage_text: str, start: int, sentence_start: int, sentence_end: int) -> str:
    """The passage with its supporting sentence in <mark>: offsets are in the article, clipped to the passage."""
    return marked(passage_text, start, sentence_start, sentence_end)


def question_html(question: str) -> str:
    return text_html(question)


def cite_html(n: int) -> str:
    return f"<strong>[{n}]</strong>"


def spans_html(spans: tuple[Span, ...]) -> str:
    """Evidence sentences, each with its [n] from the data: a "[3]" an article writes stays plain text."""
    return " ".join(f"{text_html(s.text.strip())} {cite_html(s.source)}" for s in spans)


def _sentence(citation: Citation) -> str:
    return citation.hit.article.text[citation.sentence_start:citation.sentence_end].strip()


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _SNIPPET_CHARS else text[:_SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"


def _source_line(n: int, citation: Citation, cited: bool, with_sentence: bool) -> str:
    """One source on one line (number, title, date, its sentence); the passage and the link to the article on demand.
    A source the answer does not cite shows no sentence and no mark: no photo caption looks like evidence."""
    hit = citation.hit
    article, passage = hit.article, hit.passage
    head = [f"<strong>[{n}]</strong> {escape(article.title)}"]
    if article.date:
        head.append(f'<span style="{_MUTED_STYLE}">{escape(vi_date(article.date))}</span>')
    if cited and with_sentence and citation.sentence_end > citation.sentence_start:
        head.append(f"<em>«{escape(_snippet(_sentence(citation)))}»</em>")
    body = (highlighted_passage(passage.text, passage.start, citation.sentence_start, citation.sentence_end) if cited
            else text_html(passage.text))
    link = link_html("Mở bài gốc ↗", article.url) if safe_url(article.url) else ""
    return (
        f'<details class="{"qa-source" if cited else "qa-source-other"}" style="{_SOURCE_STYLE}">'
        f'<summary style="{_SUMMARY_STYLE}">{" · ".join(head)}</summary>'
        f'<div class="qa-passage" style="{_PASSAGE_STYLE}">{body}{"<br>" + link if link else ""}</div></details>'
    )


def abstention_html(answer: Answer) -> str:
    return (
        f'<div role="status" class="qa-abstained" style="{_ABSTAIN_STYLE}"><strong>⚠ {ABSTAIN_TITLE}</strong><br>'
        f"{text_html(ABSTAIN_MESSAGE)}<br><span style=\"{_MUTED_STYLE}\">{ABSTAIN_HINT}</span></div>"
    )


def _evidence_source(answer: Answer) -> int | None:
    """n of the citation whose supporting sentence holds the short answer's span, when the span is known."""
    n = answer.short_source
    if answer.short_answer is None or n is None or not 0 < n <= len(answer.citations) or answer.short_start is None:
        return None
    return n


def answer_html(answer: Answer, asked_as: str | None = None, question: str | None = None) -> str:
    """An answer message, top to bottom: how the question was understood (when it was restored or completed), a
    low-confidence line, the short answer in bold, the supporting sentence with the short answer marked and [n],
    the cited sources one line each, the other sources folded, `Vì sao?`.

    `asked_as`: the question as retrieved when it differs from what was typed (a follow-up); the answer's own
    `understood_as` (diacritics restored) wins, since it is what was actually searched. `question`: as typed."""
    parts = []
    understood = answer.understood_as or asked_as
    if understood:
        parts.append(f'<div style="{_MUTED_STYLE}">Hiểu câu hỏi là: <em>{text_html(understood)}</em></div>')
    searched = understood or question or ""
    if answer.abstained:
        return "".join(parts) + abstention_html(answer) + why_html(answer, searched)
    if not answer.confident:
        parts.append(f'<div class="qa-unsure" role="note" style="{_UNSURE_STYLE}">⚠ {UNSURE_LINE}</div>')
    evidence_n = _evidence_source(answer)
    shown_text = " ".join(x.text for x in answer.evidence)  # the sentences shown above the sources
    if answer.partial is not None:
        body = text_html(partial_intro(answer)) + spans_html(answer.evidence)
        parts.append(f'<p class="qa-partial" style="{_PARTIAL_STYLE}">{body}</p>')
    elif answer.short is not None:
        # Not confident: said once, by the note above (no "(chưa chắc chắn)" after the bold answer as well).
        parts.append(f'<p class="qa-short" style="{_SHORT_STYLE}"><strong>{escape(answer.short.shown)}</strong></p>')
        if evidence_n is not None:
            c = answer.citations[evidence_n - 1]
            sentence = c.hit.article.text[c.sentence_start:c.sentence_end]
            body = marked(sentence, c.sentence_start, answer.short_start, answer.short_end)
            parts.append(f'<p class="qa-evidence" style="{_EVIDENCE_STYLE}">{body} {cite_html(evidence_n)}</p>')
            shown_text = sentence
        else:  # metadata (a byline, a publication date): what it is, and the sentences shown with it
            note = metadata_note(answer)
            body = " ".join(x for x in (text_html(note) if note else "", spans_html(answer.evidence)) if x)
            if body:
                parts.append(f'<p class="qa-evidence" style="{_EVIDENCE_STYLE}">{body}</p>')
    else:  # no short answer: the sentence is the answer
        parts.append(f'<p class="qa-evidence" style="{_EVIDENCE_STYLE}">{spans_html(answer.evidence)}</p>')
    cited = set(answer.cited)
    if evidence_n is not None:
        cited.add(evidence_n)
    if cited:
        parts.append('<div class="qa-sources"><strong>Nguồn</strong>')
        # A source's line shows its sentence unless the answer above already does (evidence, partial answer, no short answer).
        parts += [_source_line(n, answer.citations[n - 1], True,
                               with_sentence=n != evidence_n and _sentence(answer.citations[n - 1]) not in shown_text)
                  for n in sorted(cited)]
        parts.append("</div>")
    others = [n for n in range(1, len(answer.citations) + 1) if n not in cited]
    if others:
        lines = "".join(_source_line(n, answer.citations[n - 1], False, with_sentence=False) for n in others)
        parts.append(f'<details class="qa-others"><summary style="{_MUTED_STYLE};cursor:pointer">Nguồn khác ({len(others)})</summary>'
                     f"{lines}</details>")
    parts.append(why_html(answer, searched))
    return "".join(parts)
