"""`nbaccess lint`, `nbaccess matrix` and `nbaccess test`: argument parsing and exit codes.

Exit codes: 0 clean, 1 findings at or above `--fail-on` (lint) or a failed assertion (test),
2 unreadable input or a usage error, with a message naming the file and line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nbaccess.access.catalog import RULES, SEVERITIES
from nbaccess.access.loading import InputError

if TYPE_CHECKING:
    from nbaccess.access.inventory import Inventory
    from nbaccess.access.model import AccessModel

FINDING_FORMATS = ("text", "json", "sarif", "github")
MATRIX_FORMATS = ("text", "json", "markdown", "csv", "html")
TEST_FORMATS = ("text", "json", "github")

_CI_EXAMPLE = """\
Rules (id, default severity; set severities per rule in .nbaccess.yaml):
{rules}

Example: a GitHub Actions job that checks every pull request
  (docs/pull-requests.md has GitLab CI and pre-commit too)

  name: netbird-access
  on: pull_request
  permissions: {{contents: read, security-events: write}}
  jobs:
    access:
      runs-on: ubuntu-latest
      env:
        NBACCESS: docker run --rm -v ${{{{ github.workspace }}}}:/repo -w /repo
                  ghcr.io/nbaccess/netbird-access-operator:0.1.0
      steps:
        - uses: actions/checkout@v4
          with: {{fetch-depth: 0}}
        - name: the target branch, to check immutable fields against
          run: git worktree add .nbaccess-base ${{{{ github.event.pull_request.base.sha }}}}
        - id: lint
          continue-on-error: true
          run: $NBACCESS lint clusters/prod --previous .nbaccess-base/clusters/prod
                 --format sarif > nbaccess.sarif
        - uses: github/codeql-action/upload-sarif@v3
          if: always()
          with: {{sarif_file: nbaccess.sarif, category: nbaccess}}
        - run: $NBACCESS test clusters/prod --assertions access-tests.yaml --format github
        - run: $NBACCESS matrix clusters/prod --format html > access-matrix.html
          if: always()
        - uses: actions/upload-artifact@v4
          if: always()
          with: {{name: access-matrix, path: access-matrix.html}}
        - if: steps.lint.outcome == 'failure'
          run: $NBACCESS lint clusters/prod --format github

