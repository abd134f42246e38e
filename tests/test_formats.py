"""Issue 25, items 1-4: saved web pages, PDF and Word files as articles, through `qa index` and the upload box.

The pages are tests/fixtures/html (Vietnamese news pages with their site's menus, related news, comments, share
text and photo credits, several layouts), each with what a reader expects of it; the PDFs are typeset here with
the chat's own font, so their text layer carries real Vietnamese; the Word file is written with python-docx."""

from __future__ import annotations

import json
import shutil
import unicodedata

import pytest

from qa.bench.documents import write_docx, write_pdf, write_scanned_pdf
from qa.bench.extraction import FIXTURES, boilerplate_sentences, fixtures, sentences, squash
from qa.index import LoadedIndex, build_index
from qa.ingest.chunking import split_article
from qa.ingest.corpus import corpus_files, load_corpus, read_articles
from qa.ingest.formats.dates import DATELINE_RE, vietnamese_date
from qa.render.plain import answer_text
from qa.settings import Settings
from ui.uploads import KnownTexts, UploadError, check_upload

PAGES = fixtures()
DRILL = json.loads((FIXTURES / "cong-quan-khu.expected.json").read_text(encoding="utf-8"))
DRILL_LINES = ["Thứ Sáu, 05/01/2024 - 14:30", *DRILL["article"], "Tin, ảnh: Hoàng Dũng"]


@pytest.fixture(scope="module")
def fonts(tmp_path_factory):
    return tmp_path_factory.mktemp("fonts")


@pytest.mark.parametrize("saved,expected", PAGES, ids=[p.stem for p, _ in PAGES])
def test_a_saved_news_page_gives_its_title_date_author_and_every_sentence(saved, expected):
    [article], warnings = read_articles(saved)
    assert warnings == []
    assert (article.title, article.date, article.byline) == (expected["title"], expected["date"], expected["author"])
    text = squash(article.text)
    missing = [s for p in expected["article"] for s in sentences(p) if s not in text]
    assert missing == []


@pytest.mark.parametrize("saved,expected", PAGES, ids=[p.stem for p, _ in PAGES])
def test_no_boilerplate_sentence_of_a_page_reaches_a_passage(saved, expected):
    [article], _ = read_articles(saved)
    boilerplate = boilerplate_sentences(saved.read_bytes(), expected)
    assert len(boilerplate) >= 8  # the page does carry its site's chrome
    passages = [squash(p.text) for p in split_article(article, 600, 120)]
    leaked = [s for s in boilerplate if any(s in p for p in passages)]
    assert leaked == []
    # nor the photo credits, the share buttons, the comment form
    for piece in ("Ảnh:", "Chia sẻ", "Facebook", "bình luận", "Bình luận", "Trả lời", "Quảng cáo"):
        assert all(piece not in p for p in passages), piece


def test_a_page_without_article_text_is_skipped_with_a_line_naming_it():
    page = FIXTURES / "chuyen-muc.html"
    articles, warnings = read_articles(page)
    assert articles == [] and len(warnings) == 1
    assert str(page) in warnings[0] and "không có nội dung bài viết" in warnings[0]


@pytest.mark.parametrize("written,iso", [
    ("Thứ Sáu, 05/01/2024 - 14:30", "2024-01-05"), ("05/01/2024 14:30 GMT+7", "2024-01-05"),
    ("Thứ sáu, 5/1/2024, 14:30 (GMT+7)", "2024-01-05"), ("Chủ nhật, 07/04/2024 08:05", "2024-04-07"),
    ("Cập nhật: 14:30 05/01/2024", "2024-01-05"), ("Ngày đăng: 3.2.2023", "2023-02-03"),
])
def test_vietnamese_datelines_are_read_day_first(written, iso):
    assert DATELINE_RE.match(written) and vietnamese_date(written) == iso


def test_dates_in_words_and_iso_and_no_date():
    assert vietnamese_date("Hà Nội, ngày 5 tháng 1 năm 2024") == "2024-01-05"
    assert vietnamese_date("2024-01-05T14:30:00+07:00") == "2024-01-05"
    assert vietnamese_date("Sáng 05/01, sư đoàn tổ chức hội thao") is None  # no year: not a publication date
    assert not DATELINE_RE.match("Sáng 05/01/2024, Sư đoàn 5 tổ chức hội thao kỹ thuật.")


@pytest.mark.parametrize("decomposed", [False, True], ids=["composed", "combining-tone-marks"])
def test_a_pdf_text_layer_gives_the_article_in_nfc(tmp_path, fonts, decomposed):
    path = write_pdf(tmp_path / "hoi-thao.pdf", DRILL_LINES, heading=DRILL["title"], decomposed=decomposed, fonts=fonts)
    import pypdf

    raw = pypdf.PdfReader(path).pages[0].extract_text()
    assert any(mark in raw for mark in "\u0300\u0301\u0303\u0309\u0323") == decomposed  # the text layer as written
    [article], warnings = read_articles(path)
    assert unicodedata.is_normalized("NFC", article.text) and "Nguyễn Minh Tuấn" in article.text
    assert warnings == []
    assert (article.doc_id, article.title, article.date, article.byline) == ("hoi-thao", DRILL["title"], "2024-01-05", "Hoàng Dũng")
    assert article.text.split("\n\n") == DRILL["article"]  # lines joined back into the paragraphs


