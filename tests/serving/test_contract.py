"""The serving contract, through the portal's client and the raw gRPC stubs.

Runs against each `endpoint` (see conftest.py): the local server with a tiny model, the local
server with the committed model, and a real TF Serving when TF_SERVING_TARGET is set.
"""

import json
import urllib.error
import urllib.request

import grpc
import numpy as np
import pytest

from serving.client import INPUT_KEY, ModelClient, ModelServerError, TensorSpec, channel_for
from serving.stubs.tensorflow_serving.apis import (
    get_model_metadata_pb2,
    model_pb2,
    predict_pb2,
    prediction_service_pb2_grpc,
)
from serving.tensors import to_tensor_proto

IMAGE = (128, 128, 1)
SEVERITY = {"severity_extent": (), "severity_extent_sd": (), "severity_opacity": (), "severity_opacity_sd": ()}
SCORES = {"probabilities": (3,), "p_covid": (), "threshold": (), "ood_score": (), "ood_threshold": (), **SEVERITY}
SIGNATURE_OUTPUTS = {"serving_default": SCORES, "explain": {**SCORES, "heatmap": (128, 128)}, "severity": SEVERITY}


def images(batch: int, dtype="float32", shape=IMAGE) -> np.ndarray:
    return np.random.default_rng(batch).random((batch, *shape)).astype(dtype)


def client_for(endpoint, **kwargs) -> ModelClient:
    return ModelClient(endpoint.target, model_name=endpoint.model_name, **kwargs)


def stub_for(endpoint):
    return prediction_service_pb2_grpc.PredictionServiceStub(channel_for(endpoint.target))


def latest_version(endpoint) -> int:
    return max(version for version, state in client_for(endpoint).status() if state == "AVAILABLE")


def test_metadata_lists_the_signatures_with_dtypes_and_shapes(endpoint):
    signatures = client_for(endpoint).metadata()
    for name, outputs in SIGNATURE_OUTPUTS.items():
        assert signatures[name].inputs == {INPUT_KEY: TensorSpec("float32", (-1, *IMAGE))}
        for alias, shape in outputs.items():  # further outputs are allowed
            assert signatures[name].outputs[alias] == TensorSpec("float32", (-1, *shape)), (name, alias)


def test_raw_metadata_packs_a_signature_def_map(endpoint):
    request = get_model_metadata_pb2.GetModelMetadataRequest(
        model_spec=model_pb2.ModelSpec(name=endpoint.model_name), metadata_field=["signature_def"]
    )
    response = stub_for(endpoint).GetModelMetadata(request, timeout=10)
    packed = response.metadata["signature_def"]
    assert packed.type_url.endswith("/tensorflow.serving.SignatureDefMap")
    signatures = get_model_metadata_pb2.SignatureDefMap()
    assert packed.Unpack(signatures)
    assert {"serving_default", "explain", "severity"} <= set(signatures.signature_def)
    assert response.model_spec.name == endpoint.model_name
    assert response.model_spec.version.value == latest_version(endpoint)


@pytest.mark.parametrize("signature", sorted(SIGNATURE_OUTPUTS))
@pytest.mark.parametrize("batch", [1, 16])
def test_predict_shapes(endpoint, signature, batch):
    prediction = client_for(endpoint, timeout=60).predict(images(batch), signature)
    expected = SIGNATURE_OUTPUTS[signature]
    assert set(expected) <= set(prediction.outputs)
    for alias, shape in expected.items():
        output = prediction.outputs[alias]
        assert output.dtype == np.float32 and output.shape == (batch, *shape), alias
        assert np.isfinite(output).all(), alias
    if "probabilities" in expected:
        np.testing.assert_allclose(prediction.outputs["probabilities"].sum(axis=1), 1.0, atol=1e-5)
    assert (prediction.model_name, prediction.signature) == (endpoint.model_name, signature)
    assert prediction.model_version == latest_version(endpoint)


@pytest.mark.parametrize("batch", [1, 16])
def test_severity_scores_lie_on_their_scales_with_a_positive_uncertainty(endpoint, batch):
    outputs = client_for(endpoint, timeout=60).predict(images(batch), "severity").outputs
    assert set(outputs) == set(SEVERITY)
    for score, top in (("severity_extent", 8.0), ("severity_opacity", 6.0)):
        assert ((outputs[score] >= 0.0) & (outputs[score] <= top)).all(), score
        assert (outputs[f"{score}_sd"] > 0.0).all(), score


