"""Request counts and latencies, exposed in Prometheus' text format (version 0.0.4).

Series are labelled by api (Predict, GetModelMetadata, GetModelStatus), model, version,
signature and status (the gRPC code name). The names are this server's own: the real
tensorflow/serving exports different ones (:tensorflow:serving:request_count, ...).
"""

import bisect
import threading
from dataclasses import dataclass, field

LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
LABELS = ("api", "model", "version", "signature", "status")
REQUESTS = "model_server_requests_total"
LATENCY = "model_server_request_latency_seconds"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass
class _Series:
    count: int = 0
    total_s: float = 0.0
    buckets: list[int] = field(default_factory=lambda: [0] * len(LATENCY_BUCKETS_S))


class Metrics:
    """Thread-safe counters and latency histograms, one series per label combination."""

    def __init__(self):
        self._series: dict[tuple[str, ...], _Series] = {}
        self._lock = threading.Lock()

    def observe(self, api: str, model: str, version: str, signature: str, status: str, seconds: float) -> None:
        key = (api, model, version, signature, status)
        with self._lock:
            series = self._series.setdefault(key, _Series())
            series.count += 1
            series.total_s += seconds
            first = bisect.bisect_left(LATENCY_BUCKETS_S, seconds)
            for index in range(first, len(LATENCY_BUCKETS_S)):
                series.buckets[index] += 1

    def render(self) -> str:
        lines = [
            f"# HELP {REQUESTS} Requests answered, by outcome.",
            f"# TYPE {REQUESTS} counter",
        ]
        with self._lock:
            snapshot = sorted((key, _Series(s.count, s.total_s, list(s.buckets))) for key, s in self._series.items())
        lines += [f"{REQUESTS}{{{_labels(key)}}} {series.count}" for key, series in snapshot]
        lines += [f"# HELP {LATENCY} Time to answer a request.", f"# TYPE {LATENCY} histogram"]
        for key, series in snapshot:
            labels = _labels(key)
            for bound, count in zip(LATENCY_BUCKETS_S, series.buckets, strict=True):
                lines.append(f'{LATENCY}_bucket{{{labels},le="{bound}"}} {count}')
            lines.append(f'{LATENCY}_bucket{{{labels},le="+Inf"}} {series.count}')
            lines.append(f"{LATENCY}_sum{{{labels}}} {series.total_s}")
            lines.append(f"{LATENCY}_count{{{labels}}} {series.count}")
        return "\n".join(lines) + "\n"


def _labels(key: tuple[str, ...]) -> str:
    return ",".join(f'{name}="{_escape(value)}"' for name, value in zip(LABELS, key, strict=True))


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
