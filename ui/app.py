"""The Gradio chat (Vietnamese): questions with cited sources, follow-ups, uploads, index status.

Callbacks only call the library (Engine, followup, build_index via ui.uploads)
and render what it returns (ui.render). Two explicit API endpoints for
programs, without conversation context:

    Client(url).predict("câu hỏi", api_name="/chat")  -> render_text(answer), one string
    Client(url).predict("câu hỏi", api_name="/ask")   -> answer_to_dict(answer), as `qa ask --json`
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from pathlib import Path

import gradio as gr

from qa.answer import Answer
from qa.corpus import CorpusError
from qa.embedders import EmbedderError
from qa.engine import Engine, QuestionError, answer_to_dict, check_date, clean_question, render_text
from qa.followup import contextualize, next_context
from qa.index import IndexError_
from qa.settings import Settings
from ui.feedback import feedback_record, record_feedback
from ui.render import answer_html, question_html, status_html
from ui.uploads import UPLOAD_MAX_BYTES, add_articles

TITLE = "Hỏi đáp tin bài Quân khu"
REPORTS_DIR = Path("eval/reports")
MAX_K = 20
# From the seed corpus; each is answered from it.
EXAMPLE_QUESTIONS = [
    "Ai chủ trì hội nghị tổng kết công tác đảng, công tác chính trị năm 2023 của Bộ Tham mưu Quân khu?",
    "Ai chủ trì hội nghị giao ban công tác Đảng, công tác Chính trị quý 1 năm 2021 của Quân khu 2?",
    "Đảng ủy Bộ CHQS tỉnh Bắc Kạn tổ chức hội nghị triển khai các chỉ thị của Ban Thường vụ, Đảng ủy Quân khu vào ngày nào?",
    "Ai chủ trì hội nghị quán triệt chỉ thị về tổ chức Đại hội Đảng các cấp của Cục Chính trị Quân khu 7?",
    "Ai là Cục trưởng Cục Chính trị?",
]
CHAT_PLACEHOLDER = "Câu trả lời trích từ kho bài viết, kèm nguồn [1], [2]… Có thể hỏi tiếp, ví dụ: «Ông ấy giữ chức vụ gì?»"
MODE_CHOICES = [("Kết hợp (hybrid)", "hybrid"), ("Ngữ nghĩa (dense)", "dense"), ("Từ khóa (BM25)", "bm25")]
UPLOAD_HELP = (
    f"Tệp `.txt` / `.md` (một bài; có thể mở đầu bằng các dòng `title:`, `url:`, `date:` rồi một dòng trống) "
    f'hoặc `.jsonl` (mỗi dòng một bài `{{"id": …, "text": …, "title": …, "url": …, "date": …}}`), UTF-8, '
    f"tối đa {UPLOAD_MAX_BYTES // 1048576} MiB. Bài mới được dùng ngay cho câu hỏi sau."
)


@dataclass
class Conversation:
    """One browser session's chat memory."""

    topic: str | None = None  # the self-contained question a follow-up leans on
    answers: dict[int, dict] = field(default_factory=dict)  # chatbot message index -> its feedback record


def _user_error(message: str) -> gr.Error:
    # Toasts render HTML: the message may quote what the user typed.
    return gr.Error(escape(message, quote=False))


