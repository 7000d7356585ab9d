"""A faithful in-memory fake of the NetBird management API (server v0.77.1)."""

from tests.fakes.netbird.api import NetBirdApi

__all__ = ["NetBirdApi"]
