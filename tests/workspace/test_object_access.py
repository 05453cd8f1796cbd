"""Object-level access: a link opens only its own case or upload, advice is amended only by its author, and
an API key reaches only what its scopes (and its clinician) allow; a session is no API key."""

import pytest

from portal.api.models import ApiKey
from portal.cases.models import Advice
from portal.screening import pending
from portal.workspace.services import give_advice
from tests.portal.flow import XRAY
from tests.workspace.conftest import case_with

ADVICE = {"recommendation": "no_action", "text": "Nothing to do.", "sign_off": "on"}


def altered(secret: str) -> list[str]:
    """What a guesser tries with a known link: a character changed, cut, lengthened, case swapped, its
    start, and strings a query could take for a pattern or an operator."""
    flipped = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    return [flipped, secret[:-1], secret + "A", secret.swapcase(), secret[:8], ".*", "%24ne", "[$ne]=x",
            secret[:8] + ".*"]  # fmt: skip


def test_a_case_link_opens_its_own_case_and_no_altered_link_opens_any(client):
    ada, grace = case_with(0.9, name="Ada Lovelace"), case_with(0.1, name="Grace Hopper")
    for case, other in ((ada, grace), (grace, ada)):
        page = client.get(case.get_absolute_url()).content.decode()
        assert case.patient_name in page and other.patient_name not in page
    for reference in altered(ada.reference):
        response = client.get(f"/cases/{reference}")
        assert response.status_code == 404, reference
        assert "Lovelace" not in response.content.decode() and "Hopper" not in response.content.decode()


def test_an_upload_token_opens_only_its_own_upload(client):
    token = pending.keep(XRAY.read_bytes())
    for guess in altered(token):
        assert client.get(f"/result/{guess}").status_code == 404, guess
        assert pending.load(guess) is None


def test_a_clinician_amends_only_their_own_advice_and_signs_as_themselves(client, clinician, second_clinician, rf):
    case = case_with(0.9)
    theirs = give_advice(case, second_clinician, rf.get("/"), recommendation="self_isolate", text="Stay home.")
    client.force_login(clinician)
    assert client.post(f"/workspace/advice/{theirs.pk}/amend", ADVICE).status_code == 403
    mine = give_advice(case, clinician, rf.get("/"), recommendation="self_isolate", text="Isolate.")
    # A posted clinician is not the signer: the signed-in account is.
    posted = {**ADVICE, "clinician": second_clinician.pk, "clinician_name": "Alan Turing"}
    assert client.post(f"/workspace/advice/{mine.pk}/amend", posted).status_code == 302
    amended = Advice.objects.get(supersedes=mine)
    assert (amended.clinician, amended.text) == (clinician, "Nothing to do.")
    assert Advice.objects.filter(clinician=second_clinician).count() == 1
    assert not Advice.objects.filter(supersedes=theirs).exists()


SCOPES = ["predict", "cases:read", "cases:write"]


@pytest.mark.parametrize("scope", SCOPES)
def test_a_key_reaches_only_what_its_one_scope_allows(client, scope, clinician):
    reference = case_with(0.9).reference
    _, key = ApiKey.issue(f"only-{scope}", [scope], clinician=clinician, rate="100000/min")
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {key}"}
    requests = [  # method, path, the scope it needs
        ("get", "/api/v1/models", "predict"),
        ("post", "/api/v1/predictions", "predict"),
        ("get", "/api/v1/cases", "cases:read"),
        ("get", f"/api/v1/cases/{reference}", "cases:read"),
        ("get", f"/api/v1/cases/{reference}/advice", "cases:read"),
        ("post", "/api/v1/cases", "cases:write"),
        ("post", f"/api/v1/cases/{reference}/advice", "cases:write"),
    ]
    for method, path, needed in requests:
        extra = {"data": {}, "content_type": "application/json"} if method == "post" else {}
        status = getattr(client, method)(path, **extra, **auth).status_code
        assert (status == 403) == (needed != scope), (scope, method, path, status)  # an empty post is a 400


def test_advice_through_the_api_needs_a_key_bound_to_a_clinician(client, clinician):
    reference = case_with(0.9).reference
    body = {"recommendation": "no_action", "text": "Fine."}
    _, unbound = ApiKey.issue("unbound", ["cases:write"], rate="100000/min")
    response = client.post(f"/api/v1/cases/{reference}/advice", body, content_type="application/json",
                           HTTP_AUTHORIZATION=f"Api-Key {unbound}")  # fmt: skip
    assert response.status_code == 403 and not Advice.objects.exists()
    _, bound = ApiKey.issue("bound", ["cases:write"], clinician=clinician, rate="100000/min")
    response = client.post(f"/api/v1/cases/{reference}/advice", {**body, "clinician": "someone else"},
                           content_type="application/json", HTTP_AUTHORIZATION=f"Api-Key {bound}")  # fmt: skip
    assert response.status_code == 201 and Advice.objects.get().clinician == clinician


def test_a_signed_in_session_is_no_api_key(client, clinician):
    client.force_login(clinician)
    reference = case_with(0.9).reference
    for path in ("/api/v1/cases", f"/api/v1/cases/{reference}", "/api/v1/models"):
        assert client.get(path).status_code == 401, path
