"""The figures the evaluation reports, checked on hand-computable cases."""

import numpy as np
import pytest

from training import metrics


def test_threshold_keeps_sensitivity_and_maximises_specificity():
    y = np.array([1] * 10 + [0] * 10)
    p = np.array([0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6, 0.3, 0.2] + [0.5, 0.4, 0.35, 0.1] + [0.05] * 6)
    threshold = metrics.choose_threshold(y, p, min_sensitivity=0.9)
    # 9 of 10 covid must be caught: the 9th highest covid score is 0.3; the next lower score is 0.2
    assert threshold == pytest.approx(0.25)
    at = metrics.at_threshold(y, p, threshold)
    assert at["sensitivity"] == 0.9 and at["specificity"] == 0.7  # non-covid 0.5, 0.4 and 0.35 are above it
    assert at["confusion_matrix"] == {"true_positive": 9, "false_negative": 1, "false_positive": 3, "true_negative": 7}


def test_threshold_when_every_score_must_be_caught():
    y, p = np.array([1, 1, 0]), np.array([0.2, 0.8, 0.9])
    threshold = metrics.choose_threshold(y, p, min_sensitivity=1.0)
    assert metrics.at_threshold(y, p, threshold)["sensitivity"] == 1.0 and threshold < 0.2


def test_auc_is_undefined_for_one_class():
    assert metrics.auc(np.array([1, 1]), np.array([0.2, 0.3])) is None
    assert metrics.auc(np.array([0, 1]), np.array([0.2, 0.3])) == 1.0


def test_expected_calibration_error_by_hand():
    # bin [0.2, 0.3): p 0.25 x2, one covid -> |0.25 - 0.5|; bin [0.9, 1.0]: p 1.0 x2, both covid -> 0
    result = metrics.calibration(np.array([0, 1, 1, 1]), np.array([0.25, 0.25, 1.0, 1.0]))
    assert result["ece"] == pytest.approx(0.5 * 0.25)
    assert [b["count"] for b in result["bins"]] == [0, 0, 2, 0, 0, 0, 0, 0, 0, 2]
