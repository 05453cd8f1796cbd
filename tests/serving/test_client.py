"""The portal's client without a model server: import cost, channel reuse, errors for people."""

import subprocess
import sys
import time

import grpc
import numpy as np
import pytest

from devtools.services import free_port
from serving.client import UNAVAILABLE_MESSAGE, ModelClient, ModelServerError, channel_for
from tests.serving.model_dirs import REPO


def test_importing_the_client_does_not_import_tensorflow():
    probe = (
        "import sys, serving.client; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'tensorflow_serving', 'keras')))"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_one_channel_per_target_and_process():
    target = f"127.0.0.1:{free_port()}"
    assert channel_for(target) is channel_for(target)
    assert channel_for(target) is not channel_for(f"127.0.0.1:{free_port()}")


def test_no_server_is_unavailable_within_the_deadline_with_the_user_message():
    client = ModelClient(f"127.0.0.1:{free_port()}", timeout=1.0)
    started = time.monotonic()
    with pytest.raises(ModelServerError) as raised:
        client.predict(np.zeros((1, 128, 128, 1), np.float32))
    assert time.monotonic() - started < 1.5
    assert raised.value.code == grpc.StatusCode.UNAVAILABLE
    assert raised.value.user_message == UNAVAILABLE_MESSAGE
    assert raised.value.code.name in str(raised.value)


def test_every_code_has_a_plain_user_message():
    for code in grpc.StatusCode:
        message = ModelServerError(code, "details for logs").user_message
        assert message.endswith(".") and "details for logs" not in message
