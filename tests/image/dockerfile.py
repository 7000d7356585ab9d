"""Reading the Dockerfile, and running its build stage without a container engine.

Only what the build stage uses is understood: ARG, ENV, WORKDIR, COPY (from the build
context) and RUN with a shell command. Anything else there is an error, so a Dockerfile that
outgrows this reader fails loudly instead of being checked halfway.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

_VARIABLE = re.compile(r"\$\{(\w+)\}|\$(\w+)")


@dataclass(frozen=True)
class Instruction:
    keyword: str
    argument: str


def instructions(text: str) -> list[Instruction]:
    """The Dockerfile's instructions, continuation lines joined and comments dropped."""
    found: list[Instruction] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        whole = pending + line
        pending = ""
        keyword, _, argument = whole.partition(" ")
        found.append(Instruction(keyword.upper(), argument.strip()))
    return found


def stages(steps: list[Instruction]) -> dict[str, list[Instruction]]:
    """Instructions per stage (named by `AS name`, else by position), global ARGs under ''."""
    named: dict[str, list[Instruction]] = {"": []}
    current = ""
    for step in steps:
        if step.keyword == "FROM":
            words = step.argument.split()
            current = words[2] if len(words) >= 3 and words[1].upper() == "AS" else str(len(named))
            named[current] = [step]
        else:
            named[current].append(step)
    return named


def expand(text: str, env: dict[str, str]) -> str:
    return _VARIABLE.sub(lambda m: env.get(m.group(1) or m.group(2), ""), text)


def run_stage(
    steps: list[Instruction], context: Path, root: Path, env: dict[str, str], args: dict[str, str]
) -> dict[str, str]:
    """Run one stage's steps with `root` standing in for the image's filesystem root.

    `args` overrides ARG defaults (the paths the image uses). Returns the final environment.
    """
    env = dict(env)
    workdir = root
    for step in steps:
        if step.keyword == "FROM":
            continue
        if step.keyword == "ARG":
            name, _, default = step.argument.partition("=")
            env[name] = args.get(name, expand(default, env))
        elif step.keyword == "ENV":
            for pair in shlex.split(step.argument):
                name, _, value = pair.partition("=")
                env[name] = expand(value, env)
        elif step.keyword == "WORKDIR":
            workdir = root / expand(step.argument, env).lstrip("/")
            workdir.mkdir(parents=True, exist_ok=True)
        elif step.keyword == "COPY":
            *sources, target = shlex.split(step.argument)
            destination = workdir / target
            for source in sources:
                origin = context / source
                # Docker's rules: a folder's contents go into the target; files go into it
                # when it ends in '/' (or several are copied), else become it.
                if origin.is_dir():
                    shutil.copytree(origin, destination, dirs_exist_ok=True)
                elif target.endswith("/") or len(sources) > 1:
                    destination.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(origin, destination / origin.name)
                else:
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(origin, destination)
        elif step.keyword == "RUN":
            done = subprocess.run(
                ["sh", "-c", step.argument],
                cwd=workdir,
                env=env,
                capture_output=True,
                text=True,
                check=False,
                timeout=900,
            )
            assert done.returncode == 0, f"RUN {step.argument} failed:\n{done.stderr[-3000:]}"
        else:
            raise AssertionError(f"the build stage uses {step.keyword}, which this reader skips")
    return env


def scratch_python(folder: Path) -> dict[str, str]:
    """A venv standing in for the base image's Python, first on PATH (as in the image)."""
    subprocess.run(["python3", "-m", "venv", str(folder)], check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "UV_"))}
    env["PATH"] = f"{folder / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env
