"""Optional generated answers (off by default): an OpenAI-compatible chat-completions server (llama.cpp's
server, Ollama, vLLM) writes an answer from the numbered retrieved passages, and every sentence it writes is
checked against the passage it cites before it is shown (`verify`); the extractive answer stays the default and
the fallback. `client` speaks the protocol (streaming), `prompt` writes the Vietnamese instructions,
`generate` runs one question through them."""
