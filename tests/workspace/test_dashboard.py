"""The dashboard: its figures from cases and advice, its charts drawn as SVG on the server."""

import re
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from portal.cases.models import Advice, Case
from portal.workspace.charts import bar_chart
from portal.workspace.dashboard import dashboard
from serving.client import ModelClient
from tests.portal.flow import inline_code
from tests.workspace.conftest import case_with


def advised(case, clinician, hours_after):
    """Advice signed `hours_after` the case was saved."""
    return Advice.objects.create(case=case, clinician=clinician, recommendation="no_action", text="Fine.",
                                 signed_at=case.created_at + timedelta(hours=hours_after))  # fmt: skip


def rows(chart):
    return dict(chart.rows)


def test_the_figures_count_cases_readings_backlog_and_time_to_advice(clinician, model_server):
    today = timezone.localdate()
    midnight = datetime.combine(today, time.min, tzinfo=timezone.get_current_timezone())
    label = "{:%d %b}".format
    two_days_ago = [case_with(p_covid, saved_at=midnight - timedelta(hours=36)) for p_covid in (0.9, 0.2, None)]
    for _ in range(2):
        case_with(0.9, saved_at=midnight + timedelta(minutes=1), version=2)
    advised(two_days_ago[0], clinician, hours_after=2)  # advised two days ago, after 2 h
    advised(two_days_ago[0], clinician, hours_after=40)  # a second opinion: not the first advice
    advised(two_days_ago[1], clinician, hours_after=48)  # advised today, after 48 h
    Case.objects.filter(pk__in=[case.pk for case in two_days_ago[:2]]).update(status="reviewed")

    figures = dashboard()
    saved, positive, backlog, waits = (rows(chart) for chart in figures.charts)
    assert [saved[label(today - timedelta(days=days))] for days in (3, 2, 1, 0)] == ["0", "3", "0", "2"]
    assert positive[label(today - timedelta(days=2))] == "50%"  # of the two scored; the pending one is not
    assert positive[label(today)] == "100%" and positive[label(today - timedelta(days=1))] == "no data"
    assert figures.backlog == 3  # the pending case and today's two
    # At the end of each day: two days ago 3 saved, 1 advised; yesterday nothing; today 2 saved, 1 advised.
    assert [backlog[label(today - timedelta(days=days))] for days in (3, 2, 1, 0)] == ["0", "2", "2", "3"]
    assert waits[label(today - timedelta(days=2))] == "2 h" and waits[label(today)] == "48 h"
    assert figures.median_hours_to_advice == 25
    assert figures.versions_in_use == [(1, 2), (2, 2)]  # the pending case has no version
    assert figures.served_version == ModelClient(model_server.target).status()[-1][0]
    assert len(figures.charts[0].bars) == 30


def test_the_dashboard_page_draws_its_charts_in_svg_without_inline_code(as_clinician, model_server):
    case_with(0.9)
    response = as_clinician.get("/workspace/dashboard")
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("<svg") == 4 and page.count('class="chart-bar"') >= 2
    assert re.search(r'data-backlog>\s*1\s*<', page)
    assert "data-served-version>" in page
    assert inline_code(page) == []


def test_a_bar_chart_scales_to_a_round_top_and_leaves_out_days_without_data():
    chart = bar_chart("Cases", [("a", 3), ("b", None), ("c", 7)])
    assert [tick.text for tick in chart.y_ticks] == ["0", "5", "10"]
    tallest = max(chart.bars, key=lambda bar: bar.height)
    assert len(chart.bars) == 2 and tallest.label == "c"
    assert tallest.height == pytest.approx((chart.baseline - 10) * 0.7)  # 7 of 10 on a plot 10 px below the top
    assert chart.rows == [("a", "3"), ("b", "no data"), ("c", "7")]
    assert [tick.text for tick in bar_chart("Cases", [("a", 3)]).y_ticks] == ["0", "2", "4"]
    assert [tick.text for tick in bar_chart("Cases", [("a", 0)]).y_ticks] == ["0", "1", "2"]
    assert bar_chart("Share", [("a", 50.0)], unit="%", top=100).y_ticks[-1].text == "100%"
