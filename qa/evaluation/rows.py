"""Rows of a question file (`qa eval --questions`), checked before anything is evaluated: each bad row is one
Vietnamese line naming its line number and id, and the field at fault. Before, a blank question at line 1,491
stopped the run after 1,490 questions, `"question": 12345` was a traceback and `"gold": "003_…"` was split into
characters."""

from __future__ import annotations

import json
from pathlib import Path

from qa.errors import QuestionError, UserError
from qa.ingest.validity import unicode_problem


class BadRow(ValueError):
    pass


def _kind(value: object) -> str:
    return {dict: "đối tượng", list: "danh sách", str: "chuỗi", bool: "giá trị đúng/sai", int: "số", float: "số",
            type(None): "null"}.get(type(value), type(value).__name__)


def check_row(line: str, number: int) -> dict:
    """The row's fields, checked; BadRow (Vietnamese, naming line and id) otherwise."""
    try:
        record = json.loads(line)
    except ValueError as exc:
        raise BadRow(f"dòng {number}: JSON không hợp lệ ở cột {getattr(exc, 'colno', '?')}") from None
    if not isinstance(record, dict):
        raise BadRow(f"dòng {number}: cần một đối tượng JSON {{\"id\", \"question\", \"gold\", \"answer\"}}, không phải {_kind(record)}")
    qid = record.get("id")
    where = f"dòng {number}" + (f" (mã {qid})" if isinstance(qid, (str, int)) and not isinstance(qid, bool) else "")

    def bad(reason: str) -> BadRow:
        return BadRow(f"{where}: {reason}")

    if not isinstance(qid, (str, int)) or isinstance(qid, bool) or not str(qid).strip():
        raise bad(f'trường "id" phải là chuỗi hoặc số, không phải {_kind(qid)}' if "id" in record else 'thiếu trường "id"')
    question = record.get("question")
    if not isinstance(question, str):
        raise bad(f'trường "question" phải là chuỗi, không phải {_kind(question)}' if "question" in record else 'thiếu trường "question"')
    if not question.strip():
        raise bad("câu hỏi trống")
    gold = record.get("gold")
    if not isinstance(gold, list) or not all(isinstance(g, str) for g in gold):
        what = _kind(gold) if not isinstance(gold, list) else "danh sách có phần tử không phải chuỗi"
        raise bad(f'trường "gold" phải là danh sách mã bài (rỗng nếu kho không trả lời được), không phải {what}'
                  if "gold" in record else 'thiếu trường "gold"')
    for name in ("answer", "previous", "twin_of"):
        if record.get(name) is not None and not isinstance(record[name], str):
            raise bad(f'trường "{name}" phải là chuỗi, không phải {_kind(record[name])}')
    for name in ("id", "question", "answer", "previous", "twin_of"):
        if isinstance(record.get(name), str) and (problem := unicode_problem(record[name])):
            raise bad(f'trường "{name}": {problem}')
    for g in gold:
        if problem := unicode_problem(g):
            raise bad(f'trường "gold": {problem}')
    return record


def askable_questions(engine, questions: list, skipped: list[str] | None, source: Path) -> list:
    """The questions the engine accepts (too long, bad characters…), checked before any is evaluated: a bad one
    stops the run naming its id, or with --skip-bad is left out (appended to `skipped`)."""
    kept = []
    for q in questions:
        try:
            engine.question(q.question)
        except QuestionError as exc:
            if skipped is None:
                raise UserError(f"{source}: câu hỏi mã {q.qid}: {exc} (thêm --skip-bad để đánh giá các câu còn lại)") from None
            skipped.append(f"mã {q.qid}: {exc}")
            continue
        kept.append(q)
    if not kept:
        raise UserError(f"{source}: không còn câu hỏi nào để đánh giá")
    return kept
