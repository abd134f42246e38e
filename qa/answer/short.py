"""Short answers: the span of a supporting sentence that the question asks for.

`Ai chủ trì ...?` -> the person with rank and title (`Thiếu tướng Phạm Hoàng Long,
Phó tham mưu trưởng, ...`), `khi nào / ngày nào` -> the date as written,
`bao nhiêu / mấy` -> the number with its unit (`288 đảng viên`), `lần thứ mấy`
-> `lần thứ IX`, `đơn vị nào` -> the unit's name, `văn bản nào / số hiệu` -> the
document number. Patterns written for the corpus's news: the typed extractor
(`qa.answer.extractor`) takes their span as one candidate (`rule`) among the others
it ranks, and keeps it unless the ranker is far surer of another."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from qa.language.text import QUESTION_WORDS, fold_diacritics, unify_tones
from qa.search.constraints import Constraint, extract

_RANKS = (
    r"(?:Đại tướng|Thượng tướng|Trung tướng|Thiếu tướng|Đại tá|Thượng tá|Trung tá|Thiếu tá"
    r"|Đại úy|Thượng úy|Trung úy|Thiếu úy|Đồng chí|đồng chí|ông|bà|Ông|Bà)"
)
# Upper-case Latin letters, Vietnamese ones included (a range such as À-Ỹ would take lower case ones too).
_UPPER = "".join(ch for ch in map(chr, [*range(0x41, 0x250), *range(0x1E00, 0x1F00)]) if ch.isupper())
_CAP = rf"[{_UPPER}][\wÀ-ỹ]*"
_NAME = rf"{_CAP}(?:\s+{_CAP}){{1,3}}"
PERSON_RE = re.compile(rf"{_RANKS}\s+{_NAME}")
# Dates as news writes them: 25/11, 7-12, 09/11/2023, ngày 5 tháng 1 năm 2024, tháng 3/2024, năm 2023.
_DMY = r"\d{1,2}\s*[/-]\s*\d{1,2}(?:\s*[/-]\s*\d{4})?"
DATE_RE = re.compile(
    rf"(?<![\d/.,-])(?:{_DMY}|\d{{1,2}}\s+tháng\s+\d{{1,2}}(?:\s+năm\s+\d{{4}})?|tháng\s+\d{{1,2}}\s*[/-]\s*\d{{4}}"
    rf"|tháng\s+\d{{1,2}}(?:\s+năm\s+\d{{4}})?|(?:năm|Năm)\s+\d{{4}}|(?:thế kỷ|Thế kỷ)\s+[\dIVXLC]+)(?![\d/])"
)
_RANGE_RE = re.compile(rf"(?:[Tt]ừ\s+)?ngày\s+(\d{{1,2}})\s+(?:đến|-|–)\s+(?:ngày\s+)?({_DMY})")
_DOC_REF_RE = re.compile(
    r"(?:Chỉ thị|Nghị quyết|Kế hoạch|Hướng dẫn|Quy định|Quyết định|Thông tư|Nghị định|Công văn|Thông báo|Kết luận|Chương trình|Đề án)"
    r"\s+(?:số\s+)?\d+(?:\s*[-/]\s*[\wĐđ]+)*", re.I
)
_NUMBER_RE = re.compile(r"(?<![\w.,/])\d+(?:[.,]\d+)*(?:\s*%)?(?![\w/])")
_ORDINAL_RE = re.compile(r"\b(lần thứ|thứ|khóa|khoá|số|kỳ|nhiệm kỳ)\s+([IVXLC]+|\d+)\b", re.I)
_UNIT_HEAD = (
    r"(?:Bộ CHQS|Ban CHQS|Bộ Chỉ huy|Ban Chỉ huy|Bộ Tư lệnh|Bộ Tham mưu|Bộ|Ban|Cục|Phòng|Tổng cục|Quân khu|Quân đoàn|Sư đoàn"
    r"|Trung đoàn|Lữ đoàn|Tiểu đoàn|Đại đội|Trung đội|Trường|Học viện|Viện|Bệnh viện|Kho|Chi bộ|Đảng ủy|Đảng bộ|Trung tâm|Công ty"
    r"|Sở|Tỉnh ủy|Huyện ủy|UBND|Hội đồng|Đoàn|Đội|Ủy ban|Tỉnh|Huyện|Thành phố)"
)
_UNIT_RE = re.compile(rf"\b{_UNIT_HEAD}(?:\s+(?:{_CAP}|\d+|[A-Z]\d+|tỉnh|huyện|thị xã|thành phố|xã|quân khu|-|–)){{1,6}}")
# Words that end a count's unit: `346 công dân nhập ngũ` -> `346 công dân`.
_UNIT_STOP = frozenset(fold_diacritics(
    """được đã và của cho về với trong tại có là đạt lên vào nhập tham gia trên dưới gồm so từ đến theo để khi nhưng thì mà
    này đó các những một hoàn thành tổ chức ra năm tháng ngày""").split()
)

# A question's own words that say nothing about the answer: the question words, and how it names a person
# (`vị`, `ông`, `đồng chí` nào), which the person's titles in the text never repeat.
_NOT_FIT = QUESTION_WORDS | frozenset("nguoi vi ong ba dong chi".split())



@dataclass(frozen=True)
class Short:
    start: int  # in the article text
    end: int
    shown: str  # what the answer shows: the span, plus the year when the text gives only day/month
    fit: float = 0.0  # share of the question's own words around the span (a person's titles, a count's unit)


@lru_cache(maxsize=65536)
def _fold(text: str) -> str:
    return fold_diacritics(unify_tones(text)).lower()


@lru_cache(maxsize=1024)
def _question_words(question: str) -> frozenset[str]:
    return frozenset(re.findall(r"\w+", _fold(question)))


# --- who ----------------------------------------------------------------------


def _predicate(question: str) -> list[str]:
    """`Ai chủ trì hội nghị ...?` -> ["chu", "tri"]: the verb after `ai`, which the answer sentence repeats."""
    m = re.search(r"\b(?:ai|nguoi nao|vi nao|dong chi nao)\s+(?:da\s+|la\s+nguoi\s+)?(\w+(?:\s+\w+)?)", _fold(question))
    return m.group(1).split() if m else []


def _person_span(text: str, a: int, b: int, question: str) -> tuple[int, int] | None:
    sentence = text[a:b]
    asked = _question_words(question)
    predicate = _predicate(question)
    best = None
    for m in PERSON_RE.finditer(sentence):
        name = _fold(m.group(0)).split()
        if all(w in asked for w in name[-2:]):
            continue  # the person the question names is not the answer
        end = _apposition_end(sentence, m.end(), predicate)
        span_words = set(re.findall(r"\w+", _fold(sentence[m.start():end])))
        score = len(span_words & asked) + (2 if predicate and _fold(sentence[end:end + 40]).startswith(" ".join(predicate)) else 0)
        if best is None or score > best[0]:
            best = (score, m.start(), end)
    if best is None:
        return None
    return a + best[1], a + best[2]


def _apposition_end(sentence: str, name_end: int, predicate: list[str]) -> int:
    """The end of `, title, title` after a name: up to the question's verb, or the sentence's next verb."""
    rest = sentence[name_end:]
    if not rest.startswith(","):
        return name_end
    folded = _fold(rest)
    cut = len(rest)
    if predicate:
        m = re.search(r"\s" + r"\s+".join(map(re.escape, predicate)) + r"\b", folded)
        if m:
            cut = m.start()
    m = re.search(r"\s(?:chu tri|du va|du |phat bieu|chi dao|trao|yeu cau|nhan manh|duoc|la |da |cho biet|ket luan|dieu hanh|"
                  r"tang|de nghi|khang dinh|thay mat|bao cao|quan triet|chung kien|tham du|cung |va |khen|gioi thieu)", folded)
    if m:
        cut = min(cut, m.start())
    m = re.search(r"[.;:(]", rest)
    if m:
        cut = min(cut, m.start())
    return name_end + len(rest[:cut].rstrip(" ,"))


def _title_span(text: str, a: int, b: int, question: str) -> tuple[int, int] | None:
    """`Thiếu tướng Trần Chí Tâm giữ chức vụ gì?` -> the titles after his name: `Ủy viên ..., Bí thư ...`."""
    asked = _question_words(question)
    for m in PERSON_RE.finditer(text, a, b):
        name = _fold(m.group(0)).split()
        if not all(w in asked for w in name[-2:]):
            continue
        end = _apposition_end(text[a:b], m.end() - a, [])
        if end + a > m.end() + 2:
            return m.end() + 2 if text[m.end():m.end() + 2] == ", " else m.end() + 1, a + end
    return None


_QUOTE_RE = re.compile(r"[“\"]([^”\"]{2,160})[”\"]")


def _quoted_span(text: str, a: int, b: int, question: str) -> tuple[int, int] | None:
    """`Chủ đề thi đua là gì?` -> what the sentence quotes (`“Đoàn kết, kỷ cương, ...”`), after the word asked about."""
    m = re.search(r"\b(chu de|khau hieu|phuong cham|ten goi|ten|danh hieu|mo hinh|cuoc van dong|bai hat|tiet muc)\b", _fold(question))
    head = m.group(1) if m else None
    quotes = [q for q in _QUOTE_RE.finditer(text, a, b) if not set(re.findall(r"\w+", _fold(q.group(1)))) <= _question_words(question)]
    if not quotes:
        return None
    if head:
        folded = _fold(text[a:b])
        at = [x.start() for x in re.finditer(rf"\b{head}\b", folded)]
        after = [q for q in quotes if any(p <= q.start() - a for p in at)]
        quotes = after or ([] if at else quotes)
    return (quotes[0].start(1), quotes[0].end(1)) if quotes else None


# --- when ---------------------------------------------------------------------


def _doc_dates(text: str) -> set[int]:
    """Starts of dates that belong to a document (`Kế hoạch số 1180-KH/ĐU ngày 03/11/2024`): not event dates."""
    out = set()
    for m in _DOC_REF_RE.finditer(text):
        after = re.match(r"\s*,?\s*(?:ngày\s+)?", text[m.end():m.end() + 12])
        d = DATE_RE.match(text, m.end() + after.end())
        if d:
            out.add(d.start())
    return out


def _date_spans(text: str, a: int, b: int, question: str, event: bool) -> list[tuple[int, int]]:
    asked = _fold(question)
    doc_dates = _doc_dates(text[max(0, a - 200):b])
    shift = max(0, a - 200)
    spans = []
    for m in _RANGE_RE.finditer(text, a, b):
        spans.append((m.start(1), m.end(2)))
    for m in DATE_RE.finditer(text, a, b):
        if any(x <= m.start() < y for x, y in spans):
            continue
        value = m.group(0)
        if event and (m.start() - shift) in doc_dates:
            continue
        if _fold(value) in asked:
            continue  # `năm 2023` in the question dates the event asked about, it is not the answer
        spans.append((m.start(), m.end()))
    return sorted(spans)


def _document_date(text: str, constraints: tuple[Constraint, ...]) -> tuple[int, int] | None:
    """The date of the document the question names (`Kế hoạch số 1180 ... ra ngày nào?`)."""
    docs = [c for c in constraints if c.kind == "document"]
    if not docs:
        return None
    folded = _fold(text)
    for c in docs:
        for m in re.finditer(c.pattern, folded):
            window = text[m.end():m.end() + 60]
            d = re.search(rf"ngày\s+({_DMY})", window)
            if d:
                return m.end() + d.start(1), m.end() + d.end(1)
    return None


def _by_granularity(text: str, spans: list[tuple[int, int]], question: str) -> list[tuple[int, int]]:
    """The dates that answer as precisely as asked: a day for `ngày nào`, at least a month for `tháng nào`;
    for `khi nào` the most precise first."""
    def level(span):  # 0 day, 1 month, 2 year or coarser
        value = _fold(text[span[0]:span[1]])
        return 0 if re.match(r"\d{1,2}\s*([/-]|thang|den)", value) else 1 if value.startswith("thang") else 2

    asked = _fold(question)
    most = 0 if re.search(r"\b(ngay|hom) (nao|bao nhieu)\b", asked) else 1 if re.search(r"\bthang nao\b", asked) else 2
    return sorted((x for x in spans if level(x) <= most), key=level)


def completed(value: str, published: str | None) -> str:
    """`25/11` -> `25/11 (năm 2024)` when the article's publication year is known."""
    if published and re.fullmatch(r"\d{1,2}\s*[/-]\s*\d{1,2}", value.strip()):
        return f"{value} (năm {published[:4]})"
    return value


