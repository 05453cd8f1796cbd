"""The README's run command: starts everything, serves the probes, stops without orphans."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from devtools.services import REPO_ROOT, free_port, http_ok, port_is_free


def launch(tmp_path, **env):
    return subprocess.Popen(
        [sys.executable, "-m", "devtools.run"],
        cwd=REPO_ROOT,
        env={**os.environ, "PROGNOSIS_VAR_DIR": str(tmp_path), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def processes_mentioning(text):
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if text in cmdline:
            found.append(int(proc.name))
    return found


def wait_until(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return False


def test_run_serves_the_portal_and_ctrl_c_leaves_no_orphans(tmp_path):
    portal_port, mongo_port, grpc_port, rest_port = (free_port() for _ in range(4))
    run = launch(tmp_path, PORTAL_PORT=str(portal_port), MONGO_PORT=str(mongo_port), MONGO_URI="",
                 MODEL_GRPC_PORT=str(grpc_port), MODEL_REST_PORT=str(rest_port), MODEL_SERVER="")
    base = f"http://127.0.0.1:{portal_port}"
    try:
        assert wait_until(lambda: http_ok(f"{base}/readyz"), timeout=120), run.stdout.read()
        for path in ("/", "/healthz", "/readyz"):
            with urllib.request.urlopen(base + path, timeout=10) as response:
                assert response.status == 200
        with urllib.request.urlopen(base + "/readyz", timeout=10) as response:
            assert b'"model_server": "ok"' in response.read()
        assert (tmp_path / "mongo").is_dir()
        assert processes_mentioning(f"--port {mongo_port}")
        assert processes_mentioning(f"--port={grpc_port}")
    finally:
        run.send_signal(signal.SIGINT)
        output, _ = run.communicate(timeout=60)
    assert run.returncode == 0, output
    assert "stopping" in output
    assert processes_mentioning(f"--port {mongo_port}") == []
    assert processes_mentioning(f"127.0.0.1:{portal_port}") == []
    assert processes_mentioning(f"--port={grpc_port}") == []
    assert all(port_is_free(port) for port in (portal_port, mongo_port, grpc_port, rest_port))


def test_run_says_when_mongodb_is_unreachable(tmp_path):
    closed = free_port()
    run = launch(tmp_path, MONGO_URI=f"mongodb://user:s3cret@127.0.0.1:{closed}/?directConnection=true",
                 PORTAL_PORT=str(free_port()))
    output, _ = run.communicate(timeout=60)
    assert run.returncode == 1
    errors = [line for line in output.splitlines() if "error" in line]
    assert len(errors) == 1
    assert f"MongoDB is not reachable at mongodb://user:***@127.0.0.1:{closed}" in errors[0]
    assert "s3cret" not in output


def test_run_names_a_port_already_in_use(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        mongo_port = free_port()
        run = launch(tmp_path, MONGO_URI="", MONGO_PORT=str(mongo_port), PORTAL_PORT=str(port))
        output, _ = run.communicate(timeout=120)
    assert run.returncode == 1
    assert f"Port {port} is already in use, so the portal cannot start" in output, output
    assert processes_mentioning(f"--port {mongo_port}") == []
