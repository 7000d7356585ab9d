"""The access model follows NetBird's semantics (see the module docstring for the sources)."""

from __future__ import annotations

import datetime as dt

from nbaccess.access.matrix import cells
from nbaccess.access.model import AccessModel
from tests.unit.access.helpers import NOW, access, group, network, policy

GROUPS = [group(n) for n in ("usr-a", "usr-b", "svc-web", "svc-db", "rp")]


def ports(model: AccessModel, source: str, target: str, protocol: str = "tcp") -> list[str]:
    reach = model.reach(source, target, protocol)
    return ["none"] if reach.ports.is_empty else (reach.ports.labels() or ["all"])


def test_a_rule_lets_sources_open_connections_to_destinations_only() -> None:
    m = access(*GROUPS, policy("a-to-web", ["usr-a"], ["svc-web"], ports=[443, 8443]))
    assert ports(m, "usr-a", "svc-web") == ["443", "8443"]
    assert ports(m, "svc-web", "usr-a") == ["none"]
    assert ports(m, "usr-b", "svc-web") == ["none"]
    assert ports(m, "usr-a", "svc-web", "udp") == ["none"]


def test_bidirectional_gives_both_directions_on_the_same_ports() -> None:
    m = access(*GROUPS, policy("a-web", ["usr-a"], ["svc-web"], bidirectional=True))
    assert ports(m, "svc-web", "usr-a") == ["443"]
    [forward, back] = cells(m)
    assert (forward.source, back.source) == ("svc-web", "usr-a")
    assert forward.bidirectional
    assert back.bidirectional


def test_protocol_all_goes_both_ways_whatever_bidirectional_says() -> None:
    m = access(*GROUPS, policy("wide", ["usr-a"], ["svc-web"], protocol="all", ports=None))
    assert ports(m, "svc-web", "usr-a", "tcp") == ["all"]
    assert ports(m, "usr-a", "svc-web", "icmp") == ["all"]
    assert {(c.source, c.protocol, c.bidirectional) for c in cells(m)} == {
        ("usr-a", "all", True),
        ("svc-web", "all", True),
    }


def test_drop_wins_over_accept_whatever_the_order() -> None:
    accept = policy("a-web-any", ["usr-a"], ["svc-web"], ports=None)
    drop = policy("no-ssh", ["usr-a"], ["svc-web"], action="drop", ports=[22])
    for order in ([accept, drop], [drop, accept]):
        m = access(*GROUPS, *order)
        reach = m.reach("usr-a", "svc-web", "tcp")
        assert reach.ports.labels() == ["1-21", "23-65535"]
        assert [f.policy for f in reach.dropped_by] == ["ns/no-ssh"]


def test_a_drop_from_all_applies_to_every_group_a_drop_from_another_group_does_not() -> None:
    accept = policy("users-web", ["usr-a", "usr-b"], ["svc-web"])
    from_all = {**policy("x", [], ["svc-web"], action="drop")}
    from_all["spec"]["sources"] = [{"name": "All"}]
    m = access(*GROUPS, accept, from_all)
    assert ports(m, "usr-a", "svc-web") == ports(m, "usr-b", "svc-web") == ["none"]
    m = access(*GROUPS, accept, policy("b-only", ["usr-b"], ["svc-web"], action="drop"))
    assert ports(m, "usr-a", "svc-web") == ["443"]
    assert ports(m, "usr-b", "svc-web") == ["none"]


def test_access_from_all_counts_for_every_group_and_is_merged_into_its_cells() -> None:
    everyone = policy("all-to-web", [], ["svc-web"], ports=[80])
    everyone["spec"]["sources"] = [{"name": "All"}]
    m = access(*GROUPS, everyone, policy("a-web", ["usr-a"], ["svc-web"]))
    assert ports(m, "usr-b", "svc-web") == ["80"]
    [cell] = cells(m, sources=["usr-a"])
    assert (cell.ports.labels(), cell.policies) == (["80", "443"], ("ns/a-web", "ns/all-to-web"))


