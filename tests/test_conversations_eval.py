"""`qa eval --conversations`: threads asked turn by turn, first turns and follow-ups reported apart."""

from __future__ import annotations

import json

import pytest
from conftest import CHAIR_DOC, CHAIR_QUESTION, ROOT, XQUAD, run_cli

from qa.evaluation.conversations import REFERENCES, evaluate_conversations, load_conversations

THREADS = [
    {"id": "t1", "turns": [
        {"question": CHAIR_QUESTION, "gold": [CHAIR_DOC], "answer": "Phạm Hoàng Long"},
        {"question": "Ông ấy giữ chức vụ gì?", "gold": [CHAIR_DOC], "answer": "Phó tham mưu trưởng",
         "answers": ["Phó tham mưu trưởng, Phó bí thư Đảng ủy Bộ Tham mưu Quân khu"], "reference": "person"},
        {"question": "Hội nghị đó diễn ra ngày nào?", "gold": [CHAIR_DOC], "answer": "05/01", "reference": "event"}]},
    {"id": "t2", "turns": [
        {"question": "Giá xăng hôm nay bao nhiêu?", "gold": [], "answer": ""},
        {"question": "Còn năm 2024 thì sao?", "gold": [], "answer": "", "reference": "ellipsis"}]},
]


def _write(path, rows):
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def test_threads_are_scored_per_turn_and_reported_apart(fake_engine, tmp_path):
    threads = load_conversations(_write(tmp_path / "hoi-thoai.jsonl", THREADS))
    assert [t.references for t in threads] == [("", "person", "event"), ("", "ellipsis")]
    assert threads[0].turns[1].answers == ("Phó tham mưu trưởng", "Phó tham mưu trưởng, Phó bí thư Đảng ủy Bộ Tham mưu Quân khu")
    out = evaluate_conversations(fake_engine, threads, ["bm25"], "hoi-thoai", tmp_path / "out", progress=False)
    parts = out["parts"]
    assert parts["first"]["questions"] == 2 and parts["follow_up"]["questions"] == 3 and parts["third_turn"]["questions"] == 1
    assert {"follow_up.person", "follow_up.event", "follow_up.ellipsis"} <= set(parts)
    assert all(name.split(".")[1] in REFERENCES for name in parts if name.startswith("follow_up."))
    assert out["modes"] == parts["follow_up"]["modes"]
    assert {"answer_hit", "short_f1", "wrong_confident"} <= set(parts["first"]["modes"]["bm25"])
    turns = [json.loads(line) for line in (tmp_path / "out" / "hoi-thoai.turns.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [t["id"] for t in turns] == ["t1.1", "t1.2", "t1.3", "t2.1", "t2.2"]
    assert turns[1]["understood_as"] != turns[1]["question"] and turns[1]["expected_reference"] == "person"
    report = (tmp_path / "out" / "hoi-thoai.md").read_text(encoding="utf-8")
    assert "Lượt đầu" in report and "Câu hỏi tiếp" in report and "hoi-thoai.turns.jsonl" in report


@pytest.mark.parametrize("line, message", [
    ('{"id": "a", "turns": [{"question": "x", "gold": []}]}', "ít nhất hai lượt"),
    ('{"id": "a"}', "dòng 1"),
    ("không phải json", "dòng 1"),
])
def test_a_bad_conversation_file_names_the_line(tmp_path, line, message):
    path = tmp_path / "xau.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_conversations(path)


def test_the_projects_conversation_set_covers_every_reference_kind():
    threads = load_conversations(ROOT / "eval" / "conversations.jsonl")
    assert len(threads) >= 60 and all(2 <= len(t.turns) <= 3 for t in threads)
    kinds = {r for t in threads for r in t.references[1:]}
    assert {"person", "event", "document", "year", "ellipsis", "new"} <= kinds
    xquad = {g.split("#")[0] for t in threads for q in t.turns for g in q.gold if "#" in g}
    assert xquad  # threads over XQuAD-vi are there
    if XQUAD.exists():  # XQuAD-vi articles 25-48 are held out: no thread may use them
        assert xquad <= {a["title"] for a in json.loads(XQUAD.read_text(encoding="utf-8"))["data"][:24]}


def test_cli_eval_conversations_over_an_index(seed_settings, tmp_path):
    path = _write(tmp_path / "hoi-thoai.jsonl", THREADS)
    out = run_cli("eval", "--conversations", path, "--index", seed_settings.index_dir, "--modes", "hybrid", "--out", tmp_path / "kq")
    assert out.returncode == 0, out.stderr
    assert "Lượt đầu" in out.stdout and "Câu hỏi tiếp" in out.stdout
    data = json.loads((tmp_path / "kq" / "hoi-thoai.json").read_text(encoding="utf-8"))
    assert data["parts"]["follow_up"]["modes"]["hybrid"]["answer_hit"] == 1.0
    bad = run_cli("eval", "--conversations", path, "--questions", path)
    assert bad.returncode == 2 and "--conversations" in bad.stderr and "Traceback" not in bad.stderr
