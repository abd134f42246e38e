"""Issue 23, item 6: password guessing is slowed per account and per address across concurrent requests, for the
login form and HTTP Basic alike, and logged; FastAPI's /docs and /openapi.json need the login.

Before: HTTP Basic had no delay (200 wrong passwords in 0.49 s) and the form's 1 s delay was per request
(50 concurrent guesses in 1.19 s)."""

from __future__ import annotations

import base64
import logging
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from conftest import FakeEmbedder, copy_seeds
from ui_fixtures import free_port

from qa.index import build_index
from qa.settings import Settings
from ui.login_throttle import LoginThrottle
from ui.server import start_server

USER, PASSWORD = "bientap", "mat-khau-dung-23"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_concurrent_guesses_get_growing_slots_and_a_success_clears_them():
    clock = Clock()
    throttle = LoginThrottle(base_s=1.0, max_delay_s=30.0, max_wait_s=120.0, clock=clock)
    waits = [throttle.attempt(USER, "10.0.0.1", lambda: False).wait_s for _ in range(5)]  # all at the same instant
    assert waits == [1.0, 3.0, 7.0, 15.0, 31.0]
    other_address = throttle.attempt(USER, "10.0.0.2", lambda: False)  # the account's record holds it back
    assert other_address.wait_s == 31.0 + 30.0
    other_account = throttle.attempt("khac", "10.0.0.1", lambda: False)  # so does the address's
    assert other_account.wait_s >= 31.0
    right = throttle.attempt(USER, "10.0.0.3", lambda: True)
    assert right.ok and right.wait_s >= 61.0  # a right password while guesses are on record waits its slot
    clock.now += 200
    assert throttle.attempt(USER, "10.0.0.3", lambda: True).wait_s == 0.0
    assert throttle.attempt(USER, "10.0.0.9", lambda: True).wait_s == 0.0  # cleared: programs are not slowed


def test_past_the_longest_wait_a_guess_is_refused_without_being_compared():
    clock = Clock()
    throttle = LoginThrottle(base_s=1.0, max_delay_s=30.0, max_wait_s=60.0, clock=clock)
    compared = []
    verdicts = [throttle.attempt(USER, "10.0.0.1", lambda: compared.append(1) or False) for _ in range(20)]
    assert sum(v.refused for v in verdicts) == 20 - len(compared) and len(compared) <= 6
    assert all(not v.ok for v in verdicts)


@pytest.fixture(scope="module")
def login_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("login")
    settings = Settings.from_env({}, index_dir=root / "index", corpus_dirs=(copy_seeds(root / "corpus"),),
                                 login_delay_s=0.1)
    embedder = FakeEmbedder()
    build_index(settings, embedder=embedder, progress=False)
    server = start_server(settings, host="127.0.0.1", port=free_port(), auth=[(USER, PASSWORD)], embedder=embedder,
                          reports_dir=root)
    yield server
    server.close()


def _basic(password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{USER}:{password}".encode()).decode()}


def _timed(requests) -> float:
    started = time.monotonic()
    with ThreadPoolExecutor(len(requests)) as pool:
        statuses = list(pool.map(lambda send: send().status_code, requests))
    assert all(s in (401, 429) for s in statuses), statuses
    return time.monotonic() - started


@pytest.mark.server
def test_concurrent_wrong_passwords_are_slowed_for_the_form_and_http_basic(login_server, caplog):
    url = login_server.url
    caplog.set_level(logging.WARNING, logger="qa.ui")
    form = [lambda i=i: httpx.post(f"{url}/dang-nhap", data={"username": USER, "password": f"sai{i}"}, timeout=60)
            for i in range(6)]
    assert _timed(form) >= 0.1 * (2 ** 6 - 1) * 0.95  # 6 concurrent guesses: 0.1 + 0.2 + … + 3.2 s, not 0.1 s
    assert sum("đăng nhập sai: tài khoản «bientap»" in r.getMessage() for r in caplog.records) == 6
    right = httpx.post(f"{url}/dang-nhap", data={"username": USER, "password": PASSWORD}, timeout=60)
    assert right.status_code == 303  # after its slot: the right password still logs in, and clears the record
    basic = [lambda i=i: httpx.get(f"{url}/config", headers=_basic(f"sai{i}"), timeout=60) for i in range(6)]
    assert _timed(basic) >= 0.1 * (2 ** 6 - 1) * 0.95
    started = time.monotonic()
    assert httpx.get(f"{url}/config", headers=_basic(PASSWORD), timeout=60).status_code == 200
    assert httpx.get(f"{url}/config", headers=_basic(PASSWORD), timeout=60).status_code == 200
    assert time.monotonic() - started < 8


@pytest.mark.server
def test_api_docs_need_the_login(login_server):
    url = login_server.url
    for path in ("/docs", "/openapi.json", "/redoc"):
        refused = httpx.get(url + path)
        assert refused.status_code == 401 and "Cần đăng nhập" in refused.text, path
    assert httpx.get(url + "/openapi.json", headers=_basic(PASSWORD)).status_code == 200
