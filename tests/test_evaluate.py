"""Metric code against hand-computed values, TREC output, SQuAD loading, and `qa eval` end to end."""

import json
import math
import os
import re
import subprocess
import sys
from datetime import datetime

import pytest
from PIL import Image

from qa.evaluation.evaluate import (
    Question,
    QuestionResult,
    answer_hit,
    compare,
    load_squad,
    mrr_at,
    ndcg_at,
    recall_at,
    score_mode,
    write_trec_run,
)
from qa.evaluation.per_question import read_question_rows
from tests.conftest import ROOT, run_cli
from tests.test_eval_answers import assert_rows_give_the_report


def test_metrics_match_a_hand_computed_example():
    ranked = ["d3", "d1", "d7", "d2"]
    gold = ("d1", "d2")
    assert recall_at(gold, ranked, 1) == 0.0
    assert recall_at(gold, ranked, 2) == 0.5
    assert recall_at(gold, ranked, 5) == 1.0
    assert mrr_at(gold, ranked, 10) == 0.5
    # DCG = 1/log2(3) + 1/log2(5) = 0.63093 + 0.43068; IDCG = 1 + 1/log2(3) = 1.63093
    assert ndcg_at(gold, ranked, 10) == pytest.approx((0.6309298 + 0.4306766) / 1.6309298, abs=1e-6)
    assert ndcg_at(("d9",), ranked, 10) == 0.0


def test_score_mode_over_answerable_and_abstentions():
    questions = [
        Question("q1", "?", ("a",), ("Phạm Hoàng Long",)),
        Question("q2", "?", ("b",), ("288",)),
        Question("q3", "?", (), ()),
    ]
    results = [
        QuestionResult([("a", 3.0), ("b", 1.0)], "Thiếu tướng Phạm Hoàng Long chủ trì. [1]", False, 10.0),
        QuestionResult([("c", 2.0), ("b", 1.0)], "Không tìm thấy", True, 20.0),
        QuestionResult([("c", 2.0)], "Không tìm thấy", True, 30.0),
    ]
    m = score_mode(questions, results).metrics
    assert m["recall@1"] == 0.5 and m["recall@5"] == 1.0 and m["mrr@10"] == 0.75
    assert m["ndcg@10"] == pytest.approx((1 + 1 / math.log2(3)) / 2, abs=1e-4)
    assert m["answer_hit"] == 0.5  # the abstained answer cannot hit
    assert m["abstain_accuracy"] == pytest.approx(2 / 3, abs=1e-4)
    assert m["latency_ms_p50"] == 20.0


def test_answer_hit_normalizes_case_tones_and_markers():
    assert answer_hit(("Hòa Bình",), "tỉnh hoà bình [2]")
    assert answer_hit(("07/04/2021",), "Ngày 07/04/2021, hội nghị")
    assert not answer_hit(("Trần Chí Tâm",), "Phạm Hoàng Long")


def test_trec_run_is_deterministic(tmp_path):
    q = [Question("q1", "?", ("a",), ())]
    r = [QuestionResult([("b", 1.0), ("a", 1.0)], "", False, 1.0)]
    write_trec_run(tmp_path / "run", q, r, "tag")
    assert (tmp_path / "run").read_text().splitlines() == ["q1 Q0 b 1 1.000000 tag", "q1 Q0 a 2 1.000000 tag"]


def test_squad_loading_one_document_per_unique_context(tmp_path):
    data = {"data": [{"title": "T", "paragraphs": [
        {"context": "Ngữ cảnh một.", "qas": [{"id": "x1", "question": "Hỏi?", "answers": [{"text": "một", "answer_start": 8}]}]},
        {"context": "Ngữ cảnh hai.", "qas": [{"id": "x2", "question": "Hỏi hai?", "answers": [{"text": "hai", "answer_start": 8}]}]},
    ]}]}
    (tmp_path / "s.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    docs, questions = load_squad(tmp_path / "s.json")
    assert [d["id"] for d in docs] == ["T#0", "T#1"] and docs[0]["title"] == ""
    assert questions[1].gold == ("T#1",) and questions[1].answers == ("hai",)


def test_compare_prints_deltas():
    old = {"modes": {"hybrid": {"recall@1": 0.9}}}
    new = {"modes": {"hybrid": {"recall@1": 0.95}}}
    assert "+0,0500" in compare(old, new)  # Vietnamese decimal comma


def _tree(root) -> dict[str, tuple[int, int]]:
    """Every file under `root` (size, mtime), but git's own folder and the virtual environment."""
    skip = {".git", ".venv"}
    files = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in skip]
        for name in filenames:
            path = os.path.join(dirpath, name)
            st = os.stat(path, follow_symlinks=False)
            files[os.path.relpath(path, root)] = (st.st_size, st.st_mtime_ns)
    return files


