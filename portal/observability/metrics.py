"""The portal's Prometheus series: what operators watch, never who the patient is.

Every label is drawn from a small fixed vocabulary (view names, readings, model versions, gRPC
status names), so no patient data and no unbounded label sets reach Prometheus.

gunicorn runs several worker processes, each with its own counters. When PROMETHEUS_MULTIPROC_DIR
is set (the Deployment sets it), prometheus-client keeps the values in files there and a scrape
sums them across workers; without it (development, tests) the values live in the process.
"""

import logging
import os
from collections.abc import Callable

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

logger = logging.getLogger(__name__)

MULTIPROCESS = "PROMETHEUS_MULTIPROC_DIR" in os.environ

REQUEST_LATENCY = Histogram(
    "portal_request_latency_seconds",
    "Time to answer an HTTP request, by the view that answered it.",
    ["view", "method", "status"],
)
MODEL_CALL_LATENCY = Histogram(
    "portal_model_call_latency_seconds",
    "Time of one call to the model server, by signature and gRPC status name (errors: status != OK).",
    ["signature", "status"],
)
PREDICTIONS = Counter(
    "portal_predictions",
    "Predictions shown to a person, by reading and the model version that produced them.",
    ["reading", "model_version"],
)
CASES_SAVED = Counter("portal_cases_saved", "Cases saved for a clinician's advice.")


def record_prediction(reading: str, model_version: int | str) -> None:
    """Count one prediction. `reading` is one of a few fixed words, e.g. 'covid_pattern'."""
    PREDICTIONS.labels(reading, str(model_version)).inc()


def record_model_call(signature: str, status: str, seconds: float) -> None:
    """Time one model-server call; `status` is the gRPC code name ('OK', 'UNAVAILABLE', ...)."""
    MODEL_CALL_LATENCY.labels(signature, status).observe(seconds)


def record_case_saved() -> None:
    CASES_SAVED.inc()


class ReviewBacklog:
    """`portal_review_backlog`: cases waiting for a clinician, counted when Prometheus scrapes.

    The count comes from a callable registered later by the clinician workspace. Until then,
    or while it fails (MongoDB down), the series is absent rather than a misleading zero, and
    the scrape itself still succeeds.
    """

    NAME = "portal_review_backlog"
    HELP = "Cases waiting for a clinician's advice."

    def __init__(self):
        self.count: Callable[[], int] | None = None

    def describe(self):
        return [GaugeMetricFamily(self.NAME, self.HELP)]

    def collect(self):
        if self.count is None:
            return
        try:
            value = self.count()
        except Exception:
            logger.warning("review backlog could not be counted", exc_info=True)
            return
        yield GaugeMetricFamily(self.NAME, self.HELP, value=value)


REVIEW_BACKLOG = ReviewBacklog()
if not MULTIPROCESS:
    REGISTRY.register(REVIEW_BACKLOG)


def set_review_backlog(count: Callable[[], int] | None) -> None:
    """Register the function that counts cases waiting for review (None: stop reporting)."""
    REVIEW_BACKLOG.count = count


def exposition() -> bytes:
    """The Prometheus text format for everything this process (or all gunicorn workers) recorded."""
    if MULTIPROCESS:
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        registry.register(REVIEW_BACKLOG)
    else:
        registry = REGISTRY
    return generate_latest(registry)
