"""The Gradio chat (Vietnamese): questions with cited sources, follow-ups, uploads, index status.

Callbacks only call ui.service.ChatService, which calls the library and renders what it returns
(qa.render). Two explicit API endpoints for programs; the conversation is what they are given:

    Client(url).predict("câu hỏi", api_name="/chat")  -> cli_text(answer), one string (qa.render.plain)
    Client(url).predict("câu hỏi", api_name="/ask")   -> answer_to_dict(answer), as `qa ask --json` (qa.render.data)
    Client(url).predict("Ông ấy giữ chức vụ gì?", history=["Ai chủ trì …?"], api_name="/ask")  -> a follow-up

Uploading and rebuilding live in a panel that ui.server puts behind a login when the server is
reachable from other machines (on the chat page, or on the admin page ADMIN_PATH when asking is public).
"""

from __future__ import annotations

import gradio as gr

from qa.ingest.corpus import ARTICLE_SUFFIXES
from qa.messages import vi_number
from ui.api_doc import API_DOC_PATH
from ui.llm_stream import respond_stream
from ui.login import LOGOUT_PATH
from ui.service import ChatService, Conversation
from ui.upload_gate import CorpusFile
from ui.uploads import vi_mib

TITLE = "Hỏi đáp tin bài Quân khu"
ADMIN_PATH = "/quan-tri"
# From the seed corpus; each is answered from it.
EXAMPLE_QUESTIONS = [
    "Ai chủ trì hội nghị tổng kết công tác đảng, công tác chính trị năm 2023 của Bộ Tham mưu Quân khu?",
    "Ai chủ trì hội nghị giao ban công tác Đảng, công tác Chính trị quý 1 năm 2021 của Quân khu 2?",
    "Đảng ủy Bộ CHQS tỉnh Bắc Kạn tổ chức hội nghị triển khai các chỉ thị của Ban Thường vụ, Đảng ủy Quân khu vào ngày nào?",
    "Ai chủ trì hội nghị quán triệt chỉ thị về tổ chức Đại hội Đảng các cấp của Cục Chính trị Quân khu 7?",
    "Ai là Cục trưởng Cục Chính trị?",
]
CHAT_PLACEHOLDER = "Câu trả lời trích từ kho bài viết, kèm nguồn [1], [2]… Có thể hỏi tiếp, ví dụ: «Ông ấy giữ chức vụ gì?»"
# Gradio's copies of uploaded files (the corpus keeps its own): checked hourly, removed after an hour.
DELETE_CACHE = (3600, 3600)
MODE_CHOICES = [("Kết hợp", "hybrid"), ("Ngữ nghĩa", "dense"), ("Từ khóa", "bm25")]  # the README names them so
# The chat's label ("Hội thoại") takes its own row above the messages instead of floating over the first line.
CSS = """
#chat label[data-testid="block-label"] { position: static; align-self: flex-start; flex: none; }
#chat .bubble-wrap { flex: 1 1 0; min-height: 0; height: auto; }
/* The notice and the vote's acknowledgement take no room until they say something. */
#notice:not(:has(.qa-notice)), #vote-ack:not(:has(.qa-ack)) { display: none; }
/* Gradio's "scroll down" button floats over the last lines of an answer: the view is scrolled by hand or to each new answer. */
#chat .scroll-down-button-container { display: none !important; }
#chat details > summary { cursor: pointer; }
#upload { min-height: 0; }
/* Tables (the index tab's report and status) break between words only; a table wider than a phone scrolls sideways. */
#eval-report table, #index-status table { display: block; overflow-x: auto; max-width: 100%; }
#eval-report td, #eval-report th, #index-status td, #index-status th { overflow-wrap: normal; word-break: normal; hyphens: none; }
/* Phones and tablets: the question box within the first screen of the empty page. */
@media (max-width: 1024px) {
  #chat { height: clamp(260px, calc(100vh - 330px), 620px) !important; }
}
@media (max-width: 480px) {
  h1 { font-size: 1.5rem !important; margin-bottom: 0.25rem !important; }
  #eval-report td, #eval-report th, #index-status td, #index-status th { padding: 4px 6px !important; }
}
"""
# After an answer: show its start (the question, then the answer's first line), not the bottom of its sources.
SHOW_ANSWER_START_JS = """
() => {
  const chat = document.querySelector('#chat');
  if (!chat) return;
  const questions = chat.querySelectorAll('[data-testid="user"]');
  const last = questions[questions.length - 1];
  if (!last) return;
  let box = last.parentElement;
  while (box && box !== chat && !(box.scrollHeight > box.clientHeight + 1 && getComputedStyle(box).overflowY !== 'visible')) {
    box = box.parentElement;
  }
  if (box && box !== chat) {
    box.scrollTop += last.getBoundingClientRect().top - box.getBoundingClientRect().top - 8;
  }
  // On a phone the page itself scrolls too: bring the question and the short answer under it onto the screen.
  const answers = chat.querySelectorAll('[data-testid="bot"]');
  const answer = answers[answers.length - 1];
  const short = (answer && answer.querySelector('.qa-short')) || answer;
  if (!short) return;
  const q = last.getBoundingClientRect(), s = short.getBoundingClientRect();
  if (s.top < 0 || s.bottom > window.innerHeight) {
    const top = s.bottom - q.top + 16 <= window.innerHeight ? q.top - 8 : s.top - 8;
    window.scrollBy(0, top);
  }
}
"""


