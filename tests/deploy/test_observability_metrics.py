"""The portal's Prometheus endpoint and series (portal/observability), in isolation from the other apps."""

import os
import subprocess
import sys

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from devtools.services import REPO_ROOT
from portal.observability import metrics

MIDDLEWARE = "portal.observability.middleware.RequestMetricsMiddleware"
pytestmark = pytest.mark.urls("tests.deploy.observability_urls")


def sample(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scraped(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    return {s.name: s for family in text_string_to_metric_families(response.content.decode()) for s in family.samples}


@pytest.fixture
def timed(settings):
    """The metrics middleware first, as the settings will have it."""
    settings.MIDDLEWARE = [MIDDLEWARE, *(m for m in settings.MIDDLEWARE if m != MIDDLEWARE)]


@pytest.fixture
def backlog():
    """Registers a backlog count for one test, starting from none and restoring what was there."""
    registered = metrics.REVIEW_BACKLOG.count
    metrics.set_review_backlog(None)
    yield metrics.set_review_backlog
    metrics.set_review_backlog(registered)


def test_requests_are_timed_by_view_name_not_url(client, timed):
    labels = {"view": "case", "method": "GET", "status": "200"}
    before = sample("portal_request_latency_seconds_count", **labels)
    assert client.get("/cases/token-1234").status_code == 200
    assert sample("portal_request_latency_seconds_count", **labels) == before + 1
    assert "token-1234" not in client.get("/metrics").content.decode()


def test_unresolved_urls_and_odd_methods_share_one_label_each(client, timed):
    before = sample("portal_request_latency_seconds_count", view="unresolved", method="other", status="404")
    assert client.generic("BREW", "/no/such/page").status_code == 404
    assert sample("portal_request_latency_seconds_count", view="unresolved", method="other", status="404") == before + 1


def test_predictions_model_calls_and_cases_are_counted(client):
    before = (
        sample("portal_predictions_total", reading="covid_pattern", model_version="3"),
        sample("portal_model_call_latency_seconds_count", signature="explain", status="UNAVAILABLE"),
        sample("portal_cases_saved_total"),
    )
    metrics.record_prediction("covid_pattern", 3)
    metrics.record_model_call("explain", "UNAVAILABLE", 0.25)
    metrics.record_case_saved()
    samples = scraped(client)
    assert samples["portal_cases_saved_total"].value == before[2] + 1
    assert sample("portal_predictions_total", reading="covid_pattern", model_version="3") == before[0] + 1
    assert sample("portal_model_call_latency_seconds_count", signature="explain", status="UNAVAILABLE") == before[1] + 1


def test_review_backlog_is_counted_at_scrape_time(client, backlog):
    assert "portal_review_backlog" not in scraped(client)
    waiting = [4]
    backlog(lambda: waiting[0])
    waiting[0] = 7
    assert scraped(client)["portal_review_backlog"].value == 7


def test_a_failing_backlog_count_leaves_the_series_out_not_the_scrape(client, backlog):
    def unreachable():
        raise ConnectionError("MongoDB is down")

    backlog(unreachable)
    assert "portal_review_backlog" not in scraped(client)


def test_requests_through_the_ingress_get_no_metrics(client):
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 404


RECORD = "from portal.observability import metrics; metrics.record_prediction('no_covid_pattern', 1)"
SCRAPE = (
    "from portal.observability import metrics; metrics.set_review_backlog(lambda: 5); "
    "import sys; sys.stdout.write(metrics.exposition().decode())"
)


def test_gunicorn_workers_are_summed_in_multiprocess_mode(tmp_path):
    """Two worker processes count; a third, scraping, reports the sum (and the backlog)."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}

    def python(code):
        return subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO_ROOT, check=True, capture_output=True)

    python(RECORD)
    python(RECORD)
    families = text_string_to_metric_families(python(SCRAPE).stdout.decode())
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value for f in families for s in f.samples}
    assert samples[("portal_predictions_total", (("model_version", "1"), ("reading", "no_covid_pattern")))] == 2
    assert samples[("portal_review_backlog", ())] == 5
