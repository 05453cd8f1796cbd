"""A portal worker never imports TensorFlow: it reaches the model over gRPC only."""

import os
import subprocess
import sys

from devtools.services import REPO_ROOT

LOAD_EVERY_VIEW = """
import sys
import django
django.setup()
from django.urls import get_resolver
get_resolver().url_patterns  # imports every app's views
import portal.wsgi
print(sorted(name for name in sys.modules if name.split(".")[0] in {"tensorflow", "keras", "training"}))
"""


def test_loading_the_whole_portal_imports_no_tensorflow():
    result = subprocess.run(
        [sys.executable, "-c", LOAD_EVERY_VIEW],
        cwd=REPO_ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "[]"