def upload_help(service: ChatService) -> str:
    s = service.settings
    folder = s.corpus_dirs[0] if s.corpus_dirs else "corpus"
    return (
        "Tệp `.txt` / `.md` (một bài; có thể mở đầu bằng các dòng `title:`, `url:`, `date:` rồi một dòng trống), "
        "trang web đã lưu `.html` / `.htm`, `.pdf` có lớp chữ, `.docx` (mỗi tệp một bài: tiêu đề, ngày đăng, tác giả được "
        "tự nhận ra, phần thừa của trang bị bỏ) "
        'hoặc `.jsonl` (mỗi dòng một bài `{"id": …, "text": …, "title": …, "url": …, "date": …}`), UTF-8 hoặc UTF-16; '
        f"mỗi lần tối đa {vi_number(s.upload_max_files)} tệp, mỗi tệp tối đa {vi_mib(s.upload_max_bytes)} MiB, tổng cộng khoảng "
        f"{vi_number(s.upload_max_texts)} đoạn và câu cần nhúng. Tệp được lưu vào thư mục `{folder}/` và lập chỉ mục trong nền. "
        "Lô lớn hơn: chép tệp vào thư mục đó rồi chạy `qa index` trong terminal."
    )


def build_app(service: ChatService, uploads: bool = True, admin_link: str | None = None, logout: bool = False,
              api_link: bool = False) -> gr.Blocks:
    """The chat page. `uploads`: with the upload panel; `admin_link`: where to add articles instead;
    `logout`: the page is behind a login; `api_link`: a «Dùng qua API» link to the Vietnamese API page (loopback)."""
    with gr.Blocks(title=TITLE, analytics_enabled=False, delete_cache=DELETE_CACHE) as app:
        gr.Markdown(f"# {TITLE}\nHỏi bằng tiếng Việt về các bài viết trong kho; mỗi câu trả lời kèm nguồn và câu làm căn cứ.")
        if logout:
            gr.HTML(f'<a href="{LOGOUT_PATH}">Đăng xuất</a>', elem_id="logout")  # HTML: Markdown links open a new tab
        with gr.Tabs():
            with gr.Tab("Hỏi đáp"):
                _chat_tab(service, uploads, admin_link)
            with gr.Tab("Chỉ mục & đánh giá") as status_tab:
                status, report, plot = _status_tab()
        refresh = {"fn": lambda: (service.status(), *service.latest_report()), "outputs": [status, report, plot],
                   "api_visibility": "private"}
        app.load(**refresh)
        status_tab.select(**refresh)
        if api_link:
            gr.HTML(f'<a href="{API_DOC_PATH}" target="_blank">Dùng qua API</a>', elem_id="api-doc-link")
        # Questions run concurrently; ui.ask_pool bounds the work (Gradio's default runs one at a time).
        gr.api(service.chat_api, api_name="chat", concurrency_limit=service.pool.concurrency)
        gr.api(service.ask_api, api_name="ask", concurrency_limit=service.pool.concurrency)
    return app


def build_admin_app(service: ChatService) -> gr.Blocks:
    """The page behind the login when asking is public: adding articles and updating the index."""
    with gr.Blocks(title=f"{TITLE}: quản trị", analytics_enabled=False, delete_cache=DELETE_CACHE) as app:
        gr.Markdown(f"# {TITLE}: thêm bài viết")
        gr.HTML(f'<a href="/">← Về trang hỏi đáp</a> · <a href="{LOGOUT_PATH}">Đăng xuất</a>', elem_id="admin-nav")
        _upload_panel(service)
        gr.Markdown("### Chỉ mục")
        status = gr.HTML(elem_id="index-status")
        app.load(service.status, None, [status], api_visibility="private")
    return app


