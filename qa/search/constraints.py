"""What a question pins down (years, dates, numbers, document numbers, named units and people),
checked against a candidate article's text and publication date.

News in this domain comes in near-duplicates: the same unit holds the same kind
of meeting every year, so "tổng kết ... năm 2019" and "tổng kết ... năm 2023"
differ only by the year. Retrieval ranks articles that satisfy the question's
constraints above those that do not (`rerank_by_constraints`, one hook in
`qa.search.retrieve.search`), and the answerer refuses to present another year's fact
as the answer (`check`).

A year is *bound* in an article when it stands next to the words the question
binds it to (`tổng kết công tác đảng ... năm 2023`), merely *present* when it
occurs elsewhere (or is the publication year), and in *conflict* when the
article's headline binds those same words to another year: an article that
reports the 2023 meeting (published in January 2024, and full of 2024 plans)
is not about the 2024 one. Everything is compared diacritics-folded and
lowercased, so questions typed without accents are checked the same way."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from qa.language.text import QUESTION_WORDS, fold_diacritics, unify_tones

BOUND, PRESENT, CONFLICT, ABSENT = "bound", "present", "conflict", "absent"
HARD_KINDS = ("year", "document")
# Relative weight of one constraint in reranking, per kind; multiplied by settings.constraint_weight
# and by the spread of the candidates' scores so that it means the same in every mode.
KIND_WEIGHTS = {"year": 1.0, "document": 1.0, "number": 0.6, "date": 0.6, "name": 0.4}
LEVEL_VALUES = {BOUND: 1.0, PRESENT: 0.5, CONFLICT: -1.0, ABSENT: -1.0}
BIND_WINDOW = 10  # syllables of the question next to a year that may name what it dates
ARTICLE_WINDOW = 20  # the same in articles, which insert more (`công tác chính trị (CTĐ, CTCT) năm 2023`)
BIND_MIN = 0.6  # share (IDF-weighted) of the question's words around the year found around it in the article
CONFLICT_MARGIN = 0.25

_YEAR_RE = re.compile(r"(?<![\d.,])(?:19|20)\d{2}(?![\d.,]\d)")
_DOC_KINDS = (
    "chỉ thị|nghị quyết|kế hoạch|hướng dẫn|quy định|quyết định|thông tư|nghị định|công văn|thông báo|kết luận|chương trình|đề án"
)
_DOC_RE = re.compile(rf"\b({fold_diacritics(_DOC_KINDS)})\s+(?:so\s+)?(\d+)(?:\s*-\s*[\w/]+)?")
_DATE_RE = re.compile(r"(?<![\d/])(\d{1,2})\s*[/-]\s*(\d{1,2})(?:\s*[/-]\s*(\d{4}))?(?![\d])")
_NUMBER_RE = re.compile(r"(?<![\d.,/])\d{1,3}(?:[.,]\d{3})+(?![\d])|(?<![\d.,/])\d+(?:,\d+)?(?![\d/])")
# `Quân khu 2`, `Sư đoàn 389`: a unit is named by two words and a number.
_UNIT_NUMBER_RE = re.compile(r"\b([A-ZĐ][a-zà-ỹđ]+\s+(?!(?:năm|tháng|ngày|lần|thứ|số|có|là|và|được)\s)[a-zà-ỹđ]+)\s+(\d{1,3})\b")
_WORD_RE = re.compile(r"[\w]+")
_SYLLABLE_RE = re.compile(r"\w+")
_PHRASE_BREAK_RE = re.compile(r"[.,;:!?…()\[\]\"“”'‘’/|\n–—-]+")  # as qa.language.text.search_tokens: no bigram across them
_SPLIT_RE = re.compile(r"[.?!;\n]|(?<!\d)(?:19|20)\d{2}(?!\d)")
_STOP = QUESTION_WORDS  # never part of what a year dates


@dataclass(frozen=True)
class Constraint:
    kind: str  # year | document | date | number | name
    text: str  # as the question writes it
    pattern: str  # regex over folded, lowercased article text
    context: tuple[str, ...] = ()  # years: the question's words that the year dates (folded syllables)

    @property
    def hard(self) -> bool:
        return self.kind in HARD_KINDS


@dataclass(frozen=True)
class Verdict:
    """How one article stands against the question's constraints."""

    levels: tuple[tuple[Constraint, str], ...]
    conflict_years: tuple[str, ...] = ()  # the years the article binds the question's words to instead
    weakly_bound: frozenset = frozenset()  # year constraints mentioned here, but not next to the question's words

    @property
    def complete(self) -> bool:
        """Every year, document and name is bound or present: the article may answer. A bare number may be
        written otherwise (`50`, `năm mươi`) and only ranks."""
        return all(level in (BOUND, PRESENT) for c, level in self.levels if c.kind != "number")

    def only_years_missing(self) -> bool:
        """A near-duplicate of another year: everything matches but a year it binds to something else."""
        return bool(self.conflict_years) and all(level in (BOUND, PRESENT) or c.kind in ("year", "number") for c, level in self.levels)

    def value(self) -> float:
        return sum(KIND_WEIGHTS[c.kind] * LEVEL_VALUES[level] for c, level in self.levels)

    def missing_years(self) -> list[str]:
        return [c.text for c, level in self.levels if c.kind == "year" and level in (CONFLICT, ABSENT)]


