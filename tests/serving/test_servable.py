"""A loaded version in one process: Predict on its signatures and warm-up at load."""

import grpc
import numpy as np
import pytest
import tensorflow as tf

from serving.server.errors import ServingError
from serving.server.servable import WARMUP_FILE, Servable, load
from serving.stubs.tensorflow_serving.apis import prediction_log_pb2
from serving.tensors import to_tensor_proto
from tests.serving.model_dirs import add_version


def image_inputs(batch=1, name="image"):
    return {name: to_tensor_proto(np.zeros((batch, 128, 128, 1), np.float32))}


def write_warmup(version_dir, requests):
    (version_dir / WARMUP_FILE).parent.mkdir(parents=True, exist_ok=True)
    with tf.io.TFRecordWriter(str(version_dir / WARMUP_FILE)) as writer:
        for signature, inputs in requests:
            entry = prediction_log_pb2.PredictionLog()
            entry.predict_log.request.model_spec.signature_name = signature
            for alias, tensor in inputs.items():
                entry.predict_log.request.inputs[alias].CopyFrom(tensor)
            writer.write(entry.SerializeToString())


@pytest.fixture
def version_dir(tiny_model, tmp_path):
    return add_version(tiny_model, tmp_path, 1)


def test_predict_defaults_to_serving_default_and_applies_the_output_filter(version_dir):
    servable = Servable("m", 1, version_dir)
    signature, outputs = servable.predict("", image_inputs(2), ["threshold", "p_covid"])
    assert signature == "serving_default"
    assert {alias: value.shape for alias, value in outputs.items()} == {"threshold": (2,), "p_covid": (2,)}
    assert set(servable.signature_defs.signature_def) >= {"serving_default", "explain"}


@pytest.mark.parametrize(
    ("signature", "inputs", "output_filter", "code"),
    [
        ("no_such_signature", image_inputs(), (), grpc.StatusCode.FAILED_PRECONDITION),
        ("explain", image_inputs(name="pixels"), (), grpc.StatusCode.INVALID_ARGUMENT),
        ("explain", image_inputs(), ["no_such_output"], grpc.StatusCode.INVALID_ARGUMENT),
        ("explain", image_inputs(), ["heatmap", "heatmap"], grpc.StatusCode.INVALID_ARGUMENT),
    ],
)
def test_predict_errors(version_dir, signature, inputs, output_filter, code):
    with pytest.raises(ServingError) as raised:
        Servable("m", 1, version_dir).predict(signature, inputs, output_filter)
    assert raised.value.code == code


def test_warm_up_runs_each_signature_once_without_a_warmup_file(version_dir):
    assert Servable("m", 1, version_dir).warm_up() == 3  # serving_default, explain, severity


def test_warm_up_replays_tf_serving_warmup_requests(version_dir):
    write_warmup(version_dir, [("explain", image_inputs(4)), ("", image_inputs(1)), ("explain", image_inputs(1))])
    assert Servable("m", 1, version_dir).warm_up() == 3


def test_a_version_whose_warmup_requests_fail_does_not_load(version_dir):
    write_warmup(version_dir, [("serving_default", image_inputs(name="pixels"))])
    with pytest.raises(ServingError) as raised:
        load("m", 1, version_dir, batching=None, warm_up=True)
    assert raised.value.code == grpc.StatusCode.INVALID_ARGUMENT
