"""The Argo CD Application deploys the prod overlay, automatically and into the right namespace."""

import yaml

from devtools.services import REPO_ROOT

APP = yaml.safe_load((REPO_ROOT / "argocd-app.yaml").read_text())


def test_it_tracks_the_prod_overlay_on_main():
    assert (APP["apiVersion"], APP["kind"]) == ("argoproj.io/v1alpha1", "Application")
    source = APP["spec"]["source"]
    assert source["path"] == "manifests/overlays/prod"
    assert (REPO_ROOT / source["path"] / "kustomization.yaml").is_file()
    assert source["targetRevision"] == "main"
    assert source["repoURL"].startswith("https://github.com/")


def test_it_deploys_into_the_overlays_namespace():
    overlay = yaml.safe_load((REPO_ROOT / "manifests/overlays/prod/kustomization.yaml").read_text())
    assert APP["spec"]["destination"]["namespace"] == overlay["namespace"]


def test_sync_is_automated_with_prune_self_heal_namespace_and_retry():
    policy = APP["spec"]["syncPolicy"]
    assert policy["automated"] == {"prune": True, "selfHeal": True}
    assert "CreateNamespace=true" in policy["syncOptions"]
    assert policy["retry"]["limit"] > 0
    assert {"duration", "factor", "maxDuration"} <= set(policy["retry"]["backoff"])


def test_its_github_owner_is_the_image_registry_owner():
    owner = APP["spec"]["source"]["repoURL"].removeprefix("https://github.com/").split("/")[0]
    workflow = yaml.safe_load((REPO_ROOT / ".github/workflows/ci.yaml").read_text())
    assert workflow["env"]["REGISTRY"] == f"ghcr.io/{owner}"
