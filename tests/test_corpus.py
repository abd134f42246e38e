import json

import pytest

from qa.errors import CorpusError
from qa.ingest.corpus import load_corpus, read_articles
from tests.conftest import SEED_CORPUS, copy_seeds, run_cli


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
    (tmp_path / "cp1258.md").write_bytes("Xin chào\n\nThân bài.".encode("cp1258"))
    (tmp_path / "bad.jsonl").write_text('{"id": "ok", "text": "Tốt."}\nnot json\n{"id": 3}\n', encoding="utf-8")
    articles, warnings = load_corpus([tmp_path])
    assert len(articles) == 6  # five seeds + the good JSONL line
    assert sorted(w.split(": ")[0] for w in warnings) == sorted(
        f"bỏ qua {tmp_path / name}" for name in ("bad.jsonl:2", "bad.jsonl:3", "binary.txt", "cp1258.md", "empty.txt"))
    joined = "\n".join(warnings)
    for reason in ("tệp rỗng", "tệp nhị phân", "không phải UTF-8 hợp lệ", "JSON không hợp lệ", 'cần các trường chuỗi "id" và "text"'):
        assert reason in joined


# --- issue 9, item 10 ------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-8-sig", "utf-32"])
def test_files_with_a_byte_order_mark_are_decoded(tmp_path, encoding):
    text = "title: Tiêu đề có dấu\n\nThân bài hòa bình, năm 2024.\n"
    data = text.encode(encoding)
    if encoding in ("utf-16-le", "utf-16-be"):  # these codecs write no mark: add it as an editor would
        data = ("\ufeff" + text).encode(encoding)
    (tmp_path / "bai.txt").write_bytes(data)
    (tmp_path / "b.jsonl").write_bytes(('{"id": "j", "text": "Một bài JSONL."}\n').encode("utf-16"))
    articles, warnings = load_corpus([tmp_path])
    assert warnings == []
    by_id = {a.doc_id: a for a in articles}
    assert by_id["bai"].title == "Tiêu đề có dấu" and by_id["bai"].text == "Thân bài hòa bình, năm 2024."
    assert by_id["j"].text == "Một bài JSONL."


def test_a_huge_file_is_refused_without_being_read(tmp_path):
    import tracemalloc

    (tmp_path / "ok.txt").write_text("Tiêu đề\n\nThân bài.", encoding="utf-8")
    with open(tmp_path / "huge.txt", "wb") as f:  # sparse: 1 GiB on paper, nothing on disk
        f.truncate(1024 ** 3)
    tracemalloc.start()
    try:
        articles, warnings = load_corpus([tmp_path])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [a.doc_id for a in articles] == ["ok"]
    assert warnings == [f"bỏ qua {tmp_path / 'huge.txt'}: tệp 1024 MiB, lớn hơn giới hạn 20 MiB"]
    assert peak < 50 * 1024 * 1024  # the gigabyte was never read into memory


def test_nfc_and_nfd_names_of_one_file_are_told_apart(tmp_path):
    import unicodedata

    nfc, nfd = "hòa_bình", unicodedata.normalize("NFD", "hòa_bình")
    assert nfc != nfd
    (tmp_path / f"{nfd}.txt").write_text("Tiêu đề\n\nThân bài một.", encoding="utf-8")
    articles, _ = load_corpus([tmp_path])
    assert [a.doc_id for a in articles] == [nfc]  # ids are NFC whatever the file system holds
    (tmp_path / f"{nfc}.txt").write_text("Tiêu đề\n\nThân bài hai.", encoding="utf-8")
    with pytest.raises(CorpusError) as caught:
        load_corpus([tmp_path])
    message = str(caught.value)
    assert f"«{nfc}»" in message and "NFC/NFD" in message
    assert "ho\\u0300a_bi\\u0300nh.txt (tên dạng NFD)" in message  # the NFD name, visibly different
    assert str(tmp_path / f"{nfc}.txt") in message


