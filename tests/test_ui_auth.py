"""Issue 9, item 7: off loopback, adding articles and updating the index need a login.

A real `qa serve --host 0.0.0.0` process (traffic only to 127.0.0.1), gradio_client and a real browser."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time

import httpx
import pytest
from conftest import CHAIR_QUESTION, ROOT, copy_seed_index
from gradio_client import Client
from gradio_client.exceptions import AppError
from playwright.sync_api import expect
from ui_fixtures import ANSWER_TIMEOUT_MS, free_port, upload

from qa.errors import UserError
from qa.messages import is_vietnamese
from qa.settings import Settings
from ui.server import check_exposure, read_credentials, start_server

USER, PASSWORD = "bientap", "mat-khau-thu-9"
ARTICLE = """title: Đại đội 7 nhận cờ thi đua

Ngày 9/9, Đại đội 7 nhận cờ thi đua của Sư đoàn 330. Trung úy Hà Quang Vĩnh Phúc là Đại đội trưởng Đại đội 7.
"""
QUESTION = "Ai là Đại đội trưởng Đại đội 7 nhận cờ thi đua của Sư đoàn 330?"


def _copy_index(seed_settings, root) -> Settings:
    """The session's seed index copied (not rebuilt) with its corpus: this module adds articles to it."""
    return copy_seed_index(seed_settings, root, feedback_log=root / "feedback.jsonl")


