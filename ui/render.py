"""HTML for the chat: answers, sources, `Vì sao?`, index status.

Every text shown comes from untrusted input (article bodies, titles, URLs,
questions): each is escaped here, and only http(s) URLs become links. The
chatbot renders these strings as sanitized HTML with Markdown off, so no
article or question can inject markup, script or Markdown links."""

from __future__ import annotations

import re
from html import escape
from urllib.parse import urlsplit

from qa.answer.answerer import Answer, Citation
from qa.engine import cited_numbers
from qa.search.retrieve import Hit

_CITATION_RE = re.compile(r"\[(\d+)\]")
# Inline styles: the chatbot keeps `style` through its sanitizer, and the page CSS is set at launch only.
_SOURCE_STYLE = "border-left:3px solid #3b82f6;padding:4px 10px;margin:8px 0"
_UNCITED_SOURCE_STYLE = "border-left:3px solid rgba(128,128,128,0.5);padding:4px 10px;margin:8px 0;opacity:0.8"
_MUTED_STYLE = "opacity:0.75;font-size:0.9em"
_ABSTAIN_STYLE = "border:1px solid #f59e0b;background:rgba(245,158,11,0.12);padding:8px 12px;border-radius:6px"
_PARTIAL_STYLE = "border-left:3px solid #f59e0b;padding:4px 10px;margin:0 0 10px"
_SHORT_STYLE = "font-size:1.1em;margin:0 0 6px"
_TABLE_STYLE = "border-collapse:collapse;font-size:0.9em;margin-top:4px"
_CELL_STYLE = "border:1px solid rgba(128,128,128,0.4);padding:2px 6px;text-align:left"
ABSTAIN_TITLE = "Không tìm thấy câu trả lời"
ABSTAIN_HINT = ("Hệ thống không đưa ra câu trả lời khi kho bài viết không có đủ căn cứ. "
                "Hãy hỏi cụ thể hơn, đổi chế độ tìm kiếm hoặc khoảng ngày.")


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


def highlighted_passage(passage_text: str, start: int, sentence_start: int, sentence_end: int) -> str:
    """The passage with its supporting sentence in <mark>: offsets are in the article, clipped to the passage."""
    a = max(sentence_start - start, 0)
    b = min(sentence_end - start, len(passage_text))
    if b <= a:
        return text_html(passage_text)
    return text_html(passage_text[:a]) + "<mark>" + text_html(passage_text[a:b]) + "</mark>" + text_html(passage_text[b:])


def question_html(question: str) -> str:
    return text_html(question)


def _answer_text_html(text: str) -> str:
    return _CITATION_RE.sub(r"<strong>[\1]</strong>", text_html(text))


def _source_html(n: int, citation: Citation, cited: bool) -> str:
    """A source card. A cited one shows its supporting sentence marked; one the answer does not cite is
    drawn fainter and unmarked, so that no unrelated sentence (a photo caption) looks like evidence."""
    hit = citation.hit
    article, passage = hit.article, hit.passage
    meta = [escape(x) for x in (article.date, passage.doc_id) if x]
    body = (highlighted_passage(passage.text, passage.start, citation.sentence_start, citation.sentence_end) if cited
            else text_html(passage.text))
    return (
        f'<div class="{"qa-source" if cited else "qa-source-other"}" style="{_SOURCE_STYLE if cited else _UNCITED_SOURCE_STYLE}">'
        f"<div><strong>[{n}]</strong> {link_html(article.title, article.url)} "
        f'<span style="{_MUTED_STYLE}">· {" · ".join(meta)}</span></div>'
        f"<div>{body}</div>"
        "</div>"
    )


def _rank(rank: int | None, score: float | None, digits: int) -> str:
    """`#rank (score)`; a score below 0 (a fused z-score) means nothing to a reader: the rank alone."""
    if rank is None:
        return "—"
    return f"#{rank}" if score is None or score < 0 else f"#{rank} ({score:.{digits}f})"


def _why_row(n: int, hit: Hit) -> str:
    cells = [f"[{n}] {escape(hit.passage.pid)}", _rank(hit.dense_rank, hit.dense_score, 4),
             _rank(hit.bm25_rank, hit.bm25_score, 3), f"#{n}"]
    return "<tr>" + "".join(f'<td style="{_CELL_STYLE}">{c}</td>' for c in cells) + "</tr>"