Exit status: 0 no finding at or above --fail-on, 1 there is one, 2 unreadable input or usage.
"""


def _lint_epilog() -> str:
    rules = "\n".join(f"  {r.id:<24} {r.severity:<8} {r.title}" for r in RULES.values())
    return _CI_EXAMPLE.format(rules=rules)


def _timestamp(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an RFC 3339 time such as 2026-12-01T00:00:00Z"
        ) from None
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _inputs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="manifest files, folders (read recursively: *.yaml, *.yml) or - for stdin; "
        "kinds other than ours are ignored",
    )
    parser.add_argument(
        "--namespace",
        "-n",
        default="default",
        help="namespace of objects that name none (default: default)",
    )
    parser.add_argument(
        "--now",
        type=_timestamp,
        metavar="TIME",
        help="judge expiresAt as of this RFC 3339 time (default: the current time)",
    )


Handler = Callable[[argparse.Namespace], int]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the lint, matrix and test subcommands to the `nbaccess` parser."""
    lint = sub.add_parser(
        "lint",
        help="check manifests for invalid specs, broken references and risky access",
        description="Validate every NetBirdGroup, NetBirdPolicy, NetBirdNetwork, SetupKey and "
        "PostureCheck as the apiserver would, resolve references across the input, and report "
        "the anti-patterns of the NetBird Zero Trust guide. Offline: no cluster, no NetBird.",
        epilog=_lint_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _inputs(lint)
    lint.add_argument("--format", choices=FINDING_FORMATS, default="text")
    lint.add_argument(
        "--fail-on",
        choices=SEVERITIES,
        default="error",
        help="lowest severity that makes the exit status 1 (default: error)",
    )
    lint.add_argument(
        "--previous",
        action="append",
        default=[],
        metavar="PATH",
        help="the same manifests before the change (e.g. the target branch): objects found "
        "there are checked as updates, so changing an immutable field is an error",
    )
    lint.add_argument(
        "--config",
        type=Path,
        help="config file (default: .nbaccess.yaml in the first PATH's folder or above, up to "
        "the repository root)",
    )
    lint.set_defaults(handler=functools.partial(_guarded, "lint", _lint))

    matrix = sub.add_parser(
        "matrix",
        help="print who may reach what, on which protocols and ports",
        description="The effective access the manifests declare, with NetBird's semantics: "
        "enabled policies only, drop wins, protocol all and bidirectional rules go both ways, "
        "policies to network resources one way. One cell per (from, to, protocol).",
    )
    _inputs(matrix)
    matrix.add_argument("--format", choices=MATRIX_FORMATS, default="text")
    matrix.add_argument(
        "--from",
        dest="sources",
        action="append",
        metavar="GROUP",
        help="only access from this group, through every policy that applies to it (repeatable)",
    )
    matrix.add_argument(
        "--to",
        dest="targets",
        action="append",
        metavar="GROUP",
        help="only access to this group or resource:<name> (repeatable)",
    )
    matrix.set_defaults(handler=functools.partial(_guarded, "matrix", _matrix))

    test = sub.add_parser(
        "test",
        help="check access assertions (allow/deny per flow) against the manifests",
        description="Check assertions such as `- {from: usr-support, to: svc-orders-web-prod, "
        "allow: [tcp/443], deny: [tcp/8443]}` against the access matrix; a failure names the "
        "policy that grants the access, or what is missing.",
    )
    _inputs(test)
    test.add_argument(
        "--assertions",
        action="append",
        required=True,
        metavar="FILE",
        help="YAML list of assertions (repeatable)",
    )
    test.add_argument("--format", choices=TEST_FORMATS, default="text")
    test.set_defaults(handler=functools.partial(_guarded, "test", _test))


@dataclass
class _World:
    inventory: Inventory
    model: AccessModel
    now: dt.datetime
    files: int


def _world(args: argparse.Namespace, previous: Sequence[str] = ()) -> _World:
    from nbaccess.access import inventory, loading, model

    documents = loading.load(args.paths)
    before = loading.load(previous) if previous else []
    now = args.now or dt.datetime.now(dt.UTC)
    declared = inventory.build(documents, args.namespace, before)
    if not declared.objects:
        note = f"nbaccess {args.command}: note: no nbaccess.dev objects in the input"
        print(note, file=sys.stderr)
    built = model.build(declared, now)
    return _World(declared, built, now, len({o.document.source for o in declared.objects}))


def _guarded(command: str, run: Handler, args: argparse.Namespace) -> int:
    try:
        return run(args)
    except InputError as exc:
        print(f"nbaccess {command}: {exc}", file=sys.stderr)
        return 2


def _lint(args: argparse.Namespace) -> int:
    from nbaccess.access import config, findings_output, lint

    settings = config.load_config(args.config or config.find_config(args.paths))
    world = _world(args, args.previous)
    found = lint.lint(world.inventory, world.model, settings, world.now)
    sys.stdout.write(
        findings_output.render(args.format, found, len(world.inventory.objects), world.files)
    )
    failing = SEVERITIES[: SEVERITIES.index(args.fail_on) + 1]
    return 1 if any(f.severity in failing for f in found) else 0


def _matrix(args: argparse.Namespace) -> int:
    from nbaccess.access import matrix, matrix_output

    world = _world(args)
    for option, names in (("--from", args.sources), ("--to", args.targets)):
        unknown = sorted(set(names or ()) - world.model.endpoints)
        if unknown:
            names = sorted(world.model.endpoints)
            known = ", ".join(names[:20]) + (f" and {len(names) - 20} more" if names[20:] else "")
            raise InputError(
                f"{option} {', '.join(unknown)}: no group or resource of that name in the input "
                f"(known: {known or 'none'})"
            )
    _note_not_in_effect(args.command, world.model)
    cells = matrix.cells(world.model, args.sources, args.targets)
    title = "NetBird access matrix: " + " ".join(args.paths)
    sys.stdout.write(matrix_output.render(args.format, cells, title))
    return 0


def _note_not_in_effect(command: str, built: AccessModel) -> None:
    if built.not_in_effect:
        print(
            f"nbaccess {command}: note: {len(built.not_in_effect)} policies grant nothing "
            "because they are invalid or refer to objects not in the input (see nbaccess "
            f"lint): {', '.join(built.not_in_effect)}",
            file=sys.stderr,
        )


def _test(args: argparse.Namespace) -> int:
    from nbaccess.access import assertion_output, assertions

    world = _world(args)
    _note_not_in_effect(args.command, world.model)
    loaded = [a for path in args.assertions for a in assertions.load(path)]
    if not loaded:
        raise InputError(f"{', '.join(args.assertions)}: no assertions")
    results = [r for a in loaded for r in assertions.check(world.model, a)]
    sys.stdout.write(assertion_output.render(args.format, results))
    return 1 if any(not r.passed for r in results) else 0
