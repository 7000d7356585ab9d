"""`python -m tests.e2e.stack up|env|down`: the test stack for a person at a shell.

    eval "$(python -m tests.e2e.stack up)"    # start (or find) the stack, export its settings
    python -m tests.e2e.stack env             # print the exports again
    python -m tests.e2e.stack down            # stop every server by pid, remove the state

The stack lives in $NBACCESS_STACK_DIR (default ~/.cache/nbaccess-e2e/run) and outlives the
command. With NBACCESS_STACK_REUSE=1, pytest uses it instead of starting its own.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import sys
from collections.abc import Sequence

from tests.e2e.stack.binaries import StackUnavailable
from tests.e2e.stack.processes import StackStartError
from tests.e2e.stack.stack import STATE_FILE, Stack, state_dir


def exports(stack: Stack) -> str:
    values: dict[str, str] = {}
    if stack.kube is not None:
        values["KUBECONFIG"] = str(stack.kube.kubeconfig)
    if stack.netbird is not None:
        values["NETBIRD_API_URL"] = stack.netbird.url
        values["NETBIRD_API_TOKEN"] = stack.netbird.token
    return "\n".join(f"export {name}={shlex.quote(value)}" for name, value in values.items())


def _running_stack() -> Stack | None:
    folder = state_dir()
    if not (folder / STATE_FILE).is_file():
        return None
    return Stack.from_state(folder)


def up() -> int:
    existing = _running_stack()
    if existing is not None:
        dead = existing.dead_servers()
        if not dead:
            print(f"stack already up in {existing.workdir}", file=sys.stderr)
            print(exports(existing))
            return 0
        print(f"replacing a stack whose {', '.join(dead)} stopped", file=sys.stderr)
        existing.stop()
    folder = state_dir()
    # Logs of an earlier failed start are not worth mixing into the new ones.
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    stack = Stack(workdir=folder, die_with_parent=False)
    try:
        stack.start()
    except (StackUnavailable, StackStartError) as exc:
        print(f"stack did not start: {exc}", file=sys.stderr)
        return 1
    stack.save_state()
    print(stack.describe(), file=sys.stderr)
    print(exports(stack))
    return 0


def env() -> int:
    stack = _running_stack()
    if stack is None:
        print("no stack is up (run: python -m tests.e2e.stack up)", file=sys.stderr)
        return 1
    dead = stack.dead_servers()
    if dead:
        print(f"warning: {', '.join(dead)} no longer running", file=sys.stderr)
    print(exports(stack))
    return 1 if dead else 0


def down() -> int:
    stack = _running_stack()
    if stack is None:
        print("no stack is up", file=sys.stderr)
        return 0
    stack.stop()
    shutil.rmtree(stack.workdir, ignore_errors=True)
    print(f"stopped the stack in {stack.workdir}", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.e2e.stack",
        description="Run the e2e test stack (etcd, kube-apiserver, netbird-server) by hand.",
    )
    parser.add_argument("command", choices=["up", "env", "down"])
    args = parser.parse_args(argv)
    commands = {"up": up, "env": env, "down": down}
    return commands[args.command]()
