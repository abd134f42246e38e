"""Candidate short answers: typed spans of a sentence, on syllable boundaries.

Every candidate is a token span of one sentence with the kinds that proposed it: dates and
times as written, numbers with their units, capitalised name runs (with rank and title before
them), quoted and bracketed text, clause pieces between punctuation, reason / purpose clauses
after `vì / do / để / nhằm`, and *anchor* spans. Vietnamese keeps the wh-word in place
(`Panthers đã thua bao nhiêu điểm?` / `Panthers chỉ thua 308 điểm`), so the answer sits between
the sentence words that match the question words on either side of the wh-word."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from qa.answer.short import DATE_RE, PERSON_RE
from qa.language.text import fold_diacritics, unify_tones

# A token: a word or number (with inner . , / - as in 1.500, 25/11, 2023-2024), or one punctuation mark.
TOKEN_RE = re.compile(r"\w+(?:[.,/\-]\w+)*%?|[^\w\s]")
_BREAK = frozenset(",;:()[]\"“”‘’«»–—!?.…")
MAX_SPAN = 14  # tokens; longer gold answers are rare and a sentence answer shows them anyway

WH_PATTERNS = (
    # (question type, folded wh-phrase) -- longest first within each type
    ("why", r"tai sao|vi sao|vi le gi|ly do (?:gi|nao)|nguyen nhan (?:gi|nao)|de lam gi|nham muc dich gi|muc dich (?:gi|nao)"),
    ("how", r"nhu the nao|lam the nao|bang cach nao|ra sao|the nao|bang gi|cach nao"),
    ("when", r"khi nao|bao gio|luc nao|thoi gian nao|thoi diem nao|(?:nam|ngay|thang|the ky|thap nien|mua|hom|dip) (?:nao|bao nhieu|may)"),
    ("count", r"bao nhieu|may|so luong"),
    ("where", r"o dau|tai dau|den dau|tu dau|dau|noi nao|cho nao"
              r"|(?:nuoc|thanh pho|tinh|vung|khu vuc|dia diem|quoc gia|dia phuong|huyen|xa) nao"),
    ("who", r"ai|nguoi nao|nhung ai|vi nao|dong chi nao|nhan vat nao|ong nao|ba nao"),
    ("what", r"cai gi|dieu gi|nhung gi|la gi|gi"),
    ("which", r"nao"),
)
_WH_RE = [(t, re.compile(rf"(?<!\w)(?:{p})(?!\w)")) for t, p in WH_PATTERNS]
QUESTION_TYPES = tuple(t for t, _ in WH_PATTERNS) + ("other",)

_REASON = frozenset("vi do boi nho".split())
_PURPOSE = frozenset("de nham".split())
_NUMBER_WORDS = frozenset(
    "mot hai ba bon nam sau bay tam chin muoi tram nghin ngan trieu ty ti linh le mươi rưỡi ruoi nua vai".split())
_NUMBER_WORDS_STRICT = frozenset("mot hai ba bon sau bay tam chin muoi tram nghin ngan trieu ty".split())
_UNIT_STOP = frozenset(fold_diacritics(
    """được đã và của cho về với trong tại có là đạt lên vào nhập tham gia trên dưới gồm so từ đến theo để khi nhưng thì mà
    này đó các những một hoàn thành tổ chức ra năm tháng ngày bị cũng vẫn đang sẽ như hay hoặc""").split())
_DATE_WORDS = frozenset("nam thang ngay the ky thap nien gio phut sang chieu toi dem".split())


@dataclass(frozen=True)
class Token:
    text: str
    start: int  # in the article text
    end: int
    key: str  # lowercase, tones unified (diacritics folded when the question has none)
    upper: bool  # starts with an upper-case letter
    digit: bool
    brk: bool  # punctuation that ends a phrase


@dataclass
class Candidate:
    sentence: int  # index into the sentences read
    i: int  # token span [i, j) of that sentence
    j: int
    kinds: set[str] = field(default_factory=set)


def tokenize(text: str, start: int, end: int, folded: bool) -> list[Token]:
    out = []
    for m in TOKEN_RE.finditer(text, start, end):
        word = m.group(0)
        key = unify_tones(word).lower()
        if folded:
            key = fold_diacritics(key)
        out.append(Token(word, m.start(), m.end(), key, word[:1].isupper(), word[:1].isdigit(), word in _BREAK))
    return out


def question_tokens(question: str, folded: bool) -> list[str]:
    return [t.key for t in tokenize(question, 0, len(question), folded) if not t.brk]


def wh_position(qkeys: list[str]) -> tuple[str, int, int]:
    """(question type, token span [a, b) of the wh-phrase) in the question's tokens; ("other", n, n) when none."""
    folded = [fold_diacritics(k) for k in qkeys]
    line = " ".join(folded)
    for qtype, rx in _WH_RE:
        m = rx.search(line)
        if m:
            a = line[: m.start()].count(" ")
            b = a + len(m.group(0).split())
            return qtype, a, b
    return "other", len(qkeys), len(qkeys)


