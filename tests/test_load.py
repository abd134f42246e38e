"""Issue 9, load: the real `qa serve` process on 127.0.0.1, 20 concurrent gradio_client clients × 50 questions
while `qa index` adds articles in another process, then more questions to watch the server's memory.

Checked: zero errors; every answer consistent with one whole generation (the old or the new one, never
a mix); the new articles answered once the build is swapped in; resident memory grows < 10 % over the
2,000 questions after warm-up. Latency p50/p95 and memory go to tests/artifacts/load.json (no timing is
asserted). Sizes: QA_LOAD_CLIENTS / QA_LOAD_QUESTIONS (per client, during the rebuild) / QA_LOAD_MEMORY_QUESTIONS.
In the suite they are 20 × 10 and 500 (about a minute and a half on two busy cores); `make load` runs the issue's
figures, 20 × 50 and 2,000 (about five minutes), for eval/reports/reliability.md. Bounded in time: the whole test
has a deadline (QA_LOAD_DEADLINE_S)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from conftest import CHAIR_DOC, CHAIR_QUESTION, ROOT, copy_seeds
from gradio_client import Client
from ui_fixtures import free_port

from qa.evaluation.evaluate import percentile
from qa.settings import Settings

pytestmark = pytest.mark.slow

CLIENTS = int(os.environ.get("QA_LOAD_CLIENTS", "20"))
QUESTIONS_PER_CLIENT = int(os.environ.get("QA_LOAD_QUESTIONS", "10"))
MEMORY_QUESTIONS = int(os.environ.get("QA_LOAD_MEMORY_QUESTIONS", "500"))
WARM_UP_PER_CLIENT = 10
DEADLINE_S = float(os.environ.get("QA_LOAD_DEADLINE_S", "900"))
ARTIFACTS = ROOT / "tests" / "artifacts"

# (question, what a correct answer holds) from the seed corpus
SEED_QUESTIONS = [
    (CHAIR_QUESTION, "Phạm Hoàng Long"),
    ("Ai là Cục trưởng Cục Chính trị?", "Lê Văn Thơ"),
    ("Ai chủ trì hội nghị giao ban công tác Đảng, công tác Chính trị quý 1 năm 2021 của Quân khu 2?", "Trịnh Văn Quyết"),
]
NEW_ARTICLES = 8
NEW_TEMPLATE = """title: Đơn vị {n} hoàn thành diễn tập Bình Minh {n}

Ngày {day}/6/2025, Tiểu đoàn {n}0{n} hoàn thành diễn tập Bình Minh {n}. Thiếu tá Hoàng Văn Sơn {n} chỉ huy cuộc diễn tập Bình Minh {n}.

