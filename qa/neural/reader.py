"""The neural span reader: the exported int8 ONNX model run with onnxruntime on CPU.

`SpanModel` scores the spans of one context for a question (the window logic of training); `NeuralReader`
implements the SpanReader protocol (qa/answer/spans.py) over the few best candidate sentences, each read
with its neighbourhood in the article. The model loads on first use; without the model files (or without
onnxruntime) the reader is simply unavailable: `available()` is False and `read` returns []."""

from __future__ import annotations

import json
import math
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from qa.answer.spans import ScoredSpan, SentenceInput
from qa.neural.export import MODEL_DIR, ONNX_NAME, VOCAB_NAME

if TYPE_CHECKING:
    from qa.search.question import Question

MAX_TOKENS = 256
MAX_ANSWER_TOKENS = 30
TRAILING = " \t\n.,;:!?"


@dataclass(frozen=True)
class Candidate:
    start: int          # character span in the context
    end: int
    logit: float        # start + end logit of the span
    null: float         # start + end logit of "no answer" in its window

    @property
    def probability(self) -> float:
        """Span against "no answer" in its window: sigmoid of the logit margin."""
        return 1.0 / (1.0 + math.exp(min(50.0, max(-50.0, self.null - self.logit))))


class SpanModel:
    def __init__(self, model_dir: Path = MODEL_DIR, threads: int | None = None):
        import onnxruntime

        from qa.neural.tokenizer import Tokenizer
        from qa.neural.weights import load_vocabulary

        kept = json.loads((model_dir / VOCAB_NAME).read_text(encoding="utf-8"))["kept_ids"]
        vocabulary = load_vocabulary()
        self.tokenizer = Tokenizer(vocabulary, allowed=kept)
        self.row_of = {piece: row for row, piece in enumerate(kept)}
        self.bos, self.eos = self.row_of[vocabulary.bos], self.row_of[vocabulary.eos]
        self.unk, self.pad = self.row_of[vocabulary.unk], self.row_of[vocabulary.pad]
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or min(2, os.cpu_count() or 1)
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(str(model_dir / ONNX_NAME), options, providers=["CPUExecutionProvider"])

    def candidates(self, question: str, context: str, top: int = 3, stride: int = 128) -> list[Candidate]:
        """The best spans of `context` over all its windows, best first (null logits kept for each)."""
        encoded = self.tokenizer.encode(context)
        rows = [self.row_of.get(i, self.unk) for i in encoded.ids]
        head = [self.bos, *[self.row_of.get(i, self.unk) for i in self.tokenizer.encode(question).ids[:64]], self.eos, self.eos]
        room = MAX_TOKENS - len(head) - 1
        windows, begin = [], 0
        while True:
            windows.append((begin, min(begin + room, len(rows))))
            if windows[-1][1] >= len(rows):
                break
            begin += stride
        length = len(head) + max(b - a for a, b in windows) + 1
        ids = np.full((len(windows), length), self.pad, dtype=np.int64)
        mask = np.zeros((len(windows), length), dtype=np.int64)
        for k, (a, b) in enumerate(windows):
            row = head + rows[a:b] + [self.eos]
            ids[k, :len(row)] = row
            mask[k, :len(row)] = 1
        starts, ends = self.session.run(None, {"ids": ids, "mask": mask})
        found: list[Candidate] = []
        for k, (a, b) in enumerate(windows):
            null = float(starts[k, 0] + ends[k, 0])
            s = starts[k, len(head):len(head) + b - a]
            e = ends[k, len(head):len(head) + b - a]
            for i in np.argsort(-s)[:20]:
                window_end = min(len(e), i + MAX_ANSWER_TOKENS)
                j = i + int(np.argmax(e[i:window_end]))
                char_start, char_end = _trim(context, encoded.offsets[a + i][0], encoded.offsets[a + j][1])
                if char_end > char_start:
                    found.append(Candidate(char_start, char_end, float(s[i] + e[j]), null))
        best: dict[tuple[int, int], Candidate] = {}
        for c in found:
            if (c.start, c.end) not in best or best[(c.start, c.end)].logit < c.logit:
                best[(c.start, c.end)] = c
        return sorted(best.values(), key=lambda c: -c.logit)[:top]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1] in TRAILING:
        end -= 1
    return start, end


class NeuralReader:
    """Reads the `max_windows` best sentences, each with up to `reach` characters of article on either side."""

    def __init__(self, model_dir: Path = MODEL_DIR, max_windows: int = 3, reach: int = 400, min_score: float = 0.5):
        self.model_dir = model_dir
        self.max_windows, self.reach, self.min_score = max_windows, reach, min_score
        self._model: SpanModel | None = None
        self._lock = threading.Lock()

    def available(self) -> bool:
        if not ((self.model_dir / ONNX_NAME).exists() and (self.model_dir / VOCAB_NAME).exists()):
            return False
        try:
            import onnxruntime  # noqa: F401
        except ImportError:
            return False
        return True

    def model(self) -> SpanModel:
        with self._lock:
            if self._model is None:
                self._model = SpanModel(self.model_dir)
            return self._model

    def read(self, question: Question, sentences: Sequence[SentenceInput]) -> list[ScoredSpan]:
        if not sentences or not self.available():
            return []
        asked = question.understood  # diacritics restored: the model was trained on accented text
        order = sorted(range(len(sentences)), key=lambda i: (-sentences[i].sentence_score, sentences[i].hit_rank))
        spans: dict[tuple[str, int, int], ScoredSpan] = {}
        for seed_index, left, right in _contexts(sentences, order[:self.max_windows], self.reach):
            seed = sentences[seed_index]
            text = seed.article_text
            for c in self.model().candidates(asked, text[left:right]):
                start, end = left + c.start, left + c.end
                if c.probability < self.min_score:
                    continue
                span = ScoredSpan(seed.doc_id, start, end, text[start:end], c.probability, "neural",
                                  _sentence_of(sentences, seed.doc_id, start, seed_index))
                key = (seed.doc_id, start, end)
                if key not in spans or spans[key].score < span.score:
                    spans[key] = span
        return sorted(spans.values(), key=lambda s: -s.score)


def _contexts(sentences: Sequence[SentenceInput], seeds: list[int], reach: int) -> list[tuple[int, int, int]]:
    """(seed, left, right) spans of article to read: each seed's neighbourhood, overlapping ones of an article merged
    (one read of the model instead of two over the same text)."""
    merged: list[list[int]] = []
    for index in seeds:
        seed = sentences[index]
        left, right = _neighbourhood(seed.article_text, seed.start, seed.end, reach)
        for other in merged:
            first = sentences[other[0]]
            if first.doc_id == seed.doc_id and first.article_text == seed.article_text and left <= other[2] and other[1] <= right:
                other[1], other[2] = min(other[1], left), max(other[2], right)
                break
        else:
            merged.append([index, left, right])
    return [(index, left, right) for index, left, right in merged]


def _neighbourhood(text: str, start: int, end: int, reach: int) -> tuple[int, int]:
    """[left, right) around the sentence, cut at whitespace so that no word is split."""
    left, right = max(0, start - reach), min(len(text), end + reach)
    while left > 0 and not text[left - 1].isspace() and left > start - reach - 40:
        left -= 1
    while right < len(text) and not text[right].isspace() and right < end + reach + 40:
        right += 1
    return left, right


def _sentence_of(sentences: Sequence[SentenceInput], doc_id: str, position: int, fallback: int) -> int:
    for i, s in enumerate(sentences):
        if s.doc_id == doc_id and s.start <= position < s.end:
            return i
    return fallback
