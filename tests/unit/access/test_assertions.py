"""Assertions: parsed with the line they are on, checked against the model."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbaccess.access.assertions import check, load
from nbaccess.access.loading import InputError
from tests.unit.access.helpers import access, group, policy

GROUPS = [group(n) for n in ("usr-a", "svc-web", "svc-app")]
MODEL = access(
    *GROUPS,
    policy("a-to-web", ["usr-a"], ["svc-web"], ports=[443]),
    policy(
        "web-to-app",
        ["svc-web"],
        ["svc-app"],
        portRanges=[{"start": 8000, "end": 8100}],
        ports=None,
    ),
)


def results(tmp_path: Path, text: str) -> list[tuple[str, bool, str]]:
    path = tmp_path / "tests.yaml"
    path.write_text(text)
    return [
        (f"{r.verb} {r.item.text}", r.passed, r.detail)
        for a in load(str(path))
        for r in check(MODEL, a)
    ]


def test_allow_and_deny_items(tmp_path: Path) -> None:
    found = results(
        tmp_path,
        "- {from: usr-a, to: svc-web, allow: [tcp/443], deny: [tcp/8443, udp, all]}\n"
        "- {from: svc-web, to: svc-app, allow: [tcp/8000-8100, tcp/8050], deny: [tcp/8101-9000]}\n",
    )
    assert [(what, passed) for what, passed, _ in found] == [
        ("allow tcp/443", True),
        ("deny tcp/8443", True),
        ("deny udp", True),
        ("deny all", False),  # tcp/443 gets through, so not *nothing*
        ("allow tcp/8000-8100", True),
        ("allow tcp/8050", True),
        ("deny tcp/8101-9000", True),
    ]
    assert found[3][2] == "allowed by ns/a-to-web (tcp/443 from usr-a to svc-web)"


def test_a_failing_allow_says_what_is_missing_and_what_is_granted(tmp_path: Path) -> None:
    [(_, passed, detail)] = results(
        tmp_path, "- {from: usr-a, to: svc-web, allow: [tcp/440-445]}\n"
    )
    assert not passed
    assert (
        detail == "no enabled accept policy grants tcp/440-442,444-445; "
        "only 443 is granted, by ns/a-to-web"
    )
    [(_, passed, detail)] = results(tmp_path, "- {from: usr-a, to: svc-app, allow: [tcp/8000]}\n")
    assert (passed, detail) == (False, "no enabled accept policy grants tcp/8000")


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("from: usr-a\n", r"tests\.yaml:1: must be a list of assertions"),
        ("- {from: usr-a, to: svc-web}\n", r"tests\.yaml:1: give allow, deny or both"),
        (
            "- {from: usr-a, to: svc-web, allow: [tcp/443]}\n"
            "- {from: usr-a, to: svc-web, alow: [tcp/1]}\n",
            r"tests\.yaml:2: unknown key alow",
        ),
        (
            "- from: usr-a\n  to: svc-web\n  allow:\n    - tcp/443\n    - http\n",
            r"tests\.yaml:5: 'http' is not an item",
        ),
        ("- {from: usr-a, to: svc-web, allow: [tcp/70000]}\n", r"ports are 1\.\.65535"),
        ("- {from: usr-a, to: svc-web, allow: [tcp/9000-8000]}\n", r"a range's start first"),
        ("- [from, to]\n", r"tests\.yaml:1: an assertion is a mapping"),
    ],
)
def test_bad_assertions_name_the_line(tmp_path: Path, text: str, error: str) -> None:
    path = tmp_path / "tests.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match=error):
        load(str(path))


def test_an_unknown_group_is_an_error_not_a_passing_deny(tmp_path: Path) -> None:
    path = tmp_path / "tests.yaml"
    path.write_text("- {from: usr-typo, to: svc-web, deny: [all]}\n")
    [assertion] = load(str(path))
    with pytest.raises(InputError, match=r"tests\.yaml:1: from 'usr-typo': no group"):
        check(MODEL, assertion)