# --- counts, ordinals, units, documents ----------------------------------------


def _count_span(text: str, a: int, b: int, question: str) -> tuple[int, int] | None:
    """The number with its unit (`288 đảng viên`, `80%`): the one whose unit the question names, or the
    only count in the sentence. Dates, years and numbers that name something (`Sư đoàn 389`) are no counts."""
    m = re.search(r"\b(?:bao nhieu|may|so luong)\s+((?:\w+\s*){1,3})", _fold(question))
    wanted = m.group(1).split() if m else []
    dated = [(d.start(), d.end()) for d in DATE_RE.finditer(text, a, b)]
    asked_numbers = set(re.findall(r"\d+", question))
    found = []
    for n in _NUMBER_RE.finditer(text, a, b):
        if any(x <= n.start() < y for x, y in dated) or n.group(0) in asked_numbers:
            continue
        before = text[max(a, n.start() - 12):n.start()].split()
        if before and (before[-1][:1].isupper() or _fold(before[-1]) in ("so", "thu", "khoa", "lan")):
            continue  # `Sư đoàn 389`, `Quy định số 213`, `lần thứ 9`: a name, not a count
        unit_end, matched = n.end(), 0
        if "%" not in n.group(0):
            cursor = n.end()
            for i, w in enumerate(re.finditer(r"[^\W\d_]+|%", text[n.end():min(b, n.end() + 40)])):
                gap = text[cursor:n.end() + w.start()]
                word = _fold(w.group(0))
                if i >= 3 or gap.strip() or w.group(0)[:1].isupper() or (i and word in _UNIT_STOP):
                    break
                if i < len(wanted) and word == wanted[i]:
                    matched += 1
                elif matched:
                    break
                unit_end = cursor = n.end() + w.end()
        found.append((matched, n.start(), unit_end))
    if not found:
        return None
    top = max(x[0] for x in found)
    best = [x for x in found if x[0] == top]
    if top == 0 and len(found) > 1:
        return None  # several numbers and none counts what was asked
    if len(best) > 1:
        best = _by_own_clause(text, a, best, question)
        if len(best) != 1:
            return None  # `cho 1 tập thể; ... cho 11 tập thể`: nothing tells which count was asked
    return best[0][1], best[0][2]


