"""Export the trained network as a TF Serving SavedModel with the portal's contract built into the graph.

Signatures (all outputs batch-first float32):
  serving_default: probabilities [b, 3] (normal, pneumonia, covid), p_covid [b], threshold [b],
                   ood_score [b], ood_threshold [b]
  explain:         the same plus heatmap [b, 128, 128] in [0, 1] (Grad-CAM for the covid class)
Only the backbone and classifier weights are saved (no optimizer, no augmentation), once; the operating
threshold and the OOD guard are non-trainable variables of the module.
"""

import shutil
import tempfile
from pathlib import Path

import tensorflow as tf

from preprocess import INPUT_SIZE
from serving.convert import convert
from training.model import COVID, Network
from training.ood import Mahalanobis

IMAGE_SPEC = tf.TensorSpec([None, INPUT_SIZE, INPUT_SIZE, 1], tf.float32, name="image")
HEATMAP_EPSILON = 1e-7


class ServingModule(tf.Module):
    """What TF Serving runs: the network plus the constants a client needs to read its answer."""

    def __init__(self, net: Network, threshold: float, guard: Mahalanobis, ood_threshold: float):
        super().__init__(name="densenet")
        self.backbone = net.backbone
        self.classifier = net.classifier
        self.threshold = tf.Variable(threshold, dtype=tf.float32, trainable=False, name="threshold")
        self.ood_mean = tf.Variable(guard.mean, dtype=tf.float32, trainable=False, name="ood_mean")
        self.ood_whiten = tf.Variable(guard.whiten, dtype=tf.float32, trainable=False, name="ood_whiten")
        self.ood_threshold = tf.Variable(ood_threshold, dtype=tf.float32, trainable=False, name="ood_threshold")

    def features(self, image):
        """Last feature map and its global average (the penultimate features, reusable by later heads)."""
        feature_map = self.backbone(image, training=False)
        return feature_map, tf.reduce_mean(feature_map, axis=[1, 2])

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
        _, pooled = self.features(image)
        return self.outputs(pooled, self.classifier(pooled))

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
        return {**self.outputs(pooled, logits), "heatmap": tf.clip_by_value(heatmap, 0.0, 1.0)}


def export(module: ServingModule, base_dir: Path, version: int) -> Path:
    """Write `base_dir/<version>/`, replacing an earlier export of that version only once the new one is complete."""
    target = Path(base_dir) / str(version)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=target.parent))
    signatures = {"serving_default": module.serving_default, "explain": module.explain}
    tf.saved_model.save(module, str(staging / "model"), signatures=signatures)
    convert(staging / "model")  # the OpenVINO IR beside it, before the version appears to the server
    if target.exists():
        shutil.rmtree(target)
    (staging / "model").rename(target)
    staging.rmdir()
    return target