def test_qa_eval_writes_a_vietnamese_report_only_under_out(seed_settings, tmp_path):
    """Issue 16, item 2: `qa eval --questions F --out D` writes under D and nowhere else (not eval/reports, not the
    index); the console, the report and its plot speak Vietnamese with decimal commas."""
    questions = tmp_path / "qs.jsonl"
    rows = [
        {"id": "a", "question": "Ai chủ trì hội nghị tổng kết CTĐ, CTCT năm 2023 của Bộ Tham mưu Quân khu?",
         "gold": ["003_efe757cc39089180"], "answer": "Phạm Hoàng Long"},
        {"id": "b", "question": "Giá vàng SJC hôm nay bao nhiêu?", "gold": [], "answer": ""},
    ]
    questions.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    out_dir = tmp_path / "ket-qua"
    tree, index = _tree(ROOT), _tree(seed_settings.index_dir)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    out = subprocess.run([sys.executable, "-m", "qa.cli", "eval", "--questions", str(questions), "--index", str(seed_settings.index_dir),
                          "--out", str(out_dir)], cwd=ROOT, capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert _tree(ROOT) == tree and _tree(seed_settings.index_dir) == index  # nothing else changed
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(
        ["qs.json", "qs.md", "qs.png", "qs.confidence.png", "qs.hybrid.trec", "qs.dense.trec", "qs.bm25.trec", "qs.qrels",
         "qs.questions.jsonl"])
    report = json.loads((out_dir / "qs.json").read_text())
    assert report["dataset"] == "qs" and report["questions"] == 2 and set(report["modes"]) == {"dense", "bm25", "hybrid"}
    assert datetime.fromisoformat(report["measured_at"]).tzinfo is not None  # when it was measured, for the index tab
    assert report["modes"]["hybrid"]["recall@1"] == 1.0 and report["modes"]["hybrid"]["abstain_accuracy"] == 1.0
    hybrid = report["modes"]["hybrid"]
    assert hybrid["short_exact"] == 0.0 and 0.2 < hybrid["short_f1"] < 1.0  # rank and title around the gold name
    assert hybrid["wrong_confident"] == 0.0 and hybrid["partial_rate"] == 0.0
    assert report["measured_at"].endswith("+00:00") and report["miss_causes"]["hybrid"]["declined_rightly"] == 1
    rows = read_question_rows(out_dir / "qs.questions.jsonl")  # 2 questions x 3 modes, the report's figures recomputed
    assert len(rows) == 6 and {r["mode"] for r in rows} == {"dense", "bm25", "hybrid"}
    assert_rows_give_the_report(report, rows)
    asked = next(r for r in rows if r["mode"] == "hybrid" and r["id"] == "a")
    assert asked["gold_rank"] == 1 and asked["kind"] == "who" and "Phạm Hoàng Long" in asked["short_answer"]
    assert asked["source_document"] == "003_efe757cc39089180" and asked["short_answer"] in asked["evidence"]
    assert len(report["curves"]["hybrid"]) == 20 and report["source"] == {"kind": "questions", "file": "qs.jsonl", "index": "index"}
    assert "Đo trên bộ câu hỏi «qs.jsonl»: 2 câu hỏi trên 5 bài viết" in out.stdout
    assert re.search(r"Đúng bài ở vị trí 1\s+1,000\s+1,000\s+1,000", out.stdout), out.stdout
    assert f"Báo cáo: {out_dir / 'qs.md'}" in out.stdout
    for english in ("questions,", "documents", "mode", "recall@", "q/s"):
        assert english not in out.stdout + out.stderr, english
    markdown = (out_dir / "qs.md").read_text(encoding="utf-8")
    assert markdown.startswith("# Đánh giá: qs") and "| Đúng bài ở vị trí 1 | 1,000 | 1,000 | 1,000 |" in markdown
    assert "## Ý nghĩa các số đo" in markdown and "- **Từ chối đúng lúc**:" in markdown and "![" in markdown
    assert "## Từng câu hỏi (Kết hợp, 2 câu)" in markdown and "| Giá vàng SJC hôm nay bao nhiêu? | (kho không có) |" in markdown
    assert Image.open(out_dir / "qs.png").size[0] > 400
    again = run_cli("eval", "--compare", out_dir / "qs.json", out_dir / "qs.json")
    assert again.returncode == 0 and "+0,0000" in again.stdout and "Chênh lệch" in again.stdout


def test_the_plot_is_labelled_in_vietnamese_with_decimal_commas(tmp_path):
    from qa.evaluation import report as vietnamese

    texts = []
    import matplotlib.axes

    original = matplotlib.axes.Axes.set_ylabel
    report = {"dataset": "qs", "questions": 1190, "curves": {"hybrid": [0.5 + i / 50 for i in range(20)]}}
    try:
        matplotlib.axes.Axes.set_ylabel = lambda ax, label, **kw: (texts.append(label), original(ax, label, **kw))[1]
        vietnamese.plot_curves(tmp_path / "p.png", report)
    finally:
        matplotlib.axes.Axes.set_ylabel = original
    assert texts == ["Tỉ lệ câu hỏi có bài đúng trong k nguồn"]
    assert vietnamese.metric_value("recall@1", 0.9384) == "0,938" and vietnamese.metric_value("latency_ms_p50", 1234.56) == "1.234,6"


def test_answer_metrics_short_answers_partial_answers_and_confident_mistakes():
    from qa.evaluation.answer_metrics import short_scores, token_f1

    assert token_f1("Thiếu tướng Phạm Hoàng Long", "Phạm Hoàng Long") == pytest.approx(2 * 0.6 * 1.0 / 1.6)
    assert short_scores("288 đảng viên", ("288 Đảng viên.",)) == (1.0, 1.0)
    assert short_scores(None, ("288",)) == (0.0, 0.0)
    questions = [
        Question("q1", "?", ("a",), ("Phạm Hoàng Long",)),
        Question("q2", "?", ("b",), ("288",)),
        Question("q3", "?", (), ()),
        Question("q4", "?", (), ()),
    ]
    results = [
        QuestionResult([("a", 1.0)], "Thiếu tướng Phạm Hoàng Long [1]\n… [1]", False, 1.0, short_answer="Thiếu tướng Phạm Hoàng Long"),
        QuestionResult([("b", 1.0)], "Có 300 người. [1]", False, 1.0, short_answer="300 người"),  # confident and wrong
        QuestionResult([("a", 1.0)], "Kho không có bài về … năm 2019. Gần nhất: …", False, 1.0, partial=True),  # declined
        QuestionResult([("a", 1.0)], "Phạm Hoàng Long [1]", False, 1.0, short_answer="Phạm Hoàng Long"),  # should have declined
    ]
    m = score_mode(questions, results).metrics
    assert m["short_exact"] == 0.0 and m["short_f1"] == pytest.approx(0.75 / 2, abs=1e-4)
    assert m["partial_rate"] == 0.25 and m["wrong_confident"] == 0.5
    assert m["answer_hit"] == 0.5 and m["abstain_accuracy"] == 0.75  # a partial answer declines


def test_follow_ups_and_accented_twins_are_read_from_question_files(tmp_path):
    from qa.evaluation.evaluate import load_questions

    path = tmp_path / "q.jsonl"
    rows = [{"id": "a", "question": "Còn năm 2024 thì sao?", "gold": [], "answer": "", "previous": "Ai chủ trì năm 2023?"},
            {"id": "b", "question": "ai chu tri", "gold": ["d"], "answer": "X"},
            {"id": "ba", "question": "ai chủ trì", "gold": ["d"], "answer": "X", "twin_of": "b"}]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    a, b, twin = load_questions(path)
    assert a.previous == "Ai chủ trì năm 2023?" and twin.twin_of == "b" and b.twin_of == "" and b.previous == ""
