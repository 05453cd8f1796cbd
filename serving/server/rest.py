"""TF Serving's REST status API for probes, and the Prometheus metrics endpoint.

GET /v1/models/<name> and /v1/models/<name>/versions/<v> answer GetModelStatus as TF Serving's
JSON ({"model_version_status": [{"version": "1", "state": "AVAILABLE", "status": {...}}]});
errors answer {"error": "..."} with TF Serving's HTTP codes. The REST predict API is not
provided: clients use gRPC.
"""

import json
import logging
import re
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

import grpc
from google.protobuf import json_format

from serving.server import metrics as metrics_format
from serving.server.errors import ServingError
from serving.server.manager import ModelManager
from serving.server.metrics import Metrics
from serving.server.services import model_status
from serving.stubs.tensorflow_serving.apis import model_pb2

log = logging.getLogger(__name__)

STATUS_PATH = re.compile(r"^/v1/models/(?P<name>[^/:]+)(?:/versions/(?P<version>\d+))?/?$")
HTTP_STATUS = {
    grpc.StatusCode.NOT_FOUND: HTTPStatus.NOT_FOUND,
    grpc.StatusCode.INVALID_ARGUMENT: HTTPStatus.BAD_REQUEST,
    grpc.StatusCode.UNAVAILABLE: HTTPStatus.SERVICE_UNAVAILABLE,
}


class RestServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], manager: ModelManager, metrics: Metrics, metrics_path: str | None):
        super().__init__(address, _Handler)
        self.manager = manager
        self.metrics = metrics
        self.metrics_path = metrics_path

    def start(self) -> None:
        threading.Thread(target=self.serve_forever, name="rest", daemon=True).start()


class _Handler(BaseHTTPRequestHandler):
    server: RestServer

    def do_GET(self):
        path = urlsplit(self.path).path
        if self.server.metrics_path is not None and path == self.server.metrics_path:
            self._send(HTTPStatus.OK, self.server.metrics.render(), metrics_format.CONTENT_TYPE)
            return
        match = STATUS_PATH.match(path)
        if match is None:
            self._send_json(HTTPStatus.NOT_FOUND, {"error": f"Malformed request: GET {path}"})
            return
        spec = model_pb2.ModelSpec(name=unquote(match["name"]))
        if match["version"] is not None:
            spec.version.value = int(match["version"])
        try:
            response = model_status(self.server.manager, spec)
        except ServingError as error:
            self._send_json(HTTP_STATUS.get(error.code, HTTPStatus.INTERNAL_SERVER_ERROR), {"error": error.message})
            return
        body = json_format.MessageToJson(
            response, preserving_proto_field_name=True, always_print_fields_with_no_presence=True, indent=1
        )
        self._send(HTTPStatus.OK, body + "\n", "application/json")

    def _send_json(self, status: HTTPStatus, document: dict) -> None:
        self._send(status, json.dumps(document) + "\n", "application/json")

    def _send(self, status: HTTPStatus, body: str, content_type: str) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        log.debug("REST %s", format % args)
