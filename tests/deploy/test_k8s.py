"""Offline checks of the deployment: the kustomize overlays under deploy/k8s and the Dockerfile.

Each overlay is rendered with ``kubectl kustomize`` (no cluster, no network), every object is validated
against the Kubernetes 1.30 schemas in strict mode (unknown fields and wrong types fail), and the
invariants docs/operations.md relies on are checked: probes, pod security, drain time, migrations,
Secret and ConfigMap references, headless Services for client-side round-robin, autoscaling and
disruption budgets in production, which pod may talk to which under the network policies, and mutual
TLS between the parts (certificate files, exec probes) in prod-mtls.
"""

from __future__ import annotations

import base64
import functools
import os
import re
import shutil
import subprocess
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
SECRETS_EXAMPLE = K8S / "overlays" / "prod" / "secrets.example.yaml"
OVERLAYS = ("dev", "prod", "prod-full", "prod-mtls")
PROD_OVERLAYS = ("prod", "prod-full", "prod-mtls")
#: Overlays with components/network-policies and components/otel-collector.
FULL_OVERLAYS = ("prod-full", "prod-mtls")
#: Overlays with components/mtls: the services listen with TLS and require client certificates.
MTLS_OVERLAYS = ("prod-mtls",)
TLS_SECRET = "livetrust-tls"
TLS_KEYS = {"tls.crt", "tls.key", "ca.crt"}
TLS_ENV = {"LIVETRUST_TLS_CERT_FILE": "tls.crt", "LIVETRUST_TLS_KEY_FILE": "tls.key", "LIVETRUST_TLS_CA_FILE": "ca.crt"}
#: Where the exec probes dial the pod itself (the certificate needs this SAN).
PROBE_HOST = "127.0.0.1"
K8S_VERSION = "1.30.0"

#: part -> (gRPC port, the full service name its readiness probe asks about)
PARTS: dict[str, tuple[int, str]] = {
    "gateway": (50051, "livetrust.gateway.v1.ComplianceGateway"),
    "credit": (50052, "livetrust.credit.v1.CreditService"),
    "blacklist": (50053, "livetrust.blacklist.v1.BlacklistService"),
    "identity": (50054, "livetrust.identity.v1.IdentityService"),
    "retention": (50055, "livetrust.retention.v1.RetentionService"),
}
SERVICES = ("identity", "blacklist", "credit", "retention")
#: Parts that own a database and so have a migration Job (the gateway keeps its API keys in its own).
MIGRATED = (*SERVICES, "gateway")
#: Who dials whom, through LIVETRUST_<TARGET>_ADDR.
DIALS = {"gateway": SERVICES, "credit": ("blacklist", "retention")}
DEFAULT_GRACE_SECONDS = 10.0
POD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")
APP_UID = 10001

KUBECTL = shutil.which("kubectl")
if KUBECTL is None:
    if os.environ.get("CI"):
        pytest.fail("kubectl is required (CI is set) to render deploy/k8s", pytrace=False)
    pytest.skip("kubectl is not installed (with CI set this fails instead)", allow_module_level=True)


# --- rendering and lookups ---------------------------------------------------------------------------