Cuộc diễn tập có {n}00 chiến sĩ tham gia và kéo dài ba ngày.
"""
NEW_QUESTION = "Ai chỉ huy cuộc diễn tập Bình Minh 3?"
NEW_PERSON = "Hoàng Văn Sơn 3"


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.fixture(scope="module")
def served(seed_settings, tmp_path_factory):
    root = tmp_path_factory.mktemp("load")
    shutil.copytree(seed_settings.index_dir, root / "index", symlinks=True)
    settings = Settings.from_env({}, index_dir=root / "index", corpus_dirs=(copy_seeds(root / "corpus"),))
    port = free_port()
    env = {**os.environ, "QA_CORPUS_DIRS": str(settings.corpus_dirs[0]), "QA_INDEX_DIR": str(settings.index_dir),
           "QA_FEEDBACK_LOG": str(root / "feedback.jsonl")}
    log = open(root / "serve.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "qa.cli", "serve", "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=log)
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
    yield url, settings, env, proc, root
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log.close()


class Recorder:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.finished: list[float] = []  # monotonic time of each answer
        self.errors: list[str] = []
        self.new_answered = 0
        self.new_abstained = 0
        self.lock = threading.Lock()


def _check(result: dict, expected: str | None, known_docs: set[str], recorder: Recorder) -> None:
    """One answer is whole: its sources are articles of the corpus and their offsets hold; the expected person."""
    for source in result["sources"]:
        if source["doc_id"] not in known_docs:
            raise AssertionError(f"unknown article {source['doc_id']}")
        sentence = source["text"][source["sentence_start"] - source["start"]:source["sentence_end"] - source["start"]]
        if not sentence.strip() or source["end"] - source["start"] != len(source["text"]):
            raise AssertionError(f"offsets do not hold in {source['pid']}")
    if expected is None:  # the new article: answered from the new generation, or not yet there
        with recorder.lock:
            if result["abstained"]:
                recorder.new_abstained += 1
            elif NEW_PERSON in result["answer"]:
                recorder.new_answered += 1
            else:
                raise AssertionError(f"wrong answer for the new article: {result['answer'][:120]}")
    elif expected not in result["answer"]:
        raise AssertionError(f"{expected!r} missing from {result['answer'][:120]!r}")


def _client_run(client: Client, count: int, offset: int, known_docs: set[str], recorder: Recorder, stop_at: float,
                with_new: bool) -> None:
    for i in range(count):
        if time.monotonic() > stop_at:
            with recorder.lock:
                recorder.errors.append("deadline reached")
            return
        if with_new and (i + offset) % 5 == 4:
            question, expected = NEW_QUESTION, None
        else:
            question, expected = SEED_QUESTIONS[(i + offset) % len(SEED_QUESTIONS)]
        started = time.perf_counter()
        try:
            result = client.predict(question, api_name="/ask")
            elapsed = (time.perf_counter() - started) * 1000
            _check(result, expected, known_docs, recorder)
        except Exception as exc:  # every kind counts as an error of the load test
            with recorder.lock:
                recorder.errors.append(f"{type(exc).__name__}: {str(exc)[:200]}")
            continue
        with recorder.lock:
            recorder.latencies.append(elapsed)
            recorder.finished.append(time.monotonic())


def _round(clients: list[Client], per_client, known_docs, recorder, stop_at, with_new=False) -> None:
    """Each client asks `per_client` questions, all clients at once (the same clients, hence sessions, every round)."""
    with ThreadPoolExecutor(len(clients)) as pool:
        for future in [pool.submit(_client_run, client, per_client, c, known_docs, recorder, stop_at, with_new)
                       for c, client in enumerate(clients)]:
            future.result()


def test_load_during_a_rebuild_and_memory_over_many_questions(served):
    url, settings, env, proc, root = served
    stop_at = time.monotonic() + DEADLINE_S
    seed_docs = {p.stem for p in settings.corpus_dirs[0].glob("*.txt")}
    new_docs = {f"dien_tap_{n}" for n in range(1, NEW_ARTICLES + 1)}
    clients = [Client(url, verbose=False) for _ in range(CLIENTS)]
    warm = Recorder()
    _round(clients, WARM_UP_PER_CLIENT, seed_docs, warm, stop_at)  # caches and Gradio's records filled
    assert warm.errors == []
    rss_start = _rss_kib(proc.pid)

    for n in range(1, NEW_ARTICLES + 1):  # the rebuild: new articles, indexed by `qa index` in another process
        (settings.corpus_dirs[0] / f"dien_tap_{n}.txt").write_text(NEW_TEMPLATE.format(n=n, day=n + 1), encoding="utf-8")
    build_log = open(root / "index.log", "w")
    build = subprocess.Popen([sys.executable, "-m", "qa.cli", "index", "--quiet"], cwd=ROOT, env=env, stdout=build_log, stderr=build_log)
    build_done: list[float] = []
    waiter = threading.Thread(target=lambda: (build.wait(max(stop_at - time.monotonic(), 1)), build_done.append(time.monotonic())))
    waiter.start()
    load = Recorder()
    load_started = time.monotonic()
    _round(clients, QUESTIONS_PER_CLIENT, seed_docs | new_docs, load, stop_at, with_new=True)
    load_seconds = time.monotonic() - load_started
    waiter.join()
    build_log.close()
    assert build.returncode == 0, (root / "index.log").read_text()
    during_build = sum(1 for t in load.finished if t < build_done[0])
    assert load.errors == [], load.errors[:5]
    assert len(load.latencies) == CLIENTS * QUESTIONS_PER_CLIENT

    after = Client(url, verbose=False).predict(NEW_QUESTION, api_name="/ask")  # the new generation is served
    assert NEW_PERSON in after["answer"] and after["sources"][0]["doc_id"] == "dien_tap_3"
    assert Client(url, verbose=False).predict(CHAIR_QUESTION, api_name="/ask")["sources"][0]["doc_id"] == CHAIR_DOC

    memory = Recorder()
    samples = [(0, rss_start)]
    asked = len(load.latencies) + 2
    per_round = max(MEMORY_QUESTIONS // 8 // CLIENTS, 1)
    while asked < MEMORY_QUESTIONS and time.monotonic() < stop_at:
        _round(clients, per_round, seed_docs | new_docs, memory, stop_at)
        asked += CLIENTS * per_round
        samples.append((asked, _rss_kib(proc.pid)))
    assert memory.errors == [], memory.errors[:5]
    assert asked >= MEMORY_QUESTIONS
    growth = samples[-1][1] / rss_start - 1

    figures = {
        "clients": CLIENTS, "questions_per_client": QUESTIONS_PER_CLIENT, "questions_during_rebuild": len(load.latencies),
        "errors": len(load.errors) + len(memory.errors), "load_seconds": round(load_seconds, 1),
        "throughput_per_s": round(len(load.latencies) / load_seconds, 1),
        "latency_ms_p50": round(percentile(load.latencies, 0.5), 1), "latency_ms_p95": round(percentile(load.latencies, 0.95), 1),
        "latency_ms_p50_after": round(percentile(memory.latencies, 0.5), 1),
        "latency_ms_p95_after": round(percentile(memory.latencies, 0.95), 1),
        "new_article_answered_during_rebuild": load.new_answered, "new_article_not_yet_there": load.new_abstained,
        "answered_while_the_build_ran": during_build, "build_seconds": round(build_done[0] - load_started, 1),
        "rss_kib_samples": samples, "memory_questions": asked, "rss_growth": round(growth, 4),
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "load.json").write_text(json.dumps(figures, indent=1), encoding="utf-8")
    print(json.dumps(figures))
    assert load.new_answered + load.new_abstained == sum(1 for c in range(CLIENTS) for i in range(QUESTIONS_PER_CLIENT)
                                                         if (i + c) % 5 == 4)
    for client in clients:
        client.close()
    assert during_build > 0  # the build really ran under load
    assert growth < 0.10, samples


# Issue 23, item 4: a question's cost is bounded and one slow question cannot hold others. The worst case that
# passes the limits is a question just under QA_MAX_QUESTION_TOKENS (each one distinct: no cached vector).
MIXED_NORMAL_QUESTIONS = int(os.environ.get("QA_LOAD_MIXED_QUESTIONS", "40"))
WORST_CASE_IN_FLIGHT = 3


def _worst_case_question(n: int) -> str:
    words = f"Ai chủ trì hội nghị tổng kết công tác đảng năm {2000 + n % 24} của Quân khu {n % 9 + 1} ngày {n % 28 + 1}/1 "
    return (words * 40)[:900].rsplit(" ", 1)[0] + "?"


def _normal_latencies(client: Client, count: int, known_docs: set[str]) -> list[float]:
    recorder = Recorder()
    for i in range(count):
        question, expected = SEED_QUESTIONS[i % len(SEED_QUESTIONS)]
        started = time.perf_counter()
        _check(client.predict(question, api_name="/ask"), expected, known_docs, recorder)
        recorder.latencies.append((time.perf_counter() - started) * 1000)
    return recorder.latencies


def test_a_normal_question_is_not_held_by_worst_case_questions_in_flight(served):
    url, settings, _, _, _ = served
    known = {p.stem for p in settings.corpus_dirs[0].glob("*.txt")}
    normal = Client(url, verbose=False)
    _normal_latencies(normal, 6, known)  # warm
    alone = _normal_latencies(normal, MIXED_NORMAL_QUESTIONS, known)
    stop = threading.Event()
    worst: list[float] = []
    problems: list[str] = []

    def hammer(lane: int) -> None:
        client = Client(url, verbose=False)
        n = lane * 1000
        while not stop.is_set():
            n += 1
            started = time.perf_counter()
            try:
                result = client.predict(_worst_case_question(n), api_name="/ask")
                assert isinstance(result, dict) and "answer" in result
                worst.append((time.perf_counter() - started) * 1000)
            except Exception as exc:  # the budget's notice is a Vietnamese error; anything else is a problem
                if "Máy chủ chưa trả lời được" not in str(exc):
                    problems.append(f"{type(exc).__name__}: {str(exc)[:200]}")
        client.close()

    threads = [threading.Thread(target=hammer, args=(lane,)) for lane in range(WORST_CASE_IN_FLIGHT)]
    for thread in threads:
        thread.start()
    time.sleep(3)  # all three worst-case questions in flight
    mixed = _normal_latencies(normal, MIXED_NORMAL_QUESTIONS, known)
    stop.set()
    for thread in threads:
        thread.join(120)
    normal.close()
    figures = {"normal_alone_ms_p50": round(percentile(alone, 0.5), 1), "normal_alone_ms_p95": round(percentile(alone, 0.95), 1),
               "normal_mixed_ms_p50": round(percentile(mixed, 0.5), 1), "normal_mixed_ms_p95": round(percentile(mixed, 0.95), 1),
               "worst_case_answered": len(worst), "worst_case_ms_p50": round(percentile(worst, 0.5), 1) if worst else None,
               "worst_case_in_flight": WORST_CASE_IN_FLIGHT, "normal_questions": MIXED_NORMAL_QUESTIONS}
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "load-mixed.json").write_text(json.dumps(figures, indent=1), encoding="utf-8")
    print(json.dumps(figures))
    assert problems == [], problems[:3]
    assert worst, "no worst-case question was answered"
    assert percentile(mixed, 0.95) <= 2 * percentile(alone, 0.95), figures
