"""The patient flow in tests: what a patient sends (a sample X-ray, the save form) and page checks."""

import re
from datetime import date, timedelta

from devtools import sample_xrays

XRAY = sample_xrays.COVID_LIKE_XRAY  # the committed model reads it COVID-19-like
NEGATIVE_XRAY = sample_xrays.NEGATIVE_XRAY  # and this one not
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def answers(**changes):
    """A complete, valid save form; `changes` replace or (with None) remove fields."""
    form = {
        "patient_name": "Ada Lovelace",
        "age": "36",
        "sex": "female",
        "email": "ada@example.org",
        "phone": "",
        "symptoms": ["fever", "cough"],
        "onset_date": (date.today() - timedelta(days=3)).isoformat(),
        "test_status": "waiting",
        "consent": "on",
    }
    form.update(changes)
    return {name: value for name, value in form.items() if value is not None}


def upload(client, data, name="xray.jpg", **options):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post("/upload", {"image": SimpleUploadedFile(name, data)}, **options)


def inline_code(page: str) -> list[str]:
    """Inline scripts, style attributes and event handlers: what a CSP without unsafe-inline blocks."""
    return re.findall(r"<script(?![^>]*\bsrc=)[^>]*>|\sstyle=\"|\son[a-z]+=\"", page)
