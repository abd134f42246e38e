"""👍/👎 on answers, appended to a JSONL log (settings.feedback_log) for later evaluation."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path

from qa.answer.result import Answer
from qa.render.plain import answer_text

_WRITE_LOCK = threading.Lock()  # one line per write, never interleaved between sessions


def feedback_record(question: str, asked_as: str, answer: Answer) -> dict:
    """What a vote on this answer is logged with."""
    sources = [{"pid": c.hit.passage.pid, "doc_id": c.hit.passage.doc_id, "title": c.hit.article.title,
                "score": round(c.hit.score, 6)} for c in answer.citations]
    return {"question": question, "asked_as": asked_as, "answer": answer_text(answer), "abstained": answer.abstained, "sources": sources}


def record_feedback(log: Path, record: dict, vote: str) -> dict:
    """Append `record` with its `vote` ("up" or "down") and the time; returns the line written."""
    line = {"time": datetime.now(UTC).isoformat(timespec="seconds"), "vote": vote, **record}
    log.parent.mkdir(parents=True, exist_ok=True)
    with _WRITE_LOCK, open(log, "a", encoding="utf-8") as f:
        f.write(json.dumps(line, ensure_ascii=False) + "\n")
    return line
