"""One loaded SavedModel version: its SignatureDefs, Predict on its signatures, warm-up at load.

The signatures run on TensorFlow, or with `backend="openvino"` on the OpenVINO IR kept beside the
SavedModel (see serving/server/openvino_backend.py); TensorFlow loads only for what OpenVINO cannot serve.
"""

import logging
from collections.abc import Iterable, Mapping
from functools import partial
from pathlib import Path

import grpc
import numpy as np
import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2

from serving.client import DEFAULT_SIGNATURE
from serving.server.batching import Batcher, BatchOptions
from serving.server.errors import ServingError, status_code
from serving.server.openvino_backend import OpenVinoOptions, runners
from serving.server.validation import check_inputs, check_output_filter
from serving.stubs.tensorflow.core.framework import tensor_pb2
from serving.stubs.tensorflow_serving.apis import get_model_metadata_pb2, prediction_log_pb2
from serving.tensors import dtype_name

log = logging.getLogger(__name__)

SERVE_TAG = "serve"
INIT_OP_KEY = "__saved_model_init_op"  # in TF2 exports' signature map, but not a signature to serve
TENSORFLOW, OPENVINO = "tensorflow", "openvino"
BACKENDS = (TENSORFLOW, OPENVINO)
DEFAULT_OPENVINO = OpenVinoOptions()
WARMUP_FILE = Path("assets.extra") / "tf_serving_warmup_requests"


def read_signature_defs(path: Path) -> get_model_metadata_pb2.SignatureDefMap:
    """The SignatureDefs of the 'serve' MetaGraph, as GetModelMetadata returns them."""
    saved_model = saved_model_pb2.SavedModel.FromString((path / "saved_model.pb").read_bytes())
    for graph in saved_model.meta_graphs:
        if SERVE_TAG in graph.meta_info_def.tags:
            signatures = get_model_metadata_pb2.SignatureDefMap()
            for key, signature in graph.signature_def.items():
                signatures.signature_def[key].ParseFromString(signature.SerializeToString())
            return signatures
    raise ValueError(f"{path}: no MetaGraph tagged {SERVE_TAG!r}")


def served_keys(signature_defs) -> list[str]:
    """The signature keys Predict answers."""
    return sorted(key for key in signature_defs if key != INIT_OP_KEY)


class Servable:
    """A model version ready to serve Predict; load with Servable(...), then warm_up()."""

    def __init__(
        self,
        name: str,
        version: int,
        path: Path,
        batching: BatchOptions | None = None,
        backend: str = TENSORFLOW,
        openvino: OpenVinoOptions = DEFAULT_OPENVINO,
    ):
        self.name = name
        self.version = version
        self.path = path
        self.signature_defs = read_signature_defs(path)
        defs = self.signature_defs.signature_def
        keys = served_keys(defs)
        functions = runners(path, defs, keys, openvino) if backend == OPENVINO else {}
        self.backends = dict.fromkeys(functions, OPENVINO)
        self._model = None
        if set(keys) - set(functions):
            self._model = tf.saved_model.load(str(path), tags=[SERVE_TAG])
            for key in keys:
                functions.setdefault(key, partial(_execute, self._model.signatures[key]))
                self.backends.setdefault(key, TENSORFLOW)
        self._runners = {key: Batcher(run, batching) if batching else run for key, run in functions.items()}

    def predict(
        self, signature_name: str, inputs: Mapping[str, tensor_pb2.TensorProto], output_filter: Iterable[str] = ()
    ) -> tuple[str, dict[str, np.ndarray]]:
        """(effective signature name, requested outputs) for one Predict request."""
        key = signature_name or DEFAULT_SIGNATURE
        if key not in self._runners or key not in self.signature_defs.signature_def:
            raise ServingError(grpc.StatusCode.FAILED_PRECONDITION, f'Serving signature key "{key}" not found.')
        signature = self.signature_defs.signature_def[key]
        arrays = check_inputs(signature, inputs)
        wanted = check_output_filter(signature, output_filter)
        outputs = self.run(key, arrays)
        return key, {alias: outputs[alias] for alias in wanted}

    def warm_up(self) -> int:
        """Replay assets.extra/tf_serving_warmup_requests if the export has it (TF Serving's warm-up
        file: a TFRecord of PredictionLog), else run one zero batch per signature. Returns the runs."""
        warmup_file = self.path / WARMUP_FILE
        if not warmup_file.exists():
            for key in self._runners:
                inputs = self.signature_defs.signature_def[key].inputs
                self.run(key, {alias: _zeros(info) for alias, info in inputs.items()})
            return len(self._runners)
        runs = 0
        for record in tf.data.TFRecordDataset(str(warmup_file)):
            entry = prediction_log_pb2.PredictionLog.FromString(record.numpy())
            if entry.WhichOneof("log_type") != "predict_log":
                raise ValueError(f"{warmup_file}: only predict_log warm-up records are supported")
            request = entry.predict_log.request
            self.predict(request.model_spec.signature_name, request.inputs, request.output_filter)
            runs += 1
        return runs

    def close(self) -> None:
        for runner in self._runners.values():
            if isinstance(runner, Batcher):
                runner.stop()

    def run(self, key: str, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Every output of signature `key` on validated arrays: what Predict runs, and the in-process benchmark."""
        runner = self._runners[key]
        return runner.submit(arrays) if isinstance(runner, Batcher) else runner(arrays)


def _execute(function, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    try:
        results = function(**{alias: tf.constant(array) for alias, array in arrays.items()})
    except tf.errors.OpError as error:
        raise ServingError(status_code(error.error_code), error.message) from None
    except (TypeError, ValueError) as error:
        raise ServingError(grpc.StatusCode.INVALID_ARGUMENT, str(error)) from None
    return {alias: tensor.numpy() for alias, tensor in results.items()}


def _zeros(info) -> np.ndarray:
    shape = [1 if dim.size < 0 else dim.size for dim in info.tensor_shape.dim]
    return np.zeros(shape, dtype=dtype_name(info.dtype))


def configure_threads(intra_op: int, inter_op: int) -> None:
    """TensorFlow's thread pools (0 keeps TensorFlow's choice); call before any model loads."""
    if intra_op:
        tf.config.threading.set_intra_op_parallelism_threads(intra_op)
    if inter_op:
        tf.config.threading.set_inter_op_parallelism_threads(inter_op)


def load(
    name: str,
    version: int,
    path: Path,
    batching: BatchOptions | None,
    warm_up: bool,
    backend: str = TENSORFLOW,
    openvino: OpenVinoOptions = DEFAULT_OPENVINO,
) -> Servable:
    """Load a version and, if asked, warm it up so its first real request is not the slow one."""
    servable = Servable(name, version, path, batching, backend, openvino)
    log.info("Model %s version %d signatures run on %s", name, version, servable.backends)
    if warm_up:
        try:
            servable.warm_up()
        except BaseException:
            servable.close()
            raise
    return servable
