"""How NetBird API traffic and time grow with the number of declared objects.

Runs the real reconcilers and client against the in-repo fake NetBird served on loopback
(real HTTP, no Kubernetes): N groups and N policies (each from one group to the next),
converged from scratch, then a resync after the list cache expired. Prints one row per N.

    .venv/bin/python -m benchmarks.reconcile_scale [N ...]      (make bench)

What to read: converging costs about one POST per object plus a few list calls; a resync of
an unchanged world costs one GET per kind and zero writes, whatever N is.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter

from nbaccess.netbird.client import ClientOptions, NetBirdClient
from nbaccess.reconcile.registry import all_kinds
from tests.fakes import FakeNetBird
from tests.integration.reconcile.conftest import Cluster


class Clock:
    def __init__(self) -> None:
        self.value = 0.0

    def __call__(self) -> float:
        return self.value + time.monotonic()


async def run(n: int) -> dict[str, float]:
    fake = FakeNetBird()
    clock = Clock()
    with fake.serve() as url:
        # The default client: rate limit at NetBird cloud's 120/min burst 1200 stays out of the
        # way below ~1200 requests; above it the limiter, not the operator, sets the pace.
        options = ClientOptions(rate_per_minute=1e9, burst=10**9)
        async with NetBirdClient(url, fake.token, options=options, clock=clock) as nb:
            cluster = Cluster(nb, {k.kind: k for k in all_kinds()})
            groups = [cluster.apply("NetBirdGroup", f"g{i}", {}) for i in range(n + 1)]
            policies = [
                cluster.apply(
                    "NetBirdPolicy",
                    f"p{i}",
                    {
                        "action": "accept",
                        "protocol": "tcp",
                        "ports": [443],
                        "sources": [{"ref": f"g{i}"}],
                        "destinations": [{"ref": f"g{i + 1}"}],
                    },
                )
                for i in range(n)
            ]
            started = time.perf_counter()
            await cluster.converge(*groups, *policies, passes=3)
            converge_s = time.perf_counter() - started
            converge = Counter(r.method for r in fake.requests)

            fake.clear_log()
            clock.value += 3600  # every cached list is stale: the resync really reads
            started = time.perf_counter()
            for key in [*groups, *policies]:
                await cluster.reconcile(key)
            resync_s = time.perf_counter() - started
            resync = Counter(r.method for r in fake.requests)
    return {
        "objects": 2 * n + 1,
        "converge_s": converge_s,
        "converge_get": converge["GET"],
        "converge_write": converge["POST"] + converge["PUT"],
        "resync_s": resync_s,
        "resync_get": resync["GET"],
        "resync_write": resync["POST"] + resync["PUT"] + resync["DELETE"],
    }


def main(argv: list[str]) -> int:
    sizes = [int(a) for a in argv] or [10, 100, 500]
    header = (
        f"{'objects':>8} {'converge s':>11} {'GETs':>6} {'writes':>7} "
        f"{'resync s':>9} {'GETs':>6} {'writes':>7}"
    )
    print(header)
    for n in sizes:
        row = asyncio.run(run(n))
        print(
            f"{row['objects']:>8.0f} {row['converge_s']:>11.2f} {row['converge_get']:>6.0f} "
            f"{row['converge_write']:>7.0f} {row['resync_s']:>9.2f} {row['resync_get']:>6.0f} "
            f"{row['resync_write']:>7.0f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
