"""Benchmark the three ways to reach the model, on this machine, in one run (not a test).

    python -m bench.serving [--requests 120] [--rounds 4] [--backends tensorflow,openvino] [--out var/bench.json]

For each inference backend of the local server (TensorFlow, and OpenVINO when installed):
1. in-process: the loaded version's signatures on decoded arrays (what Predict runs after
   validation) at batch 1 with 1 and 4 concurrent callers, and batched (4, 8, 16 rows);
2. gRPC: the local model server's Predict round trip through the portal's client, batch 1,
   1 and 4 concurrent clients, without and with server-side batching;
3. portal, in front of that server: an HTTP upload of a real X-ray answered with its result page
   (gunicorn, debug off, the MongoDB stand-in), which runs preprocess and `explain` over gRPC.

Everything for a backend runs at once, and its paths are measured in rounds, one after the other
in each round: this machine's speed drifts by 10-20% from one minute to the next, and a path
measured minutes after another would carry that drift into their ratio. Each ratio is computed
within a round, with that round's float32 matmul, and the median over the rounds is reported
(with the spread); the latency rows pool all rounds. It prints p50/p95 latency and images/s, the
ratios the serving issues set targets for, the model's GFLOP per image, the portal worker's
resident memory, and the CPU time each process spends on one portal upload (on 2 cores, the
portal's and the database's CPU time is time the model cannot have).
"""

import argparse
import http.client
import json
import multiprocessing
import os
import secrets
import statistics
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import numpy as np

from devtools.sample_xrays import BENCHMARK_XRAY
from devtools.services import (
    REPO_ROOT,
    deployed_portal_env,
    free_port,
    mongo_uri,
    prepare_deployed_portal,
    start_gunicorn,
    start_mongo,
)
from preprocess import INPUT_SIZE, prepare
from serving.client import ModelClient
from serving.server.manager import versions_on_disk
from serving.server.openvino_backend import OPENVINO_DIR
from serving.testing import start_model_server

BATCHES = (4, 8, 16)
WARM_UP_CALLS = 10  # per path before the first round: first calls allocate (infer requests, threads, buffers)

BACKENDS = ("tensorflow", "openvino")  # serving.server.servable's; importing it would load TensorFlow here
XRAY = BENCHMARK_XRAY
MODEL_DIR = REPO_ROOT / "serving/models/densenet"
INPUT_SHAPE = (INPUT_SIZE, INPUT_SIZE, 1)


def timed(call, requests, clients):
    """Latencies (s) of `requests` calls spread over `clients` threads, and the wall time."""
    latencies = []

    def one(_):
        start = time.perf_counter()
        call()
        latencies.append(time.perf_counter() - start)

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, range(requests)))
    return latencies, time.perf_counter() - start