def _day_month(date: str | None) -> str:
    """`2024-01-05` -> `5/1`, as the text would write it."""
    return f"{int(date[8:10])}/{int(date[5:7])}" if date and len(date) == 10 else ""


def _folded(text: str) -> str:
    return fold_diacritics(unify_tones(text)).lower()


def _number_pattern(number: str) -> str:
    return r"(?<![\d.,])" + re.escape(number) + r"(?![\d]|[.,]\d)"


def _acronym_or_word(word: str) -> str:
    """`CHQS` also matches `chỉ huy quân sự` (initials of consecutive syllables); other words match themselves."""
    folded = _folded(word)
    letters = re.sub(r"\d", "", folded)
    if word.isupper() and 2 <= len(letters) <= 6 and not word.isdigit():
        digits = folded[len(letters):]
        expansion = r"\s+".join(rf"{ch}\w*" for ch in letters) + (rf"\s*{digits}" if digits else "")
        return rf"(?:{re.escape(folded)}|{expansion})"
    return re.escape(folded)


def _names(question: str) -> list[tuple[int, int]]:
    """Spans of runs of capitalized words (2+, or one acronym), broken at punctuation. The question's first
    word is capitalized anyway (`Ở Hoa Kỳ`, `Trước Manning`): it never starts a name, unless it is an acronym."""
    words = [(m.group(0), m.start()) for m in _WORD_RE.finditer(question)]
    runs, run = [], []

    def close() -> None:
        if len(run) >= 2 or (len(run) == 1 and _is_acronym(run[0][0])):
            runs.append((run[0][1], run[-1][1] + len(run[-1][0])))
        run.clear()

    for i, (word, start) in enumerate(words):
        if run and re.search(r"[^\w\s]", question[words[i - 1][1] + len(words[i - 1][0]):start]):
            close()
        if word[:1].isupper() and not word.isdigit() and (i > 0 or _is_acronym(word)):
            run.append((word, start))
        else:
            close()
    close()
    return runs


def _name_pattern(words: list[str]) -> str:
    return r"\s+".join(_acronym_or_word(w) + r"(?:e?s)?" for w in words)


def _is_acronym(word: str) -> bool:
    return len(re.sub(r"\d", "", word)) >= 2 and word.isupper()


def _window(text: str, last: bool, size: int = BIND_WINDOW) -> str:
    """The last (or first) `size` syllables of `text`, as text (phrase breaks kept for bigrams)."""
    words = list(_SYLLABLE_RE.finditer(text))
    if len(words) > size:
        text = text[words[-size].start():] if last else text[:words[size - 1].end()]
    return text


