"""Route table plumbing shared by the per-object handler modules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.netbird.body import Body
from tests.fakes.netbird.model import Account

Json = Any


@dataclass
class Request:
    method: str
    params: dict[str, str]
    query: dict[str, str]
    raw_body: bytes = b""
    _parsed: Body | None = field(default=None, repr=False)

    def body(self) -> Body:
        if self._parsed is None:
            self._parsed = Body.parse(self.raw_body)
        return self._parsed


Handler = Callable[[Account, Request], Json]


@dataclass(frozen=True)
class Route:
    """One gorilla/mux route: a method and a template such as /groups/{groupId} (under /api)."""

    method: str
    template: str
    handler: Handler

    def match_path(self, path: str) -> dict[str, str] | None:
        wanted = self.template.strip("/").split("/")
        given = path.strip("/").split("/") if path.strip("/") else []
        if len(wanted) != len(given):
            return None
        params: dict[str, str] = {}
        for pattern, segment in zip(wanted, given, strict=True):
            if pattern.startswith("{"):
                if not segment:
                    return None
                params[pattern[1:-1]] = segment
            elif pattern != segment:
                return None
        return params


def find_route(routes: list[Route], method: str, path: str) -> tuple[Route, dict[str, str]] | str:
    """The first route matching method and path, or "not found" / "method not allowed"."""
    path_matched = False
    for route in routes:
        params = route.match_path(path)
        if params is None:
            continue
        if route.method == method:
            return route, params
        path_matched = True
    return "method not allowed" if path_matched else "not found"
