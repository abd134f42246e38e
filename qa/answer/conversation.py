"""A conversation file for `qa ask --conversation`: the questions asked before, one a line.

A line is the question itself, or a JSON object with a `question` field (as `qa ask --json` output extended
with it, or a line of a chat log); blank lines are skipped."""

from __future__ import annotations

import json
from pathlib import Path

from qa.errors import QuestionError


def read_conversation(path: Path) -> list[str]:
    """The questions of the file, in order; QuestionError (Vietnamese, naming the file and line) otherwise."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise QuestionError(f"không có tệp cuộc trò chuyện {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = "không phải UTF-8" if isinstance(exc, UnicodeDecodeError) else exc.strerror or str(exc)
        raise QuestionError(f"không đọc được tệp cuộc trò chuyện {path}: {reason}") from None
    questions = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        if line.startswith("{"):
            try:
                record = json.loads(line)
                question = record["question"]
                if not isinstance(question, str):
                    raise TypeError
            except (ValueError, KeyError, TypeError):
                raise QuestionError(f"{path}, dòng {number}: cần một câu hỏi, hoặc JSON có trường \"question\" là chuỗi") from None
            line = question.strip()
        if line:
            questions.append(line)
    return questions


def history_turns(engine, history, **options) -> list:
    """The turns (qa.answer.rewrite.Turn) of a conversation given by a program (the HTTP API's `history`): each item
    a question (asked again, in turn, as the conversation went) or an object with its `question` and what it was
    answered (`understood_as`, `short_answer`, `answer`, `sources` as `qa ask --json` gives them), taken as given."""
    from qa.answer.rewrite import Turn, turn_of
    from qa.search.question import question_type

    if history is None:
        return []
    if isinstance(history, str | dict):
        history = [history]
    if not isinstance(history, list | tuple):
        raise QuestionError("history: cần một danh sách các câu hỏi trước (chuỗi) hoặc các đối tượng có trường \"question\"")
    turns = []
    for number, item in enumerate(history, 1):
        if isinstance(item, dict) and isinstance(item.get("question"), str) and ("answer" in item or "short_answer" in item):
            sources = [s for s in item.get("sources") or [] if isinstance(s, dict)]
            cited = [s for s in sources if s.get("cited")] or sources
            understood = item.get("understood_as") or item["question"]
            turns.append(Turn(item["question"], str(understood), item.get("short_answer") or None, str(item.get("answer") or ""),
                              tuple(str(s["doc_id"]) for s in cited if s.get("doc_id"))[:3], (cited[0].get("date") if cited else None),
                              question_type(str(understood))))
            continue
        question = item.get("question") if isinstance(item, dict) else item
        if not isinstance(question, str) or not question.strip():
            raise QuestionError(f"history, mục {number}: cần một câu hỏi (chuỗi) hoặc một đối tượng có trường \"question\"")
        asked = engine.question(question, **options, history=turns)
        turns.append(turn_of(asked, engine.ask(asked)))
    return turns