class ChatService:
    """What the callbacks and the API endpoints call: one Engine for the whole server."""

    def __init__(self, settings: Settings, reports_dir: Path = REPORTS_DIR) -> None:
        self.settings = settings
        self.engine = Engine(settings)
        self.reports_dir = reports_dir

    def ask(self, question: str, k: int | None = None, mode: str | None = None,
            since: str | None = None, until: str | None = None) -> Answer:
        """engine.ask with the options checked; gr.Error with a Vietnamese message for what cannot be asked."""
        try:
            # Named as the form labels them; the range and the mode are checked by the engine.
            since, until = check_date(since, "Từ ngày"), check_date(until, "Đến ngày")
            if k is not None and not 1 <= int(k) <= MAX_K:
                raise QuestionError(f"Số nguồn phải từ 1 đến {MAX_K}.")
            return self.engine.ask(question, k=None if k is None else int(k), mode=mode or None, since=since, until=until)
        except QuestionError as exc:
            raise _user_error(str(exc)) from None
        except (IndexError_, EmbedderError, CorpusError) as exc:
            raise _user_error(f"Chưa dùng được chỉ mục: {exc}") from None

    # --- API endpoints (no conversation context) ---

    def chat_api(self, question: str, k: int | None = None, mode: str | None = None,
                 since: str | None = None, until: str | None = None) -> str:
        """Câu trả lời có đánh số [n], rồi các nguồn (như `qa ask`).

        Tùy chọn: k, mode (hybrid|dense|bm25), since/until (YYYY-MM-DD)."""
        return render_text(self.ask(question, k, mode, since, until))

    def ask_api(self, question: str, k: int | None = None, mode: str | None = None,
                since: str | None = None, until: str | None = None) -> dict:
        """Đối tượng JSON như `qa ask --json`: answer, abstained, sources."""
        return answer_to_dict(self.ask(question, k, mode, since, until))

    # --- UI callbacks ---

    def respond(self, question: str, history: list, conversation: Conversation, mode: str, k: float,
                since: str, until: str) -> tuple[list, str, Conversation]:
        """One chat turn: a follow-up is retrieved with the previous topic as context."""
        try:
            question = clean_question(question, self.settings.max_question_chars)
        except QuestionError as exc:
            raise _user_error(str(exc)) from None
        asked_as = contextualize(question, conversation.topic, max_chars=self.settings.max_question_chars)
        answer = self.ask(asked_as, k, mode, since, until)
        conversation.topic = next_context(question, conversation.topic)
        history = [*history, {"role": "user", "content": question_html(question)},
                   {"role": "assistant", "content": answer_html(answer, asked_as if asked_as != question else None)}]
        conversation.answers[len(history) - 1] = feedback_record(question, asked_as, answer)
        return history, "", conversation

    def on_vote(self, conversation: Conversation, vote: gr.LikeData) -> None:
        record = conversation.answers.get(vote.index if isinstance(vote.index, int) else vote.index[0])
        if record is not None and vote.liked in (True, False):  # anything else is a vote taken back
            record_feedback(self.settings.feedback_log, record, "up" if vote.liked else "down")

    def on_upload(self, files: list[str] | None, progress=gr.Progress(track_tqdm=True)) -> tuple[None, str]:  # noqa: B008 - Gradio's idiom
        if not files:
            return None, ""
        uploads = [(Path(f), Path(f).name) for f in files]
        report = add_articles(self.settings, uploads, self._known_ids(), on_stage=lambda f, desc: progress(f, desc=desc))
        return None, report

    def _known_ids(self) -> set[str]:
        try:
            return set(self.engine.index.doc_ids())
        except IndexError_:  # no index yet: the upload builds the first one
            return set()

    def status(self) -> str:
        try:
            return status_html(self.engine.status())
        except (IndexError_, EmbedderError) as exc:
            return f"<p>Chưa có chỉ mục dùng được: {escape(str(exc))}</p>"

    def latest_report(self) -> tuple[str, str | None]:
        """The newest evaluation report (Markdown) and plot in reports_dir."""
        reports = sorted(self.reports_dir.glob("*.md"), key=lambda p: p.stat().st_mtime)
        plots = sorted(self.reports_dir.glob("*.png"), key=lambda p: p.stat().st_mtime)
        text = (f"**Báo cáo đánh giá mới nhất:** `{reports[-1].name}`\n\n" + reports[-1].read_text(encoding="utf-8")
                if reports else f"Chưa có báo cáo đánh giá trong `{self.reports_dir}/` (chạy `make eval`).")
        return text, str(plots[-1]) if plots else None