def test_a_pdf_title_comes_from_its_metadata_and_a_gmt_dateline_is_the_date(tmp_path, fonts):
    path = write_pdf(tmp_path / "b.pdf", ["05/01/2024 14:30 GMT+7", *DRILL["article"]], title="Hội thao kỹ thuật Sư đoàn 5", fonts=fonts)
    [article], _ = read_articles(path)
    assert (article.title, article.date) == ("Hội thao kỹ thuật Sư đoàn 5", "2024-01-05")
    assert article.text.startswith("(QK7 Online) - Sáng 05/01")


def test_a_scanned_pdf_without_text_layer_is_refused_with_an_ocr_line(tmp_path):
    path = write_scanned_pdf(tmp_path / "ban-quet.pdf")
    articles, warnings = read_articles(path)
    assert articles == [] and len(warnings) == 1
    assert str(path) in warnings[0] and "không có lớp chữ" in warnings[0] and "cần OCR" in warnings[0]


def test_a_docx_gives_its_heading_date_and_byline(tmp_path):
    path = write_docx(tmp_path / "hoi-thao.docx", DRILL_LINES, heading=DRILL["title"])
    [article], warnings = read_articles(path)
    assert warnings == []
    assert (article.title, article.date, article.byline) == (DRILL["title"], "2024-01-05", "Hoàng Dũng")
    assert article.text.split("\n\n") == DRILL["article"]
    titled = write_docx(tmp_path / "b.docx", DRILL["article"], title="Tiêu đề trong thuộc tính tệp")
    assert read_articles(titled)[0][0].title == "Tiêu đề trong thuộc tính tệp"


@pytest.mark.parametrize("name", ["hong.pdf", "hong.docx", "hong.html"])
def test_a_damaged_file_is_one_vietnamese_line_naming_it(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"\x00\x01 not what the name says \xff" * 10)
    articles, warnings = read_articles(path)
    assert articles == [] and len(warnings) == 1 and str(path) in warnings[0]
    assert "Traceback" not in warnings[0] and "bỏ qua" in warnings[0]


def _corpus(tmp_path, fonts):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for page in ("tin-nhanh", "bao-tuoi-moi", "chuyen-muc"):
        shutil.copy(FIXTURES / f"{page}.html", corpus / f"{page}.html")
    write_pdf(corpus / "hoi-thao.pdf", DRILL_LINES, heading=DRILL["title"], fonts=fonts)
    hoa = dict(PAGES)[FIXTURES / "trang-dia-phuong.html"]
    write_docx(corpus / "hoa-tet.docx", ["Thứ Sáu, 12/01/2024 - 07:15", *hoa["article"]], heading=hoa["title"])
    return corpus


def test_qa_index_reads_every_format_incrementally(tmp_path, fonts, fake_embedder):
    corpus = _corpus(tmp_path, fonts)
    assert {p.suffix for p in corpus_files(corpus)} == {".html", ".pdf", ".docx"}
    settings = Settings.from_env({}, index_dir=tmp_path / "index", corpus_dirs=(corpus,))
    first = build_index(settings, embedder=fake_embedder, progress=False)
    assert sorted(first.added) == ["bao-tuoi-moi", "hoa-tet", "hoi-thao", "tin-nhanh"]
    assert any("chuyen-muc.html" in w and "không có nội dung bài viết" in w for w in first.warnings)
    loaded = LoadedIndex.load(settings.index_dir)
    assert sorted(loaded.doc_ids()) == sorted(first.added)

    again = build_index(settings, embedder=fake_embedder, progress=False)
    assert again.added == again.changed == again.removed == [] and again.embedded == 0

    page = corpus / "tin-nhanh.html"
    page.write_text(page.read_text(encoding="utf-8").replace("ba ca liên tục", "bốn ca liên tục"), encoding="utf-8")
    (corpus / "hoi-thao.pdf").unlink()
    changed = build_index(settings, embedder=fake_embedder, progress=False)
    assert changed.changed == ["tin-nhanh"] and changed.removed == ["hoi-thao"] and changed.added == []
    articles = {a.doc_id: a for a in load_corpus([corpus])[0]}
    assert "bốn ca liên tục" in articles["tin-nhanh"].text and articles["hoa-tet"].date == "2024-01-12"


