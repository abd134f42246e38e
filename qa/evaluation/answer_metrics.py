"""Metrics of what a user reads: the short answer, partial answers, and confident wrong answers.

- short_exact: the normalized short answer equals a normalized gold answer (SQuAD exact match).
- short_f1: SQuAD token F1 of the short answer against the best gold answer; 0 without a short answer.
- partial_rate: share of all questions answered with "the corpus lacks this; nearest: ...".
- wrong_confident: share of all questions answered confidently (shown as confident: neither abstained,
  partial, nor marked "chưa chắc chắn") and wrongly: an answerable question whose answer does not contain
  the gold answer, or an unanswerable one.
- confident_rate: share of all questions answered confidently.

The confidence curve: for thresholds on the answer's confidence, the share of the questions with a gold
answer whose answer reaches it, and the mean short F1 over those.

The short metrics are over the answerable questions that have a gold answer. The short answer scored
is the span extracted from the article (a year added to a bare day/month for display is not scored)."""

from __future__ import annotations

from qa.language.text import normalize_short, token_f1

ANSWER_METRICS = ("short_exact", "short_f1", "partial_rate", "wrong_confident", "confident_rate")
PART_NAMES = {"all": "tất cả", "first_half": "nửa đầu", "second_half": "nửa sau"}
CURVE_THRESHOLDS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def short_scores(short: str | None, answers: tuple[str, ...]) -> tuple[float, float]:
    """(exact, F1) of a short answer against the best of the gold answers; (0, 0) without one."""
    if not short or not answers:
        return 0.0, 0.0
    exact = float(any(normalize_short(short) == normalize_short(g) for g in answers))
    return exact, max(token_f1(short, g) for g in answers)


def answer_metrics(questions, results, hit) -> dict[str, float]:
    """The four metrics over `questions` and their `results` (QuestionResult); `hit(answers, text)` is answer_hit."""
    with_answers = [(q, r) for q, r in zip(questions, results) if q.gold and q.answers]
    exact = f1 = 0.0
    for q, r in with_answers:
        if r.abstained or r.partial:
            continue
        e, f = short_scores(r.short_answer, q.answers)
        exact, f1 = exact + e, f1 + f
    wrong = 0
    for q, r in zip(questions, results):
        if r.abstained or r.partial or not getattr(r, "confident", True):
            continue
        if not q.gold or (q.answers and not hit(q.answers, r.answer)):
            wrong += 1
    n = len(questions) or 1
    return {
        "short_exact": exact / len(with_answers) if with_answers else 0.0,
        "short_f1": f1 / len(with_answers) if with_answers else 0.0,
        "partial_rate": sum(r.partial for r in results) / n,
        "wrong_confident": wrong / n,
        "confident_rate": sum(not (r.abstained or r.partial) and getattr(r, "confident", True) for r in results) / n,
    }


def confidence_curve(questions, results) -> list[dict]:
    """[{threshold, answered, f1_answered}]: answered = share of the questions with a gold answer whose
    (not abstained) answer has at least that confidence; f1_answered = their mean short F1."""
    scored = [(getattr(r, "confidence", 0.0), short_scores(r.short_answer, q.answers)[1])
              for q, r in zip(questions, results) if q.gold and q.answers and not (r.abstained or r.partial)]
    total = sum(1 for q in questions if q.gold and q.answers) or 1
    curve = []
    for t in CURVE_THRESHOLDS:
        kept = [f for c, f in scored if c >= t]
        curve.append({"threshold": t, "answered": round(len(kept) / total, 4),
                      "f1_answered": round(sum(kept) / len(kept), 4) if kept else 0.0})
    return curve


def curve_table(out: dict) -> str:
    rows = ["| phần | chế độ | " + " | ".join(f"≥{t:.1f}" for t in CURVE_THRESHOLDS) + " |", "|---|---|" + "---|" * len(CURVE_THRESHOLDS)]
    parts = [("all", out)] + list(out.get("halves", {}).items())
    for name, part in parts:
        for mode, curve in part.get("confidence_curves", {}).items():
            cells = " | ".join(f"{p['answered']:.2f} / {p['f1_answered']:.2f}" for p in curve)
            rows.append(f"| {PART_NAMES.get(name, name)} | {mode} | {cells} |")
    return "\n".join(rows)


def plot_confidence(path, title: str, out: dict) -> None:
    """Share answered (x) against short F1 on the answered (y), one line per mode and part."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=110)
    parts = [("all", out)] + list(out.get("halves", {}).items())
    for name, part in parts:
        for mode, curve in part.get("confidence_curves", {}).items():
            ax.plot([p["answered"] for p in curve], [p["f1_answered"] for p in curve], marker="o", markersize=3,
                    label=f"{mode} ({PART_NAMES.get(name, name)})")
    ax.set_xlabel("tỉ lệ câu được trả lời (độ tin cậy ≥ ngưỡng)")
    ax.set_ylabel("F1 câu trả lời ngắn trên các câu đó")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
