"""The `nbaccess` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from nbaccess import __version__


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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command == "version":
        print(__version__)
        return 0
    parser.print_help()
    return 0 if args.command is None else 2


if __name__ == "__main__":
    sys.exit(main())
