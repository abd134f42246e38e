"""Issue 9, item 9: every message of the `qa` command is one Vietnamese line with exit code 2."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ROOT, run_cli

from qa.errors import BuildAborted, IndexCorrupt, IndexLocked, IndexMismatch, IndexNotFound
from qa.messages import index_error_message, is_vietnamese

ENGLISH = ("usage", "error:", "invalid", "argument", "choose from", "required", "unrecognized", "Traceback", "no index")


def _qa(*args, env: dict | None = None):
    return run_cli(*args, env=env)


def _qa_process(*args):
    """A real `python -m qa.cli` process: its own exit status, argparse's SystemExit included."""
    return subprocess.run([sys.executable, "-m", "qa.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def _assert_one_vietnamese_line(out, *expected: str) -> None:
    assert out.returncode == 2, out
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    words = " ".join(w for w in lines[0].split() if "/" not in w).lower()  # paths (tmp folders) aside
    assert is_vietnamese(lines[0]) and not any(word.lower() in words for word in ENGLISH), lines[0]
    for text in expected:
        assert text in lines[0], lines[0]
    assert out.stdout == ""


@pytest.mark.parametrize(("args", "expected"), [
    (["--k", "0"], ("qa ask: -k/--k", "từ 1 đến 50", "không phải 0")),
    (["--k", "-3"], ("--k", "không phải -3")),
    (["--k", "ba"], ("--k", "«ba»")),
    (["--mode", "foo"], ("--mode", "«foo»", "hybrid, dense, bm25")),
    (["--since", "2024-13-01"], ("--since", "«2024-13-01»", "dd/mm/yyyy hoặc yyyy-mm-dd")),
    (["--since", "31/02/2024"], ("--since", "«31/02/2024»", "dd/mm/yyyy")),
    (["--since", "2024-06-01", "--until", "2024-01-01"], ("Khoảng ngày không hợp lệ", "2024-06-01", "2024-01-01")),
    (["--json", "--oops"], ("không hiểu đối số: --oops",)),
])
def test_bad_options_of_ask(tmp_path, args, expected):
    _assert_one_vietnamese_line(_qa("ask", "Ai chủ trì hội nghị?", "--index", str(tmp_path), *args), *expected)


def test_a_missing_argument_and_a_missing_index(tmp_path):
    _assert_one_vietnamese_line(_qa_process("ask"), "thiếu đối số bắt buộc")
    _assert_one_vietnamese_line(_qa_process("ask", "Ai?", "--index", str(tmp_path / "none")),
                                f"Chưa có chỉ mục trong {tmp_path / 'none'}", "`qa index`")


def test_a_long_option_typed_with_one_dash_gets_a_hint_and_the_index_hint_names_the_flag(tmp_path):
    """Issue 16, item 9: `-since` -> «Ý bạn là `--since`?»; `-k 3` is `--k 3`; a missing index names `--index`."""
    _assert_one_vietnamese_line(_qa("ask", "Ai?", "--index", str(tmp_path), "-since", "2024-01-01"),
                                "không hiểu đối số: -since", "Ý bạn là `--since`?")
    _assert_one_vietnamese_line(_qa("ask", "Ai?", "--index", str(tmp_path / "none"), "-k", "3"),
                                "Chưa có chỉ mục", "`--index THƯ_MỤC`")


def test_bad_settings_from_the_environment(tmp_path):
    _assert_one_vietnamese_line(_qa("ask", "Ai?", "--index", str(tmp_path), env={"QA_K": "0"}), "QA_K")
    _assert_one_vietnamese_line(_qa("ask", "Ai?", "--index", str(tmp_path), env={"QA_CANDIDATES": "nhiều"}), "QA_CANDIDATES")


def test_help_is_vietnamese():
    out = _qa("ask", "--help")
    assert out.returncode == 0 and "Cách dùng: qa ask" in out.stdout and "số nguồn" in out.stdout
    assert "usage" not in out.stdout and "show this help" not in out.stdout


@pytest.mark.parametrize(("error", "expected"), [
    (IndexNotFound("no index in idx: run `qa index` first"), "Chưa có chỉ mục trong idx: hãy chạy `qa index` trước, "
                                                           "hoặc chỉ đúng thư mục chỉ mục bằng `--index THƯ_MỤC`."),
    (IndexMismatch("index idx/gen-1 was built with 'a', not 'b': run `qa index --full`"), "qa index --full"),
    (IndexCorrupt("index idx/gen-1 is damaged (OSError: x): run `qa index --full`"), "bị hỏng"),
    (IndexLocked("another build of idx is running (pid 4242); try again when it ends"), "tiến trình 4242"),
    (BuildAborted("fail-point: aborted after 2 embedding batches"), "chỉ mục cũ vẫn dùng được"),
    (IndexNotFound("Chưa có chỉ mục trong idx (thông báo của chỉ mục)."), "Chưa có chỉ mục trong idx (thông báo của chỉ mục)."),
])
def test_index_errors_are_shown_in_vietnamese(error, expected):
    message = index_error_message(error, "idx")
    assert expected in message and is_vietnamese(message)
    assert "/" not in index_error_message(error).replace("`", "")  # the server names no path


def test_numbers_durations_and_dates_are_written_the_vietnamese_way():
    """Issue 16, item 4: one format wherever a user reads a number: decimal comma, thousands dot, day/month/year."""
    from datetime import datetime

    from qa.messages import vi_date, vi_datetime, vi_number, vi_percent, vi_seconds

    assert (vi_number(1234.5, 1), vi_number(0.9384, 3), vi_number(1190), vi_number(2_300_000)) == ("1.234,5", "0,938", "1.190", "2.300.000")
    assert (vi_percent(0.756), vi_seconds(2.14), vi_seconds(0.04), vi_seconds(75), vi_seconds(4000)) == (
        "75,6 %", "2,1 giây", "0,04 giây", "1 phút 15 giây", "1 giờ 7 phút")
    assert vi_date("2024-01-05") == "05/01/2024" and vi_date(None) == "" and vi_date("không rõ") == "không rõ"
    local = datetime.fromisoformat("2026-12-01T20:41:07+00:00").astimezone()
    assert vi_datetime("2026-12-01T20:41:07+0000") == f"{local:%H:%M} ngày {local:%d/%m/%Y}"  # the index's own format, local time
