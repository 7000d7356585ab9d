"""A second etcd + kube-apiserver for tests that must not share the session's cluster: a
cluster-wide operator would converge every other folder's objects, and a real `helm install`
of the CRDs would fight kubectl over who owns them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tests.e2e.stack import Stack, StackUnavailable
from tests.e2e.stack.pytest_support import skip_or_fail


@contextmanager
def cluster_of_its_own() -> Iterator[Stack]:
    """A fresh, empty cluster (about 5 s to start), stopped and removed afterwards."""
    cluster = Stack.in_temp_dir()
    try:
        cluster.ensure_kube()
    except StackUnavailable as exc:
        skip_or_fail(str(exc))
    try:
        yield cluster
    finally:
        cluster.stop()
