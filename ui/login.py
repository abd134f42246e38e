"""Login for the pages that need one: a Vietnamese login page and sessions in a cookie, given to Gradio
as its `auth_dependency` (Gradio's own login page is English: its translations only reach the page
after login).

Programs may send HTTP Basic credentials instead of the cookie (gradio_client: `headers=`)."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import secrets
import threading
import time
from html import escape
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from ui.fonts import font_face_css
from ui.login_throttle import LoginThrottle, Verdict

LOGIN_PATH = "/dang-nhap"
LOGOUT_PATH = "/dang-xuat"
COOKIE = "qa_session"
SESSION_SECONDS = 12 * 3600
MAX_SESSIONS = 10_000
# FastAPI's own API pages: behind the login too (they list every route).
API_DOC_PATHS = ("/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json")
TOO_MANY = "Đã thử sai quá nhiều lần; hãy thử lại sau vài phút."


class Sessions:
    """Who may log in (name, password) and who is logged in (cookie token -> name, expiry)."""

    def __init__(self, credentials: list[tuple[str, str]], throttle: LoginThrottle | None = None) -> None:
        self._credentials = list(credentials)
        self.throttle = throttle or LoginThrottle()
        self._sessions: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def check(self, name: str, password: str) -> bool:
        ok = False
        for known_name, known_password in self._credentials:  # every entry compared: no early exit to time
            ok |= hmac.compare_digest(name.encode(), known_name.encode()) & hmac.compare_digest(password.encode(), known_password.encode())
        return ok

    def open(self, name: str) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            if len(self._sessions) >= MAX_SESSIONS:
                self._sessions.pop(next(iter(self._sessions)))
            self._sessions[token] = (name, time.time() + SESSION_SECONDS)
        return token

    def close(self, token: str | None) -> None:
        with self._lock:
            self._sessions.pop(token or "", None)

    async def attempt(self, name: str, password: str, request: Request) -> Verdict:
        """A login attempt, slowed down per account and per address (ui.login_throttle): the answer is held."""
        verdict = self.throttle.attempt(name, client_address(request), lambda: self.check(name, password))
        if verdict.wait_s > 0:
            await asyncio.sleep(verdict.wait_s)
        return verdict

    async def user(self, request: Request) -> str | None:
        """The logged-in name for Gradio's auth_dependency (which may be async); None: not logged in."""
        token = request.cookies.get(COOKIE)
        if token:
            with self._lock:
                name, expires = self._sessions.get(token, (None, 0.0))
            if name is not None and expires > time.time():
                return name
        return await self._basic_user(request)

    async def _basic_user(self, request: Request) -> str | None:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            name, colon, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        if not colon:
            return None
        return name if (await self.attempt(name, password, request)).ok else None


def client_address(request: Request) -> str:
    return request.client.host if request.client else "?"


def _safe_next(target: str | None, default: str) -> str:
    """Only a path of this site (no `//host` or scheme): the login page is no open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


_PAGE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Đăng nhập — {title}</title>
<style>
{fonts}
body {{ font-family: 'Be Vietnam Pro', system-ui, sans-serif; background: #f6f7f9; display: flex; justify-content: center;
       padding-top: 10vh; }}
form {{ background: white; padding: 24px 28px; border-radius: 10px; box-shadow: 0 1px 4px rgba(0,0,0,.12); width: 320px; }}
label {{ display: block; margin: 12px 0 4px; }} input {{ width: 100%; padding: 8px; box-sizing: border-box; }}
button {{ margin-top: 18px; width: 100%; padding: 9px; background: #f97316; color: white; border: 0; border-radius: 6px; }}
.error {{ color: #b91c1c; margin-top: 10px; }}
</style></head>
<body><form method="post" action="{action}">
<h2>Đăng nhập</h2><p>{message}</p>
<input type="hidden" name="next" value="{next}">
<label for="username">Tên đăng nhập</label><input id="username" name="username" autocomplete="username" required autofocus>
<label for="password">Mật khẩu</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Đăng nhập</button>{error}
</form></body></html>"""


def install_login(app: FastAPI, sessions: Sessions, protected_page: str, title: str, message: str) -> None:
    """The login and logout routes, and a redirect to the login page for a browser opening `protected_page`
    ("/" or a mount path) without a session. Call before mounting anything at "/"."""
    pages = {protected_page, protected_page.rstrip("/") or "/", protected_page.rstrip("/") + "/"}

    def page(next_path: str, error: str = "", status: int = 200) -> HTMLResponse:
        shown_error = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
        html = _PAGE.format(fonts=font_face_css(), title=escape(title), action=LOGIN_PATH, message=escape(message),
                            next=escape(next_path, quote=True), error=shown_error)
        return HTMLResponse(html, status_code=status)

    @app.get(LOGIN_PATH, include_in_schema=False)
    def login_page(request: Request) -> HTMLResponse:
        return page(_safe_next(request.query_params.get("next"), protected_page))

    @app.post(LOGIN_PATH, include_in_schema=False)
    async def login(request: Request) -> Response:
        form = await request.form()
        name, password = str(form.get("username", "")), str(form.get("password", ""))
        target = _safe_next(str(form.get("next", "")), protected_page)
        verdict = await sessions.attempt(name, password, request)
        if verdict.refused:
            return page(target, TOO_MANY, status=429)
        if not verdict.ok:
            return page(target, "Sai tên đăng nhập hoặc mật khẩu.", status=401)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(COOKIE, sessions.open(name), max_age=SESSION_SECONDS, httponly=True, samesite="lax",
                            secure=request.url.scheme == "https", path="/")
        return response

    @app.get(LOGOUT_PATH, include_in_schema=False)
    def logout(request: Request) -> Response:
        sessions.close(request.cookies.get(COOKIE))
        response = RedirectResponse(LOGIN_PATH + "?next=" + quote(protected_page), status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    @app.middleware("http")
    async def to_login_page(request: Request, call_next):
        path = request.url.path
        if request.method == "GET" and path in pages and await sessions.user(request) is None:
            return RedirectResponse(LOGIN_PATH + "?next=" + quote(path), status_code=303)
        if path in API_DOC_PATHS and await sessions.user(request) is None:
            return PlainTextResponse("Cần đăng nhập để xem trang này.", status_code=401)
        return await call_next(request)
