"""Generated Vietnamese news-like articles for the scale runs, cached as JSONL corpus folders.

Sentences of the seed articles and of the XQuAD-vi contexts are recombined into
articles of 300-800 words (runs of consecutive sentences as paragraphs, so the
text reads like a story and not like shuffled lines), with a title, and a
publication date spread over 2011-2024 so a date filter keeps about half.
Article `i` depends only on the seed and `i`: a corpus of N articles is always
the first N of one stream, and sizes share their files."""

from __future__ import annotations

import datetime
import hashlib
import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

GENERATOR_VERSION = 1
ARTICLES_PER_FILE = 1000
FIRST_DAY = datetime.date(2011, 1, 1)
LAST_DAY = datetime.date(2024, 12, 31)
# The date filter of the latency rows: 7 of the 14 years.
FILTER_SINCE, FILTER_UNTIL = "2015-01-01", "2021-12-31"
ADDED_ARTICLE = 10**9  # stream position of the article that `add one article` adds (never part of a size)
ADDED_FILE = "zz-bench-added.jsonl"

_DIGITS_RE = re.compile(r"\d{2,}")


@dataclass(frozen=True)
class SentencePool:
    sentences: tuple[str, ...]  # in source order: runs of neighbours read as a paragraph
    words: tuple[int, ...]
    fingerprint: str


def load_pool(xquad: Path, seed_dirs: list[Path]) -> SentencePool:
    """Sentences (5-70 words) of the seed articles and of the XQuAD-vi contexts."""
    from qa.ingest.corpus import load_corpus
    from qa.language.text import normalize, sentence_spans

    texts = []
    folders = [d for d in seed_dirs if d.is_dir()]
    if folders:
        articles, _ = load_corpus(folders)
        texts += [a.text for a in articles]
    data = json.loads(xquad.read_text(encoding="utf-8"))
    texts += [normalize(p["context"]) for article in data["data"] for p in article["paragraphs"]]
    sentences = []
    for text in texts:
        for start, end in sentence_spans(text):
            sentence = " ".join(text[start:end].split())
            if 5 <= len(sentence.split()) <= 70:
                sentences.append(sentence)
    digest = hashlib.sha256("\n".join(sentences).encode()).hexdigest()[:10]
    return SentencePool(tuple(sentences), tuple(len(s.split()) for s in sentences), digest)


def generate_article(pool: SentencePool, seed: int, i: int, words: int | None = None) -> dict:
    """Article `i` of the stream (a JSONL corpus record); `words` fixes its length instead of 300-800."""
    rng = np.random.default_rng([seed, i])
    target = words or int(rng.integers(300, 801))
    n = len(pool.sentences)
    paragraphs, total = [], 0
    while total < target:
        start = int(rng.integers(0, n))
        run = []
        for j in range(start, min(start + int(rng.integers(2, 6)), n)):
            run.append(_vary_numbers(pool.sentences[j], rng))
            total += pool.words[j]
            if total >= target:
                break
        paragraphs.append(" ".join(run))
    title_words = pool.sentences[int(rng.integers(0, n))].split()[: int(rng.integers(6, 15))]
    title = " ".join(title_words).rstrip(".,;:!?…")
    title = title[:1].upper() + title[1:]
    day = FIRST_DAY + datetime.timedelta(days=int(rng.integers(0, (LAST_DAY - FIRST_DAY).days + 1)))
    return {"id": f"bench{seed}-{i:07d}", "title": title, "date": day.isoformat(), "text": "\n\n".join(paragraphs)}


def _vary_numbers(sentence: str, rng: np.random.Generator) -> str:
    """Half of the numbers get other digits: recombined sentences should not all be exact repeats."""
    if not _DIGITS_RE.search(sentence):
        return sentence

    def swap(match: re.Match) -> str:
        if rng.random() < 0.5:
            return match.group(0)
        digits = rng.integers(0, 10, len(match.group(0)))
        digits[0] = max(int(digits[0]), 1)
        return "".join(map(str, digits))

    return _DIGITS_RE.sub(swap, sentence)


def passages_per_article(pool: SentencePool, seed: int, chunk_size: int, chunk_overlap: int, sample: int = 200) -> float:
    """Mean passages per generated article, with the index's own splitter."""
    from qa.ingest.chunking import split_article
    from qa.ingest.corpus import structured_article

    counts = [
        len(split_article(structured_article(generate_article(pool, seed, i), "bench"), chunk_size, chunk_overlap))
        for i in range(sample)
    ]
    return sum(counts) / len(counts)


class SynthCorpus:
    """The stream's JSONL files under `root`, and one folder per size that links to them.

    root/parts/part-00000.jsonl   articles 0-999, ...
    root/n10000/part-*.jsonl      links to the whole parts of that size, plus tail.jsonl for the rest"""

    def __init__(self, cache: Path, pool: SentencePool, seed: int, chunk_size: int, chunk_overlap: int) -> None:
        self.pool, self.seed = pool, seed
        self.root = cache / f"synth-v{GENERATOR_VERSION}-s{seed}-{pool.fingerprint}"
        self.root.mkdir(parents=True, exist_ok=True)
        meta = self.root / f"chunking-{chunk_size}-{chunk_overlap}.json"
        if meta.exists():
            self.passages_per_article = json.loads(meta.read_text())["passages_per_article"]
        else:
            self.passages_per_article = passages_per_article(pool, seed, chunk_size, chunk_overlap)
            meta.write_text(json.dumps({"passages_per_article": self.passages_per_article}))

    def articles_for(self, passages: int) -> int:
        return max(1, math.ceil(passages / self.passages_per_article))

    def folder(self, passages: int) -> Path:
        """A corpus folder of about `passages` passages (written on first use, then reused)."""
        count = self.articles_for(passages)
        folder = self.root / f"n{passages}"
        done = folder / ".complete"
        (folder / ADDED_FILE).unlink(missing_ok=True)  # left behind by an interrupted run
        if done.exists() and done.read_text() == str(count):
            return folder
        folder.mkdir(exist_ok=True)
        for old in folder.glob("*.jsonl"):
            old.unlink()
        whole = count // ARTICLES_PER_FILE
        for part in range(whole):
            target = self._part(part)
            (folder / target.name).symlink_to(os.path.relpath(target, folder))
        self._write(folder / "tail.jsonl", range(whole * ARTICLES_PER_FILE, count))
        done.write_text(str(count))
        return folder

    def _part(self, part: int) -> Path:
        path = self.root / "parts" / f"part-{part:05d}.jsonl"
        if not path.exists():
            path.parent.mkdir(exist_ok=True)
            self._write(path, range(part * ARTICLES_PER_FILE, (part + 1) * ARTICLES_PER_FILE))
        return path

    def _write(self, path: Path, numbers: range) -> None:
        tmp = path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            for i in numbers:
                f.write(json.dumps(generate_article(self.pool, self.seed, i), ensure_ascii=False) + "\n")
        os.replace(tmp, path)

    def added_article(self) -> dict:
        """The ~600-word article that the `add one article` rows add (not part of any size)."""
        record = generate_article(self.pool, self.seed, ADDED_ARTICLE, words=600)
        record["id"] = f"bench{self.seed}-added"
        return record


def write_added(folder: Path, record: dict) -> Path:
    path = folder / ADDED_FILE
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
