"""The messages sent to the model: Vietnamese instructions, the numbered passages (numbered as the answer's
sources, so [n] means the same thing to the model, the verifier and the reader), the question with its
follow-up context, and the extractive short answer found by the span reader."""

from __future__ import annotations

from qa.answer.result import Answer

SYSTEM = (
    "Bạn là trợ lý trả lời câu hỏi bằng tiếng Việt, chỉ dựa trên các đoạn trích được đánh số bên dưới. "
    "Quy tắc: (1) Mỗi câu bạn viết phải kết thúc bằng số của đoạn làm căn cứ trong ngoặc vuông, ví dụ [1] hoặc [2]. "
    "(2) Chỉ dùng tên người, số, ngày tháng và trích dẫn có đúng trong đoạn được dẫn; không thêm gì từ hiểu biết riêng. "
    "(3) Nếu các đoạn trích không đủ để trả lời, hãy viết đúng một câu: «Các nguồn không đủ để trả lời.» "
    "(4) Trả lời ngắn gọn, tối đa ba câu."
)


def passages(answer: Answer) -> list[tuple[int, str]]:
    """(n, text) of each source: its title, date and passage, as the verifier reads it too."""
    out = []
    for n, c in enumerate(answer.citations, 1):
        a = c.hit.article
        head = a.title + (f" ({a.date})" if a.date else "")
        out.append((n, f"{head}\n{c.hit.passage.text}"))
    return out


def source_text(answer: Answer, n: int) -> str:
    """What citing [n] claims support from: the passage as given to the model."""
    return dict(passages(answer)).get(n, "")


def messages(answer: Answer, question: str) -> list[dict]:
    """The chat messages for `question` (as retrieved: with its follow-up context) over `answer`'s sources."""
    numbered = "\n\n".join(f"[{n}] {text}" for n, text in passages(answer))
    lines = [f"Các đoạn trích:\n\n{numbered}", f"Câu hỏi: {question}"]
    if answer.short is not None:
        lines.append(f"Câu trả lời ngắn trích được từ nguồn [{answer.short.source}]: {answer.short.shown}")
    lines.append("Hãy trả lời câu hỏi, mỗi câu kèm số nguồn [n].")
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "\n\n".join(lines)}]