def test_read_articles_reads_one_file_and_never_raises(tmp_path):
    (tmp_path / "a.txt").write_text("Tiêu đề\n\nThân bài.", encoding="utf-8")
    (tmp_path / "b.jsonl").write_text('{"id": "b1", "text": "Một."}\n{"id": "b2"}\n', encoding="utf-8")
    (tmp_path / "c.md").write_bytes(b"\xff\xff\xff")
    assert [a.doc_id for a in read_articles(tmp_path / "a.txt")[0]] == ["a"] and read_articles(tmp_path / "a.txt")[1] == []
    found, warnings = read_articles(tmp_path / "b.jsonl")
    assert [a.doc_id for a in found] == ["b1"] and warnings == [f'bỏ qua {tmp_path / "b.jsonl"}:2: cần các trường chuỗi "id" và "text"']
    assert read_articles(tmp_path / "c.md")[0] == [] and "không phải UTF-8 hợp lệ" in read_articles(tmp_path / "c.md")[1][0]
    assert read_articles(tmp_path / "missing.txt")[0] == [] and "missing.txt" in read_articles(tmp_path / "missing.txt")[1][0]


@pytest.mark.model
def test_qa_index_prints_each_warning_once_in_vietnamese(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "ok.txt").write_text("Tiêu đề\n\nSáng 2/3, Trung đoàn 999 tổ chức huấn luyện.", encoding="utf-8")
    (corpus / "rong.txt").write_text("   \n", encoding="utf-8")
    out = run_cli("index", "--quiet", "--corpus", corpus, "--index", tmp_path / "index")
    assert out.returncode == 0, out.stderr
    assert out.stderr.count("rong.txt") == 1, out.stderr
    assert f"cảnh báo: bỏ qua {corpus / 'rong.txt'}: tệp rỗng" in out.stderr
    assert "thêm 1, sửa 0, xóa 0, giữ nguyên 0 bài" in out.stdout


@pytest.mark.model
def test_a_file_that_is_not_utf8_is_warned_about_once_with_how_to_fix_it(tmp_path):
    """Issue 16, item 9: the warning says to save the file as UTF-8, and is said again only once the file changed."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "ok.txt").write_text("Tiêu đề\n\nSáng 2/3, Trung đoàn 999 tổ chức huấn luyện.", encoding="utf-8")
    (corpus / "cu.txt").write_bytes("Xin chào\n\nThân bài.".encode("cp1258"))
    index = ["--corpus", str(corpus), "--index", str(tmp_path / "index"), "--quiet"]
    first = run_cli("index", *index)
    assert first.returncode == 0, first.stderr
    assert first.stderr.count("cu.txt") == 1 and "lưu lại với mã hóa UTF-8" in first.stderr, first.stderr
    again = run_cli("index", *index)
    assert again.returncode == 0 and "cu.txt" not in again.stderr, again.stderr
    (corpus / "cu.txt").write_text("Tiêu đề\n\nThân bài cũ, đã lưu lại.", encoding="utf-8")  # saved as UTF-8
    fixed = run_cli("index", *index)
    assert fixed.returncode == 0 and "cu.txt" not in fixed.stderr and "thêm 1," in fixed.stdout, fixed.stdout + fixed.stderr


def test_two_sources_for_one_id_is_an_error_naming_both(tmp_path):
    (tmp_path / "a.txt").write_text("Tiêu đề\n\nThân.", encoding="utf-8")
    (tmp_path / "a.md").write_text("Tiêu đề\n\nThân.", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"a\.md.*a\.txt|a\.txt.*a\.md"):
        load_corpus([tmp_path])
    (tmp_path / "a.md").unlink()
    (tmp_path / "x.jsonl").write_text('{"id": "a", "text": "Khác."}', encoding="utf-8")
    with pytest.raises(CorpusError, match="x.jsonl"):
        load_corpus([tmp_path])