def why_html(citations: tuple[Citation, ...]) -> str:
    """Collapsed per-source ranks and scores of each retrieval channel (— : not among that channel's candidates)."""
    header = "".join(f'<th style="{_CELL_STYLE}">{h}</th>' for h in ("Nguồn", "Dense: hạng (điểm)", "BM25: hạng (điểm)",
                                                                       "Cuối cùng: hạng"))
    rows = "".join(_why_row(n, c.hit) for n, c in enumerate(citations, 1))
    return (
        '<details><summary>Vì sao?</summary>'
        f'<div style="{_MUTED_STYLE}">Hạng và điểm của từng nguồn theo tìm kiếm ngữ nghĩa (dense), từ khóa (BM25) '
        "và xếp hạng cuối cùng của chế độ đã chọn; — là không nằm trong các ứng viên của kênh đó.</div>"
        f'<table style="{_TABLE_STYLE}"><tr>{header}</tr>{rows}</table></details>'
    )


def abstention_html(answer: Answer) -> str:
    return (
        f'<div role="status" class="qa-abstained" style="{_ABSTAIN_STYLE}"><strong>⚠ {ABSTAIN_TITLE}</strong><br>'
        f"{text_html(answer.text)}<br><span style=\"{_MUTED_STYLE}\">{ABSTAIN_HINT}</span></div>"
    )


UNSURE_NOTICE = "Chưa chắc chắn: hệ thống không tự tin vào câu trả lời ngắn này, hãy đọc câu trích dẫn và nguồn bên dưới."


def _short_span_text(answer: Answer) -> str | None:
    """The short answer as the article writes it (offsets into the cited article), when it is body text."""
    if answer.short_start is None or answer.short_source is None or answer.short_source > len(answer.citations):
        return None
    return answer.citations[answer.short_source - 1].hit.article.text[answer.short_start:answer.short_end]


def answer_html(answer: Answer, asked_as: str | None = None) -> str:
    """An answer message: the short answer in bold, the supporting sentence(s) with [n] markers, the cited
    sources with the supporting sentence marked, the other sources ("Nguồn khác") unmarked, `Vì sao?`.

    `asked_as`: the question as retrieved when it differs from what was typed (a follow-up); the
    answer's own `understood_as` (diacritics restored) wins, since it is what was actually searched."""
    parts = []
    understood = answer.understood_as or asked_as
    if understood:
        parts.append(f'<div style="{_MUTED_STYLE}">Hiểu câu hỏi là: <em>{text_html(understood)}</em></div>')
    if answer.abstained:
        return "".join(parts) + abstention_html(answer)
    text = answer.text
    if answer.short_answer and text.startswith(answer.short_answer):
        first, _, text = text.partition("\n")
        parts.append(f'<p class="qa-short" style="{_SHORT_STYLE}"><strong>{_answer_text_html(first)}</strong></p>')
    if not answer.confident and not answer.partial:
        parts.append(f'<div class="qa-unsure" style="{_MUTED_STYLE}">{UNSURE_NOTICE}</div>')
    style = _PARTIAL_STYLE if answer.partial else "margin:0 0 10px"
    evidence = _answer_text_html(text)
    span = _short_span_text(answer)
    if span and not answer.partial:  # the short answer highlighted where it stands in the supporting sentence
        shown = text_html(span)
        evidence = evidence.replace(shown, f'<mark class="qa-span">{shown}</mark>', 1)
    parts.append(f'<p class="{"qa-partial" if answer.partial else "qa-evidence"}" style="{style}">{evidence}</p>')
    cited = cited_numbers(answer)
    if cited:
        parts.append("<div><strong>Nguồn</strong></div>")
        parts += [_source_html(n, answer.citations[n - 1], True) for n in sorted(cited)]
    others = [n for n in range(1, len(answer.citations) + 1) if n not in cited]
    if others:
        parts.append(f'<div style="{_MUTED_STYLE}"><strong>Nguồn khác</strong></div>')
        parts += [_source_html(n, answer.citations[n - 1], False) for n in others]
    parts.append(why_html(answer.citations))
    return "".join(parts)


def status_html(status: dict) -> str:
    """Engine.status() as a table."""
    labels = (("articles", "Số bài viết"), ("passages", "Số đoạn"), ("embedder", "Mô hình nhúng"), ("dim", "Số chiều"),
              ("built_at", "Lần cập nhật cuối"), ("index", "Chỉ mục"), ("corpus_dirs", "Thư mục bài viết"),
              ("chunking", "Cắt đoạn"))
    status = dict(status)
    chunking = status.get("chunking")
    if isinstance(chunking, dict) and {"chunk_size", "chunk_overlap"} <= set(chunking):
        status["chunking"] = f"đoạn {chunking['chunk_size']} ký tự, hai đoạn liền nhau chung {chunking['chunk_overlap']} ký tự"
    rows = "".join(
        f'<tr><th style="{_CELL_STYLE}">{label}</th><td style="{_CELL_STYLE}">{escape(_plain(status.get(key)))}</td></tr>'
        for key, label in labels
    )
    return f'<table style="{_TABLE_STYLE}">{rows}</table>'


def _plain(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    return "" if value is None else str(value)
