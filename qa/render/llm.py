"""The generated answer (qa.llm.generate.Generated) on every screen: kept sentences with their [n], a line for
what was dropped, the note when too little survived, the one line when the server could not be used."""

from __future__ import annotations

from html import escape

from qa.llm.generate import OK, SKIPPED, TOO_LITTLE, UNAVAILABLE, Generated
from qa.llm.verify import BAD_SOURCE, FACT, UNCITED, UNSUPPORTED, Checked

HEADING = "Câu trả lời do mô hình ngôn ngữ viết (từng câu đã được đối chiếu với nguồn nó dẫn):"
WRITING = "Mô hình ngôn ngữ đang viết câu trả lời (chưa kiểm tra; câu nào không có căn cứ sẽ bị bỏ)…"
_REASONS = {UNCITED: "không dẫn nguồn", BAD_SOURCE: "dẫn một nguồn không có", UNSUPPORTED: "nội dung không có trong nguồn nó dẫn",
            FACT: "có chi tiết không có trong nguồn nó dẫn"}
_BOX_STYLE = "border-left:3px solid #10b981;padding:2px 10px;margin:0 0 10px"
_NOTE_STYLE = "opacity:0.75;font-size:0.9em;margin:0 0 8px"


def _sentence(s: Checked) -> str:
    return s.text + (" " + "".join(f"[{n}]" for n in s.sources) if s.sources else "")


def dropped_line(generated: Generated) -> str:
    """`Đã bỏ 2 câu mô hình viết: 1 câu không dẫn nguồn, 1 câu có chi tiết («2019») không có trong nguồn nó dẫn.`"""
    dropped = generated.dropped
    if not dropped:
        return ""
    counts: dict[str, int] = {}
    for s in dropped:
        counts[s.reason] = counts.get(s.reason, 0) + 1
    parts = []
    for reason, count in counts.items():
        missing = [m for s in dropped if s.reason == reason for m in s.missing][:3]
        detail = f" («{'», «'.join(missing)}»)" if missing else ""
        parts.append(f"{count} câu {_REASONS.get(reason, reason)}{detail}")
    return f"Đã bỏ {len(dropped)} câu mô hình viết: {', '.join(parts)}."


def note(generated: Generated) -> str:
    """The line shown with the extractive answer when the generated one is not shown."""
    if generated.status == UNAVAILABLE:
        return f"{generated.message}; dưới đây là câu trả lời trích từ bài."
    if generated.status == TOO_LITTLE:
        return ("Câu trả lời do mô hình ngôn ngữ viết không đủ căn cứ trong các nguồn nên không được hiển thị; "
                "dưới đây là câu trả lời trích từ bài.")
    return ""


def generated_text(generated: Generated | None) -> str:
    """Plain text, printed above the extractive answer (`qa ask --llm`); '' when none was asked for."""
    if generated is None or generated.status == SKIPPED:
        return ""
    if generated.status != OK:
        return note(generated)
    lines = [HEADING, " ".join(_sentence(s) for s in generated.kept)]
    dropped = dropped_line(generated)
    return "\n".join(lines + ([dropped] if dropped else []))


def generated_html(generated: Generated | None) -> str:
    if generated is None or generated.status == SKIPPED:
        return ""
    if generated.status != OK:
        return f'<div class="qa-llm-note" role="note" style="{_NOTE_STYLE}">{escape(note(generated))}</div>'
    body = " ".join(f"{escape(s.text)} " + "".join(f"<strong>[{n}]</strong>" for n in s.sources) for s in generated.kept)
    dropped = dropped_line(generated)
    extra = f'<div class="qa-llm-dropped" style="{_NOTE_STYLE}">{escape(dropped)}</div>' if dropped else ""
    return (f'<div class="qa-llm" style="{_BOX_STYLE}"><div style="{_NOTE_STYLE}">{escape(HEADING)}</div><p>{body}</p></div>'
            + extra)


def writing_html(text: str) -> str:
    """What the chat shows while the model writes: the text so far, marked as not yet checked."""
    return (f'<div class="qa-llm-writing" style="{_BOX_STYLE}"><div style="{_NOTE_STYLE}">{escape(WRITING)}</div>'
            f"<p>{escape(text)}</p></div>")


def generated_dict(generated: Generated | None) -> dict | None:
    """The `llm` field of the JSON answer."""
    if generated is None:
        return None
    return {"status": generated.status, "model": generated.model, "message": note(generated) or None,
            "text": " ".join(_sentence(s) for s in generated.kept) if generated.status == OK else None,
            "seconds": round(generated.seconds, 3),
            "sentences": [{"text": s.text, "sources": list(s.sources), "kept": s.kept, "reason": s.reason,
                           "missing": list(s.missing), "support": round(s.support, 3)} for s in generated.sentences]}
