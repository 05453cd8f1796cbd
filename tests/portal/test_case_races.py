"""Several requests finishing the same pending prediction at once (the patient's page, a clinician, the API and
complete_predictions all do): found by `make resilience`, where one such race left a case whose prediction named
a heatmap that the losing request had deleted."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.files.storage import storages
from django.db import connection

from portal.cases.models import Case
from portal.cases.services import complete_prediction, save_case
from tests.portal.flow import XRAY
from tests.portal.test_cases import model_server_down  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_gridfs")]
REQUESTS = 4


def pending_case():
    case = Case(patient_name="Ada Lovelace", age=36, sex="female", email="ada@example.org", test_status="waiting",
                consent_text="I agree.")  # fmt: skip
    return save_case(case, XRAY.read_bytes())


def test_concurrent_completions_keep_the_heatmap_the_prediction_names(settings, model_server):
    with model_server_down(settings):
        cases = [pending_case() for _ in range(3)]
    assert all(case.prediction is None for case in cases)
    for case in cases:
        start = threading.Barrier(REQUESTS)

        def complete(_, pk=case.pk, start=start):
            stale = Case.objects.get(pk=pk)  # each request read the case while it was pending
            start.wait()
            try:
                return complete_prediction(stale)
            finally:
                connection.close()

        with ThreadPoolExecutor(REQUESTS) as pool:
            assert all(pool.map(complete, range(REQUESTS)))
        case.refresh_from_db()
        assert storages["cases"].exists(case.prediction.heatmap.name)
        assert len(case.prediction.heatmap.read()) > 0
