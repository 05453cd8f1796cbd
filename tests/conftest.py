"""Real services for the test run: SecantusDB in memory on a free port."""

import pytest

from devtools.services import start_mongo
from tests.environment import MONGO_PORT


@pytest.fixture(scope="session")
def mongo_server():
    service = start_mongo(MONGO_PORT)
    yield service
    service.stop()


@pytest.fixture(scope="session")
def django_db_setup(mongo_server, django_db_setup):
    """pytest-django's test database, created on the stand-in once it runs."""
    yield


@pytest.fixture(scope="session", autouse=True)
def collected_static_files():
    """Debug is off in tests, as in production: static files are served from STATIC_ROOT."""
    from django.core.management import call_command

    call_command("collectstatic", "--noinput", verbosity=0)
