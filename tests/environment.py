"""pytest plugin loaded before pytest-django reads the settings (``-p tests.environment``).

It gives the test run production-like settings (debug off, a throwaway secret key) and
reserves free ports for the services that ``tests/conftest.py`` starts: the in-memory
MongoDB stand-in and the local model server.
"""

import os

import pytest

from devtools.sample_xrays import DATA_DIR, SAMPLE_XRAYS
from devtools.services import free_port, mongo_uri

MONGO_PORT = free_port()
MODEL_GRPC_PORT = free_port()
MODEL_REST_PORT = free_port()

TEST_ENVIRONMENT = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "test-only-secret-key-not-used-anywhere-else",
    "DJANGO_ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
    "DJANGO_SECURE_SSL_REDIRECT": "0",
    "MONGO_URI": mongo_uri(MONGO_PORT),
    "MONGO_DB": "prognosis",
    "MONGO_TIMEOUT_MS": "2000",
    "MODEL_SERVER": f"127.0.0.1:{MODEL_GRPC_PORT}",
    "MODEL_TIMEOUT": "5",
}
os.environ.update(TEST_ENVIRONMENT)


def pytest_sessionstart(session):
    """The tests read real X-rays from the data set beside the checkout: say so once, not in every test."""
    missing = [path.name for path in SAMPLE_XRAYS if not path.exists()]
    if missing:
        raise pytest.UsageError(f"The tests need the data set at {DATA_DIR} (missing: {', '.join(missing)}).")
