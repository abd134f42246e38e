"""One calibrated probability that the shown short answer is right, whichever reader produced it.

The two readers' own scores live on different scales (the typed extractor's is calibrated on its candidates,
the neural reader's is a sigmoid of span minus null logit), and neither knows what retrieval saw. A logistic
model over the facts of one answer (`confidence_parts`: the reader's score and its margin to the next span,
whether the other reader agrees, how much of the question the evidence covers and how close it is, the
question's kind, whether a clause was asked for and a fragment found, the constraint verdicts) turns them into
one probability. It is fitted on development questions only (`qa calibrate`: eval/dev.jsonl and XQuAD-vi
articles 23-24, end to end), deterministically (Newton steps from zero with an L2 penalty), and the file holds
the threshold at which dev answers were right at least `target_precision` of the time: "confident" means that."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from qa.language.text import fold_diacritics

CALIBRATION_PATH = Path(__file__).with_name("calibration.json")
FEATURES = ("reader_logit", "margin", "agree", "disagree", "coverage", "similarity", "weak", "neural", "typed_kind",
            "clause_question", "fragment", "span_words", "constraints", "top_hit")

# Questions answered by a clause or a sentence: why, how, what to do, what something is.
_CLAUSE_RE = re.compile(
    r"\b(tai sao|vi sao|vi le gi|ly do|nguyen nhan|de lam gi|muc dich|nhu the nao|lam the nao|bang cach nao|ra sao|the nao"
    r"|(?:can|phai|nen) lam (?:nhung )?gi|lam gi de|la gi|co y nghia gi|anh huong (?:gi|nhu the nao)|tac dung gi|vai tro gi)\b")


def asks_for_a_clause(question: str) -> bool:
    return bool(_CLAUSE_RE.search(fold_diacritics(question.lower())))


def logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


@dataclass(frozen=True)
class Calibration:
    weights: tuple[float, ...]  # one per FEATURES, then the bias
    threshold: float  # probability from which an answer is shown as confident
    target_precision: float

    def probability(self, parts: dict[str, float]) -> float:
        z = self.weights[-1] + sum(w * float(parts.get(name, 0.0)) for name, w in zip(FEATURES, self.weights))
        return 1 / (1 + math.exp(-z)) if z > -700 else 0.0


@lru_cache(maxsize=4)
def load_calibration(path: Path = CALIBRATION_PATH) -> Calibration | None:
    """The fitted calibration, or None when no file was written (the readers' own scores are used then)."""
    if not Path(path).exists():
        return None
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if tuple(data["features"]) != FEATURES:
        return None  # fitted on other facts: refit with `qa calibrate`
    return Calibration(tuple(data["weights"]), float(data["threshold"]), float(data["target_precision"]))


def design(rows: list[dict[str, float]]) -> np.ndarray:
    return np.array([[float(r.get(name, 0.0)) for name in FEATURES] + [1.0] for r in rows], dtype=np.float64)


def fit(rows: list[dict[str, float]], labels: list[int], l2: float = 1.0, steps: int = 50) -> tuple[float, ...]:
    """Logistic regression by Newton's method from zero (deterministic); the bias is not penalized."""
    x, y = design(rows), np.asarray(labels, dtype=np.float64)
    w = np.zeros(x.shape[1])
    penalty = np.full(x.shape[1], l2)
    penalty[-1] = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-np.clip(x @ w, -30, 30)))
        gradient = x.T @ (p - y) + penalty * w
        hessian = (x * (p * (1 - p))[:, None]).T @ x + np.diag(penalty) + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-10:
            break
    return tuple(round(float(v), 6) for v in w)


def choose_threshold(probabilities: list[float], labels: list[int], target: float = 0.9, min_support: int = 10) -> float:
    """The lowest probability t such that the answers at or above t are right at least `target` of the time
    (among at least `min_support` of them); 1.0 when no such t exists (nothing is then shown as confident)."""
    order = sorted(range(len(probabilities)), key=lambda i: (-probabilities[i], i))
    right = 0
    best = 1.0
    for count, i in enumerate(order, 1):
        right += labels[i]
        nxt = probabilities[order[count]] if count < len(order) else -1.0
        if nxt == probabilities[i]:
            continue  # ties stand or fall together
        if count >= min_support and right / count >= target:
            best = probabilities[i]
    return round(best, 6)


def write_calibration(path: Path, weights: tuple[float, ...], threshold: float, target: float, figures: dict) -> None:
    path.write_text(json.dumps({"features": list(FEATURES), "weights": list(weights), "threshold": threshold,
                                "target_precision": target, "figures": figures}, indent=1, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    load_calibration.cache_clear()
