"""The Vietnamese page about the JSON API (`/huong-dan-api`), which the chat's «Dùng qua API» link opens instead
of Gradio's English API panel. Linked on loopback only, like the API it describes is meant for programs on this
machine; behind a login the page is as open as the chat (it holds no data)."""

from __future__ import annotations

from html import escape

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from ui.fonts import font_face_css

API_DOC_PATH = "/huong-dan-api"

_FIELDS = [
    ("answer", "câu trả lời, các số [n] trỏ tới nguồn thứ n trong `sources`"),
    ("abstained", "true khi kho không đủ căn cứ và hệ thống không trả lời"),
    ("partial", "true khi kho thiếu đúng điều câu hỏi nêu (ví dụ năm) và câu trả lời nói rõ, kèm bài gần nhất"),
    ("short_answer", "câu trả lời ngắn (người kèm chức vụ, ngày, con số…) hoặc null"),
    ("short_source, short_start, short_end", "nguồn của câu trả lời ngắn và vị trí của nó trong văn bản bài đó"),
    ("understood_as", "câu hỏi đã được thêm dấu, khi gõ không dấu"),
    ("confidence, confident", "độ tin cậy (0–1) và câu trả lời có được coi là chắc chắn không"),
    ("sources", "các nguồn: doc_id (mã bài), title, url, date (yyyy-mm-dd), text (đoạn văn), start/end và "
                "sentence_start/sentence_end (vị trí trong bài), score, cited (có được trích trong câu trả lời không)"),
]


def api_doc_html(base: str = "http://127.0.0.1:7860") -> str:
    fields = "".join(f"<tr><td><code>{escape(name)}</code></td><td>{escape(text)}</td></tr>" for name, text in _FIELDS)
    python = escape(f'''from gradio_client import Client

client = Client("{base}/")
result = client.predict("Ai chủ trì hội nghị tổng kết năm 2023?", api_name="/ask")
print(result["short_answer"], result["sources"][0]["title"])''')
    curl = escape(f'''curl -s -X POST {base}/gradio_api/call/ask -H "Content-Type: application/json" \\
     -d '{{"data": ["Ai chủ trì hội nghị tổng kết năm 2023?", 3, "hybrid", "01/01/2024", "", []]}}'
# trả về {{"event_id": "…"}}; rồi lấy kết quả:
curl -s {base}/gradio_api/call/ask/EVENT_ID''')
    return f"""<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Dùng qua API — hỏi đáp tin bài</title>
<style>{font_face_css()} body {{ font-family: "Be Vietnam Pro", sans-serif; max-width: 52rem; margin: 1.5rem auto; padding: 0 1rem;
line-height: 1.55; }} pre {{ background: #f4f4f5; padding: .8rem; overflow-x: auto; }} td {{ vertical-align: top; padding: .25rem .5rem;
border-bottom: 1px solid #e4e4e7; overflow-wrap: normal; }} code {{ white-space: nowrap; }}</style></head>
<body>
<h1>Dùng qua API</h1>
<p>Chương trình trên máy này hỏi được như trên trang; câu hỏi tiếp theo được hiểu theo <code>history</code>. Có hai điểm hỏi:</p>
<ul>
<li><code>/ask</code>: trả về một đối tượng JSON, giống <code>qa ask --json</code>;</li>
<li><code>/chat</code>: trả về một chuỗi văn bản, câu trả lời rồi các nguồn, giống <code>qa ask</code>.</li>
</ul>
<p>Tham số, theo thứ tự: <code>question</code> (câu hỏi), <code>k</code> (số nguồn, bỏ trống là mặc định),
<code>mode</code> (<code>hybrid</code> kết hợp, <code>dense</code> ngữ nghĩa, <code>bm25</code> từ khóa),
<code>since</code> và <code>until</code> (từ ngày, đến ngày: dd/mm/yyyy hoặc yyyy-mm-dd, bỏ trống là không giới hạn),
<code>history</code> (các câu hỏi trước trong cuộc trò chuyện, cũ trước; <code>[]</code> khi hỏi câu độc lập).
Yêu cầu sai (câu hỏi trống, ngày sai…) nhận một thông báo lỗi tiếng Việt.</p>
<h2>Từ Python</h2>
<pre><code>{python}</code></pre>
<h2>Bằng HTTP (curl)</h2>
<pre><code>{curl}</code></pre>
<p>Dòng cuối trả về <code>event: complete</code> rồi <code>data: [ {{…}} ]</code>: đối tượng JSON nằm trong mảng đó.</p>
<h2>Các trường của kết quả <code>/ask</code></h2>
<table>{fields}</table>
<p><a href="/">Về trang hỏi đáp</a></p>
</body></html>"""


def mount_api_doc(app: FastAPI) -> None:
    @app.get(API_DOC_PATH, response_class=HTMLResponse, include_in_schema=False)
    def api_doc(request: Request) -> HTMLResponse:
        return HTMLResponse(api_doc_html(str(request.base_url).rstrip("/")))
