"""Offline validation of whole manifests: the apiserver's verdict without an apiserver.

`validate_object` answers what `kubectl apply` would (schema, CEL rules, unknown fields under
kubectl's default strict field validation) with one message per problem, each starting with
the field path a person has to fix, e.g. `spec.ports[0]: must be less than or equal to 65535`.
`nbaccess lint` runs it over a GitOps repository (`check_object`, to keep the parsed spec).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from nbaccess.resources.base import RULE_ERROR, SpecModel
from nbaccess.resources.common import DNS_SUBDOMAIN, PATTERN_HINTS
from nbaccess.resources.kinds import API_VERSION, KINDS, kind_info

_TOP_LEVEL = ("apiVersion", "kind", "metadata", "spec", "status")
_OBJECT_NAME = re.compile(DNS_SUBDOMAIN)
# pydantic says "Input should be ...", "List should have ... after validation, not 0".
_SHOULD = re.compile(r"^(Input|List|String|Value|Dictionary) should")
_AFTER_VALIDATION = re.compile(r" after validation, not \d+$")


def validate_object(obj: Any, old: Any = None) -> list[str]:
    """Problems with manifest `obj` (apiVersion/kind/metadata/spec); empty when it is valid.

    With `old` (the object as stored), the change from `old` to `obj` is checked too, e.g.
    immutable fields.
    """
    return check_object(obj, old)[1]


def check_object(obj: Any, old: Any = None) -> tuple[SpecModel | None, list[str]]:
    """`validate_object`'s problems plus the parsed spec (None when the spec itself is bad).

    One parse for callers that go on to read the spec, such as `nbaccess lint`.
    """
    if not isinstance(obj, Mapping):
        return None, [
            "(root): a manifest must be a mapping with apiVersion, kind, metadata and spec"
        ]
    problems = [f"{key}: unknown field" for key in obj if key not in _TOP_LEVEL]
    if obj.get("apiVersion") != API_VERSION:
        problems.append(f"apiVersion: must be {API_VERSION}")
    info = kind_info(str(obj.get("kind")))
    if info is None:
        kinds = ", ".join(k.kind for k in KINDS)
        return None, [*problems, f"kind: must be one of {kinds}"]
    problems += _metadata_problems(obj.get("metadata"))
    if "spec" not in obj:
        return None, [*problems, "spec: required"]
    spec, spec_problems = _parse_spec(info.spec_model, obj["spec"])
    problems += spec_problems
    if spec is not None and isinstance(old, Mapping) and "spec" in old:
        old_spec, old_problems = _parse_spec(info.spec_model, old["spec"])
        if old_spec is not None and not old_problems:
            problems += [
                f"{_join('spec', field)}: {message}"
                for field, message in spec.transition_errors(old_spec)
            ]
    return spec, problems


def _metadata_problems(metadata: Any) -> list[str]:
    if not isinstance(metadata, Mapping):
        return ["metadata: required, with a name"]
    name = metadata.get("name")
    if name is None and metadata.get("generateName"):
        return []
    if not isinstance(name, str) or not name:
        return ["metadata.name: required"]
    if len(name) > 253 or not _OBJECT_NAME.match(name):
        return [f"metadata.name: {PATTERN_HINTS[DNS_SUBDOMAIN]}, at most 253 characters"]
    return []


def _parse_spec(model: type[SpecModel], spec: Any) -> tuple[SpecModel | None, list[str]]:
    try:
        return model.model_validate(_as_json(spec)), []
    except ValidationError as error:
        return None, [_message(detail) for detail in error.errors()]


def _as_json(value: Any) -> Any:
    """What the apiserver receives: YAML timestamps arrive as strings (kubectl sends JSON)."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None and value.utcoffset() == dt.timedelta(0):
            return value.replace(tzinfo=None).isoformat() + "Z"
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {key: _as_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_json(item) for item in value]
    return value


def _join(path: str, suffix: str) -> str:
    if not suffix:
        return path
    return path + suffix if suffix.startswith("[") else f"{path}.{suffix}"


def _path(loc: tuple[int | str, ...]) -> str:
    path = "spec"
    for part in loc:
        path = _join(path, f"[{part}]" if isinstance(part, int) else part)
    return path


def _message(detail: ErrorDetails) -> str:
    ctx = detail.get("ctx") or {}
    kind = detail["type"]
    path = _path(detail["loc"])
    if kind == RULE_ERROR:
        return f"{_join(path, str(ctx.get('field', '')))}: {detail['msg']}"
    if kind == "missing":
        return f"{path}: required"
    if kind == "extra_forbidden":
        return f"{path}: unknown field"
    text = detail["msg"]
    if kind == "string_pattern_mismatch":
        text = PATTERN_HINTS.get(str(ctx.get("pattern")), text)
    text = _SHOULD.sub("must", text, count=1)
    text = _AFTER_VALIDATION.sub("", text)
    given = detail.get("input")
    if isinstance(given, int | float | str) and len(str(given)) <= 80:
        text += f" (got {given!r})"
    return f"{path}: {text}"
