"""The export code on a tiny network: the graph computes what the Keras pieces and numpy say it should."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from training.export import ServingModule, export, restore
from training.model import COVID, build
from training.ood import Mahalanobis
from training.severity import MAXIMA, SeverityHead, peak_features


@pytest.fixture(scope="module")
def exported(tmp_path_factory, fixture_batch):
    keras.utils.set_random_seed(1)
    net = build(blocks=(2, 2), growth=4)
    variants = np.concatenate([fixture_batch, fixture_batch[:, ::-1], fixture_batch[:, :, ::-1], 1 - fixture_batch])
    guard = Mahalanobis.fit(keras.ops.convert_to_numpy(net.pooled(variants)))
    features = net.backbone.output.shape[-1]
    rng = np.random.default_rng(0)
    head = SeverityHead(rng.normal(size=(5, features, 2)), rng.normal(2.0, 1.0, (5, 2)), np.array([1.2, 0.7]), MAXIMA)
    path = export(ServingModule(net, 0.3, guard, 7.5, head), tmp_path_factory.mktemp("models"), version=3)
    return net, guard, path, head


def test_layout_is_tf_serving_version_folder(exported):
    *_, path, _ = exported
    assert path.name == "3" and (path / "saved_model.pb").exists() and (path / "variables").is_dir()
    assert not [p for p in path.parent.iterdir() if p.name != "3"]  # no staging leftovers


def test_the_openvino_ir_is_exported_beside_the_saved_model(exported):
    """One graph (explain, whose outputs cover the other signatures'), made before the version appears."""
    *_, path, _ = exported
    assert sorted(p.name for p in (path / "openvino").iterdir()) == ["explain.bin", "explain.xml"]


def test_outputs_match_the_keras_pieces(exported, fixture_batch):
    net, guard, path, _ = exported
    outputs = tf.saved_model.load(str(path)).signatures["serving_default"](image=tf.constant(fixture_batch))
    pooled = keras.ops.convert_to_numpy(net.pooled(fixture_batch))
    logits = keras.ops.convert_to_numpy(net.classifier(pooled))
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(outputs["probabilities"].numpy(), expected, atol=1e-6)
    np.testing.assert_allclose(outputs["ood_score"].numpy(), guard.distance(pooled), rtol=1e-4)
    np.testing.assert_allclose(outputs["threshold"].numpy(), [0.3] * 4)
    np.testing.assert_allclose(outputs["ood_threshold"].numpy(), [7.5] * 4)


def test_heatmap_is_grad_cam_of_the_covid_logit(exported, fixture_batch):
    """With global pooling and a linear head, Grad-CAM of a logit is the class activation map."""
    net, _, path, _ = exported
    heatmap = tf.saved_model.load(str(path)).signatures["explain"](image=tf.constant(fixture_batch))["heatmap"]
    feature_map = keras.ops.convert_to_numpy(net.backbone(fixture_batch, training=False))
    kernel = keras.ops.convert_to_numpy(net.classifier.kernel)[:, COVID]
    cam = np.maximum((feature_map * kernel).sum(axis=-1), 0)
    cam /= cam.max(axis=(1, 2), keepdims=True) + 1e-7
    expected = tf.image.resize(cam[..., None], [128, 128], method="bilinear")[..., 0].numpy()
    np.testing.assert_allclose(heatmap.numpy(), expected, atol=1e-4)


@pytest.mark.parametrize("signature", ["severity", "serving_default", "explain"])
def test_severity_outputs_are_the_head_on_peak_features(exported, fixture_batch, signature):
    net, _, path, head = exported
    outputs = tf.saved_model.load(str(path)).signatures[signature](image=tf.constant(fixture_batch))
    score, sd = head.predict(peak_features(net.backbone(fixture_batch, training=False)))
    for s, name in enumerate(("severity_extent", "severity_opacity")):
        np.testing.assert_allclose(outputs[name].numpy(), score[:, s], rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(outputs[f"{name}_sd"].numpy(), sd[:, s], rtol=1e-4)
    if signature == "severity":
        assert len(outputs) == 4


def test_restore_reads_an_export_back_into_a_fresh_network(exported, fixture_batch):
    net, guard, path, _ = exported
    keras.utils.set_random_seed(2)
    fresh = build(blocks=(2, 2), growth=4)
    assert not np.array_equal(fresh.classifier.get_weights()[0], net.classifier.get_weights()[0])
    threshold, restored, ood_threshold = restore(path, fresh)
    assert (threshold, ood_threshold) == (pytest.approx(0.3), pytest.approx(7.5))
    np.testing.assert_array_equal(restored.whiten, guard.whiten)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(fresh.pooled(fixture_batch)), keras.ops.convert_to_numpy(net.pooled(fixture_batch))
    )
