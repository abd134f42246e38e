"""The lexical channel's storage: scores equal a BM25 computed from the texts directly, in both token spaces,
whether the postings were written at once or merged from segments."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from qa.index.bm25 import K1, B, LexicalIndex, LexicalPart, merge_postings, open_spaces, query_terms, write_postings
from qa.language.text import fold_diacritics, search_tokens

TEXTS = [
    "Hội nghị giao ban công tác Đảng quý I năm 2021 của Bộ Chỉ huy Quân sự tỉnh.",
    "Đồng chí Thượng tá hỏi ý kiến các đại biểu về công tác huấn luyện.",
    "Hồi đó, đơn vị huấn luyện bắn đạn thật; hơi nước bốc lên từ hồ.",
    "Cục Chính trị trao danh hiệu Chiến sĩ thi đua cơ sở cho 12 cá nhân.",
    "Hội Cựu chiến binh tổ chức hội thao, hội diễn văn nghệ mừng Tết.",
    "Trung đoàn 888 tổ chức huấn luyện bắn đạn thật cho chiến sĩ mới.",
]
QUESTIONS = ["hoi nghi giao ban cong tac dang", "huan luyen ban dan that", "Hội nghị giao ban", "hội thao", "hoi", "danh hieu chien si"]


def reference_scores(texts: list[str], question: str) -> np.ndarray:
    """BM25 straight from the definition: accented tokens, or each token folded when the question has no diacritics."""
    tokens, folded = query_terms(question)
    docs = [[fold_diacritics(t) if folded else t for t in search_tokens(text)] for text in texts]
    tfs = [Counter(d) for d in docs]
    avg = sum(map(len, docs)) / len(docs)
    out = np.zeros(len(texts))
    for token, repeats in Counter(tokens).items():
        df = sum(token in tf for tf in tfs)
        if not df:
            continue
        idf = math.log(1 + (len(texts) - df + 0.5) / (df + 0.5))
        for row, tf in enumerate(tfs):
            if tf[token]:
                out[row] += repeats * idf * tf[token] / (tf[token] + K1 * (1 - B + B * len(docs[row]) / avg))
    return out


def open_index(folder, n: int) -> LexicalIndex:
    spaces = open_spaces(folder, lambda path: np.load(path, mmap_mode="r").view(np.ndarray))
    return LexicalIndex([LexicalPart(spaces, np.load(folder / "lengths.npy"), np.ones(n, dtype=bool), 0)], n)


def test_scores_equal_bm25_from_the_texts_in_both_spaces(tmp_path):
    index = LexicalIndex.build(tmp_path / "lexical", TEXTS)
    for question in QUESTIONS:
        expected = reference_scores(TEXTS, question)
        assert expected.any(), question
        np.testing.assert_allclose(index.scores(question), expected, rtol=1e-5, err_msg=question)


def test_folded_postings_sum_the_variants_of_a_word(tmp_path):
    """`hoi` is hội, hỏi, hồi and hơi: a passage's folded tf is the sum of theirs, its rows are their union."""
    write_postings(tmp_path, TEXTS)
    spaces = open_spaces(tmp_path, np.load)
    docs, tfs = spaces["folded"].postings("hoi")
    variants = [spaces["accented"].postings(word) for word in ("hội", "hỏi", "hồi", "hơi")]
    assert all(len(d) for d, _ in variants)
    expected = Counter()
    for d, t in variants:
        expected.update(dict(zip(d.tolist(), t.tolist())))
    assert dict(zip(docs.tolist(), tfs.tolist())) == expected
    assert docs.tolist() == sorted(expected) and expected[2] == 2 and expected[4] == 3  # hồi + hơi; hội ×3


def test_postings_are_stored_compactly(tmp_path):
    """Only the accented space has postings; tfs take one byte; the folded space is a term map."""
    write_postings(tmp_path, TEXTS)
    assert np.load(tmp_path / "accented" / "tfs.npy").dtype == np.uint8
    assert sorted(p.name for p in (tmp_path / "folded").iterdir()) == ["members.npy", "offsets.npy", "terms.npy"]
    long = " ".join(["huấn luyện"] * 300)  # a tf past 255 still fits
    write_postings(tmp_path / "long", [long])
    tfs = np.load(tmp_path / "long" / "accented" / "tfs.npy")
    assert tfs.dtype == np.uint16 and int(tfs.max()) == 300


def test_merged_postings_equal_postings_written_at_once(tmp_path):
    """A merge (dropping a passage, reordering rows) gives the arrays a build of the surviving texts gives."""
    write_postings(tmp_path / "a", TEXTS[:3])
    write_postings(tmp_path / "b", TEXTS[3:])
    lengths = {name: np.load(tmp_path / name / "lengths.npy") for name in "ab"}
    # Passage 1 of `a` is deleted; `b` comes first in the merged segment.
    parts = [(tmp_path / "b", np.array([0, 1, 2]), lengths["b"]), (tmp_path / "a", np.array([3, -1, 4]), lengths["a"][[0, 2]])]
    merge_postings(tmp_path / "merged", parts)
    survivors = TEXTS[3:] + [TEXTS[0], TEXTS[2]]
    write_postings(tmp_path / "once", survivors)
    for name in ("lengths.npy", "accented/terms.npy", "accented/offsets.npy", "accented/docs.npy", "accented/tfs.npy",
                 "folded/terms.npy", "folded/offsets.npy", "folded/members.npy"):
        merged, once = np.load(tmp_path / "merged" / name), np.load(tmp_path / "once" / name)
        assert merged.dtype == once.dtype and np.array_equal(merged, once), name
    merged, once = open_index(tmp_path / "merged", 5), open_index(tmp_path / "once", 5)
    for question in QUESTIONS:
        np.testing.assert_allclose(merged.scores(question), reference_scores(survivors, question), rtol=1e-5)
        np.testing.assert_array_equal(merged.scores(question), once.scores(question))
