"""The GitHub workflow runs the README's test command, builds what exists, and tags what the
prod overlay deploys. GitHub cannot run here, so these checks read the workflow file."""

import re
import subprocess

import pytest
import yaml

from devtools.services import REPO_ROOT
from tests.deploy.test_dockerfiles import copied_sources

WORKFLOW = REPO_ROOT / ".github/workflows/ci.yaml"
PROD = REPO_ROOT / "manifests/overlays/prod"


def workflow():
    return yaml.safe_load(WORKFLOW.read_text())


def steps(job):
    return workflow()["jobs"][job]["steps"]


def step(job, name):
    [found] = [s for s in steps(job) if s.get("name") == name]
    return found


def build(image):
    [found] = [s for s in steps("deploy") if "build-push-action" in s.get("uses", "") and image in s["name"]]
    return found


def prod_images():
    return {
        image["name"]: image["newTag"] for image in yaml.safe_load((PROD / "kustomization.yaml").read_text())["images"]
    }


def test_tests_run_the_readme_command_on_every_push():
    readme = (REPO_ROOT / "README.md").read_text()
    assert "```bash\nmake test\n```" in readme
    assert re.search(r"^test:", (REPO_ROOT / "Makefile").read_text(), re.MULTILINE)
    assert [(s["run"], s.get("working-directory")) for s in steps("test") if "run" in s] == [("make test", "main")]
    checkouts = {s["with"]["path"]: s["with"] for s in steps("test") if "actions/checkout" in s.get("uses", "")}
    assert set(checkouts) == {"main", "shared"} and "repository" in checkouts["shared"]  # ../shared beside the project
    triggers = workflow()[True]  # YAML 1.1 reads the key `on` as true
    assert triggers["push"]["branches"] == ["main"] and "pull_request" in triggers


def test_images_are_built_only_after_the_tests_pass_on_main():
    deploy = workflow()["jobs"]["deploy"]
    assert deploy["needs"] == "test"
    assert "refs/heads/main" in deploy["if"] and "push" in deploy["if"]


def test_every_action_is_pinned():
    for job in workflow()["jobs"].values():
        for action in (s["uses"] for s in job["steps"] if "uses" in s):
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@(v\d+(\.\d+)*|[0-9a-f]{40})", action), action


@pytest.mark.parametrize("image", ["portal", "serving"])
def test_each_image_is_built_from_an_existing_dockerfile_and_tagged_with_the_commit(image):
    options = build(image)["with"]
    assert (REPO_ROOT / options["file"]).is_file()
    assert (REPO_ROOT / options["context"]).is_dir()
    registry = workflow()["env"]["REGISTRY"]
    assert options["tags"] == f"${{{{ env.REGISTRY }}}}/{image}:${{{{ github.sha }}}}"
    assert f"{registry}/{image}" in prod_images()


def test_the_serving_check_reads_the_deployed_tag_and_covers_what_the_image_copies():
    script = step("deploy", "Did serving/ change since the deployed serving image?")["run"]
    awk = re.search(r"awk '([^']*)'", script).group(1)
    deployed = subprocess.run(
        ["awk", awk, str(PROD / "kustomization.yaml")], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert deployed == prod_images()["ghcr.io/covid19-prognosis/serving"]
    watched = re.search(r"HEAD -- (.+?);", script).group(1).split()
    assert all((REPO_ROOT / path).exists() for path in watched)
    for source in [*copied_sources("Dockerfile.serving"), "Dockerfile.serving"]:
        assert any(source == path or source.startswith(path + "/") for path in watched), source
    assert build("serving")["if"] == "steps.serving.outputs.changed == 'true'"


def test_the_openvino_image_is_built_with_the_serving_image_and_its_tag():
    options = step("deploy", "Build and push the OpenVINO Model Server image")
    assert options["if"] == build("serving")["if"]
    assert options["with"]["file"] == "Dockerfile.serving-openvino"
    assert options["with"]["tags"] == "${{ env.REGISTRY }}/serving-openvino:${{ github.sha }}"
    script = step("deploy", "Did serving/ change since the deployed serving image?")["run"]
    watched = re.search(r"HEAD -- (.+?);", script).group(1).split()
    for source in [*copied_sources("Dockerfile.serving-openvino"), "Dockerfile.serving-openvino"]:
        assert any(source == path or source.startswith(path + "/") for path in watched), source


def test_the_new_tags_land_in_the_prod_overlay_and_skip_ci():
    setting = step("deploy", "Set the new tags in the prod overlay")
    assert (REPO_ROOT / setting["working-directory"]) == PROD
    set_images = re.findall(r'kustomize edit set image "\$REGISTRY/(\w+):\$GITHUB_SHA"', setting["run"])
    assert set_images == ["portal", "serving"]
    assert "if" not in build("portal")  # the portal image is built on every push to main
    commit = step("deploy", "Commit the tags back")["run"]
    assert "[skip ci]" in commit and "git push origin HEAD:main" in commit
    assert workflow()["jobs"]["deploy"]["permissions"] == {"contents": "write", "packages": "write"}
