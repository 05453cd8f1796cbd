"""Generated uploads and save forms against the patient pages: whatever is posted, the answer is one of
the documented ones (the result page, 400 with the reason at the field, 413; a save form's redirect), never a
server error."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from portal.screening import pending
from tests.portal.flow import XRAY, answers
from tests.preprocess.test_fuzz import DAMAGED_DICOM, SEEDS  # DAMAGED_DICOM was a 500 here before the fix

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore::UserWarning")]
FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
UPLOAD_ANSWERS = {200, 400, 413}


@st.composite
def files(draw):
    """File contents: random bytes, or a real PNG, JPEG or DICOM cut short or with bytes changed."""
    if draw(st.booleans()):
        return draw(st.binary(max_size=2048))
    data = bytearray(SEEDS[draw(st.sampled_from(sorted(SEEDS)))])
    for _ in range(draw(st.integers(0, 8))):
        data[draw(st.integers(0, min(len(data), 2048) - 1))] = draw(st.integers(0, 255))
    return bytes(data[: draw(st.integers(1, len(data)))])


# Names the test client can send (it refuses "", "." and ".."); the raw bodies below carry any header bytes.
names = st.text(max_size=300).filter(lambda name: "\0" not in name and name.rpartition("/")[2] not in ("", ".", ".."))
content_types = st.sampled_from(["image/png", "image/jpeg", "application/dicom", "text/html", "", "x/\r\ny"])


@FUZZ
@given(data=files(), name=names, content_type=content_types, field=st.sampled_from(["image", "other"]))
@example(data=b"", name="empty.png", content_type="image/png", field="image")
@example(data=SEEDS["png"], name="../../etc/x.png", content_type="image/png", field="image")
@example(data=DAMAGED_DICOM, name="xray.dcm", content_type="application/dicom", field="image")
def test_generated_uploads_get_a_documented_answer(client, model_server, data, name, content_type, field):
    upload = SimpleUploadedFile(name, data, content_type=content_type or None)
    response = client.post("/upload", {field: upload})
    assert response.status_code in UPLOAD_ANSWERS, (response.status_code, name, data[:64])
    if response.status_code == 400:
        assert 'id="id_image_error"' in response.content.decode()


@FUZZ
@given(body=st.binary(max_size=4096), content_type=st.sampled_from([
    "multipart/form-data; boundary=x", "multipart/form-data", "multipart/form-data; boundary=",
    "application/x-www-form-urlencoded", "application/json", "text/plain", "multipart/mixed; boundary=x"]))  # fmt: skip
@example(body=b"--x\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\n\r\n\x89PNG\r\n--x--",
         content_type="multipart/form-data; boundary=x")  # fmt: skip
@example(body=b"--x\r\nContent-Disposition: form-data; name=\"image\"; filename=\"..\"\r\n\r\n\x89PNG\r\n--x--",
         content_type="multipart/form-data; boundary=x")  # fmt: skip
def test_generated_raw_bodies_get_a_documented_answer(client, model_server, body, content_type):
    response = client.generic("POST", "/upload", body, content_type=content_type)
    assert response.status_code in UPLOAD_ANSWERS, (response.status_code, body[:64])


FIELDS = sorted(set(answers()) - {"symptoms"})
field_values = st.text(max_size=200) | st.sampled_from(["", "0", "-1", "121", "1e9", "2020-02-30", "9999-12-31",
                                                       "on", "fever", "a@b", "+44 20 7946 0000"])  # fmt: skip


@FUZZ
@given(changes=st.dictionaries(st.sampled_from(FIELDS), field_values | st.none(), max_size=5),
       symptoms=st.lists(field_values, max_size=4))  # fmt: skip
def test_generated_save_forms_get_a_documented_answer(client, model_server, changes, symptoms):
    token = pending.keep(XRAY.read_bytes())
    response = client.post(f"/cases/new/{token}", answers(**changes, symptoms=symptoms))
    assert response.status_code in (302, 400), (response.status_code, changes, symptoms)
