"""The page around Gradio's components: `lang="vi"`, the shipped font, Vietnamese names for the few screen-reader
labels Gradio writes in English without an i18n key, and the footer a user needs.

Gradio's page template says `lang="en"`: the HTML is rewritten on its way out (and the head script sets it too,
for a page rendered some other way). The labels below are hard-coded in Gradio's frontend (no i18n key reaches
them): a MutationObserver renames them whenever Gradio renders them."""

from __future__ import annotations

import json

import gradio as gr

from ui.fonts import FONT_STACK, font_face_css

# aria-label Gradio hard-codes in English -> what a Vietnamese screen reader should say (and a chat message's
# "bot's message: <raw HTML>" becomes "Câu trả lời: <its text>").
ARIA_LABELS = {
    "Click to upload or drop files": "Bấm để chọn tệp hoặc thả tệp vào đây",
    "More tabs": "Các thẻ khác",
    "Scroll down": "Cuộn xuống",
}
_RENAME_JS = r"""
(() => {
  document.documentElement.lang = 'vi';
  const names = %s;
  const rename = e => {
    const label = e.getAttribute('aria-label') || '';
    if (names[label]) { e.setAttribute('aria-label', names[label]); return; }
    // A chat message: "bot's message: <its raw HTML>" -> "Câu trả lời: <its text>".
    const message = /^(user|bot|assistant)'s message: /.exec(label);
    if (message) {
      const text = e.innerText.replace(/\s+/g, ' ').trim().slice(0, 300);
      e.setAttribute('aria-label', (message[1] === 'user' ? 'Câu hỏi: ' : 'Câu trả lời: ') + text);
    }
  };
  const sweep = root => { if (root.hasAttribute && root.hasAttribute('aria-label')) rename(root);
                          if (root.querySelectorAll) root.querySelectorAll('[aria-label]').forEach(rename); };
  new MutationObserver(changes => {
    for (const c of changes) {
      if (c.type === 'attributes') rename(c.target); else c.addedNodes.forEach(n => { if (n.nodeType === 1) sweep(n); });
    }
  }).observe(document.documentElement, {subtree: true, childList: true, attributes: true, attributeFilter: ['aria-label']});
})();
"""


def page_head() -> str:
    return f"<style>{font_face_css()}</style><script>{_RENAME_JS % json.dumps(ARIA_LABELS, ensure_ascii=False)}</script>"


def page_theme() -> gr.themes.Base:
    return gr.themes.Default(font=list(FONT_STACK))


def footer_links(loopback: bool) -> list[str]:
    """None of Gradio's: no settings panel (English PWA notes, screen recording, theme icons without a font), no
    "built with Gradio", and not its API panel (English): on loopback the page links ui.api_doc's Vietnamese one."""
    return []


# The link preview's description in Gradio's template (shown when the address is pasted into a chat program).
_PREVIEW_EN = b'content="Click to try out the app!"'
_PREVIEW_VI = 'content="Hỏi đáp tiếng Việt trên kho tin bài, kèm nguồn"'.encode()


class VietnamesePage:
    """ASGI middleware: `lang="vi"` (and a Vietnamese link preview) in the HTML pages Gradio serves (its template
    says `lang="en"`)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: dict | None = None
        chunks: list[bytes] = []

        async def relay(message):
            nonlocal start
            if message["type"] == "http.response.start":
                headers = {k.lower(): v for k, v in message.get("headers", [])}
                if headers.get(b"content-type", b"").startswith(b"text/html") and b"content-encoding" not in headers:
                    start = message
                    return
            elif message["type"] == "http.response.body" and start is not None:
                chunks.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                body = b"".join(chunks).replace(b'lang="en"', b'lang="vi"', 1).replace(_PREVIEW_EN, _PREVIEW_VI)
                headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
                await send({**start, "headers": [*headers, (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        await self.app(scope, receive, relay)
