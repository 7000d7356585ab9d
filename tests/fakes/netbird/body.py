"""Request bodies read the way Go's encoding/json fills NetBird's request structs.

Absent and null fields take the zero value (or None where NetBird's field is a pointer), unknown
fields are ignored, and a value of the wrong JSON type makes the whole body unparseable (400).
"""

from __future__ import annotations

import json
from typing import Any

from tests.fakes.netbird.errors import BadJson


class Body:
    def __init__(self, fields: dict[str, Any]) -> None:
        self._fields = fields

    @classmethod
    def parse(cls, raw: bytes) -> Body:
        try:
            decoded = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise BadJson() from None
        if decoded is None:
            return cls({})
        if not isinstance(decoded, dict):
            raise BadJson()
        return cls(decoded)

    def raw(self) -> dict[str, Any]:
        return dict(self._fields)

    def _get(self, key: str) -> Any:
        return self._fields.get(key)

    def opt_string(self, key: str) -> str | None:
        value = self._get(key)
        if value is not None and not isinstance(value, str):
            raise BadJson()
        return value

    def string(self, key: str) -> str:
        return self.opt_string(key) or ""

    def opt_bool(self, key: str) -> bool | None:
        value = self._get(key)
        if value is not None and not isinstance(value, bool):
            raise BadJson()
        return value

    def boolean(self, key: str) -> bool:
        return bool(self.opt_bool(key))

    def opt_integer(self, key: str) -> int | None:
        value = self._get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise BadJson()
        return value

    def integer(self, key: str) -> int:
        return self.opt_integer(key) or 0

    def string_list(self, key: str) -> list[str] | None:
        value = self._get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise BadJson()
        return list(value)

    def opt_object(self, key: str) -> Body | None:
        value = self._get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise BadJson()
        return Body(value)

    def object_list(self, key: str) -> list[Body] | None:
        value = self._get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise BadJson()
        return [Body(item) for item in value]

    def string_list_map(self, key: str) -> dict[str, list[str]] | None:
        value = self._get(key)
        if value is None:
            return None
        if not isinstance(value, dict) or not all(
            isinstance(v, list) and all(isinstance(i, str) for i in v) for v in value.values()
        ):
            raise BadJson()
        return {k: list(v) for k, v in value.items()}
