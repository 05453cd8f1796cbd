"""The dashboard's figures, counted from cases and advice when the page is asked for.

Only the last DAYS days are read. The review backlog of earlier days is worked back from
today's count: each day added the cases saved on it and removed those first advised on it.
"""

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

from portal.cases.models import Advice, Case
from portal.screening.analysis import Reading, model_client
from portal.workspace.charts import BarChart, bar_chart
from portal.workspace.services import review_backlog
from serving.client import ModelServerError

DAYS = 30


@dataclass(frozen=True)
class Dashboard:
    charts: list[BarChart]
    backlog: int
    median_hours_to_advice: float | None
    versions_in_use: list[tuple[int, int]]  # (model version, predictions made with it in the period)
    served_version: int | None  # None when the model server does not answer
    pinned: bool


def dashboard(today: date | None = None) -> Dashboard:
    today = today or timezone.localdate()
    days = [today - timedelta(days=back) for back in range(DAYS - 1, -1, -1)]
    start = datetime.combine(days[0], time.min, tzinfo=timezone.get_current_timezone())
    cases = Case.objects.filter(created_at__gte=start).values_list(
        "created_at", "prediction__reading", "prediction__model_version"
    )
    saved, positive, scored, versions = Counter(), Counter(), Counter(), Counter()
    for created_at, reading, version in cases:
        day = timezone.localdate(created_at)
        saved[day] += 1
        scored[day] += reading in (Reading.COVID_PATTERN, Reading.NO_COVID_PATTERN)
        positive[day] += reading == Reading.COVID_PATTERN
        if version is not None:
            versions[version] += 1

    waits = _first_advice_waits(start)  # day of first advice -> hours each case waited
    backlog_now = review_backlog()
    backlog, open_cases = {}, backlog_now
    for day in reversed(days):
        backlog[day] = open_cases
        open_cases += len(waits[day]) - saved[day]

    label = "{:%d %b}".format
    all_waits = [hours for day in days for hours in waits[day]]
    return Dashboard(
        charts=[
            bar_chart("Cases saved per day", [(label(day), saved[day]) for day in days]),
            bar_chart(
                "Share of positive readings (resembles COVID-19 pneumonia) among the cases scored each day",
                [(label(day), 100 * positive[day] / scored[day] if scored[day] else None) for day in days],
                unit="%", top=100,
            ),
            bar_chart("Review backlog at the end of each day", [(label(day), backlog[day]) for day in days]),
            bar_chart(
                "Median time to first advice, by the day it was given",
                [(label(day), statistics.median(waits[day]) if waits[day] else None) for day in days],
                unit=" h",
            ),
        ],  # fmt: skip
        backlog=backlog_now,
        median_hours_to_advice=statistics.median(all_waits) if all_waits else None,
        versions_in_use=sorted(versions.items()),
        served_version=_served_version(),
        pinned=settings.MODEL_VERSION is not None,
    )


def _first_advice_waits(start) -> dict[date, list[float]]:
    """Hours from saving to first advice, by the day of that advice, for cases first advised since `start`."""
    first = {}
    for case_id, signed_at in Advice.objects.filter(signed_at__gte=start).values_list("case_id", "signed_at"):
        first[case_id] = min(signed_at, first.get(case_id, signed_at))
    earlier = set(Advice.objects.filter(case_id__in=first, signed_at__lt=start).values_list("case_id", flat=True))
    waits = defaultdict(list)
    for case_id, created_at in Case.objects.filter(pk__in=first.keys() - earlier).values_list("pk", "created_at"):
        signed_at = first[case_id]
        waits[timezone.localdate(signed_at)].append((signed_at - created_at).total_seconds() / 3600)
    return waits


def _served_version() -> int | None:
    """The version the portal's predictions come from now: the pinned one, or the latest available."""
    try:
        available = [version for version, state in model_client().status() if state == "AVAILABLE"]
    except ModelServerError:
        return None
    if settings.MODEL_VERSION is not None:
        return settings.MODEL_VERSION if settings.MODEL_VERSION in available else None
    return max(available, default=None)
