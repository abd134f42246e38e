"""Diacritics restoration for questions typed without accents, from the corpus's own statistics.

`thieu tuong tran chi tam giu chuc vu gi` -> `thiếu tướng trần chí tâm giữ chức vụ gì`.
Every folded syllable has the accented forms the corpus uses for it; the
sequence with the highest bigram likelihood wins (Viterbi inside each phrase).
Dense vectors of unaccented text are poor, so the restored question is what
gets embedded; the folded BM25 channel stays as a safety net for a wrong guess.

The model is a table of counts: per-segment models merge by adding counts, and
a few question phrases (`là gì`, `ở đâu`, ...) are added at restore time since
news text rarely asks questions."""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from pathlib import Path

from qa.language.text import fold_diacritics, has_diacritics, normalize, unify_tones

FORMAT = "qa-accent-model/1"
_PHRASE_RE = re.compile(r"[^.,;:!?…()\[\]\"“”'‘’/|\n–—-]+")
_SYLLABLE_RE = re.compile(r"[^\W\d_]+")
_SMOOTHING = 0.5  # weight of the unigram estimate inside the bigram estimate
# What questions say and articles seldom do; counted as if it were seen a few times.
_QUESTION_PHRASES = """
ai là, ai đã, ai được, ai chủ trì, ai viết, ai đưa tin, viết bài, là ai, của ai, do ai, là gì, gì là, cái gì, điều gì,
việc gì, chức vụ gì, nội dung gì,
chức gì, loại gì, hình thức gì, tên gì, mang tên gì, được gì, đạt gì, làm gì, nói gì, ở đâu, tại đâu, đâu là, từ đâu,
nơi nào, khi nào, lúc nào, bao giờ, ngày nào, tháng nào, năm nào, hôm nào, thời gian nào, vào ngày nào, diễn ra khi nào,
bao nhiêu, có bao nhiêu, là bao nhiêu, bao nhiêu người, mấy người, lần thứ mấy, thứ mấy, khóa mấy, số mấy, mấy phần trăm,
như thế nào, thế nào, ra sao, vì sao, tại sao, sao lại, nào là, đơn vị nào, cơ quan nào, tỉnh nào, huyện nào, người nào,
vị nào, đồng chí nào, bài nào, bài viết nào, những gì, những ai, có phải không, hay không, được không, đúng không,
cho biết, hãy cho biết, xin cho biết, thì sao, còn, thì thế nào, giữ chức vụ gì, giữ chức gì
"""
_QUESTION_WEIGHT = 3


def _phrases(text: str) -> list[list[str]]:
    """Lowercased, tone-unified syllables of each phrase (bigrams never cross punctuation)."""
    text = unify_tones(text).lower()
    return [s for s in (_SYLLABLE_RE.findall(p) for p in _PHRASE_RE.findall(text)) if s]


class AccentModel:
    def __init__(self, unigrams: Counter | None = None, bigrams: Counter | None = None) -> None:
        self.unigrams: Counter = unigrams if unigrams is not None else Counter()
        self.bigrams: Counter = bigrams if bigrams is not None else Counter()  # "a b" -> count
        self._candidates: dict[str, list[str]] | None = None

    # --- building ---------------------------------------------------------

    @classmethod
    def from_texts(cls, texts) -> AccentModel:
        model = cls()
        for text in texts:
            for phrase in _phrases(text or ""):
                model.unigrams.update(phrase)
                model.bigrams.update(f"{a} {b}" for a, b in zip(phrase, phrase[1:]))
        return model

    @classmethod
    def merge(cls, models) -> AccentModel:
        merged = cls()
        for model in models:
            merged.unigrams.update(model.unigrams)
            merged.bigrams.update(model.bigrams)
        return merged

    def save(self, path: Path) -> None:
        data = {"format": FORMAT, "unigrams": dict(self.unigrams.most_common()), "bigrams": dict(self.bigrams.most_common())}
        Path(path).write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> AccentModel:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError(f"{path}: not an accent model ({data.get('format')!r})")
        return cls(Counter(data["unigrams"]), Counter(data["bigrams"]))

    def __len__(self) -> int:
        return len(self.unigrams)

    # --- restoring --------------------------------------------------------

    def _counts(self) -> tuple[Counter, Counter]:
        prior = _question_prior()
        unigrams, bigrams = Counter(self.unigrams), Counter(self.bigrams)
        for key, n in prior.unigrams.items():
            unigrams[key] += n * _QUESTION_WEIGHT
        for key, n in prior.bigrams.items():
            bigrams[key] += n * _QUESTION_WEIGHT
        return unigrams, bigrams

    def _prepare(self) -> None:
        self._all_unigrams, self._all_bigrams = self._counts()
        candidates: dict[str, list[str]] = {}
        for syllable in self._all_unigrams:
            candidates.setdefault(fold_diacritics(syllable), []).append(syllable)
        self._candidates = candidates
        self._total = sum(self._all_unigrams.values()) or 1

    def restore(self, question: str) -> str:
        """The question with diacritics put back where the corpus knows the syllable; unchanged
        when it already has diacritics (the user's own accents are never second-guessed)."""
        question = normalize(question or "")
        if not question.strip() or has_diacritics(question):
            return question
        if self._candidates is None:
            self._prepare()
        out, cursor = [], 0
        for phrase in _PHRASE_RE.finditer(question):
            words = list(_SYLLABLE_RE.finditer(phrase.group(0)))
            best = self._viterbi([w.group(0).lower() for w in words])
            for match, restored in zip(words, best):
                a, b = phrase.start() + match.start(), phrase.start() + match.end()
                out.append(question[cursor:a])
                out.append(_same_case(match.group(0), restored))
                cursor = b
        out.append(question[cursor:])
        return "".join(out)

    def _viterbi(self, words: list[str]) -> list[str]:
        if not words:
            return []
        options = [self._candidates.get(w, [w]) for w in words]
        scores = {c: self._logp(None, c) for c in options[0]}
        back: list[dict[str, str]] = []
        for position in range(1, len(words)):
            step, pointers = {}, {}
            for c in options[position]:
                prev, value = max(((p, s + self._logp(p, c)) for p, s in scores.items()), key=lambda x: x[1])
                step[c], pointers[c] = value, prev
            scores = step
            back.append(pointers)
        last = max(scores, key=scores.get)
        path = [last]
        for pointers in reversed(back):
            path.append(pointers[path[-1]])
        return path[::-1]

    def _logp(self, prev: str | None, cur: str) -> float:
        unigram = (self._all_unigrams.get(cur, 0) + 0.1) / (self._total + 0.1 * len(self._all_unigrams))
        if prev is None:
            return math.log(unigram)
        seen = self._all_unigrams.get(prev, 0)
        pair = self._all_bigrams.get(f"{prev} {cur}", 0)
        return math.log((pair + _SMOOTHING * unigram * 10) / (seen + _SMOOTHING * 10) + 1e-12)


def _same_case(typed: str, restored: str) -> str:
    if typed.isupper() and len(typed) > 1:
        return restored.upper()
    if typed[:1].isupper():
        return restored[:1].upper() + restored[1:]
    return restored


_PRIOR: AccentModel | None = None


def _question_prior() -> AccentModel:
    global _PRIOR
    if _PRIOR is None:
        _PRIOR = AccentModel.from_texts(_QUESTION_PHRASES.split("\n"))
    return _PRIOR
