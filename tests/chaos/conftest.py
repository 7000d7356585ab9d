"""The chaos tier runs on the real stack, like e2e: the same skip-or-fail rule, the same
session stack (shared with tests/e2e, whichever starts it first)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.stack import Stack, StackUnavailable, session_stack
from tests.e2e.stack.pytest_support import skip_or_fail

CHAOS_ROOT = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if CHAOS_ROOT in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.chaos)


@pytest.fixture(scope="session")
def chaos_stack() -> Stack:
    stack = session_stack()
    try:
        stack.start()
    except StackUnavailable as exc:
        skip_or_fail(str(exc))
    return stack
