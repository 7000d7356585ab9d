"""A faithful in-memory fake of the NetBird management API (server v0.77.1).

Behaviour follows shared/design/netbird-api.md and NetBird's handler code; see FakeNetBird.
"""

from tests.fakes.netbird.fake import FAKE_BASE_URL, FakeNetBird, LoggedRequest
from tests.fakes.netbird.faults import DropKind

__all__ = ["FAKE_BASE_URL", "DropKind", "FakeNetBird", "LoggedRequest"]
