"""Signatures answered by OpenVINO from the IR that `serving.convert` keeps beside a SavedModel.

A signature is served from a converted graph that covers it (same inputs, a superset of its
outputs) by picking its outputs; signatures without one, versions without `openvino/`, and
machines without the `openvino` package are left to TensorFlow.
"""

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from serving.stubs.tensorflow.core.protobuf import meta_graph_pb2

log = logging.getLogger(__name__)

OPENVINO_DIR = "openvino"
PERFORMANCE_HINTS = ("LATENCY", "THROUGHPUT")

Arrays = dict[str, np.ndarray]


@dataclass(frozen=True)
class OpenVinoOptions:
    """OpenVINO CPU settings; see docs/benchmarks.md for the measurements behind the defaults.

    LATENCY: a call made alone uses every core, and calls that overlap run on a stream per core each;
    THROUGHPUT: every call runs on a stream of its own core."""

    performance_hint: str = "LATENCY"
    num_threads: int = 0  # 0: OpenVINO's choice, one per physical core


def _specs(infos) -> dict[str, tuple[int, bytes]]:
    """alias -> (dtype, shape) of a signature's TensorInfos; their graph tensor names differ between signatures."""
    return {alias: (info.dtype, info.tensor_shape.SerializeToString()) for alias, info in infos.items()}


def covers(wide: meta_graph_pb2.SignatureDef, narrow: meta_graph_pb2.SignatureDef) -> bool:
    """True when `wide` takes the same inputs as `narrow` and returns at least its outputs."""
    outputs = _specs(wide.outputs)
    return _specs(wide.inputs) == _specs(narrow.inputs) and all(
        outputs.get(alias) == spec for alias, spec in _specs(narrow.outputs).items()
    )


class _Overlap:
    """Counts the calls in flight; entering says whether another one is running."""

    def __init__(self):
        self._lock = threading.Lock()
        self._in_flight = 0

    def __enter__(self) -> bool:
        with self._lock:
            self._in_flight += 1
            return self._in_flight > 1

    def __exit__(self, *exc_info):
        with self._lock:
            self._in_flight -= 1


class _CompiledGraph:
    """One IR compiled for each way it is called. One row, every shape fixed (the portal's call, about 7% faster
    than on the graph that takes any batch size): with the configured hint for a call made alone, and with
    THROUGHPUT (a stream per core) for calls that overlap, which then run side by side instead of queueing for
    every core (15% more images/s with 4 callers, as many as at batch 16; docs/benchmarks.md). Any other batch
    size: the configured hint. Each calling thread has its own infer requests: concurrent Predict calls never
    share one, and OpenVINO queues them in order on its streams without holding the GIL (a shared pool of
    requests, handed out under the GIL, let some callers wait seconds under load)."""

    def __init__(self, core, xml: Path, config: dict):
        any_rows = core.read_model(xml)
        one_row = any_rows.clone()
        one_row.reshape({port: _with_one_row(port.get_partial_shape()) for port in one_row.inputs})
        overlapping = {**config, "PERFORMANCE_HINT": "THROUGHPUT"}
        self._compiled = {"any_rows": core.compile_model(any_rows, "CPU", config),
                          "alone": core.compile_model(one_row, "CPU", config)}  # fmt: skip
        self._compiled["overlapping"] = (
            self._compiled["alone"] if overlapping == config else core.compile_model(one_row, "CPU", overlapping)
        )
        self._overlap = _Overlap()
        self._local = threading.local()

    def run(self, aliases: list[str], arrays: Arrays) -> Arrays:
        one_row = all(len(array) == 1 for array in arrays.values())
        with self._overlap as overlapping:
            name = ("overlapping" if overlapping else "alone") if one_row else "any_rows"
            request = getattr(self._local, name, None)
            if request is None:
                request = self._compiled[name].create_infer_request()
                setattr(self._local, name, request)
            results = request.infer(arrays)  # copies the outputs out of the request's buffers
        return {alias: results[alias] for alias in aliases}


def _with_one_row(shape):
    shape[0] = 1
    return shape


def runners(
    path: Path, signature_defs: dict[str, meta_graph_pb2.SignatureDef], keys: Iterable[str], options: OpenVinoOptions
) -> dict[str, Callable[[Arrays], Arrays]]:
    """A runner for each of `keys` that a converted graph under `path/openvino/` covers."""
    directory = Path(path) / OPENVINO_DIR
    if not directory.is_dir():
        log.warning("%s has no OpenVINO IR (python -m serving.convert makes it); TensorFlow serves it", path)
        return {}
    try:
        import openvino as ov
    except ImportError:
        log.warning("the openvino package is not installed; TensorFlow serves %s", path)
        return {}
    graphs = {xml.stem: xml for xml in sorted(directory.glob("*.xml")) if xml.stem in signature_defs}
    config = {"PERFORMANCE_HINT": options.performance_hint, "INFERENCE_PRECISION_HINT": "f32"}
    if options.num_threads:
        config["INFERENCE_NUM_THREADS"] = options.num_threads
    core = ov.Core()
    compiled: dict[str, _CompiledGraph] = {}
    found = {}
    for key in keys:
        graph = next((name for name in graphs if covers(signature_defs[name], signature_defs[key])), None)
        if graph is None:
            continue
        if graph not in compiled:
            compiled[graph] = _CompiledGraph(core, graphs[graph], config)
        found[key] = partial(compiled[graph].run, sorted(signature_defs[key].outputs))
    return found
