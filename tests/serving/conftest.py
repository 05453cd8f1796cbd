"""Model servers for the serving tests.

`endpoint` runs the contract tests against every server that can answer them: the local
server with a tiny contract-shaped model (always), the local server with the committed
model (when serving/models/densenet/ holds a version) on TensorFlow and on OpenVINO (when the
openvino package is installed), and a real TF Serving when
TF_SERVING_TARGET=host:port is set (TF_SERVING_REST=host:port for the REST checks,
TF_SERVING_MODEL for a name other than densenet).
"""

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from devtools.services import free_port
from serving.server.manager import versions_on_disk
from serving.testing import ModelServer, start_model_server
from tests.serving.model_dirs import COMMITTED_BASE, COMMITTED_CONFIG, MONITORING_CONFIG, add_version, model_config

# The tiny server's models: the contract model, one to add versions to, one pinned by policy.
POLICIES = {
    "densenet": "latest { num_versions: 1 }",
    "rolling": "latest { num_versions: 1 }",
    "pinned": "specific { versions: 1 }",
}


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    from tests.serving.tiny_model import export_tiny_model  # imports TensorFlow: only when needed

    return export_tiny_model(tmp_path_factory.mktemp("tiny") / "model")


@dataclass(frozen=True)
class TinyServer:
    server: ModelServer
    base: Path


@pytest.fixture(scope="session")
def tiny_server(tiny_model, tmp_path_factory):
    base = tmp_path_factory.mktemp("models")
    for name in POLICIES:
        (base / name).mkdir()
        add_version(tiny_model, base / name, 1)
    add_version(tiny_model, base / "pinned", 2)
    config = base / "models.config"
    config.write_text(model_config(base, POLICIES))
    server = start_model_server(
        config,
        free_port(),
        free_port(),
        extra_args=["--file_system_poll_wait_seconds=1", f"--monitoring_config_file={MONITORING_CONFIG}"],
        log_path=base / "server.log",
    )
    yield TinyServer(server, base)
    server.stop()


@dataclass(frozen=True)
class Endpoint:
    kind: str
    target: str
    rest_address: str | None
    model_name: str = "densenet"

    @property
    def is_local_server(self) -> bool:
        return self.kind != "external"


@pytest.fixture(scope="session")
def committed_server(request):
    """The session's model server (tests/conftest.py), which serves the committed model."""
    if not versions_on_disk(COMMITTED_BASE):
        pytest.skip("no committed model version under serving/models/densenet/")
    return request.getfixturevalue("model_server")


@pytest.fixture(scope="session")
def openvino_server(tmp_path_factory):
    """The committed model behind the local server with --inference_backend=openvino."""
    pytest.importorskip("openvino")
    if not versions_on_disk(COMMITTED_BASE):
        pytest.skip("no committed model version under serving/models/densenet/")
    server = start_model_server(
        COMMITTED_CONFIG,
        free_port(),
        free_port(),
        extra_args=["--inference_backend=openvino"],
        log_path=tmp_path_factory.mktemp("openvino-server") / "server.log",
    )
    yield server
    server.stop()


@pytest.fixture(scope="session", params=["tiny", "committed", "committed-openvino", "external"])
def endpoint(request) -> Endpoint:
    if request.param == "tiny":
        server = request.getfixturevalue("tiny_server").server
        return Endpoint("tiny", server.target, server.rest_address)
    if request.param == "committed":
        server = request.getfixturevalue("committed_server")
        return Endpoint("committed", server.target, server.rest_address)
    if request.param == "committed-openvino":
        server = request.getfixturevalue("openvino_server")
        return Endpoint("committed-openvino", server.target, server.rest_address)
    if not os.environ.get("TF_SERVING_TARGET"):
        pytest.skip("TF_SERVING_TARGET is not set (host:port of a real TF Serving)")
    return Endpoint(
        "external",
        os.environ["TF_SERVING_TARGET"],
        os.environ.get("TF_SERVING_REST"),
        os.environ.get("TF_SERVING_MODEL", "densenet"),
    )
