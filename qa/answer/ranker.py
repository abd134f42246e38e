"""A conditional-logit ranker over the candidates of one question (numpy only), and its calibration.

Each question is a group of candidates; the model is a softmax over the group of a linear score
of the sparse features. Training maximises the probability of the best candidates (those with the
group's highest F1 against the gold answer), with an L2 penalty, by full-batch Adam from zero:
the same data gives the same weights, to the last bit."""

from __future__ import annotations

import numpy as np


class Design:
    """Sparse feature rows of many groups, in CSR-like arrays."""

    def __init__(self, vocab: dict[str, int]) -> None:
        self.vocab = vocab
        self.rows: list[int] = []
        self.cols: list[int] = []
        self.vals: list[float] = []
        self.group_of: list[int] = []
        self.targets: list[float] = []
        self.group_weights: list[float] = []
        self.n = 0
        self.groups = 0

    def add_group(self, feature_rows: list[dict[str, float]], targets: list[float], grow: bool, weight: float = 1.0) -> None:
        for feats, target in zip(feature_rows, targets):
            for name in sorted(feats):
                idx = self.vocab.get(name)
                if idx is None:
                    if not grow:
                        continue
                    idx = self.vocab[name] = len(self.vocab)
                self.rows.append(self.n)
                self.cols.append(idx)
                self.vals.append(feats[name])
            self.group_of.append(self.groups)
            self.targets.append(target)
            self.n += 1
        self.groups += 1
        self.group_weights.append(weight)

    def arrays(self):
        return (np.asarray(self.rows, dtype=np.int64), np.asarray(self.cols, dtype=np.int64), np.asarray(self.vals, dtype=np.float64),
                np.asarray(self.group_of, dtype=np.int64), np.asarray(self.targets, dtype=np.float64))


def group_softmax(scores: np.ndarray, group: np.ndarray, groups: int) -> np.ndarray:
    top = np.full(groups, -np.inf)
    np.maximum.at(top, group, scores)
    e = np.exp(scores - top[group])
    total = np.bincount(group, weights=e, minlength=groups)
    return e / total[group]


def fit(design: Design, l2: float = 1e-3, steps: int = 400, rate: float = 0.05) -> np.ndarray:
    """Weights maximising sum over groups of log sum_{best} p, minus l2 * |w|^2 * groups."""
    rows, cols, vals, group, target = design.arrays()
    groups, dim = design.groups, len(design.vocab)
    # Target distribution per group: uniform over its best candidates.
    mass = np.bincount(group, weights=target, minlength=groups)
    useful = mass[group] > 0
    q = np.where(useful, target / np.where(mass[group] > 0, mass[group], 1.0), 0.0)
    weight = np.asarray(design.group_weights, dtype=np.float64)
    n_useful = max(float(weight[mass > 0].sum()), 1.0)
    w = np.zeros(dim)
    m = np.zeros(dim)
    v = np.zeros(dim)
    b1, b2 = 0.9, 0.999
    for step in range(1, steps + 1):
        scores = np.bincount(rows, weights=w[cols] * vals, minlength=design.n)
        p = group_softmax(scores, group, groups)
        resid = np.where(useful, p - q, 0.0) * weight[group]  # d(-log-likelihood)/d(score), cross-entropy against q
        grad = np.bincount(cols, weights=resid[rows] * vals, minlength=dim) / n_useful + 2 * l2 * w
        m = b1 * m + (1 - b1) * grad
        v = b2 * v + (1 - b2) * grad * grad
        w -= rate * (m / (1 - b1 ** step)) / (np.sqrt(v / (1 - b2 ** step)) + 1e-8)
    return w


def fit_logistic(x: np.ndarray, y: np.ndarray, ridge: float = 1e-2, steps: int = 100) -> list[float]:
    """Logistic regression weights (bias last) of y on the columns of x, by Newton's method with a small ridge."""
    design = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(design.shape[1])
    penalty = np.full(design.shape[1], ridge)
    penalty[-1] = 1e-9
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(design @ w)))
        grad = design.T @ (p - y) + penalty * w
        hess = (design * (p * (1 - p))[:, None]).T @ design + np.diag(penalty)
        delta = np.linalg.solve(hess, grad)
        w -= delta
        if np.abs(delta).max() < 1e-12:
            break
    return [float(v) for v in w]