def test_one_article_as_a_page_and_as_txt_is_indexed_once(tmp_path, fake_embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(FIXTURES / "cong-quan-khu.html", corpus / "hoi-thao.html")
    # the article as a person copies it off the page: the caption in its place, the byline at the end
    lines = [*DRILL["article"][:3], *DRILL["neutral"], *DRILL["article"][3:], "Tin, ảnh: Hoàng Dũng"]
    txt = f"title: {DRILL['title']}\ndate: 05/01/2024\n\n" + "\n\n".join(lines) + "\n"
    (corpus / "hoi-thao-ban-chep.txt").write_text(txt, encoding="utf-8")
    settings = Settings.from_env({}, index_dir=tmp_path / "index", corpus_dirs=(corpus,))
    report = build_index(settings, embedder=fake_embedder, progress=False)
    assert len(report.added) == 1 and len(report.duplicates) == 1

    # the upload box: same limits, same duplicate check by text
    settings = Settings.from_env({}, index_dir=tmp_path / "index2", corpus_dirs=(tmp_path / "up",))
    known = KnownTexts()
    upload = check_upload(FIXTURES / "cong-quan-khu.html", "Hội thao kỹ thuật.html", set(), settings, known)
    [article] = upload.articles
    assert upload.name == "Hoi_thao_ky_thuat.html" and article.title == DRILL["title"] and article.date == "2024-01-05"
    known.add(article, "Hoi_thao_ky_thuat")
    (tmp_path / "chep.txt").write_text(txt, encoding="utf-8")
    with pytest.raises(UploadError, match="trùng nội dung với bài «Hoi_thao_ky_thuat»"):
        check_upload(tmp_path / "chep.txt", "chep.txt", set(), settings, known)


def test_the_upload_box_takes_pdf_and_docx_and_names_what_it_refuses(tmp_path, fonts):
    settings = Settings.from_env({}, index_dir=tmp_path / "index", corpus_dirs=(tmp_path / "up",))
    pdf = write_pdf(tmp_path / "a.pdf", DRILL_LINES, heading=DRILL["title"], fonts=fonts)
    assert check_upload(pdf, "Hội thao.pdf", set(), settings).articles[0].title == DRILL["title"]
    docx = write_docx(tmp_path / "b.docx", DRILL_LINES, heading=DRILL["title"])
    assert check_upload(docx, "b.docx", set(), settings).articles[0].byline == "Hoàng Dũng"
    with pytest.raises(UploadError, match="«quet.pdf» không đọc được .*không có lớp chữ.*cần OCR"):
        check_upload(write_scanned_pdf(tmp_path / "quet.pdf"), "quet.pdf", set(), settings)
    with pytest.raises(UploadError, match="«chuyen-muc.html» không đọc được .*không có nội dung bài viết"):
        check_upload(FIXTURES / "chuyen-muc.html", "chuyen-muc.html", set(), settings)
    big = Settings.from_env({"QA_UPLOAD_MAX_BYTES": "1000"}, index_dir=tmp_path / "i", corpus_dirs=(tmp_path / "up",))
    with pytest.raises(UploadError, match="tối đa"):
        check_upload(pdf, "a.pdf", set(), big)


@pytest.mark.model
def test_pages_pdf_and_word_files_answer_with_their_title_and_date_and_no_boilerplate(tmp_path, fonts):
    from qa.engine import Engine

    corpus = _corpus(tmp_path, fonts)
    settings = Settings.from_env({}, index_dir=tmp_path / "index", corpus_dirs=(corpus,))
    build_index(settings, progress=False)
    engine = Engine(settings)
    chrome = [s for page, expected in PAGES for s in boilerplate_sentences(page.read_bytes(), expected)]
    for question, doc, title, date in [
        ("Cầu Tứ Liên dự kiến thông xe vào năm nào?", "tin-nhanh", "Hà Nội khởi công cầu Tứ Liên vượt sông Hồng", "2024-01-05"),
        ("Tỉnh Bến Tre đã vận hành thêm bao nhiêu trạm bơm dã chiến?", "bao-tuoi-moi",
         "Đồng bằng sông Cửu Long chủ động ứng phó xâm nhập mặn mùa khô 2024", "2024-01-05"),
        ("Đơn vị nào đoạt giải nhất toàn đoàn hội thao kỹ thuật của Sư đoàn 5?", "hoi-thao", DRILL["title"], "2024-01-05"),
        ("Toàn tỉnh Lâm Đồng có khoảng bao nhiêu ha hoa?", "hoa-tet", "Lâm Đồng: Nông dân Đà Lạt trúng mùa hoa Tết", "2024-01-12"),
    ]:
        answer = engine.ask(question, k=3)
        assert not answer.abstained, question
        top = answer.citations[0].hit.article
        assert (top.doc_id, top.title, top.date) == (doc, title, date), question
        shown = squash(answer_text(answer) + " ".join(c.hit.passage.text for c in answer.citations))
        assert [s for s in chrome if s in shown] == [], question
