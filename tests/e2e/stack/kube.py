"""etcd, kube-apiserver and kube-controller-manager on loopback, with an admin token and a
kubeconfig for it.

The apiserver flags follow what controller-runtime's envtest uses. The controller-manager runs
only the controllers our behaviour depends on: the garbage collector (a SetupKey's Secret the
operator did not delete goes with it through its owner reference) and the namespace controller
(deleting a namespace deletes its custom resources, which our finalizer must let go). No
scheduler: pods never run.
"""

from __future__ import annotations

import secrets
import ssl
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import yaml

from tests.e2e.stack.ports import free_tcp_port
from tests.e2e.stack.processes import ServerProcess, start_server

ETCD_READY_TIMEOUT = 60.0
APISERVER_READY_TIMEOUT = 180.0
CONTROLLER_MANAGER_READY_TIMEOUT = 120.0
CONTROLLERS = "garbagecollector,namespace"
SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local"


@dataclass(frozen=True)
class KubeEndpoint:
    """How to reach the apiserver as cluster admin (system:masters)."""

    url: str
    kubeconfig: Path
    ca_file: Path
    token: str = field(repr=False)
    # What ServiceAccounts asked the apiserver, one JSON audit event per line (see
    # write_audit_policy): tests compare it with the RBAC the chart grants.
    audit_log: Path | None = None


def etcd_command(binary: Path, data_dir: Path, client_port: int, peer_port: int) -> list[str]:
    client = f"http://127.0.0.1:{client_port}"
    peer = f"http://127.0.0.1:{peer_port}"
    return [
        str(binary),
        "--name=default",
        f"--data-dir={data_dir}",
        f"--listen-client-urls={client}",
        f"--advertise-client-urls={client}",
        f"--listen-peer-urls={peer}",
        f"--initial-advertise-peer-urls={peer}",
        f"--initial-cluster=default={peer}",
        # Test data is thrown away: skipping fsync makes every apiserver write much faster.
        "--unsafe-no-fsync",
    ]


def start_etcd(binary: Path, workdir: Path, *, die_with_parent: bool) -> tuple[ServerProcess, str]:
    """Start etcd; returns the process and its client URL (not yet ready)."""
    client_port, peer_port = free_tcp_port(), free_tcp_port()
    cmd = etcd_command(binary, workdir / "etcd-data", client_port, peer_port)
    server = start_server(
        "etcd", cmd, workdir / "logs" / "etcd.log", die_with_parent=die_with_parent
    )
    return server, f"http://127.0.0.1:{client_port}"


def etcd_is_healthy(client_url: str) -> bool:
    response = httpx.get(f"{client_url}/health", timeout=2)
    return response.status_code == 200 and response.json().get("health") == "true"


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def write_auth_files(workdir: Path, token: str) -> tuple[Path, Path, Path]:
    """The static token file and a service-account signing key pair; returns their paths."""
    auth = workdir / "auth"
    auth.mkdir(parents=True, exist_ok=True)
    tokens = auth / "tokens.csv"
    # token,user,uid,"groups": the admin is in system:masters, which RBAC always allows.
    tokens.write_text(f'{token},nbaccess-e2e-admin,nbaccess-e2e-admin,"system:masters"\n')
    tokens.chmod(0o600)
    private_key, public_key = auth / "sa.key", auth / "sa.pub"
    _openssl("genrsa", "-out", str(private_key), "2048")
    _openssl("rsa", "-in", str(private_key), "-pubout", "-out", str(public_key))
    return tokens, private_key, public_key


# Metadata (who, verb, resource, namespace, answer) of every finished request made by a
# ServiceAccount; nothing from the admin or the apiserver itself, and no bodies.
AUDIT_POLICY = {
    "apiVersion": "audit.k8s.io/v1",
    "kind": "Policy",
    "omitStages": ["RequestReceived", "ResponseStarted"],
    "rules": [
        {"level": "Metadata", "userGroups": ["system:serviceaccounts"]},
        {"level": "None"},
    ],
}


def write_audit_policy(workdir: Path) -> Path:
    path = workdir / "auth" / "audit-policy.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(AUDIT_POLICY))
    return path


def apiserver_command(
    binary: Path,
    etcd_url: str,
    port: int,
    cert_dir: Path,
    tokens: Path,
    sa_private_key: Path,
    sa_public_key: Path,
    audit_policy: Path | None = None,
    audit_log: Path | None = None,
) -> list[str]:
    audit = (
        [
            f"--audit-policy-file={audit_policy}",
            f"--audit-log-path={audit_log}",
            "--audit-log-format=json",
            # Written as requests finish, so a test reads what just happened.
            "--audit-log-mode=blocking",
        ]
        if audit_policy is not None and audit_log is not None
        else []
    )
    return [
        str(binary),
        f"--etcd-servers={etcd_url}",
        f"--secure-port={port}",
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        f"--cert-dir={cert_dir}",
        "--service-cluster-ip-range=10.0.0.0/24",
        "--authorization-mode=RBAC",
        f"--token-auth-file={tokens}",
        f"--service-account-issuer={SERVICE_ACCOUNT_ISSUER}",
        f"--service-account-key-file={sa_public_key}",
        f"--service-account-signing-key-file={sa_private_key}",
        # Without a controller-manager no token controller exists, so the ServiceAccount
        # admission plugin would reject every pod; envtest disables it for the same reason.
        "--disable-admission-plugins=ServiceAccount",
        "--allow-privileged=true",
        # The apiserver refuses to publish a loopback address as the `kubernetes` Service
        # endpoint; nothing here needs that Service, so skip the reconciler.
        "--endpoint-reconciler-type=none",
        *audit,
    ]