def _by_own_clause(text: str, a: int, found: list[tuple[int, int, int]], question: str) -> list[tuple[int, int, int]]:
    """Counts of the same unit in one sentence (`trao Cờ thi đua cho 1 tập thể; trao danh hiệu “Đơn vị Quyết thắng”
    cho 11 tập thể, “Đơn vị tiên tiến” cho 5 tập thể`): the one whose own clause (from the last break or count before
    it) repeats the question's word pairs that no other count's clause has. The best ones, ties kept."""
    asked = _fold(question).split()
    pairs = {f"{x} {y}" for x, y in zip(asked, asked[1:])}
    words = {w for w in asked if w not in _NOT_FIT}
    clauses, previous = [], a
    for _, start, end in found:
        breaks = [m.end() for m in re.finditer(r"[;,:](?=\s)", text[previous:start])]
        clauses.append(_fold(text[previous + (breaks[-1] if breaks else 0):end]).split())
        previous = end
    own_pairs = [{f"{x} {y}" for x, y in zip(c, c[1:])} & pairs for c in clauses]
    own_words = [set(c) & words for c in clauses]

    def score(i: int) -> float:
        shared = lambda item, sets: sum(item in s for s in sets)  # noqa: E731
        return sum(1 / shared(p, own_pairs) for p in own_pairs[i]) + 0.1 * sum(1 / shared(w, own_words) for w in own_words[i])
    scores = [round(score(i), 6) for i in range(len(found))]
    return [x for x, s in zip(found, scores) if s == max(scores)]


