"""The worklist: triage order, filters, search, pagination and counts."""

import re
from datetime import datetime, time, timedelta

from django.db import connection
from django.utils import timezone

from portal.cases.models import Case
from portal.screening.analysis import SEVERITY_OUTPUTS
from portal.workspace.services import worklist
from tests.portal.flow import inline_code
from tests.workspace.conftest import case_with


def names(page):
    """The patients' names in the worklist's rows, top to bottom."""
    rows = re.findall(r"<tr data-case=.*?</tr>", page.content.decode(), re.S)
    return [re.search(r"<td>([^<]+)<span", row).group(1) for row in rows]


def test_highest_score_first_then_oldest_and_unscored_cases_between_positive_and_negative(as_clinician):
    case_with(0.30, hours_ago=5, name="negative, higher")
    case_with(0.10, hours_ago=9, name="negative, lower")
    case_with(0.70, hours_ago=2, name="positive, newer")
    case_with(0.70, hours_ago=8, name="positive, older")
    case_with(0.95, hours_ago=1, name="positive, highest")
    case_with(None, hours_ago=3, name="pending, newer")
    case_with(None, hours_ago=6, name="pending, older")
    case_with(0.99, reading="not_a_chest_xray", hours_ago=4, name="not a chest X-ray")  # its score means nothing
    case_with(0.99, hours_ago=7, name="reviewed", status="reviewed")

    page = as_clinician.get("/workspace/cases")
    assert page.status_code == 200
    assert names(page) == [
        "positive, highest", "positive, older", "positive, newer",
        "pending, older", "not a chest X-ray", "pending, newer",
        "negative, higher", "negative, lower",
    ]  # fmt: skip
    assert "8 cases awaiting review, 1 reviewed." in page.content.decode()
    assert page["X-Robots-Tag"] == "noindex, nofollow" and "no-store" in page["Cache-Control"]
    assert inline_code(page.content.decode()) == []


def saved_before_severity(case):
    """Drop the severity fields from the stored prediction, as in cases saved before the model gave them."""
    unset = {f"prediction.{name}": "" for name in SEVERITY_OUTPUTS}
    connection.database[Case._meta.db_table].update_one({"_id": case.pk}, {"$unset": unset})


def test_order_by_severity_puts_the_most_severe_first_and_cases_without_one_last(as_clinician):
    case_with(0.9, hours_ago=1, name="mild", severity=(1.5, 1.0))
    case_with(0.8, hours_ago=2, name="severe", severity=(6.2, 4.1))
    case_with(0.7, hours_ago=3, name="as extensive, less opaque", severity=(6.2, 3.0))
    case_with(0.2, hours_ago=4, name="negative")
    case_with(None, hours_ago=5, name="pending")
    saved_before_severity(case_with(0.95, hours_ago=6, name="saved before severity"))

    page = as_clinician.get("/workspace/cases", {"order": "severity"})
    assert page.status_code == 200
    assert names(page) == [
        "severe", "as extensive, less opaque", "mild", "saved before severity", "pending", "negative",
    ]  # fmt: skip
    cells = re.findall(r"<td class=\"text-end\" data-severity>([^<]*)</td>", page.content.decode())
    assert cells == ["6.2 / 4.1", "6.2 / 3.0", "1.5 / 1.0", "—", "—", "—"]
    scores = re.findall(r"<td class=\"text-end\">([^<]*)</td>", page.content.decode())
    assert scores == ["80.0%", "70.0%", "90.0%", "95.0%", "—", "20.0%"]  # the score column shows in this order too
    assert [c.patient_name for c in worklist(order="severity")] == names(page)
    triage = as_clinician.get("/workspace/cases")
    assert names(triage)[:4] == ["saved before severity", "mild", "severe", "as extensive, less opaque"]


def test_filters_by_status_reading_and_date(as_clinician):
    today = timezone.localdate()
    # An hour ago, or midnight when that was yesterday (the suite may run just after midnight).
    midnight = datetime.combine(today, time.min, timezone.get_current_timezone())
    earlier_today = max(timezone.now() - timedelta(hours=1), midnight)
    case_with(0.9, saved_at=earlier_today, name="today positive")
    case_with(0.2, saved_at=earlier_today, name="today negative")
    case_with(None, saved_at=earlier_today, name="today pending")
    case_with(0.8, saved_at=earlier_today, name="today reviewed", status="reviewed")
    case_with(0.9, hours_ago=24 * 3, name="three days ago")

    def shown(**query):
        return names(as_clinician.get("/workspace/cases", query))

    assert shown(status="reviewed") == ["today reviewed"]
    assert shown(status="") == ["three days ago", "today positive", "today reviewed", "today pending", "today negative"]
    assert shown(reading="covid_pattern") == ["three days ago", "today positive"]
    assert shown(reading="pending") == ["today pending"]
    assert shown(since=today.isoformat()) == ["today positive", "today pending", "today negative"]
    three_days_ago = (today - timedelta(days=3)).isoformat()
    assert shown(since=three_days_ago, until=three_days_ago) == ["three days ago"]
    refused = as_clinician.get("/workspace/cases", {"since": today.isoformat(), "until": three_days_ago})
    assert "This date is before the first one." in refused.content.decode()


def test_search_by_the_start_of_a_reference_or_part_of_a_name(as_clinician):
    ada = case_with(0.9, name="Ada Lovelace")
    case_with(0.8, name="Grace Hopper")
    case_with(0.7, name="Mary (Molly) Jackson.*")

    def found(search):
        return names(as_clinician.get("/workspace/cases", {"search": search}))

    assert found("lovelace") == ["Ada Lovelace"]
    assert found(ada.reference[:6]) == ["Ada Lovelace"]
    assert found("(molly) jackson.*") == ["Mary (Molly) Jackson.*"]  # searched as text, not as a pattern
    assert found(".*") == ["Mary (Molly) Jackson.*"]
    nobody = as_clinician.get("/workspace/cases", {"search": "nobody"})
    assert names(nobody) == [] and "No case matches these filters." in nobody.content.decode()


def test_pages_of_twenty_keep_the_filters(as_clinician):
    for index in range(45):
        case_with(0.5 + index / 100, name=f"Patient {index}")
    first = as_clinician.get("/workspace/cases", {"search": "Patient"})
    page = first.content.decode()
    assert len(names(first)) == 20 and names(first)[0] == "Patient 44"  # the highest score
    assert "45 cases match; page 1 of 3." in page
    assert 'href="?search=Patient&amp;page=2"' in page
    last = as_clinician.get("/workspace/cases", {"search": "Patient", "page": 3})
    assert names(last) == [f"Patient {index}" for index in range(4, -1, -1)]
    assert "page 3 of 3" in last.content.decode()
    assert len(names(as_clinician.get("/workspace/cases", {"page": "not a number"}))) == 20


def test_the_same_rules_serve_any_caller():
    """What the REST API will call: the worklist function, with the same order and filters as the page."""
    low, high = case_with(0.6, name="low"), case_with(0.9, name="high")
    assert list(worklist()) == [high, low]
    assert list(worklist(search="hig")) == [high]


def test_prometheus_reads_the_review_backlog_from_the_cases(client):
    case_with(0.9), case_with(None), case_with(0.2, status="reviewed")
    assert "\nportal_review_backlog 2.0\n" in client.get("/metrics").content.decode()
