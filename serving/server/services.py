"""TF Serving's gRPC services (tensorflow.serving.PredictionService and ModelService).

Predict, GetModelMetadata and GetModelStatus are implemented; Classify, Regress, MultiInference
and HandleReloadConfigRequest keep the generated UNIMPLEMENTED answer. Every answer is
counted in the metrics; failures are logged by code and message, never with payloads.
"""

import logging
import time
from concurrent import futures
from contextlib import contextmanager
from dataclasses import dataclass

import grpc

from serving.client import DEFAULT_SIGNATURE, MAX_MESSAGE_BYTES
from serving.server.errors import ServingError
from serving.server.manager import ModelManager
from serving.server.metrics import Metrics
from serving.stubs.tensorflow_serving.apis import (
    get_model_metadata_pb2,
    get_model_status_pb2,
    model_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
)
from serving.tensors import to_tensor_proto

log = logging.getLogger(__name__)

SERVER_OPTIONS = (
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ("grpc.so_reuseport", 0),  # a port already in use is an error, as for tensorflow_model_server
)
SIGNATURE_DEF_FIELD = "signature_def"


@dataclass
class _Outcome:
    """What a request resolved to, for its metrics labels."""

    version: str = ""
    signature: str = ""


@contextmanager
def _answering(context, metrics: Metrics, api: str, spec: model_pb2.ModelSpec, signature: str = ""):
    outcome = _Outcome(signature=signature)
    status = grpc.StatusCode.OK
    started = time.perf_counter()
    try:
        yield outcome
    except ServingError as error:
        status = error.code
        log.warning("%s for model %r: %s %s", api, spec.name, error.code.name, error.message)
        context.abort(error.code, error.message)
    except Exception:
        status = grpc.StatusCode.INTERNAL
        log.exception("%s for model %r failed", api, spec.name)
        context.abort(status, "internal error in the model server")
    finally:
        metrics.observe(api, spec.name, outcome.version, outcome.signature, status.name, time.perf_counter() - started)


def _require_spec(request) -> None:
    if not request.HasField("model_spec"):
        raise ServingError(grpc.StatusCode.INVALID_ARGUMENT, "Missing ModelSpec")


def _spec(servable, signature: str = "") -> model_pb2.ModelSpec:
    spec = model_pb2.ModelSpec(name=servable.name, signature_name=signature)
    spec.version.value = servable.version
    return spec


def model_status(manager: ModelManager, spec: model_pb2.ModelSpec) -> get_model_status_pb2.GetModelStatusResponse:
    """GetModelStatus's answer (shared by gRPC and REST)."""
    version = spec.version.value if spec.HasField("version") else None
    response = get_model_status_pb2.GetModelStatusResponse()
    for status in manager.statuses(spec.name, version):
        entry = response.model_version_status.add(version=status.version, state=status.state)
        entry.status.SetInParent()  # TF Serving always reports a status, "OK" when all is well
        if status.error is not None:
            entry.status.error_code = status.error.code.value[0]
            entry.status.error_message = status.error.message
    return response


class PredictionService(prediction_service_pb2_grpc.PredictionServiceServicer):
    def __init__(self, manager: ModelManager, metrics: Metrics):
        self._manager = manager
        self._metrics = metrics

    def Predict(self, request, context):
        signature = request.model_spec.signature_name or DEFAULT_SIGNATURE
        with _answering(context, self._metrics, "Predict", request.model_spec, signature) as outcome:
            _require_spec(request)
            servable = self._manager.servable(request.model_spec)
            outcome.version = str(servable.version)
            signature, outputs = servable.predict(signature, request.inputs, request.output_filter)
            response = predict_pb2.PredictResponse(model_spec=_spec(servable, signature))
            for alias, array in outputs.items():
                response.outputs[alias].CopyFrom(to_tensor_proto(array))
            return response

    def GetModelMetadata(self, request, context):
        with _answering(context, self._metrics, "GetModelMetadata", request.model_spec) as outcome:
            _require_spec(request)
            if not request.metadata_field:
                raise ServingError(
                    grpc.StatusCode.INVALID_ARGUMENT, "GetModelMetadataRequest must specify at least one metadata_field"
                )
            for field in request.metadata_field:
                if field != SIGNATURE_DEF_FIELD:
                    raise ServingError(grpc.StatusCode.INVALID_ARGUMENT, f"Metadata field {field} is not supported")
            servable = self._manager.servable(request.model_spec)
            outcome.version = str(servable.version)
            response = get_model_metadata_pb2.GetModelMetadataResponse(model_spec=_spec(servable))
            response.metadata[SIGNATURE_DEF_FIELD].Pack(servable.signature_defs)
            return response


class ModelService(model_service_pb2_grpc.ModelServiceServicer):
    def __init__(self, manager: ModelManager, metrics: Metrics):
        self._manager = manager
        self._metrics = metrics

    def GetModelStatus(self, request, context):
        with _answering(context, self._metrics, "GetModelStatus", request.model_spec):
            _require_spec(request)
            return model_status(self._manager, request.model_spec)


def start_grpc_server(manager: ModelManager, metrics: Metrics, address: str, max_workers: int) -> grpc.Server:
    """Serve both services on `address` (host:port) until stopped."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=max_workers), options=SERVER_OPTIONS)
    prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(PredictionService(manager, metrics), server)
    model_service_pb2_grpc.add_ModelServiceServicer_to_server(ModelService(manager, metrics), server)
    server.add_insecure_port(address)
    server.start()
    return server
