"""How well the LLM verifier (qa/llm/verify.py) tells supported sentences from unsupported ones, on sentences
built from a corpus: a benchmark, not a timed test.

    python -m qa.bench.verifier --corpus corpus --corpus eval/distractors [--json OUT]

Supported sentences (each cited to its own passage): a sentence copied from the passage; the same without its
leading adverbial (`Chiều 05/01, …`); with `Theo bài viết, ` in front; with one word swapped for a synonym; cut
after its first clauses. Unsupported ones: a number changed, a date moved by a day, a name replaced by one from
another article; a copied sentence cited to a passage of another article (a random one, and the nearest one by
shared words, which is often a near-duplicate of another year). Reported: acceptance of the supported (recall),
rejection of the unsupported, precision of what is accepted; the bars are >= 0.85 and >= 0.95."""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path

from qa.ingest.chunking import split_article
from qa.ingest.corpus import corpus_files, read_articles
from qa.language.text import sentence_spans
from qa.llm.verify import check_sentence, content_words, names

SYNONYMS = {"tổ chức": "tiến hành", "tham dự": "dự", "chủ trì": "điều hành", "phát biểu": "nói", "khai mạc": "mở đầu",
            "đồng chí": "ông", "nhằm": "để", "hội nghị": "cuộc họp", "tặng": "trao", "đạt": "giành"}
_NUMBER_RE = re.compile(r"(?<![\d.,/])\d+(?![\d.,/]\d)")
_DATE_RE = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})(?![\d])")
_LEAD_RE = re.compile(r"^(?:(?:Sáng|Chiều|Tối|Trưa|Ngày|Hôm nay|Trong|Sau|Thời gian qua)[^,]{0,40}),\s*")


def _passage_text(article, passage) -> str:
    """As the prompt gives it to the model (qa/llm/prompt.py): title (date), then the passage."""
    return article.title + (f" ({article.date})" if article.date else "") + "\n" + passage.text


def build(articles, seed: int = 24, per_passage: int = 2) -> list[dict]:
    """{kind, supported, sentence, cited passage text, short} items."""
    rng = random.Random(seed)
    passages = [(a, p) for a in articles for p in split_article(a, 600, 120)]
    all_names = sorted({n for a in articles for n in names(a.text)})
    items = []
    for article, passage in passages:
        own = _passage_text(article, passage)
        others = [j for j, (b, _) in enumerate(passages) if b.doc_id != article.doc_id]
        words = set(content_words(own))
        nearest = max(others, key=lambda j: len(words & set(content_words(_passage_text(*passages[j])))))
        sentences = [passage.text[a:b].strip() for a, b in sentence_spans(passage.text)]
        sentences = [s for s in sentences if len(content_words(s)) >= 5]
        for s in rng.sample(sentences, min(per_passage, len(sentences))):
            add = lambda kind, ok, text, cited=own: items.append(  # noqa: E731
                {"kind": kind, "supported": ok, "sentence": text, "passage": cited})
            add("copy", True, s)
            lead = _LEAD_RE.sub("", s)
            if lead != s:
                add("no_lead", True, lead[:1].upper() + lead[1:])
            add("prefixed", True, "Theo bài viết, " + s[:1].lower() + s[1:])
            swaps = [(w, v) for w, v in SYNONYMS.items() if w in s]
            if swaps:
                w, v = rng.choice(swaps)
                add("synonym", True, s.replace(w, v, 1))
            parts = s.split(", ")
            if len(parts) >= 3:
                add("clauses", True, ", ".join(parts[:2]) + ".")
            numbers = [m for m in _NUMBER_RE.finditer(s) if not _DATE_RE.search(s[max(0, m.start() - 3):m.end() + 3])]
            if numbers:
                m = rng.choice(numbers)
                changed = str(int(m.group(0)) + rng.choice([1, 2, 10]))
                add("number", False, s[:m.start()] + changed + s[m.end():])
            date = _DATE_RE.search(s)
            if date:
                day = int(date.group(1)) % 28 + 1
                add("date", False, s[:date.start()] + f"{day:02d}/{date.group(2)}" + s[date.end():])
            own_names = [n for n in names(s) if n in s]
            strangers = [n for n in all_names if n.lower() not in own.lower()]
            if own_names and strangers:
                add("name", False, s.replace(rng.choice(own_names), rng.choice(strangers), 1))
            add("wrong_passage", False, s, _passage_text(*passages[rng.choice(others)]))
            if s not in _passage_text(*passages[nearest]):  # a sentence the near-duplicate repeats word for word is true of it
                add("nearest_passage", False, s, _passage_text(*passages[nearest]))
    return items


def measure(items: list[dict]) -> dict:
    results = []
    for item in items:
        checked = check_sentence(item["sentence"], (1,), {1: item["passage"]})
        results.append({**item, "accepted": checked.kept, "reason": checked.reason, "support": round(checked.support, 3)})
    supported = [r for r in results if r["supported"]]
    unsupported = [r for r in results if not r["supported"]]
    accepted = [r for r in results if r["accepted"]]
    by_kind = {}
    for r in results:
        k = by_kind.setdefault(r["kind"], {"n": 0, "accepted": 0})
        k["n"] += 1
        k["accepted"] += r["accepted"]
    return {
        "supported": len(supported), "unsupported": len(unsupported),
        "acceptance_of_supported": round(sum(r["accepted"] for r in supported) / len(supported), 4),
        "rejection_of_unsupported": round(sum(not r["accepted"] for r in unsupported) / len(unsupported), 4),
        "precision": round(sum(r["supported"] for r in accepted) / len(accepted), 4) if accepted else 0.0,
        "by_kind": by_kind,
        "errors": [{k: r[k] for k in ("kind", "sentence", "reason", "support")} for r in results if r["accepted"] != r["supported"]][:40],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="đo bộ kiểm tra câu do mô hình ngôn ngữ viết")
    parser.add_argument("--corpus", action="append", default=None, help="thư mục kho bài (lặp lại được)")
    parser.add_argument("--json", help="ghi kết quả vào tệp JSON này")
    args = parser.parse_args(argv)
    articles = []
    for folder in args.corpus or ["corpus"]:
        for path in corpus_files(Path(folder)):
            articles += read_articles(path)[0]
    report = measure(build(articles))
    report["articles"] = len(articles)
    text = json.dumps(report, ensure_ascii=False, indent=1)
    if args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in report.items() if k != "errors"}, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
