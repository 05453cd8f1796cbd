"""The OpenVINO backend answers every signature of the committed model as its SavedModel does, on real X-rays.

Compared, for each signature and every output alias: the arrays the servable returns with
backend="openvino" against those of the TensorFlow-run SavedModel, at batch 1 (each X-ray alone) and at
batch 16, element by element, within 1e-5 absolute. The one exception is the out-of-distribution score
(values of 16-34), held to 1e-6 relative: on all 224 val X-rays the runtimes differ by at most 1.9e-5 on
it, five float32 steps at that size, and by at most 6e-6 on any other output. (Before the per-image
standardisation summed in two stages, both runtimes were further than 1e-5 from a float64 reference; see
training/model.py.) The readings must be equal.
"""

import csv
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from devtools.sample_xrays import DATA_DIR, SAMPLE_XRAYS
from preprocess import prepare
from serving.convert import graphs_to_convert
from serving.server.openvino_backend import OpenVinoOptions, _Overlap
from serving.server.servable import OPENVINO, TENSORFLOW, Servable, served_keys
from serving.tensors import to_tensor_proto
from tests.serving.model_dirs import COMMITTED_BASE, add_version

pytest.importorskip("openvino")

BATCH = 16
ATOL = 1e-5  # absolute: probabilities, heatmap, severity; the thresholds are constants and come out equal
OOD_RTOL = 1e-6  # relative, for the out-of-distribution score (16-34 for a chest X-ray)


def val_files(count: int) -> list[Path]:
    """The first `count` X-rays of the val split of ../shared/cxr (tests/environment.py makes sure it is there)."""
    with (DATA_DIR / "manifest.csv").open() as rows:
        return [DATA_DIR / row["file"] for row in csv.DictReader(rows) if row["split"] == "val"][:count]


@pytest.fixture(scope="module")
def xrays() -> np.ndarray:
    files = list(SAMPLE_XRAYS)
    files += val_files(BATCH - len(files))
    return np.stack([prepare(path.read_bytes()).array for path in files])


@pytest.fixture(scope="module")
def committed_dir() -> Path:
    versions = [path for path in COMMITTED_BASE.iterdir() if path.name.isdigit() and (path / "openvino").is_dir()]
    if not versions:
        pytest.skip("no committed version has an OpenVINO IR (python -m serving.convert)")
    return max(versions, key=lambda path: int(path.name))


@pytest.fixture(scope="module")
def servables(committed_dir):
    return {backend: Servable("densenet", 1, committed_dir, backend=backend) for backend in (OPENVINO, TENSORFLOW)}


def test_every_signature_is_served_from_one_converted_graph(servables, committed_dir):
    defs = servables[OPENVINO].signature_defs.signature_def
    assert servables[OPENVINO].backends == dict.fromkeys(served_keys(defs), OPENVINO)
    assert graphs_to_convert({key: defs[key] for key in served_keys(defs)}) == ["explain"]
    assert sorted(path.name for path in (committed_dir / "openvino").iterdir()) == ["explain.bin", "explain.xml"]


def _assert_close(actual, expected, where):
    """Every output alias of `expected` in `actual`, same shape and dtype, within the tolerances above."""
    assert set(actual) == set(expected)
    for alias, value in expected.items():
        assert actual[alias].shape == value.shape and actual[alias].dtype == value.dtype, alias
        rtol, atol = (OOD_RTOL, 0) if alias == "ood_score" else (0, ATOL)
        np.testing.assert_allclose(actual[alias], value, rtol=rtol, atol=atol, err_msg=f"{where} {alias}")


def _assert_same(signature, batch, servables):
    inputs = {"image": to_tensor_proto(batch)}
    _, expected = servables[TENSORFLOW].predict(signature, inputs)
    _, actual = servables[OPENVINO].predict(signature, inputs)
    _assert_close(actual, expected, signature)
    # What the portal shows must not change: the reading and the out-of-distribution verdict.
    for score, cut_off in (("p_covid", "threshold"), ("ood_score", "ood_threshold")):
        if score in expected:  # not in the severity signature
            np.testing.assert_array_equal(actual[score] >= actual[cut_off], expected[score] >= expected[cut_off])


@pytest.mark.parametrize("signature", ["serving_default", "explain", "severity"])
def test_outputs_equal_the_saved_model_at_batch_1(signature, servables, xrays):
    for row in range(len(xrays)):
        _assert_same(signature, xrays[row : row + 1], servables)


@pytest.mark.parametrize("signature", ["serving_default", "explain", "severity"])
def test_outputs_equal_the_saved_model_at_batch_16(signature, servables, xrays):
    _assert_same(signature, xrays, servables)


def test_the_graph_with_a_stream_per_core_equals_the_saved_model(servables, committed_dir, xrays):
    """THROUGHPUT everywhere: the compilation that overlapping calls use under LATENCY, checked on its own."""
    streams = Servable("densenet", 1, committed_dir, backend=OPENVINO, openvino=OpenVinoOptions("THROUGHPUT"))
    for row in range(len(xrays)):
        _assert_same("explain", xrays[row : row + 1], {**servables, OPENVINO: streams})


def test_calls_that_overlap_each_get_their_own_answer(servables, xrays):
    """Four callers at once, each X-ray alone: the calls that find another in flight run on the stream graph."""
    expected = [servables[TENSORFLOW].run("explain", {"image": xrays[row : row + 1]}) for row in range(len(xrays))]
    start = threading.Barrier(4)

    def caller(offset):
        start.wait()
        rows = [(offset + step) % len(xrays) for step in range(len(xrays))]
        return rows, [servables[OPENVINO].run("explain", {"image": xrays[row : row + 1]}) for row in rows]

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(caller, range(0, len(xrays), len(xrays) // 4)))
    for rows, outputs in answers:
        for row, actual in zip(rows, outputs, strict=True):
            _assert_close(actual, expected[row], f"row {row}")


def test_a_call_overlaps_while_another_is_in_flight():
    overlap = _Overlap()
    with overlap as first:
        with overlap as second:
            assert (first, second) == (False, True)
        with overlap as third:
            assert third
    with overlap as alone_again:
        assert not alone_again


def test_a_version_without_the_ir_falls_back_to_tensorflow(tiny_model, tmp_path):
    servable = Servable("m", 1, add_version(tiny_model, tmp_path, 1), backend=OPENVINO)
    assert set(servable.backends.values()) == {TENSORFLOW}
    _, outputs = servable.predict("explain", {"image": to_tensor_proto(np.zeros((2, 128, 128, 1), np.float32))})
    assert outputs["heatmap"].shape == (2, 128, 128)
