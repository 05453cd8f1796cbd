"""A tiny SavedModel with densenet's serving contract, so serving tests need no trained model.

Same input key, dtypes, shapes and output names as the real export (serving_default, explain and
severity), a few TensorFlow ops instead of a DenseNet.
"""

from pathlib import Path

import tensorflow as tf

IMAGE_SHAPE = (128, 128, 1)
IMAGE_SPEC = tf.TensorSpec([None, *IMAGE_SHAPE], tf.float32, name="image")


class TinyModel(tf.Module):
    def __init__(self):
        super().__init__()
        self.weights = tf.Variable([2.0, -1.0, 0.5])
        self.bias = tf.Variable([0.1, 0.0, -0.1])

    def _scores(self, image):
        brightness = tf.reduce_mean(image, axis=[1, 2, 3])
        probabilities = tf.nn.softmax(brightness[:, None] * self.weights + self.bias)
        batch = tf.shape(image)[:1]
        return {
            "probabilities": probabilities,
            "p_covid": probabilities[:, 2],
            "threshold": tf.fill(batch, 0.5),
            "ood_score": tf.abs(brightness - 0.5),
            "ood_threshold": tf.fill(batch, 0.45),
            **self._severity(image),
        }

    def _severity(self, image):
        brightness = tf.reduce_mean(image, axis=[1, 2, 3])
        batch = tf.shape(image)[:1]
        return {
            "severity_extent": 8.0 * brightness,
            "severity_extent_sd": tf.fill(batch, 1.5),
            "severity_opacity": 6.0 * brightness,
            "severity_opacity_sd": tf.fill(batch, 1.0),
        }

    @tf.function(input_signature=[IMAGE_SPEC])
    def serving_default(self, image):
        return self._scores(image)

    @tf.function(input_signature=[IMAGE_SPEC])
    def explain(self, image):
        return {**self._scores(image), "heatmap": tf.sigmoid(image[..., 0])}

    @tf.function(input_signature=[IMAGE_SPEC])
    def severity(self, image):
        return self._severity(image)


def export_tiny_model(directory: Path) -> Path:
    """Write the SavedModel into `directory` (a version directory such as base/1)."""
    model = TinyModel()
    signatures = {"serving_default": model.serving_default, "explain": model.explain, "severity": model.severity}
    tf.saved_model.save(model, str(directory), signatures=signatures)
    return directory