def _context_tokens(text: str) -> set[str]:
    """Syllables and syllable bigrams of folded `text`, without question words, `năm` and numbers."""
    tokens = set()
    for phrase in _PHRASE_BREAK_RE.split(text):
        syllables = [w if w not in _STOP and not w.isdigit() else None for w in _SYLLABLE_RE.findall(phrase)]
        tokens.update(w for w in syllables if w)
        tokens.update(f"{a}_{b}" for a, b in zip(syllables, syllables[1:]) if a and b)
    return tokens


def _year_context(folded_question: str, start: int, end: int) -> tuple[str, ...]:
    """The question's words the year at [start, end) dates: those before it (`tổng kết ... năm 2023`),
    or after it when it opens the question (`Năm 2022, tỉnh X ...`)."""
    before = _SPLIT_RE.split(folded_question[:start])[-1]
    syllables = [w for w in _SYLLABLE_RE.findall(before) if w not in _STOP]
    if len(syllables) >= 2:
        return tuple(sorted(_context_tokens(_window(before, last=True))))
    after = _SPLIT_RE.split(folded_question[end:])[0]
    return tuple(sorted(_context_tokens(_window(after, last=False))))


def extract(question: str) -> tuple[Constraint, ...]:
    """The constraints `question` states; () for most questions (then nothing is checked)."""
    text = unify_tones(question or "")
    folded = _folded(text)
    out: list[Constraint] = []
    taken: list[tuple[int, int]] = []  # spans already used by a document number or a date

    def free(a: int, b: int) -> bool:
        return all(b <= x or a >= y for x, y in taken)

    for m in _DOC_RE.finditer(folded):
        kind, number = m.group(1), m.group(2)
        out.append(Constraint("document", text[m.start():m.end()], rf"\b{re.escape(kind)}\s+(?:so\s+)?{re.escape(number)}(?!\d)"))
        taken.append(m.span())
    for m in _DATE_RE.finditer(folded):
        if not free(*m.span()):
            continue
        day, month, year = m.groups()
        if not (1 <= int(day) <= 31 and 1 <= int(month) <= 12):
            continue  # `quý 1/2021` is a quarter, `2/3` of something is no date
        out.append(Constraint("date", text[m.start():m.end()], rf"(?<![\d/])0?{int(day)}\s*[/-]\s*0?{int(month)}(?![\d])"))
        taken.append((m.start(), m.end() if not year else m.start(3) - 1))
    # A year dates what the question says happened, not who it happened to: names are left out of its context.
    unnamed = folded
    for a, b in _names(text):
        unnamed = unnamed[:a] + "," * (b - a) + unnamed[b:]
    for m in _YEAR_RE.finditer(folded):
        if not free(*m.span()):
            continue
        year = m.group(0)
        out.append(Constraint("year", year, _number_pattern(year), _year_context(unnamed, *m.span())))
        taken.append(m.span())
    for m in _UNIT_NUMBER_RE.finditer(text):
        if not free(m.start(2), m.end(2)) or not text[:m.start()].strip():
            continue  # taken, or the question's first words (`Thời kỳ 505 triệu năm`), capitalized anyway
        unit_words = m.group(1).split()
        initials = "".join(_folded(w)[0] for w in unit_words)
        pattern = r"\s+".join(map(re.escape, _folded(m.group(1)).split())) + rf"\s+{m.group(2)}(?!\d)"
        if len(unit_words) > 1:
            pattern = rf"(?:{pattern}|\b{initials}\s*{m.group(2)}(?!\d))"
        out.append(Constraint("name", m.group(0), pattern))
        taken.append(m.span(2))
    for m in _NUMBER_RE.finditer(folded):
        number = m.group(0)
        if not free(*m.span()) or (len(number) < 2 and "," not in number):
            continue
        out.append(Constraint("number", number, _number_pattern(number)))
    for a, b in _names(text):
        name = text[a:b]
        if _folded(name) in {_folded(c.text) for c in out}:
            continue
        words = name.split()
        # A name may be plural in the text (`Clipper` / `Clippers`); a long one may come without its
        # first word (`Chợ Grainger Market` / `Grainger Market`).
        pattern = _name_pattern(words)
        if len(words) >= 3:
            pattern = f"(?:{pattern}|{_name_pattern(words[1:])})"
        out.append(Constraint("name", name, rf"(?<!\w){pattern}(?!\w)"))
    return tuple(dict.fromkeys(out))


