import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from qa.language.text import fold_diacritics, has_diacritics, search_tokens, sentence_spans, unify_tones


def test_old_and_new_tone_placement_unify():
    for old, new in [("hoà", "hòa"), ("thuỷ", "thủy"), ("khoẻ", "khỏe"), ("Hoá", "Hóa"), ("loà", "lòa")]:
        assert unify_tones(old) == unify_tones(new) == new


def test_nfd_input_is_unified_like_nfc():
    text = "Hội nghị tổng kết công tác Đảng, hoà bình"
    assert unify_tones(unicodedata.normalize("NFD", text)) == unify_tones(text)


def test_words_keep_their_tone_where_it_already_is():
    for word in ["Hoàng", "người", "giữa", "gì", "quý", "ngoài", "hoàn", "của", "chuyển", "Quyết", "tuổi", "khuỷu"]:
        assert unify_tones(word) == word


def test_folding_and_detection():
    assert fold_diacritics("Hội nghị tổng kết Đảng") == "Hoi nghi tong ket Dang"
    assert has_diacritics("Hội nghị") and not has_diacritics("hoi nghi tong ket")


def test_search_tokens_add_bigrams_inside_phrases_only():
    assert search_tokens("Hội nghị, tổng kết") == ["hội", "nghị", "hội_nghị", "tổng", "kết", "tổng_kết"]
    assert search_tokens("hoà bình") == search_tokens("hòa bình")
    assert search_tokens("Hội nghị", folded=True) == ["hoi", "nghi", "hoi_nghi"]


def test_sentence_spans_slice_back_and_respect_abbreviations():
    text = "Chiều 05/01, Bộ Tham mưu tổ chức hội nghị. Thiếu tướng Phạm Hoàng Long chủ trì.\n\nTP. Hồ Chí Minh có 1.000 người!"
    spans = sentence_spans(text)
    assert [text[a:b] for a, b in spans] == [
        "Chiều 05/01, Bộ Tham mưu tổ chức hội nghị.",
        "Thiếu tướng Phạm Hoàng Long chủ trì.",
        "TP. Hồ Chí Minh có 1.000 người!",
    ]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)
       | st.text(alphabet="aăâeêioôơuưyAĂÂEÊIOÔƠUƯYđĐ\u0300\u0301\u0303\u0309\u0323 .,-", max_size=60))
def test_folding_by_table_equals_folding_the_whole_string(text):
    """The per-character table (fold_diacritics) against NFD and dropping combining marks over the whole string."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    assert fold_diacritics(text) == "".join(ch for ch in decomposed if not unicodedata.combining(ch))
