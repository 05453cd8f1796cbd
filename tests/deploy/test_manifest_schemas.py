"""Every rendered object is valid for the Kubernetes API of the cluster it targets, offline.

kubernetes-validate ships the API's JSON schemas; strict mode also rejects unknown fields, so
a misspelt or misplaced key fails here instead of being dropped silently by the API server.
Custom resources (ServiceMonitor) have no schema there; test_manifest_policies checks their
structure against the Services they scrape.
"""

import copy

import kubernetes_validate
import pytest

from tests.deploy.manifests import TREES, named, render

KUBERNETES_VERSION = "1.35.0"  # k3s v1.35; the oldest API this deployment is checked against
CUSTOM_KINDS = {("monitoring.coreos.com/v1", "ServiceMonitor")}


def schema_errors(obj):
    name = f"{obj['kind']}/{obj['metadata']['name']}"
    try:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.SchemaNotFoundError:
        if (obj["apiVersion"], obj["kind"]) in CUSTOM_KINDS:
            return []
        return [f"{name}: no schema for {obj['apiVersion']}, and not a known custom resource"]
    except kubernetes_validate.ValidationError as error:
        return [f"{name}: {error.message} at {list(error.path)}"]
    return []


@pytest.mark.parametrize("tree", TREES)
def test_every_object_matches_the_kubernetes_schema(tree):
    objects = render(tree)
    assert len(objects) >= 20
    assert [error for obj in objects for error in schema_errors(obj)] == []


def test_validation_rejects_unknown_fields():
    deployment = copy.deepcopy(named(render("manifests/overlays/prod"), "Deployment", "portal"))
    deployment["spec"]["template"]["spec"]["containers"][0]["livenessprobe"] = {}
    assert schema_errors(deployment)


def test_validation_rejects_unknown_kinds():
    assert schema_errors({"apiVersion": "example.org/v1", "kind": "Widget", "metadata": {"name": "w"}})
