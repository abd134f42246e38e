"""What the chat's callbacks and API endpoints call: one Engine and one indexing queue for the whole server.

User errors never become Gradio's red "Error" state in the chat: the conversation stays, an inline
Vietnamese notice says what to fix (Gradio's toasts carry English titles), and the server log gets one
line. The API endpoints answer a bad request with gr.Error (programs need an error), also without a
traceback in the log."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

import gradio as gr
from gradio.context import LocalContext

from qa.answer.conversation import history_turns
from qa.answer.result import Answer
from qa.answer.rewrite import MAX_TURNS, Turn, turn_of
from qa.embed.embedders import Embedder
from qa.engine import Engine
from qa.errors import CorpusError, EmbedderError, IndexProblem, QuestionError
from qa.ingest.corpus import article_id, corpus_files
from qa.ingest.validity import unicode_problem
from qa.llm.generate import generate
from qa.messages import index_error_message, vi_number
from qa.render.data import answer_to_dict, follow_up_dict
from qa.render.html import answer_html, question_html
from qa.render.llm import generated_dict
from qa.render.plain import cli_text
from qa.search.question import clean_question
from qa.settings import Settings
from ui.ask_pool import AskPool, AskTimeout
from ui.feedback import feedback_record, record_feedback
from ui.jobs import IndexJobs, QueueFull
from ui.report import latest_report
from ui.status import date_range, status_html
from ui.upload_gate import NOT_UPLOADED, gradio_wrote
from ui.uploads import LARGE_BATCH_HINT, KnownTexts, UploadError, check_upload, save_upload, saved_ids, saved_line

log = logging.getLogger("qa.ui")
NOTICE_TITLE = "Chưa hỏi được"  # also the API errors' title
WRONG_KIND_QUESTION = "Câu hỏi phải là một đoạn văn bản (chuỗi ký tự)."
_ACK_STYLE = "border:1px solid #22c55e;background:rgba(34,197,94,0.12);padding:4px 10px;border-radius:6px"
_NOTICE_STYLE = "border:1px solid #f59e0b;background:rgba(245,158,11,0.12);padding:6px 10px;border-radius:6px"


def notice_html(message: str) -> str:
    return f'<div role="alert" class="qa-notice" style="{_NOTICE_STYLE}"><strong>⚠ {NOTICE_TITLE}:</strong> {escape(message)}</div>'


def ack_html(message: str) -> str:
    return f'<div role="status" class="qa-ack" style="{_ACK_STYLE}">✓ {escape(message)}</div>'


def _sendable(text: object) -> str:
    """What was typed, given back to the question box: a lone surrogate cannot be encoded, and cut the event
    stream (no reply ever came); it becomes "?"."""
    if not isinstance(text, str):
        return ""
    return text.encode("utf-8", "replace").decode("utf-8") if unicode_problem(text) else text


def _shown_name(path: object) -> str:
    """The file's own name, never the folders of the path it came with."""
    return os.path.basename(path) if isinstance(path, str) else "?"


class UserFacingError(Exception):
    """A Vietnamese message for the user (question, options, or an index that cannot be used)."""


@dataclass
class Conversation:
    """One browser session's chat memory."""

    turns: list[Turn] = field(default_factory=list)  # what a follow-up leans on: the latest turns, oldest first
    answers: dict[int, dict] = field(default_factory=dict)  # chatbot message index -> its feedback record


