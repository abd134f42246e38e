"""One streamed call to an OpenAI-compatible `/v1/chat/completions` endpoint.

Every failure (server down, an HTTP error, no token within the timeout, a stream that cannot be read) is one
`LLMUnavailable` with a Vietnamese line for the user; the API key goes in the Authorization header only and never
into a message or a log line."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import httpx


class LLMUnavailable(Exception):
    """The generated answer cannot be had; str(exc) is the Vietnamese line shown to the user."""


def endpoint(url: str) -> str:
    """`http://host:8080`, `http://host:8080/v1` or the full path -> the chat-completions URL."""
    base = url.rstrip("/")
    if base.endswith("/chat/completions"):
        return base
    return (base if base.endswith("/v1") else base + "/v1") + "/chat/completions"


def api_key(variable: str) -> str | None:
    """The key from the environment variable named in the settings (QA_LLM_API_KEY by default), if set."""
    return os.environ.get(variable) or None if variable else None


def stream_chat(url: str, model: str, messages: list[dict], *, key: str | None = None, timeout: float = 30.0,
                max_tokens: int = 400) -> Iterator[str]:
    """The answer's text as it arrives, piece by piece. `timeout`: seconds to connect and between two pieces."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    body = {"model": model, "messages": messages, "stream": True, "temperature": 0, "max_tokens": max_tokens}
    where = endpoint(url)
    try:
        with httpx.Client(timeout=httpx.Timeout(timeout), trust_env=False) as client, \
                client.stream("POST", where, json=body, headers=headers) as response:
            if response.status_code != 200:
                raise LLMUnavailable(f"Máy chủ mô hình ngôn ngữ báo lỗi {response.status_code}")
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue
                payload = line[5:].strip()
                if payload == "[DONE]":
                    return
                choices = json.loads(payload).get("choices") or [{}]
                piece = (choices[0].get("delta") or {}).get("content")
                if piece:
                    yield piece
            # No [DONE]: the server broke off (llama.cpp's Python server does so, after a 200, when the prompt
            # overflows its context).
            raise LLMUnavailable("Máy chủ mô hình ngôn ngữ dừng giữa chừng, không trả lời hết")
    except httpx.TimeoutException:
        raise LLMUnavailable(f"Máy chủ mô hình ngôn ngữ không trả lời trong {timeout:g} giây") from None
    except httpx.ConnectError:
        raise LLMUnavailable(f"Không kết nối được máy chủ mô hình ngôn ngữ ở {url}") from None
    except httpx.HTTPError as exc:
        raise LLMUnavailable(f"Mất kết nối với máy chủ mô hình ngôn ngữ ({type(exc).__name__})") from None
    except (ValueError, AttributeError, TypeError):  # JSON that is not a chat-completions chunk
        raise LLMUnavailable("Máy chủ mô hình ngôn ngữ trả về dữ liệu không đọc được") from None
