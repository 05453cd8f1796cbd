"""Export the trained network as a TF Serving SavedModel with the portal's contract built into the graph.

Signatures (all outputs batch-first float32):
  serving_default: probabilities [b, 3] (normal, pneumonia, covid), p_covid [b], threshold [b],
                   ood_score [b], ood_threshold [b]
                   and the severity scores: severity_extent [b] (0-8), severity_extent_sd [b],
                   severity_opacity [b] (0-6), severity_opacity_sd [b]
  explain:         the same plus heatmap [b, 128, 128] in [0, 1] (Grad-CAM for the covid class); a superset of
                   every other signature's outputs
  severity:        the four severity outputs only
Only the backbone and classifier weights are saved (no optimizer, no augmentation), once; the operating
threshold, the OOD guard and the severity head (training/severity.py) are non-trainable variables of the module.
"""

import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import tensorflow as tf

from preprocess import INPUT_SIZE
from serving.convert import convert
from serving.server.manager import versions_on_disk
from training.model import COVID, Network
from training.ood import Mahalanobis

if TYPE_CHECKING:
    from training.severity import SeverityHead

IMAGE_SPEC = tf.TensorSpec([None, INPUT_SIZE, INPUT_SIZE, 1], tf.float32, name="image")
HEATMAP_EPSILON = 1e-7


class ServingModule(tf.Module):
    """What TF Serving runs: the network plus the constants a client needs to read its answer."""

    def __init__(
        self, net: Network, threshold: float, guard: Mahalanobis, ood_threshold: float, severity: "SeverityHead"
    ):
        super().__init__(name="densenet")
        _hold_classifier_parts(self, net, threshold, guard, ood_threshold)
        self.severity_weights = _constant(severity.weights, "severity_weights")
        self.severity_bias = _constant(severity.bias, "severity_bias")
        self.severity_residual_sd = _constant(severity.residual_sd, "severity_residual_sd")
        self.severity_maxima = _constant(severity.maxima, "severity_maxima")

    def features(self, image):
        """Last feature map and its global average (the penultimate features, reusable by later heads)."""
        feature_map = self.backbone(image, training=False)
        return feature_map, tf.reduce_mean(feature_map, axis=[1, 2])

    def severity_outputs(self, feature_map):
        """Mean of the fold models on the peak features, clipped to the scales; SD: their spread and the CV residual."""
        peak = tf.reduce_max(feature_map, axis=[1, 2])
        each = tf.einsum("bf,mfs->mbs", peak, self.severity_weights) + self.severity_bias[:, tf.newaxis, :]
        mean, variance = tf.nn.moments(each, axes=[0])
        score = tf.clip_by_value(mean, 0.0, self.severity_maxima)
        sd = tf.sqrt(variance + tf.square(self.severity_residual_sd))
        return {
            "severity_extent": score[:, 0],
            "severity_extent_sd": sd[:, 0],
            "severity_opacity": score[:, 1],
            "severity_opacity_sd": sd[:, 1],
        }

    def outputs(self, pooled, logits):
        probabilities = tf.nn.softmax(logits, axis=-1)
        batch = tf.shape(pooled)[:1]
        whitened = tf.matmul(pooled - self.ood_mean, self.ood_whiten)
        return {
            "probabilities": probabilities,
            "p_covid": probabilities[:, COVID],
            "threshold": tf.fill(batch, tf.identity(self.threshold)),
            "ood_score": tf.sqrt(tf.reduce_sum(tf.square(whitened), axis=-1)),
            "ood_threshold": tf.fill(batch, tf.identity(self.ood_threshold)),
        }

    @tf.function(input_signature=[IMAGE_SPEC])
    def serving_default(self, image):
        feature_map, pooled = self.features(image)
        return {**self.outputs(pooled, self.classifier(pooled)), **self.severity_outputs(feature_map)}

    @tf.function(input_signature=[IMAGE_SPEC])
    def severity(self, image):
        feature_map, _ = self.features(image)
        return self.severity_outputs(feature_map)

    @tf.function(input_signature=[IMAGE_SPEC])
    def explain(self, image):
        feature_map, _ = self.features(image)
        with tf.GradientTape() as tape:
            tape.watch(feature_map)
            pooled = tf.reduce_mean(feature_map, axis=[1, 2])
            logits = self.classifier(pooled)
            covid_score = tf.reduce_sum(logits[:, COVID])  # images are independent: one sum, per-image gradients
        gradients = tape.gradient(covid_score, feature_map)
        channel_weights = tf.reduce_mean(gradients, axis=[1, 2], keepdims=True)
        cam = tf.nn.relu(tf.reduce_sum(feature_map * channel_weights, axis=-1))
        cam = cam / (tf.reduce_max(cam, axis=[1, 2], keepdims=True) + HEATMAP_EPSILON)
        heatmap = tf.image.resize(cam[..., tf.newaxis], [INPUT_SIZE, INPUT_SIZE], method="bilinear")[..., 0]
        return {
            **self.outputs(pooled, logits),
            **self.severity_outputs(feature_map),
            "heatmap": tf.clip_by_value(heatmap, 0.0, 1.0),
        }


def _hold_classifier_parts(holder: tf.Module, net: Network, threshold: float, guard: Mahalanobis, ood_threshold):
    """The attributes (checkpoint names) of everything but the severity head, shared by export and `restore`."""
    holder.backbone = net.backbone
    holder.classifier = net.classifier
    holder.threshold = _constant(threshold, "threshold")
    holder.ood_mean = _constant(guard.mean, "ood_mean")
    holder.ood_whiten = _constant(guard.whiten, "ood_whiten")
    holder.ood_threshold = _constant(ood_threshold, "ood_threshold")


def _constant(value, name: str) -> tf.Variable:
    return tf.Variable(value, dtype=tf.float32, trainable=False, name=name)


def restore(version: Path, net: Network) -> tuple[float, Mahalanobis, float]:
    """Load an exported version's backbone and classifier weights into `net` (built with the same shape).

    Returns its threshold, OOD guard and cut-off. Reads the SavedModel's variables as an object-based checkpoint, so a
    new head can be added to a trained network without retraining it; every object restored here must be in the file
    (a severity head already there is left out: it is refitted).
    """
    features = int(net.backbone.output.shape[-1])
    holder = tf.Module()
    empty = Mahalanobis(np.zeros(features, np.float32), np.zeros((features, features), np.float32))
    _hold_classifier_parts(holder, net, 0.0, empty, 0.0)
    checkpoint = tf.train.Checkpoint(root=holder)
    checkpoint.read(str(Path(version) / "variables" / "variables")).assert_existing_objects_matched().expect_partial()
    guard = Mahalanobis(holder.ood_mean.numpy(), holder.ood_whiten.numpy())
    return float(holder.threshold.numpy()), guard, float(holder.ood_threshold.numpy())


def next_version(base_dir: Path) -> int:
    """One past the highest integer version folder under a TF Serving base folder (1 if there is none)."""
    return max(versions_on_disk(Path(base_dir)), default=0) + 1


def export(module: ServingModule, base_dir: Path, version: int) -> Path:
    """Write `base_dir/<version>/`, replacing an earlier export of that version only once the new one is complete."""
    target = Path(base_dir) / str(version)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=target.parent))
    signatures = {"serving_default": module.serving_default, "explain": module.explain, "severity": module.severity}
    tf.saved_model.save(module, str(staging / "model"), signatures=signatures)
    convert(staging / "model")  # the OpenVINO IR beside it, before the version appears to the server
    if target.exists():
        shutil.rmtree(target)
    (staging / "model").rename(target)
    staging.rmdir()
    return target