def summary(name, latencies, wall, rows_per_call=1):
    quantiles = statistics.quantiles(latencies, n=20)
    return {
        "path": name,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": quantiles[18] * 1000,
        "images_per_s": rows_per_call * len(latencies) / wall,
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


def saved_model_gflop():
    import tensorflow as tf

    saved_model = tf.saved_model.load(str(latest_version_dir()))  # kept: the signature needs its variables
    return model_gflop_per_image(saved_model.signatures["serving_default"])


def latest_version_dir():
    return MODEL_DIR / str(max(versions_on_disk(MODEL_DIR)))


class InProcess:
    """A child process that holds one backend's loaded version and times its signatures on request.

    The runtime stays out of the measuring process, which runs the clients as the portal runs them:
    with TensorFlow and OpenVINO both loaded in it, every gRPC round trip measured there took 1.5-2 ms
    longer (6.9 ms against 8.6 ms with OpenVINO serving)."""

    def __init__(self, backend):
        context = multiprocessing.get_context("spawn")
        self._connection, child = context.Pipe()
        self._process = context.Process(target=_time_signatures, args=(child, backend), daemon=True)
        self._process.start()
        child.close()  # so that recv() fails, not waits, if the child dies
        self._connection.recv()  # loaded

    def timer(self, signature, rows=1, clients=1):
        def measure(requests):
            self._connection.send((signature, rows, clients, requests))
            return self._connection.recv()

        return measure

    def close(self):
        self._connection.send(None)
        self._process.join()


def _time_signatures(connection, backend):
    from serving.server.servable import Servable

    servable = Servable("densenet", 0, latest_version_dir(), backend=backend)
    one = prepare(XRAY.read_bytes()).array[np.newaxis]
    connection.send("loaded")
    while (job := connection.recv()) is not None:
        signature, rows, clients, requests = job
        inputs = {"image": np.repeat(one, rows, axis=0)}
        call = lambda s=signature, i=inputs: servable.run(s, i)  # noqa: E731
        connection.send(timed(call, requests, clients))
    servable.close()


def in_child(function, *args):
    """`function(*args)` in a fresh process (TensorFlow's FLOP count: no runtime in this one)."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


def model_server(backend, logs, *extra_args):
    return start_model_server(REPO_ROOT / "serving/models.config", free_port(), free_port(),
                              extra_args=[f"--inference_backend={backend}", *extra_args],
                              log_path=logs / f"model-server-{backend}.log")  # fmt: skip


def batching_model_server(backend, logs):
    """The same server with TF Serving-style batching on (serving/batching.config)."""
    return model_server(backend, logs, "--enable_batching",
                        f"--batching_parameters_file={REPO_ROOT / 'serving/batching.config'}")  # fmt: skip


def portal_in_front_of(server, logs):
    """The portal as deployed (gunicorn, threaded worker, debug off) on the MongoDB stand-in: (port, services)."""
    mongo_port, portal_port = free_port(), free_port()
    mongo = start_mongo(mongo_port)
    env = deployed_portal_env(mongo_uri(mongo_port), server.target)
    try:
        prepare_deployed_portal(env)
        portal = start_gunicorn(portal_port, env, logs / "portal.log", workers=1)
    except BaseException:
        mongo.stop()
        raise
    return portal_port, (portal, mongo)


def portal_upload(port):
    """One upload of the X-ray to the portal, answered with its result page. The client is lean, as a load
    generator is (http.client, the multipart body built once): python-requests spent about 1 ms of the 2 cores
    per upload on its own. Each client thread keeps its connection open between uploads, as a browser does."""
    token = http_get_csrf_token(port)
    boundary = secrets.token_hex(16)
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n{token}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="{XRAY.name}"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + XRAY.read_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    # The CSRF cookie is marked Secure (debug is off), so over plain HTTP on loopback it is sent by hand.
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", "Cookie": f"csrftoken={token}"}
    connections = threading.local()

    def post():
        if not hasattr(connections, "connection"):
            connections.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connections.connection.request("POST", "/upload", body, headers)
        response = connections.connection.getresponse()
        page = response.read()
        assert response.status == 200 and b"Model densenet" in page, response.status

    return post


def http_get_csrf_token(port):
    """The upload form's CSRF cookie (not timed)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/upload")
    response = connection.getresponse()
    response.read()
    connection.close()
    cookie = next(value for name, value in response.getheaders() if name.lower() == "set-cookie")
    return cookie.split("csrftoken=", 1)[1].split(";", 1)[0]


def local_timer(call, clients=1):
    return lambda requests: timed(call, requests, clients)


def backend_paths(backend, in_process, server, batching_server, portal_port, image):
    """path name -> (measure(requests) -> (latencies, wall), rows per call, share of the round's requests)."""
    grpc = ModelClient(server.target, timeout=30)
    grpc_batching = ModelClient(batching_server.target, timeout=30)
    one = image.array[np.newaxis]
    post = portal_upload(portal_port)
    paths = {}
    for signature in ("serving_default", "explain"):
        for clients in (1, 4):
            paths[f"{backend} in-process {signature} x{clients}"] = (in_process.timer(signature, 1, clients), 1, 1)
    for batch in BATCHES:
        paths[f"{backend} in-process serving_default batch {batch}"] = (
            in_process.timer("serving_default", batch),
            batch,
            1 / batch,
        )
    for label, client, signatures in ((f"{backend} gRPC+batching", grpc_batching, ("serving_default",)),
                                      (f"{backend} gRPC", grpc, ("serving_default", "explain"))):  # fmt: skip
        for signature in signatures:
            for clients in (1, 4):
                call = lambda c=client, s=signature: c.predict(one, signature=s)  # noqa: E731
                paths[f"{label} {signature} x{clients}"] = (local_timer(call, clients), 1, 1)
    for clients in (1, 4):
        paths[f"{backend} portal upload-to-result x{clients}"] = (local_timer(post, clients), 1, 1)
    return paths


def backend_ratios(backend, by_path, gflop, matmul):
    """The figures issue 4 and issue 11 set targets for, for one backend, from one round's rows."""
    row = by_path[f"{backend} in-process serving_default x1"]
    forward_gflops = gflop / (row["p50_ms"] / 1000)
    batched = [by_path[f"{backend} in-process serving_default batch {batch}"] for batch in BATCHES]
    best_batched = max(row["images_per_s"] for row in batched)
    return {
        "forward_gflops_batch1": forward_gflops,
        "forward_share_of_matmul": forward_gflops / matmul,
        "grpc_vs_in_process_p50": by_path[f"{backend} gRPC serving_default x1"]["p50_ms"] / row["p50_ms"],
        # Against the best of the batched runs (4, 8, 16 rows): the stricter reading of issue 11's target.
        "grpc_x4_throughput_vs_in_process_batched": by_path[f"{backend} gRPC serving_default x4"]["images_per_s"]
        / best_batched,
        "grpc_batching_x4_throughput_vs_in_process_batched":
            by_path[f"{backend} gRPC+batching serving_default x4"]["images_per_s"] / best_batched,
        "portal_vs_in_process_explain_plus_preprocess_p50": by_path[f"{backend} portal upload-to-result x1"]["p50_ms"]
        / (by_path[f"{backend} in-process explain x1"]["p50_ms"] + by_path["preprocess x1"]["p50_ms"]),
    }  # fmt: skip


def bench_backend(backend, image, gflop, requests, rounds, logs):
    """Rows (all rounds pooled), the per-round ratios, the rounds' matmul GFLOP/s and the portal worker's RSS."""
    with ExitStack() as running:
        in_process = InProcess(backend)
        running.callback(in_process.close)
        server = model_server(backend, logs)
        running.callback(server.stop)
        batching_server = batching_model_server(backend, logs)
        running.callback(batching_server.stop)
        portal_port, services = portal_in_front_of(server, logs)
        for service in services:
            running.callback(service.stop)
        xray = XRAY.read_bytes()
        paths = {"preprocess x1": (local_timer(lambda: prepare(xray)), 1, 1),
                 **backend_paths(backend, in_process, server, batching_server, portal_port, image)}  # fmt: skip
        for measure, _, _ in paths.values():
            measure(WARM_UP_CALLS)
        portal_worker = worker_pids(services[0].process.pid)[0]
        processes = {"model server": server.service.process.pid, "portal worker": portal_worker,
                     "MongoDB stand-in": services[1].process.pid, "client": os.getpid()}  # fmt: skip
        portal_x1 = f"{backend} portal upload-to-result x1"
        pooled = {path: ([], 0.0) for path in paths}
        ratios, matmuls, cpu_per_upload = [], [], []
        for _ in range(rounds):
            matmuls.append(matmul_gflops())
            this_round = {}
            for path, (measure, rows_per_call, share) in paths.items():
                before = {name: cpu_seconds(pid) for name, pid in processes.items()}
                latencies, wall = measure(max(round(requests * share), 5))
                if path == portal_x1:
                    cpu_per_upload.append({name: (cpu_seconds(pid) - before[name]) / len(latencies) * 1000
                                           for name, pid in processes.items()})  # fmt: skip
                this_round[path] = summary(path, latencies, wall, rows_per_call)
                pooled[path] = (pooled[path][0] + latencies, pooled[path][1] + wall)
            ratios.append(backend_ratios(backend, this_round, gflop, matmuls[-1]))
        rss = resident_mb(portal_worker)
    rows = [summary(path, *pooled[path], paths[path][1]) for path in paths]
    cpu_ms = {name: statistics.median(entry[name] for entry in cpu_per_upload) for name in processes}
    return rows, ratios, matmuls, rss, cpu_ms


def cpu_seconds(pid):
    """User and system CPU time a process has used so far (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def resident_mb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def worker_pids(master_pid):
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    return [int(pid) for pid in children]


def installed(backend):
    if backend == "tensorflow":
        return True
    try:
        import openvino  # noqa: F401
    except ImportError:
        return False
    return (latest_version_dir() / OPENVINO_DIR).is_dir()  # the version every path of the benchmark loads


def median_and_spread(rounds):
    """{figure: {"median", "min", "max"}} over the rounds' ratio dicts."""
    return {
        name: {"median": statistics.median(values), "min": min(values), "max": max(values)}
        for name, values in ((name, [ratio[name] for ratio in rounds]) for name in rounds[0])
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=120, help="per path and round (batched: per row)")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--backends", default=",".join(BACKENDS), help="comma-separated, of " + ", ".join(BACKENDS))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    backends = [backend for backend in args.backends.split(",") if installed(backend)]

    gflop = in_child(saved_model_gflop)
    image = prepare(XRAY.read_bytes())
    logs = Path(tempfile.mkdtemp(prefix="bench-"))
    report = {"backends": {}, "model_gflop_per_image": gflop, "cpu_count": os.cpu_count(), "rounds": args.rounds}
    print(f"{'path':52} {'p50 ms':>9} {'p95 ms':>9} {'img/s':>8}")
    for backend in backends:
        rows, ratios, matmuls, rss, cpu_ms = bench_backend(backend, image, gflop, args.requests, args.rounds, logs)
        figures = median_and_spread(ratios)
        report["backends"][backend] = {
            "rows": rows,
            "ratios": figures,
            "ratios_by_round": ratios,
            "matmul_float32_gflops_by_round": matmuls,
            "portal_worker_rss_mb": rss,
            "cpu_ms_per_portal_upload_x1": cpu_ms,
        }
        for row in rows:
            print(f"{row['path']:52} {row['p50_ms']:9.1f} {row['p95_ms']:9.1f} {row['images_per_s']:8.1f}")
        print(f"{backend}, median of {args.rounds} rounds (min-max):")
        for name, value in figures.items():
            print(f"  {name:52} {value['median']:6.2f} ({value['min']:.2f}-{value['max']:.2f})")
        print(f"  matmul GFLOP/s by round: {', '.join(f'{value:.0f}' for value in matmuls)}; "
              f"portal worker resident memory {rss:.0f} MB")  # fmt: skip
        print("  CPU ms per portal upload (x1), by process: " + ", ".join(f"{k} {v:.1f}" for k, v in cpu_ms.items()))
    print(f"model: {gflop:.3f} GFLOP/image; load average at the end {os.getloadavg()[0]:.1f}")
    report["load_average"] = os.getloadavg()
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
