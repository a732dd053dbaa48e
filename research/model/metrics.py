"""Information coefficient: the correlation of prediction and label across symbols at each snapshot,
averaged over snapshots (Pearson, and Spearman on ranks). Snapshots with fewer than 3 labelled symbols
or a constant prediction or label have no correlation and are left out of the mean."""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata


def _corr(a: np.ndarray, b: np.ndarray) -> float | None:
    a = a - a.mean()
    b = b - b.mean()
    den = np.sqrt((a * a).sum() * (b * b).sum())
    if not den > 1e-300:
        return None
    return float((a * b).sum() / den)


def information_coefficient(pred: np.ndarray, label: np.ndarray, snapshot: np.ndarray) -> dict:
    order = np.argsort(snapshot, kind="stable")
    pred, label, snapshot = pred[order], label[order], snapshot[order]
    bounds = np.flatnonzero(np.diff(snapshot)) + 1
    pearson, spearman = [], []
    for p, y in zip(np.split(pred, bounds), np.split(label, bounds)):
        if len(p) < 3:
            continue
        c = _corr(p, y)
        if c is None:
            continue
        pearson.append(c)
        spearman.append(_corr(rankdata(p), rankdata(y)))
    spearman = [s for s in spearman if s is not None]
    return {
        "pearson": float(np.mean(pearson)) if pearson else None,
        "spearman": float(np.mean(spearman)) if spearman else None,
        "snapshots": len(pearson),
        "rows": int(len(pred)),
    }
