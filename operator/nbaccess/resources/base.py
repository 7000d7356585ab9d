"""Building blocks that let one pydantic model speak both to the apiserver and to Python.

Every constraint is written once, next to the field it constrains, and lands in two places:
- the CRD schema (`crdgen` reads the models' JSON schema), so the apiserver rejects a bad object;
- pydantic validation, so `validate_object` rejects the same object without a cluster.

Schema keywords (enum, pattern, min/max) map one to one. What the schema cannot say is a
`Rule` (on a model: cross-field) or a `FieldRule` (on one value): a CEL expression for the
apiserver beside the equivalent Python predicate, with one message for both. Lists whose
entries have keys declare `list_map(...)`, scalar lists without duplicates `list_set()`; the
apiserver enforces both and so does `SpecModel`'s own validator.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

VALIDATIONS = "x-kubernetes-validations"
LIST_TYPE = "x-kubernetes-list-type"
LIST_MAP_KEYS = "x-kubernetes-list-map-keys"

# The pydantic error type our rules raise; `ctx["field"]` is the path suffix the message names.
RULE_ERROR = "nbaccess_rule"


@dataclass(frozen=True)
class Rule:
    """A cross-field rule of one model: CEL for the apiserver, `check` for offline validation.

    `field` is the camelCase field the error points at (the CRD's `fieldPath`), so both the
    apiserver and `validate_object` name e.g. `spec.ports` rather than just `spec`.
    A `transition` rule compares with the stored object (`oldSelf`); its check gets
    `(new, old)` and it runs only on updates.
    """

    cel: str
    message: str
    check: Callable[..., bool]
    field: str | None = None
    transition: bool = False

    def cel_entry(self) -> dict[str, str]:
        entry = {"rule": self.cel, "message": self.message}
        if self.field is not None:
            entry["fieldPath"] = f".{self.field}"
        return entry


def immutable(field: str, attr: str, kind: str) -> Rule:
    """A rule that keeps `field` as it was at creation, including set vs. unset."""
    return Rule(
        cel=(
            f"has(self.{field}) == has(oldSelf.{field}) && "
            f"(!has(self.{field}) || self.{field} == oldSelf.{field})"
        ),
        message=(
            f"{field} is immutable (NetBird cannot change it on an existing object); "
            f"create a new {kind} instead"
        ),
        check=lambda new, old: getattr(new, attr) == getattr(old, attr),
        field=field,
        transition=True,
    )


@dataclass(frozen=True)
class FieldRule:
    """A rule on one value, used as `Annotated[T, FieldRule(...)]`.

    It adds a CEL rule to the value's schema and the same predicate as a pydantic validator.
    """

    cel: str
    message: str
    check: Callable[[Any], bool]

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        def validate(value: Any) -> Any:
            if not self.check(value):
                raise PydanticCustomError(RULE_ERROR, self.message, {"field": ""})
            return value

        return core_schema.no_info_after_validator_function(validate, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema.setdefault(VALIDATIONS, []).append({"rule": self.cel, "message": self.message})
        return json_schema


def list_map(*keys: str) -> dict[str, Any]:
    """Schema extras for a list whose entries are identified by `keys` (unique, merge by key)."""
    return {LIST_TYPE: "map", LIST_MAP_KEYS: list(keys)}


def list_set() -> dict[str, Any]:
    """Schema extras for a list of scalars without duplicates."""
    return {LIST_TYPE: "set"}


def _rules_into_schema(schema: dict[str, Any], cls: type[BaseModel]) -> None:
    rules: Sequence[Rule] = getattr(cls, "__rules__", ())
    if rules:
        schema[VALIDATIONS] = [rule.cel_entry() for rule in rules]


def _duplicate_indexes(items: Sequence[Any], key: Callable[[Any], Any]) -> list[int]:
    seen: set[Any] = set()
    duplicates = []
    for index, item in enumerate(items):
        identity = key(item)
        if identity in seen:
            duplicates.append(index)
        seen.add(identity)
    return duplicates


class SpecModel(BaseModel):
    """Base of every spec model: camelCase, strict types, unknown fields are errors.

    Strict because the apiserver is: `"443"` is not an integer and `"true"` is not a boolean
    there, so they must not be here either.
    """

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        strict=True,
        frozen=True,
        json_schema_extra=_rules_into_schema,
    )

    __rules__: ClassVar[tuple[Rule, ...]] = ()

    @model_validator(mode="after")
    def _check_lists_and_rules(self) -> SpecModel:
        for name, info in type(self).model_fields.items():
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            value = getattr(self, name)
            if not value or LIST_TYPE not in extra:
                continue
            keys = extra.get(LIST_MAP_KEYS)
            if extra[LIST_TYPE] == "map" and isinstance(keys, list):
                key = _list_map_key([str(k) for k in keys])
            elif extra[LIST_TYPE] == "set":
                key = _identity
            else:
                continue
            duplicates = _duplicate_indexes(value, key)
            if duplicates:
                raise PydanticCustomError(
                    RULE_ERROR,
                    "duplicate {what}",
                    {
                        "field": f"{info.alias or name}[{duplicates[0]}]",
                        "what": _describe_key(keys),
                    },
                )
        for rule in type(self).__rules__:
            if not rule.transition and not rule.check(self):
                raise PydanticCustomError(RULE_ERROR, rule.message, {"field": rule.field or ""})
        return self

    def transition_errors(self, old: SpecModel) -> list[tuple[str, str]]:
        """(field, message) for each transition rule the change from `old` breaks."""
        return [
            (rule.field or "", rule.message)
            for rule in type(self).__rules__
            if rule.transition and not rule.check(self, old)
        ]


def _identity(item: Any) -> Any:
    return item


def _list_map_key(keys: list[str]) -> Callable[[Any], Any]:
    def key(item: Any) -> Any:
        return tuple(item.model_dump(by_alias=True).get(k) for k in keys)

    return key


def _describe_key(keys: object) -> str:
    if isinstance(keys, list):
        return " + ".join(str(k) for k in keys) + ": entries are identified by it"
    return "value"


class StatusModel(BaseModel):
    """Base of every status model: camelCase, tolerant of fields added by newer operators."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="ignore",
        json_schema_extra=_rules_into_schema,
    )
