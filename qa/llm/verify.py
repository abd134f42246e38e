"""Every generated sentence checked against the passage it cites, before anything is shown.

A sentence is kept only when (1) it cites at least one passage that exists, (2) every fact it states — each
number, date, name (a run of capitalized words, an acronym) and quoted phrase — occurs in a passage it cites,
and (3) its content is supported: most of its content words occur in the cited passage, or the span reader's
short answer stands in it with the passage it came from cited and enough of the words found. Compared
without diacritics or case and with tone marks unified, so `hòa` and `hoà` match, and nothing else is forgiven.
Everything else is dropped with the reason."""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.language.text import QUESTION_WORDS, fold_diacritics, unify_tones

UNCITED, BAD_SOURCE, FACT, UNSUPPORTED = "uncited", "bad_source", "fact", "unsupported"
# Share (by count) of a sentence's content words that must occur in the passage it cites; with the reader's
# short answer in the sentence and its passage cited, the lower bar. Chosen on bench/verifier.py's sentences
# (built from the seed corpus, no tuning on eval/).
LEXICAL_MIN = 0.75
ORDER_MIN = 0.6  # share of its consecutive word pairs found so in the passage: the passage's wording, not a bag of words
AGREEING_MIN = 0.5

_MARKS_RE = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_END_RE = re.compile(r"[.!?…]+")
_DATE_RE = re.compile(r"(?<![\d/])(\d{1,2})\s*[/-]\s*(\d{1,2})(?:\s*[/-]\s*(\d{2,4}))?(?![\d/])")
_NUMBER_RE = re.compile(r"(?<![\d.,])\d+(?:[.,]\d+)*(?![\d])")
_QUOTE_RE = re.compile(r"[«“\"]([^«»“”\"]{2,})[»”\"]")
_WORD_RE = re.compile(r"\w+")


@dataclass(frozen=True)
class Checked:
    text: str  # the sentence without its [n] markers
    sources: tuple[int, ...]  # the passages it cites
    kept: bool
    reason: str | None = None  # UNCITED | BAD_SOURCE | FACT | UNSUPPORTED when dropped
    missing: tuple[str, ...] = ()  # the facts no cited passage holds
    support: float = 0.0  # share of its content words found in the cited passages


def split_sentences(text: str) -> list[tuple[str, tuple[int, ...]]]:
    """(sentence, cited n's) in order. A sentence ends at . ! ? … followed by a space or the end, its markers
    (`… hội nghị. [1]` or `… hội nghị [1].`) belonging to it; markers inside a sentence count for it too."""
    out, start = [], 0
    text = text.strip()
    for m in _END_RE.finditer(text):
        end = m.end()
        trailing = re.match(r"(?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])*", text[end:])
        end += trailing.end()
        if end < len(text) and not text[end].isspace():
            continue  # 1.250, 05.01, a URL
        out.append(text[start:end])
        start = end
    if text[start:].strip():
        out.append(text[start:])
    result = []
    for piece in out:
        cited = tuple(dict.fromkeys(int(x) for group in _MARKS_RE.findall(piece) for x in re.split(r"\s*[,;]\s*", group)))
        sentence = " ".join(_MARKS_RE.sub("", piece).split())
        if sentence.strip(" .!?…"):
            result.append((sentence, cited))
    return result


def _fold(text: str) -> str:
    return fold_diacritics(unify_tones(text)).lower()


def _date_pattern(day: str, month: str, year: str | None) -> str:
    core = rf"(?<![\d/])0?{int(day)}\s*[/-]\s*0?{int(month)}"
    return core + (rf"\s*[/-]\s*{year}" if year else "") + r"(?![\d])"


def names(sentence: str) -> list[str]:
    """Runs of capitalized words (two or more, or one acronym); the sentence's first word is capitalized anyway
    and does not start one."""
    words = list(_WORD_RE.finditer(sentence))
    runs, run = [], []
    for i, w in enumerate(words):
        gap = sentence[words[i - 1].end():w.start()] if i else ""
        word = w.group(0)
        capital = word[:1].isupper() and not word.isdigit() and (i > 0 or _acronym(word))
        if run and (not capital or re.search(r"[^\w\s]", gap)):
            runs.append(run)
            run = []
        if capital:
            run.append(word)
    if run:
        runs.append(run)
    return [" ".join(r) for r in runs if len(r) >= 2 or _acronym(r[0])]


