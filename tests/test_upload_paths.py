"""Issue 23, item 1: no server file is readable through the upload event. Gradio's upload event carries
`FileData` objects whose `path` the client writes; only files that Gradio's upload route wrote are taken.

A real server (fake embedder: the check is before any embedding) is sent the issue's reproduction, raw
`POST /gradio_api/queue/join`, and its variants; each must leave the corpus as it was, answer in Vietnamese
and name no server path."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path

import httpx
import pytest
from conftest import FakeEmbedder, copy_seeds
from gradio.utils import get_upload_folder
from ui_fixtures import free_port

from qa.index import build_index
from qa.settings import Settings
from ui.server import start_server
from ui.upload_gate import NOT_UPLOADED

pytestmark = pytest.mark.server
SECRET = "title: Sổ tay riêng\n\nMật khẩu kho vũ khí là cá heo xanh biếc.\n"


@pytest.fixture(scope="module")
def gate_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("gate")
    secret = root / "outside"
    secret.mkdir()
    (secret / "note.md").write_text(SECRET, encoding="utf-8")
    (secret / "note.txt").write_text(SECRET, encoding="utf-8")
    (secret / "note.jsonl").write_text('{"id": "mat", "text": "Mật khẩu là cá heo."}\n', encoding="utf-8")
    settings = Settings.from_env({}, index_dir=root / "index", corpus_dirs=(copy_seeds(root / "corpus"),))
    embedder = FakeEmbedder()
    build_index(settings, embedder=embedder, progress=False)
    server = start_server(settings, port=free_port(), embedder=embedder)
    config = httpx.get(f"{server.url}/config").json()
    fn = next(i for i, d in enumerate(config["dependencies"]) if d.get("api_name") == "on_upload")
    yield server, fn, secret, root / "corpus"
    server.close()


def _join(url: str, fn: int, files: list) -> dict:
    """The upload event as a program sends it; the final message of its event stream."""
    session = uuid.uuid4().hex[:12]
    joined = httpx.post(f"{url}/gradio_api/queue/join", json={"fn_index": fn, "data": [files, []], "session_hash": session,
                                                              "event_data": None, "trigger_id": None}, timeout=30)
    assert joined.status_code == 200, joined.text
    with httpx.stream("GET", f"{url}/gradio_api/queue/data?session_hash={session}", timeout=60) as stream:
        for line in stream.iter_lines():
            if '"process_completed"' in line:
                return json.loads(line.removeprefix("data: "))
    raise AssertionError("no reply")


def _file(path: str, **extra) -> dict:
    return {"path": path, "meta": {"_type": "gradio.FileData"}, **extra}


def _upload(url: str, name: str, data: bytes) -> str:
    return httpx.post(f"{url}/gradio_api/upload", files={"files": (name, data)}).json()[0]


def _assert_refused(reply: dict, corpus: Path, before: dict[str, bytes], *hidden: str) -> None:
    said = str(reply.get("output"))
    assert NOT_UPLOADED[:20] in said or "không" in said, said
    for text in (*hidden, str(corpus), get_upload_folder(), "Error", "Cannot", "Invalid"):
        assert text not in said, (text, said)
    assert {p.name: p.read_bytes() for p in corpus.iterdir()} == before  # nothing saved, nothing changed


def _variants(secret: Path) -> dict[str, dict]:
    upload_folder = get_upload_folder()
    return {
        "absolute .md (the reproduction)": _file(str(secret / "note.md")),
        "absolute .txt": _file(str(secret / "note.txt")),
        "absolute .jsonl": _file(str(secret / "note.jsonl")),
        "missing file (no existence oracle)": _file(str(secret / "khong-co.md")),
        "`..` out of the upload folder": _file(os.path.join(upload_folder, "..", "..", *secret.parts[1:], "note.md")),
        "relative path": _file(os.path.relpath(secret / "note.md")),
        "guessed upload path (another hash)": _file(os.path.join(upload_folder, "0" * 64, "note.md")),
        "the upload folder itself": _file(upload_folder),
        "a stream (skips Gradio's copy)": _file(str(secret / "note.md"), is_stream=True),
        "a URL (no download)": _file("http://127.0.0.1:9/note.md"),
        "a file URL": _file(f"file://{secret / 'note.md'}"),
        "NUL in the path": _file(str(secret / "note.md") + "\x00.txt"),
        "system file": _file("/etc/hostname"),
    }


@pytest.mark.parametrize("variant", list(_variants(Path("/x"))))
def test_a_path_the_client_names_is_never_read(gate_server, variant):
    server, fn, secret, corpus = gate_server
    before = {p.name: p.read_bytes() for p in corpus.iterdir()}
    reply = _join(server.url, fn, [_variants(secret)[variant]])
    _assert_refused(reply, corpus, before, str(secret))
    assert not {"note", "mat"} & set(server.service.engine.refresh().doc_ids())


def test_a_file_placed_in_the_upload_folder_by_other_means_is_refused(gate_server):
    """Only what Gradio's upload route wrote counts, not anything lying in its folder (another app's files)."""
    server, fn, secret, corpus = gate_server
    planted = Path(get_upload_folder()) / uuid.uuid4().hex / "note.md"
    planted.parent.mkdir(parents=True)
    shutil.copy(secret / "note.md", planted)
    before = {p.name: p.read_bytes() for p in corpus.iterdir()}
    _assert_refused(_join(server.url, fn, [_file(str(planted))]), corpus, before, str(secret))


def test_an_upload_swapped_for_a_symlink_is_refused(gate_server):
    server, fn, secret, corpus = gate_server
    uploaded = _upload(server.url, "bai-doi.md", "title: Bài đổi\n\nMột bài sẽ bị đổi thành liên kết.\n".encode())
    os.unlink(uploaded)
    os.symlink(secret / "note.md", uploaded)
    before = {p.name: p.read_bytes() for p in corpus.iterdir()}
    _assert_refused(_join(server.url, fn, [_file(uploaded)]), corpus, before, str(secret))


def test_a_real_upload_is_saved_and_a_wrong_kind_is_refused_in_vietnamese(gate_server):
    server, fn, secret, corpus = gate_server
    uploaded = _upload(server.url, "cau-phao.txt", "title: Cầu phao\n\nLữ đoàn 249 lắp cầu phao qua suối Mơ.\n".encode())
    reply = _join(server.url, fn, [_file(uploaded, orig_name="cau-phao.txt")])
    assert reply["success"], reply
    assert "Đã lưu «cau-phao.txt»" in reply["output"]["data"][1]
    assert (corpus / "cau-phao.txt").exists()
    exe = _upload(server.url, "chuong-trinh.exe", b"MZ\x90\x00")
    reply = _join(server.url, fn, [_file(exe)])
    said = reply["output"]["data"][1]
    assert "«chuong-trinh.exe»: chỉ nhận tệp .txt, .md, .jsonl" in said and "Invalid" not in said
    assert not (corpus / "chuong-trinh.exe").exists()
    server.service.jobs.wait(max(server.service.jobs._jobs), 60)


@pytest.mark.parametrize("question", [12345, ["Ai?"], {"q": "Ai?"}, "Ai chủ trì\ud800 hội nghị?", None])
def test_a_wrong_kind_of_question_through_the_api_is_one_vietnamese_line(gate_server, question):
    """Before: a traceback for a number, list or object; a lone surrogate cut the event stream."""
    server, _, _, _ = gate_server
    config = httpx.get(f"{server.url}/config").json()
    fn = next(i for i, d in enumerate(config["dependencies"]) if d.get("api_name") == "ask")
    session = uuid.uuid4().hex[:12]
    body = json.dumps({"fn_index": fn, "data": [question, None, None, None, None, None], "session_hash": session,
                       "event_data": None, "trigger_id": None})  # a lone surrogate travels as the escape "\ud800"
    joined = httpx.post(f"{server.url}/gradio_api/queue/join", content=body, headers={"content-type": "application/json"})
    assert joined.status_code == 200, joined.text
    with httpx.stream("GET", f"{server.url}/gradio_api/queue/data?session_hash={session}", timeout=60) as stream:
        reply = next(json.loads(line.removeprefix("data: ")) for line in stream.iter_lines() if '"process_completed"' in line)
    said = str(reply["output"].get("error"))
    assert not reply["success"] and ("Câu hỏi" in said), reply
    assert "Traceback" not in said and "Error" not in said