def test_a_narrower_drop_is_listed_on_an_all_cell() -> None:
    wide = policy("wide", ["usr-a"], ["svc-web"], protocol="all", ports=None)
    m = access(*GROUPS, wide, policy("no-ssh", ["usr-a"], ["svc-web"], action="drop", ports=[22]))
    forward = next(c for c in cells(m) if c.source == "usr-a")
    assert forward.carved_out == ("tcp/22",)
    assert ports(m, "usr-a", "svc-web", "tcp") == ["1-21", "23-65535"]


DB_NET = network(
    "orders-prod",
    [
        {"name": "db-subnet", "address": "10.20.3.0/24", "groups": [{"ref": "svc-db"}]},
        {
            "name": "old-db",
            "address": "10.20.9.0/24",
            "groups": [{"ref": "svc-db"}],
            "enabled": False,
        },
        {"name": "api", "address": "api.example.com"},
    ],
    routers=[{"name": "a", "peerGroups": [{"ref": "rp"}]}],
)


def test_network_resources_are_reached_one_way_through_their_groups_while_enabled() -> None:
    m = access(*GROUPS, DB_NET, policy("web-db", ["svc-web"], ["svc-db"], bidirectional=True))
    assert ports(m, "svc-web", "resource:db-subnet") == ["443"]
    assert ports(m, "resource:db-subnet", "svc-web") == ["none"]  # a resource runs no agent
    assert ports(m, "svc-web", "resource:old-db") == ["none"]  # disabled resources are skipped
    assert ports(m, "svc-db", "svc-web") == ["443"]  # the group's own peers: both ways


def test_a_policy_to_a_resource_is_one_way_even_with_protocol_all() -> None:
    to_api = policy("to-api", ["usr-a"], [], protocol="all", ports=None)
    del to_api["spec"]["destinations"]
    to_api["spec"]["destinationResource"] = {"network": "orders-prod", "resource": "api"}
    m = access(*GROUPS, DB_NET, to_api)
    assert [(c.source, c.target, c.bidirectional) for c in cells(m)] == [
        ("usr-a", "resource:api", False)
    ]
    # NetBird's All group holds peers only, never network resources.
    assert ports(m, "usr-a", "resource:db-subnet") == ["none"]


def test_disabled_and_expired_policies_grant_nothing() -> None:
    m = access(
        *GROUPS,
        policy("off", ["usr-a"], ["svc-web"], enabled=False),
        policy("past", ["usr-b"], ["svc-web"], expiresAt="2026-01-01T00:00:00Z"),
        policy("future", ["usr-b"], ["svc-db"], expiresAt="2026-12-01T00:00:00Z"),
    )
    assert ports(m, "usr-a", "svc-web") == ["none"]
    assert ports(m, "usr-b", "svc-web") == ["none"]
    assert ports(m, "usr-b", "svc-db") == ["443"]
    later = access(
        *GROUPS,
        policy("future", ["usr-b"], ["svc-db"], expiresAt="2026-12-01T00:00:00Z"),
        now=NOW + dt.timedelta(days=365),
    )
    assert ports(later, "usr-b", "svc-db") == ["none"]


def test_cells_merge_policies_and_list_their_posture_checks() -> None:
    checks = [
        {
            "kind": "PostureCheck",
            "metadata": {"name": "min-version"},
            "spec": {"checks": {"nbVersion": {"minVersion": "0.59.0"}}},
        }
    ]
    m = access(
        *GROUPS,
        *checks,
        policy("one", ["usr-a"], ["svc-web"], postureChecks=[{"ref": "min-version"}]),
        policy(
            "two", ["usr-a"], ["svc-web"], portRanges=[{"start": 8000, "end": 8100}], ports=None
        ),
    )
    [cell] = cells(m)
    assert cell.ports.labels() == ["443", "8000-8100"]
    assert cell.policies == ("ns/one", "ns/two")
    assert cell.posture_checks == ("min-version",)


def test_a_policy_whose_reference_does_not_resolve_grants_nothing() -> None:
    m = access(*GROUPS, policy("dangling", ["usr-a", "usr-nobody"], ["svc-web"]))
    assert ports(m, "usr-a", "svc-web") == ["none"]
    assert m.not_in_effect == ["ns/dangling"]