def _qa(*args, env=None, **kwargs):
    return subprocess.run([sys.executable, "-m", "qa.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=120, **kwargs)


@pytest.fixture(scope="module")
def public_ask_server(seed_settings, tmp_path_factory):
    """`qa serve --host 0.0.0.0 --public-ask` with credentials from the environment."""
    root = tmp_path_factory.mktemp("auth")
    settings = _copy_index(seed_settings, root)
    port = free_port()
    env = {**os.environ, "QA_AUTH_USERS": f"{USER}:{PASSWORD}", "QA_CORPUS_DIRS": str(settings.corpus_dirs[0]),
           "QA_FEEDBACK_LOG": str(settings.feedback_log)}
    log = open(root / "serve.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "qa.cli", "serve", "--host", "0.0.0.0", "--port", str(port),
                             "--index", str(settings.index_dir), "--public-ask"], cwd=ROOT, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while True:
        try:
            if httpx.get(f"{url}/config", timeout=5).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, (root / "serve.log").read_text()
        time.sleep(0.5)
    yield url, settings, root
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log.close()


@pytest.mark.server
def test_serving_off_loopback_without_credentials_is_refused(tmp_path):
    out = _qa("serve", "--host", "0.0.0.0", "--port", str(free_port()), "--index", str(tmp_path))
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert "QA_AUTH_USERS" in out.stderr and "--no-auth" in out.stderr and is_vietnamese(out.stderr)
    secret = "mat-khau-lo-ra"
    out = _qa("serve", "--port", str(free_port()), "--index", str(tmp_path), env={"QA_AUTH_USERS": f"ok:pw,{secret}"})
    assert out.returncode == 2 and "QA_AUTH_USERS: mục thứ 2 cần dạng tên:mật_khẩu." in out.stderr and secret not in out.stderr


def test_credentials_come_from_the_environment_or_a_file(tmp_path):
    users = tmp_path / "users.txt"
    users.write_text(f"# người biên tập\n{USER}:{PASSWORD}\nadmin:a:b\n", encoding="utf-8")
    settings = Settings.from_env({"QA_AUTH_USERS": "x:1", "QA_AUTH_FILE": str(users)})
    assert read_credentials(settings) == [("x", "1"), (USER, PASSWORD), ("admin", "a:b")]
    assert check_exposure(settings, "0.0.0.0") == read_credentials(settings)
    assert check_exposure(Settings.from_env({}), "127.0.0.1") is None  # loopback: no login needed
    assert check_exposure(Settings.from_env({}), "0.0.0.0", no_auth=True) is None  # said explicitly
    with pytest.raises(UserError, match="cần đăng nhập"):
        check_exposure(Settings.from_env({}), "192.168.1.5")


def _basic(name: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{name}:{password}".encode()).decode()}


def test_anonymous_users_can_ask_but_not_reach_the_admin_page(public_ask_server):
    url, _, _ = public_ask_server
    result = Client(url, verbose=False).predict(CHAIR_QUESTION, api_name="/ask")
    assert "Phạm Hoàng Long" in result["answer"]
    page = httpx.get(f"{url}/quan-tri/")
    assert page.status_code == 303 and page.headers["location"] == "/dang-nhap?next=/quan-tri/"
    for path in ("/quan-tri/config", "/quan-tri/gradio_api/info", "/quan-tri/gradio_api/upload"):
        assert httpx.request("POST" if path.endswith("upload") else "GET", url + path).status_code == 401, path
    with pytest.raises(Exception):  # noqa: B017 - gradio_client raises its own kinds for a 401
        Client(f"{url}/quan-tri/", verbose=False)
    with pytest.raises(Exception):  # noqa: B017
        Client(f"{url}/quan-tri/", headers=_basic(USER, "sai"), verbose=False)
    assert httpx.get(f"{url}/quan-tri/config", headers=_basic(USER, PASSWORD)).status_code == 200
    login = httpx.post(f"{url}/dang-nhap", data={"username": USER, "password": "sai", "next": "//evil.example/"})
    assert login.status_code == 401 and "Sai tên đăng nhập hoặc mật khẩu." in login.text and 'lang="vi"' in login.text
    login = httpx.post(f"{url}/dang-nhap", data={"username": USER, "password": PASSWORD, "next": "//evil.example/"})
    assert login.status_code == 303 and login.headers["location"] == "/quan-tri"  # no open redirect
    assert "httponly" in login.headers["set-cookie"].lower() and "samesite=lax" in login.headers["set-cookie"].lower()


def test_the_public_page_has_no_upload_and_the_admin_page_needs_a_login(public_ask_server, browser, tmp_path):
    url, settings, _ = public_ask_server
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(url)
        expect(page.locator("#admin-link")).to_contain_text("đăng nhập trang quản trị", timeout=ANSWER_TIMEOUT_MS)
        expect(page.locator('#upload input[type="file"]')).to_have_count(0)
        page.locator("#admin-link a").click()
        expect(page.get_by_role("heading", name="Đăng nhập")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
        expect(page.locator("body")).to_contain_text("Đăng nhập để thêm bài viết")
        page.get_by_label("Tên đăng nhập").fill(USER)
        page.get_by_label("Mật khẩu").fill("sai-mat-khau")
        page.get_by_role("button", name="Đăng nhập").click()
        expect(page.get_by_role("alert")).to_have_text("Sai tên đăng nhập hoặc mật khẩu.", timeout=ANSWER_TIMEOUT_MS)
        page.get_by_label("Tên đăng nhập").fill(USER)
        page.get_by_label("Mật khẩu").fill(PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()
        expect(page.locator('#upload input[type="file"]')).to_be_attached(timeout=ANSWER_TIMEOUT_MS)
        path = tmp_path / "Đại đội 7.txt"
        path.write_text(ARTICLE, encoding="utf-8")
        assert "xong: thêm 1," in upload(page, path)
        page.get_by_role("link", name="Đăng xuất").click()
        expect(page.get_by_role("heading", name="Đăng nhập")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    finally:
        page.close()
    assert (settings.corpus_dirs[0] / "Dai_doi_7.txt").exists()
    answer = Client(url, verbose=False).predict(QUESTION, api_name="/ask")  # anonymous asking sees the new article
    assert "Hà Quang Vĩnh Phúc" in answer["answer"]


def test_without_public_asking_everything_needs_the_login(seed_settings, tmp_path):
    settings = _copy_index(seed_settings, tmp_path)
    auth = check_exposure(settings.with_(auth_users=f"{USER}:{PASSWORD}"), "0.0.0.0")
    server = start_server(settings, host="0.0.0.0", port=free_port(), auth=auth, reports_dir=tmp_path)
    try:
        assert httpx.get(f"{server.url}/config").status_code == 401
        assert httpx.get(f"{server.url}/").headers["location"] == "/dang-nhap?next=/"
        with pytest.raises(Exception):  # noqa: B017 - gradio_client raises its own kinds for a 401
            Client(server.url, verbose=False)
        client = Client(server.url, headers=_basic(USER, PASSWORD), verbose=False)
        assert "Phạm Hoàng Long" in client.predict(CHAIR_QUESTION, api_name="/ask")["answer"]
        with pytest.raises(AppError, match="Câu hỏi trống"):
            client.predict("  ", api_name="/chat")
        client.close()  # its open stream would hold the server's shutdown
    finally:
        server.close()
