"""Version lifecycle in one process, with real loads of the tiny SavedModel."""

import shutil
import threading
from functools import partial

import grpc
import pytest
from google.protobuf import text_format

from serving.server.errors import ServingError
from serving.server.manager import MAX_LOAD_ATTEMPTS, ModelManager, State
from serving.server.servable import load
from serving.stubs.tensorflow_serving.apis import model_pb2
from serving.stubs.tensorflow_serving.config import model_server_config_pb2
from tests.serving.model_dirs import add_version

load_tiny = partial(load, batching=None, warm_up=False)


def model(base, extra="") -> model_server_config_pb2.ModelConfig:
    return text_format.Parse(f'name: "m" base_path: "{base}" {extra}', model_server_config_pb2.ModelConfig())


def spec(name="m", version=None, label=None) -> model_pb2.ModelSpec:
    result = model_pb2.ModelSpec(name=name)
    if version is not None:
        result.version.value = version
    if label is not None:
        result.version_label = label
    return result


def states(manager):
    return [(status.version, State.Name(status.state)) for status in manager.statuses("m")]


def lookup_error(manager, request) -> ServingError:
    with pytest.raises(ServingError) as raised:
        manager.servable(request)
    return raised.value


def test_latest_version_is_served_and_lookups_answer_like_tf_serving(tiny_model, tmp_path):
    add_version(tiny_model, tmp_path, 1)
    add_version(tiny_model, tmp_path, 3)
    manager = ModelManager([model(tmp_path)], load_tiny)
    manager.poll()
    assert states(manager) == [(3, "AVAILABLE")]
    assert manager.servable(spec()).version == 3
    assert manager.servable(spec(version=3)).version == 3
    error = lookup_error(manager, spec(version=1))
    assert (error.code, error.message) == (grpc.StatusCode.NOT_FOUND, "Servable not found for request: Specific(m, 1)")
    error = lookup_error(manager, spec(name="other"))
    assert (error.code, error.message) == (grpc.StatusCode.NOT_FOUND, "Servable not found for request: Latest(other)")
    with pytest.raises(ServingError, match="Could not find version 1 of model m"):
        manager.statuses("m", 1)
    manager.close()
    assert states(manager) == [(3, "END")]


def test_a_broken_new_version_keeps_the_old_one_serving_and_is_retried_a_bounded_number_of_times(tiny_model, tmp_path):
    add_version(tiny_model, tmp_path, 1)
    loads = []
    manager = ModelManager([model(tmp_path)], lambda *args: loads.append(args[1]) or load_tiny(*args))
    manager.poll()
    (tmp_path / "2").mkdir()  # no saved_model.pb
    for _ in range(MAX_LOAD_ATTEMPTS + 2):
        manager.poll()
    assert states(manager) == [(1, "AVAILABLE"), (2, "END")]
    assert manager.servable(spec()).version == 1
    [broken] = manager.statuses("m", 2)
    assert broken.error is not None and broken.error.code != grpc.StatusCode.OK
    assert loads.count(2) == MAX_LOAD_ATTEMPTS


def test_a_removed_version_directory_is_unloaded(tiny_model, tmp_path):
    add_version(tiny_model, tmp_path, 1)
    manager = ModelManager([model(tmp_path)], load_tiny)
    manager.poll()
    shutil.rmtree(tmp_path / "1")
    manager.poll()
    assert states(manager) == [(1, "END")]
    assert lookup_error(manager, spec()).code == grpc.StatusCode.NOT_FOUND


def test_version_labels(tiny_model, tmp_path):
    add_version(tiny_model, tmp_path, 1)
    add_version(tiny_model, tmp_path, 2)
    config = model(tmp_path, 'model_version_policy { all {} } version_labels { key: "stable" value: 1 }')
    manager = ModelManager([config], load_tiny)
    manager.poll()
    assert manager.servable(spec(label="stable")).version == 1
    assert lookup_error(manager, spec(label="canary")).code == grpc.StatusCode.INVALID_ARGUMENT


def test_a_model_still_loading_answers_unavailable(tiny_model, tmp_path):
    add_version(tiny_model, tmp_path, 1)
    loading, release = threading.Event(), threading.Event()

    def slow_load(*args):
        loading.set()
        release.wait()
        return load_tiny(*args)

    manager = ModelManager([model(tmp_path)], slow_load)
    poll = threading.Thread(target=manager.poll)
    poll.start()
    try:
        loading.wait()
        assert lookup_error(manager, spec()).code == grpc.StatusCode.UNAVAILABLE
        assert lookup_error(manager, spec(version=1)).code == grpc.StatusCode.UNAVAILABLE
        assert states(manager) == [(1, "LOADING")]
    finally:
        release.set()
        poll.join()
    assert manager.servable(spec()).version == 1
