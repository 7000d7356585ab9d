"""The `nbaccess` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from nbaccess import __version__
from nbaccess.access import commands as access_commands


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nbaccess",
        description=(
            "netbird-access-operator: converge a NetBird account to the NetBirdGroup, "
            "NetBirdPolicy, NetBirdNetwork, SetupKey and PostureCheck resources in Kubernetes."
        ),
    )
    parser.add_argument("--version", action="version", version=f"nbaccess {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("version", help="print the version")
    run = sub.add_parser(
        "run",
        help="run the operator (settings from NETBIRD_API_URL, NETBIRD_API_TOKEN[_FILE], ...)",
    )
    scope = run.add_mutually_exclusive_group()
    scope.add_argument(
        "--all-namespaces", "-A", action="store_true", help="watch every namespace (default)"
    )
    scope.add_argument(
        "--namespace", "-n", action="append", default=[], help="watch only this namespace"
    )
    crds = sub.add_parser(
        "crds", help="write the CustomResourceDefinitions generated from the models"
    )
    crds.add_argument(
        "--output-dir",
        action="append",
        type=Path,
        metavar="DIR",
        help="directory to write <plural>.nbaccess.dev.yaml into (repeatable; default: crds)",
    )
    crds.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 naming every file that differs from the models",
    )
    access_commands.register(sub)
    return parser


def _cmd_crds(args: argparse.Namespace) -> int:
    # Imported here so `nbaccess version` does not build every model's schema.
    from nbaccess.resources import crdgen

    directories: list[Path] = args.output_dir or [Path("crds")]
    if args.check:
        problems = [problem for d in directories for problem in crdgen.stale(d)]
        for problem in problems:
            print(f"stale: {problem} (run `nbaccess crds`)", file=sys.stderr)
        return 1 if problems else 0
    for directory in directories:
        for path in crdgen.write(directory):
            print(f"wrote {path}")
    return 0


def _cmd_run(namespaces: list[str]) -> int:
    # Imported here so `nbaccess crds` and `--help` work without kopf's start-up cost.
    import asyncio
    import logging

    from nbaccess.config import ConfigError, load_settings
    from nbaccess.kube.leader import LeadershipLost
    from nbaccess.kube.runner import run_operator

    try:
        settings = load_settings()
        settings.api_token()
    except ConfigError as exc:
        print(f"nbaccess run: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.nbaccess_log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Per-request and per-tick lines would bury what matters; our own INFO lines say what
    # changed in NetBird and why a resource is not Ready.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("kopf.objects").setLevel(logging.WARNING)
    try:
        asyncio.run(run_operator(settings, namespaces=namespaces))
    except KeyboardInterrupt:
        return 130
    except LeadershipLost as exc:
        # Non-zero, so the pod restarts and comes back as a standby (as controller-runtime).
        logging.getLogger("nbaccess").error("%s", exc)
        return 1
    except ConfigError as exc:
        print(f"nbaccess run: {exc}", file=sys.stderr)
        return 2
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command == "version":
        print(__version__)
        return 0
    if args.command == "run":
        return _cmd_run(args.namespace)
    if args.command == "crds":
        return _cmd_crds(args)
    handler: access_commands.Handler | None = getattr(args, "handler", None)
    if handler is not None:
        return handler(args)
    parser.print_help()
    return 0 if args.command is None else 2


if __name__ == "__main__":
    sys.exit(main())
