"""Real services for the test run: SecantusDB in memory and the local model server, on free ports."""

import pytest

from devtools.services import REPO_ROOT, start_mongo
from serving.testing import start_model_server
from tests.environment import MODEL_GRPC_PORT, MODEL_REST_PORT, MONGO_PORT

MODELS_CONFIG = REPO_ROOT / "serving/models.config"


@pytest.fixture(scope="session")
def mongo_server():
    service = start_mongo(MONGO_PORT)
    yield service
    service.stop()


@pytest.fixture(scope="session")
def django_db_setup(mongo_server, django_db_setup):
    """pytest-django's test database, created on the stand-in once it runs."""
    yield


@pytest.fixture(scope="session")
def model_server(tmp_path_factory):
    """The committed model behind the project's gRPC server, at the address the settings name."""
    server = start_model_server(
        MODELS_CONFIG, MODEL_GRPC_PORT, MODEL_REST_PORT,
        extra_args=[f"--monitoring_config_file={REPO_ROOT / 'serving/monitoring.config'}"],
        log_path=tmp_path_factory.mktemp("model-server") / "server.log",
    )  # fmt: skip
    yield server
    server.stop()


@pytest.fixture(scope="session", autouse=True)
def collected_static_files():
    """Debug is off in tests, as in production: static files are served from STATIC_ROOT."""
    from django.core.management import call_command

    call_command("collectstatic", "--noinput", verbosity=0)
