"""TF Serving's text-format config files, parsed with TF Serving's own protos.

`--model_config_file` holds a ModelServerConfig, `--batching_parameters_file` a
BatchingParameters, `--monitoring_config_file` a MonitoringConfig: the same files the
production tensorflow/serving container reads.

One local convenience: a relative base_path is resolved against the directory of the config
file (so serving/models.config can say `models/densenet` wherever the server is started).
tensorflow_model_server refuses relative paths, so Dockerfile.serving makes them absolute.
"""

from pathlib import Path

from google.protobuf import text_format

from serving.stubs.tensorflow_serving.config import model_server_config_pb2, monitoring_config_pb2
from serving.stubs.tensorflow_serving.servables.tensorflow import session_bundle_config_pb2

SUPPORTED_PLATFORMS = ("", "tensorflow")
DEFAULT_PROMETHEUS_PATH = "/monitoring/prometheus/metrics"


def read_text_proto(path: str | Path, message):
    """Parse a text-format protobuf file into `message` (unknown fields are errors)."""
    text_format.Parse(Path(path).read_text(), message)
    return message


def load_model_configs(path: str | Path) -> list[model_server_config_pb2.ModelConfig]:
    """The models of a ModelServerConfig file, base paths made absolute."""
    config = read_text_proto(path, model_server_config_pb2.ModelServerConfig())
    if config.WhichOneof("config") != "model_config_list":
        raise ValueError(f"{path}: only model_config_list is supported")
    models = list(config.model_config_list.config)
    names = [model.name for model in models]
    if "" in names or len(set(names)) != len(names):
        raise ValueError(f"{path}: every model needs a name, and names must be unique")
    for model in models:
        if model.model_platform not in SUPPORTED_PLATFORMS:
            raise ValueError(f"{path}: model {model.name}: unsupported model_platform {model.model_platform!r}")
        if not model.base_path:
            raise ValueError(f"{path}: model {model.name}: base_path is required")
        model.base_path = str((Path(path).resolve().parent / model.base_path).resolve())
    return models


def load_batching_parameters(path: str | Path) -> session_bundle_config_pb2.BatchingParameters:
    params = read_text_proto(path, session_bundle_config_pb2.BatchingParameters())
    if params.pad_variable_length_inputs:
        raise ValueError(f"{path}: pad_variable_length_inputs is not supported by the local server")
    return params


def prometheus_path(path: str | Path | None) -> str | None:
    """The metrics URL path a MonitoringConfig file enables, or None (TF Serving's default: off)."""
    if path is None:
        return None
    config = read_text_proto(path, monitoring_config_pb2.MonitoringConfig())
    if not config.prometheus_config.enable:
        return None
    return config.prometheus_config.path or DEFAULT_PROMETHEUS_PATH
