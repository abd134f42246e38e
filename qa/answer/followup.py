"""Follow-up questions in a conversation: `Còn năm 2024 thì sao?`, `Ông ấy giữ chức vụ gì?`.

A follow-up cannot be retrieved on its own (it names no event or person), so
it is retrieved together with the previous self-contained question. A
question that names what it asks about is answered on its own, whatever came
before. Rules, not a model: cheap, predictable, and testable. Every pattern is
written with diacritics and also applied, folded, to questions typed without."""

from __future__ import annotations

import re

from qa.language.text import fold_diacritics, has_diacritics, normalize, unify_tones

# Upper-case Latin letters, Vietnamese ones included: a capital after the first word starts a name.
_UPPER = "".join(ch for ch in map(chr, [*range(0x41, 0x250), *range(0x1E00, 0x1F00)]) if ch.isupper())

# `<noun> đó / này / ấy`: a reference back to something named earlier. A reference to a person, a
# time or a place carries nothing to search for; one to a thing keeps its noun (`hội nghị đó`).
_PEOPLE = "ông|bà|anh|chị|cô|đồng chí|người|vị"
_TIMES_AND_PLACES = "khi|lúc|thời điểm|thời gian|năm|nơi|ở|tại"
_THINGS = "đơn vị|cơ quan|hội nghị|sự kiện|hoạt động|buổi|lễ|chương trình|đại hội|hội thi|cuộc thi|bài|bài viết|tỉnh|huyện"
_DEMONSTRATIVE = "đó|này|ấy|kia|trên"
# Without diacritics `đó` is `do`, also the preposition `by` (`hoi nghi do ai chu tri`,
# `do Bo Tham muu to chuc`): not a reference when `ai` or a name follows. Also `nam nay` is
# `năm nay` (this year), not `năm này`.
_NOT_BY = rf"(?!\s+(?:ai\b|(?-i:[{_UPPER}])))"
_EMPTY_REFERENCE = (
    rf"\b(?!năm\s+nay\b)(?:(?:{_PEOPLE})\s+(?:{_DEMONSTRATIVE}|ta)|(?:{_TIMES_AND_PLACES})\s+(?:{_DEMONSTRATIVE}))\b{{not_by}}"
)
_THING_REFERENCE = rf"\b({_THINGS})\s+(?:{_DEMONSTRATIVE})\b{{not_by}}"
# `Thế còn …`, `Vậy còn …`, `… thì sao?`: always a follow-up. A short question opening with `Còn`
# is one too, except where `còn` means `remaining` (`Còn bao nhiêu ngày …`).
_CONTINUATION = r"^(?:thế|vậy)\s+còn\b|\bthì\s+(?:sao|thế\s+nào)\s*\??$"
_SHORT_CON = r"^còn\b(?!\s+(?:bao\s+nhiêu|mấy|lại|không|nữa|được)\b)"
_LEAD = r"^(?:(?:thế|vậy)\s+)?còn\s+(?:với\s+)?"
_TRAIL = r"\s*(?:thì\s+(?:sao|thế\s+nào)|ra\s+sao)?\s*[?.!]*\s*$"
_SHORT_CON_MAX_WORDS = 10
_FRAGMENT_MAX_WORDS = 3  # `Ai chủ trì?`, `Khi nào?`: no subject at all
_NAME_OR_NUMBER_RE = re.compile(rf"\d|\s[{_UPPER}]")
_YEAR_ONLY_RE = re.compile(r"^(?:(?:năm|nam)\s+)?((?:19|20)\d{2})$", re.I)
_YEAR_RE = re.compile(r"\b(?:19|20)\d{2}\b")


def _compiled(source: str) -> tuple[re.Pattern, re.Pattern]:
    """(for accented questions, for questions typed without diacritics)."""
    accented = source.replace("{not_by}", "")
    folded = fold_diacritics(source.replace("{not_by}", _NOT_BY))
    return re.compile(accented, re.I), re.compile(folded, re.I)


_EMPTY_REFERENCE_RES = _compiled(_EMPTY_REFERENCE)
_THING_REFERENCE_RES = _compiled(_THING_REFERENCE)
_CONTINUATION_RES = _compiled(_CONTINUATION)
_SHORT_CON_RES = _compiled(_SHORT_CON)
_LEAD_RES = _compiled(_LEAD)
_TRAIL_RES = _compiled(_TRAIL)


def _prepared(question: str) -> tuple[str, int]:
    """The question in one tone convention, and which of the compiled pairs applies to it."""
    text = unify_tones(normalize(question or "")).strip()
    return text, 0 if has_diacritics(text) else 1


def is_follow_up(question: str) -> bool:
    """Whether `question` leans on the previous turn (a pronoun, `Còn …`, `… thì sao?`, a bare fragment)."""
    text, variant = _prepared(question)
    if not text:
        return False
    words = len(text.split())
    if any(pair[variant].search(text) for pair in (_EMPTY_REFERENCE_RES, _THING_REFERENCE_RES, _CONTINUATION_RES)):
        return True
    if words <= _SHORT_CON_MAX_WORDS and _SHORT_CON_RES[variant].search(text):
        return True
    return words <= _FRAGMENT_MAX_WORDS and not _NAME_OR_NUMBER_RE.search(text)


def _core(question: str) -> str:
    """What the follow-up adds: `Ông ấy giữ chức vụ gì?` -> `giữ chức vụ gì`, `Còn năm 2024 thì sao?` -> `năm 2024`.

    The reference words themselves would only dilute the search for what the previous question named."""
    text, variant = _prepared(question)
    text = _TRAIL_RES[variant].sub("", _LEAD_RES[variant].sub("", text))
    text = _EMPTY_REFERENCE_RES[variant].sub("", _THING_REFERENCE_RES[variant].sub(r"\1", text))  # `đơn vị đó` is no `vị đó`
    return " ".join(text.split()).strip(" ,;:")


def _year_swapped(core: str, previous_question: str) -> str | None:
    """`Còn năm 2024 thì sao?` after a question about 2023: the previous question asked about 2024."""
    new_year = _YEAR_ONLY_RE.match(core)
    if not new_year or len(set(_YEAR_RE.findall(previous_question))) != 1:
        return None
    return _YEAR_RE.sub(new_year.group(1), previous_question)


def _resolved(question: str, previous_question: str | None) -> tuple[str, str]:
    """(the question to retrieve with, the self-contained question a later follow-up leans on)."""
    question = normalize(question or "").strip()
    previous_question = normalize(previous_question or "").strip()
    if not previous_question or not is_follow_up(question):
        return question, question
    core = _core(question)
    swapped = _year_swapped(core, previous_question)
    if swapped:
        return swapped, swapped
    if not core:
        return previous_question, previous_question
    return f"{previous_question} {core[0].upper()}{core[1:]}?", previous_question


def contextualize(question: str, previous_question: str | None, max_chars: int | None = None) -> str:
    """The question to retrieve with: a follow-up joined to the previous self-contained question
    (or that question with its year replaced); any other question as it is.

    Falls back to the question alone when the joined text would exceed `max_chars`."""
    resolved, _ = _resolved(question, previous_question)
    if max_chars is not None and len(resolved) > max_chars:
        return normalize(question or "").strip()
    return resolved


def next_context(question: str, previous_question: str | None) -> str:
    """The self-contained question a later follow-up leans on: this one, unless it was itself a
    follow-up (then the previous topic stays, with its year replaced where that applied)."""
    return _resolved(question, previous_question)[1]