def _ordinal_span(text: str, a: int, b: int, question: str) -> tuple[int, int] | None:
    m = re.search(r"\b(lan thu|thu|khoa|ky thu|nhiem ky)\s+(?:may|bao nhieu)\b", _fold(question))
    head = m.group(1) if m else None
    for o in _ORDINAL_RE.finditer(text, a, b):
        if head is None or _fold(o.group(1)) == head or _fold(o.group(1)).endswith(head.split()[-1]):
            return o.start(), o.end()
    return None


def _unit_span(text: str, a: int, b: int, question: str) -> tuple[int, int] | None:
    asked = _question_words(question)
    for m in _UNIT_RE.finditer(text, a, b):
        words = set(re.findall(r"\w+", _fold(m.group(0))))
        if words <= asked:
            continue  # the unit the question names
        return m.start(), m.end()
    return None


def _document_span(text: str, a: int, b: int, question: str) -> tuple[int, int] | None:
    asked = _fold(question)
    for m in _DOC_REF_RE.finditer(text, a, b):
        number = re.search(r"\d+", m.group(0)).group(0)
        if re.search(rf"(?<!\d){number}(?!\d)", asked):
            continue
        return m.start(), m.end()
    return None


# --- entry point --------------------------------------------------------------


def find_short(kind: str | None, question: str, article, sentence: tuple[int, int],
               constraints: tuple[Constraint, ...] | None = None) -> Short | None:
    """The short answer inside `sentence` (offsets in article.text). None when no span applies with confidence.

    `constraints`: the question's (`Question.constraints`), extracted here only for a bare question string."""
    text = article.text
    a, b = sentence
    span = None
    if kind == "who":
        span = _person_span(text, a, b, question)
    elif kind == "title":
        span = _title_span(text, a, b, question)
    elif kind == "named":
        span = _quoted_span(text, a, b, question)
    elif kind == "when":
        span = _document_date(text, extract(question) if constraints is None else constraints)
        if span is None:
            dates = _by_granularity(text, _date_spans(text, a, b, question, event=True), question)
            span = dates[0] if dates else None
        if span is not None:
            return Short(span[0], span[1], completed(text[span[0]:span[1]], article.date))
    elif kind == "count":
        span = _count_span(text, a, b, question)
    elif kind == "ordinal":
        span = _ordinal_span(text, a, b, question)
    elif kind == "unit":
        span = _unit_span(text, a, b, question)
    elif kind == "document":
        span = _document_span(text, a, b, question)
    if span is None or span[1] <= span[0]:
        return None
    fit = _fit(text[span[0]:span[1]], question)
    predicate = _predicate(question) if kind == "who" else []
    if predicate and _fold(text[span[1]:span[1] + 40]).lstrip(" ,").startswith(" ".join(predicate)):
        fit += 1.0  # `X chủ trì` for `Ai chủ trì`: the person doing what is asked beats one merely described alike
    return Short(span[0], span[1], text[span[0]:span[1]], fit)


def _fit(span: str, question: str) -> float:
    """How much of what the question says about the answer the span repeats (`Người đứng đầu Huyện ủy ...`
    -> `Ma Văn Đông, Bí thư Huyện ủy`): tells apart two people, or two numbers, of one article."""
    asked = {w for w in _question_words(question) if w not in _NOT_FIT}
    return len(asked & set(re.findall(r"\w+", _fold(span)))) / (len(asked) or 1)


def has_type(kind: str | None, text: str, question: str, constraints: tuple[Constraint, ...] | None = None) -> bool:
    """Whether a sentence holds what the question asks for (someone for `ai`, a date for `khi nào`, ...)."""
    if kind is None or kind in ("author", "posted"):
        return False
    probe = find_short(kind, question, _Text(text), (0, len(text)), constraints)
    return probe is not None


@dataclass(frozen=True)
class _Text:
    text: str
    date: str | None = None
