"""A faithful in-memory fake of the NetBird management API (server v0.77.1).

Behaviour follows shared/design/netbird-api.md, checked against NetBird's handler and manager
code: status codes, error messages (lower-cased where NetBird lower-cases them), xid ids, and
response shapes down to which empty lists are `null`. The contract tests in
tests/integration/contract run against this fake and the real server alike.

Served paths: groups, policies, posture-checks, setup-keys, networks (+ resources, routers),
peers (+ accessible-peers) and dns/nameservers. Known simplifications:
- peers exist only through FakeNetBird.add_peer (as in NetBird, where clients enrol them);
- accessible-peers follows enabled group-to-group rules only (no resource or route rules);
- a policy PUT with several rules stores the first, like a create (send exactly one);
- no users, routes, events, DNS settings or the first-run /api/setup endpoints.
"""

from tests.fakes.netbird.fake import FAKE_BASE_URL, FakeNetBird, LoggedRequest
from tests.fakes.netbird.faults import DropKind

__all__ = ["FAKE_BASE_URL", "DropKind", "FakeNetBird", "LoggedRequest"]