@lru_cache(maxsize=1 << 16)
def fold_key(key: str) -> str:
    """A token's key without diacritics (cached: the same words come back question after question)."""
    return fold_diacritics(key)


_fold = fold_key


def _span_of_chars(tokens: list[Token], a: int, b: int) -> tuple[int, int] | None:
    i = next((k for k, t in enumerate(tokens) if t.end > a), None)
    if i is None or tokens[i].start > b:
        return None
    j = i
    while j < len(tokens) and tokens[j].start < b:
        j += 1
    return (i, j) if j > i else None


def generate(sentence: int, text: str, tokens: list[Token], qkeys: list[str], wh: tuple[str, int, int],
             extra: list[tuple[int, int, str]] = ()) -> list[Candidate]:
    """The candidate spans of one sentence (tokens from `tokenize`), each with the kinds that proposed it;
    `extra`: character spans proposed by others (start, end, kind), e.g. the seed-style rules of `qa.answer.short`."""
    found: dict[tuple[int, int], Candidate] = {}

    def add(i: int, j: int, kind: str) -> None:
        while i < j and tokens[i].brk:
            i += 1
        while j > i and tokens[j - 1].brk and tokens[j - 1].text not in ")”\"%":
            j -= 1
        if j <= i or j - i > MAX_SPAN:
            return
        found.setdefault((i, j), Candidate(sentence, i, j)).kinds.add(kind)

    if not tokens:
        return []
    lo, hi = tokens[0].start, tokens[-1].end
    for a, b, kind in extra:
        span = _span_of_chars(tokens, a, b)
        if span:
            found.setdefault(span, Candidate(sentence, *span)).kinds.add(kind)  # as proposed, even when long
    # Typed spans found by pattern over the characters.
    for rx, kind in ((DATE_RE, "date"), (PERSON_RE, "person")):
        for m in rx.finditer(text, lo, hi):
            span = _span_of_chars(tokens, m.start(), m.end())
            if span:
                add(*span, kind)
                if kind == "person":
                    _apposition(tokens, span, add)
    for m in re.finditer(r"[“\"«(]([^“”\"«»()]{1,120})[”\"»)]", text[lo:hi]):
        span = _span_of_chars(tokens, lo + m.start(1), lo + m.end(1))
        if span:
            add(*span, "quote" if m.group(0)[0] != "(" else "paren")
    _names(tokens, add)
    _numbers(tokens, add)
    _pieces(tokens, add)
    _anchors(tokens, qkeys, wh, add)
    return [c for c in found.values() if c.j - c.i <= MAX_SPAN or "rule" in c.kinds]


def _apposition(tokens: list[Token], span: tuple[int, int], add) -> None:
    """`Thiếu tướng Nguyễn Văn A, Phó Tư lệnh Quân khu` : the name with the title after it."""
    i, j = span
    if j < len(tokens) and tokens[j].text == ",":
        k = j + 1
        while k < len(tokens) and not tokens[k].brk and k - i < MAX_SPAN:
            k += 1
        if k > j + 1:
            add(i, k, "person_title")


def _names(tokens: list[Token], add) -> None:
    """Runs of capitalised words (a name, a place, an organisation), with the rank or title words before them."""
    k, n = 0, len(tokens)
    while k < n:
        if tokens[k].upper and not tokens[k].brk:
            j = k
            while j < n and (tokens[j].upper or tokens[j].digit) and not tokens[j].brk:
                j += 1
            first = k
            if k == 0 or tokens[k - 1].brk:
                pass  # a capital at a sentence or clause start may be an ordinary word
            add(first, j, "name")
            if j - first >= 3:
                add(first + 1, j, "name_tail")
            # `tổng thống Barack Obama`, `thành phố Đà Nẵng`: up to two lowercase words before the name
            for back in (1, 2):
                b = first - back
                if b >= 0 and not any(t.brk or t.upper or t.digit for t in tokens[b:first]):
                    add(b, j, "name_head")
            k = j
        else:
            k += 1


