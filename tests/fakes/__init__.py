"""In-repo fakes of the services the operator talks to (see tests/fakes/netbird)."""

from tests.fakes.netbird import FAKE_BASE_URL, DropKind, FakeNetBird, LoggedRequest

__all__ = ["FAKE_BASE_URL", "DropKind", "FakeNetBird", "LoggedRequest"]
