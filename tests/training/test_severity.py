"""The severity regression: grouped cross-validation on a small synthetic set, and the committed report's figures."""

import json

import numpy as np
import pytest

from devtools.sample_xrays import DATA_DIR
from training.severity import MAXIMA, REPORT, SCORES, cross_validate, figures, read_labels


@pytest.fixture(scope="module")
def synthetic():
    """60 images of 30 patients; the scores follow two of 10 features, plus noise."""
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(30), 2)
    features = rng.normal(size=(60, 10))
    targets = np.stack([4 + 1.5 * features[:, 0], 3 + 1.0 * features[:, 1]], axis=1) + rng.normal(0, 0.3, (60, 2))
    return features, np.clip(targets, 0, MAXIMA), groups


def test_cross_validation_beats_the_mean_on_a_learnable_signal(synthetic):
    features, targets, groups = synthetic
    result = cross_validate(features, targets, groups)
    for score in figures(targets, result["predictions"], result["baseline"]).values():
        assert score["mae"] < 0.5 * score["baseline_mae"] and score["pearson_r"] > 0.8


def test_folds_keep_a_patient_together_and_predictions_on_the_scales(synthetic):
    features, targets, groups = synthetic
    result = cross_validate(features * 50, targets, groups)  # large features push raw predictions off the scales
    for patient in np.unique(groups):
        assert len(set(result["fold"][groups == patient])) == 1
    assert set(result["fold"]) == set(range(5))
    assert ((result["predictions"] >= 0) & (result["predictions"] <= MAXIMA)).all()


def test_head_is_the_mean_of_the_fold_models_with_their_spread_and_the_residual(synthetic):
    features, targets, groups = synthetic
    head = cross_validate(features, targets, groups)["head"]
    score, sd = head.predict(features[:3])
    each = np.stack([features[:3] @ w + b for w, b in zip(head.weights, head.bias, strict=True)])
    np.testing.assert_allclose(score, np.clip(each.mean(axis=0), 0, MAXIMA))
    np.testing.assert_allclose(sd, np.sqrt(each.std(axis=0) ** 2 + head.residual_sd**2))
    assert (sd >= head.residual_sd).all()


def test_the_mean_baseline_is_the_training_folds_mean(synthetic):
    features, targets, groups = synthetic
    result = cross_validate(features, targets, groups)
    for k in range(5):
        held_out = result["fold"] == k
        np.testing.assert_allclose(
            result["baseline"][held_out], np.broadcast_to(targets[~held_out].mean(0), (held_out.sum(), 2))
        )


def test_committed_report_beats_the_mean_baseline_for_both_scores():
    report = json.loads(REPORT.read_text())
    assert report["n_images"] == 78 and report["folds"] == 5
    for score in SCORES:
        figures_ = report["cross_validated"][score]
        assert figures_["mae"] < figures_["baseline_mae"], score
        assert figures_["pearson_r"] > 0.3, score


def test_committed_report_recomputes_from_its_predictions():
    report = json.loads(REPORT.read_text())
    rows, targets = read_labels(DATA_DIR)
    assert [r["file"] for r in rows] == [p["file"] for p in report["predictions"]]
    predictions = np.array([[p[f"{s}_predicted"] for s in SCORES] for p in report["predictions"]])
    np.testing.assert_allclose(targets, [[p[f"{s}_true"] for s in SCORES] for p in report["predictions"]])
    for s, score in enumerate(SCORES):
        mae = np.abs(predictions[:, s] - targets[:, s]).mean()
        assert mae == pytest.approx(report["cross_validated"][score]["mae"], abs=1e-3)
