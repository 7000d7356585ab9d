"""Where build.sh put the stack's binaries, read from the same pinned versions it uses."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

STACK_DIR = Path(__file__).resolve().parent
VERSIONS_FILE = STACK_DIR / "versions.env"
BUILD_SCRIPT = STACK_DIR / "build.sh"


class StackUnavailable(RuntimeError):
    """The binaries the stack needs have not been built on this machine."""


def cache_dir() -> Path:
    """The build cache, the same rule as build.sh: $NBACCESS_E2E_CACHE or ~/.cache/nbaccess-e2e."""
    override = os.environ.get("NBACCESS_E2E_CACHE")
    return Path(override) if override else Path.home() / ".cache" / "nbaccess-e2e"


def pinned_versions(path: Path = VERSIONS_FILE) -> dict[str, str]:
    """KEY=VALUE lines of versions.env (a shell file, kept to plain assignments on purpose)."""
    versions: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        versions[key.strip()] = value.strip().strip("\"'")
    return versions


COMPONENTS = ("kubernetes", "controller-manager", "etcd", "netbird", "helm", "promtool")
# Which pinned version names a component's folder (default: <NAME>_VERSION).
_VERSION_OF = {"controller-manager": "KUBERNETES_VERSION", "promtool": "PROMETHEUS_VERSION"}


@dataclass(frozen=True)
class Binaries:
    """Paths of the built binaries (each exists only when its component was built)."""

    folders: dict[str, Path]
    versions: dict[str, str]

    def require(self, *components: str) -> None:
        """Raise StackUnavailable unless every named component was built completely."""
        # A folder counts only with build.sh's completion marker: an interrupted build leaves
        # partial output behind that must not be mistaken for a usable binary.
        missing = [
            f"{name} ({self.folders[name]})"
            for name in components
            if not (self.folders[name] / ".complete").is_file()
        ]
        if missing:
            script = BUILD_SCRIPT.relative_to(STACK_DIR.parents[2])
            raise StackUnavailable(
                "the e2e stack is not built: missing " + ", ".join(missing) + ". "
                f"Build it with `bash {script}` or `make stack` "
                "(needs Go and gcc; takes a while once, cached afterwards)"
            )

    def _bin(self, component: str, name: str) -> Path:
        return self.folders[component] / "bin" / name

    @property
    def etcd(self) -> Path:
        return self._bin("etcd", "etcd")

    @property
    def kube_apiserver(self) -> Path:
        return self._bin("kubernetes", "kube-apiserver")

    @property
    def kube_controller_manager(self) -> Path:
        return self._bin("controller-manager", "kube-controller-manager")

    @property
    def kubectl(self) -> Path:
        return self._bin("kubernetes", "kubectl")

    @property
    def netbird_server(self) -> Path:
        return self._bin("netbird", "netbird-server")

    @property
    def netbird_client(self) -> Path:
        return self._bin("netbird", "netbird")

    @property
    def helm(self) -> Path:
        return self._bin("helm", "helm")

    @property
    def promtool(self) -> Path:
        return self._bin("promtool", "promtool")

    @property
    def kubernetes_version(self) -> str:
        return self.versions["KUBERNETES_VERSION"]

    @property
    def netbird_version(self) -> str:
        return self.versions["NETBIRD_VERSION"]


def find_binaries() -> Binaries:
    """Where build.sh puts (or put) each component for the pinned versions."""
    versions = pinned_versions()
    cache = cache_dir()
    folders = {
        name: cache / f"{name}-{versions[_VERSION_OF.get(name, name.upper() + '_VERSION')]}"
        for name in COMPONENTS
    }
    return Binaries(folders=folders, versions=versions)
