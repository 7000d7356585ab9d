"""Turning a CR's spec into its typed model, with errors a person can act on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from nbaccess.reconcile.outcome import Permanent

M = TypeVar("M", bound=BaseModel)


def _path(loc: tuple[int | str, ...], suffix: object) -> str:
    path = "spec"
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    if suffix:
        path += f".{suffix}"
    return path


def parse_spec(model: type[M], spec: Mapping[str, Any]) -> M:
    """The typed spec, or Stalled `InvalidSpec` naming each bad field (the CRD missed it)."""
    try:
        return model.model_validate(dict(spec))
    except ValidationError as exc:
        problems = [
            f"{_path(tuple(e['loc']), (e.get('ctx') or {}).get('field'))}: {e['msg']}"
            for e in exc.errors(include_url=False, include_input=False)
        ]
        raise Permanent("InvalidSpec", "; ".join(problems)) from None
