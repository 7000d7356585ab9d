"""The image's Dockerfile: linted, pinned, and its install steps run from the lock file.

There is no container engine here, so the build stage runs on this machine in a scratch
folder (see dockerfile.py); what it installs is then started as the image would start it.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import tomllib
from pathlib import Path

from tests.image.dockerfile import instructions, run_stage, scratch_python, stages

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
BIN = Path(sys.executable).parent


def steps() -> dict[str, list]:  # type: ignore[type-arg]
    return stages(instructions(DOCKERFILE.read_text()))


def normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_versions() -> dict[str, str]:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    return {normalised(p["name"]): p["version"] for p in lock["package"] if "version" in p}


def test_hadolint_finds_nothing() -> None:
    done = subprocess.run(
        [str(BIN / "hadolint"), str(DOCKERFILE)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_base_image_is_pinned_by_digest() -> None:
    global_args = {s.argument.partition("=")[0]: s.argument.partition("=")[2] for s in steps()[""]}
    for name, stage in steps().items():
        if not name:
            continue
        image = stage[0].argument.split()[0]
        if image.startswith("${"):
            image = global_args[image.strip("${}")]
        assert "@sha256:" in image, f"stage {name!r} starts from {image}, not pinned by digest"


def test_the_dockerfile_installs_the_uv_the_lock_was_made_with() -> None:
    build = steps()["build"]
    pinned = next(s.argument for s in build if s.argument.startswith("UV_VERSION="))
    assert pinned == f"UV_VERSION={locked_versions()['uv']}"


def test_the_lock_file_matches_pyproject() -> None:
    done = subprocess.run(
        [str(BIN / "uv"), "lock", "--check"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def test_the_build_stage_installs_a_working_operator_from_the_lock_file(tmp_path: Path) -> None:
    venv = tmp_path / "image" / "opt" / "nbaccess"
    env = scratch_python(tmp_path / "base-python")
    started = time.monotonic()
    env = run_stage(steps()["build"], ROOT, tmp_path / "image", env, {"VENV": str(venv)})
    print(f"build stage from uv.lock: {time.monotonic() - started:.1f}s")

    # Started the way the image's ENTRYPOINT starts it (the venv's bin first on PATH).
    done = subprocess.run(
        [str(venv / "bin" / "nbaccess"), "run", "--help"],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": f"{venv / 'bin'}:/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    assert "--namespace" in done.stdout

    report = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import importlib.metadata as m, importlib.util as u, json, nbaccess; "
            "print(json.dumps({'where': nbaccess.__file__, 'pip': u.find_spec('pip') is not None,"
            " 'versions': {d.metadata['Name'].lower(): d.version for d in m.distributions()}}))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    installed = json.loads(report.stdout)
    # Installed as a package, not pointing back at the source tree.
    assert Path(installed["where"]).is_relative_to(venv)
    assert installed["pip"] is False, "the image's venv must not carry an installer"
    locked = locked_versions()
    versions = {normalised(name): v for name, v in installed["versions"].items()}
    mismatched = {
        name: (version, locked.get(name))
        for name, version in versions.items()
        if name != "nbaccess" and locked.get(name) != version
    }
    assert mismatched == {}, "installed versions differ from uv.lock"
    for runtime in ("kopf", "kubernetes", "pydantic", "httpx"):
        assert runtime in versions
    for dev_only in ("pytest", "ruff", "mypy", "uv"):
        assert dev_only not in versions, f"{dev_only} is a dev tool, not for the image"
