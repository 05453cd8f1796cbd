"""Evaluate the committed SavedModel on any folder in the data set's format, beside the non-anatomical baseline.

    python -m training.evaluate --model serving/models/densenet --data ../shared/cxr [--split val] [--out report.json]

Images go through `preprocess.prepare` and the SavedModel's `serving_default`, exactly as in serving.
The JSON keeps every figure under a readable key and a `predictions` list so anyone can recompute them;
the reliability diagram is written beside it (`<out stem>.reliability.png`).
"""

import argparse
import json
from pathlib import Path

import numpy as np
import tensorflow as tf

from training import baseline, dataset, metrics, reliability

BATCH = 32


def version_dir(model: Path) -> Path:
    """A version folder as given, or the highest integer version under a TF Serving base folder."""
    if (model / "saved_model.pb").exists():
        return model
    versions = [p for p in model.iterdir() if p.name.isdigit() and (p / "saved_model.pb").exists()]
    if not versions:
        raise SystemExit(f"no SavedModel version under {model}")
    return max(versions, key=lambda p: int(p.name))


def run_model(path: Path, images: np.ndarray) -> dict[str, np.ndarray]:
    """serving_default over the images, in batches; outputs concatenated."""
    signature = tf.saved_model.load(str(path)).signatures["serving_default"]
    batches = [signature(image=tf.constant(images[i : i + BATCH])) for i in range(0, len(images), BATCH)]
    return {key: np.concatenate([b[key].numpy() for b in batches]) for key in batches[0]}


def figures(split: dataset.Split, p_covid: np.ndarray, threshold: float) -> dict:
    """Every metric the report shows, for one scorer."""
    y, sources = split.is_covid, split.sources
    per_source = {}
    for source in sorted(set(sources)):
        inside = sources == source
        per_source[source] = {
            "covid": int(y[inside].sum()),
            "non_covid": int((1 - y[inside]).sum()),
            "roc_auc": metrics.auc(y[inside], p_covid[inside]),
        }
    mixed = np.isin(sources, dataset.MIXED_SOURCES)
    calibration = metrics.calibration(y, p_covid)
    return {
        "roc_auc": metrics.auc(y, p_covid),
        **metrics.at_threshold(y, p_covid, threshold),
        "per_source": per_source,
        "mixed_sources_roc_auc": metrics.auc(y[mixed], p_covid[mixed]),
        "mixed_sources": {
            "sources": list(dataset.MIXED_SOURCES),
            "covid": int(y[mixed].sum()),
            "non_covid": int((1 - y[mixed]).sum()),
        },
        "expected_calibration_error": calibration["ece"],
        "calibration_bins": calibration["bins"],
    }


def default_split(data: Path) -> str | None:
    """val when the manifest has a val split (the dev set), else every row (e.g. a held-out set)."""
    return "val" if any(r.get("split") == "val" for r in dataset.read_manifest(data)) else None


def _fmt(value) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def print_report(report: dict) -> None:
    model, base = report["model_metrics"], report["baseline_metrics"]
    print(
        f"model {report['model']}  data {report['data']}  split {report['split'] or 'all'}  images {report['images']}"
    )
    print(f"{'':44}{'DenseNet':>10}{'baseline':>10}")
    rows = [
        ("ROC AUC", "roc_auc"),
        ("threshold", "threshold"),
        ("sensitivity", "sensitivity"),
        ("specificity", "specificity"),
        ("mixed-source AUC (ieee8023+actmed+fig1)", "mixed_sources_roc_auc"),
        ("ECE", "expected_calibration_error"),
    ]
    for label, key in rows:
        print(f"{label:44}{_fmt(model[key]):>10}{_fmt(base[key]):>10}")
    for source, m in model["per_source"].items():
        label = f"AUC {source} ({m['covid']} covid / {m['non_covid']} not)"
        print(f"{label:44}{_fmt(m['roc_auc']):>10}{_fmt(base['per_source'][source]['roc_auc']):>10}")
    for name, m in (("DenseNet", model), ("baseline", base)):
        c = m["confusion_matrix"]
        print(
            f"{name} confusion: TP {c['true_positive']}  FN {c['false_negative']}  "
            f"FP {c['false_positive']}  TN {c['true_negative']}"
        )
    ood = report["ood"]
    print(f"OOD guard: {ood['flagged']} of {report['images']} images above the cut-off {ood['ood_threshold']:.2f}")
    print(f"wrote {report['report']} and {report['reliability_diagram']}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model",
        type=Path,
        default=Path("serving/models/densenet"),
        help="TF Serving base folder (highest version is used) or one version folder",
    )
    parser.add_argument("--data", type=Path, required=True, help="folder with manifest.csv and the images")
    parser.add_argument("--split", help="manifest split to evaluate (default: val if present, else all rows)")
    parser.add_argument("--out", type=Path, default=Path("report.json"), help="JSON report; PNG goes beside it")
    parser.add_argument(
        "--baseline-train", type=Path, help="folder whose train split fits the baseline (default: --data)"
    )
    args = parser.parse_args(argv)

    split_name = args.split or default_split(args.data)
    evaluated = dataset.load_split(args.data, split_name)
    if not evaluated.rows:
        raise SystemExit(f"no rows for split {split_name!r} in {args.data / 'manifest.csv'}")
    train = dataset.load_split(args.baseline_train or args.data, "train")
    if not train.rows:
        raise SystemExit("the baseline needs a train split: pass --baseline-train ../shared/cxr")

    path = version_dir(args.model)
    outputs = run_model(path, evaluated.images)
    threshold, ood_threshold = float(outputs["threshold"][0]), float(outputs["ood_threshold"][0])
    classifier, baseline_threshold = baseline.fit(train)
    baseline_p = baseline.p_covid(classifier, evaluated)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    png = args.out.with_name(args.out.stem + ".reliability.png")
    report = {
        "model": str(path),
        "data": str(args.data),
        "split": split_name,
        "images": len(evaluated.rows),
        "report": str(args.out),
        "reliability_diagram": str(png),
        "model_metrics": figures(evaluated, outputs["p_covid"], threshold),
        "baseline_metrics": figures(evaluated, baseline_p, baseline_threshold),
        "baseline": baseline.__doc__.split("\n\n")[1].replace("\n", " "),
        "ood": {"ood_threshold": ood_threshold, "flagged": int(np.sum(outputs["ood_score"] > ood_threshold))},
        "predictions": [
            {"file": f, "p_covid": float(p), "ood_score": float(o), "baseline_p_covid": float(b)}
            for f, p, o, b in zip(evaluated.files, outputs["p_covid"], outputs["ood_score"], baseline_p, strict=True)
        ],
    }
    reliability.draw({"DenseNet": report["model_metrics"], "baseline": report["baseline_metrics"]}, png)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print_report(report)


if __name__ == "__main__":
    main()
