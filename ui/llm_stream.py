"""The chat turn with a generated answer (QA_LLM_URL set): the extractive answer shows at once, the model's text
streams above it marked as not yet checked, then only the sentences the verifier kept stay (with a line for
those dropped), or one line saying why there is none. The question is never lost: whatever the server does, the
extractive answer is already on the page."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator

from qa.llm.generate import generate, wanted
from qa.render.llm import generated_html, writing_html

_DONE = object()


def respond_stream(service, question, history, conversation, mode, k, since, until) -> Iterator[tuple]:
    """ChatService.respond as a generator (Gradio streams each yield into the chat)."""
    history, box, conversation, notice, answer, asked_as = service.turn(question, history, conversation, mode, k, since, until)
    yield history, box, conversation, notice
    if answer is None or not wanted(answer):
        return
    extractive = history[-1]["content"]
    pieces: queue.Queue = queue.Queue()
    result: list = []

    def run() -> None:
        try:
            result.append(generate(answer, asked_as, service.settings, on_text=pieces.put))
        finally:
            pieces.put(_DONE)

    threading.Thread(target=run, daemon=True, name="llm-answer").start()
    while (item := pieces.get()) is not _DONE:
        while not pieces.empty():  # show the newest text, skip what it already contains
            newer = pieces.get()
            if newer is _DONE:
                item = None
                break
            item = newer
        if item is None:
            break
        history = [*history[:-1], {"role": "assistant", "content": writing_html(item) + extractive}]
        yield history, box, conversation, notice
    final = generated_html(result[0]) if result else ""
    history = [*history[:-1], {"role": "assistant", "content": final + extractive}]
    yield history, box, conversation, notice
