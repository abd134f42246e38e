"""One question's generated answer: asked only when retrieval and the answerer let it (not for an abstention nor
a partial answer, whose year the corpus lacks), streamed, then checked sentence by sentence.

The result is data (`Generated`); `qa.render` shows it above the extractive answer, or shows the extractive answer
with one line saying why the generated one is not there."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from qa.answer.result import Answer
from qa.llm.client import LLMUnavailable, api_key, stream_chat
from qa.llm.prompt import messages, passages
from qa.llm.verify import Checked, verify
from qa.settings import Settings

log = logging.getLogger(__name__)

OK, TOO_LITTLE, UNAVAILABLE, SKIPPED = "ok", "too_little", "unavailable", "skipped"
# Too little survives when fewer than this share of the sentences written (or none) pass the checks.
MIN_KEPT_SHARE = 0.5


@dataclass(frozen=True)
class Generated:
    status: str  # OK | TOO_LITTLE (extractive answer shown, with a note) | UNAVAILABLE (server down, slow, error) | SKIPPED
    sentences: tuple[Checked, ...] = ()  # every sentence written, kept or not, in order
    message: str | None = None  # UNAVAILABLE: the Vietnamese line saying why
    model: str = ""
    seconds: float = 0.0

    @property
    def kept(self) -> tuple[Checked, ...]:
        return tuple(s for s in self.sentences if s.kept)

    @property
    def dropped(self) -> tuple[Checked, ...]:
        return tuple(s for s in self.sentences if not s.kept)


def wanted(answer: Answer) -> bool:
    """Abstention, partial answers and date constraints decided by retrieval apply before any call."""
    return not answer.abstained and answer.partial is None and bool(answer.citations)


def generate(answer: Answer, question: str, settings: Settings, on_text: Callable[[str], None] | None = None) -> Generated:
    """The checked generated answer for `question` (as retrieved) over `answer`'s sources. `on_text` receives the
    text written so far after each piece (the chat streams it, marked as not yet checked)."""
    if not settings.llm_url or not wanted(answer):
        return Generated(SKIPPED, model=settings.llm_model)
    started = time.perf_counter()
    written = ""
    try:
        for piece in stream_chat(settings.llm_url, settings.llm_model, messages(answer, question), key=api_key(settings.llm_api_key_env),
                                 timeout=settings.llm_timeout, max_tokens=settings.llm_max_tokens):
            written += piece
            if on_text is not None:
                on_text(written)
    except LLMUnavailable as exc:
        log.warning("không dùng được mô hình ngôn ngữ: %s", exc)
        return Generated(UNAVAILABLE, message=str(exc), model=settings.llm_model, seconds=time.perf_counter() - started)
    short = (answer.short.source, answer.short.span.text) if answer.short is not None and answer.short.span is not None else None
    checked = tuple(verify(written, dict(passages(answer)), short))
    kept = sum(s.kept for s in checked)
    status = OK if kept and kept >= MIN_KEPT_SHARE * len(checked) else TOO_LITTLE
    return Generated(status, checked, model=settings.llm_model, seconds=time.perf_counter() - started)
