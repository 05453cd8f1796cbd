"""Severity of COVID-19 pneumonia (Cohen et al. 2020, Cureus 12:e9448) regressed on the DenseNet's features.

    python -m training.severity --data ../shared/cxr --model serving/models/densenet --version 2

Geographic extent (0-8) and opacity (0-6), the mean of three raters, exist for 78 ieee8023 COVID-19 images only, so
nothing is trained end to end: ridge regression on the backbone's frozen last feature map, max-pooled per channel
(how strongly each learnt pattern appears anywhere, which suits "how much of the lungs" better than the average).
Patient-grouped 5-fold cross-validation gives the figures; the penalty is chosen inside each training fold by a second,
inner grouped cross-validation. The served head is the five fold models: their mean is the score, and their spread
together with the cross-validated residual gives the per-image standard deviation. The command restores the latest
exported version's weights, writes `training/reports/severity.json` and exports them with the head as a new version.
"""

import argparse
import csv
import json
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from sklearn.linear_model import Ridge
from sklearn.model_selection import GroupKFold
from sklearn.preprocessing import StandardScaler

from training import dataset
from training.evaluate import version_dir
from training.export import ServingModule, export, next_version, restore
from training.model import Network, build

SCORES = ("extent", "opacity")
LABEL_COLUMNS = ("geographic_mean", "opacity_mean")
MAXIMA = np.array([8.0, 6.0])  # geographic extent 0-8, opacity 0-6
FOLDS = 5
ALPHAS = np.logspace(-2, 5, 29)
REPORT = Path(__file__).with_name("reports") / "severity.json"
COHEN_MAE = {"extent": 1.14, "opacity": 0.78}  # Cohen et al. 2020, for reference only (other images, other network)


