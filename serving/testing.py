"""Start, wait for and stop the local model server as a child process (tests, run commands).

    server = start_model_server("serving/models.config", grpc_port=free_port(), rest_port=free_port())
    client = ModelClient(server.target)
    ...
    server.stop()

Builds on devtools.services (the project's one way to run local services): the child dies with
its parent, and a failed start raises ServiceError with a one-line reason.
"""

import json
import sys
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from devtools.services import LOOPBACK, Service

START_TIMEOUT_S = 180.0


def model_available(rest_address: str, model_name: str) -> bool:
    """True once GET /v1/models/<name> reports a version AVAILABLE."""
    try:
        with urllib.request.urlopen(f"http://{rest_address}/v1/models/{model_name}", timeout=2) as response:
            document = json.load(response)
    except (OSError, ValueError):
        return False
    return any(entry.get("state") == "AVAILABLE" for entry in document.get("model_version_status", []))


@dataclass
class ModelServer:
    """A running `python -m serving.server` child process."""

    service: Service
    rest_port: int

    @property
    def target(self) -> str:
        """host:port of the gRPC API (what ModelClient takes)."""
        return f"{LOOPBACK}:{self.service.port}"

    @property
    def rest_address(self) -> str:
        return f"{LOOPBACK}:{self.rest_port}"

    def stop(self) -> None:
        """SIGTERM (graceful), SIGKILL if it hangs; safe to call twice."""
        self.service.stop()

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        self.service.process.kill()
        self.service.process.wait()


def start_model_server(
    config_file: str | Path,
    grpc_port: int,
    rest_port: int,
    model_name: str = "densenet",
    extra_args: Sequence[str] = (),
    log_path: Path | None = None,
    timeout: float = START_TIMEOUT_S,
) -> ModelServer:
    """Start the server on 127.0.0.1 and wait until `model_name` has an AVAILABLE version."""
    argv = [
        sys.executable, "-m", "serving.server",
        f"--port={grpc_port}", f"--rest_api_port={rest_port}", f"--model_config_file={config_file}",
        *extra_args,
    ]  # fmt: skip
    quiet_tensorflow = {"TF_CPP_MIN_LOG_LEVEL": "2"}
    service = Service(name="model server", argv=argv, port=grpc_port, env=quiet_tensorflow, log_path=log_path)
    server = ModelServer(service, rest_port)
    service.start(ready=lambda: model_available(server.rest_address, model_name), timeout=timeout)
    return server
