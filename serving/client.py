"""The portal's client for the model server: TF Serving's gRPC API on grpc, protobuf and numpy only.

Importing TensorFlow in a web worker costs seconds and hundreds of MB, so this module (and
everything it imports) must never pull it in. It talks to the real tensorflow/serving in
production and to `python -m serving.server` locally and in tests; both speak the same API.

Every call has a deadline; only UNAVAILABLE (server down, restarting or still loading) is
retried, with exponential backoff inside that deadline. Failures surface as one exception
type, ModelServerError, which carries the gRPC code and a sentence fit to show a person.
"""

import os
import threading
import time
from dataclasses import dataclass

import grpc
import numpy as np

from serving.stubs.tensorflow_serving.apis import (
    get_model_metadata_pb2,
    get_model_status_pb2,
    model_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
)
from serving.tensors import dtype_name, to_ndarray, to_tensor_proto

INPUT_KEY = "image"
DEFAULT_SIGNATURE = "serving_default"

# gRPC's default 4 MiB receive limit breaks at about 64 images of 128x128 float32; both sides
# raise it explicitly (the local server uses the same figure).
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
CHANNEL_OPTIONS = (
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    # Reconnect soon after a model server restart instead of backing off for minutes.
    ("grpc.initial_reconnect_backoff_ms", 200),
    ("grpc.min_reconnect_backoff_ms", 200),
    ("grpc.max_reconnect_backoff_ms", 1000),
)

RETRY_ATTEMPTS = 6
RETRY_FIRST_DELAY_S = 0.1

UNAVAILABLE_MESSAGE = "The model is temporarily unavailable. Your upload is kept; please try again in a minute."
USER_MESSAGES = {
    grpc.StatusCode.UNAVAILABLE: UNAVAILABLE_MESSAGE,
    grpc.StatusCode.DEADLINE_EXCEEDED: UNAVAILABLE_MESSAGE,
    grpc.StatusCode.NOT_FOUND: "The model version asked for is not being served. Please tell the administrator.",
    grpc.StatusCode.FAILED_PRECONDITION: "This analysis is not offered by the current model. Tell the administrator.",
    grpc.StatusCode.INVALID_ARGUMENT: "The model could not read this image in the form it was prepared.",
    grpc.StatusCode.RESOURCE_EXHAUSTED: "The model server is busy or the request is too large. Please try again later.",
}
DEFAULT_USER_MESSAGE = "The model server failed unexpectedly. Please try again later or tell the administrator."


class ModelServerError(Exception):
    """A failed call to the model server: `.code` (grpc.StatusCode) and `.user_message`."""

    def __init__(self, code: grpc.StatusCode, details: str):
        super().__init__(f"{code.name}: {details}")
        self.code = code
        self.details = details

    @property
    def user_message(self) -> str:
        return USER_MESSAGES.get(self.code, DEFAULT_USER_MESSAGE)


@dataclass(frozen=True)
class Prediction:
    """Outputs of one Predict call and the model version that produced them."""

    outputs: dict[str, np.ndarray]
    model_name: str
    model_version: int
    signature: str


@dataclass(frozen=True)
class TensorSpec:
    """dtype as a numpy name ('float32'); shape with -1 for unknown sizes, None for unknown rank."""

    dtype: str
    shape: tuple[int, ...] | None


@dataclass(frozen=True)
class SignatureSpec:
    inputs: dict[str, TensorSpec]
    outputs: dict[str, TensorSpec]


_channels: dict[tuple[int, str], grpc.Channel] = {}
_channels_lock = threading.Lock()


def channel_for(target: str) -> grpc.Channel:
    """The process's one long-lived channel to `target`; a forked worker gets its own."""
    key = (os.getpid(), target)
    with _channels_lock:
        if key not in _channels:
            _channels[key] = grpc.insecure_channel(target, options=CHANNEL_OPTIONS)
        return _channels[key]


class ModelClient:
    """Calls one model (by name, optionally pinned to a version) on a model server at `target`."""

    def __init__(self, target: str, model_name: str = "densenet", version: int | None = None, timeout: float = 10.0):
        self.target = target
        self.model_name = model_name
        self.version = version
        self.timeout = timeout
        channel = channel_for(target)
        self._predictions = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        self._models = model_service_pb2_grpc.ModelServiceStub(channel)

    def predict(self, batch: np.ndarray, signature: str = DEFAULT_SIGNATURE) -> Prediction:
        """Run `signature` on a batch (float32 [batch, 128, 128, 1] for densenet)."""
        request = predict_pb2.PredictRequest(model_spec=self._spec(signature))
        request.inputs[INPUT_KEY].CopyFrom(to_tensor_proto(batch))
        response = self._call(self._predictions.Predict, request)
        return Prediction(
            outputs={name: to_ndarray(tensor) for name, tensor in response.outputs.items()},
            model_name=response.model_spec.name,
            model_version=response.model_spec.version.value,
            signature=response.model_spec.signature_name,
        )

    def metadata(self) -> dict[str, SignatureSpec]:
        """Callable signatures by name (internal ones such as __saved_model_init_op left out)."""
        request = get_model_metadata_pb2.GetModelMetadataRequest(
            model_spec=self._spec(), metadata_field=["signature_def"]
        )
        response = self._call(self._predictions.GetModelMetadata, request)
        signatures = get_model_metadata_pb2.SignatureDefMap()
        response.metadata["signature_def"].Unpack(signatures)
        return {
            name: SignatureSpec(inputs=_specs(signature.inputs), outputs=_specs(signature.outputs))
            for name, signature in signatures.signature_def.items()
            if not name.startswith("__")
        }

    def status(self) -> list[tuple[int, str]]:
        """(version, state) for each version the server knows, e.g. [(1, 'AVAILABLE')]."""
        request = get_model_status_pb2.GetModelStatusRequest(model_spec=self._spec())
        response = self._call(self._models.GetModelStatus, request)
        return sorted(
            (entry.version, get_model_status_pb2.ModelVersionStatus.State.Name(entry.state))
            for entry in response.model_version_status
        )

    def _spec(self, signature: str = "") -> model_pb2.ModelSpec:
        spec = model_pb2.ModelSpec(name=self.model_name, signature_name=signature)
        if self.version is not None:
            spec.version.value = self.version
        return spec

    def _call(self, method, request):
        deadline = time.monotonic() + self.timeout
        delay = RETRY_FIRST_DELAY_S
        attempt = 1
        while True:
            try:
                return method(request, timeout=deadline - time.monotonic())
            except grpc.RpcError as error:
                retry = error.code() == grpc.StatusCode.UNAVAILABLE and attempt < RETRY_ATTEMPTS
                if not retry or time.monotonic() + delay >= deadline:  # no time left for another try
                    raise ModelServerError(error.code(), error.details() or "") from None
            time.sleep(delay)
            delay *= 2
            attempt += 1


def _specs(infos) -> dict[str, TensorSpec]:
    return {
        alias: TensorSpec(
            dtype=dtype_name(info.dtype),
            shape=None if info.tensor_shape.unknown_rank else tuple(d.size for d in info.tensor_shape.dim),
        )
        for alias, info in infos.items()
    }
