"""Issue 23, item 2: every text entering the index is valid Unicode. A lone surrogate in a JSONL field, or a
corpus file whose name is not UTF-8, used to stop every later build (UnicodeEncodeError at the first write);
now the upload refuses it with one Vietnamese line naming file and field, and `qa index` skips it with such a
line and builds the rest."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import FakeEmbedder, copy_seeds

from qa.index import LoadedIndex, build_index
from qa.ingest.corpus import jsonl_article
from qa.ingest.validity import shown_name
from qa.settings import Settings
from ui.uploads import UploadError, check_upload

FIELDS = ("id", "title", "byline", "url", "text", "date")


def _line(field: str) -> str:
    record = {"id": f"bai-{field}", "title": "Tiêu đề", "text": "Nội dung bài về diễn tập.", "url": "https://qk.vn/a",
              "date": "2024-01-05", "byline": "Văn Hòa"}
    record[field] = record[field] + "\ud800"
    return json.dumps(record)  # json.dumps writes the lone surrogate as the escape "\ud800", as an attacker would


@pytest.mark.parametrize("field", FIELDS)
def test_a_lone_surrogate_is_a_vietnamese_line_naming_the_field(field):
    assert '\\ud800' in _line(field)
    with pytest.raises(ValueError) as caught:
        jsonl_article(_line(field), "x.jsonl:1")
    assert f'trường "{field}"' in str(caught.value) and "U+D800" in str(caught.value)


@pytest.mark.parametrize("field", FIELDS)
def test_the_upload_refuses_it_naming_file_and_field(tmp_path, field):
    path = tmp_path / "lo.jsonl"
    path.write_text(_line(field) + "\n", encoding="utf-8")
    with pytest.raises(UploadError) as caught:
        check_upload(path, "lô bài.jsonl", set(), Settings.from_env({}))
    message = str(caught.value)
    assert "«lô bài.jsonl»" in message and f'trường "{field}"' in message and "dòng 1" in message
    assert "\n" not in message and str(tmp_path) not in message


def test_wrong_kinds_of_optional_fields_are_refused():
    for field, value, said in (("byline", {"a": 1}, "đối tượng"), ("title", ["x"], "danh sách"), ("url", True, "giá trị đúng/sai")):
        line = json.dumps({"id": "a", "text": "Nội dung.", field: value})
        with pytest.raises(ValueError, match=f'trường "{field}" phải là chuỗi, không phải {said}'):
            jsonl_article(line, "x.jsonl:1")
    assert jsonl_article(json.dumps({"id": "a", "text": "Nội dung.", "byline": 12}), "x").byline == "12"


def _corpus_with_bad_inputs(root):
    corpus = copy_seeds(root / "corpus")
    (corpus / "lo.jsonl").write_text("\n".join([_line(f) for f in FIELDS] + [json.dumps(
        {"id": "tot", "title": "Bài tốt", "text": "Đại úy Lê Văn Tốt chỉ huy buổi diễn tập bắn đạn thật."})]) + "\n",
        encoding="utf-8")
    bad_name = os.path.join(os.fsencode(corpus), b"ten-h\xf6ng.txt")
    with open(bad_name, "wb") as f:
        f.write("Bài có tên tệp không phải UTF-8.\n".encode())
    return corpus


def test_a_build_skips_bad_lines_and_names_and_builds_the_rest_and_the_next_build_works(tmp_path):
    corpus = _corpus_with_bad_inputs(tmp_path)
    settings = Settings.from_env({}, index_dir=tmp_path / "index", corpus_dirs=(corpus,))
    said: list[str] = []
    embedder = FakeEmbedder()
    report = build_index(settings, embedder=embedder, progress=False, log=said.append)
    assert "tot" in report.added and len(report.added) == 6
    lines = "\n".join(report.warnings)
    for number, field in enumerate(FIELDS, 1):
        assert f"lo.jsonl:{number}: trường \"{field}\"" in lines
    assert "ten-h\\xf6ng.txt: tên tệp không phải UTF-8 hợp lệ" in lines
    lines.encode("utf-8")  # printable as it is
    assert set(LoadedIndex.load(settings.index_dir).doc_ids()) >= {"tot", "003_efe757cc39089180"}
    (corpus / "moi.txt").write_text("Bài mới về hội nghị tổng kết.\n", encoding="utf-8")
    assert build_index(settings, embedder=embedder, progress=False, log=said.append).added == ["moi"]
    assert build_index(settings, embedder=embedder, progress=False, log=said.append).added == []


def test_shown_name_prints_undecodable_bytes():
    assert shown_name(os.fsdecode(b"a\xff.txt")) == "a\\xff.txt"
    assert shown_name("ổn.txt") == "ổn.txt"


@pytest.mark.model
def test_qa_index_on_such_a_corpus_exits_0_with_vietnamese_lines(tmp_path):
    corpus = _corpus_with_bad_inputs(tmp_path)
    env = {**os.environ, "QA_INDEX_DIR": str(tmp_path / "index")}
    done = subprocess.run([sys.executable, "-m", "qa.cli", "index", "--corpus", str(corpus)], capture_output=True, text=True,
                          env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "UnicodeEncodeError" not in done.stderr
    assert 'trường "title"' in done.stderr and "tên tệp không phải UTF-8 hợp lệ" in done.stderr
