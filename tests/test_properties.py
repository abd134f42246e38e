"""Property-based tests (hypothesis): the article parser, the normalizer and the question path never crash.

Whatever the input, the parser gives an article or a clear (Vietnamese) ValueError, a file gives articles
or a warning, the normalizer's functions keep their invariants, and a question gives an Answer or a
QuestionError. The question path runs on the fake embedder (fast, many examples) and once on the real model."""

from __future__ import annotations

import json
import unicodedata

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from qa.answer.result import Answer
from qa.engine import Engine
from qa.errors import QuestionError
from qa.ingest.corpus import Article, clean_scraped, decode_bytes, jsonl_article, read_articles
from qa.language.text import fold_diacritics, normalize, search_tokens, sentence_spans, unify_tones
from qa.messages import is_vietnamese
from qa.render.data import answer_to_dict
from qa.render.html import answer_html
from qa.render.plain import answer_text, cli_text
from qa.settings import MODES

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Lines the cleaner treats specially, mixed with arbitrary text.
SPECIAL_LINES = [
    "title: Tiêu đề", "url: https://example.org/a", "date: 2024-01-05", "date: 32/13/2024", "Ngày đăng: 07/04/2021",
    "Thứ sáu, 05/01/2024 - 17:37", "Thứ bảy Ngày 20 Tháng 04 Năm 2024, 12:52:37", "Nguồn Bắc Kạn: https://x.vn/p1.html",
    "Trả lời", "Các tin khác", "Tin, ảnh: Quang Nhất", "VĂN DƯƠNG", "(QK7 Online) - Chiều 25/11,", "***", "", "   ",
    "Chiều 05/01, Bộ Tham mưu Quân khu tổ chức hội nghị.", "hoà bình", unicodedata.normalize("NFD", "Thượng tá Lò Văn Piêng"),
]
VIETNAMESE_LETTERS = ("aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
                      " AĂÂĐÊÔƠƯ0123456789.,;:!?…()-–\n\t\u0300\u0301\u0303\u0309\u0323")  # with loose tone marks
VIETNAMESE_TEXT = st.text(alphabet=st.sampled_from(VIETNAMESE_LETTERS), max_size=200)
ANY_TEXT = st.one_of(st.text(max_size=200), VIETNAMESE_TEXT)
DOCUMENT = st.lists(st.one_of(st.sampled_from(SPECIAL_LINES), ANY_TEXT), max_size=12).map("\n".join)


def _check_article(article: Article) -> None:
    assert article.text and article.text == article.text.strip()
    assert unicodedata.is_normalized("NFC", article.text) and unicodedata.is_normalized("NFC", article.title)
    assert article.date is None or (len(article.date) == 10 and article.date[4] == "-")


# --- the article parser ---------------------------------------------------------------------------


@FAST
@given(DOCUMENT)
def test_scraped_text_gives_an_article_or_a_clear_error(raw):
    try:
        article = clean_scraped("bai", raw, "bai.txt")
    except ValueError as exc:
        assert is_vietnamese(str(exc))
        return
    _check_article(article)


@FAST
@given(st.binary(max_size=300) | DOCUMENT.map(lambda t: t.encode("utf-8")) | DOCUMENT.map(lambda t: t.encode("utf-16")))
def test_any_bytes_decode_or_give_a_clear_error(data):
    try:
        text = decode_bytes(data)
    except ValueError as exc:
        assert is_vietnamese(str(exc))
        return
    assert isinstance(text, str) and text.strip() and "\x00" not in text


@settings(max_examples=120, deadline=None)
@given(st.sampled_from([".txt", ".md", ".jsonl"]),
       st.binary(max_size=300) | DOCUMENT.map(lambda t: t.encode("utf-8")) | DOCUMENT.map(lambda t: t.encode("utf-16")))
def test_any_file_gives_articles_or_a_warning_naming_it(tmp_path_factory, suffix, data):
    path = tmp_path_factory.mktemp("f") / f"bai{suffix}"
    path.write_bytes(data)
    articles, warnings = read_articles(path)
    for article in articles:
        _check_article(article)
    for warning in warnings:
        assert str(path) in warning and warning.startswith("bỏ qua ")
    assert articles or warnings


