"""Issue 24, item 4: generated answers against a real llama.cpp server (tests/llm_fixtures.py): streaming, the
verifier rejecting a random model's nonsense (the extractive answer shown with a note), timeouts, a server down,
an HTTP error; abstentions and partial answers never call it; the API key is never logged."""

from __future__ import annotations

import json
import logging

from qa.answer.result import NO_HITS, Answer
from qa.llm.generate import SKIPPED, TOO_LITTLE, UNAVAILABLE, generate
from qa.llm.prompt import messages
from qa.render.data import answer_to_dict
from qa.render.llm import generated_dict, generated_html, generated_text
from tests.conftest import CHAIR_QUESTION
from tests.llm_fixtures import SMALL_SERVER_KEY, free_port


def _asked(fake_engine):
    question = fake_engine.question(CHAIR_QUESTION, k=2)
    answer = fake_engine.ask(question)
    assert not answer.abstained
    return question, answer


def test_the_prompt_numbers_the_sources_as_the_answer_does(fake_engine):
    question, answer = _asked(fake_engine)
    chat = messages(answer, question.understood)
    assert chat[0]["role"] == "system" and "[1]" in chat[0]["content"] and "tiếng Việt" in chat[0]["content"]
    user = chat[1]["content"]
    assert user.index("[1] ") < user.index("[2] ") < user.index("Câu hỏi: " + question.understood)
    assert f"Câu trả lời ngắn trích được từ nguồn [{answer.short.source}]: {answer.short.shown}" in user


def test_a_real_server_streams_and_its_nonsense_is_rejected(fake_engine, llm_server):
    question, answer = _asked(fake_engine)
    settings = fake_engine.settings.with_(llm_url=llm_server[0], llm_max_tokens=48, llm_timeout=60.0)
    seen: list[str] = []
    generated = generate(answer, question.understood, settings, on_text=seen.append)
    assert len(seen) >= 2 and all(b.startswith(a) for a, b in zip(seen, seen[1:]))  # streamed, piece by piece
    assert generated.sentences and generated.status == TOO_LITTLE  # random weights: nothing it writes is supported
    assert not generated.kept and all(s.reason for s in generated.dropped)
    text = generated_text(generated)
    assert "không đủ căn cứ" in text and "câu trả lời trích từ bài" in text
    assert "qa-llm-note" in generated_html(generated) and "qa-llm\"" not in generated_html(generated)
    data = answer_to_dict(answer, llm=generated_dict(generated))
    assert data["llm"]["status"] == "too_little" and data["llm"]["text"] is None and data["short"] is not None
    assert all(not s["kept"] and s["reason"] for s in data["llm"]["sentences"])
    json.dumps(data, ensure_ascii=False)


def test_a_slow_server_gives_one_line_and_the_extractive_answer(fake_engine, llm_server):
    question, answer = _asked(fake_engine)
    settings = fake_engine.settings.with_(llm_url=llm_server[0], llm_timeout=0.001)
    generated = generate(answer, question.understood, settings)
    assert generated.status == UNAVAILABLE and "không trả lời trong 0.001 giây" in generated.message
    assert generated_text(generated).endswith("dưới đây là câu trả lời trích từ bài.")


def test_a_server_error_gives_one_line_and_the_key_goes_in_the_header(fake_engine, llm_server, monkeypatch):
    question, answer = _asked(fake_engine)
    settings = fake_engine.settings.with_(llm_url=llm_server[1])
    monkeypatch.delenv("QA_LLM_API_KEY", raising=False)
    generated = generate(answer, question.understood, settings)
    assert generated.status == UNAVAILABLE and generated.message == "Máy chủ mô hình ngôn ngữ báo lỗi 401"
    monkeypatch.setenv("QA_LLM_API_KEY", SMALL_SERVER_KEY)  # accepted; the prompt then overflows its context mid-stream
    generated = generate(answer, question.understood, settings)
    assert generated.status == UNAVAILABLE and generated.message == "Máy chủ mô hình ngôn ngữ dừng giữa chừng, không trả lời hết"
    assert SMALL_SERVER_KEY not in json.dumps(generated_dict(generated))


def test_a_server_that_is_down_gives_one_line_and_the_key_is_never_logged(fake_engine, monkeypatch, caplog):
    question, answer = _asked(fake_engine)
    monkeypatch.setenv("QA_LLM_API_KEY", "bi-mat-khong-ghi")
    url = f"http://127.0.0.1:{free_port()}"
    with caplog.at_level(logging.DEBUG):
        generated = generate(answer, question.understood, fake_engine.settings.with_(llm_url=url, llm_timeout=5.0))
    assert generated.status == UNAVAILABLE and generated.message == f"Không kết nối được máy chủ mô hình ngôn ngữ ở {url}"
    assert "bi-mat-khong-ghi" not in caplog.text and "bi-mat-khong-ghi" not in json.dumps(generated_dict(generated))
    assert generated.message in caplog.text  # logged once, as said to the user


def test_abstentions_and_partial_answers_make_no_call(fake_engine):
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens: a call would be UNAVAILABLE
    assert generate(Answer((), True, NO_HITS), "Giá xăng?", fake_engine.settings.with_(llm_url=url)).status == SKIPPED
    partial = fake_engine.ask("Ai chủ trì hội nghị tổng kết công tác đảng, công tác chính trị năm 2019 của Bộ Tham mưu Quân khu?")
    assert partial.abstained or partial.partial is not None
    assert generate(partial, "…", fake_engine.settings.with_(llm_url=url)).status == SKIPPED
    assert generate(_asked(fake_engine)[1], "…", fake_engine.settings).status == SKIPPED  # off by default


def test_the_chat_shows_the_extractive_answer_at_once_then_the_checked_result(fake_engine, llm_server, tmp_path):
    from ui.llm_stream import respond_stream
    from ui.service import ChatService, Conversation

    settings = fake_engine.settings.with_(llm_url=llm_server[0], llm_max_tokens=32, llm_timeout=60.0, feedback_log=tmp_path / "f.jsonl")
    service = ChatService(settings, (tmp_path,), tmp_path, embedder=fake_engine.embedder())
    turns = list(respond_stream(service, CHAIR_QUESTION, [], Conversation(), "hybrid", 2, "", ""))
    first, last = turns[0][0][-1]["content"], turns[-1][0][-1]["content"]
    assert "qa-short" in first and "qa-llm" not in first  # the extractive answer, before the model writes anything
    assert len(turns) >= 3 and any("qa-llm-writing" in t[0][-1]["content"] for t in turns[1:-1])  # streamed, marked unchecked
    assert "qa-llm-writing" not in last and "qa-llm-note" in last and "không đủ căn cứ" in last and last.endswith(first)
    down = settings.with_(llm_url=f"http://127.0.0.1:{free_port()}")
    service = ChatService(down, (tmp_path,), tmp_path, embedder=fake_engine.embedder())
    last = list(respond_stream(service, CHAIR_QUESTION, [], Conversation(), "hybrid", 2, "", ""))[-1][0][-1]["content"]
    assert "Không kết nối được máy chủ mô hình ngôn ngữ" in last and "qa-short" in last