def _chat_tab(service: ChatService, uploads: bool, admin_link: str | None) -> None:
    conversation = gr.State(Conversation())
    with gr.Row():
        with gr.Column(scale=3):
            chatbot = gr.Chatbot(
                label="Hội thoại", elem_id="chat", height=620, render_markdown=False, sanitize_html=True, allow_tags=False,
                latex_delimiters=[], buttons=["copy"], feedback_options=("Like", "Dislike"),
                placeholder=CHAT_PLACEHOLDER, autoscroll=False,
            )
            notice = gr.HTML(elem_id="notice")  # why a question was not asked; Gradio's toasts have English titles
            vote_ack = gr.HTML(elem_id="vote-ack")  # 👍/👎 recorded
            question = gr.Textbox(label="Câu hỏi", placeholder="Nhập câu hỏi rồi nhấn Enter…", lines=1, max_lines=4,
                                  submit_btn="Hỏi", elem_id="question")
            new_chat = gr.Button("Cuộc trò chuyện mới", variant="secondary", size="sm")
            examples = gr.Examples(EXAMPLE_QUESTIONS, inputs=[question], label="Câu hỏi mẫu (bấm để hỏi)")
        with gr.Column(scale=1):
            if uploads:  # first: its progress shows without scrolling
                with gr.Accordion("Thêm bài viết", open=True):
                    _upload_panel(service)
            elif admin_link:
                gr.HTML(f'<strong>Thêm bài viết:</strong> <a href="{admin_link}/">đăng nhập trang quản trị</a>', elem_id="admin-link")
            with gr.Accordion("Tùy chọn tìm kiếm", open=True):
                mode = gr.Radio(MODE_CHOICES, value=service.settings.mode, label="Chế độ tìm kiếm")
                k = gr.Slider(1, 10, value=min(service.settings.k, 10), step=1, label="Số nguồn")
                since = gr.Textbox(label="Từ ngày", placeholder="dd/mm/yyyy", max_lines=1, elem_id="since")
                until = gr.Textbox(label="Đến ngày", placeholder="dd/mm/yyyy", max_lines=1, elem_id="until")
    # With QA_LLM_URL the turn streams the generated answer above the extractive one (ui/llm_stream.py).
    def streamed(question, history, conversation, mode, k, since, until):
        yield from respond_stream(service, question, history, conversation, mode, k, since, until)

    respond = streamed if service.settings.llm_url else service.respond
    ask = {"fn": respond, "inputs": [question, chatbot, conversation, mode, k, since, until],
           "outputs": [chatbot, question, conversation, notice], "api_visibility": "private",
           "concurrency_limit": service.pool.concurrency}
    question.submit(**ask).then(None, None, None, js=SHOW_ANSWER_START_JS)
    examples.load_input_event.then(**ask).then(None, None, None, js=SHOW_ANSWER_START_JS)  # a sample question is asked at once
    new_chat.click(lambda: ([], "", Conversation(), "", ""), None, [chatbot, question, conversation, notice, vote_ack],
                   api_visibility="private")
    chatbot.clear(Conversation, None, [conversation], api_visibility="private")  # the chatbot's own 🗑 button
    chatbot.like(service.on_vote, [conversation], [vote_ack], api_visibility="private")


def _upload_panel(service: ChatService) -> None:
    jobs = gr.State([])  # this session's indexing jobs
    files = CorpusFile(label="Tải bài viết lên", file_count="multiple", file_types=list(ARTICLE_SUFFIXES), elem_id="upload",
                    height=140)
    report = gr.Textbox(label="Tiến độ và kết quả", interactive=False, lines=3, max_lines=8, elem_id="upload-report")
    rebuild = gr.Button("Cập nhật chỉ mục từ thư mục bài viết", size="sm", variant="secondary", elem_id="rebuild")
    with gr.Accordion("Định dạng tệp và giới hạn", open=False):
        gr.Markdown(upload_help(service))
    timer = gr.Timer(1.0, active=False)
    files.upload(service.on_upload, [files, jobs], [files, report, jobs, timer], api_visibility="private")
    rebuild.click(service.rebuild, [jobs], [report, jobs, timer], api_visibility="private")
    timer.tick(service.upload_status, [report, jobs], [report, timer], api_visibility="private", show_progress="hidden")


def _status_tab() -> tuple[gr.HTML, gr.Markdown, gr.Image]:
    gr.Markdown("### Kho bài viết")
    status = gr.HTML(elem_id="index-status")
    gr.Markdown("### Đánh giá chất lượng")
    report = gr.Markdown(elem_id="eval-report")
    plot = gr.Image(label="Tỉ lệ câu hỏi có bài đúng trong k nguồn đầu", type="filepath", interactive=False, buttons=[],
                    elem_id="eval-plot")
    return status, report, plot
