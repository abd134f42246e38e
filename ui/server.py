"""Serving the chat: one FastAPI app run by uvicorn, Gradio pages mounted on it, login where the server is exposed.

* loopback (the default) without credentials: one open page, uploads included;
* credentials given (QA_AUTH_USERS="name:password,..." and/or QA_AUTH_FILE with `name:password` lines):
  the page needs a login (ui.login: a Vietnamese login page, Gradio's auth_dependency); with `public_ask`
  asking is open and only the admin page (ADMIN_PATH), where articles are added and the index updated,
  needs the login;
* off loopback without credentials: refused, unless `--no-auth` says so explicitly.
Credentials come from the environment or a file, never from the repository.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import uvicorn
from fastapi import FastAPI

from qa.embed.embedders import Embedder
from qa.errors import UserError
from qa.ingest.corpus import MAX_FILE_BYTES, os_error_reason
from qa.settings import Settings
from ui.api_doc import mount_api_doc
from ui.app import ADMIN_PATH, CSS, TITLE, build_admin_app, build_app
from ui.fonts import mount_fonts
from ui.i18n import vietnamese_i18n
from ui.login import Sessions, install_login
from ui.login_throttle import LoginThrottle
from ui.page import VietnamesePage, footer_links, page_head, page_theme
from ui.service import ChatService

REPORTS_DIR = Path("eval/reports")  # the project's own reports (`make eval`)
USER_REPORTS_DIR = Path("danh-gia")  # `qa eval`'s default --out: the user's own reports, shown first when newer
REPORTS_DIRS = (USER_REPORTS_DIR, REPORTS_DIR)
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
AUTH_MESSAGE = "Đăng nhập để dùng trang này (tên và mật khẩu do người quản trị cấp)."
ADMIN_AUTH_MESSAGE = "Đăng nhập để thêm bài viết và cập nhật chỉ mục."


def read_credentials(settings: Settings) -> list[tuple[str, str]]:
    """(name, password) pairs from settings.auth_users and the lines of settings.auth_file."""
    entries = [("QA_AUTH_USERS", i, e.strip()) for i, e in enumerate(settings.auth_users.split(","), 1) if e.strip()]
    if settings.auth_file is not None:
        try:
            lines = settings.auth_file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise UserError(f"QA_AUTH_FILE: không đọc được tệp {settings.auth_file} ({os_error_reason(exc)}).") from None
        entries += [("QA_AUTH_FILE", i, line.strip()) for i, line in enumerate(lines, 1) if line.strip() and not line.startswith("#")]
    credentials = []
    for source, number, entry in entries:
        name, colon, password = entry.partition(":")
        if not colon or not name.strip() or not password:
            # The entry is not echoed: it may hold a password.
            raise UserError(f"{source}: mục thứ {number} cần dạng tên:mật_khẩu.")
        credentials.append((name.strip(), password))
    return credentials


def check_exposure(settings: Settings, host: str, no_auth: bool = False) -> list[tuple[str, str]] | None:
    """The credentials to serve with (None: no login). UserError when the server would be reachable
    from other machines with no login and `--no-auth` was not given."""
    credentials = read_credentials(settings)
    if no_auth:
        return None
    if host not in LOOPBACK_HOSTS and not credentials:
        raise UserError(
            f"--host {host} mở máy chủ cho các máy khác nên cần đăng nhập: đặt QA_AUTH_USERS=\"tên:mật_khẩu\" "
            "(hoặc QA_AUTH_FILE), hoặc thêm --no-auth nếu thật sự muốn ai cũng tải bài lên được."
        )
    return credentials or None


# Gradio keeps a record of every request (up to 10,000) and recomputes a pandas summary of them after each
# one, for its API page's statistics: memory and time per request grow with the count. Keep few, summarise rarely.
GRADIO_FILE_LIMIT_FACTOR = 5
NO_UPLOADS_FILE_LIMIT = 1024
GRADIO_QUEUE_ANALYTICS = {"GRADIO_ANALYTICS_MAX_EVENTS": "200", "GRADIO_ANALYTICS_CACHE_FREQUENCY": "100"}


def create_app(settings: Settings, auth: list[tuple[str, str]] | None = None, reports_dir: Path | tuple[Path, ...] = REPORTS_DIRS,
               embedder: Embedder | None = None, host: str = "127.0.0.1") -> tuple[FastAPI, ChatService]:
    for name, value in GRADIO_QUEUE_ANALYTICS.items():  # read when the Blocks' queue is made, below
        os.environ.setdefault(name, value)
    reports = (reports_dir,) if isinstance(reports_dir, Path) else tuple(reports_dir)
    plot_dir = Path(tempfile.mkdtemp(prefix="qa-bieu-do-"))  # the report's plot, drawn from its JSON
    service = ChatService(settings, reports, plot_dir, embedder=embedder)
    app = FastAPI()
    app.add_middleware(VietnamesePage)
    mount_fonts(app)
    mount_api_doc(app)
    loopback = host in LOOPBACK_HOSTS
    common = {
        "i18n": vietnamese_i18n(), "css": CSS, "theme": page_theme(), "head": page_head(),
        "allowed_paths": [str(p.resolve()) for p in (*reports, plot_dir)],
        # Gradio's own limit stops what is far too big before it is stored (its message is English: set well above
        # the upload limit, whose Vietnamese message comes from ui.uploads).
        "max_file_size": max(settings.upload_max_bytes, MAX_FILE_BYTES) * GRADIO_FILE_LIMIT_FACTOR,
        "footer_links": footer_links(loopback),
        "run_history": False, "sessions": settings.ui_sessions,
        # An unexpected exception's text (which may hold a server path) is not sent to the client; gr.Error's
        # Vietnamese messages still are.
        "show_error": False,
    }
    if not auth:
        _mount(app, build_app(service, api_link=loopback), "/", **common)
        return app, service
    sessions = Sessions(auth, LoginThrottle(base_s=settings.login_delay_s))
    if settings.public_ask:
        install_login(app, sessions, ADMIN_PATH, TITLE, ADMIN_AUTH_MESSAGE)
        _mount(app, build_admin_app(service), ADMIN_PATH, auth_dependency=sessions.user, **common)
        public = {**common, "max_file_size": NO_UPLOADS_FILE_LIMIT}  # the open page takes no files at all
        _mount(app, build_app(service, uploads=False, admin_link=ADMIN_PATH), "/", **public)
    else:
        install_login(app, sessions, "/", TITLE, AUTH_MESSAGE)
        _mount(app, build_app(service, logout=True), "/", auth_dependency=sessions.user, **common)
    return app, service


def _mount(app: FastAPI, blocks: gr.Blocks, path: str, sessions: int, **options) -> None:
    # Gradio keeps each session's copy of the page's components (~100 kB here) for its latest 10,000 sessions
    # by default: up to a gigabyte. `launch` takes the number; a mounted app reads it from the Blocks.
    blocks.state_session_capacity = sessions
    gr.mount_gradio_app(app, blocks, path, **options)


@dataclass
class RunningServer:
    url: str
    service: ChatService
    _server: uvicorn.Server
    _thread: threading.Thread

    def close(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)


def start_server(settings: Settings, host: str = "127.0.0.1", port: int = 7860, auth: list[tuple[str, str]] | None = None,
                 reports_dir: Path | tuple[Path, ...] = REPORTS_DIRS, embedder: Embedder | None = None,
                 timeout: float = 60.0) -> RunningServer:
    """The server in a background thread (tests, benchmarks); returns once it accepts connections."""
    app, service = create_app(settings, auth, reports_dir, embedder, host=host)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="qa-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"máy chủ không khởi động được trên {host}:{port}")
        time.sleep(0.05)
    return RunningServer(f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}", service, server, thread)


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7860, auth: list[tuple[str, str]] | None = None) -> None:
    """Serve until interrupted (never a public share link)."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s", force=True)
    app, _ = create_app(settings, auth, host=host)
    where = "mọi địa chỉ của máy này" if host in ("0.0.0.0", "::") else host
    login = "không cần đăng nhập" if not auth else (
        f"hỏi tự do, thêm bài tại {ADMIN_PATH} cần đăng nhập" if settings.public_ask else "cần đăng nhập")
    print(f"Trang hỏi đáp: http://{host}:{port}/ ({where}; {login}). Ctrl+C để dừng.", flush=True)
    try:
        uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning")).run()
    except KeyboardInterrupt:  # uvicorn stops on Ctrl+C, then raises it again: a stop asked for, not a failure
        pass
    print("Đã dừng trang hỏi đáp.", flush=True)
