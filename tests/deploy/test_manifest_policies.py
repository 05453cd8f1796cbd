"""Policies every rendered tree (base, dev, prod) keeps, and the references between its objects.

Checked here, offline: pinned images, resources, probes, restrictive security contexts, no
secret values, NetworkPolicies that cover every workload and let only the right pods through,
and that names used in one object (Services, ConfigMaps, Secrets, ports, hosts) exist in another.
"""

import re
from urllib.parse import urlsplit

import pytest
import yaml

from devtools.services import REPO_ROOT
from tests.deploy.manifests import (
    LONG_RUNNING,
    OVERLAYS,
    TREES,
    WORKLOADS,
    containers,
    named,
    of_kind,
    pod_labels,
    pod_spec,
    render,
    selects,
)

PROJECT_IMAGES = ("ghcr.io/covid19-prognosis/portal", "ghcr.io/covid19-prognosis/serving")
# The image an overlay may run in place of a project image (prod-openvino: OpenVINO Model Server).
ALTERNATIVES = {"ghcr.io/covid19-prognosis/serving": "ghcr.io/covid19-prognosis/serving-openvino"}
SECRETS_EXAMPLE = REPO_ROOT / "manifests/base/secrets.example.yaml"


def all_containers(objects):
    for workload in of_kind(objects, *WORKLOADS):
        for container in containers(workload):
            yield f"{workload['kind']}/{workload['metadata']['name']}/{container['name']}", workload, container


@pytest.fixture(params=TREES)
def objects(request):
    return render(request.param)


def test_images_are_pinned(objects):
    for where, _, container in all_containers(objects):
        image = container["image"]
        if "@sha256:" in image:
            continue
        repository, _, tag = image.rpartition(":")
        assert repository and "/" not in tag, f"{where}: {image} has no tag"
        assert tag != "latest", f"{where}: {image}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlays_run_project_images_built_from_a_commit(overlay):
    images = {
        c["image"].rpartition(":")[0]: c["image"].rpartition(":")[2] for _, _, c in all_containers(render(overlay))
    }
    for name in PROJECT_IMAGES:
        name = name if name in images else ALTERNATIVES[name]
        assert re.fullmatch(r"[0-9a-f]{40}", images[name]), f"{overlay}: {name} is not tagged with a commit SHA"


def test_every_container_has_resources(objects):
    for where, _, container in all_containers(objects):
        resources = container.get("resources", {})
        assert {"cpu", "memory"} <= set(resources.get("requests", {})), where
        assert {"cpu", "memory"} <= set(resources.get("limits", {})), where


def test_long_running_containers_have_probes_on_declared_ports(objects):
    for workload in of_kind(objects, *LONG_RUNNING):
        for container in pod_spec(workload)["containers"]:
            where = f"{workload['metadata']['name']}/{container['name']}"
            ports = {port["name"] for port in container.get("ports", [])} | {
                port["containerPort"] for port in container.get("ports", [])
            }
            for kind in ("livenessProbe", "readinessProbe"):
                assert kind in container, f"{where} has no {kind}"
            for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
                probe = container.get(kind, {})
                for handler in ("httpGet", "tcpSocket"):
                    if handler in probe:
                        assert probe[handler]["port"] in ports, f"{where} {kind} probes an undeclared port"


def test_every_container_runs_restricted(objects):
    """The Pod Security Standards' 'restricted' profile, pod and container settings combined."""
    for where, workload, container in all_containers(objects):
        pod = pod_spec(workload).get("securityContext", {})
        own = container.get("securityContext", {})
        effective = {**pod, **own}
        assert effective.get("runAsNonRoot") is True, where
        assert effective.get("runAsUser", 0) != 0, where
        assert own.get("allowPrivilegeEscalation") is False, where
        assert own.get("readOnlyRootFilesystem") is True, where
        assert own.get("capabilities", {}).get("drop") == ["ALL"], where
        assert effective.get("seccompProfile", {}).get("type") == "RuntimeDefault", where
        assert pod_spec(workload).get("automountServiceAccountToken") is False, where


def test_no_secret_values_in_the_output(objects):
    secrets = of_kind(objects, "Secret")
    assert [s["metadata"]["name"] for s in secrets if s.get("data") or s.get("stringData")] == []


def secret_references(objects):
    """{secret name: keys read (None: all of them, through envFrom or a volume)}."""
    wanted = {}
    for _, workload, container in all_containers(objects):
        for source in container.get("envFrom", []):
            if "secretRef" in source:
                wanted.setdefault(source["secretRef"]["name"], set()).add(None)
        for variable in container.get("env", []):
            ref = variable.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                wanted.setdefault(ref["name"], set()).add(ref["key"])
        for volume in pod_spec(workload).get("volumes", []):
            if "secret" in volume:
                wanted.setdefault(volume["secret"]["secretName"], set()).add(None)
    return wanted


