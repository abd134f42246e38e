"""The verifier of generated sentences (qa/llm/verify.py), sentence by sentence; its figures on sentences built
from the corpus are a benchmark (python -m qa.bench.verifier, eval/reports/verifier.json), not a test."""

from __future__ import annotations

import pytest

from qa.llm.generate import OK, TOO_LITTLE, Generated
from qa.llm.verify import BAD_SOURCE, FACT, UNCITED, UNSUPPORTED, split_sentences, verify
from qa.render.llm import dropped_line, generated_text

PASSAGES = {
    1: "Bộ Tham mưu Quân khu: Tổng kết năm 2023 (2024-01-05)\nChiều 05/01, Bộ Tham mưu Quân khu tổ chức Hội nghị tổng kết "
       "công tác đảng, công tác chính trị năm 2023. Thiếu tướng Phạm Hoàng Long, Phó tham mưu trưởng, chủ trì hội nghị. "
       "Dịp này, 14 tập thể được khen thưởng danh hiệu «Đơn vị tiên tiến».",
    2: "Sư đoàn 389 huấn luyện 1.250 chiến sĩ mới trong năm 2024.",
}
SHORT = (1, "Thiếu tướng Phạm Hoàng Long")


def test_sentences_and_their_markers():
    text = "Thiếu tướng Phạm Hoàng Long chủ trì [1]. Có 1.250 chiến sĩ. [2] Hai nguồn [1, 2]. Không nguồn"
    assert split_sentences(text) == [("Thiếu tướng Phạm Hoàng Long chủ trì.", (1,)), ("Có 1.250 chiến sĩ.", (2,)),
                                     ("Hai nguồn.", (1, 2)), ("Không nguồn", ())]


@pytest.mark.parametrize(("sentence", "kept", "reason"), [
    ("Thiếu tướng Phạm Hoàng Long, Phó tham mưu trưởng, chủ trì hội nghị [1].", True, None),
    ("Theo bài viết, Thiếu tướng Phạm Hoàng Long chủ trì hội nghị [1].", True, None),
    ("Hội nghị tổng kết công tác đảng, công tác chính trị năm 2023 do Bộ Tham mưu Quân khu tổ chức chiều 05/01 [1].", True, None),
    ("Thiếu tướng Nguyễn Văn An chủ trì hội nghị [1].", False, FACT),  # another name
    ("Bộ Tham mưu Quân khu tổ chức Hội nghị tổng kết năm 2022 [1].", False, FACT),  # another year
    ("Chiều 06/01, Bộ Tham mưu Quân khu tổ chức Hội nghị tổng kết [1].", False, FACT),  # another date
    ("Dịp này, 15 tập thể được khen thưởng [1].", False, FACT),  # another number
    ("Năm 2024, Bộ Tham mưu tổ chức hội nghị [1].", False, FACT),  # only the publication date says 2024
    ("Dịp này, 14 tập thể được khen thưởng danh hiệu «Đơn vị quyết thắng» [1].", False, FACT),  # a quote not in it
    ("Thiếu tướng Phạm Hoàng Long chủ trì hội nghị.", False, UNCITED),
    ("Thiếu tướng Phạm Hoàng Long chủ trì hội nghị [4].", False, BAD_SOURCE),
    ("Thiếu tướng Phạm Hoàng Long chủ trì hội nghị [2].", False, FACT),  # cited to the wrong passage
    ("Hội nghị bàn về kinh tế biển và du lịch sinh thái [1].", False, UNSUPPORTED),
])
def test_each_sentence_against_the_passage_it_cites(sentence, kept, reason):
    [checked] = verify(sentence, PASSAGES, SHORT)
    assert (checked.kept, checked.reason) == (kept, reason)


def test_what_the_reader_is_told_about_dropped_sentences():
    checked = verify("Thiếu tướng Phạm Hoàng Long chủ trì hội nghị [1]. Năm 2022 có 99 chiến sĩ [1]. Câu không nguồn.", PASSAGES, SHORT)
    generated = Generated(OK, tuple(checked))
    text = generated_text(generated)
    assert "Thiếu tướng Phạm Hoàng Long chủ trì hội nghị. [1]" in text and "99" not in text.split("\n")[1]
    assert dropped_line(generated) == ("Đã bỏ 2 câu mô hình viết: 1 câu có chi tiết không có trong nguồn nó dẫn («2022», «99»), "
                                       "1 câu không dẫn nguồn.")
    assert "không đủ căn cứ" in generated_text(Generated(TOO_LITTLE, tuple(checked[1:])))
