"""`qa train-answers`: fit the extractor's ranker and its calibration on dev data, write extractor_model.json.

Training data (dev only): XQuAD-vi articles 1-24 (the first 24 entries of `data`; 25-48 are held
out and never read here) and `eval/dev.jsonl` over the seed corpus and the distractors. Each question
is read as at question time: the sentences of its gold paragraph / articles that cover the question
best, their candidates, and the F1 of each candidate against the gold answer.

The calibration is fitted on out-of-fold predictions (4 folds by article: every question's best span
is scored by a ranker that never saw its article), then the ranker is refitted on everything.
Same files in, same bytes out: no randomness, a fixed number of steps, sorted keys, rounded weights."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.answer.candidates import tokenize
from qa.answer.extractor import TOP_SENTENCES, ExtractorModel, build_group, calibration_inputs, question_view, softmax
from qa.answer.features import sentence_coverage
from qa.answer.ranker import Design, fit, fit_logistic
from qa.answer.spans import SentenceInput
from qa.language.text import has_diacritics, normalize_short, sentence_spans, token_f1

XQUAD_TRAIN_ARTICLES = 24  # articles 25-48 of XQuAD are held out
FOLDS = 4
SETTINGS = {"l2": 1e-2, "steps": 300, "rate": 0.05, "top_sentences": TOP_SENTENCES, "folds": FOLDS, "positive_f1": 0.5,
            "correct_f1": 0.5, "min_questions": 3,
            # The news of the corpus is what the system answers; XQuAD's Wikipedia is the bulk of the data.
            "dev_weight": 4.0}
SKIP_KINDS = ("author", "posted")  # answered from the article's metadata, not by a span


@dataclass(frozen=True)
class Example:
    source: str  # "xquad" or "dev"
    article: str  # fold key
    question: str
    answers: tuple[str, ...]
    sentences: tuple[SentenceInput, ...]


def _best_sentences(question: str, doc_id: str, text: str, title: str, date: str | None, limit: int) -> list[SentenceInput]:
    """The sentences of a text that cover the question best, as the answerer would hand them over."""
    qv = question_view(question)
    folded = not has_diacritics(question)
    spans = sentence_spans(text)
    cov = [sentence_coverage(qv, tokenize(text, a, b, folded)) for a, b in spans]
    order = sorted(range(len(spans)), key=lambda k: (-cov[k], k))[:limit]
    return [SentenceInput(doc_id, text, *spans[k], title, date, 0, 0.0, cov[k]) for k in order]


def xquad_examples(path: Path) -> list[Example]:
    data = json.loads(path.read_text(encoding="utf-8"))["data"][:XQUAD_TRAIN_ARTICLES]
    out = []
    for article in data:
        for i, paragraph in enumerate(article["paragraphs"]):
            context = paragraph["context"]
            for qa in paragraph["qas"]:
                answers = tuple(dict.fromkeys(a["text"] for a in qa["answers"]))
                sentences = _best_sentences(qa["question"], f"{article['title']}#{i}", context, "", None, TOP_SENTENCES)
                out.append(Example("xquad", article["title"], qa["question"], answers, tuple(sentences)))
    return out


def dev_examples(path: Path, corpus_dirs: list[Path]) -> list[Example]:
    from qa.ingest.corpus import load_corpus

    articles = {a.doc_id: a for a in load_corpus(corpus_dirs)[0]}
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        if not r.get("answer") or not r.get("gold") or r.get("previous") or question_view(r["question"]).kind in SKIP_KINDS:
            continue
        sentences = []
        for doc_id in r["gold"]:
            a = articles.get(doc_id)
            if a is not None:
                sentences += _best_sentences(r["question"], doc_id, a.text, a.title, a.date, TOP_SENTENCES)
        sentences.sort(key=lambda s: -s.sentence_score)  # stable: ties keep article order
        if sentences:
            out.append(Example("dev", r["gold"][0], r["question"], (r["answer"],), tuple(sentences[:TOP_SENTENCES])))
    return out


def data_hash(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        for file in sorted(path.rglob("*")) if path.is_dir() else [path]:
            if file.is_file():
                digest.update(file.name.encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()


@dataclass
class _Prepared:
    example: Example
    rows: list[dict[str, float]]
    f1: list[float]
    coverage: list[float]  # of the sentence of each candidate
    qv: object


def prepare(examples: list[Example]) -> list[_Prepared]:
    out = []
    for e in examples:
        group = build_group(e.question, e.sentences)
        f1s, covs = [], []
        for c in group.candidates:
            tokens = group.tokens[c.sentence]
            text = e.sentences[c.sentence].article_text[tokens[c.i].start:tokens[c.j - 1].end]
            f1s.append(max(token_f1(text, g) for g in e.answers) if normalize_short(text) else 0.0)
            covs.append(group.coverage[c.sentence])
        out.append(_Prepared(e, group.rows, f1s, covs, group.question))
    return out


def _targets(f1s: list[float]) -> list[float]:
    top = max(f1s, default=0.0)
    return [1.0 if top >= SETTINGS["positive_f1"] and f == top else 0.0 for f in f1s]


def _fit(prepared: list[_Prepared]) -> dict[str, float]:
    # Features of fewer than `min_questions` questions are noise to the ranker and bulk to the file.
    seen = Counter(name for p in prepared for name in {n for row in p.rows for n in row})
    vocab = {name: i for i, name in enumerate(sorted(n for n, c in seen.items() if c >= SETTINGS["min_questions"]))}
    design = Design(vocab)
    for p in prepared:
        design.add_group(p.rows, _targets(p.f1), grow=False, weight=SETTINGS["dev_weight"] if p.example.source == "dev" else 1.0)
    w = fit(design, l2=SETTINGS["l2"], steps=SETTINGS["steps"], rate=SETTINGS["rate"])
    return {name: round(float(w[i]), 6) for name, i in vocab.items() if round(float(w[i]), 6) != 0.0}


def _best(model: ExtractorModel, p: _Prepared) -> tuple[float, float, float]:
    """(probability, coverage, F1) of the best candidate of a question under `model`."""
    if not p.rows:
        return 0.0, 0.0, 0.0
    prob = softmax(model.scores(p.rows))
    k = int(np.argmax(prob))
    return float(prob[k]), p.coverage[k], p.f1[k]


def train(xquad: Path, dev: Path, corpus_dirs: list[Path], log=print) -> dict:
    """The model file's content (a dict): weights, calibration, settings, data hash and out-of-fold figures."""
    examples = xquad_examples(xquad) + dev_examples(dev, corpus_dirs)
    log(f"{len(examples)} câu hỏi huấn luyện ({sum(e.source == 'xquad' for e in examples)} XQuAD-vi 1-24, "
        f"{sum(e.source == 'dev' for e in examples)} eval/dev.jsonl)")
    prepared = prepare(examples)
    articles = sorted({(p.example.source, p.example.article) for p in prepared})
    fold_of = {key: i % FOLDS for i, key in enumerate(articles)}
    oof: list[tuple[float, float, float] | None] = [None] * len(prepared)
    for fold in range(FOLDS):
        inside = [p for p in prepared if fold_of[(p.example.source, p.example.article)] != fold]
        model = ExtractorModel(_fit(inside), (0.0, 0.0, 0.0, 0.0))
        for i, p in enumerate(prepared):
            if fold_of[(p.example.source, p.example.article)] == fold:
                oof[i] = _best(model, p)
        log(f"fold {fold + 1}/{FOLDS}")
    x = np.array([calibration_inputs(prob, cov, p.qv) for (prob, cov, _), p in zip(oof, prepared)])
    y = np.array([float(f1 >= SETTINGS["correct_f1"]) for _, _, f1 in oof])
    calibration = [round(v, 6) for v in fit_logistic(x, y)]
    weights = _fit(prepared)
    calibrated = ExtractorModel({}, tuple(calibration))
    figures = _figures(prepared, oof, [calibrated.calibrated(list(row)) for row in x])
    paths = [xquad, dev, *corpus_dirs]
    return {
        "about": "Weights of the typed short-answer extractor (qa/answer/extractor.py); written by `qa train-answers`.",
        "training_data": {"xquad_vi_articles": f"1-{XQUAD_TRAIN_ARTICLES}", "dev": dev.name, "corpus": [p.name for p in corpus_dirs],
                          "questions": len(examples), "sha256": data_hash(paths)},
        "settings": SETTINGS,
        "calibration": {"inputs": ["logit(best probability)", "sentence coverage", "has wh-word"], "weights": calibration},
        "dev_figures": figures,
        "weights": dict(sorted(weights.items())),
    }


def _figures(prepared, oof, confidence) -> dict:
    """Out-of-fold short-answer F1 / exact per source, and the share answered vs F1 at confidence thresholds."""
    out = {}
    for source in ("xquad", "dev"):
        idx = [i for i, p in enumerate(prepared) if p.example.source == source]
        if not idx:
            continue
        f1 = [oof[i][2] for i in idx]
        out[source] = {"questions": len(idx), "short_f1": round(float(np.mean(f1)), 4),
                       "short_exact": round(float(np.mean([v == 1.0 for v in f1])), 4),
                       "best_candidate_f1": round(float(np.mean([max(prepared[i].f1, default=0.0) for i in idx])), 4)}
    curve = []
    for threshold in (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        kept = [i for i, c in enumerate(confidence) if c >= threshold]
        curve.append({"threshold": threshold, "answered": round(len(kept) / len(confidence), 4),
                      "f1_answered": round(float(np.mean([oof[i][2] for i in kept])), 4) if kept else 0.0})
    out["confidence_curve"] = curve
    return out


def write_model(content: dict, path: Path) -> None:
    path.write_text(json.dumps(content, ensure_ascii=False, indent=1, sort_keys=False) + "\n", encoding="utf-8")
