"""A compact DenseNet for single-channel 128x128 chest X-rays, in backend-agnostic Keras 3.

The network is kept as separate pieces (augmentation, backbone, classifier) so that the export can
reach the last dense block's feature map (Grad-CAM) and the pooled features (OOD guard, a later
severity head) without rebuilding anything, while training simply stacks the pieces.
"""

from dataclasses import dataclass

import keras
from keras import layers, ops

CLASSES = ("normal", "pneumonia", "covid")
COVID = CLASSES.index("covid")
BLOCKS, GROWTH = (6, 12, 16), 24  # the trained network's shape


def _image_mean(x):
    """Mean over (h, w, c), each row summed first: float32 rounding of ~sqrt(h) + sqrt(w) ulps instead of ~sqrt(h * w).

    The network amplifies a relative error in the image's mean or std about tenfold (a 1e-6 error in one-stage
    reductions moved p_covid by ~5e-6 and ood_score by ~5e-5); OpenVINO's one-stage ReduceMean is ~4x less exact than
    TensorFlow's. The sum-then-scale form also keeps OpenVINO's ReduceMerge from fusing the stages back into one.
    """
    rows = ops.sum(x, axis=2, keepdims=True) / x.shape[2]
    return ops.mean(rows, axis=(1, 2, 3), keepdims=True)


class PerImageStandardise(layers.Layer):
    """Zero mean, unit variance per image: the scanner's exposure and the JPEG's level should not matter."""

    def call(self, x):
        mean = _image_mean(x)
        std = ops.sqrt(_image_mean(ops.square(x - mean)))  # ops.std (population), in two stages
        return (x - mean) / ops.maximum(std, 1e-3)


class RandomGamma(layers.Layer):
    """x ** gamma per image, log(gamma) uniform in +-log_range, only while training.

    Stands in for the different look-up tables and windowing of scanners and sources; unlike brightness
    or contrast shifts it survives the per-image standardisation.
    """

    def __init__(self, log_range: float, seed: int, **kwargs):
        super().__init__(**kwargs)
        self.log_range = log_range
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, x, training=False):
        if not training:
            return x
        shape = (ops.shape(x)[0], 1, 1, 1)
        log_gamma = keras.random.uniform(shape, -self.log_range, self.log_range, seed=self.seed_generator)
        return ops.power(ops.clip(x, 1e-6, 1.0), ops.exp(log_gamma))


def augmentation(seed: int) -> keras.Sequential:
    """Small geometric and intensity jitter, active only while training.

    No horizontal flip: a mirrored radiograph puts the heart on the wrong side (dextrocardia), which
    the model should not learn to find normal, and burned-in letters would read backwards. No
    brightness/contrast layers: the per-image standardisation would undo them.
    """
    return keras.Sequential(
        [
            layers.RandomRotation(0.03, fill_mode="constant", seed=seed),  # about +-11 degrees
            layers.RandomZoom((-0.1, 0.1), fill_mode="constant", seed=seed + 1),
            layers.RandomTranslation(0.06, 0.06, fill_mode="constant", seed=seed + 2),
            RandomGamma(0.3, seed=seed + 3, name="random_gamma"),
        ],
        name="augmentation",
    )


def _bn_relu(x, name):
    x = layers.BatchNormalization(epsilon=1.001e-5, name=f"{name}_bn")(x)
    return layers.Activation("relu", name=f"{name}_relu")(x)


def _dense_layer(x, growth, name):
    """BN-ReLU-Conv1x1 (bottleneck, 4*growth) then BN-ReLU-Conv3x3 (growth), concatenated to the input."""
    y = _bn_relu(x, f"{name}_1")
    y = layers.Conv2D(4 * growth, 1, use_bias=False, name=f"{name}_1_conv")(y)
    y = _bn_relu(y, f"{name}_2")
    y = layers.Conv2D(growth, 3, padding="same", use_bias=False, name=f"{name}_2_conv")(y)
    return layers.Concatenate(name=f"{name}_concat")([x, y])


def _transition(x, name):
    """BN-ReLU-Conv1x1 with compression 0.5, then 2x2 average pooling."""
    channels = int(x.shape[-1]) // 2
    x = _bn_relu(x, name)
    x = layers.Conv2D(channels, 1, use_bias=False, name=f"{name}_conv")(x)
    return layers.AveragePooling2D(2, name=f"{name}_pool")(x)


def backbone(input_size: int, blocks: tuple[int, ...], growth: int) -> keras.Model:
    """Image in [0, 1] -> final BN-ReLU feature map of the last dense block (the Grad-CAM layer)."""
    inputs = keras.Input((input_size, input_size, 1), name="image")
    x = PerImageStandardise(name="standardise")(inputs)
    x = layers.Conv2D(2 * growth, 7, strides=2, padding="same", use_bias=False, name="stem_conv")(x)
    x = _bn_relu(x, "stem")
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="stem_pool")(x)
    for b, n in enumerate(blocks, start=1):
        for i in range(1, n + 1):
            x = _dense_layer(x, growth, f"block{b}_{i}")
        if b < len(blocks):
            x = _transition(x, f"transition{b}")
    x = _bn_relu(x, "final")
    return keras.Model(inputs, x, name="backbone")


@dataclass
class Network:
    """The pieces of the model; `training_model` stacks them, the export calls them one by one."""

    augment: keras.Sequential
    backbone: keras.Model
    classifier: layers.Dense

    def pooled(self, images):
        """Penultimate features (global average of the last feature map)."""
        return ops.mean(self.backbone(images, training=False), axis=(1, 2))

    def training_model(self) -> keras.Model:
        """Augmentation -> backbone -> global average pool -> logits, for `fit`."""
        inputs = self.backbone.input
        x = self.augment(inputs)
        x = self.backbone(x)
        x = layers.GlobalAveragePooling2D(name="pool")(x)
        return keras.Model(inputs, self.classifier(x), name="densenet")


def build(input_size: int = 128, blocks=BLOCKS, growth: int = GROWTH, seed: int = 0) -> Network:
    """A fresh, randomly initialised network (weights drawn from Keras' global seed)."""
    net = backbone(input_size, tuple(blocks), growth)
    classifier = layers.Dense(len(CLASSES), name="logits")
    classifier.build((None, net.output.shape[-1]))
    return Network(augmentation(seed), net, classifier)