@lru_cache(maxsize=4096)
def _article_view(title: str, text: str, date: str | None, lead_end: int) -> tuple[str, str, str]:
    """(folded title + text, folded headline = title + lead sentence, publication year)."""
    folded = _folded(f"{title}\n{text}")
    headline = _folded(f"{title}\n{text[:lead_end]}")
    return folded, headline, (date or "")[:4]


def _binding(folded: str, year: str, context: tuple[str, ...], weights: dict[str, float]) -> float:
    """Best share (IDF-weighted) of the question's context words found next to an occurrence of `year`."""
    if not context:
        return 0.0
    total = sum(weights.get(w, 1.0) for w in context) or 1.0
    return max((sum(weights.get(w, 1.0) for w in context if w in window) / total for window in _year_windows(folded, year)),
               default=0.0)


@lru_cache(maxsize=16384)
def _year_windows(folded: str, year: str) -> tuple[frozenset[str], ...]:
    """The words around each occurrence of `year` in folded text: those before it, and those after it
    when it opens its clause (`Năm 2022, X ...`)."""
    windows = []
    for m in re.finditer(_number_pattern(year), folded):
        # `giai đoạn 2019 – 2024`: both years date what comes before the range.
        before = re.sub(r"(?:19|20)\d{2}\s*[-–]\s*$", "", folded[max(0, m.start() - 200):m.start()])
        before = _SPLIT_RE.split(before)[-1]
        window = _context_tokens(_window(before, True, ARTICLE_WINDOW))
        if len(_SYLLABLE_RE.findall(re.split(r"[,:]", before)[-1])) <= 2:
            window |= _context_tokens(_window(_SPLIT_RE.split(folded[m.end():m.end() + 200])[0], False, ARTICLE_WINDOW))
        windows.append(frozenset(window))
    return tuple(windows)


def check(constraints: tuple[Constraint, ...], article, lead_end: int = 0, weights: dict[str, float] | None = None) -> Verdict:
    """How `article` stands against `constraints`; `lead_end`: end of its lead sentence in article.text."""
    folded, headline, published = _article_view(article.title or "", article.text, article.date, lead_end)
    weights = weights or {}
    levels, conflicts, weak = [], [], set()
    for c in constraints:
        if c.kind != "year":
            found = re.search(c.pattern, folded) or (c.kind == "date" and re.fullmatch(c.pattern, _day_month(article.date)))
            levels.append((c, PRESENT if found else ABSENT))
            continue
        bound = _binding(folded, c.text, c.context, weights)
        in_range = set(re.findall(rf"((?:19|20)\d{{2}})\s*[-–]\s*{c.text}|{c.text}\s*[-–]\s*((?:19|20)\d{{2}})", headline))
        rival_years = {y for y in _YEAR_RE.findall(headline) if y != c.text} - {y for pair in in_range for y in pair}
        rival = max(((_binding(headline, y, c.context, weights), y) for y in rival_years), default=(0.0, None))
        if rival[0] >= BIND_MIN and rival[0] >= bound + CONFLICT_MARGIN:
            levels.append((c, CONFLICT))
            conflicts.append(rival[1])
        elif bound >= BIND_MIN:
            levels.append((c, BOUND))
        elif re.search(c.pattern, folded) or published == c.text:
            levels.append((c, PRESENT))
            weak.add(c)  # mentioned, not bound: no evidence where near-duplicates bind the words to another year
        else:
            levels.append((c, ABSENT))
    return Verdict(tuple(levels), tuple(dict.fromkeys(conflicts)), frozenset(weak))


_UNSEEN = "\x00unseen"