def start_apiserver(
    binary: Path, workdir: Path, etcd_url: str, *, die_with_parent: bool
) -> tuple[ServerProcess, KubeEndpoint]:
    """Start kube-apiserver against etcd_url; the endpoint is usable once it is ready."""
    token = secrets.token_urlsafe(32)
    tokens, private_key, public_key = write_auth_files(workdir, token)
    port = free_tcp_port()
    cert_dir = workdir / "apiserver-certs"
    audit_log = workdir / "logs" / "audit.log"
    cmd = apiserver_command(
        binary,
        etcd_url,
        port,
        cert_dir,
        tokens,
        private_key,
        public_key,
        audit_policy=write_audit_policy(workdir),
        audit_log=audit_log,
    )
    server = start_server(
        "kube-apiserver",
        cmd,
        workdir / "logs" / "kube-apiserver.log",
        die_with_parent=die_with_parent,
    )
    endpoint = KubeEndpoint(
        url=f"https://127.0.0.1:{port}",
        kubeconfig=workdir / "kubeconfig",
        # With --cert-dir and no serving cert given, the apiserver makes a self-signed CA and
        # a serving certificate for 127.0.0.1/localhost, and writes both into this file.
        ca_file=cert_dir / "apiserver.crt",
        token=token,
        audit_log=audit_log,
    )
    return server, endpoint


def controller_manager_command(binary: Path, kubeconfig: Path, port: int) -> list[str]:
    return [
        str(binary),
        f"--kubeconfig={kubeconfig}",
        f"--authentication-kubeconfig={kubeconfig}",
        f"--authorization-kubeconfig={kubeconfig}",
        f"--controllers={CONTROLLERS}",
        "--leader-elect=false",
        "--bind-address=127.0.0.1",
        f"--secure-port={port}",
        # Garbage collection and namespace deletion run every few seconds, not minutes.
        "--namespace-sync-period=10s",
        "--concurrent-gc-syncs=5",
    ]


def start_controller_manager(
    binary: Path, workdir: Path, kubeconfig: Path, *, die_with_parent: bool
) -> tuple[ServerProcess, str]:
    """Start kube-controller-manager; returns it and its /healthz URL (not yet ready)."""
    port = free_tcp_port()
    server = start_server(
        "kube-controller-manager",
        controller_manager_command(binary, kubeconfig, port),
        workdir / "logs" / "kube-controller-manager.log",
        die_with_parent=die_with_parent,
    )
    return server, f"https://127.0.0.1:{port}/healthz"


def controller_manager_is_ready(healthz: str) -> bool:
    # It serves a self-signed certificate; this is a liveness probe on loopback, not a trust
    # decision.
    return httpx.get(healthz, verify=False, timeout=2).status_code == 200  # noqa: S501


def _get(endpoint: KubeEndpoint, path: str) -> httpx.Response:
    # The CA file appears only once the apiserver has written its certificates; until then
    # this raises, which a readiness probe counts as "not yet".
    trust = ssl.create_default_context(cafile=str(endpoint.ca_file))
    return httpx.get(
        f"{endpoint.url}{path}",
        headers={"Authorization": f"Bearer {endpoint.token}"},
        verify=trust,
        timeout=5,
    )


def apiserver_is_ready(endpoint: KubeEndpoint) -> bool:
    """/readyz passes only after the post-start hooks, including RBAC's bootstrap roles."""
    return _get(endpoint, "/readyz").status_code == 200


def apiserver_version(endpoint: KubeEndpoint) -> str:
    response = _get(endpoint, "/version")
    response.raise_for_status()
    return str(response.json()["gitVersion"])


def write_kubeconfig(endpoint: KubeEndpoint) -> Path:
    """A kubeconfig with one context, admin token auth and the apiserver's own CA."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "nbaccess-e2e",
                "cluster": {
                    "server": endpoint.url,
                    "certificate-authority": str(endpoint.ca_file),
                },
            }
        ],
        "users": [{"name": "nbaccess-e2e-admin", "user": {"token": endpoint.token}}],
        "contexts": [
            {
                "name": "nbaccess-e2e",
                "context": {"cluster": "nbaccess-e2e", "user": "nbaccess-e2e-admin"},
            }
        ],
        "current-context": "nbaccess-e2e",
    }
    endpoint.kubeconfig.write_text(yaml.safe_dump(config, sort_keys=False))
    endpoint.kubeconfig.chmod(0o600)
    return endpoint.kubeconfig