@dataclass(frozen=True)
class SeverityHead:
    """Linear models on raw peak features: prediction_m = features @ weights[m] + bias[m], one m per fold model."""

    weights: np.ndarray  # [models, features, scores]
    bias: np.ndarray  # [models, scores]
    residual_sd: np.ndarray  # [scores]: root mean square of the cross-validated residuals
    maxima: np.ndarray  # [scores]: the top of each scale

    def predict(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Scores [b, scores] clipped to their scales, and their standard deviations (what the graph computes)."""
        each = np.einsum("bf,mfs->mbs", np.asarray(features, np.float64), self.weights) + self.bias[:, None, :]
        sd = np.sqrt(each.var(axis=0) + self.residual_sd**2)
        return np.clip(each.mean(axis=0), 0.0, self.maxima), sd


def read_labels(data_dir: Path) -> tuple[list[dict], np.ndarray]:
    """Manifest rows of the scored images and their scores [n, 2] (extent, opacity)."""
    with open(Path(data_dir) / "severity.csv", newline="") as f:
        scored = list(csv.DictReader(line for line in f if not line.startswith("#")))
    manifest = {r["file"]: r for r in dataset.read_manifest(data_dir)}
    rows = [manifest[s["file"]] for s in scored]
    return rows, np.array([[float(s[c]) for c in LABEL_COLUMNS] for s in scored])


def peak_features(feature_map) -> np.ndarray:
    """Per-channel maximum of the last feature map [b, h, w, c] -> [b, c]."""
    return keras.ops.convert_to_numpy(tf.reduce_max(feature_map, axis=[1, 2]))


def fit_ridge(features: np.ndarray, targets: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Standardised ridge per score, penalty by grouped inner CV (MAE); returned as raw-feature weights and bias."""
    scaler = StandardScaler().fit(features)
    scaled = scaler.transform(features)
    folds = list(GroupKFold(FOLDS).split(scaled, targets, groups))
    weights, bias = [], []
    for s in range(targets.shape[1]):
        errors = [
            np.mean(
                [
                    np.abs(Ridge(alpha).fit(scaled[tr], targets[tr, s]).predict(scaled[te]) - targets[te, s]).mean()
                    for tr, te in folds
                ]
            )
            for alpha in ALPHAS
        ]
        model = Ridge(ALPHAS[int(np.argmin(errors))]).fit(scaled, targets[:, s])
        weights.append(model.coef_ / scaler.scale_)
        bias.append(model.intercept_ - np.dot(scaler.mean_ / scaler.scale_, model.coef_))
    return np.stack(weights, axis=1), np.array(bias)


def cross_validate(features: np.ndarray, targets: np.ndarray, groups: np.ndarray) -> dict:
    """Outer patient-grouped folds: held-out predictions, the training-fold-mean baseline and the fold models."""
    predictions, baseline = np.zeros_like(targets), np.zeros_like(targets)
    fold = np.zeros(len(targets), dtype=np.int64)
    weights, bias = [], []
    for k, (train, test) in enumerate(GroupKFold(FOLDS).split(features, targets, groups)):
        w, b = fit_ridge(features[train], targets[train], groups[train])
        predictions[test] = np.clip(features[test] @ w + b, 0.0, MAXIMA)
        baseline[test] = targets[train].mean(axis=0)
        fold[test] = k
        weights.append(w)
        bias.append(b)
    residual_sd = np.sqrt(np.mean((predictions - targets) ** 2, axis=0))
    return {
        "predictions": predictions,
        "baseline": baseline,
        "fold": fold,
        "head": SeverityHead(np.stack(weights), np.stack(bias), residual_sd, MAXIMA),
    }


def figures(targets: np.ndarray, predictions: np.ndarray, baseline: np.ndarray) -> dict:
    """MAE and Pearson r per score, beside the mean baseline's MAE."""
    return {
        score: {
            "mae": float(np.abs(predictions[:, s] - targets[:, s]).mean()),
            "baseline_mae": float(np.abs(baseline[:, s] - targets[:, s]).mean()),
            "pearson_r": float(np.corrcoef(predictions[:, s], targets[:, s])[0, 1]),
        }
        for s, score in enumerate(SCORES)
    }


def report(rows: list[dict], targets: np.ndarray, peak: dict, average: dict) -> dict:
    """Everything the model card quotes, plus the per-image held-out predictions so anyone can recompute them."""
    head = peak["head"]
    return {
        "n_images": len(rows),
        "n_patients": len({r["patient_id"] for r in rows}),
        "folds": FOLDS,
        "features": "per-channel maximum of the last feature map (576)",
        "cross_validated": figures(targets, peak["predictions"], peak["baseline"]),
        "average_pooled_features": figures(targets, average["predictions"], average["baseline"]),
        "residual_sd": dict(zip(SCORES, map(float, head.residual_sd), strict=True)),
        "cohen_2020_mae": COHEN_MAE,
        "predictions": [
            {
                "file": r["file"],
                "fold": int(k),
                **{f"{score}_true": float(t[s]) for s, score in enumerate(SCORES)},
                **{f"{score}_predicted": round(float(p[s]), 4) for s, score in enumerate(SCORES)},
            }
            for r, k, t, p in zip(rows, peak["fold"], targets, peak["predictions"], strict=True)
        ],
    }


def fit(net: Network, data_dir: Path) -> tuple[dict, SeverityHead]:
    """Cross-validate on the scored images (peak features; average-pooled ones for comparison): report and head."""
    rows, targets = read_labels(data_dir)
    groups = np.array([r["patient_id"] for r in rows])
    feature_map = net.backbone(dataset.load(data_dir, rows).images, training=False)
    peak = cross_validate(peak_features(feature_map), targets, groups)
    average = cross_validate(keras.ops.convert_to_numpy(tf.reduce_mean(feature_map, axis=[1, 2])), targets, groups)
    return report(rows, targets, peak, average), peak["head"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/cxr"), help="folder with severity.csv")
    parser.add_argument("--model", type=Path, default=Path("serving/models/densenet"), help="TF Serving base dir")
    parser.add_argument("--version", type=int, help="the version to write (default: one past the latest)")
    parser.add_argument("--report", type=Path, default=REPORT)
    args = parser.parse_args(argv)

    source = version_dir(args.model)
    net = build()
    threshold, guard, ood_threshold = restore(source, net)
    summary, head = fit(net, args.data)
    args.report.write_text(json.dumps(summary, indent=1) + "\n")
    version = args.version or next_version(args.model)
    path = export(ServingModule(net, threshold, guard, ood_threshold, head), args.model, version)
    for score, f in summary["cross_validated"].items():
        print(f"{score}: MAE {f['mae']:.3f} (mean baseline {f['baseline_mae']:.3f}), Pearson r {f['pearson_r']:.3f}")
    print(f"restored {source}, exported {path}; report in {args.report}")


if __name__ == "__main__":
    main()