def example_secrets():
    return {doc["metadata"]["name"]: doc["stringData"] for doc in yaml.safe_load_all(SECRETS_EXAMPLE.read_text())}


def test_secrets_example_has_every_secret_the_manifests_read(objects):
    examples = example_secrets()
    for name, keys in secret_references(objects).items():
        assert name in examples, f"{name} is read but not in {SECRETS_EXAMPLE.name}"
        assert keys - {None} <= set(examples[name]), name
    assert {"DJANGO_SECRET_KEY", "MONGO_URI"} <= set(examples["portal-secrets"])


def test_secrets_example_holds_placeholders_only():
    for name, values in example_secrets().items():
        for key, value in values.items():
            assert key.endswith("username") or "CHANGE-ME" in value, f"{name}.{key} looks like a real value"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_replica_set_members_agree_everywhere(overlay):
    """The StatefulSet, the init Job and the portal's MONGO_URI name the same members and set."""
    objects = render(overlay)
    mongo = named(objects, "StatefulSet", "mongo")
    service = mongo["spec"]["serviceName"]
    port = next(p["containerPort"] for p in pod_spec(mongo)["containers"][0]["ports"])
    expected = [f"mongo-{i}.{service}:{port}" for i in range(mongo["spec"]["replicas"])]
    assert named(objects, "Service", service)["spec"]["clusterIP"] == "None"

    [replica_set] = [a.split("=")[1] for a in pod_spec(mongo)["containers"][0]["args"] if a.startswith("--replSet=")]
    job_env = {v["name"]: v.get("value") for v in pod_spec(named(objects, "Job", "mongo-init"))["containers"][0]["env"]}
    assert job_env["MONGO_MEMBERS"].split(",") == expected
    assert job_env["MONGO_REPLICA_SET"] == replica_set

    uri = urlsplit(example_secrets()["portal-secrets"]["MONGO_URI"])
    assert uri.netloc.rpartition("@")[2].split(",") == expected
    assert f"replicaSet={replica_set}" in uri.query


def test_network_policies_deny_by_default_and_cover_every_workload(objects):
    policies = of_kind(objects, "NetworkPolicy")
    assert any(p["spec"]["podSelector"] == {} and "ingress" not in p["spec"] for p in policies)
    for workload in of_kind(objects, *LONG_RUNNING):
        covering = [
            p["metadata"]["name"]
            for p in policies
            if p["spec"]["podSelector"] and selects(p["spec"]["podSelector"]["matchLabels"], pod_labels(workload))
        ]
        assert covering, f"no NetworkPolicy lets anything reach {workload['metadata']['name']}"


def sources_allowed(objects, target_labels, port):
    """Names of this namespace's workloads whose pods may open `port` on pods labelled `target_labels`."""
    allowed = set()
    for policy in of_kind(objects, "NetworkPolicy"):
        if not selects(policy["spec"]["podSelector"].get("matchLabels", {}), target_labels):
            continue
        for rule in policy["spec"].get("ingress", []):
            if "ports" in rule and port not in {p["port"] for p in rule["ports"]}:
                continue
            for peer in rule.get("from", []):
                if "namespaceSelector" in peer or "podSelector" not in peer:
                    continue
                allowed |= {
                    w["metadata"]["name"]
                    for w in of_kind(objects, *WORKLOADS)
                    if selects(peer["podSelector"]["matchLabels"], pod_labels(w))
                }
    return allowed


def test_only_the_portal_reaches_the_model_server_and_mongodb(objects):
    model_server = pod_labels(named(objects, "Deployment", "model-server"))
    mongo = pod_labels(named(objects, "StatefulSet", "mongo"))
    assert sources_allowed(objects, model_server, 8500) == {"portal", "complete-predictions"}
    assert sources_allowed(objects, model_server, 8501) == set()  # Prometheus only, from its namespace
    assert sources_allowed(objects, mongo, 27017) == {
        "portal", "portal-migrate", "purge-expired-cases", "complete-predictions", "mongo", "mongo-init"
    }  # fmt: skip


def test_network_policy_peers_select_real_pods(objects):
    labels = [pod_labels(w) for w in of_kind(objects, *WORKLOADS)]
    for policy in of_kind(objects, "NetworkPolicy"):
        for rule in policy["spec"].get("ingress", []):
            for peer in rule.get("from", []):
                if "namespaceSelector" not in peer:
                    match = peer["podSelector"]["matchLabels"]
                    assert any(selects(match, pod) for pod in labels), f"{policy['metadata']['name']}: {match}"


def test_services_select_pods_and_their_named_ports(objects):
    for service in of_kind(objects, "Service"):
        backends = [w for w in of_kind(objects, *LONG_RUNNING) if selects(service["spec"]["selector"], pod_labels(w))]
        assert len(backends) == 1, service["metadata"]["name"]
        declared = {p["name"] for c in pod_spec(backends[0])["containers"] for p in c.get("ports", [])}
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in declared, f"{service['metadata']['name']}: {port['targetPort']}"


