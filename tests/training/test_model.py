"""The network's pieces: shapes, in-model standardisation, augmentation only while training."""

import keras
import numpy as np

from training.model import CLASSES, PerImageStandardise, build


def test_standardise_gives_each_image_zero_mean_unit_std(fixture_batch):
    out = keras.ops.convert_to_numpy(PerImageStandardise()(fixture_batch * 0.5 + 0.2))
    np.testing.assert_allclose(out.mean(axis=(1, 2, 3)), 0, atol=1e-4)
    np.testing.assert_allclose(out.std(axis=(1, 2, 3)), 1, atol=1e-3)


def test_training_model_gives_three_logits_and_augments_only_in_training(fixture_batch):
    keras.utils.set_random_seed(2)
    model = build(blocks=(2, 2), growth=4).training_model()
    inference = [keras.ops.convert_to_numpy(model(fixture_batch, training=False)) for _ in range(2)]
    training = [keras.ops.convert_to_numpy(model(fixture_batch, training=True)) for _ in range(2)]
    assert inference[0].shape == (4, len(CLASSES))
    np.testing.assert_array_equal(inference[0], inference[1])
    assert not np.allclose(training[0], training[1])