def test_explain_outputs_are_a_superset_of_every_signature(endpoint):
    signatures = client_for(endpoint).metadata()
    explain = signatures["explain"].outputs
    for name, signature in signatures.items():
        assert signature.outputs.items() <= explain.items(), name


def test_raw_predict_with_output_filter_returns_only_those_outputs(endpoint):
    request = predict_pb2.PredictRequest(
        model_spec=model_pb2.ModelSpec(name=endpoint.model_name), output_filter=["p_covid"]
    )
    request.inputs[INPUT_KEY].CopyFrom(to_tensor_proto(images(2)))
    response = stub_for(endpoint).Predict(request, timeout=30)
    assert set(response.outputs) == {"p_covid"}
    assert response.model_spec.signature_name == "serving_default"
    assert response.model_spec.version.value == latest_version(endpoint)


def test_a_batch_over_four_mebibytes_works_both_ways(endpoint):
    batch = 80  # 80 x 128 x 128 x 4 bytes = 5.2 MB each way, over gRPC's default 4 MiB
    prediction = client_for(endpoint, timeout=120).predict(images(batch), "explain")
    assert prediction.outputs["heatmap"].shape == (batch, 128, 128)


def test_an_explicit_version_is_served_and_reported(endpoint):
    version = latest_version(endpoint)
    assert client_for(endpoint, version=version).predict(images(1)).model_version == version


def _request(endpoint, name=None, version=None, signature="", input_name=INPUT_KEY, array=None):
    spec = model_pb2.ModelSpec(name=name or endpoint.model_name, signature_name=signature)
    if version is not None:
        spec.version.value = version
    request = predict_pb2.PredictRequest(model_spec=spec)
    request.inputs[input_name].CopyFrom(to_tensor_proto(images(1) if array is None else array))
    return request


ERROR_CASES = {
    "unknown model": ({"name": "no-such-model"}, grpc.StatusCode.NOT_FOUND),
    "unknown version": ({"version": 987654}, grpc.StatusCode.NOT_FOUND),
    "unknown signature": ({"signature": "no_such_signature"}, grpc.StatusCode.FAILED_PRECONDITION),
    "wrong dtype": ({"array": images(1, "float64")}, grpc.StatusCode.INVALID_ARGUMENT),
    "wrong shape": ({"array": images(1, shape=(128, 128, 3))}, grpc.StatusCode.INVALID_ARGUMENT),
    "wrong input name": ({"input_name": "pixels"}, grpc.StatusCode.INVALID_ARGUMENT),
}


@pytest.mark.parametrize("case", ERROR_CASES)
def test_errors_have_tf_serving_status_codes(endpoint, case):
    changes, code = ERROR_CASES[case]
    with pytest.raises(grpc.RpcError) as raised:
        stub_for(endpoint).Predict(_request(endpoint, **changes), timeout=30)
    assert raised.value.code() == code, raised.value.details()


@pytest.mark.parametrize(
    ("client_args", "predict_args", "code"),
    [
        ({"model_name": "no-such-model"}, {}, grpc.StatusCode.NOT_FOUND),
        ({"version": 987654}, {}, grpc.StatusCode.NOT_FOUND),
        ({}, {"signature": "no_such_signature"}, grpc.StatusCode.FAILED_PRECONDITION),
        ({}, {"batch": images(1, "float64")}, grpc.StatusCode.INVALID_ARGUMENT),
    ],
)
def test_client_raises_model_server_error_with_code_and_user_message(endpoint, client_args, predict_args, code):
    client = ModelClient(endpoint.target, **{"model_name": endpoint.model_name, **client_args})
    with pytest.raises(ModelServerError) as raised:
        client.predict(**{"batch": images(1), **predict_args})
    assert raised.value.code == code
    assert raised.value.user_message and "Traceback" not in raised.value.user_message


def _get_json(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_rest_status_json(endpoint):
    if endpoint.rest_address is None:
        pytest.skip("TF_SERVING_REST is not set")
    version = latest_version(endpoint)
    base = f"http://{endpoint.rest_address}/v1/models/{endpoint.model_name}"
    for url in (base, f"{base}/versions/{version}"):
        status, document = _get_json(url)
        assert status == 200
        assert {"version": str(version), "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}} in (
            document["model_version_status"]
        )
    status, document = _get_json(f"http://{endpoint.rest_address}/v1/models/no-such-model")
    assert status == 404 and document["error"]
