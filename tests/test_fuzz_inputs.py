"""Issue 23, item 10: fuzzing what a client can send to the upload and ask handlers (any text, any bytes, any
JSON shape): never a traceback, never English, nothing written outside the corpus, no earlier file changed.

On the ChatService the page and the API call (fake embedder: the inputs are the point, not the answers); the
background build is replaced by a recorder (builds have their own tests). Bounded: 120 + 150 examples."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import gradio as gr
import pytest
from conftest import FakeEmbedder, copy_seeds
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from qa.index import build_index
from qa.messages import is_vietnamese
from qa.settings import Settings
from ui.service import ChatService, Conversation

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
ANY_CHAR = st.characters(exclude_categories=())  # surrogates included
ANY_TEXT = st.text(ANY_CHAR, max_size=60)
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ANY_TEXT,
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT, inner, max_size=4), max_leaves=12)
RECORD = st.fixed_dictionaries({"id": JSON, "text": JSON}, optional={"title": JSON, "url": JSON, "date": JSON, "byline": JSON})
NAMES = st.builds(lambda stem, suffix: stem.replace("\x00", "") + suffix, st.text(ANY_CHAR, max_size=30),
                  st.sampled_from([".txt", ".md", ".jsonl", ".TXT", ""])) | st.sampled_from(
    ["../../x.txt", "/etc/passwd.md", "..\\a.jsonl", ".an.txt", "a.exe", "CON.txt", "x" * 300 + ".md", "a.txt\nb.md"])


def _content(draw) -> bytes:
    kind = draw(st.sampled_from(["bytes", "text", "jsonl", "shapes"]))
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    if kind == "text":
        return draw(ANY_TEXT).encode("utf-8", "surrogatepass")
    if kind == "jsonl":
        return "\n".join(json.dumps(r) for r in draw(st.lists(RECORD, max_size=3))).encode()
    return "\n".join(json.dumps(v) for v in draw(st.lists(JSON, max_size=3))).encode("utf-8", "surrogatepass")


UPLOADS = st.lists(st.tuples(NAMES, st.composite(lambda draw: _content(draw))()), min_size=1, max_size=3)


@pytest.fixture(scope="module")
def fuzz_service(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    settings_ = Settings.from_env({}, index_dir=root / "index", corpus_dirs=(copy_seeds(root / "corpus"),),
                                  feedback_log=root / "feedback.jsonl")
    embedder = FakeEmbedder()
    build_index(settings_, embedder=embedder, progress=False)
    service = ChatService(settings_, (), root / "plots", embedder=embedder)
    submitted = []

    class Queued:
        def __init__(self, n): self.id = n  # noqa: E701

    service.jobs.submit = lambda files, articles, texts: submitted.append(files) or Queued(len(submitted))
    return service, root


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _no_traceback(caplog) -> None:
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records if r.exc_info][:2]


SAVED = []


@FUZZ
@given(uploads=UPLOADS)
@example(uploads=[("bài mới.txt", "Đại úy Lê Văn Mới chỉ huy buổi diễn tập.".encode()),
                  ("lô.jsonl", b'{"id": "x\\ud800", "text": "a"}\n{"id": "tot", "text": "B\xc3\xa0i t\xe1\xbb\x91t."}')])
def test_any_upload_is_saved_in_the_corpus_or_refused_in_vietnamese(fuzz_service, tmp_path_factory, caplog, uploads):
    service, root = fuzz_service
    staging = tmp_path_factory.mktemp("tai-len")  # where Gradio would have written the files
    files = []
    for i, (name, data) in enumerate(uploads):
        path = staging / f"{i}.bin"
        path.write_bytes(data)
        files.append((path, name))
    before = _tree(root)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        lines = service.add_files(files, [])
    _no_traceback(caplog)
    assert len(lines) >= len(files) - 0 or len(lines) == 1
    for line in lines:
        assert isinstance(line, str) and is_vietnamese(line) and "Traceback" not in line, line
        assert str(staging) not in line and str(root) not in line, line
        line.encode("utf-8")  # printable, sendable
    after = _tree(root)
    for name, data in before.items():
        assert after.get(name) == data, name  # no earlier file changed or removed
    SAVED.extend(set(after) - set(before))
    for name in set(after) - set(before):
        assert name.startswith("corpus" + os.sep) and os.sep not in name[len("corpus") + 1:], name  # only new corpus files


ANY = JSON | st.text(ANY_CHAR, max_size=300)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(question=ANY, k=ANY, mode=ANY, since=ANY, until=ANY)
def test_any_question_and_options_get_an_answer_or_one_vietnamese_line(fuzz_service, caplog, question, k, mode, since, until):
    service, root = fuzz_service
    before = _tree(root)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        try:
            result = service.ask_api(question, k, mode, since, until)
            assert isinstance(result, dict) and isinstance(result["answer"], str)
            json.dumps(result, ensure_ascii=False).encode("utf-8")
        except gr.Error as exc:
            assert is_vietnamese(exc.message) and "\n" not in exc.message and "Traceback" not in exc.message, exc.message
        history, box, _, notice = service.respond(question, [], Conversation(), mode, k, since, until)
    _no_traceback(caplog)
    assert isinstance(box, str) and isinstance(notice, str)
    json.dumps([history, box, notice], ensure_ascii=False).encode("utf-8")  # the event stream can carry it
    if notice:
        assert is_vietnamese(notice)
    assert _tree(root) == before  # asking writes nothing


def test_the_fuzzing_reached_the_saving_path():
    """Run after the upload fuzzing (file order): some of its uploads were saved, not all refused at the door."""
    assert SAVED, "no fuzzed upload was saved: the strategy only tested refusals"
