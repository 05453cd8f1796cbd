"""Fixtures for the portal's tests."""

import pytest
from django.db import connection


@pytest.fixture
def empty_gridfs():
    """GridFS buckets are not Django models, so the flush between tests leaves them: start each test empty."""
    for collection in ("case_files.files", "case_files.chunks"):
        connection.database.drop_collection(collection)
