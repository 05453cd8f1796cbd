"""Server-side batching (tensorflow_model_server --enable_batching), off by default.

Concurrent Predict calls on one signature queue up; a batch thread takes the oldest call,
waits up to batch_timeout_micros for more rows (up to max_batch_size), runs them as one batch
and hands each call its rows back. Parameters and their defaults are TF Serving's
(BatchingParameters in a --batching_parameters_file).
"""

import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import grpc
import numpy as np

from serving.server.errors import ServingError
from serving.stubs.tensorflow_serving.servables.tensorflow import session_bundle_config_pb2

Arrays = dict[str, np.ndarray]


@dataclass(frozen=True)
class BatchOptions:
    max_batch_size: int = 1000
    batch_timeout_s: float = 0.0
    max_enqueued_batches: int = 10
    num_batch_threads: int = field(default_factory=lambda: os.cpu_count() or 1)
    allowed_batch_sizes: tuple[int, ...] = ()

    @classmethod
    def from_proto(cls, params: session_bundle_config_pb2.BatchingParameters) -> "BatchOptions":
        defaults = cls()
        options = cls(
            max_batch_size=_value(params, "max_batch_size", defaults.max_batch_size),
            batch_timeout_s=_value(params, "batch_timeout_micros", 0) / 1e6,
            max_enqueued_batches=_value(params, "max_enqueued_batches", defaults.max_enqueued_batches),
            num_batch_threads=_value(params, "num_batch_threads", defaults.num_batch_threads),
            allowed_batch_sizes=tuple(params.allowed_batch_sizes),
        )
        sizes = options.allowed_batch_sizes
        if sizes and (list(sizes) != sorted(set(sizes)) or sizes[-1] != options.max_batch_size):
            raise ValueError("allowed_batch_sizes must increase and end with max_batch_size")
        if min(options.max_batch_size, options.num_batch_threads, options.max_enqueued_batches) < 1:
            raise ValueError("max_batch_size, num_batch_threads and max_enqueued_batches must be >= 1")
        return options


def _value(params, name: str, default: int) -> int:
    return getattr(params, name).value if params.HasField(name) else default


@dataclass
class _Task:
    inputs: Arrays
    rows: int
    enqueued: float
    done: threading.Event = field(default_factory=threading.Event)
    outputs: Arrays | None = None
    error: BaseException | None = None


class Batcher:
    """Runs `run` on batches formed from concurrent submit() calls."""

    def __init__(self, run: Callable[[Arrays], Arrays], options: BatchOptions):
        self._run = run
        self._options = options
        self._queue: deque[_Task] = deque()
        self._queued_rows = 0
        self._ready = threading.Condition()
        self._stopped = False
        for i in range(options.num_batch_threads):
            threading.Thread(target=self._work, name=f"batch-{i}", daemon=True).start()

    def submit(self, inputs: Arrays) -> Arrays:
        rows = len(next(iter(inputs.values())))
        if rows > self._options.max_batch_size:
            raise ServingError(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"Task size {rows} is larger than maximum input batch size {self._options.max_batch_size}",
            )
        task = _Task(inputs, rows, time.monotonic())
        with self._ready:
            if self._stopped:  # the version was unloaded while this request held it
                return self._run(inputs)
            if self._queued_rows + rows > self._options.max_enqueued_batches * self._options.max_batch_size:
                raise ServingError(
                    grpc.StatusCode.UNAVAILABLE, "The batch scheduling queue to which this task was submitted is full"
                )
            self._queue.append(task)
            self._queued_rows += rows
            self._ready.notify()
        task.done.wait()
        if task.error is not None:
            raise task.error
        return task.outputs

    def stop(self) -> None:
        """Let the batch threads finish what is queued and end; later calls run unbatched."""
        with self._ready:
            self._stopped = True
            self._ready.notify_all()

    def _work(self) -> None:
        while True:
            tasks = self._next_batch()
            if tasks is None:
                return
            try:
                self._run_batch(tasks)
            except BaseException as error:  # every waiting caller must hear of it
                for task in tasks:
                    task.error = error
            for task in tasks:
                task.done.set()

    def _next_batch(self) -> list[_Task] | None:
        with self._ready:
            while True:
                while not self._queue:
                    if self._stopped:
                        return None
                    self._ready.wait()
                head = self._queue[0]
                close_at = head.enqueued + self._options.batch_timeout_s
                while (
                    self._queue
                    and self._queue[0] is head
                    and self._queued_rows < self._options.max_batch_size
                    and time.monotonic() < close_at
                ):
                    self._ready.wait(close_at - time.monotonic())
                if self._queue:  # else another batch thread took these tasks meanwhile
                    return self._take()

    def _take(self) -> list[_Task]:
        tasks, rows = [], 0
        while self._queue and rows + self._queue[0].rows <= self._options.max_batch_size:
            task = self._queue.popleft()
            tasks.append(task)
            rows += task.rows
        self._queued_rows -= rows
        return tasks

    def _run_batch(self, tasks: list[_Task]) -> None:
        rows = sum(task.rows for task in tasks)
        padded = next((size for size in self._options.allowed_batch_sizes if size >= rows), rows)
        inputs = {}
        for alias in tasks[0].inputs:
            parts = [task.inputs[alias] for task in tasks]
            if padded > rows:
                parts.append(np.zeros((padded - rows, *parts[0].shape[1:]), dtype=parts[0].dtype))
            inputs[alias] = np.concatenate(parts)
        outputs = self._run(inputs)
        start = 0
        for task in tasks:
            task.outputs = {alias: value[start : start + task.rows] for alias, value in outputs.items()}
            start += task.rows
