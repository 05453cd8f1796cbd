"""Train the compact DenseNet on the data set's train split, select on val, fit the guards and severity head, export.

python -m training.train --data ../shared/cxr --out serving/models/densenet [--epochs N] [--version V]
(also fits the severity head, training/severity.py, and writes its report)
"""

import argparse
import json
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from training import dataset, metrics, severity
from training.export import ServingModule, export, next_version
from training.model import BLOCKS, CLASSES, COVID, GROWTH, Network, build
from training.ood import Mahalanobis, cut_off

REFERENCE = Path(__file__).with_name("reference_predictions.json")
BATCH_SIZE = 32
PEAK_LEARNING_RATE, WEIGHT_DECAY, LABEL_SMOOTHING = 2e-3, 1e-2, 0.05
OOD_PERCENTILE = 99.5


def predict(net: Network, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Class probabilities and pooled features of the in-memory model (inference mode)."""
    probabilities, pooled = [], []
    for start in range(0, len(images), 64):
        features = net.pooled(images[start : start + 64])
        probabilities.append(keras.ops.softmax(net.classifier(features), axis=-1))
        pooled.append(features)
    return tuple(np.concatenate([keras.ops.convert_to_numpy(t) for t in ts]) for ts in (probabilities, pooled))


class KeepBestOnValAUC(keras.callbacks.Callback):
    """After each epoch, score val (covid vs rest) and remember the weights of the best epoch."""

    def __init__(self, net: Network, val: dataset.Split, started: float):
        super().__init__()
        self.net, self.val, self.started = net, val, started
        self.best_auc, self.best_epoch, self.best_weights = -1.0, 0, None

    def on_epoch_end(self, epoch, logs=None):
        probabilities, _ = predict(self.net, self.val.images)
        auc = metrics.auc(self.val.is_covid, probabilities[:, COVID])
        if auc > self.best_auc:
            self.best_auc, self.best_epoch, self.best_weights = auc, epoch + 1, self.model.get_weights()
        print(
            f"epoch {epoch + 1}: loss {logs['loss']:.4f}  val AUC {auc:.4f}  (best {self.best_auc:.4f} "
            f"at epoch {self.best_epoch})  {time.monotonic() - self.started:.0f} s",
            flush=True,
        )


def sample_weights(classes: np.ndarray) -> np.ndarray:
    """Balanced class weights (n / (k * n_class)), one per image."""
    counts = np.bincount(classes, minlength=len(CLASSES))
    return (len(classes) / (len(CLASSES) * counts))[classes].astype(np.float32)


def fit(net: Network, train: dataset.Split, val: dataset.Split, epochs: int, started: float) -> KeepBestOnValAUC:
    model = net.training_model()
    steps = epochs * int(np.ceil(len(train.images) / BATCH_SIZE))
    warmup = min(steps // 10, int(np.ceil(len(train.images) / BATCH_SIZE)))
    schedule = keras.optimizers.schedules.CosineDecay(
        1e-5, decay_steps=steps - warmup, warmup_target=PEAK_LEARNING_RATE, warmup_steps=warmup
    )
    model.compile(
        optimizer=keras.optimizers.AdamW(schedule, weight_decay=WEIGHT_DECAY),
        loss=keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=LABEL_SMOOTHING),
    )
    best = KeepBestOnValAUC(net, val, started)
    model.fit(
        train.images,
        keras.utils.to_categorical(train.classes, len(CLASSES)),
        sample_weight=sample_weights(train.classes),
        batch_size=BATCH_SIZE,
        epochs=epochs,
        shuffle=True,
        callbacks=[best],
        verbose=0,
    )
    model.set_weights(best.best_weights)
    return best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/cxr"), help="folder with manifest.csv")
    parser.add_argument("--out", type=Path, default=Path("serving/models/densenet"), help="TF Serving base dir")
    parser.add_argument("--version", type=int, help="the version to write (default: one past the latest)")
    parser.add_argument("--epochs", type=int, default=24)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--reference", type=Path, default=REFERENCE, help="where to write the val predictions")
    args = parser.parse_args(argv)

    started = time.monotonic()
    keras.utils.set_random_seed(args.seed)
    tf.config.experimental.enable_op_determinism()

    train = dataset.load_split(args.data, "train")
    val = dataset.load_split(args.data, "val")
    print(f"prepared {len(train.rows)} train and {len(val.rows)} val images in {time.monotonic() - started:.0f} s")

    net = build(blocks=BLOCKS, growth=GROWTH, seed=args.seed)
    print(f"DenseNet {'-'.join(map(str, BLOCKS))}, growth {GROWTH}: {net.training_model().count_params():,} params")
    best = fit(net, train, val, args.epochs, started)

    val_probabilities, val_pooled = predict(net, val.images)
    p_covid = val_probabilities[:, COVID]
    threshold = metrics.choose_threshold(val.is_covid, p_covid)
    _, train_pooled = predict(net, train.images)
    guard = Mahalanobis.fit(train_pooled)
    val_distances = guard.distance(val_pooled)
    ood_threshold = cut_off(val_distances, OOD_PERCENTILE)

    severity_report, severity_head = severity.fit(net, args.data)
    severity.REPORT.write_text(json.dumps(severity_report, indent=1) + "\n")
    version = args.version or next_version(args.out)
    path = export(ServingModule(net, threshold, guard, ood_threshold, severity_head), args.out, version)
    val_auc = metrics.auc(val.is_covid, p_covid)
    summary = {
        "version": version,
        "epochs": args.epochs,
        "best_epoch": best.best_epoch,
        "val_auc": val_auc,
        "threshold": threshold,
        "ood_threshold": ood_threshold,
        "val_flagged_ood": int(np.sum(val_distances > ood_threshold)),
        "p_covid": dict(zip(val.files, map(float, p_covid), strict=True)),
    }
    args.reference.write_text(json.dumps(summary, indent=1) + "\n")
    at = metrics.at_threshold(val.is_covid, p_covid, threshold)
    print(
        f"best epoch {best.best_epoch} of {args.epochs}: val AUC {val_auc:.4f}; threshold {threshold:.4f} "
        f"(sensitivity {at['sensitivity']:.3f}, specificity {at['specificity']:.3f}); "
        f"OOD cut-off {ood_threshold:.2f} flags {summary['val_flagged_ood']} of {len(val.rows)} val images"
    )
    print(f"exported {path}; reference predictions in {args.reference}")
    print(f"training took {(time.monotonic() - started) / 60:.1f} min")


if __name__ == "__main__":
    main()
