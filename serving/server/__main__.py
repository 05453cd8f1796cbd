"""Command line of the local model server; flag names and defaults follow tensorflow_model_server.

    python -m serving.server --port=8500 --rest_api_port=8501 \
        --model_config_file=serving/models.config [--file_system_poll_wait_seconds=1] \
        [--enable_batching --batching_parameters_file=F] [--monitoring_config_file=F] \
        [--tensorflow_intra_op_parallelism=N --tensorflow_inter_op_parallelism=N] \
        [--enable_model_warmup=false] [--grpc_max_threads=N] [--bind_address=127.0.0.1] \
        [--inference_backend=openvino [--openvino_performance_hint=LATENCY] [--openvino_num_threads=N]]

--bind_address is this server's own flag (tensorflow_model_server listens on every
interface); it defaults to loopback because this server is for development and tests.
So are the --inference_backend and --openvino_* flags: with `openvino`, each version's signatures run
on the OpenVINO IR kept beside its SavedModel (python -m serving.convert), TensorFlow serving what has none.
Like tensorflow_model_server, it loads the initial model versions before it opens its ports,
so a client sees UNAVAILABLE (connection refused) until the models are ready.
"""

import argparse
import logging
import os
import signal
import threading
from functools import partial

from serving.server.batching import BatchOptions
from serving.server.config import load_batching_parameters, load_model_configs, prometheus_path
from serving.server.manager import ModelManager
from serving.server.metrics import Metrics
from serving.server.openvino_backend import PERFORMANCE_HINTS, OpenVinoOptions
from serving.server.rest import RestServer
from serving.server.servable import BACKENDS, TENSORFLOW, configure_threads, load
from serving.server.services import start_grpc_server
from serving.stubs.tensorflow_serving.servables.tensorflow import session_bundle_config_pb2

log = logging.getLogger("serving.server")


def _flag_bool(text: str) -> bool:
    if text.lower() in ("1", "true", "yes"):
        return True
    if text.lower() in ("0", "false", "no"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m serving.server", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8500, help="gRPC port")
    parser.add_argument("--rest_api_port", type=int, default=0, help="REST status/metrics port; 0 disables it")
    parser.add_argument("--model_config_file", required=True, help="ModelServerConfig in text format")
    parser.add_argument("--file_system_poll_wait_seconds", type=int, default=1, help="0 polls once, at startup")
    parser.add_argument("--enable_batching", type=_flag_bool, nargs="?", const=True, default=False)
    parser.add_argument("--batching_parameters_file", help="BatchingParameters in text format")
    parser.add_argument("--monitoring_config_file", help="MonitoringConfig in text format (enables metrics)")
    parser.add_argument("--tensorflow_intra_op_parallelism", type=int, default=0)
    parser.add_argument("--tensorflow_inter_op_parallelism", type=int, default=0)
    parser.add_argument("--enable_model_warmup", type=_flag_bool, nargs="?", const=True, default=True)
    parser.add_argument("--grpc_max_threads", type=int, default=4 * (os.cpu_count() or 1))
    parser.add_argument("--bind_address", default="127.0.0.1", help="address both ports listen on")
    parser.add_argument("--inference_backend", choices=BACKENDS, default=TENSORFLOW)
    parser.add_argument("--openvino_performance_hint", choices=PERFORMANCE_HINTS, default="LATENCY")
    parser.add_argument("--openvino_num_threads", type=int, default=0, help="0: one per physical core")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    models = load_model_configs(args.model_config_file)
    batching = None
    if args.enable_batching:
        params = session_bundle_config_pb2.BatchingParameters()
        if args.batching_parameters_file:
            params = load_batching_parameters(args.batching_parameters_file)
        batching = BatchOptions.from_proto(params)
    metrics_path = prometheus_path(args.monitoring_config_file)
    configure_threads(args.tensorflow_intra_op_parallelism, args.tensorflow_inter_op_parallelism)

    openvino = OpenVinoOptions(args.openvino_performance_hint, args.openvino_num_threads)
    loader = partial(
        load, batching=batching, warm_up=args.enable_model_warmup, backend=args.inference_backend, openvino=openvino
    )
    manager = ModelManager(models, loader)
    manager.poll()
    metrics = Metrics()
    grpc_address = f"{args.bind_address}:{args.port}"
    grpc_server = start_grpc_server(manager, metrics, grpc_address, args.grpc_max_threads)
    log.info("Running gRPC ModelServer at %s ...", grpc_address)
    rest = None
    if args.rest_api_port:
        rest = RestServer((args.bind_address, args.rest_api_port), manager, metrics, metrics_path)
        rest.start()
        log.info("Exporting HTTP/REST API at %s:%d ...", args.bind_address, args.rest_api_port)

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    poller = threading.Thread(
        target=manager.poll_until, args=(args.file_system_poll_wait_seconds, stop), name="poll", daemon=True
    )
    if args.file_system_poll_wait_seconds > 0:
        poller.start()
    while not stop.wait(0.5):
        pass

    log.info("Shutting down")
    if rest is not None:
        rest.shutdown()
        rest.server_close()
    grpc_server.stop(grace=5).wait()
    if poller.is_alive():
        poller.join()  # lets a load in progress finish before the unload
    manager.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
