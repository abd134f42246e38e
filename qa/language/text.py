"""Vietnamese text normalization, tokenization and sentence splitting.

Everything that enters the system (articles and questions) goes through
`normalize` (Unicode NFC).  Search tokens and embedder input additionally go
through `unify_tones`, so that old-style (`hoà`, `thuỷ`) and new-style
(`hòa`, `thủy`) tone placement index and query identically.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import lru_cache

# Combining tone marks: grave, acute, tilde, hook above, dot below.
_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")
_VOWELS = frozenset("aăâeêioôơuưy")
_MARKED_VOWELS = frozenset("ăâêôơư")
_WORD_SPLIT_RE = re.compile(r"([^\W\d_]+)")
_TOKEN_RE = re.compile(r"\w+")
# Punctuation that ends a phrase: bigrams never cross it.
_PHRASE_BREAK_RE = re.compile(r"[.,;:!?…()\[\]\"“”'‘’/|\n–—-]+")


def normalize(text: str) -> str:
    """Unicode NFC; the form every stored text is kept in."""
    return unicodedata.normalize("NFC", text)


def _tone_position(base: str) -> int | None:
    """Index of the vowel that carries the tone in a toneless syllable
    (modern placement: `hòa`, `thủy`), or None when it is not a syllable."""
    low = base.lower()
    start = next((i for i, ch in enumerate(low) if ch in _VOWELS), None)
    if start is None:
        return None
    end = start
    while end < len(low) and low[end] in _VOWELS:
        end += 1
    if any(ch in _VOWELS for ch in low[end:]):
        return None  # two vowel groups: not a Vietnamese syllable
    # `qu` and `gi` onsets: the u / i belongs to the consonant.
    if start > 0 and low[start - 1] == "q" and low[start] == "u" and end - start > 1:
        start += 1
    elif low.startswith("gi") and start == 1 and end - start > 1:
        start += 1
    cluster = low[start:end]
    marked = [i for i, ch in enumerate(cluster) if ch in _MARKED_VOWELS]
    if marked:
        return start + marked[-1]
    if len(cluster) == 1:
        return start
    if end < len(low):  # closed syllable: tone on the last vowel (hoàn)
        return end - 1
    if len(cluster) == 2:  # open syllable: tone on the first (hòa, thủy)
        return start
    return start + 1  # three vowels: the middle one (ngoài, khuỷu)


@lru_cache(maxsize=1 << 18)
def _retone(word: str) -> str:
    """One word (or the text between words) re-toned; cached: a corpus repeats a few thousand syllables millions of times."""
    decomposed = unicodedata.normalize("NFD", word)
    tones = [ch for ch in decomposed if ch in _TONE_MARKS]
    if len(tones) != 1:
        return word
    base = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in _TONE_MARKS))
    pos = _tone_position(base)
    if pos is None:
        return word
    toned = unicodedata.normalize("NFC", base[pos] + tones[0])
    return base[:pos] + toned + base[pos + 1 :]


def unify_tones(text: str) -> str:
    """NFC text with one tone-mark placement convention (`hoà` -> `hòa`).

    NFC again at the end: a stray combining mark after a re-toned word composes with it."""
    # Split keeping the words (odd items); the cached per-word function is then mapped in C.
    return normalize("".join(map(_retone, _WORD_SPLIT_RE.split(normalize(text)))))


def _fold_slowly(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=1)
def _fold_table() -> list[str]:
    """Each BMP character folded alone (0.1 s, once). Folding is per character: NFD decomposes each character by
    itself and its reordering moves only combining marks, which are dropped; so translating by this table gives
    what folding the whole string gives, about 5× faster (a 1M-passage profile spent most of a question's
    retrieval folding candidate articles for their constraints)."""
    return [chr(c) if 0xD800 <= c < 0xE000 else _fold_slowly(chr(c)) for c in range(0x10000)]


def fold_diacritics(text: str) -> str:
    """`Hội nghị Đảng` -> `Hoi nghi Dang`: what a user types without accents."""
    if text.isascii():
        return text
    if max(text) > "\uffff":  # past the table (translate would leave such characters as they are)
        return _fold_slowly(text)
    return text.translate(_fold_table())


def has_diacritics(text: str) -> bool:
    return fold_diacritics(normalize(text)) != normalize(text)


def search_tokens(text: str, folded: bool = False, unified: bool = False) -> list[str]:
    """BM25 tokens: syllables plus syllable bigrams inside each phrase (`unified`: the text is already tone-unified).

    Vietnamese words are mostly two syllables, so bigrams approximate word
    segmentation without a segmenter (and without its errors)."""
    text = (text if unified else unify_tones(text)).lower()
    if folded:
        text = fold_diacritics(text)
    tokens: list[str] = []
    for phrase in _PHRASE_BREAK_RE.split(text):
        sylls = _TOKEN_RE.findall(phrase)
        tokens.extend(sylls)
        tokens.extend(f"{a}_{b}" for a, b in zip(sylls, sylls[1:]))
    return tokens


# A sentence ends at . ! ? … (and closing quotes or brackets), before
# whitespace and a capital letter, digit, quote or bracket, or at a line break.
_SENTENCE_END_RE = re.compile(r"[.!?…]+[\"”’')\]]*(?=\s+[\"“‘(\[]?[\w])|\n+")
_ABBREVIATIONS = frozenset({"tp", "ths", "ts", "pgs", "gs", "bs", "ks", "q", "p", "st", "tt", "nxb"})


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Character spans of the sentences of text[start:end], whitespace trimmed."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    cursor = start
    for match in _SENTENCE_END_RE.finditer(text, start, end):
        cut = match.end() if match.group(0)[0] != "\n" else match.start()
        before = text[cursor:match.start()].rsplit(None, 1)
        if match.group(0).startswith(".") and before and before[-1].lower() in _ABBREVIATIONS:
            continue
        following = text[match.end():match.end() + 2].lstrip()
        if match.group(0)[0] != "\n" and following[:1].islower():
            continue
        spans.append((cursor, cut))
        cursor = match.end()
    spans.append((cursor, end))
    trimmed = []
    for a, b in spans:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            trimmed.append((a, b))
    return trimmed


# Question words and fillers that say what is asked, not what it is about: left out of lexical matching.
QUERY_STOPWORDS = frozenset(
    """ai gì nào đâu sao bao nhiêu mấy khi thế là có không của và được đã những các về điều cho biết hãy
    bao_nhiêu khi_nào thế_nào như_thế ra_sao là_gì điều_gì những_gì cái_gì nội_dung cho_biết
    gi nao dau khong cua va duoc da nhung cac ve dieu biet hay
    bao_nhieu khi_nao the_nao nhu_the ra_sao la_gi dieu_gi nhung_gi cai_gi noi_dung cho_biet""".split()
)

# The one list of a question's words that carry no content of its own (folded syllables): the question words and
# fillers above, and the function words that join them (`của`, `trong`, `tại`, `năm` before a year). Read by
# the short answer's fit, the constraints' year contexts and `Vì sao?`'s matched phrases.
QUESTION_WORDS = frozenset(
    "ai gi nao dau sao bao nhieu may khi the la co khong cua va duoc da nhung cac ve dieu cho biet hay "
    "trong o tai voi mot nay do thi nam vao".split())


# --- comparing answers (SQuAD's normalization and token F1; used to train and to evaluate) ---


def normalize_short(text: str) -> str:
    """SQuAD normalization, for Vietnamese: lowercase, tones unified, punctuation and [n] markers out."""
    text = re.sub(r"\[\d+\]", " ", unify_tones(text or "").lower())
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(text.split())


def token_f1(produced: str, gold: str) -> float:
    a, b = normalize_short(produced).split(), normalize_short(gold).split()
    if not a or not b:
        return float(a == b)
    common = sum((Counter(a) & Counter(b)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(a), common / len(b)
    return 2 * precision * recall / (precision + recall)
