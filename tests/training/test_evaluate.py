"""The evaluation CLI on the val split reaches the issue's targets and writes a recomputable report."""

import json

import numpy as np
import pytest

from devtools.sample_xrays import DATA_DIR
from tests.training.conftest import MODEL_BASE
from training import dataset, evaluate, metrics


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("evaluate") / "val.json"
    evaluate.main(["--model", str(MODEL_BASE), "--data", str(DATA_DIR), "--split", "val", "--out", str(out)])
    return json.loads(out.read_text())


def test_val_targets(report):
    model = report["model_metrics"]
    assert report["images"] == 224
    assert model["roc_auc"] >= 0.93
    assert model["sensitivity"] >= 0.90


def test_report_holds_the_baseline_and_mixed_sources(report):
    for figures in (report["model_metrics"], report["baseline_metrics"]):
        assert 0.0 <= figures["mixed_sources_roc_auc"] <= 1.0
        assert figures["per_source"]["ieee8023"]["roc_auc"] is not None
        assert figures["per_source"]["nih"]["roc_auc"] is None  # one class only
        assert 0.0 <= figures["expected_calibration_error"] <= 1.0


def test_predictions_recompute_the_figures(report):
    labels = {row["file"]: row["binary"] == "covid" for row in dataset.read_manifest(DATA_DIR)}
    predictions = report["predictions"]
    y = np.array([labels[p["file"]] for p in predictions], dtype=int)
    p = np.array([p["p_covid"] for p in predictions])
    assert metrics.auc(y, p) == pytest.approx(report["model_metrics"]["roc_auc"])


def test_reliability_diagram_is_a_png(report):
    with open(report["reliability_diagram"], "rb") as png:
        assert png.read(8) == b"\x89PNG\r\n\x1a\n"


def test_val_xrays_pass_the_ood_guard(report):
    assert report["ood"]["flagged"] <= 0.02 * report["images"]
