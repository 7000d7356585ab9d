"""How `nbaccess lint` and `nbaccess matrix` time grows with the number of declared objects.

Writes a GitOps-shaped repository to a temporary folder: one file per team, each team with
its user group, web and db service groups, two routing-peer groups, a Network with a subnet
resource, four policies (users to web, web to db, DNS over udp and tcp), a setup key and a
posture check (twelve objects), plus one shared DNS group. Then times the real commands as
processes (`nbaccess lint DIR`, `nbaccess matrix DIR --format json`): reading and validating
every file, the access model, every lint rule or the rendered matrix, interpreter start-up
and imports included. Best of three runs per size (the machine may be shared).

    .venv/bin/python -m benchmarks.lint_scale [N ...]      (make bench-lint)

What to read: the time per object (start-up taken out) stays flat as N grows: no rule
compares every pair of objects.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

OBJECTS_PER_TEAM = 12


def _team(i: int) -> str:
    t = f"team{i:04d}"
    doc = "apiVersion: nbaccess.dev/v1alpha1\n"
    groups = [f"usr-{t}", f"svc-{t}-web-prod", f"svc-{t}-db-prod", f"rp-{t}-a", f"rp-{t}-b"]
    parts = [f"{doc}kind: NetBirdGroup\nmetadata: {{name: {g}}}\nspec: {{}}\n" for g in groups]
    parts.append(
        f"{doc}kind: NetBirdNetwork\nmetadata: {{name: {t}-prod}}\nspec:\n"
        f"  description: '{t} VPC'\n  resources:\n"
        f"    - {{name: {t}-db-subnet, address: 10.{i // 250}.{i % 250}.0/24, "
        f"groups: [{{ref: svc-{t}-db-prod}}]}}\n"
        f"  routers:\n    - {{name: a, peerGroups: [{{ref: rp-{t}-a}}], metric: 100}}\n"
        f"    - {{name: b, peerGroups: [{{ref: rp-{t}-b}}], metric: 200}}\n"
    )
    flows = [
        ("users-to-web", f"usr-{t}", f"svc-{t}-web-prod", "tcp", "[443]"),
        ("web-to-db", f"svc-{t}-web-prod", f"svc-{t}-db-prod", "tcp", "[5432]"),
        ("dns-udp", f"usr-{t}", "svc-dns-prod", "udp", "[53]"),
        ("dns-tcp", f"usr-{t}", "svc-dns-prod", "tcp", "[53]"),
    ]
    for name, source, target, protocol, ports in flows:
        extra = f", {{ref: svc-{t}-web-prod}}" if name.startswith("dns") else ""
        parts.append(
            f"{doc}kind: NetBirdPolicy\nmetadata: {{name: {t}-{name}}}\nspec:\n"
            f"  description: '{name} for {t}. Owner: {t}'\n  protocol: {protocol}\n"
            f"  ports: {ports}\n  sources: [{{ref: {source}}}{extra}]\n"
            f"  destinations: [{{ref: {target}}}]\n"
        )
    parts.append(
        f"{doc}kind: SetupKey\nmetadata: {{name: {t}-routing-peers}}\nspec:\n"
        f"  usageLimit: 2\n  autoGroups: [{{ref: rp-{t}-a}}, {{ref: rp-{t}-b}}]\n"
    )
    parts.append(
        f"{doc}kind: PostureCheck\nmetadata: {{name: {t}-min-version}}\nspec:\n"
        "  checks: {nbVersion: {minVersion: '0.59.0'}}\n"
    )
    return "---\n".join(parts)


def write_repo(folder: Path, objects: int) -> None:
    (folder / "dns.yaml").write_text(
        "apiVersion: nbaccess.dev/v1alpha1\nkind: NetBirdGroup\n"
        "metadata: {name: svc-dns-prod}\nspec: {}\n"
    )
    for i in range(max(1, objects // OBJECTS_PER_TEAM)):
        (folder / f"team{i:04d}.yaml").write_text(_team(i))


def _command(folder: Path, command: str) -> tuple[float, str]:
    """Best wall time of three runs of the real command, and what it printed."""
    best, out = float("inf"), ""
    for _ in range(3):
        started = time.perf_counter()
        done = subprocess.run(  # noqa: S603 (our own entry point, fixed arguments)
            [sys.executable, "-m", "nbaccess.cli", command, str(folder), "--format", "json"],
            check=False,
            capture_output=True,
            text=True,
        )
        best, out = min(best, time.perf_counter() - started), done.stdout
    return best, out


def main(argv: list[str]) -> int:
    sizes = [int(a) for a in argv] or [200, 500, 1000, 2000]
    with tempfile.TemporaryDirectory() as tmp:
        write_repo(Path(tmp), 1)
        start_up = _command(Path(tmp), "lint")[0] + _command(Path(tmp), "matrix")[0]
    print(f"start-up and imports of both commands, with one object: {start_up:.3f} s")
    print(
        f"{'objects':>8} {'lint s':>8} {'matrix s':>9} {'both s':>7} "
        f"{'ms/object':>10} {'findings':>9} {'cells':>6}"
    )
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            write_repo(folder, size)
            lint_s, findings = _command(folder, "lint")
            matrix_s, cells = _command(folder, "matrix")
        objects = 1 + OBJECTS_PER_TEAM * max(1, size // OBJECTS_PER_TEAM)
        both = lint_s + matrix_s
        per_object = 1000 * (both - start_up) / objects
        print(
            f"{objects:>8} {lint_s:>8.3f} {matrix_s:>9.3f} {both:>7.3f} {per_object:>10.3f} "
            f"{len(json.loads(findings)['findings']):>9} {len(json.loads(cells)['cells']):>6}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