def test_service_monitors_scrape_a_service_port(objects):
    monitors = of_kind(objects, "ServiceMonitor")
    assert {m["metadata"]["name"] for m in monitors} == {"portal", "model-server"}
    for monitor in monitors:
        assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
        services = [
            s
            for s in of_kind(objects, "Service")
            if selects(monitor["spec"]["selector"]["matchLabels"], s["metadata"]["labels"])
        ]
        assert len(services) == 1, monitor["metadata"]["name"]
        ports = {p["name"] for p in services[0]["spec"]["ports"]}
        for endpoint in monitor["spec"]["endpoints"]:
            assert endpoint["port"] in ports and endpoint["path"].startswith("/")


def test_references_to_config_maps_resolve(objects):
    maps = {m["metadata"]["name"]: m["data"] for m in of_kind(objects, "ConfigMap")}
    for where, workload, container in all_containers(objects):
        for source in container.get("envFrom", []):
            if "configMapRef" in source:
                assert source["configMapRef"]["name"] in maps, where
        for variable in container.get("env", []):
            ref = variable.get("valueFrom", {}).get("configMapKeyRef")
            if ref:
                assert ref["key"] in maps.get(ref["name"], {}), f"{where}: {ref}"
        for volume in pod_spec(workload).get("volumes", []):
            if "configMap" in volume:
                assert volume["configMap"]["name"] in maps, where


def test_ingress_serves_the_host_the_portal_allows(objects):
    ingress = named(objects, "Ingress", "portal")
    [config] = [m for m in of_kind(objects, "ConfigMap") if m["metadata"]["name"].startswith("portal-config")]
    host = config["data"]["PORTAL_HOST"]
    assert [rule["host"] for rule in ingress["spec"]["rules"]] == [host]
    assert [h for tls in ingress["spec"]["tls"] for h in tls["hosts"]] == [host]
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    service = named(objects, "Service", backend["name"])
    assert backend["port"]["name"] in {p["name"] for p in service["spec"]["ports"]}
    env = {v["name"]: v.get("value") for v in pod_spec(named(objects, "Deployment", "portal"))["containers"][0]["env"]}
    assert env["DJANGO_ALLOWED_HOSTS"].split(",")[0] == "$(PORTAL_HOST)"


def test_argo_cd_syncs_mongodb_then_its_init_then_the_migration_then_the_portal(objects):
    def wave(kind, name):
        return int(named(objects, kind, name)["metadata"].get("annotations", {}).get("argocd.argoproj.io/sync-wave", 0))

    order = [("StatefulSet", "mongo"), ("Job", "mongo-init"), ("Job", "portal-migrate"), ("Deployment", "portal")]
    waves = [wave(*step) for step in order]
    assert waves == sorted(set(waves)), waves
    for job in of_kind(objects, "Job"):
        annotations = job["metadata"]["annotations"]
        assert annotations["argocd.argoproj.io/hook"] == "Sync"
        assert annotations["argocd.argoproj.io/hook-delete-policy"] == "BeforeHookCreation"


def test_the_autoscaler_alone_sets_the_portal_replicas(objects):
    hpa = named(objects, "HorizontalPodAutoscaler", "portal")
    target = named(objects, hpa["spec"]["scaleTargetRef"]["kind"], hpa["spec"]["scaleTargetRef"]["name"])
    assert "replicas" not in target["spec"]
    assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]


def test_disruption_budgets_select_pods(objects):
    for budget in of_kind(objects, "PodDisruptionBudget"):
        match = budget["spec"]["selector"]["matchLabels"]
        assert any(selects(match, pod_labels(w)) for w in of_kind(objects, *LONG_RUNNING)), budget["metadata"]["name"]


def test_cron_jobs_run_the_portals_commands_as_the_portal_runs(objects):
    """Retention (daily) and the pending predictions: the portal's image and environment, one run at a time."""
    portal = pod_spec(named(objects, "Deployment", "portal"))["containers"][0]
    commands = {}
    for cron_job in of_kind(objects, "CronJob"):
        [container] = pod_spec(cron_job)["containers"]
        where = cron_job["metadata"]["name"]
        assert container["image"] == portal["image"], where
        assert container["envFrom"] == portal["envFrom"], where
        assert cron_job["spec"]["concurrencyPolicy"] == "Forbid", where
        assert pod_spec(cron_job)["restartPolicy"] == "Never", where
        command = container["command"]
        assert command[:2] == ["python", "manage.py"], where
        assert any((REPO_ROOT / "portal").glob(f"*/management/commands/{command[2]}.py")), where
        commands[command[2]] = cron_job["spec"]["schedule"]
    assert set(commands) == {"purge_expired_cases", "complete_predictions"}
    minute, hour, *every_day = commands["purge_expired_cases"].split()
    assert minute.isdigit() and hour.isdigit() and every_day == ["*", "*", "*"]  # once a day
