"""Benchmark the three ways to reach the model, on this machine, in one run (not a test).

    python -m bench.serving [--requests 60] [--out docs/benchmarks/serving.json]

1. in-process: the SavedModel's signatures called directly (plus preprocess timed alone);
2. gRPC: the local model server's Predict round trip through the portal's client;
3. portal: an HTTP upload of a real X-ray to the result page (gunicorn, debug off, the
   MongoDB stand-in), which runs preprocess and the `explain` signature over gRPC.
Each at batch 1 with 1 and 4 concurrent clients; gRPC also with server-side batching on.
It prints p50/p95 latency and images/s, the ratios the serving issue sets targets for, the
model's GFLOP per image against a float32 matmul on the same CPU, and the portal worker's
resident memory.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from devtools.services import REPO_ROOT, free_port, mongo_uri, start_gunicorn, start_mongo
from preprocess import INPUT_SIZE, prepare
from serving.client import ModelClient
from serving.testing import start_model_server

XRAY = REPO_ROOT / "tests/fixtures/cxr/nih_00000061_012.jpg"
MODEL_DIR = REPO_ROOT / "serving/models/densenet"
INPUT_SHAPE = (INPUT_SIZE, INPUT_SIZE, 1)


def timed(call, requests, clients):
    """Latencies (s) of `requests` calls spread over `clients` threads, and the wall time."""
    call()  # warm the path once
    latencies = []

    def one(_):
        start = time.perf_counter()
        call()
        latencies.append(time.perf_counter() - start)

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, range(requests)))
    return latencies, time.perf_counter() - start


def summary(name, latencies, wall):
    quantiles = statistics.quantiles(latencies, n=20)
    return {
        "path": name,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": quantiles[18] * 1000,
        "images_per_s": len(latencies) / wall,
    }


def matmul_gflops(size=1024, repeats=10):
    a = np.random.default_rng(0).standard_normal((size, size), dtype=np.float32)
    b = a.T.copy()
    a @ b
    best = min(_seconds(lambda: a @ b) for _ in range(repeats))
    return 2 * size**3 / best / 1e9


def _seconds(call):
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def model_gflop_per_image(signature):
    """FLOPs of one image through a signature, counted by TensorFlow's profiler on a frozen graph."""
    import tensorflow as tf
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    def one_image(image):
        return signature(image=image)

    # The profiler needs static shapes: trace the signature once at batch 1.
    fixed = tf.function(one_image).get_concrete_function(tf.TensorSpec([1, *INPUT_SHAPE], tf.float32))
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    profile = tf.compat.v1.profiler.profile(graph=convert_variables_to_constants_v2(fixed).graph, options=options)
    return profile.total_float_ops / 1e9


def latest_version_dir():
    return max((p for p in MODEL_DIR.iterdir() if p.name.isdigit()), key=lambda p: int(p.name))


