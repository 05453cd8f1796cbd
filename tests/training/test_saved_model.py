"""The committed SavedModel honours the serving contract the portal and TF Serving rely on."""

import json

import numpy as np
import pytest
import tensorflow as tf

from tests.training.conftest import MODEL_BASE
from training.evaluate import version_dir
from training.model import CLASSES, build
from training.train import BLOCKS, GROWTH, REFERENCE

CONTRACT = {"probabilities": (3,), "p_covid": (), "threshold": (), "ood_score": (), "ood_threshold": ()}


@pytest.mark.parametrize("batch", [1, 4])
@pytest.mark.parametrize("name", ["serving_default", "explain"])
def test_signature_outputs_have_the_contract_shapes(saved_model, fixture_batch, name, batch):
    outputs = saved_model.signatures[name](image=tf.constant(fixture_batch[:batch]))
    expected = {**CONTRACT, "heatmap": (128, 128)} if name == "explain" else CONTRACT
    assert {k: (tuple(v.shape), v.dtype) for k, v in outputs.items()} == {
        k: ((batch, *shape), tf.float32) for k, shape in expected.items()
    }
    probabilities = outputs["probabilities"].numpy()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(outputs["p_covid"].numpy(), probabilities[:, CLASSES.index("covid")])


def test_signatures_take_one_float_image_batch(saved_model):
    for signature in saved_model.signatures.values():
        (spec,) = signature.structured_input_signature[1].values()
        assert (spec.name, spec.dtype, spec.shape.as_list()) == ("image", tf.float32, [None, 128, 128, 1])


def test_heatmap_is_in_unit_range_and_not_empty(saved_model, fixture_batch):
    heatmap = saved_model.signatures["explain"](image=tf.constant(fixture_batch))["heatmap"].numpy()
    assert heatmap.min() >= 0.0 and heatmap.max() <= 1.0
    assert (heatmap.max(axis=(1, 2)) > 0.5).all()  # each map is normalised to its own peak


def test_explain_gives_the_same_answer_as_serving_default(saved_model, fixture_batch):
    image = tf.constant(fixture_batch)
    plain = saved_model.signatures["serving_default"](image=image)
    explained = saved_model.signatures["explain"](image=image)
    for key in CONTRACT:
        np.testing.assert_allclose(plain[key].numpy(), explained[key].numpy(), atol=1e-6)


def test_threshold_and_ood_cut_off_are_the_trained_constants(saved_model, fixture_batch):
    reference = json.loads(REFERENCE.read_text())
    outputs = saved_model.signatures["serving_default"](image=tf.constant(fixture_batch))
    np.testing.assert_allclose(outputs["threshold"].numpy(), [reference["threshold"]] * 4, rtol=1e-6)
    np.testing.assert_allclose(outputs["ood_threshold"].numpy(), [reference["ood_threshold"]] * 4, rtol=1e-6)


def test_export_holds_one_copy_of_the_weights_and_no_optimizer_state():
    """Saved values = the network's parameters + threshold, OOD mean, whitening matrix and cut-off."""
    path = version_dir(MODEL_BASE)
    saved = tf.train.list_variables(str(path / "variables" / "variables"))
    saved_values = sum(int(np.prod(shape)) for name, shape in saved if "_CHECKPOINTABLE_OBJECT_GRAPH" not in name)
    net = build(blocks=BLOCKS, growth=GROWTH)
    features = net.backbone.output.shape[-1]
    parameters = net.backbone.count_params() + net.classifier.count_params()
    assert saved_values == parameters + 1 + features + features**2 + 1
    assert not [name for name, _ in saved if "optimizer" in name.lower()]
