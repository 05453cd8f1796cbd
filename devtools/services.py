"""Start and stop the local processes (MongoDB stand-in, model server, portal).

The run command and the tests both use these functions, so a test starts a service
exactly the way a developer's machine does. Every child dies with its parent
(PR_SET_PDEATHSIG), so neither Ctrl-C nor a killed test run leaves orphans.
"""

import ctypes
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pymongo
from pymongo.errors import PyMongoError

REPO_ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"


class ServiceError(RuntimeError):
    """A local service could not start; the message is one line meant for a person."""


def free_port():
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def port_is_free(port, host=LOOPBACK):
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _die_with_parent():
    """Runs in the child before exec: ask the kernel to SIGTERM it when the parent dies."""
    pr_set_pdeathsig = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


@dataclass
class Service:
    name: str
    argv: list
    port: int
    env: dict = field(default_factory=dict)
    log_path: Path | None = None
    process: subprocess.Popen | None = None

    def start(self, ready, timeout=60.0):
        """Start the process and wait until ``ready()`` is true, or raise ServiceError."""
        if not port_is_free(self.port):
            raise ServiceError(
                f"Port {self.port} is already in use, so the {self.name} cannot start. "
                "Stop whatever is using it, or choose another port."
            )
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self.process = subprocess.Popen(
            self.argv,
            cwd=REPO_ROOT,
            env={**os.environ, **self.env},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT if self.log_path else subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        if self.log_path:
            log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServiceError(
                    f"The {self.name} exited while starting (code {self.process.returncode})"
                    + (f"; see {self.log_path}." if self.log_path else ".")
                )
            if ready():
                return self
            time.sleep(0.2)
        self.stop()
        raise ServiceError(f"The {self.name} did not become ready within {timeout:.0f} s.")

    def stop(self, timeout=15.0):
        """SIGTERM, then SIGKILL after ``timeout``; safe to call twice."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def mongo_uri(port):
    return f"mongodb://{LOOPBACK}:{port}/?directConnection=true"


def mongo_error(uri, timeout_ms=2000):
    """None when MongoDB at ``uri`` answers a ping, else the error's one-line text."""
    client = pymongo.MongoClient(uri, serverSelectionTimeoutMS=timeout_ms, connect=False)
    try:
        client.admin.command("ping")
    except PyMongoError as error:
        return str(error).split(",")[0]
    finally:
        client.close()
    return None


def start_mongo(port, storage_path=":memory:", log_path=None):
    """SecantusDB, the MongoDB-wire stand-in used locally and in CI (never in production)."""
    service = Service(
        name="MongoDB stand-in (SecantusDB)",
        argv=[sys.executable, "-m", "secantus", "--host", LOOPBACK, "--port", str(port),
              "--storage-path", str(storage_path), "--log-level", "WARNING"],
        port=port,
        log_path=log_path,
    )
    uri = mongo_uri(port)
    return service.start(ready=lambda: mongo_error(uri, timeout_ms=300) is None)


def http_ok(url, timeout=1.0):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200
    except OSError:
        return False


def start_portal(port, env, log_path=None):
    """The Django portal on Django's own server (gunicorn is the production server)."""
    argv = [sys.executable, "manage.py", "runserver", f"{LOOPBACK}:{port}", "--noreload"]
    return _start_portal_process("portal", argv, port, env, log_path)


def start_gunicorn(port, env, log_path=None, workers=2, threads=4):
    """The portal as Dockerfile.portal runs it in production: gunicorn, threaded workers, no access log."""
    argv = [sys.executable, "-m", "gunicorn", "portal.wsgi:application", "--bind", f"{LOOPBACK}:{port}",
            "--workers", str(workers), "--threads", str(threads), "--timeout", "60"]  # fmt: skip
    return _start_portal_process("portal (gunicorn)", argv, port, env, log_path)


def deployed_portal_env(mongo, model_server, **settings):
    """The portal's environment as deployed (debug off, a random secret key), for the benchmarks: on
    loopback, so without the HTTPS redirect. `settings` adds or overrides variables."""
    return {
        **os.environ, "DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
        "DJANGO_ALLOWED_HOSTS": LOOPBACK, "DJANGO_SECURE_SSL_REDIRECT": "0",
        "MONGO_URI": mongo, "MODEL_SERVER": model_server, **settings,
    }  # fmt: skip


def prepare_deployed_portal(env):
    """What a deployment does before the portal starts: the migrate Job, and collectstatic in the image build."""
    for command in (["migrate", "--noinput", "-v", "0"], ["collectstatic", "--noinput", "-v", "0"]):
        subprocess.run([sys.executable, "manage.py", *command], env=env, check=True, cwd=REPO_ROOT)


def _start_portal_process(name, argv, port, env, log_path):
    service = Service(name=name, argv=argv, port=port, env=env, log_path=log_path)
    return service.start(ready=lambda: http_ok(f"http://{LOOPBACK}:{port}/healthz"))