def _acronym(word: str) -> bool:
    letters = re.sub(r"\d", "", word)
    return len(letters) >= 2 and letters.isupper()


def _number_in_place(sentence: str, m: re.Match) -> str:
    """A number must stand where the sentence puts it: next to the word before or after it (`năm 2023`,
    `120 chiến sĩ`), not merely somewhere in the passage; never a piece of an ISO date (the publication date)."""
    number = rf"(?<![\d.,])(?<!\d-){re.escape(m.group(0))}(?![\d]|[.,]\d|-\d)"
    before = _WORD_RE.findall(_fold(sentence[:m.start()]))[-1:]
    after = _WORD_RE.findall(_fold(sentence[m.end():]))[:1]
    around = [rf"(?<!\w){re.escape(before[0])}\W{{1,3}}{number}" for _ in before if not before[0].isdigit()]
    around += [rf"{number}\W{{0,3}}{re.escape(after[0])}(?!\w)" for _ in after if not after[0].isdigit()]
    return "|".join(around) if around else number


def facts(sentence: str) -> list[tuple[str, str]]:
    """(as written, regex over folded text) for each number, date, name and quoted phrase the sentence states."""
    found, taken = [], []
    for m in _DATE_RE.finditer(sentence):
        day, month, year = m.groups()
        if 1 <= int(day) <= 31 and 1 <= int(month) <= 12:
            found.append((m.group(0), _date_pattern(day, month, year)))
            taken.append(m.span())
    for m in _NUMBER_RE.finditer(sentence):
        if any(a <= m.start() < b for a, b in taken):
            continue
        found.append((m.group(0), _number_in_place(sentence, m)))
    for name in names(sentence):
        words = r"\s+".join(map(re.escape, _fold(name).split()))
        found.append((name, rf"(?<!\w){words}(?!\w)"))
    for m in _QUOTE_RE.finditer(sentence):
        phrase = " ".join(m.group(1).split())
        found.append((phrase, r"\s*".join(map(re.escape, _fold(phrase).split()))))
    return found


def bigrams(text: str, folded: bool = False) -> set[tuple[str, str]]:
    """Pairs of consecutive words within a phrase (punctuation breaks one): the passage's wording, not only its words."""
    out = set()
    for phrase in re.split(r"[^\w\s]+", text if folded else _fold(text)):
        words = phrase.split()
        out.update(zip(words, words[1:]))
    return out


def content_words(text: str) -> list[str]:
    return [w for w in dict.fromkeys(_WORD_RE.findall(_fold(text))) if w not in QUESTION_WORDS and not w.isdigit()]


def check_sentence(sentence: str, cited: tuple[int, ...], passages: dict[int, str], short: tuple[int, str] | None = None) -> Checked:
    """`passages`: n -> the text the model was given as [n]; `short`: (source n, text) of the extractive short answer."""
    if not cited:
        return Checked(sentence, cited, False, UNCITED)
    if any(n not in passages for n in cited):
        return Checked(sentence, cited, False, BAD_SOURCE)
    folded = " ".join(_fold(passages[n]) for n in cited)
    missing = tuple(text for text, pattern in facts(sentence) if not re.search(pattern, folded))
    words = content_words(sentence)
    present = set(_WORD_RE.findall(folded))
    support = sum(w in present for w in words) / len(words) if words else 0.0
    if missing:
        return Checked(sentence, cited, False, FACT, missing, support)
    pairs = bigrams(sentence)
    order = sum(p in bigrams(folded, folded=True) for p in pairs) / len(pairs) if pairs else 0.0
    agrees = short is not None and short[0] in cited and _fold(short[1]) in _fold(sentence)
    if (support >= LEXICAL_MIN and order >= ORDER_MIN) or (agrees and support >= AGREEING_MIN):
        return Checked(sentence, cited, True, None, (), support)
    return Checked(sentence, cited, False, UNSUPPORTED, (), support)


def verify(text: str, passages: dict[int, str], short: tuple[int, str] | None = None) -> list[Checked]:
    return [check_sentence(s, cited, passages, short) for s, cited in split_sentences(text)]