@FAST
@given(st.one_of(ANY_TEXT, st.dictionaries(st.sampled_from(["id", "text", "title", "date", "url", "byline"]),
                                          st.one_of(ANY_TEXT, st.integers(), st.none(), st.lists(st.integers(), max_size=2)))
                 .map(lambda d: json.dumps(d, ensure_ascii=False))))
def test_any_jsonl_line_gives_an_article_or_a_clear_error(line):
    try:
        article = jsonl_article(line, "lo.jsonl:1")
    except ValueError as exc:
        assert is_vietnamese(str(exc))
        return
    _check_article(article)


# --- the normalizer ----------------------------------------------------------------------------------


@FAST
@given(ANY_TEXT)
def test_normalizer_invariants(text):
    once = unify_tones(text)
    assert unicodedata.is_normalized("NFC", normalize(text)) and normalize(normalize(text)) == normalize(text)
    assert unify_tones(once) == once and unicodedata.is_normalized("NFC", once)
    assert fold_diacritics(once) == fold_diacritics(normalize(text))  # tone placement is all unify_tones changes
    assert not any(unicodedata.combining(ch) for ch in fold_diacritics(text))
    assert all(token and not any(ch.isspace() for ch in token) for token in search_tokens(text))
    assert search_tokens(unicodedata.normalize("NFD", text)) == search_tokens(text)


@FAST
@given(ANY_TEXT)
def test_sentence_spans_are_ordered_trimmed_and_inside_the_text(text):
    end = -1
    for start, stop in sentence_spans(text):
        assert end <= start < stop <= len(text)
        assert not text[start].isspace() and not text[stop - 1].isspace()
        end = stop


# --- the question path --------------------------------------------------------------------------------


QUESTIONS = st.one_of(ANY_TEXT, st.sampled_from(["", "   ", "?", "Ai?", "x" * 2001, "Ai chủ trì hội nghị tổng kết năm 2023?",
                                                 "hoi nghi tong ket", "<script>alert(1)</script>", "\x00\x01"]))
KS = st.one_of(st.none(), st.integers(-5, 60), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=3))
MODE_VALUES = st.one_of(st.none(), st.sampled_from([*MODES, "", "HYBRID", "foo"]), st.text(max_size=5))
DATES = st.one_of(st.none(), st.sampled_from(["", "2024-01-01", "2023-12-31", "2024-13-01", "01/02/2024", " 2024-02-29 ", "2023-02-29"]),
                  st.text(max_size=12))


def _ask_never_crashes(engine: Engine, question, k, mode, since, until) -> None:
    try:
        answer = engine.ask(question, k=k, mode=mode, since=since, until=until)
    except QuestionError as exc:
        assert is_vietnamese(str(exc)) and "\n" not in str(exc)
        return
    assert isinstance(answer, Answer) and isinstance(answer_text(answer), str) and answer_text(answer)
    assert len(answer.citations) <= (int(k) if k is not None else engine.settings.k)
    for citation in answer.citations:
        passage = citation.hit.passage
        assert citation.hit.article.text[passage.start:passage.end] == passage.text
    # Every shape of answer renders on every screen, and its spans are exact pieces of their articles.
    for span in answer.evidence + ((answer.short.span,) if answer.short and answer.short.span else ()):
        assert answer.citations[span.source - 1].hit.article.text[span.start:span.end] == span.text
    assert set(answer.cited) <= set(range(1, len(answer.citations) + 1))
    json.dumps(answer_to_dict(answer), ensure_ascii=False)
    assert cli_text(answer).startswith(answer_text(answer)) or answer.understood_as
    assert "qa-why" in answer_html(answer, question=str(question))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(QUESTIONS, KS, MODE_VALUES, DATES, DATES)
@example("Ai chủ trì hội nghị?", float("inf"), None, None, None)  # found by reading: int(inf) is an OverflowError
@example("Ai chủ trì hội nghị?", 2.5, "dense", "2024-01-01", "2023-01-01")
def test_a_question_gives_an_answer_or_a_clear_error(fake_engine, question, k, mode, since, until):
    _ask_never_crashes(fake_engine, question, k, mode, since, until)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(QUESTIONS, st.one_of(st.none(), st.integers(-2, 8)), st.sampled_from([None, *MODES, "foo"]), DATES)
def test_the_real_model_answers_or_refuses_clearly(seed_engine, question, k, mode, since):
    _ask_never_crashes(seed_engine, question, k, mode, since, None)