class ChatService:
    def __init__(self, settings: Settings, reports_dirs: tuple[Path, ...], plot_dir: Path, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.engine = Engine(settings, embedder=embedder)
        self.reports_dirs = reports_dirs  # the newest evaluation report among them is shown
        self.plot_dir = plot_dir  # where the report's plot is drawn
        self.pool = AskPool(settings)
        self.jobs = IndexJobs(settings, embedder_factory=(lambda: embedder) if embedder is not None else None)
        # One upload at a time checks ids and texts, saves and queues: ids are reserved before the next is checked.
        self._upload_lock = threading.Lock()

    def ask(self, question: str, k=None, mode: str | None = None, since: str | None = None, until: str | None = None) -> Answer:
        """engine.ask with the form's options checked; UserFacingError with a Vietnamese message."""
        return self.ask_in(question, (), k, mode, since, until)[1]

    def ask_in(self, question: str, history, k=None, mode: str | None = None, since: str | None = None,
               until: str | None = None):
        """(the Question as understood, its Answer, the turns before it) for `question` asked after `history` (turns,
        or the API's list of earlier questions); UserFacingError with a Vietnamese message."""
        if not isinstance(question, str):
            raise UserFacingError(WRONG_KIND_QUESTION)
        try:
            tokens = self.engine.embedder().token_count(question)
            # make_question checks the form's options (named as the form labels them) once, with the question.
            options = {"k": k, "mode": mode or None, "since": since, "until": until}

            def asked_and_answered():
                turns = history if all(isinstance(t, Turn) for t in history or ()) else history_turns(self.engine, history, **options)
                turns = list(turns or ())
                asked = self.engine.question(question, **options, history=turns)
                return asked, self.engine.ask(asked), turns
            return self.pool.run(tokens, asked_and_answered)
        except AskTimeout as exc:
            raise UserFacingError(str(exc)) from None
        except QuestionError as exc:
            raise UserFacingError(str(exc)) from None
        except (IndexProblem, EmbedderError, CorpusError) as exc:
            message = index_error_message(exc) if isinstance(exc, IndexProblem) else str(exc)
            raise UserFacingError(f"Chưa dùng được chỉ mục: {message}") from None

    # --- API endpoints (the conversation is the `history` they are given) ---

    def chat_api(self, question: str, k: int | None = None, mode: str | None = None,
                 since: str | None = None, until: str | None = None, history: list | None = None) -> str:
        """Câu trả lời có đánh số [n], rồi các nguồn (như `qa ask`).

        Tùy chọn: k, mode (hybrid|dense|bm25), since/until (dd/mm/yyyy hoặc yyyy-mm-dd); history: các câu hỏi trước
        trong cuộc trò chuyện (cũ trước), câu hỏi tiếp được hiểu theo chúng."""
        return cli_text(self._api_ask(question, k, mode, since, until, history)[1])

    def ask_api(self, question: str, k: int | None = None, mode: str | None = None,
                since: str | None = None, until: str | None = None, history: list | None = None) -> dict:
        """Đối tượng JSON như `qa ask --json`: answer, abstained, short, evidence, sources… (README: «Dùng từ chương
        trình khác»); với history (các câu hỏi trước, hoặc các đối tượng có question và câu trả lời đã nhận), thêm
        follow_up: câu hỏi được hiểu thành gì; có `llm` khi máy chủ bật QA_LLM_URL."""
        asked, answer, turns = self._api_ask(question, k, mode, since, until, history)
        generated = generate(answer, asked.understood, self.settings) if self.settings.llm_url else None
        data = answer_to_dict(answer, llm=generated_dict(generated))
        if history:
            data["follow_up"] = follow_up_dict(asked, [t.understood for t in turns])
        return data

    def _api_ask(self, question, k, mode, since, until, history=None):
        try:
            return self.ask_in(question, history or [], k, mode, since, until)
        except UserFacingError as exc:
            log.warning("yêu cầu API bị từ chối: %s", exc)
            # Toasts render HTML: the message may quote what the user typed.
            raise gr.Error(escape(str(exc), quote=False), title=NOTICE_TITLE, print_exception=False) from None

    # --- UI callbacks ---

    def respond(self, question: str, history: list, conversation: Conversation, mode: str, k: float,
                since: str, until: str) -> tuple[list, str, Conversation, str]:
        """One chat turn: a follow-up is rewritten from the conversation's turns (qa.answer.rewrite). A question that
        cannot be asked leaves the conversation and the question box as they were; the notice (HTML) says why."""
        return self.turn(question, history, conversation, mode, k, since, until)[:4]

    def turn(self, question: str, history: list, conversation: Conversation, mode: str, k: float,
             since: str, until: str) -> tuple[list, str, Conversation, str, Answer | None, str]:
        """`respond`'s outputs, with the answer (None when the question could not be asked) and the question as
        retrieved (with its follow-up context), for the generated answer that may follow (ui/llm_stream.py)."""
        try:
            cleaned = clean_question(question, self.settings.max_question_chars)
            asked, answer, _ = self.ask_in(cleaned, conversation.turns, k, mode, since, until)
            asked_as = asked.text if asked.rewritten else cleaned
        except (QuestionError, UserFacingError) as exc:
            log.warning("câu hỏi bị từ chối: %s", exc)
            return history, _sendable(question), conversation, notice_html(str(exc)), None, ""
        except Exception:  # a bug: logged with its traceback once, the user keeps the conversation
            log.exception("lỗi khi trả lời câu hỏi")
            return history, _sendable(question), conversation, notice_html(
                "Lỗi không mong đợi khi trả lời; hãy thử lại hoặc báo người quản trị."), None, ""
        conversation.turns = [*conversation.turns, turn_of(asked, answer)][-MAX_TURNS:]
        history = [*history, {"role": "user", "content": question_html(cleaned)},
                   {"role": "assistant", "content": answer_html(answer, asked_as if asked_as != cleaned else None, cleaned)}]
        conversation.answers[len(history) - 1] = feedback_record(cleaned, asked_as, answer)
        return history, "", conversation, "", answer, asked_as

    def on_vote(self, conversation: Conversation, vote: gr.LikeData) -> str:
        """Log the vote; the acknowledgement shown under the chat (HTML)."""
        record = conversation.answers.get(vote.index if isinstance(vote.index, int) else vote.index[0])
        if record is None:
            return ""
        if vote.liked not in (True, False):  # a vote taken back
            return ack_html("Đã bỏ đánh giá của bạn.")
        record_feedback(self.settings.feedback_log, record, "up" if vote.liked else "down")
        said = "câu trả lời tốt 👍" if vote.liked else "câu trả lời chưa tốt 👎"
        return ack_html(f"Cảm ơn bạn: đã ghi nhận «{said}». Đánh giá được lưu để cải thiện hệ thống.")

    def on_upload(self, files: list[str] | None, job_ids: list[int] | None):
        """Check and save the files, queue one index update for them; returns (files, report, job ids, timer)."""
        job_ids = list(job_ids or [])
        blocks = LocalContext.blocks.get(None)
        paths = [f for f in files or [] if isinstance(f, str)]
        # ui.upload_gate refuses a client-named path before Gradio copies it; checked again here for the
        # FileData forms that skip that copy (a "stream", a static file).
        refused = [f"«{_shown_name(f)}»: {NOT_UPLOADED}" for f in files or [] if not gradio_wrote(f, blocks)]
        try:
            lines = refused + self.add_files([(Path(f), Path(f).name) for f in paths if gradio_wrote(f, blocks)], job_ids)
        except Exception:  # a bug: logged once with its traceback; the user's line names no server path
            log.exception("lỗi khi lưu tệp tải lên")
            lines = ["Lỗi không mong đợi khi lưu tệp; hãy thử lại hoặc báo người quản trị."]
        return None, "\n".join([*lines, *self._job_lines(job_ids)]), job_ids, gr.Timer(active=self._any_pending(job_ids))

    def add_files(self, files: list[tuple[Path, str]], job_ids: list[int]) -> list[str]:
        """Validate and save `files` ((path, original name)) into the first corpus folder and queue a job
        (appended to `job_ids`). Returns the report lines (Vietnamese), one per file."""
        if not files:
            return []
        limit = self.settings.upload_max_files
        if len(files) > limit:
            return [f"Mỗi lần chỉ thêm được tối đa {limit} tệp (đã chọn {len(files)}); không tệp nào được lưu. {LARGE_BATCH_HINT}"]
        with self._upload_lock:
            return self._add_files(files, job_ids)

    def _add_files(self, files: list[tuple[Path, str]], job_ids: list[int]) -> list[str]:
        lines: list[str] = []
        known_ids = self._known_ids()
        known_texts = KnownTexts(self.jobs.pending_texts(), lookup=self._index_owner)
        budget = self.settings.upload_max_texts
        saved: list[Path] = []
        articles = []
        for path, original_name in files:
            try:
                upload = check_upload(path, original_name, known_ids, self.settings, known_texts)
                if upload.texts > budget:
                    raise UploadError(f"«{original_name}»: cần nhúng khoảng {vi_number(upload.texts)} đoạn và câu, vượt phần "
                                      f"còn lại ({vi_number(budget)}) của giới hạn {vi_number(self.settings.upload_max_texts)} "
                                      "cho một lần tải lên. "
                                      + LARGE_BATCH_HINT)
            except UploadError as exc:
                lines.append(f"{exc} Tệp không được lưu.")
                continue
            target = save_upload(upload, self.settings.corpus_dirs[0], known_ids)
            ids = saved_ids(upload, target)
            known_ids |= set(ids)
            for doc_id, article in zip(ids, upload.articles, strict=True):
                known_texts.add(article, doc_id)
                articles.append((doc_id, article))
            budget -= upload.texts
            saved.append(target)
            lines += [*upload.skipped, saved_line(upload, target)]
        if saved:
            try:
                job = self.jobs.submit(saved, articles, self.settings.upload_max_texts - budget)
                job_ids.append(job.id)
            except QueueFull:
                lines.append("Hàng đợi cập nhật chỉ mục đang đầy: các tệp đã lưu sẽ vào chỉ mục ở lần cập nhật sau "
                             "(hoặc chạy `qa index` trong terminal).")
        return lines

    def rebuild(self, job_ids: list[int] | None):
        """Queue an index update from the corpus folders as they are (files copied in by hand)."""
        job_ids = list(job_ids or [])
        try:
            job_ids.append(self.jobs.submit([], [], 0).id)
            lines = []
        except QueueFull:
            lines = ["Hàng đợi cập nhật chỉ mục đang đầy: hãy thử lại sau."]
        return "\n".join([*lines, *self._job_lines(job_ids)]), job_ids, gr.Timer(active=True)

    def upload_status(self, report: str, job_ids: list[int] | None):
        """Timer tick: the report's file lines stay, the job lines are refreshed; the timer stops when all are done."""
        job_ids = list(job_ids or [])
        kept = [line for line in (report or "").splitlines() if not line.startswith("Cập nhật chỉ mục #")]
        return "\n".join([*kept, *self._job_lines(job_ids)]), gr.Timer(active=self._any_pending(job_ids))

    def _job_lines(self, job_ids: list[int]) -> list[str]:
        return [line for line in (self.jobs.describe(j) for j in job_ids) if line]

    def _any_pending(self, job_ids: list[int]) -> bool:
        return any(self.jobs.is_pending(j) for j in job_ids)

    def _known_ids(self) -> set[str]:
        """Ids of the loaded index and of uploads still queued (reserved: an upload never claims them)."""
        try:
            indexed = set(self.engine.refresh().doc_ids())
        except IndexProblem:  # no index yet: the upload builds the first one
            indexed = set()
        # A text file copied into the corpus by hand and not indexed yet holds its id too.
        on_disk = {article_id(p) for folder in self.settings.corpus_dirs if folder.is_dir() for p in corpus_files(folder)
                   if p.suffix.lower() != ".jsonl"}
        return indexed | self.jobs.pending_ids() | on_disk

    def _index_owner(self, text_hash: str) -> str | None:
        """The article of the loaded index with this text, if any (from the index's catalog, not its articles)."""
        try:
            return self.engine.refresh().doc_with_text(text_hash)
        except IndexProblem:  # no index yet
            return None

    def status(self) -> str:
        try:
            status = self.engine.status()
            return status_html(status, date_range(self.engine.refresh()), self.jobs.queue_summary())
        except (IndexProblem, EmbedderError) as exc:
            message = index_error_message(exc) if isinstance(exc, IndexProblem) else str(exc)
            return f"<p>Chưa có chỉ mục dùng được: {escape(message)}</p>"

    def latest_report(self) -> tuple[str, str | None]:
        return latest_report(self.reports_dirs, self.plot_dir)
