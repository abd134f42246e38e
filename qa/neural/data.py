"""Training and evaluation data of the span reader, and its windows of token ids.

Training data (all CC BY-SA 4.0): ../shared/data/squad (the first 10 articles of English SQuAD 2.0 train,
answerable and unanswerable) and XQuAD articles 1-24 (the first 24 entries of `data`) in any of its 12
languages. XQuAD articles 25-48 are held out in EVERY language (translations of the test paragraphs): they
are read only by `heldout_examples`, for measurement. The last `dev_articles` of articles 1-24 are kept out of
training in every language, and their Vietnamese version is the dev set."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

XQUAD_LANGUAGES = ("vi", "en", "es", "de", "el", "ru", "tr", "ar", "hi", "th", "zh", "ro")
XQUAD_TRAIN_ARTICLES = 24  # articles 1-24; 25-48 are held out
SQUAD_FILE = "squad-v2.0-train-first-10-articles.json"


@dataclass(frozen=True)
class Example:
    qid: str
    question: str
    context: str
    answers: tuple[tuple[str, int], ...]  # (text, character start in context); empty = unanswerable
    source: str                           # "xquad-vi", "xquad-other", "squad", "squad-null"


@dataclass(frozen=True)
class Window:
    example: int                          # index into the example list
    ids: list[int]                        # <s> question </s></s> context part </s>
    context_from: int                     # first context token's position in ids
    token_spans: list[tuple[int, int]]    # character span in the context of each context token
    start: int                            # gold start/end positions in ids; 0, 0 = no answer in this window
    end: int


def _examples(articles: list[dict], source_of) -> list[Example]:
    out = []
    for article in articles:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                answers = tuple((a["text"], a["answer_start"]) for a in qa.get("answers", ()))
                if qa.get("is_impossible"):
                    answers = ()
                out.append(Example(qa["id"], qa["question"], paragraph["context"], answers, source_of(answers)))
    return out


def _xquad(data_dir: Path, language: str) -> list[dict]:
    return json.loads((data_dir / "xquad" / f"xquad.{language}.json").read_text(encoding="utf-8"))["data"]


def training_examples(data_dir: Path, languages: tuple[str, ...] = XQUAD_LANGUAGES, dev_articles: int = 2,
                      squad: bool = True) -> list[Example]:
    examples: list[Example] = []
    for language in languages:
        source = "xquad-vi" if language == "vi" else "xquad-other"
        train_articles = _xquad(data_dir, language)[:XQUAD_TRAIN_ARTICLES - dev_articles]
        examples += _examples(train_articles, lambda answers, s=source: s)
    if squad:
        articles = json.loads((data_dir / "squad" / SQUAD_FILE).read_text(encoding="utf-8"))["data"]
        examples += _examples(articles, lambda answers: "squad" if answers else "squad-null")
    return examples


def dev_examples(data_dir: Path, dev_articles: int = 2) -> list[Example]:
    if dev_articles <= 0:
        return []
    return _examples(_xquad(data_dir, "vi")[XQUAD_TRAIN_ARTICLES - dev_articles:XQUAD_TRAIN_ARTICLES], lambda a: "xquad-vi")


def heldout_examples(data_dir: Path, language: str = "vi") -> list[Example]:
    """XQuAD articles 25-48: for measuring only."""
    return _examples(_xquad(data_dir, language)[XQUAD_TRAIN_ARTICLES:], lambda a: f"xquad-{language}")


def make_windows(examples: list[Example], tokenizer, max_tokens: int = 256, stride: int = 128,
                 max_question_tokens: int = 64) -> list[Window]:
    """Every example cut into windows of at most max_tokens; a new window starts every `stride` context tokens."""
    vocab = tokenizer.vocabulary
    contexts: dict[str, tuple[list[int], list[tuple[int, int]]]] = {}
    windows: list[Window] = []
    for index, example in enumerate(examples):
        if example.context not in contexts:
            encoding = tokenizer.encode(example.context)
            contexts[example.context] = (encoding.ids, encoding.offsets)
        context_ids, spans = contexts[example.context]
        question_ids = tokenizer.encode(example.question).ids[:max_question_tokens]
        head = [vocab.bos, *question_ids, vocab.eos, vocab.eos]
        room = max_tokens - len(head) - 1
        begin = 0
        while True:
            part = slice(begin, min(begin + room, len(context_ids)))
            start, end = _gold_positions(example, spans[part], len(head))
            windows.append(Window(index, head + context_ids[part] + [vocab.eos], len(head), spans[part], start, end))
            if part.stop >= len(context_ids):
                break
            begin += stride
    return windows


def _gold_positions(example: Example, spans: list[tuple[int, int]], offset: int) -> tuple[int, int]:
    if not example.answers or not spans:
        return 0, 0
    text, char_start = example.answers[0]
    char_end = char_start + len(text)
    if spans[0][0] > char_start or spans[-1][1] < char_end:
        return 0, 0
    start = next(i for i, (a, b) in enumerate(spans) if b > char_start)
    end = max(i for i, (a, b) in enumerate(spans) if a < char_end)
    if end < start:
        return 0, 0
    return offset + start, offset + end
