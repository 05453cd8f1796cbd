"""The batch scheduler, with a model stand-in that records the batches it runs."""

import threading
import time

import grpc
import numpy as np
import pytest

from serving.server.batching import Batcher, BatchOptions
from serving.server.errors import ServingError


class DoublingModel:
    """Doubles its input and remembers each batch size it was run with."""

    def __init__(self):
        self.batches = []

    def __call__(self, inputs):
        self.batches.append(len(inputs["x"]))
        return {"y": inputs["x"] * 2}


def submit_concurrently(batcher, arrays):
    results = [None] * len(arrays)

    def call(i):
        results[i] = batcher.submit({"x": arrays[i]})["y"]

    threads = [threading.Thread(target=call, args=(i,)) for i in range(len(arrays))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_concurrent_calls_share_batches_and_get_their_own_rows_back():
    model = DoublingModel()
    batcher = Batcher(model, BatchOptions(max_batch_size=8, batch_timeout_s=0.2, num_batch_threads=1))
    arrays = [np.full((1 + i % 2, 3), float(i)) for i in range(6)]  # 9 rows in all
    results = submit_concurrently(batcher, arrays)
    batcher.stop()
    for array, result in zip(arrays, results, strict=True):
        np.testing.assert_array_equal(result, array * 2)
    assert sum(model.batches) == 9 and max(model.batches) <= 8 and len(model.batches) < 6


def test_a_lone_call_waits_at_most_the_timeout():
    batcher = Batcher(DoublingModel(), BatchOptions(max_batch_size=8, batch_timeout_s=0.05, num_batch_threads=1))
    started = time.monotonic()
    batcher.submit({"x": np.ones((1, 2))})
    assert time.monotonic() - started < 1.0
    batcher.stop()


def test_batches_are_padded_to_allowed_sizes():
    model = DoublingModel()
    batcher = Batcher(model, BatchOptions(max_batch_size=8, num_batch_threads=1, allowed_batch_sizes=(4, 8)))
    result = batcher.submit({"x": np.ones((3, 2))})["y"]
    batcher.stop()
    assert model.batches == [4] and result.shape == (3, 2)


def test_a_call_larger_than_max_batch_size_is_refused():
    batcher = Batcher(DoublingModel(), BatchOptions(max_batch_size=4, num_batch_threads=1))
    with pytest.raises(ServingError) as raised:
        batcher.submit({"x": np.ones((5, 2))})
    batcher.stop()
    assert raised.value.code == grpc.StatusCode.INVALID_ARGUMENT


def test_model_errors_reach_every_caller_of_the_batch():
    def failing(inputs):
        raise ServingError(grpc.StatusCode.INVALID_ARGUMENT, "bad batch")

    batcher = Batcher(failing, BatchOptions(max_batch_size=4, num_batch_threads=1))
    with pytest.raises(ServingError, match="bad batch"):
        batcher.submit({"x": np.ones((1, 2))})
    batcher.stop()


def test_calls_after_stop_still_get_answers():
    batcher = Batcher(DoublingModel(), BatchOptions(max_batch_size=4, num_batch_threads=1))
    batcher.stop()
    np.testing.assert_array_equal(batcher.submit({"x": np.ones((1, 2))})["y"], np.full((1, 2), 2.0))
