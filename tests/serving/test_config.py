"""TF Serving's config files and version policies."""

import pytest
from google.protobuf import text_format

from serving.server.batching import BatchOptions
from serving.server.config import load_batching_parameters, load_model_configs, prometheus_path
from serving.server.manager import aspired_versions, versions_on_disk
from serving.stubs.tensorflow_serving.config import file_system_storage_path_source_pb2
from tests.serving.model_dirs import COMMITTED_BASE, COMMITTED_CONFIG, MONITORING_CONFIG

Policy = file_system_storage_path_source_pb2.FileSystemStoragePathSourceConfig.ServableVersionPolicy


def test_committed_config_serves_the_latest_densenet_from_the_committed_directory():
    [model] = load_model_configs(COMMITTED_CONFIG)
    assert model.name == "densenet" and model.model_platform == "tensorflow"
    assert model.base_path == str(COMMITTED_BASE)
    assert aspired_versions(model.model_version_policy, {1, 2, 3}) == {3}


def test_relative_base_paths_resolve_against_the_config_directory(tmp_path):
    (tmp_path / "conf").mkdir()
    config = tmp_path / "conf" / "models.config"
    config.write_text(
        'model_config_list { config { name: "a" base_path: "../models/a" model_platform: "tensorflow" } '
        'config { name: "b" base_path: "/srv/b" } }'
    )
    assert [model.base_path for model in load_model_configs(config)] == [str(tmp_path / "models" / "a"), "/srv/b"]


@pytest.mark.parametrize(
    "text",
    [
        'model_config_list { config { name: "a" base_path: "x" model_platform: "pytorch" } }',
        'model_config_list { config { name: "a" base_path: "x" } config { name: "a" base_path: "y" } }',
        'model_config_list { config { name: "a" } }',
        'model_config_list { config { name: "a" base_path: "x" no_such_field: 1 } }',
        "custom_model_config { }",
    ],
    ids=["platform", "duplicate", "no base_path", "unknown field", "custom config"],
)
def test_bad_model_configs_are_refused(tmp_path, text):
    config = tmp_path / "models.config"
    config.write_text(text)
    with pytest.raises((ValueError, text_format.ParseError)):
        load_model_configs(config)


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("", {5}),
        ("latest { }", {5}),
        ("latest { num_versions: 2 }", {3, 5}),
        ("all { }", {1, 3, 5}),
        ("specific { versions: 1 versions: 4 }", {1}),
    ],
)
def test_version_policies(policy, expected):
    assert aspired_versions(text_format.Parse(policy, Policy()), {1, 3, 5}) == expected


def test_versions_are_integer_named_directories(tmp_path):
    for name in ("1", "12", ".staging-3", "latest"):
        (tmp_path / name).mkdir()
    (tmp_path / "7").write_text("a file, not a version")
    assert versions_on_disk(tmp_path) == {1, 12}
    assert versions_on_disk(tmp_path / "missing") == set()


def test_monitoring_config_enables_prometheus_at_tf_servings_path(tmp_path):
    assert prometheus_path(MONITORING_CONFIG) == "/monitoring/prometheus/metrics"
    disabled = tmp_path / "monitoring.config"
    disabled.write_text("prometheus_config { enable: false }")
    assert prometheus_path(disabled) is None
    assert prometheus_path(None) is None


def test_batching_parameters_and_tf_serving_defaults(tmp_path):
    parameters = tmp_path / "batching.config"
    parameters.write_text(
        "max_batch_size { value: 16 } batch_timeout_micros { value: 2500 } num_batch_threads { value: 2 } "
        "allowed_batch_sizes: 4 allowed_batch_sizes: 16"
    )
    options = BatchOptions.from_proto(load_batching_parameters(parameters))
    assert options == BatchOptions(16, 0.0025, 10, 2, (4, 16))
    parameters.write_text("max_batch_size { value: 16 } allowed_batch_sizes: 8")
    with pytest.raises(ValueError, match="allowed_batch_sizes"):
        BatchOptions.from_proto(load_batching_parameters(parameters))
