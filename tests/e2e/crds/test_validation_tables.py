"""The valid and invalid tables on the real apiserver, and the same verdicts offline.

Each entry of tests/cases is applied with kubectl into one namespace per module (names are
case ids, so entries cannot collide) and also run through `validate_object`, which `nbaccess
lint` uses: a user must get the same answer, naming the same field, with or without a cluster.
"""

from __future__ import annotations

import re

import pytest

from nbaccess.resources.validation import validate_object
from tests.cases.invalid_objects import INVALID_OBJECTS, InvalidCase
from tests.cases.valid_objects import VALID_OBJECTS, ValidCase
from tests.e2e.kubectl import Kubectl

pytestmark = pytest.mark.usefixtures("crds")

# Where the apiserver names a field: at the start of each cause of an Invalid error
# ("... is invalid: spec.ports[0]: Invalid value: ..." or "* spec.type: Unsupported value"),
# and in strict decoding's `unknown field "spec.members"`.
_CAUSE = re.compile(r"(?:is invalid: |^\* )([^\s:<][^\s:]*): ", re.MULTILINE)
_UNKNOWN = re.compile(r'unknown field "([^"]+)"')


def fields_named_by_apiserver(error: str) -> set[str]:
    return set(_CAUSE.findall(error)) | set(_UNKNOWN.findall(error))


def fields_named_offline(problems: list[str]) -> set[str]:
    return {problem.split(": ", 1)[0] for problem in problems}


def test_the_error_parser_reads_kubectls_messages() -> None:
    """The field extraction must not pass by accident: check it on real kubectl output."""
    invalid = (
        'The SetupKey "k" is invalid: \n'
        "* spec.rotation.before: Invalid value: rotation.before must be shorter\n"
        '* spec.expiresIn: Invalid value: "1h": must be between 24h and 8760h\n'
        "* <nil>: Invalid value: null: some validation rules were not checked\n"
    )
    single = 'The NetBirdPolicy "p" is invalid: spec.ports[0]: Invalid value: 70000: spec.x in'
    strict = 'cannot be handled as a NetBirdGroup: strict decoding error: unknown field "spec.m"'

    assert fields_named_by_apiserver(invalid) == {"spec.rotation.before", "spec.expiresIn"}
    assert fields_named_by_apiserver(single) == {"spec.ports[0]"}
    assert fields_named_by_apiserver(strict) == {"spec.m"}
    assert fields_named_by_apiserver("Error from server: connection refused") == set()


@pytest.mark.parametrize("case", VALID_OBJECTS, ids=lambda c: c.id)
def test_valid_example_is_accepted_by_apiserver_and_models(
    case: ValidCase, kubectl: Kubectl, module_namespace: str
) -> None:
    applied = kubectl.try_apply(module_namespace, case.fresh())

    assert applied.returncode == 0, applied.stderr
    assert applied.stderr == "", "the apiserver warned about a valid example"
    assert validate_object(case.fresh()) == []


@pytest.mark.parametrize("case", INVALID_OBJECTS, ids=lambda c: c.id)
def test_invalid_entry_is_rejected_naming_its_field_by_apiserver_and_models(
    case: InvalidCase, kubectl: Kubectl, module_namespace: str
) -> None:
    if case.before is not None:
        # A change: the object as it was must be fine on both sides; only the change is not.
        created = kubectl.try_apply(module_namespace, case.before)
        assert created.returncode == 0, created.stderr
        assert validate_object(case.before) == []

    rejected = kubectl.try_apply(module_namespace, case.fresh())
    offline = validate_object(case.fresh(), case.before)

    assert rejected.returncode != 0, f"the apiserver accepted {case.id}: {rejected.stdout}"
    on_server = fields_named_by_apiserver(rejected.stderr)
    assert case.field in on_server, rejected.stderr
    assert case.field in fields_named_offline(offline), offline
    # Offline validation stops at the first broken field where the apiserver goes on, so it
    # may name fewer fields, but never one the apiserver would not complain about.
    assert fields_named_offline(offline) <= on_server, (offline, rejected.stderr)


def test_the_invalid_table_is_large_enough_for_the_acceptance_criteria() -> None:
    assert len(INVALID_OBJECTS) >= 25
