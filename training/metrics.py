"""Binary figures for covid vs rest: AUC, the operating threshold, confusion matrix, calibration."""

import math

import numpy as np
from sklearn.metrics import roc_auc_score


def auc(is_covid: np.ndarray, p_covid: np.ndarray) -> float | None:
    """ROC AUC, or None when only one class is present (it is undefined then)."""
    if len(set(np.asarray(is_covid).tolist())) < 2:
        return None
    return float(roc_auc_score(is_covid, p_covid))


def choose_threshold(is_covid: np.ndarray, p_covid: np.ndarray, min_sensitivity: float = 0.90) -> float:
    """Highest specificity with sensitivity >= min_sensitivity, for the rule `p_covid >= threshold`.

    The threshold sits halfway between the lowest covid score that must be caught and the next lower
    score, so float noise between training and serving cannot move an image across it.
    """
    p_covid = np.asarray(p_covid, dtype=np.float64)
    positives = np.sort(p_covid[np.asarray(is_covid) == 1])[::-1]
    must_catch = math.ceil(min_sensitivity * len(positives) - 1e-9)
    lowest_caught = positives[must_catch - 1]
    below = p_covid[p_covid < lowest_caught]
    return float((lowest_caught + below.max()) / 2 if below.size else lowest_caught / 2)


def confusion(is_covid: np.ndarray, p_covid: np.ndarray, threshold: float) -> dict:
    predicted = np.asarray(p_covid) >= threshold
    actual = np.asarray(is_covid) == 1
    return {
        "true_positive": int(np.sum(predicted & actual)),
        "false_negative": int(np.sum(~predicted & actual)),
        "false_positive": int(np.sum(predicted & ~actual)),
        "true_negative": int(np.sum(~predicted & ~actual)),
    }


def at_threshold(is_covid: np.ndarray, p_covid: np.ndarray, threshold: float) -> dict:
    """Sensitivity, specificity and the confusion matrix at a fixed threshold."""
    c = confusion(is_covid, p_covid, threshold)
    positives, negatives = c["true_positive"] + c["false_negative"], c["true_negative"] + c["false_positive"]
    return {
        "threshold": threshold,
        "sensitivity": c["true_positive"] / positives if positives else None,
        "specificity": c["true_negative"] / negatives if negatives else None,
        "confusion_matrix": c,
    }


def calibration(is_covid: np.ndarray, p_covid: np.ndarray, bins: int = 10) -> dict:
    """Expected calibration error over equal-width bins of p_covid, with the per-bin table behind it."""
    is_covid, p_covid = np.asarray(is_covid, dtype=np.float64), np.asarray(p_covid, dtype=np.float64)
    index = np.minimum((p_covid * bins).astype(int), bins - 1)
    table, ece = [], 0.0
    for b in range(bins):
        inside = index == b
        n = int(inside.sum())
        row = {"low": b / bins, "high": (b + 1) / bins, "count": n, "mean_p_covid": None, "fraction_covid": None}
        if n:
            row["mean_p_covid"] = float(p_covid[inside].mean())
            row["fraction_covid"] = float(is_covid[inside].mean())
            ece += n / len(p_covid) * abs(row["mean_p_covid"] - row["fraction_covid"])
        table.append(row)
    return {"ece": ece, "bins": table}
