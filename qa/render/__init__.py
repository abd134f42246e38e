"""Every screen of an answer, written from the `qa.answer.result.Answer` data: plain text (`plain`: the answer
string and `qa ask`'s page), the JSON object of `qa ask --json` and the HTTP API (`data`), the chat's HTML
(`html`) with its «Vì sao?» (`why`). No other module formats answer text (tests/test_render_only.py)."""
