"""Run the whole system locally: MongoDB stand-in, migrations, model server, portal.

``python -m devtools.run`` (``make run``). Ctrl-C stops everything it started.
Ports and addresses come from the environment: PORTAL_PORT (8000), MONGO_PORT (27017),
MODEL_GRPC_PORT (8500) and MODEL_REST_PORT (8501), TF Serving's defaults;
MONGO_URI or MODEL_SERVER (when set, that service is used and none is started),
PROGNOSIS_VAR_DIR (where the stand-in keeps its data; ./var).
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from devtools.services import (
    REPO_ROOT,
    ServiceError,
    mongo_error,
    mongo_uri,
    start_mongo,
    start_portal,
)
from serving.testing import start_model_server

VAR_DIR = Path(os.environ.get("PROGNOSIS_VAR_DIR", REPO_ROOT / "var"))


def say(message):
    print(f"[run] {message}", flush=True)


def redact(uri):
    """Hide the password of a connection string before it is printed."""
    scheme, sep, rest = uri.partition("://")
    if "@" not in rest:
        return uri
    credentials, _, host = rest.rpartition("@")
    return f"{scheme}{sep}{credentials.split(':')[0]}:***@{host}"


def start_all(env, services):
    """Start each service in order, appending it to ``services`` as soon as it runs."""
    (VAR_DIR / "log").mkdir(parents=True, exist_ok=True)
    if env.get("MONGO_URI"):
        error = mongo_error(env["MONGO_URI"])
        if error:
            raise ServiceError(f"MongoDB is not reachable at {redact(env['MONGO_URI'])}: {error}")
    else:
        port = int(env.get("MONGO_PORT", "27017"))
        say(f"starting the MongoDB stand-in on port {port} (data in {VAR_DIR / 'mongo'})")
        services.append(start_mongo(port, VAR_DIR / "mongo", VAR_DIR / "log" / "mongo.log"))
        env["MONGO_URI"] = mongo_uri(port)

    say("applying migrations")
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
                   cwd=REPO_ROOT, env=env, check=True)

    if not env.get("MODEL_SERVER"):
        grpc_port = int(env.get("MODEL_GRPC_PORT", "8500"))
        rest_port = int(env.get("MODEL_REST_PORT", "8501"))
        say(f"starting the model server on ports {grpc_port} (gRPC) and {rest_port} (REST)")
        server = start_model_server(
            REPO_ROOT / "serving/models.config", grpc_port, rest_port, log_path=VAR_DIR / "log" / "model-server.log"
        )
        services.append(server.service)
        env["MODEL_SERVER"] = server.target

    port = int(env.get("PORTAL_PORT", "8000"))
    say(f"starting the portal on port {port}")
    services.append(start_portal(port, env))
    say(f"ready: http://127.0.0.1:{port}/  (Ctrl-C stops everything)")


def watch(services):
    """Block until Ctrl-C, or until a service dies (then return its name)."""
    while True:
        for service in services:
            if service.process.poll() is not None:
                return service.name
        time.sleep(0.5)


def interrupt(signum, frame):
    """SIGTERM stops the run like Ctrl-C does."""
    raise KeyboardInterrupt


def main():
    signal.signal(signal.SIGTERM, interrupt)
    env = {**os.environ}
    env.setdefault("DJANGO_DEBUG", "1")
    services = []
    exit_code = 0
    try:
        start_all(env, services)
        died = watch(services)
        say(f"the {died} stopped unexpectedly; stopping the rest")
        exit_code = 1
    except ServiceError as error:
        print(f"[run] error: {error}", file=sys.stderr, flush=True)
        exit_code = 1
    except subprocess.CalledProcessError as error:
        print(f"[run] error: {error.cmd[2]} failed (exit {error.returncode})", file=sys.stderr)
        exit_code = 1
    except KeyboardInterrupt:
        say("stopping")
    finally:
        for service in reversed(services):
            service.stop()
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