def context_weights(index, constraints: tuple[Constraint, ...]) -> dict[str, float]:
    """IDF of the years' context words (folded), so that `tổng kết` counts more than `công tác`."""
    words = sorted({w for c in constraints for w in c.context})
    if not words:
        return {}
    weights = index.bm25.idf([*words, _UNSEEN], True)
    unseen = weights.pop(_UNSEEN)
    # A word the corpus never uses (`tri_giao` across `chủ trì giao ban`) cannot bind anything.
    return {w: (0.0 if abs(v - unseen) < 1e-9 else v) for w, v in weights.items()}


def lead_end(index, doc_id: str) -> int:
    spans = index.article_sentences(doc_id)
    return spans[0][1] if spans else 0


def verdicts(index, question, articles) -> dict[str, Verdict]:
    """doc_id -> Verdict for each distinct article; {} when the question states no constraint.

    `question` is a qa.search.question.Question: its constraints were extracted once, and each article is
    checked once per question (retrieval's rerank and the answerer read the same articles)."""
    constraints = question.constraints
    if not constraints:
        return {}
    checked = question.checked
    weights = context_weights(index, constraints)
    out = {}
    for article in articles:
        if article.doc_id not in out:
            if article.doc_id not in checked:
                checked[article.doc_id] = check(constraints, article, lead_end(index, article.doc_id), weights)
            out[article.doc_id] = checked[article.doc_id]
    # Near-duplicates: when some article binds the question's words to another year, the corpus has
    # this kind of event for other years; a year merely mentioned elsewhere is then no evidence.
    contested = {c for v in out.values() for c, level in v.levels if level == CONFLICT}
    if contested:
        out = {d: replace(v, levels=tuple((c, ABSENT if c in contested and c in v.weakly_bound else level) for c, level in v.levels))
               for d, v in out.items()}
    return out


RERANK_DEPTH = 100  # candidates reranked; those below keep their order after them


def rerank_by_constraints(index, question, hits: list, weight: float = 1.0) -> list:
    """`hits` (best first) with the score of each of the first RERANK_DEPTH moved by how its article stands
    against the question's constraints, re-sorted; `fused_rank` is renumbered. Unchanged when the
    question states none."""
    if not hits or weight <= 0:
        return hits
    head, tail = hits[:RERANK_DEPTH], hits[RERANK_DEPTH:]
    found = verdicts(index, question, [h.article for h in head])
    if not found:
        return hits
    scores = np.array([h.score for h in hits])
    scale = float(scores.std()) if len(hits) > 1 and scores.std() > 1e-9 else 1.0
    moved = sorted(((h.score + weight * scale * found[h.article.doc_id].value(), i) for i, h in enumerate(head)),
                   key=lambda x: (-x[0], x[1]))
    out = [replace(head[i], score=score, fused_rank=rank) for rank, (score, i) in enumerate(moved, 1)]
    return out + tail  # their fused ranks follow the head's already


_TOPIC_HEADS = (
    "hội nghị|đại hội|hội thi|hội thao|lễ|buổi|cuộc|chương trình|phong trào|diễn tập|giao ban|tổng kết|sơ kết|nghị quyết|chỉ thị"
    "|kế hoạch|chủ đề|kết quả|liên hoan|kỷ niệm|đợt|kỳ"
)


def missing_topic(question: str, year: str) -> str:
    """What the question asks about in `year`, for `Kho không có bài về ...`: from its event noun
    (`hội nghị tổng kết ... năm 2019 của Bộ Tham mưu Quân khu`), else `nội dung này năm 2019`."""
    text = " ".join(unify_tones(question).split()).rstrip(" ?.!")
    at = text.find(year)
    if at < 0:
        return f"nội dung này năm {year}"
    head = None
    for m in re.finditer(rf"\b(?:{_TOPIC_HEADS})\b", text[:at], re.I):
        head = m
        break
    if head is None:
        return f"nội dung này năm {year}"
    tail = re.split(r"[,;?]|\s(?:là|do|được|có|đã|diễn ra|vào|thì)\s", text[at:])[0]
    topic = text[head.start():at] + tail
    return topic[:1].lower() + topic[1:] if not topic[:2].isupper() else topic
