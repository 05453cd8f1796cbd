"""Every series the Grafana dashboard queries is one that the code exports.

Portal series are checked against what portal/observability really exposes after recording one
of each. Model-server panels use real TF Serving's names, which the project's local server does
not export (it has its own model_server_* series), so those are checked against TF Serving's
source: tensorflow_serving/servables/tensorflow/util.cc registers /tensorflow/serving/request_count
(model_name, status) and request_latency and runtime_latency (microseconds; model_name, API,
entrypoint or runtime); its Prometheus exporter turns '/' into ':'.
"""

import json
import re

from prometheus_client.parser import text_string_to_metric_families

from devtools.services import REPO_ROOT
from portal.observability import metrics
from tests.deploy.manifests import named, render

DASHBOARD = REPO_ROOT / "manifests/base/monitoring/prognosis-dashboard.json"
TF_SERVING_FAMILIES = {":tensorflow:serving:request_count": "counter"} | {
    f":tensorflow:serving:{name}": "histogram" for name in ("request_latency", "runtime_latency")
}
HISTOGRAM_SUFFIXES = ("_bucket", "_count", "_sum")
# What in a PromQL expression is not a metric name: strings, label matchers, ranges, label lists.
NOT_SERIES = re.compile(r'"[^"]*"|\{[^}]*\}|\[[^\]]*\]|\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)')
IDENTIFIER = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")


def series_in(expr):
    """Metric names in a PromQL expression: the identifiers left that are not function calls."""
    rest = NOT_SERIES.sub(" ", expr)
    return [m.group() for m in IDENTIFIER.finditer(rest) if not rest[m.end() :].lstrip().startswith("(")]


def dashboard():
    return json.loads(DASHBOARD.read_text())


def queried_series():
    exprs = [target["expr"] for panel in dashboard()["panels"] for target in panel["targets"]]
    found = [series_in(expr) for expr in exprs]
    assert all(found), "a panel query names no series this test can read"
    return {name for names in found for name in names}


def portal_series():
    """Sample names the portal exposes once each series has a value."""
    metrics.record_prediction("covid_pattern", 1)
    metrics.record_model_call("serving_default", "OK", 0.1)
    metrics.record_case_saved()
    metrics.REQUEST_LATENCY.labels("landing", "GET", "200").observe(0.01)
    registered = metrics.REVIEW_BACKLOG.count
    metrics.set_review_backlog(lambda: 0)
    try:
        text = metrics.exposition().decode()
    finally:
        metrics.set_review_backlog(registered)
    return {sample.name for family in text_string_to_metric_families(text) for sample in family.samples}


def tf_serving_series():
    names = set()
    for family, kind in TF_SERVING_FAMILIES.items():
        names |= {family + suffix for suffix in HISTOGRAM_SUFFIXES} if kind == "histogram" else {family}
    return names


def test_series_are_read_from_promql():
    expr = 'histogram_quantile(0.95, sum by (le, API) (rate(:tensorflow:serving:request_latency_bucket{a="b"}[5m])))'
    assert series_in(expr) == [":tensorflow:serving:request_latency_bucket"]
    assert series_in("max(portal_review_backlog) / 2") == ["portal_review_backlog"]


def test_every_queried_series_is_exported():
    queried = queried_series()
    assert any(name.startswith("portal_") for name in queried)
    assert any(name.startswith(":tensorflow:serving:") for name in queried)
    assert queried - portal_series() - tf_serving_series() == set()


def family(name):
    return next((name.removesuffix(s) for s in HISTOGRAM_SUFFIXES if name.endswith(s)), name)


def test_every_portal_series_has_a_panel():
    exported = {family(n) for n in portal_series() if n.startswith("portal_") and not n.endswith("_created")}
    assert len(exported) == 5
    assert exported - {family(n) for n in queried_series()} == set()


def test_panels_query_prometheus_through_the_datasource_variable():
    variables = {v["name"]: v for v in dashboard()["templating"]["list"]}
    assert variables["datasource"]["query"] == "prometheus"
    for panel in dashboard()["panels"]:
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]


def test_the_sidecar_finds_the_dashboard_in_every_overlay():
    for tree in ("manifests/overlays/dev", "manifests/overlays/prod"):
        config_map = named(render(tree), "ConfigMap", "grafana-dashboard-prognosis")
        assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
        assert json.loads(config_map["data"][DASHBOARD.name]) == dashboard()
