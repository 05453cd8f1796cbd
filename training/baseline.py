"""The non-anatomical baseline: how far image statistics alone (the source shortcut) get.

A logistic regression on an 8x8 block-mean thumbnail of the 128x128 preprocess array, border and
global intensity statistics and the original aspect ratio. It sees no anatomy, so any score it reaches
comes from where an image was made, not from what it shows.
"""

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, cross_val_predict
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from training import metrics
from training.dataset import Split

BORDER = 8  # pixels of the 128x128 input


def features(split: Split) -> np.ndarray:
    images = split.images[..., 0]
    n, size, _ = images.shape
    thumbnail = images.reshape(n, 8, size // 8, 8, size // 8).mean(axis=(2, 4)).reshape(n, 64)
    strips = [images[:, :BORDER], images[:, -BORDER:], images[:, :, :BORDER], images[:, :, -BORDER:]]
    border = [f(s, axis=(1, 2)) for s in strips for f in (np.mean, np.std)]
    flat = images.reshape(n, -1)
    intensity = [flat.mean(1), flat.std(1), *np.percentile(flat, [1, 5, 50, 95, 99], axis=1)]
    extremes = [(flat < 0.02).mean(1), (flat > 0.98).mean(1)]
    aspect = [np.log([f.width / f.height for f in split.facts])]
    return np.column_stack([thumbnail, *border, *intensity, *extremes, *aspect]).astype(np.float64)


def _classifier() -> Pipeline:
    return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=5000))


def fit(train: Split) -> tuple[Pipeline, float]:
    """Fit on the train split; its threshold (same rule as the model's) comes from patient-grouped 5-fold
    out-of-fold predictions, so it is chosen without looking at the images it is judged on."""
    x, y = features(train), train.is_covid
    groups = [r["patient_id"] for r in train.rows]
    out_of_fold = cross_val_predict(_classifier(), x, y, groups=groups, cv=GroupKFold(5), method="predict_proba")
    return _classifier().fit(x, y), metrics.choose_threshold(y, out_of_fold[:, 1])


def p_covid(classifier: Pipeline, split: Split) -> np.ndarray:
    return classifier.predict_proba(features(split))[:, 1]