def build_app(settings: Settings, reports_dir: Path = REPORTS_DIR) -> gr.Blocks:
    service = ChatService(settings, reports_dir)
    with gr.Blocks(title=TITLE) as app:
        gr.Markdown(f"# {TITLE}\nHỏi bằng tiếng Việt về các bài viết trong kho; mỗi câu trả lời kèm nguồn và câu làm căn cứ.")
        with gr.Tabs():
            with gr.Tab("Hỏi đáp"):
                _chat_tab(service)
            with gr.Tab("Chỉ mục & đánh giá") as status_tab:
                status, report, plot = _status_tab(service)
        refresh = {"fn": lambda: (service.status(), *service.latest_report()), "outputs": [status, report, plot],
                   "api_visibility": "private"}
        app.load(**refresh)
        status_tab.select(**refresh)
        gr.api(service.chat_api, api_name="chat")
        gr.api(service.ask_api, api_name="ask")
    return app


def _chat_tab(service: ChatService) -> None:
    conversation = gr.State(Conversation())
    with gr.Row():
        with gr.Column(scale=3):
            chatbot = gr.Chatbot(
                label="Hội thoại", elem_id="chat", height=620, render_markdown=False, sanitize_html=True, allow_tags=False,
                latex_delimiters=[], buttons=["copy"], feedback_options=("Like", "Dislike"),
                placeholder=CHAT_PLACEHOLDER,
            )
            question = gr.Textbox(label="Câu hỏi", placeholder="Nhập câu hỏi rồi nhấn Enter…", lines=1, max_lines=4,
                                  submit_btn="Hỏi", elem_id="question")
            new_chat = gr.Button("Cuộc trò chuyện mới", variant="secondary", size="sm")
            gr.Examples(EXAMPLE_QUESTIONS, inputs=[question], label="Câu hỏi mẫu")
        with gr.Column(scale=1):
            with gr.Accordion("Tùy chọn tìm kiếm", open=True):
                mode = gr.Radio(MODE_CHOICES, value=service.settings.mode, label="Chế độ tìm kiếm")
                k = gr.Slider(1, 10, value=min(service.settings.k, 10), step=1, label="Số nguồn")
                since = gr.Textbox(label="Từ ngày", placeholder="YYYY-MM-DD", max_lines=1, elem_id="since")
                until = gr.Textbox(label="Đến ngày", placeholder="YYYY-MM-DD", max_lines=1, elem_id="until")
            with gr.Accordion("Thêm bài viết", open=True):
                gr.Markdown(UPLOAD_HELP)
                files = gr.File(label="Tải bài viết lên", file_count="multiple", file_types=[".txt", ".md", ".jsonl"],
                                elem_id="upload")
                upload_report = gr.Textbox(label="Kết quả cập nhật", interactive=False, lines=4, elem_id="upload-report")
    question.submit(service.respond, [question, chatbot, conversation, mode, k, since, until], [chatbot, question, conversation],
                    api_visibility="private")
    new_chat.click(lambda: ([], "", Conversation()), None, [chatbot, question, conversation], api_visibility="private")
    chatbot.clear(Conversation, None, [conversation], api_visibility="private")  # the chatbot's own 🗑 button
    chatbot.like(service.on_vote, [conversation], None, api_visibility="private")
    files.upload(service.on_upload, [files], [files, upload_report], api_visibility="private")


def _status_tab(service: ChatService) -> tuple[gr.HTML, gr.Markdown, gr.Image]:
    gr.Markdown("### Chỉ mục")
    status = gr.HTML(js_on_load=None, elem_id="index-status")
    gr.Markdown("### Đánh giá")
    report = gr.Markdown(elem_id="eval-report")
    plot = gr.Image(label="Biểu đồ đánh giá", type="filepath", interactive=False, buttons=[])
    return status, report, plot


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7860) -> None:
    """Serve on `host` (loopback by default; never a public share link) until interrupted."""
    build_app(settings).launch(server_name=host, server_port=port, share=False, max_file_size=UPLOAD_MAX_BYTES)