def _numbers(tokens: list[Token], add) -> None:
    n = len(tokens)
    for k, t in enumerate(tokens):
        is_word_number = _fold(t.key) in _NUMBER_WORDS_STRICT
        if not (t.digit or is_word_number):
            continue
        if k and (tokens[k - 1].digit or _fold(tokens[k - 1].key) in _NUMBER_WORDS) and not tokens[k - 1].brk:
            continue  # inside a run that started earlier
        j = k + 1
        while j < n and (tokens[j].digit or _fold(tokens[j].key) in _NUMBER_WORDS or tokens[j].text in ("%", "½")) and not tokens[j].brk:
            j += 1
        kind = "number" if t.digit else "number_word"
        if t.digit and re.fullmatch(r"1\d{3}|20\d{2}", t.text):
            kind = "year"
        add(k, j, kind)
        # with its unit: up to three lowercase words, stopping at function words
        u = j
        while u < n and u - j < 3 and not tokens[u].brk and not tokens[u].upper and not tokens[u].digit \
                and _fold(tokens[u].key) not in _UNIT_STOP:
            u += 1
            add(k, u, kind + "_unit")
        # `khoảng 300`, `hơn 20 người`: a qualifier before the number
        if k and _fold(tokens[k - 1].key) in ("khoang", "hon", "gan", "tren", "duoi", "toi", "chung", "it", "nhieu"):
            add(k - 1, max(u, j), kind + "_approx")
        if k and _fold(tokens[k - 1].key) in _DATE_WORDS:
            add(k - 1, j, "date_word")
            if k >= 2 and _fold(tokens[k - 2].key) in ("vao", "tu", "den", "nhung", "cuoi", "dau", "giua"):
                add(k - 2, j, "date_word")


def _pieces(tokens: list[Token], add) -> None:
    """Clause pieces between punctuation, and their parts after a reason / purpose word or a preposition."""
    n, start = len(tokens), 0
    bounds = [k for k, t in enumerate(tokens) if t.brk] + [n]
    for b in bounds:
        if b - start >= 1:
            add(start, b, "piece")
            for k in range(start, b):
                key = _fold(tokens[k].key)
                if key in _REASON and k + 1 < b:
                    add(k + 1, b, "reason")
                    add(k, b, "reason_with")
                elif key in _PURPOSE and k + 1 < b:
                    add(k + 1, b, "purpose")
                    add(k, b, "purpose_with")
                elif key in ("la", "gom", "bao", "nhu", "tai", "o", "cua", "boi", "voi", "vao", "tu", "den", "trong", "thanh") \
                        and k + 1 < b:
                    add(k + 1, b, "after_" + ("la" if key == "la" else "prep"))
        start = b + 1


def _anchors(tokens: list[Token], qkeys: list[str], wh: tuple[str, int, int], add) -> None:
    """Spans between the sentence words matching the question words just before and just after the wh-phrase."""
    _, a, b = wh
    left = set(qkeys[max(0, a - 4):a])
    right = set(qkeys[b:b + 4])
    n = len(tokens)
    lefts = [k for k, t in enumerate(tokens) if t.key in left]
    rights = [k for k, t in enumerate(tokens) if t.key in right]
    for L in lefts:
        closer = [R for R in rights if L + 1 < R <= L + 1 + MAX_SPAN]
        for R in closer[:2]:
            add(L + 1, R, "anchor_between")
        # left only: up to the next break, and its first words
        end = L + 1
        while end < n and not tokens[end].brk and end - L <= MAX_SPAN:
            end += 1
        if end > L + 1:
            add(L + 1, end, "anchor_left")
            for length in (1, 2, 3, 4):
                if L + 1 + length < end:
                    add(L + 1, L + 1 + length, "anchor_left_short")
    for R in rights:
        begin = R
        while begin > 0 and not tokens[begin - 1].brk and R - begin < MAX_SPAN:
            begin -= 1
        if begin < R:
            add(begin, R, "anchor_right")
            for length in (1, 2, 3, 4):
                if R - length > begin:
                    add(R - length, R, "anchor_right_short")