@functools.cache
def render(overlay: str) -> tuple[dict[str, Any], ...]:
    proc = subprocess.run(
        [KUBECTL, "kustomize", str(K8S / "overlays" / overlay)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(f"kubectl kustomize overlays/{overlay} failed:\n{proc.stderr}")
    docs = tuple(doc for doc in yaml.safe_load_all(proc.stdout) if doc)
    assert docs, f"overlays/{overlay} rendered nothing"
    return docs


@pytest.fixture(params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def docs(overlay: str) -> tuple[dict[str, Any], ...]:
    return render(overlay)


def of_kind(docs, kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


def named(docs, kind: str, name: str) -> dict[str, Any]:
    found = [d for d in of_kind(docs, kind) if d["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} named {name}, found {len(found)}"
    return found[0]


def label(obj: dict[str, Any], key: str) -> str | None:
    return (obj["metadata"].get("labels") or {}).get(key)


def pod_template(obj: dict[str, Any]) -> dict[str, Any]:
    if obj["kind"] == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]
    return obj["spec"]["template"]


def workloads(docs) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(workload, its pod spec) for everything that runs pods."""
    for obj in docs:
        if obj["kind"] in POD_KINDS:
            yield obj, pod_template(obj)["spec"]


def containers(pod_spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [*(pod_spec.get("initContainers") or []), *pod_spec["containers"]]


def part_deployments(docs) -> dict[str, dict[str, Any]]:
    """The five livetrust Deployments by part (not the collector or other helpers)."""
    found = {
        label(d, "app.kubernetes.io/component"): d
        for d in of_kind(docs, "Deployment")
        if label(d, "app.kubernetes.io/part-of") == "livetrust" and label(d, "app.kubernetes.io/component") in PARTS
    }
    assert set(found) == set(PARTS), f"Deployments for {sorted(set(PARTS) - set(found))} are missing"
    return found


def main_container(deployment: dict[str, Any]) -> dict[str, Any]:
    spec = deployment["spec"]["template"]["spec"]
    assert len(spec["containers"]) == 1, f"{deployment['metadata']['name']}: one container expected"
    return spec["containers"][0]


def effective_env(docs, container: dict[str, Any]) -> dict[str, str | None]:
    """The container's environment as the kubelet builds it: envFrom ConfigMaps, then env entries
    (None stands for a value from a Secret or a field)."""
    env: dict[str, str | None] = {}
    for source in container.get("envFrom") or []:
        if "configMapRef" in source:
            env.update(named(docs, "ConfigMap", source["configMapRef"]["name"]).get("data") or {})
    for entry in container.get("env") or []:
        env[entry["name"]] = entry.get("value")
    return env


def selector_matches(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    """Kubernetes label-selector semantics (an empty selector matches everything)."""
    if selector is None:
        return True
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values") or []
        if (
            (operator == "In" and labels.get(key) not in values)
            or (operator == "NotIn" and key in labels and labels[key] in values)
            or (operator == "Exists" and key not in labels)
            or (operator == "DoesNotExist" and key in labels)
        ):
            return False
    return True


def template_labels(obj: dict[str, Any]) -> dict[str, str]:
    return pod_template(obj)["metadata"].get("labels") or {}


def secret_keys(docs) -> dict[str, set[str]]:
    return {
        s["metadata"]["name"]: set(s.get("data") or {}) | set(s.get("stringData") or {})
        for s in of_kind(docs, "Secret")
    }


def configmap_keys(docs) -> dict[str, set[str]]:
    return {
        c["metadata"]["name"]: set(c.get("data") or {}) | set(c.get("binaryData") or {})
        for c in of_kind(docs, "ConfigMap")
    }


def example_files(overlay: str = "prod") -> list[Path]:
    """The secrets.example.yaml files documenting a production overlay's Secrets: prod's, plus the
    overlay's own (prod-mtls: livetrust-tls)."""
    own = K8S / "overlays" / overlay / "secrets.example.yaml"
    return [SECRETS_EXAMPLE, *([own] if own != SECRETS_EXAMPLE and own.exists() else [])]


@functools.cache
def example_secret_docs(overlay: str = "prod") -> tuple[dict[str, Any], ...]:
    return tuple(d for path in example_files(overlay) for d in yaml.safe_load_all(path.read_text()) if d)


@functools.cache
def example_secrets(overlay: str = "prod") -> dict[str, dict[str, str]]:
    """The Secrets a production overlay needs created, name -> key -> placeholder."""
    found: dict[str, dict[str, str]] = {}
    for d in example_secret_docs(overlay):
        assert d["metadata"]["name"] not in found, f"{d['metadata']['name']} is documented twice"
        found[d["metadata"]["name"]] = {**(d.get("stringData") or {}), **(d.get("data") or {})}
    return found


@dataclass(frozen=True)
class Ref:
    kind: str  # Secret or ConfigMap
    name: str
    key: str | None  # None: the whole object (envFrom, a volume without items)
    optional: bool
    where: str


def references(obj: dict[str, Any], pod_spec: dict[str, Any]) -> Iterator[Ref]:
    """Every Secret and ConfigMap a pod spec reads, with the keys it needs."""
    where = f"{obj['kind']}/{obj['metadata']['name']}"
    for container in containers(pod_spec):
        for entry in container.get("env") or []:
            source = entry.get("valueFrom") or {}
            for field_name, kind in (("secretKeyRef", "Secret"), ("configMapKeyRef", "ConfigMap")):
                if field_name in source:
                    ref = source[field_name]
                    yield Ref(kind, ref["name"], ref["key"], bool(ref.get("optional")), f"{where} env {entry['name']}")
        for source in container.get("envFrom") or []:
            for field_name, kind in (("secretRef", "Secret"), ("configMapRef", "ConfigMap")):
                if field_name in source:
                    ref = source[field_name]
                    yield Ref(kind, ref["name"], None, bool(ref.get("optional")), f"{where} envFrom")

    def from_volume(kind: str, name: str, spec: dict[str, Any], context: str) -> Iterator[Ref]:
        items = spec.get("items") or []
        optional = bool(spec.get("optional"))
        if not items:
            yield Ref(kind, name, None, optional, context)
        for item in items:
            yield Ref(kind, name, item["key"], optional, context)

    for volume in pod_spec.get("volumes") or []:
        context = f"{where} volume {volume['name']}"
        if "secret" in volume:
            yield from from_volume("Secret", volume["secret"]["secretName"], volume["secret"], context)
        if "configMap" in volume:
            yield from from_volume("ConfigMap", volume["configMap"]["name"], volume["configMap"], context)
        for source in (volume.get("projected") or {}).get("sources") or []:
            if "secret" in source:
                yield from from_volume("Secret", source["secret"]["name"], source["secret"], context)
            if "configMap" in source:
                yield from from_volume("ConfigMap", source["configMap"]["name"], source["configMap"], context)


def image_tag(image: str) -> str | None:
    """The tag of an image reference, None when it is pinned by digest only or has no tag."""
    if "@" in image:
        return None
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


@dataclass(frozen=True)
class ExecProbe:
    """A parsed ``livetrust probe HOST:PORT [--service NAME] [--timeout S]`` command."""

    host: str
    port: int
    service: str
    timeout: float


def livetrust_probe(probe: dict[str, Any], where: str) -> ExecProbe:
    """The probe's ``livetrust probe`` command, parsed; fails unless exec is its only handler."""
    handlers = {"exec", "grpc", "httpGet", "tcpSocket"} & set(probe)
    assert handlers == {"exec"}, f"{where}: one exec handler, not {sorted(handlers)}"
    command = probe["exec"]["command"]
    assert all(isinstance(arg, str) for arg in command), f"{where}: exec arguments are strings"
    assert command[:2] == ["livetrust", "probe"] and len(command) >= 3, f"{where}: {command}"
    host, _, port = command[2].rpartition(":")
    assert host and port.isdigit(), f"{where}: {command[2]} is not HOST:PORT"
    options: dict[str, str] = {}
    rest = command[3:]
    assert len(rest) % 2 == 0, f"{where}: options come in pairs: {rest}"
    for flag, value in zip(rest[::2], rest[1::2], strict=True):
        assert flag in ("--service", "--timeout") and flag not in options, f"{where}: {flag}"
        options[flag] = value
    timeout = float(options.get("--timeout", 2.0))
    assert timeout < probe.get("timeoutSeconds", 1), f"{where}: the RPC deadline fits in timeoutSeconds"
    return ExecProbe(host, int(port), options.get("--service", ""), timeout)


def probe_port(probe: dict[str, Any], where: str) -> int | str | None:
    """The container port a probe checks, whichever its handler (None: an exec probe of another tool,
    such as the dev PostgreSQL's pg_isready)."""
    if "exec" in probe:
        is_livetrust = probe["exec"]["command"][:2] == ["livetrust", "probe"]
        return livetrust_probe(probe, where).port if is_livetrust else None
    for handler in ("grpc", "httpGet", "tcpSocket"):
        if handler in probe:
            return probe[handler]["port"]
    raise AssertionError(f"{where}: no handler")


# --- every overlay -----------------------------------------------------------------------------------


def test_every_object_validates_against_kubernetes_1_30(docs) -> None:
    errors = []
    for obj in docs:
        try:
            kubernetes_validate.validate(obj, K8S_VERSION, strict=True)
        except (kubernetes_validate.ValidationError, kubernetes_validate.SchemaNotFoundError) as exc:
            errors.append(f"{obj['kind']}/{obj['metadata'].get('name')}: {str(exc).splitlines()[0]}")
    assert not errors, "\n".join(errors)


def test_objects_are_namespaced_and_labelled(docs) -> None:
    namespaces = of_kind(docs, "Namespace")
    assert len(namespaces) == 1
    namespace = namespaces[0]["metadata"]["name"]
    assert namespaces[0]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for obj in docs:
        if obj["kind"] != "Namespace":
            assert obj["metadata"].get("namespace") == namespace, f"{obj['kind']}/{obj['metadata']['name']}"
        assert label(obj, "app.kubernetes.io/part-of") == "livetrust", f"{obj['kind']}/{obj['metadata']['name']}"
    for obj in docs:
        if obj["kind"] in (*POD_KINDS, "Service", "ServiceAccount"):
            for key in ("app.kubernetes.io/name", "app.kubernetes.io/component"):
                assert label(obj, key), f"{obj['kind']}/{obj['metadata']['name']} lacks {key}"
    for obj, _ in workloads(docs):
        labels = template_labels(obj)
        for key in ("app.kubernetes.io/name", "app.kubernetes.io/part-of", "app.kubernetes.io/component"):
            assert labels.get(key), f"pods of {obj['kind']}/{obj['metadata']['name']} lack {key}"


def test_each_part_has_deployment_service_account_and_config(docs) -> None:
    for part, deployment in part_deployments(docs).items():
        spec = deployment["spec"]["template"]["spec"]
        account = named(docs, "ServiceAccount", spec["serviceAccountName"])
        assert account["automountServiceAccountToken"] is False
        assert spec["automountServiceAccountToken"] is False
        named(docs, "Service", part)
        container = main_container(deployment)
        assert container["args"] == ["serve", part]
        sources = [s["configMapRef"]["name"] for s in container.get("envFrom") or [] if "configMapRef" in s]
        assert sources, f"{part}: non-secret settings come from its ConfigMap"
        env = effective_env(docs, container)
        assert env["LIVETRUST_LISTEN_ADDR"] == f"0.0.0.0:{PARTS[part][0]}"
        # Deployments never migrate: no init containers, and the schema is the Jobs' business.
        assert not spec.get("initContainers"), f"{part}: migrations run as Jobs, not in the pods"


def test_probes_check_grpc_health_on_numeric_ports(overlay, docs) -> None:
    """Native gRPC probes; with mTLS (prod-mtls) the services' are exec probes running `livetrust probe`
    instead (test_mtls_services_probe_through_livetrust_probe), the gateway's stay native."""
    for part, deployment in part_deployments(docs).items():
        port, service_name = PARTS[part]
        container = main_container(deployment)
        declared = {p["containerPort"] for p in container["ports"]}
        assert port in declared
        if overlay in MTLS_OVERLAYS and part in SERVICES:
            continue

        for probe_name in ("readinessProbe", "livenessProbe", "startupProbe"):
            handlers = {"exec", "grpc", "httpGet", "tcpSocket"} & set(container[probe_name])
            assert handlers == {"grpc"}, f"{part} {probe_name}: {sorted(handlers)}"
        readiness = container["readinessProbe"]["grpc"]
        assert readiness["port"] == port and isinstance(readiness["port"], int)
        assert readiness["service"] == service_name

        liveness = container["livenessProbe"]["grpc"]
        assert liveness["port"] == port and isinstance(liveness["port"], int)
        assert liveness.get("service", "") == "", "liveness asks for the overall status"

        startup_probe = container["startupProbe"]
        assert startup_probe["grpc"]["port"] == port and isinstance(startup_probe["grpc"]["port"], int)
        budget = startup_probe.get("periodSeconds", 10) * startup_probe.get("failureThreshold", 3)
        assert budget >= 300, f"{part}: start-up must outlast a migration (budget {budget}s)"


def test_pods_run_restricted(docs) -> None:
    for obj, spec in workloads(docs):
        name = f"{obj['kind']}/{obj['metadata']['name']}"
        pod = spec.get("securityContext") or {}
        assert pod.get("runAsNonRoot") is True, name
        assert pod.get("seccompProfile") == {"type": "RuntimeDefault"}, name
        assert pod.get("fsGroup"), name
        assert spec.get("automountServiceAccountToken") is False, name
        assert not spec.get("hostNetwork") and not spec.get("hostPID") and not spec.get("hostIPC"), name
        assert all("hostPath" not in v for v in spec.get("volumes") or []), name
        for container in containers(spec):
            where = f"{name} container {container['name']}"
            security = container.get("securityContext") or {}
            assert security.get("allowPrivilegeEscalation") is False, where
            assert security.get("readOnlyRootFilesystem") is True, where
            assert security.get("capabilities", {}).get("drop") == ["ALL"], where
            assert not security.get("capabilities", {}).get("add"), where
            assert not security.get("privileged"), where
            resources = container.get("resources") or {}
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources.get(kind) or {}), f"{where}: {kind}"
        if any("livetrust" in c["image"] for c in spec["containers"]):
            assert pod.get("runAsUser") == APP_UID, name
            volumes = {v["name"]: v for v in spec.get("volumes") or []}
            for container in spec["containers"]:
                tmp = [m for m in container.get("volumeMounts") or [] if m["mountPath"] == "/tmp"]
                assert tmp and "emptyDir" in volumes[tmp[0]["name"]], f"{name}: /tmp is a writable emptyDir"


def test_termination_outlasts_the_drain(docs) -> None:
    for part, deployment in part_deployments(docs).items():
        env = effective_env(docs, main_container(deployment))
        grace = float(env.get("LIVETRUST_GRACE_SECONDS") or DEFAULT_GRACE_SECONDS)
        termination = deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
        assert termination > grace, f"{part}: {termination}s to stop, {grace}s to drain"
        assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] in (0, "0", "0%")


def test_service_and_probe_ports_exist_in_the_pods(docs) -> None:
    servers = [d for d in docs if d["kind"] in ("Deployment", "StatefulSet")]
    for service in of_kind(docs, "Service"):
        selector = service["spec"]["selector"]
        backing = [w for w in servers if selector_matches({"matchLabels": selector}, template_labels(w))]
        assert backing, f"Service/{service['metadata']['name']} selects no pods"
        for workload in backing:
            ports = [p for c in pod_template(workload)["spec"]["containers"] for p in c.get("ports") or []]
            for port in service["spec"]["ports"]:
                target = port.get("targetPort", port["port"])
                if isinstance(target, str):
                    assert target in {p.get("name") for p in ports}, f"{service['metadata']['name']}: {target}"
                else:
                    assert target in {p["containerPort"] for p in ports}, f"{service['metadata']['name']}: {target}"
    for obj, spec in workloads(docs):
        for container in containers(spec):
            declared = {p["containerPort"] for p in container.get("ports") or []}
            for probe_name in ("readinessProbe", "livenessProbe", "startupProbe"):
                probe = container.get(probe_name)
                if not probe:
                    continue
                where = f"{obj['metadata']['name']} {probe_name}"
                port = probe_port(probe, where)
                if port is None:
                    continue
                assert isinstance(port, int), f"{where}: numeric port"
                assert port in declared, f"{where}: {port} not declared"


def test_only_the_gateway_service_has_a_cluster_ip(docs) -> None:
    for service in of_kind(docs, "Service"):
        name = service["metadata"]["name"]
        if name == "gateway":
            assert service["spec"].get("clusterIP") != "None"
            assert service["spec"].get("type", "ClusterIP") == "ClusterIP"
        else:
            assert service["spec"].get("clusterIP") == "None", f"Service/{name} must be headless"
    for part in SERVICES:
        ports = named(docs, "Service", part)["spec"]["ports"]
        assert all(p.get("name") for p in ports), f"Service/{part}: named ports"


def test_callers_dial_headless_services_through_dns(docs) -> None:
    deployments = part_deployments(docs)
    for caller, targets in DIALS.items():
        deployment = deployments[caller]
        namespace = deployment["metadata"]["namespace"]
        env = effective_env(docs, main_container(deployment))
        for target in targets:
            address = env.get(f"LIVETRUST_{target.upper()}_ADDR") or ""
            match = re.fullmatch(r"dns:///([a-z0-9.-]+):(\d+)", address)
            assert match, f"{caller} dials {target} at {address!r}: want dns:///host:port"
            host, port = match.group(1), int(match.group(2))
            assert host in (target, f"{target}.{namespace}.svc.cluster.local"), f"{caller} -> {host}"
            service = named(docs, "Service", target)
            assert service["spec"]["clusterIP"] == "None"
            assert port == PARTS[target][0] and port in {p["port"] for p in service["spec"]["ports"]}


def test_a_migration_job_per_database(docs) -> None:
    jobs = {label(j, "livetrust.io/migrates"): j for j in of_kind(docs, "Job") if label(j, "livetrust.io/migrates")}
    assert set(jobs) == set(MIGRATED)
    for part, job in jobs.items():
        version = label(job, "app.kubernetes.io/version")
        assert version, f"{part}: the Job carries its release"
        assert job["metadata"]["name"] == f"{part}-migrate-{version.replace('.', '-')}"
        spec = job["spec"]
        assert spec["backoffLimit"] >= 1
        assert spec["ttlSecondsAfterFinished"] > 0
        pod = spec["template"]["spec"]
        assert pod["restartPolicy"] in ("Never", "OnFailure")
        (container,) = pod["containers"]
        assert container["args"] == ["migrate", part]
        tag = image_tag(container["image"])
        assert tag in (None, version), f"{part}: image {container['image']} is not release {version}"
        env = {e["name"]: e for e in container.get("env") or []}
        assert "secretKeyRef" in env[f"LIVETRUST_{part.upper()}_DATABASE_URL"]["valueFrom"]
        # Self-contained: applied alone before the Deployments, it must not need a new ConfigMap.
        assert not container.get("envFrom")
    versions = {label(j, "app.kubernetes.io/version") for j in jobs.values()}
    assert len(versions) == 1


def test_retention_purge_cronjob(docs) -> None:
    cron = named(docs, "CronJob", "retention-purge")
    spec = cron["spec"]
    assert spec["concurrencyPolicy"] == "Forbid"
    assert spec["startingDeadlineSeconds"] > 0
    assert not spec.get("suspend")
    (container,) = pod_template(cron)["spec"]["containers"]
    assert container["args"] == ["retention", "purge"]
    assert "LIVETRUST_RETENTION_DATABASE_URL" in {e["name"] for e in container.get("env") or []}


def test_key_rotation_job_template_is_suspended(docs) -> None:
    cron = named(docs, "CronJob", "identity-rotate-key")
    assert cron["spec"]["suspend"] is True
    (container,) = pod_template(cron)["spec"]["containers"]
    assert container["args"] == ["identity", "rotate-key"]
    env = effective_env(docs, container)
    assert env.get("LIVETRUST_CONSORTIUM_KEY_FILE") and env.get("LIVETRUST_IDENTITY_ENCRYPTION_KEYS_FILE")


def test_referenced_secrets_and_configmaps_exist(overlay, docs) -> None:
    rendered_secrets = secret_keys(docs)
    if overlay in PROD_OVERLAYS:
        assert not rendered_secrets, "production references Secrets by name only; no values are committed"
        available_secrets = {name: set(keys) for name, keys in example_secrets(overlay).items()}
    else:
        available_secrets = rendered_secrets
    available = {"Secret": available_secrets, "ConfigMap": configmap_keys(docs)}
    missing = []
    for obj, spec in workloads(docs):
        for ref in references(obj, spec):
            if ref.optional:
                continue
            keys = available[ref.kind].get(ref.name)
            if keys is None:
                missing.append(f"{ref.where}: {ref.kind} {ref.name} does not exist")
            elif ref.key is not None and ref.key not in keys:
                missing.append(f"{ref.where}: {ref.kind} {ref.name} has no key {ref.key}")
    assert not missing, "\n".join(missing)


def test_gateway_and_services_share_the_caller_secret(docs) -> None:
    for part, deployment in part_deployments(docs).items():
        env = effective_env(docs, main_container(deployment))
        path = env.get("LIVETRUST_CALLER_SECRET_FILE")
        assert path, f"{part} reads the caller secret from a file"
        mounts = main_container(deployment).get("volumeMounts") or []
        assert any(path.startswith(m["mountPath"].rstrip("/") + "/") for m in mounts), f"{part}: {path} is mounted"
        assert "LIVETRUST_CALLER_SECRET" not in env, "the secret itself never sits in the pod spec"


# --- development -------------------------------------------------------------------------------------


def test_dev_secrets_are_obviously_for_development() -> None:
    docs = render("dev")
    for secret in of_kind(docs, "Secret"):
        for key, value in (secret.get("data") or {}).items():
            text = base64.b64decode(value).decode()
            assert "dev" in text, f"{secret['metadata']['name']}/{key} does not look like a development value"
    keys = next(s for s in of_kind(docs, "Secret") if s["metadata"]["name"].startswith("livetrust-identity-keys"))
    for entry in base64.b64decode(keys["data"]["encryption-keys"]).decode().replace("\n", ",").split(","):
        key_id, _, hex_key = entry.strip().partition("=")
        assert key_id and len(bytes.fromhex(hex_key)) in (16, 24, 32), "id=hex with a 16/24/32-byte AES key"


def test_dev_postgres_holds_every_database() -> None:
    docs = render("dev")
    init = next(c for c in of_kind(docs, "ConfigMap") if c["metadata"]["name"].startswith("postgres-init"))
    sql = init["data"]["init.sql"]
    postgres = named(docs, "StatefulSet", "postgres")
    labels = template_labels(postgres)
    for part in MIGRATED:
        assert f"CREATE DATABASE livetrust_{part};" in sql
        assert labels.get(f"livetrust.io/postgres-for-{part}") == "true"
    for deployment in part_deployments(docs).values():
        assert deployment["spec"]["replicas"] == 1


# --- production --------------------------------------------------------------------------------------


@pytest.mark.parametrize("prod", PROD_OVERLAYS)
def test_prod_replicas_autoscaling_and_disruption_budgets(prod: str) -> None:
    docs = render(prod)
    hpas = of_kind(docs, "HorizontalPodAutoscaler")
    pdbs = of_kind(docs, "PodDisruptionBudget")
    deployments = part_deployments(docs)
    for part, deployment in deployments.items():
        assert deployment["spec"]["replicas"] >= 2, part
        targeting = [h for h in hpas if h["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]]
        assert len(targeting) == 1, f"{part}: one HPA"
        hpa = targeting[0]
        assert hpa["apiVersion"] == "autoscaling/v2"
        assert hpa["spec"]["scaleTargetRef"]["kind"] == "Deployment"
        assert hpa["spec"]["scaleTargetRef"]["apiVersion"] == "apps/v1"
        assert hpa["spec"]["minReplicas"] >= 2 and hpa["spec"]["maxReplicas"] >= hpa["spec"]["minReplicas"]
        assert any(m["type"] == "Resource" and m["resource"]["name"] == "cpu" for m in hpa["spec"]["metrics"])

        labels = template_labels(deployment)
        covering = [p for p in pdbs if selector_matches(p["spec"]["selector"], labels)]
        assert len(covering) == 1, f"{part}: one PodDisruptionBudget"
        assert covering[0]["apiVersion"] == "policy/v1"
        others = [template_labels(d) for other, d in deployments.items() if other != part]
        assert not any(selector_matches(covering[0]["spec"]["selector"], o) for o in others)

        spread = deployment["spec"]["template"]["spec"].get("topologySpreadConstraints") or []
        keys = {c["topologyKey"] for c in spread}
        assert {"topology.kubernetes.io/zone", "kubernetes.io/hostname"} <= keys, part
        assert all(selector_matches(c["labelSelector"], labels) for c in spread)


@pytest.mark.parametrize("prod", PROD_OVERLAYS)
def test_prod_secret_list_is_documented_and_unapplied(prod: str) -> None:
    def strings(node: Any) -> Iterator[str]:
        if isinstance(node, str):
            yield node
        elif isinstance(node, dict):
            for value in node.values():
                yield from strings(value)
        elif isinstance(node, list):
            for value in node:
                yield from strings(value)

    for kustomization in K8S.rglob("kustomization.yaml"):
        used = [s for s in strings(yaml.safe_load(kustomization.read_text())) if "secrets.example" in s]
        assert not used, f"{kustomization} must not apply the example Secrets"
    examples = example_secrets(prod)
    assert examples
    for name, values in examples.items():
        assert values, name
        for key, value in values.items():
            assert "CHANGE_ME" in value, f"{name}/{key} must hold a placeholder"
    referenced = {
        ref.name for obj, spec in workloads(render(prod)) for ref in references(obj, spec) if ref.kind == "Secret"
    }
    files = ", ".join(str(path.relative_to(K8S)) for path in example_files(prod))
    assert referenced == set(examples), f"{files} list exactly the Secrets overlays/{prod} references"


@pytest.mark.parametrize("full", FULL_OVERLAYS)
def test_otel_only_with_the_collector(full: str) -> None:
    for part, deployment in part_deployments(render("prod")).items():
        env = effective_env(render("prod"), main_container(deployment))
        assert not any(k.startswith("OTEL_") for k in env), f"{part}: no exporter without a collector"
    docs = render(full)
    collector = named(docs, "Deployment", "otel-collector")
    for part, deployment in part_deployments(docs).items():
        env = effective_env(docs, main_container(deployment))
        assert env.get("OTEL_TRACES_EXPORTER") == "otlp" and env.get("OTEL_METRICS_EXPORTER") == "otlp"
        assert "grpc.health.v1.Health" in (env.get("OTEL_PYTHON_GRPC_EXCLUDED_SERVICES") or "")
        match = re.fullmatch(r"http://([a-z0-9-]+):(\d+)", env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or "")
        assert match, f"{part}: OTEL_EXPORTER_OTLP_ENDPOINT"
        service = named(docs, "Service", match.group(1))
        assert int(match.group(2)) in {p["port"] for p in service["spec"]["ports"]}
        assert selector_matches({"matchLabels": service["spec"]["selector"]}, template_labels(collector))


# --- network policies (prod-full, prod-mtls) ---------------------------------------------------------


@dataclass(frozen=True)
class Pod:
    namespace: str
    labels: dict[str, str] = field(default_factory=dict)
    namespace_labels: dict[str, str] = field(default_factory=dict)


def _policy_types(policy: dict[str, Any]) -> list[str]:
    spec = policy["spec"]
    return spec.get("policyTypes") or (["Ingress", "Egress"] if "egress" in spec else ["Ingress"])


def _peer_matches(peer: dict[str, Any], policy_namespace: str, pod: Pod) -> bool:
    if "ipBlock" in peer:
        return False  # the suite's policies name pods, not addresses
    if "namespaceSelector" in peer:
        namespace_ok = selector_matches(peer["namespaceSelector"], pod.namespace_labels)
    else:
        namespace_ok = pod.namespace == policy_namespace
    return namespace_ok and selector_matches(peer.get("podSelector"), pod.labels)


def _port_matches(ports: list[dict[str, Any]] | None, port: int, protocol: str) -> bool:
    return not ports or any(p.get("protocol", "TCP") == protocol and p.get("port") in (None, port) for p in ports)


def _admits(policies, direction: str, subject: Pod, other: Pod, port: int, protocol: str) -> bool:
    """Whether ``subject``'s policies let traffic in from (Ingress) or out to (Egress) ``other``."""
    selecting = [
        p
        for p in policies
        if p["metadata"]["namespace"] == subject.namespace
        and selector_matches(p["spec"]["podSelector"], subject.labels)
        and direction in _policy_types(p)
    ]
    if not selecting:
        return True  # not isolated in that direction
    rules_key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    for policy in selecting:
        for rule in policy["spec"].get(rules_key) or []:
            peers = rule.get(peers_key)
            peer_ok = not peers or any(_peer_matches(p, policy["metadata"]["namespace"], other) for p in peers)
            if peer_ok and _port_matches(rule.get("ports"), port, protocol):
                return True
    return False


def can_connect(policies, source: Pod, destination: Pod, port: int, protocol: str = "TCP") -> bool:
    return _admits(policies, "Egress", source, destination, port, protocol) and _admits(
        policies, "Ingress", destination, source, port, protocol
    )


def _pods(docs) -> dict[str, Pod]:
    """The suite's pods by a short name, plus the outside world the policies must account for."""
    pods: dict[str, Pod] = {}
    for obj, _ in workloads(docs):
        namespace = obj["metadata"]["namespace"]
        name = obj["metadata"]["name"]
        if migrates := label(obj, "livetrust.io/migrates"):
            name = f"{migrates}-migrate"
        pods[name] = Pod(namespace, template_labels(obj), {"kubernetes.io/metadata.name": namespace})
    pods["kube-dns"] = Pod("kube-system", {"k8s-app": "kube-dns"}, {"kubernetes.io/metadata.name": "kube-system"})
    pods["platform"] = Pod("platform", {"app": "platform-backend"}, {"kubernetes.io/metadata.name": "platform"})
    for part in MIGRATED:
        pods[f"postgres-{part}"] = Pod(
            "databases", {f"livetrust.io/postgres-for-{part}": "true"}, {"kubernetes.io/metadata.name": "databases"}
        )
    return pods


def _reachability_cases() -> list[tuple[str, str, int, bool]]:
    cases: list[tuple[str, str, int, bool]] = [("platform", "gateway", 50051, True)]
    for service in SERVICES:
        port = PARTS[service][0]
        cases.append(("gateway", service, port, True))
        cases.append(("platform", service, port, False))
        cases.append((service, "gateway", 50051, False))
    cases += [
        ("credit", "blacklist", 50053, True),
        ("credit", "retention", 50055, True),
        ("credit", "identity", 50054, False),
        ("identity", "blacklist", 50053, False),
        ("blacklist", "identity", 50054, False),
        ("retention", "credit", 50052, False),
        ("blacklist", "retention", 50055, False),
        ("identity", "credit", 50052, False),
        ("gateway", "platform", 443, False),
        ("identity", "platform", 443, False),
        ("platform", "otel-collector", 4317, False),
    ]
    for part in MIGRATED:
        cases.append((part, f"postgres-{part}", 5432, True))
        cases.append((f"{part}-migrate", f"postgres-{part}", 5432, True))
        cases.append((part, "otel-collector", 4317, True))
        for other in MIGRATED:
            if other != part:
                cases.append((part, f"postgres-{other}", 5432, False))
    cases += [
        ("retention-purge", "postgres-retention", 5432, True),
        ("identity-rotate-key", "postgres-identity", 5432, True),
        ("retention-purge", "identity", 50054, False),
    ]
    return cases


@pytest.mark.parametrize("full", FULL_OVERLAYS)
def test_prod_full_denies_by_default(full: str) -> None:
    policies = of_kind(render(full), "NetworkPolicy")
    deny = [
        p
        for p in policies
        if p["spec"]["podSelector"] == {}
        and set(_policy_types(p)) == {"Ingress", "Egress"}
        and not p["spec"].get("ingress")
        and not p["spec"].get("egress")
    ]
    assert deny, "a default-deny policy (ingress and egress) for the whole namespace"
    assert not of_kind(render("prod"), "NetworkPolicy"), "prod alone leaves network policies to prod-full"


@pytest.mark.parametrize("full", FULL_OVERLAYS)
@pytest.mark.parametrize(("source", "destination", "port", "expected"), _reachability_cases())
def test_prod_full_network_reachability(full: str, source: str, destination: str, port: int, expected: bool) -> None:
    docs = render(full)
    pods = _pods(docs)
    policies = of_kind(docs, "NetworkPolicy")
    assert can_connect(policies, pods[source], pods[destination], port) is expected


@pytest.mark.parametrize("full", FULL_OVERLAYS)
def test_prod_full_every_pod_resolves_names(full: str) -> None:
    docs = render(full)
    pods = _pods(docs)
    policies = of_kind(docs, "NetworkPolicy")
    namespace = of_kind(docs, "Namespace")[0]["metadata"]["name"]
    for name, pod in pods.items():
        if pod.namespace == namespace:
            assert can_connect(policies, pod, pods["kube-dns"], 53, "UDP"), f"{name}: DNS over UDP"
            assert can_connect(policies, pod, pods["kube-dns"], 53, "TCP"), f"{name}: DNS over TCP"


# --- mutual TLS (prod-mtls) --------------------------------------------------------------------------


def tls_files(spec: dict[str, Any], container: dict[str, Any], where: str) -> dict[str, str]:
    """Secret key of livetrust-tls -> the path the container sees it at; every mount read-only."""
    files: dict[str, str] = {}
    mounts = {m["name"]: m for m in container.get("volumeMounts") or []}
    for volume in spec.get("volumes") or []:
        sources = []
        if "secret" in volume:
            sources.append({"name": volume["secret"]["secretName"], **volume["secret"]})
        sources += [s["secret"] for s in (volume.get("projected") or {}).get("sources") or [] if "secret" in s]
        items = {
            item["key"]: item["path"]
            for source in sources
            if source["name"] == TLS_SECRET
            for item in source.get("items") or [{"key": key, "path": key} for key in sorted(TLS_KEYS)]
        }
        if not items or volume["name"] not in mounts:
            continue
        mount = mounts[volume["name"]]
        assert mount.get("readOnly") is True, f"{where}: {TLS_SECRET} is mounted read-only"
        assert not mount.get("subPath"), f"{where}: a whole-volume mount (renewed files appear in place)"
        for key, path in items.items():
            files[key] = f"{mount['mountPath'].rstrip('/')}/{path}"
    return files


@pytest.mark.parametrize("mtls", MTLS_OVERLAYS)
def test_mtls_certificate_files_reach_every_part(mtls: str) -> None:
    docs = render(mtls)
    for part, deployment in part_deployments(docs).items():
        spec = deployment["spec"]["template"]["spec"]
        container = main_container(deployment)
        files = tls_files(spec, container, part)
        assert set(files) == TLS_KEYS, f"{part}: {TLS_SECRET} keys mounted: {sorted(files)}"
        env = effective_env(docs, container)
        for variable, key in TLS_ENV.items():
            assert env.get(variable) == files[key], f"{part}: {variable} names the mounted {key}"
            assert variable.removesuffix("_FILE") not in env, f"{part}: PEM material never sits in the pod spec"
    # Least privilege: the Jobs and CronJobs dial no other part, so they get no certificate.
    for obj, spec in workloads(docs):
        if obj["kind"] != "Deployment":
            assert not any(r.name == TLS_SECRET for r in references(obj, spec)), f"{obj['metadata']['name']}"


@pytest.mark.parametrize("mtls", MTLS_OVERLAYS)
def test_mtls_services_probe_through_livetrust_probe(mtls: str) -> None:
    """Native gRPC probes cannot speak TLS: the services' probes run `livetrust probe` in the container
    (same LIVETRUST_TLS_* environment) against the pod itself."""
    deployments = part_deployments(render(mtls))
    for part in SERVICES:
        port, service_name = PARTS[part]
        container = main_container(deployments[part])
        probes = {
            name: livetrust_probe(container[name], f"{part} {name}")
            for name in ("readinessProbe", "livenessProbe", "startupProbe")
        }
        for name, probe in probes.items():
            assert probe.host == PROBE_HOST and probe.port == port, f"{part} {name}: {probe}"
        assert probes["readinessProbe"].service == service_name, f"{part}: readiness asks for {service_name}"
        assert probes["livenessProbe"].service == "", f"{part}: liveness asks for the overall status"
        assert probes["startupProbe"].service == "", f"{part}: start-up asks for the overall status"
        startup_probe = container["startupProbe"]
        budget = startup_probe.get("periodSeconds", 10) * startup_probe.get("failureThreshold", 3)
        assert budget >= 300, f"{part}: start-up must outlast a migration (budget {budget}s)"
        liveness = container["livenessProbe"]
        budget = liveness.get("periodSeconds", 10) * liveness.get("failureThreshold", 3)
        assert budget >= 60, f"{part}: liveness rides out a database blip (budget {budget}s)"


@pytest.mark.parametrize("mtls", MTLS_OVERLAYS)
def test_mtls_gateway_keeps_native_grpc_probes_and_h2c(mtls: str) -> None:
    """The gateway's listener stays plaintext (TLS ends at the ingress): native probes still work."""
    docs = render(mtls)
    container = main_container(part_deployments(docs)["gateway"])
    for name in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert set(container[name]) & {"exec", "grpc", "httpGet", "tcpSocket"} == {"grpc"}, name
        assert container[name]["grpc"]["port"] == PARTS["gateway"][0]
    assert named(docs, "Service", "gateway")["spec"]["ports"][0].get("appProtocol") == "kubernetes.io/h2c"
    for part in SERVICES:
        for port in named(docs, "Service", part)["spec"]["ports"]:
            assert port.get("appProtocol") != "kubernetes.io/h2c", f"Service/{part} speaks TLS, not h2c"


@pytest.mark.parametrize("mtls", MTLS_OVERLAYS)
def test_mtls_secret_and_its_names_are_documented(mtls: str) -> None:
    own = K8S / "overlays" / mtls / "secrets.example.yaml"
    assert own.exists(), f"overlays/{mtls} documents {TLS_SECRET}"
    assert TLS_SECRET not in example_secrets("prod"), "prod does not need the TLS Secret"
    (secret,) = [d for d in yaml.safe_load_all(own.read_text()) if d and d["metadata"]["name"] == TLS_SECRET]
    assert set(example_secrets(mtls)[TLS_SECRET]) == TLS_KEYS
    namespace = of_kind(render(mtls), "Namespace")[0]["metadata"]["name"]
    assert secret["metadata"]["namespace"] == namespace
    # The certificate's SANs: every host the gateway and credit dial, and the probes' own address.
    sans = {
        name.strip()
        for name in (secret["metadata"].get("annotations") or {}).get("livetrust.io/subject-alt-names", "").split(",")
    }
    docs = render(mtls)
    deployments = part_deployments(docs)
    needed = {f"IP:{PROBE_HOST}"}
    for caller, targets in DIALS.items():
        env = effective_env(docs, main_container(deployments[caller]))
        for target in targets:
            match = re.fullmatch(r"dns:///([a-z0-9.-]+):\d+", env.get(f"LIVETRUST_{target.upper()}_ADDR") or "")
            assert match, f"{caller} -> {target}"
            needed.add(f"DNS:{match.group(1)}")
    assert needed <= sans, f"{TLS_SECRET}: SANs to document: {sorted(needed - sans)}"


def test_tls_only_with_the_mtls_component(overlay, docs) -> None:
    if overlay in MTLS_OVERLAYS:
        return
    for part, deployment in part_deployments(docs).items():
        container = main_container(deployment)
        env = effective_env(docs, container)
        assert not any(k.startswith("LIVETRUST_TLS_") for k in env), f"{part}: plaintext without components/mtls"
        assert not any("exec" in container[name] for name in ("readinessProbe", "livenessProbe", "startupProbe")), (
            f"{part}: native gRPC probes without TLS"
        )


# --- image -------------------------------------------------------------------------------------------


def test_dockerfile_builds_a_pinned_non_root_image() -> None:
    text = (ROOT / "Dockerfile").read_text()
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", text, re.MULTILINE)
    assert base, "the base image is one build argument"
    assert re.fullmatch(r"python:3\.11\.\d+-slim-[a-z]+(@sha256:[0-9a-f]{64})?", base.group(1)), base.group(1)
    stages = [line for line in lines if line.upper().startswith("FROM ")]
    assert len(stages) == 2 and stages[0].endswith(" AS builder"), "multi-stage: builder, then runtime"
    assert "pip wheel . -w /wheels" in text
    final = text[text.rindex("\nFROM ") :]
    assert "COPY --from=builder /opt/venv /opt/venv" in final
    users = re.findall(r"^USER (\S+)$", final, re.MULTILINE)
    assert users and re.fullmatch(r"[1-9]\d*(:\d+)?", users[-1]), "a numeric, non-root user"
    assert int(users[-1].split(":")[0]) == APP_UID, "the uid the pods' runAsUser names"
    assert 'ENTRYPOINT ["livetrust"]' in lines
    assert 'CMD ["serve", "gateway"]' in lines
    assert re.search(r"PYTHONDONTWRITEBYTECODE=1", final) and re.search(r"PYTHONUNBUFFERED=1", final)
    assert not re.search(r"(?i)^(ENV|ARG)\b.*(SECRET|PASSWORD|_KEY\b|_KEYS\b|DATABASE_URL)", text, re.MULTILINE)
    assert ":latest" not in text


def test_dockerfile_copies_every_package_directory() -> None:
    """The wheel is built from what the builder copies: every top-level source directory of the project."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    needed = {path.split("/")[0] for path in project["tool"]["setuptools"]["package-dir"].values()}
    needed |= {"pyproject.toml", project["project"]["readme"]}
    copied: set[str] = set()
    for sources in re.findall(r"^COPY (?!--from)(.+) \S+$", (ROOT / "Dockerfile").read_text(), re.MULTILINE):
        copied.update(sources.split())
    assert needed <= copied, f"the builder does not copy {sorted(needed - copied)}"


def test_dockerignore_keeps_the_context_small() -> None:
    entries = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    for required in (".venv", ".git", ".livetrust", ".tools", ".pytest_cache", ".ruff_cache", ".hypothesis"):
        assert required in entries, required
    assert "node_modules" in entries or "**/node_modules" in entries
    for needed in ("pyproject.toml", "README.md", "livetrust", "services", "gateway"):
        assert needed not in entries, f"{needed} is part of the build"
