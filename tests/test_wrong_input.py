"""Issue 23, item 8: input of the wrong kind anywhere is one Vietnamese line: `qa eval` rows (line, id, field;
--skip-bad), the question (not a string, a lone surrogate), invalid UTF-8 on `qa ask`'s command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import CHAIR_DOC, ROOT, run_cli

from qa.errors import QuestionError
from qa.evaluation.evaluate import load_questions
from qa.evaluation.rows import BadRow
from qa.messages import is_vietnamese

GOOD = {"id": "q1", "question": "Ai chủ trì hội nghị?", "gold": [CHAIR_DOC], "answer": "Phạm Hoàng Long"}
BAD_ROWS = [
    ({**GOOD, "id": "q2", "question": "   "}, "dòng 2 (mã q2): câu hỏi trống"),
    ({**GOOD, "id": "q3", "question": 12345}, 'dòng 3 (mã q3): trường "question" phải là chuỗi, không phải số'),
    ({**GOOD, "id": "q4", "gold": "003_efe757cc39089180"}, 'dòng 4 (mã q4): trường "gold" phải là danh sách mã bài'),
    ({**GOOD, "id": "q5", "gold": [1, 2]}, 'dòng 5 (mã q5): trường "gold" phải là danh sách mã bài'),
    ({**GOOD, "id": ["x"]}, 'dòng 6: trường "id" phải là chuỗi hoặc số, không phải danh sách'),
    ({**GOOD, "id": "q7", "answer": {"a": 1}}, 'dòng 7 (mã q7): trường "answer" phải là chuỗi, không phải đối tượng'),
    ({**GOOD, "id": "q8", "question": "Ai\ud800?"}, 'dòng 8 (mã q8): trường "question": ký tự thay thế UTF-16 đơn lẻ U+D800'),
    ([1, 2], "dòng 9: cần một đối tượng JSON"),
    ({"id": "q10", "gold": []}, 'dòng 10 (mã q10): thiếu trường "question"'),
]


def _file(tmp_path):
    path = tmp_path / "cau-hoi.jsonl"
    lines = [json.dumps(GOOD)] + [json.dumps(row) for row, _ in BAD_ROWS] + ["{không phải json"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_each_bad_row_names_its_line_id_and_field(tmp_path):
    path = _file(tmp_path)
    with pytest.raises(BadRow, match="^dòng 2 \\(mã q2\\): câu hỏi trống$"):
        load_questions(path)
    skipped: list[str] = []
    questions = load_questions(path, skipped)
    assert [q.qid for q in questions] == ["q1"] and questions[0].gold == (CHAIR_DOC,)
    assert len(skipped) == len(BAD_ROWS) + 1
    for (_, expected), said in zip(BAD_ROWS, skipped, strict=False):
        assert said.startswith(expected), (expected, said)
    assert skipped[-1].startswith("dòng 11: JSON không hợp lệ")
    assert all(is_vietnamese(line) and "\n" not in line for line in skipped)


def _qa(*args, **kwargs):
    """A real `python -m qa.cli` process: what it makes of argv bytes that are not UTF-8 is the point."""
    return subprocess.run([sys.executable, "-m", "qa.cli", *args], cwd=ROOT, capture_output=True, timeout=600,
                          env={**os.environ, **kwargs.pop("env", {})}, **kwargs)


@pytest.mark.model
def test_qa_eval_names_the_bad_row_and_skip_bad_evaluates_the_rest(seed_settings, tmp_path):
    path = _file(tmp_path)
    index = ["--index", str(seed_settings.index_dir)]
    out = run_cli("eval", "--questions", str(path), "--out", str(tmp_path / "out"), "--modes", "bm25", *index)
    stderr = out.stderr
    assert out.returncode == 2 and len(stderr.strip().splitlines()) == 1, stderr
    assert "dòng 2 (mã q2): câu hỏi trống" in stderr and "--skip-bad" in stderr and "Traceback" not in stderr
    long_question = tmp_path / "dai.jsonl"
    long_question.write_text(json.dumps(GOOD) + "\n" + json.dumps({**GOOD, "id": "q-dai", "question": "a\u0301\u0323" * 600})
                             + "\n", encoding="utf-8")
    out = run_cli("eval", "--questions", str(long_question), "--out", str(tmp_path / "out"), "--modes", "bm25", *index)
    assert out.returncode == 2 and "câu hỏi mã q-dai: Câu hỏi quá dài" in out.stderr, out.stderr
    out = run_cli("eval", "--questions", str(path), "--out", str(tmp_path / "out"), "--modes", "bm25", "--skip-bad", *index)
    stderr = out.stderr
    assert out.returncode == 0, stderr
    assert f"bỏ qua {len(BAD_ROWS) + 1} dòng hỏng của cau-hoi.jsonl, đánh giá 1 câu hỏi còn lại" in stderr
    assert "dòng 4 (mã q4)" in stderr and (tmp_path / "out" / "cau-hoi.json").exists()
    assert json.loads((tmp_path / "out" / "cau-hoi.json").read_text(encoding="utf-8"))["questions"] == 1


def test_a_question_that_is_not_text_or_holds_a_lone_surrogate_is_one_vietnamese_line(fake_engine):
    for bad, said in ((12345, "phải là một đoạn văn bản"), (["Ai?"], "phải là một đoạn văn bản"),
                      ({"q": 1}, "phải là một đoạn văn bản"), ("Ai chủ trì\ud800?", "U\\+D800")):
        with pytest.raises(QuestionError, match=said):
            fake_engine.question(bad)


@pytest.mark.model
def test_invalid_utf8_on_the_command_line_is_one_vietnamese_line(seed_settings):
    out = _qa("ask", os.fsdecode(b"Ai ch\xff tr\xec?"), "--index", str(seed_settings.index_dir))
    stderr = out.stderr.decode("utf-8", "replace")
    assert out.returncode == 2 and len(stderr.strip().splitlines()) == 1, stderr
    assert "Traceback" not in stderr and is_vietnamese(stderr) and "U+DCFF" in stderr