def bench_in_process(image, requests):
    import tensorflow as tf

    model = tf.saved_model.load(str(latest_version_dir()))
    batch = tf.constant(image.array[np.newaxis])
    rows = []
    for signature in ("serving_default", "explain"):
        function = model.signatures[signature]
        for clients in (1, 4):
            rows.append(summary(f"in-process {signature} x{clients}", *timed(lambda f=function: f(image=batch),
                                                                              requests, clients)))
    batched = model.signatures["serving_default"]
    batch4 = tf.constant(np.repeat(image.array[np.newaxis], 4, axis=0))
    latencies, wall = timed(lambda: batched(image=batch4), requests // 4 or 1, 1)
    rows.append({**summary("in-process serving_default batch 4", latencies, wall),
                 "images_per_s": 4 * len(latencies) / wall})
    return rows, model_gflop_per_image(model.signatures["serving_default"])


def bench_grpc(target, image, requests, label="gRPC", signatures=("serving_default", "explain")):
    client = ModelClient(target, timeout=30)
    batch = image.array[np.newaxis]
    rows = []
    for signature in signatures:
        for clients in (1, 4):
            rows.append(summary(f"{label} {signature} x{clients}",
                                *timed(lambda s=signature: client.predict(batch, signature=s), requests, clients)))
    return rows


def bench_grpc_batching(image, requests, logs):
    """The same server with TF Serving-style batching on (serving/batching.config)."""
    server = start_model_server(REPO_ROOT / "serving/models.config", free_port(), free_port(),
                                extra_args=["--enable_batching",
                                            f"--batching_parameters_file={REPO_ROOT / 'serving/batching.config'}"],
                                log_path=logs / "model-server-batching.log")
    try:
        return bench_grpc(server.target, image, requests, label="gRPC+batching", signatures=("serving_default",))
    finally:
        server.stop()


def resident_mb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def worker_pids(master_pid):
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    return [int(pid) for pid in children]


def bench_portal(port, requests):
    import requests as http

    data = XRAY.read_bytes()

    # The upload-to-result path is the POST and the redirect it answers with (to the result page);
    # the GET for the CSRF cookie is not timed. The cookie is marked Secure (debug is off), so
    # over plain HTTP on loopback it is sent by hand.
    token = http.get(f"http://127.0.0.1:{port}/upload", timeout=30).cookies["csrftoken"]

    def post():
        response = http.post(
            f"http://127.0.0.1:{port}/upload",
            files={"image": (XRAY.name, data, "image/jpeg")},
            data={"csrfmiddlewaretoken": token},
            cookies={"csrftoken": token},
            timeout=60,
        )
        assert response.status_code == 200 and "Model densenet" in response.text, response.status_code

    return [summary(f"portal upload-to-result x{clients}", *timed(post, requests, clients)) for clients in (1, 4)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)

    image = prepare(XRAY.read_bytes())
    preprocess_latencies, wall = timed(lambda: prepare(XRAY.read_bytes()), args.requests, 1)
    rows = [summary("preprocess x1", preprocess_latencies, wall)]
    in_process, gflop = bench_in_process(image, args.requests)
    rows += in_process

    logs = Path(tempfile.mkdtemp(prefix="bench-"))
    mongo_port, grpc_port, rest_port, portal_port = (free_port() for _ in range(4))
    rows += bench_grpc_batching(image, args.requests, logs)
    mongo = start_mongo(mongo_port)
    server = start_model_server(REPO_ROOT / "serving/models.config", grpc_port, rest_port,
                                log_path=logs / "model-server.log")
    env = {**os.environ, "DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "bench-only", "DJANGO_SECURE_SSL_REDIRECT": "0",
           "DJANGO_ALLOWED_HOSTS": "127.0.0.1", "MONGO_URI": mongo_uri(mongo_port), "MODEL_SERVER": server.target}
    portal = None
    try:
        rows += bench_grpc(server.target, image, args.requests)
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], env=env, check=True,
                       cwd=REPO_ROOT)
        subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], env=env,
                       check=True, cwd=REPO_ROOT)
        portal = start_gunicorn(portal_port, env, logs / "portal.log", workers=1)
        rows += bench_portal(portal_port, args.requests)
        portal_rss = max(resident_mb(pid) for pid in worker_pids(portal.process.pid))
    finally:
        for service in (portal, server, mongo):
            if service is not None:
                service.stop()

    by_path = {row["path"]: row for row in rows}
    p50 = {name: row["p50_ms"] for name, row in by_path.items()}
    matmul = matmul_gflops()
    forward_s = p50["in-process serving_default x1"] / 1000
    ratios = {
        "grpc_vs_in_process_p50": p50["gRPC serving_default x1"] / p50["in-process serving_default x1"],
        "portal_vs_in_process_explain_plus_preprocess_p50":
            p50["portal upload-to-result x1"] / (p50["in-process explain x1"] + p50["preprocess x1"]),
        "portal_x4_throughput_vs_in_process_batch4":
            by_path["portal upload-to-result x4"]["images_per_s"]
            / by_path["in-process serving_default batch 4"]["images_per_s"],
    }
    report = {
        "rows": rows,
        "ratios": ratios,
        "model_gflop_per_image": gflop,
        "achieved_gflops_batch1": gflop / forward_s,
        "matmul_float32_gflops": matmul,
        "achieved_share_of_matmul": gflop / forward_s / matmul,
        "portal_worker_rss_mb": portal_rss,
        "cpu_count": os.cpu_count(),
    }
    print(f"{'path':48} {'p50 ms':>9} {'p95 ms':>9} {'img/s':>8}")
    for row in rows:
        print(f"{row['path']:48} {row['p50_ms']:9.1f} {row['p95_ms']:9.1f} {row['images_per_s']:8.1f}")
    for name, value in ratios.items():
        print(f"{name}: {value:.2f}")
    print(f"model: {gflop:.3f} GFLOP/image, {report['achieved_gflops_batch1']:.1f} GFLOP/s at batch 1; "
          f"numpy float32 matmul {matmul:.1f} GFLOP/s ({report['achieved_share_of_matmul']:.0%})")
    print(f"portal worker resident memory: {portal_rss:.0f} MB")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
