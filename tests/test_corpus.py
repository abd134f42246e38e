import json

import pytest

from qa.corpus import CorpusError, load_corpus
from tests.conftest import SEED_CORPUS, copy_seeds


@pytest.fixture(scope="module")
def seeds():
    articles, warnings = load_corpus([SEED_CORPUS])
    assert warnings == []
    return {a.doc_id: a for a in articles}


def test_seed_metadata(seeds):
    assert len(seeds) == 5
    a = seeds["000_a14a30c824323fdb"]
    assert a.title == "Triển khai thực hiện các chỉ thị của Ban Thường vụ, Đảng ủy Quân khu"
    assert a.date is None  # `Ngày 21/02` has no year
    assert a.url.startswith("https://baobackan.com.vn/") and a.url.endswith("post61038.html")
    assert a.byline == "Quang Nhất (Bộ CHQS tỉnh)"
    assert "Nguồn Bắc Kạn" not in a.text and a.text.count("Quang cảnh Hội nghị.") == 1
    b = seeds["001_e464a7bea3537786"]
    assert b.title == "Nâng cao hiệu quả hoạt động CTĐ, CTCT trong các nhiệm vụ"
    assert b.date == "2021-04-07"  # `Ngày đăng` wins over the page header of 2024
    assert b.byline == "VĂN DƯƠNG"
    assert "Trả lời" not in b.text and "Thư điện tử" not in b.text and "Năm 2024" not in b.text
    c = seeds["003_efe757cc39089180"]
    assert c.date == "2024-01-05" and c.byline == "Anh Thư"
    assert c.title == "Bộ Tham mưu Quân khu: Tổng kết công tác đảng, công tác chính trị năm 2023"
    d = seeds["004_f6daa8ccb9b5dc7d"]
    assert d.title.startswith("Cục Chính trị tổ chức hội nghị Đảng ủy ra Nghị quyết")
    assert "Các tin khác" not in d.text and "Tìm kiếm theo" not in d.text and d.byline == "Bùi Hiệp"
    e = seeds["002_f5868a43e4f9d8e2"]
    assert e.title.startswith("Ban Thường vụ Đảng ủy Cục Chính trị Quân khu tổ chức hội nghị")  # lead marker dropped
    assert e.byline == "Nguyễn Hoàng" and e.date is None


def test_header_lines_jsonl_and_nfc(tmp_path):
    (tmp_path / "a.md").write_text("title: Tiêu đề\nurl: https://x.vn/a\ndate: 2024-03-02\n\nNội dung hoà bình.\n", encoding="utf-8")
    import unicodedata

    (tmp_path / "b.txt").write_text(unicodedata.normalize("NFD", "Tiêu đề B\n\nThân bài có dấu."), encoding="utf-8")
    rows = [{"id": "j1", "title": "J", "text": "Một. Hai.", "date": "05/06/2023"}, {"id": "j2", "text": "Ba."}]
    (tmp_path / "c.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    articles = {a.doc_id: a for a in load_corpus([tmp_path])[0]}
    assert (articles["a"].title, articles["a"].url, articles["a"].date) == ("Tiêu đề", "https://x.vn/a", "2024-03-02")
    assert articles["b"].text == unicodedata.normalize("NFC", "Thân bài có dấu.")
    assert articles["j1"].date == "2023-06-05" and articles["j2"].title == "Ba"


def test_unreadable_files_are_skipped_with_a_named_warning(tmp_path):
    copy_seeds(tmp_path)
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02abc")
    (tmp_path / "latin1.md").write_bytes("Tiêu đề".encode("utf-16"))
    (tmp_path / "bad.jsonl").write_text('{"id": "ok", "text": "Tốt."}\nnot json\n{"id": 3}\n', encoding="utf-8")
    articles, warnings = load_corpus([tmp_path])
    assert len(articles) == 6  # five seeds + the good JSONL line
    joined = "\n".join(warnings)
    for name in ("empty.txt", "binary.txt", "latin1.md", "bad.jsonl:2", "bad.jsonl:3"):
        assert name in joined


def test_two_sources_for_one_id_is_an_error_naming_both(tmp_path):
    (tmp_path / "a.txt").write_text("Tiêu đề\n\nThân.", encoding="utf-8")
    (tmp_path / "a.md").write_text("Tiêu đề\n\nThân.", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"a\.md.*a\.txt|a\.txt.*a\.md"):
        load_corpus([tmp_path])
    (tmp_path / "a.md").unlink()
    (tmp_path / "x.jsonl").write_text('{"id": "a", "text": "Khác."}', encoding="utf-8")
    with pytest.raises(CorpusError, match="x.jsonl"):
        load_corpus([tmp_path])
