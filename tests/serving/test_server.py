"""Behaviour of the local model server that a real TF Serving shares but tests cannot drive there:
version directories appearing, version policies, unimplemented APIs, metrics, batching, restarts."""

import threading
import time
import urllib.request

import grpc
import numpy as np
import pytest

from devtools.services import free_port
from serving.client import UNAVAILABLE_MESSAGE, ModelClient, ModelServerError, channel_for
from serving.stubs.tensorflow_serving.apis import (
    classification_pb2,
    get_model_metadata_pb2,
    inference_pb2,
    model_pb2,
    prediction_service_pb2_grpc,
    regression_pb2,
)
from serving.testing import start_model_server
from tests.serving.model_dirs import add_version, model_config

WAIT_S = 60


def images(batch: int) -> np.ndarray:
    return np.random.default_rng(batch).random((batch, 128, 128, 1), dtype=np.float32)


def wait_for(condition, timeout=WAIT_S):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_a_new_version_directory_is_served_without_restart(tiny_server, tiny_model):
    client = ModelClient(tiny_server.server.target, model_name="rolling")
    assert client.predict(images(1)).model_version == 1
    add_version(tiny_model, tiny_server.base / "rolling", 2)
    served = []
    wait_for(lambda: served.append(client.predict(images(1)).model_version) or served[-1] == 2)
    assert set(served) <= {1, 2}  # no request failed while version 2 loaded
    wait_for(lambda: client.status() == [(1, "END"), (2, "AVAILABLE")])


def test_specific_policy_serves_only_the_pinned_version(tiny_server):
    client = ModelClient(tiny_server.server.target, model_name="pinned")
    assert client.status() == [(1, "AVAILABLE")]  # version 2 is on disk but not wanted
    assert client.predict(images(1)).model_version == 1
    with pytest.raises(ModelServerError) as raised:
        ModelClient(tiny_server.server.target, model_name="pinned", version=2).predict(images(1))
    assert raised.value.code == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize(
    ("method", "request_type"),
    [
        ("Classify", classification_pb2.ClassificationRequest),
        ("Regress", regression_pb2.RegressionRequest),
        ("MultiInference", inference_pb2.MultiInferenceRequest),
    ],
)
def test_classify_regress_and_multi_inference_are_unimplemented(tiny_server, method, request_type):
    stub = prediction_service_pb2_grpc.PredictionServiceStub(channel_for(tiny_server.server.target))
    with pytest.raises(grpc.RpcError) as raised:
        getattr(stub, method)(request_type(), timeout=10)
    assert raised.value.code() == grpc.StatusCode.UNIMPLEMENTED


@pytest.mark.parametrize(
    ("fields", "code"),
    [([], grpc.StatusCode.INVALID_ARGUMENT), (["not_a_field"], grpc.StatusCode.INVALID_ARGUMENT)],
)
def test_metadata_needs_the_signature_def_field(tiny_server, fields, code):
    stub = prediction_service_pb2_grpc.PredictionServiceStub(channel_for(tiny_server.server.target))
    request = get_model_metadata_pb2.GetModelMetadataRequest(
        model_spec=model_pb2.ModelSpec(name="densenet"), metadata_field=fields
    )
    with pytest.raises(grpc.RpcError) as raised:
        stub.GetModelMetadata(request, timeout=10)
    assert raised.value.code() == code


def _predict_count(server, status: str) -> float:
    url = f"http://{server.rest_address}/monitoring/prometheus/metrics"
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = response.read().decode()
    prefix = (
        'model_server_requests_total{api="Predict",model="densenet",version="1",'
        f'signature="explain",status="{status}"}} '
    )
    return sum(float(line.removeprefix(prefix)) for line in text.splitlines() if line.startswith(prefix))


def test_metrics_count_requests_by_outcome(tiny_server):
    server = tiny_server.server
    ok_before, bad_before = _predict_count(server, "OK"), _predict_count(server, "INVALID_ARGUMENT")
    client = ModelClient(server.target)
    for _ in range(3):
        client.predict(images(1), "explain")
    with pytest.raises(ModelServerError):
        client.predict(images(1).astype(np.float64), "explain")
    assert _predict_count(server, "OK") == ok_before + 3
    assert _predict_count(server, "INVALID_ARGUMENT") == bad_before + 1


def test_batching_serves_concurrent_requests_with_the_same_results(tiny_server, tmp_path):
    parameters = tmp_path / "batching.config"
    parameters.write_text("max_batch_size { value: 8 }\nbatch_timeout_micros { value: 20000 }\n")
    config = tmp_path / "models.config"
    config.write_text(model_config(tiny_server.base, {"densenet": "latest {}"}))
    server = start_model_server(
        config, free_port(), free_port(),
        extra_args=["--enable_batching", f"--batching_parameters_file={parameters}"],
        log_path=tmp_path / "server.log",
    )  # fmt: skip
    try:
        batched, plain = ModelClient(server.target), ModelClient(tiny_server.server.target)
        inputs = [images(1) + i for i in range(8)]
        results = [None] * len(inputs)

        def call(i):
            results[i] = batched.predict(inputs[i], "explain").outputs

        threads = [threading.Thread(target=call, args=(i,)) for i in range(len(inputs))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for i, outputs in enumerate(results):
            expected = plain.predict(inputs[i], "explain").outputs
            for alias, value in expected.items():
                np.testing.assert_allclose(outputs[alias], value, rtol=1e-6, err_msg=alias)
        with pytest.raises(ModelServerError) as raised:
            batched.predict(images(9))  # larger than max_batch_size, as TF Serving refuses it
        assert raised.value.code == grpc.StatusCode.INVALID_ARGUMENT
    finally:
        server.stop()


def test_a_killed_server_gives_unavailable_and_recovers_after_restart(tiny_server, tmp_path):
    config = tmp_path / "models.config"
    config.write_text(model_config(tiny_server.base, {"densenet": "latest {}"}))
    ports = free_port(), free_port()
    server = start_model_server(config, *ports, log_path=tmp_path / "server.log")
    client = ModelClient(server.target, timeout=3.0)
    assert client.predict(images(1)).model_version == 1
    server.kill()
    started = time.monotonic()
    with pytest.raises(ModelServerError) as raised:
        client.predict(images(1))
    assert raised.value.code == grpc.StatusCode.UNAVAILABLE
    assert raised.value.user_message == UNAVAILABLE_MESSAGE
    assert time.monotonic() - started < 3.5  # retries stay inside the deadline
    server = start_model_server(config, *ports, log_path=tmp_path / "server.log")
    try:
        assert client.predict(images(1)).model_version == 1
    finally:
        server.stop()
    assert server.service.process.returncode == 0  # SIGTERM shuts down cleanly
