"""The build files copy what exists, and the portal image stays free of TensorFlow.

No Docker engine runs here, so these checks read the Dockerfiles instead of building them.
"""

import re
import shlex
import subprocess
from pathlib import PurePosixPath

import pytest

from devtools.services import REPO_ROOT
from serving.server.config import read_text_proto
from serving.stubs.tensorflow_serving.config import model_server_config_pb2

DOCKERFILES = ["Dockerfile.portal", "Dockerfile.serving", "Dockerfile.serving-openvino"]


def instructions(dockerfile):
    """(instruction, arguments) pairs, continuation lines joined and comments dropped."""
    text = (REPO_ROOT / dockerfile).read_text()
    text = re.sub(r"\\\n", " ", text)
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            yield keyword.upper(), rest


def copied_sources(dockerfile):
    for keyword, rest in instructions(dockerfile):
        args = shlex.split(rest)
        if keyword == "COPY" and not any(arg.startswith("--from") for arg in args):
            yield from args[:-1]


@pytest.mark.parametrize("dockerfile", DOCKERFILES)
def test_every_copied_path_exists(dockerfile):
    sources = list(copied_sources(dockerfile))
    assert sources
    for source in sources:
        assert (REPO_ROOT / source).exists(), f"{dockerfile} copies {source}, which is missing"


@pytest.mark.parametrize("dockerfile", DOCKERFILES)
def test_images_run_as_non_root(dockerfile):
    users = [rest for keyword, rest in instructions(dockerfile) if keyword == "USER"]
    assert users and users[-1] not in {"root", "0"}


def test_serving_image_is_pinned_tensorflow_serving():
    bases = [rest for keyword, rest in instructions("Dockerfile.serving") if keyword == "FROM"]
    assert re.fullmatch(r"tensorflow/serving:\d+\.\d+\.\d+", bases[-1])


def test_serving_image_gives_tensorflow_serving_absolute_base_paths(tmp_path):
    """tensorflow_model_server refuses relative base paths; the image's RUN rewrites them, and
    each must then name a folder the image copies the models to."""
    [workdir] = [rest for keyword, rest in instructions("Dockerfile.serving") if keyword == "WORKDIR"]
    [rewrite] = [shlex.split(rest) for keyword, rest in instructions("Dockerfile.serving") if keyword == "RUN"]
    assert rewrite[0] == "sed" and rewrite[-1] == "models.config"
    config = tmp_path / "models.config"
    config.write_text((REPO_ROOT / "serving/models.config").read_text())
    subprocess.run([*rewrite[:-1], str(config)], check=True)

    original = read_text_proto(REPO_ROOT / "serving/models.config", model_server_config_pb2.ModelServerConfig())
    rewritten = read_text_proto(config, model_server_config_pb2.ModelServerConfig())
    destinations = {
        PurePosixPath(workdir, shlex.split(rest)[-1])
        for keyword, rest in instructions("Dockerfile.serving")
        if keyword == "COPY"
    }
    for before, after in zip(original.model_config_list.config, rewritten.model_config_list.config, strict=True):
        assert after.base_path == str(PurePosixPath(workdir, before.base_path))
        assert PurePosixPath(after.base_path) in destinations


def test_serving_image_carries_a_model_version():
    versions = [p for p in (REPO_ROOT / "serving/models/densenet").iterdir() if p.name.isdigit()]
    assert versions and all((v / "saved_model.pb").is_file() for v in versions)


def test_portal_image_has_no_tensorflow():
    lines = (REPO_ROOT / "requirements/portal.txt").read_text().lower().splitlines()
    packages = {line.split("==")[0] for line in lines if line and not line.startswith("#")}
    assert "django" in packages
    assert not {name for name in packages if "tensorflow" in name or "keras" in name}
    copied = " ".join(copied_sources("Dockerfile.portal"))
    assert "training" not in copied and "serving/server" not in copied and "serving/models" not in copied
