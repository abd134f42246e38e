"""A follow-up question rewritten into the self-contained question it means, from the conversation so far.

`Ông ấy giữ chức vụ gì?` after `Ai chủ trì hội nghị …?` (answered `Thiếu tướng Phạm Hoàng Long, …`) is
`Thiếu tướng Phạm Hoàng Long giữ chức vụ gì?`: the follow-up's own words decide what is asked (its
wh-word, hence its kind), the thread supplies what it is about. References resolved, from the latest turn
that has one: a person (`ông ấy`, `bà ấy`, `người đó`) -> the person of the answer (rank and name) or of
the question; an event (`hội nghị đó`, `cuộc diễn tập này`, `sự kiện đó`, or a bare `Hội nghị diễn ra ở
đâu?`) -> the event the previous question named; a document (`chỉ thị đó`, `văn bản này`) -> its number;
a time (`năm đó`, `khi đó`) -> its year; an entity (`bảo tàng đó`, `đơn vị này`) -> the name it stands
for. Ellipsis: `Còn năm 2024 thì sao?` / `Còn Cục Chính trị?` is the previous question with that year or
name swapped in; `Ai chủ trì?`, `Ở đâu?`, `Có bao nhiêu đại biểu?` ask the new slot about the previous
topic. A question that needs no context is asked as it is.

The article the previous answer came from is a strong prior for retrieval (`Rewrite.prior_docs`), except
after a swap (`Còn năm 2024 …` asks about another article). Rules, not a model: cheap, predictable,
testable; questions typed without diacritics are restored before they get here (qa.engine)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from qa.answer.followup import is_follow_up
from qa.answer.short import PERSON_RE
from qa.language.text import normalize, unify_tones

# Kinds of reference resolved (Rewrite.reference).
NEW, PERSON, EVENT, DOCUMENT, YEAR, ENTITY, ELLIPSIS = "new", "person", "event", "document", "year", "entity", "ellipsis"
MAX_TURNS = 6  # turns of a conversation kept as context

_UPPER = "".join(ch for ch in map(chr, [*range(0x41, 0x250), *range(0x1E00, 0x1F00)]) if ch.isupper())
_CAP = rf"[{_UPPER}0-9][\w\-.]*"
_DEMONSTRATIVE = r"(?:đó|này|ấy|kia|trên|nói trên)"
_PERSON_REF_RE = re.compile(r"\b(?:ông|bà|anh|chị|cô|đồng chí|người|(?<!đơn )vị)\s+(?:ấy|đó|này|ta|kia)\b", re.I)
_EVENT_NOUNS = ("buổi lễ|cuộc diễn tập|diễn tập|hội nghị|hội thảo|đại hội|hội thi|hội thao|cuộc thi|hội diễn|liên hoan|lễ"
                "|sự kiện|hoạt động|chương trình|lớp tập huấn|lớp bồi dưỡng|đợt|buổi|cuộc|trận đấu|trận|chiến dịch|giải đấu"
                "|cuộc khủng hoảng|khủng hoảng|dịch bệnh|đại dịch|bệnh dịch|cuộc chiến|chiến tranh")
# `hội nghị đó` stands for the event named before; `lễ giao nhận quân đó` describes its own (then only `đó` goes).
_EVENT_REF_RE = re.compile(rf"\b({_EVENT_NOUNS})((?:\s+[a-zà-ỹđ]+){{0,3}}?)\s+{_DEMONSTRATIVE}\b", re.I)
# `Hội nghị diễn ra ở đâu?`: a bare event noun opening a short question without names is `the meeting` just mentioned.
_BARE_EVENT_RE = re.compile(rf"^({_EVENT_NOUNS})\s+(?=(?:diễn ra|được|do|có|kéo dài|khai mạc|bế mạc|tổ chức|thu hút|bắt đầu"
                            r"|kết thúc|nhằm|với)\b)", re.I)
_DOC_NOUNS = ("chỉ thị|nghị quyết|kế hoạch|hướng dẫn|quy định|quyết định|thông tư|nghị định|công văn|thông báo|kết luận|đề án"
              "|văn bản|hiệp ước|luật|đạo luật")
_DOC_REF_RE = re.compile(rf"\b({_DOC_NOUNS})\s+{_DEMONSTRATIVE}\b", re.I)
_DOC_RE = re.compile(r"\b(?:Chỉ thị|Nghị quyết|Kế hoạch|Hướng dẫn|Quy định|Quyết định|Thông tư|Nghị định|Công văn|Thông báo"
                     r"|Kết luận|Đề án)\s+(?:số\s+)?\d+(?:\s*[-/]\s*[\wĐđ]+)*", re.I)
_YEAR_REF_RE = re.compile(r"\b((?:(?:trong|vào|tại)\s+)?(?:năm|khi|lúc|thời điểm|hồi|thời gian))\s+(?:đó|ấy|này)\b", re.I)
_ENTITY_NOUNS = ("đơn vị|cơ quan|bảo tàng|thành phố|tỉnh|huyện|xã|nước|quốc gia|vùng|khu vực|công ty|tổ chức|trường|đội|"
                 "đảng bộ|sư đoàn|trung đoàn|lữ đoàn|quân khu|bộ chỉ huy|ban chỉ huy|dòng sông|con sông|sông|tòa nhà|nhà thờ"
                 "|động cơ|máy|thiết bị|tàu|loài|nhóm|ngành|hệ thống|phương pháp|lý thuyết|nguyên tố|chất|ủy ban|đại lộ|chợ"
                 "|khu định cư|phòng trưng bày|ngôi nhà|công trình|dự án|giải thưởng|danh hiệu|nghị viện|tòa án|hiệp hội")
_ENTITY_REF_RE = re.compile(rf"\b({_ENTITY_NOUNS})\s+{_DEMONSTRATIVE}\b", re.I)
# A name: capitalised syllables, each word's second syllable lower case (`Bộ Tham mưu Quân khu`, `Cục Chính trị`).
_PERSON_NAME_RE = re.compile(rf"(?<![\w])[{_UPPER}][\w\-]*(?:\s+(?:[{_UPPER}][\w\-.]*))*")
_NAME_RE = re.compile(rf"(?<![\w])[{_UPPER}][\w\-]*(?:\s+[a-zà-ỹđ]+(?=\s+[{_UPPER}\d]|\s*$|\s*[,?.!]))?"
                      rf"(?:\s+(?:[{_UPPER}][\w\-]*|\d+)(?:\s+[a-zà-ỹđ]+(?!\s+[a-zà-ỹđ]))?)*")
# What a who-question's answer may be besides a person (`Đội nào …?` -> `đội đó`).
_BODIES = frozenset(("đội", "đơn vị", "cơ quan", "tổ chức", "công ty", "nhóm", "nước", "quốc gia"))
# Capitalised words that open a question without naming anyone, and heads of organisations (not persons).
_OPENERS = frozenset("ai khi năm ngày tại vì có bao những các hội đại lễ trong sau trước theo ở từ đến việc tháng".split())
_ORG_HEAD_RE = re.compile(r"^(?:Bộ|Ban|Cục|Phòng|Sư đoàn|Trung đoàn|Lữ đoàn|Quân khu|Đảng ủy|Đảng bộ|Trường|Hội|Đại hội|Hội nghị"
                          r"|Chỉ thị|Nghị quyết|Kế hoạch|Tỉnh|Huyện|Thành phố|Bảo tàng|Chợ|Đại lộ|Sông|Công ty|Đội|UBND|Ủy ban)\b")
_YEAR_RE = re.compile(r"(?<![\d.,/])(?:1[5-9]|20)\d{2}(?![\d])")
_CONTINUATION_RE = re.compile(r"^(?:(?:thế|vậy)\s+)?còn\s+(?:với\s+)?(.*?)\s*(?:thì\s+(?:sao|thế\s+nào)|ra\s+sao)?\s*[?.!]*$", re.I)
_TRAIL_SAO_RE = re.compile(r"^(.*?)\s+thì\s+(?:sao|thế\s+nào)\s*[?.!]*$", re.I)
_WH_FIRST_RE = re.compile(r"^(?:ai|những ai|người nào|đơn vị nào|cơ quan nào|đồng chí nào|đội nào|nước nào|quốc gia nào)\b", re.I)
_BARE_WH_RE = re.compile(r"^(?:vào\s+|diễn ra\s+|được tổ chức\s+)?(ở đâu|tại đâu|khi nào|bao giờ|vào lúc nào|lúc nào|ngày nào|hôm nào"
                         r"|năm nào|tháng nào|thời gian nào|ra sao|như thế nào)\s*[?.!]*$", re.I)
# Predicates that need a subject: `Có bao nhiêu đại biểu tham dự?`, `Diễn ra trong mấy ngày?`.
_SUBJECTLESS_RE = re.compile(r"^(?:có bao nhiêu|có mấy|bao nhiêu|mấy|diễn ra|được tổ chức|tổ chức|khai mạc|bế mạc|kéo dài|do ai"
                             r"|giữ chức|chức vụ|có chức|thuộc|nằm ở|ở đâu|tại đâu|bắt đầu|kết thúc|được thành lập|thành lập|sinh|mất"
                             r"|qua đời|là ai|là gì|gồm|có những)\b", re.I)
_SUBJECTLESS_MAX_WORDS = 10
_WH_FRAGMENT_MAX_WORDS = 5  # `Ai dự và chỉ đạo?`; `Ai là Chính ủy Quân khu?` names what it asks about
# What a question asks, cut off its end to leave what it is about: `… vào ngày nào?`, `… do ai chủ trì?`.
_WH_TAIL_RE = re.compile(r"\s*(?:,\s*)?(?:(?:vào|trong|từ|là|đã|được|sẽ|có|diễn ra|tổ chức|do|thuộc|nằm|ở|tại|với|gồm|kéo dài)\s+)*"
                         r"(?<!\w)(?:ai\b|ngày nào|hôm nào|khi nào|bao giờ|lúc nào|năm nào|tháng nào|thời gian nào|ở đâu|tại đâu|đâu\b"
                         r"|bao nhiêu|mấy\b|gì\b|nào\b|như thế nào|ra sao|thế nào|những gì).*$", re.I)
_ORGANIZER_RE = re.compile(r"^(?:(?:ngày|năm|tháng)\s+[\d/]+,?\s+)?(.+?)\s+(?:đã\s+)?(tổ chức|khai mạc|tiến hành|mở|phát động|tham gia|"
                           r"chủ trì|ra|ban hành)\s+$", re.I)
_EVENT_CUT_RE = re.compile(r"\s+(?:diễn ra|được tổ chức|có\s+(?:bao nhiêu|mấy)|thu hút|kéo dài|khai mạc|bế mạc|do ai|được|đã|là"
                           r"|nhằm|vào\s+(?:ngày|thời gian|lúc|hôm)|ở đâu|tại đâu|khi nào|bao giờ)\b.*$", re.I)


@dataclass(frozen=True)
class Turn:
    """One answered turn of a conversation, as a follow-up reads it."""

    question: str  # as asked
    understood: str  # the self-contained question it was answered as
    short_answer: str | None = None
    answer: str = ""  # the answer text
    doc_ids: tuple[str, ...] = ()  # the articles the answer came from, the short answer's first
    date: str | None = None  # publication date of that article
    kind: str | None = None  # what the question asked for (who / when / ...)


@dataclass(frozen=True)
class Rewrite:
    """What a question was understood as, given the conversation."""

    asked: str  # as typed
    text: str  # the self-contained question answered (== asked when nothing was resolved)
    reference: str = NEW  # what was resolved: new | person | event | document | year | entity | ellipsis
    prior_docs: tuple[str, ...] = ()  # articles retrieval prefers: where the previous answer came from

    @property
    def rewritten(self) -> bool:
        return self.text != self.asked


def rewrite(question: str, history: Sequence[Turn] = ()) -> Rewrite:
    """The self-contained question `question` means after `history` (oldest first)."""
    asked = " ".join(unify_tones(normalize(question or "")).split())
    history = [t for t in history if t.understood][-MAX_TURNS:]
    if not history or not asked or not needs_context(asked):
        return Rewrite(asked, asked)
    prior = next((t.doc_ids[:1] for t in reversed(history) if t.doc_ids), ())
    swapped = _continuation(asked, history)
    if swapped is not None:
        return Rewrite(asked, _sentence(swapped), ELLIPSIS, ())
    text, kinds = asked, []
    for pattern, kind, resolve in ((_DOC_REF_RE, DOCUMENT, _document), (_EVENT_REF_RE, EVENT, _event),
                                   (_ENTITY_REF_RE, ENTITY, _entity), (_PERSON_REF_RE, PERSON, _person),
                                   (_YEAR_REF_RE, YEAR, _year)):
        match = pattern.search(text)
        if match is None:
            continue
        described = kind == EVENT and match.group(2).strip()
        value = None if described else resolve(history, match.group(1).lower() if match.groups() else "")
        if value is None:
            if described:
                text, kinds = text[:match.start()] + match.group(1) + match.group(2) + text[match.end():], kinds + [EVENT]
                continue
            if kind in (EVENT, ENTITY, DOCUMENT):  # `hội nghị đó` without a known event: `hội nghị`, the prior finds which
                text = text[:match.start()] + match.group(1) + text[match.end():]
            continue
        text = text[:match.start()] + value + text[match.end():]
        kinds.append(kind)
    bare = _BARE_EVENT_RE.match(text) if not kinds else None
    if bare is not None:
        event = _event(history, bare.group(1).lower())
        if event:
            text, kinds = event + " " + text[bare.end():], [EVENT]
    if not kinds:
        fragment = _fragment(text, history)
        if fragment is None:
            return Rewrite(asked, asked, NEW, prior)
        text, kinds = fragment, [ELLIPSIS]
    return Rewrite(asked, _sentence(text), kinds[0], prior)


def needs_context(question: str) -> bool:
    """Whether the question leans on what was said before (a reference, `Còn …`, a fragment without a subject)."""
    if is_follow_up(question):
        return True
    if any(p.search(question) for p in (_DOC_REF_RE, _EVENT_REF_RE, _YEAR_REF_RE, _ENTITY_REF_RE, _PERSON_REF_RE)):
        return not re.search(r"\bnăm\s+nay\b", question, re.I) or bool(_PERSON_REF_RE.search(question))
    return _subjectless(question) or bool(_BARE_EVENT_RE.match(question) and not _has_name(question))


def _subjectless(question: str) -> bool:
    words = question.split()
    return (len(words) <= _SUBJECTLESS_MAX_WORDS and not _has_name(question) and not re.search(r"\d", question)
            and bool(_SUBJECTLESS_RE.match(question) or _BARE_WH_RE.match(question)
                     or (_WH_FIRST_RE.match(question) and len(words) <= _WH_FRAGMENT_MAX_WORDS)))


def _has_name(text: str) -> bool:
    words = text.split()
    return any(w[:1].isupper() for w in words[1:])


def _sentence(text: str) -> str:
    """One clean question: spaces, a capital first letter, one question mark."""
    text = " ".join(text.split()).strip(" ,;:")
    text = re.sub(r"\s+([,?.!])", r"\1", text).rstrip("?.! ")
    return (text[:1].upper() + text[1:] + "?") if text else text


def _lower_first(text: str) -> str:
    """`Hội nghị …` in the middle of a sentence; names (`Bộ Tham mưu`, `Super Bowl`) keep their capital."""
    first = text.split(" ", 2)
    if len(first) > 1 and first[1][:1].isupper():
        return text
    return text[:1].lower() + text[1:]


# --- what the thread is about --------------------------------------------------------------------


def _person(history: list[Turn], _noun: str) -> str | None:
    """The person of the latest turn that has one: the answer to its who-question (with rank: from the short answer,
    else the answer's text; a bare name as the last resort), else the person its question names."""
    for turn in reversed(history):
        short = turn.short_answer or ""
        if turn.kind == "who":
            found = _person_in(short) or _person_in(turn.answer) or _person_in(short, whole=True)
        else:
            found = _person_in(turn.understood) or _person_in(turn.understood, question=True)
        if found:
            return found
    return None


def _person_in(text: str, whole: bool = False, question: bool = False) -> str | None:
    """A person `text` names: with rank (`Thiếu tướng Phạm Hoàng Long`); `whole`: the text is a who-answer, a name
    without one will do (`Nikola Tesla`); `question`: a question about someone without rank (`Tesla qua đời …`)."""
    match = PERSON_RE.search(text or "")
    if match:
        return match.group(0)
    if whole:  # a who-answer without a rank: `Nikola Tesla`, `Martin Luther, giáo sư …`
        name = text.split(",")[0].strip()
        acronym = len(name.split()) == 1 and name.isupper()  # `CTĐ` is no one
        return name if _name_like(name) and len(name.split()) <= 5 and not acronym else None
    if question:
        text = _without_opener(text or "")
        # Inside an organisation's name (`Bộ Tham mưu Quân khu`) a capitalised word is no person.
        organisations = [m.span() for m in _NAME_RE.finditer(text) if re.search(r"\s[a-zà-ỹđ]", m.group(0))]
        for m in _PERSON_NAME_RE.finditer(text):
            name = m.group(0)
            inside = any(a <= m.start() and m.end() <= b for a, b in organisations)
            if not inside and not _ORG_HEAD_RE.match(name) and not name.isupper():
                return name
    return None


def _without_opener(question: str) -> str:
    """The question with its opening wh-word or preposition blanked (`Khi nào Luther …` -> `         Luther …`)."""
    match = re.match(r"^(?:(?:khi|năm|ngày|tại|vì|có|bao|những|các|trong|sau|trước|theo|ở|từ|đến|vào)(?:\s+(?:nào|sao|nhiêu|giờ))?\s+)",
                     question, re.I)
    return " " * match.end() + question[match.end():] if match else question


def _name_like(text: str) -> bool:
    words = text.split()
    return bool(words) and all(w[:1].isupper() or w[:1].isdigit() or w in ("và", "&") for w in words)


def _document(history: list[Turn], noun: str) -> str | None:
    """The document of the latest turn (its number), preferring one of the kind named (`chỉ thị đó`)."""
    for turn in reversed(history):
        found = [m.group(0) for text in (turn.short_answer or "", turn.understood, turn.answer) for m in _DOC_RE.finditer(text)]
        same = [d for d in found if d.lower().startswith(noun)]
        if same or found:
            document = (same or found)[0]
            return document[:1].upper() + document[1:]
    return None


def _year(history: list[Turn], noun: str) -> str | None:
    """`năm đó` -> `năm 2023`, `thời điểm đó` -> `thời điểm năm 2023`, `khi đó` -> `năm 2023`: the latest turn's year
    (its question's, else its answer's, else its article's publication year)."""
    year = None
    for turn in reversed(history):
        for text in (turn.understood, turn.short_answer or "", turn.answer):
            years = _YEAR_RE.findall(text)
            if years:
                year = years[-1] if text is not turn.answer else years[0]
                break
        year = year or (turn.date[:4] if turn.date else None)
        if year:
            break
    if year is None:
        return None
    words = noun.split()
    lead = " ".join(w for w in words if w in ("trong", "vào", "tại"))
    kept = " ".join(w for w in words if w not in ("trong", "vào", "tại", "năm", "khi", "lúc", "hồi"))
    return " ".join(x for x in (lead, kept, f"năm {year}") if x)


def _event(history: list[Turn], noun: str) -> str | None:
    """The event the latest turn that names one asked about: `hội nghị tổng kết … năm 2023 của Bộ Tham mưu Quân khu`."""
    for turn in reversed(history):
        phrase = _event_phrase(turn.understood)
        if phrase:
            return phrase
    return None


def _event_phrase(question: str, nouns: str = _EVENT_NOUNS) -> str | None:
    """The noun phrase of `question` that starts with one of `nouns`, up to what the question asks about it; with
    who held it when the question names that before (`Bộ Tham mưu Quân khu tổ chức hội nghị X …` -> `hội nghị X
    của Bộ Tham mưu Quân khu`)."""
    text = question.rstrip(" ?.!")
    match = re.search(rf"\b(?:{nouns})\b", text, re.I)
    if match is None:
        return None
    phrase = _EVENT_CUT_RE.sub("", text[match.start():])
    phrase = _WH_TAIL_RE.sub("", phrase).strip(" ,")
    organizer = _ORGANIZER_RE.match(text[:match.start()])
    if organizer and _has_name(" " + organizer.group(1)) and organizer.group(1) not in phrase:
        phrase += f" do {organizer.group(1)} tổ chức" if " của " in phrase else f" của {organizer.group(1)}"
    return phrase if len(phrase.split()) >= 2 else None


def _entity(history: list[Turn], noun: str) -> str | None:
    """`bảo tàng đó` -> the `Bảo tàng …` a recent turn named; `đơn vị đó` -> the unit of its answer or question."""
    for turn in reversed(history):
        for text in (turn.short_answer or "", turn.understood):
            match = re.search(rf"\b(?i:{re.escape(noun)})\s+[{_UPPER}\d][\w&.\-]*(?:\s+(?:{_CAP}|và|&))*", text)
            if match:
                found = match.group(0)
                return found[:1].upper() + found[1:]
        described = _event_phrase(turn.understood, re.escape(noun)) if noun else None
        if described and len(described.split()) > len(noun.split()) + 1:  # `ủy ban do Seamans thành lập …`
            return described[:1].upper() + described[1:]
        answers_are = turn.kind == "unit" or (turn.kind == "who" and noun in _BODIES)
        if answers_are and turn.short_answer and _name_like(turn.short_answer.split(",")[0]):
            return turn.short_answer.split(",")[0].strip()
    return None


def _topic(history: list[Turn]) -> str:
    """What the latest turn asked about, to ask a new slot of: its event, else its question without the wh-part."""
    event = _event(history, "")
    if event:
        return event
    last = history[-1].understood.rstrip(" ?.!")
    cut = _WH_TAIL_RE.sub("", last).strip(" ,")
    if _WH_FIRST_RE.match(cut):  # `Ai chủ trì X` -> X
        cut = re.sub(r"^\S+(?:\s+(?:là|đã|sẽ|được))?\s+\S+\s+", "", cut)
    return cut or last


def _fragment(text: str, history: list[Turn]) -> str | None:
    """`Ai chủ trì?` -> `Ai chủ trì <topic>?`; `Ở đâu?` -> `<topic> diễn ra ở đâu?`; `Có bao nhiêu …?` -> `<topic> có bao nhiêu …?`."""
    core = text.rstrip(" ?.!")
    if not _subjectless(core):
        return None
    title = re.search(r"\b(?:chức vụ|chức danh|cương vị|giữ chức)\b", core, re.I)
    if title:
        person = _person(history, "")
        if person:
            predicate = core[:1].lower() + core[1:]
            return f"{person} {'giữ ' if predicate.startswith('chức') else ''}{predicate}"
    topic = _topic(history)
    if _WH_FIRST_RE.match(core):
        return f"{core} {_lower_first(topic)}"
    bare = _BARE_WH_RE.match(core)
    if bare:
        verb = "diễn ra " if _event(history, "") else ""
        if re.match(r"^(?:vào|diễn ra|được tổ chức)\b", core, re.I):
            verb = ""
        return f"{topic} {verb}{core[:1].lower()}{core[1:]}"
    return f"{topic} {core[:1].lower()}{core[1:]}"


def _continuation(asked: str, history: list[Turn]) -> str | None:
    """`Còn năm 2024 thì sao?` / `Còn Cục Chính trị?` / `Năm 2022 thì sao?`: the previous question with that swapped in."""
    match = _CONTINUATION_RE.match(asked) if re.match(r"^(?:(?:thế|vậy)\s+)?còn\b", asked, re.I) else _TRAIL_SAO_RE.match(asked)
    if match is None:
        return None
    new = match.group(1).strip(" ,")
    if not new or _PERSON_REF_RE.fullmatch(new):
        return history[-1].understood
    year = re.fullmatch(r"(?:(?:trong|vào)\s+)?(?:năm\s+)?((?:1[5-9]|20)\d{2})", new, re.I)
    if year:
        for turn in reversed(history):
            years = set(_YEAR_RE.findall(turn.understood))
            if len(years) == 1:
                return _YEAR_RE.sub(year.group(1), turn.understood)
        return f"{history[-1].understood.rstrip(' ?.!')} năm {year.group(1)}"
    previous = history[-1].understood
    document = _DOC_RE.fullmatch(new)
    if document:
        old = _DOC_RE.search(previous)
        return previous[:old.start()] + new + previous[old.end():] if old else None
    if not new[:1].isupper():
        return None
    names = [m for m in _NAME_RE.finditer(previous) if len(m.group(0).split()) >= (2 if m.start() == 0 else 1)]
    if not names:
        return None
    head = new.split()[0].lower()
    same = [m for m in names if m.group(0).split()[0].lower() == head]
    old = (same or names)[-1]
    return previous[:old.start()] + new + previous[old.end():]


def turn_of(question, answer) -> Turn:
    """The turn a later follow-up reads: `question` (a qa.search.question.Question) and the answer it got."""
    citations = getattr(answer, "citations", ()) or ()
    source = getattr(answer, "short_source", None)
    order = ([source - 1] if source else []) + list(range(len(citations)))
    docs, date = [], None
    if not getattr(answer, "abstained", False):
        for n in dict.fromkeys(order):
            if 0 <= n < len(citations):
                article = citations[n].hit.article
                docs.append(article.doc_id)
                date = date or article.date
    return Turn(getattr(question, "asked", None) or question.text, question.text,
                None if getattr(answer, "abstained", False) else getattr(answer, "short_answer", None),
                "" if getattr(answer, "abstained", False) else _said(answer), tuple(docs[:3]), date,
                question.kind)


def _said(answer) -> str:
    """What the answer told the user, from its data (qa.answer.result.Answer): the short answer and the evidence
    sentences, without markers (a turn is read for names and documents, never for its citations)."""
    short = getattr(answer, "short", None)
    return " ".join(([short.shown] if short is not None else []) + [s.text.strip() for s in getattr(answer, "evidence", ())])
