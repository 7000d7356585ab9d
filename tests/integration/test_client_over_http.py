"""The NetBird client over a real loopback socket: what its HTTP stack costs per request."""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType

from nbaccess.netbird.client import NetBirdClient
from nbaccess.netbird.models import GroupRequest
from tests.fakes import FakeNetBird


class ImportProbes:
    """A finder placed first on sys.meta_path: it answers nothing and notes each question asked
    from the event loop's thread (the fake server's threads may import lazily; that is not us)."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.loop_thread = threading.get_ident()

    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if threading.get_ident() == self.loop_thread:
            self.asked.append(name)
        return None


async def test_a_request_searches_for_no_module() -> None:
    # httpcore imports sniffio on every request to learn the event loop; were it missing, each
    # request would walk sys.path for it (a twentieth of the operator's CPU in a bulk delete).
    fake = FakeNetBird()
    probes = ImportProbes()
    with fake.serve() as base_url:
        async with NetBirdClient(base_url, fake.token) as nb:
            created = await nb.create_group(GroupRequest(name="warm-up", peers=[], resources=[]))
            sys.meta_path.insert(0, probes)
            try:
                for _ in range(5):
                    await nb.list_groups(fresh=True)
                await nb.delete_group(created.id)
            finally:
                sys.meta_path.remove(probes)

    assert probes.asked == []
    assert fake.count("GET", "/api/groups") == 5
