"""Questions served by a small pool of threads, with a time budget per question.

Gradio runs each event one call at a time unless told otherwise, so one slow question held every other. The
chat's events now run concurrently and hand the work to two lanes: `ask_workers` threads for ordinary
questions and `ask_heavy_workers` for long ones (`heavy_question_tokens` tokens or more), so however many long
questions come, at most that many run at once, at a lower CPU priority: the ordinary lane keeps its cores. A question that has not
been answered within `ask_budget_s` (waiting included) gets a Vietnamese notice instead; its thread finishes in
the background (Python cannot stop a thread), still counted in its lane."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TypeVar

from qa.messages import vi_number
from qa.settings import Settings

log = logging.getLogger("qa.ui")
T = TypeVar("T")
LONG_QUESTION_NICE = 15


def _lower_priority() -> None:
    """A long question's thread yields the cores to ordinary ones (Linux: a thread's nice value is its own; the
    question embedding, most of a long question's cost, runs in this thread)."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LONG_QUESTION_NICE)
    except (AttributeError, OSError):  # not Linux, or not allowed: the lane still bounds how many run at once
        pass


class AskTimeout(Exception):
    """Not answered within the budget; the message is Vietnamese."""


class AskPool:
    def __init__(self, settings: Settings) -> None:
        self.budget_s = settings.ask_budget_s
        self.heavy_tokens = settings.heavy_question_tokens
        self._light = ThreadPoolExecutor(settings.ask_workers, thread_name_prefix="qa-ask")
        self._heavy = ThreadPoolExecutor(settings.ask_heavy_workers, thread_name_prefix="qa-ask-long", initializer=_lower_priority)

    @property
    def concurrency(self) -> int:
        """How many of the chat's events Gradio should run at once: every lane busy, and as many waiting."""
        return 2 * (self._light._max_workers + self._heavy._max_workers)

    def run(self, tokens: int, work: Callable[[], T]) -> T:
        lane = self._heavy if tokens >= self.heavy_tokens else self._light
        future = lane.submit(work)
        try:
            return future.result(timeout=self.budget_s)
        except FutureTimeout:
            future.cancel()  # not started yet: it never will be
            log.warning("câu hỏi quá thời gian cho phép (%.0f s, %d token)", self.budget_s, tokens)
            raise AskTimeout(f"Máy chủ chưa trả lời được trong {vi_number(self.budget_s)} giây (đang bận hoặc câu hỏi quá "
                             "phức tạp); hãy thử lại sau hoặc hỏi ngắn gọn hơn.") from None
