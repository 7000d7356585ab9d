"""Responses are normalised so that desired == observed when NetBird holds what we asked for."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from nbaccess.netbird.models import (
    Checks,
    Group,
    GroupRequest,
    NameserverGroup,
    Network,
    NetworkResource,
    NetworkResourceRequest,
    NetworkRouter,
    NetworkRouterRequest,
    Peer,
    Policy,
    PolicyRequest,
    PolicyRuleRequest,
    PostureCheck,
    PostureCheckRequest,
    SetupKey,
    SetupKeyCreate,
)


def test_group_peers_become_sorted_ids_and_null_lists_become_empty():
    group = Group.model_validate(
        {
            "id": "g1",
            "name": "devs",
            "peers": [{"id": "p2", "name": "b"}, {"id": "p1", "name": "a"}],
            "resources": None,  # Go's nil slice
            "peers_count": 2,
            "issued": "api",
        }
    )
    assert group.peers == ["p1", "p2"]
    assert group.resources == []


def test_group_resources_become_id_and_type_pairs():
    group = Group.model_validate(
        {
            "id": "g1",
            "name": "devs",
            "peers": [],
            "resources": [{"id": "r2", "type": "subnet"}, {"id": "r1", "type": "host"}],
        }
    )
    assert [(r.id, r.type) for r in group.resources] == [("r1", "host"), ("r2", "subnet")]


def test_group_request_and_response_compare_equal_when_unchanged():
    desired = GroupRequest(name="devs", peers=["p2", "p1"], resources=[])
    observed = Group.model_validate(
        {"id": "g", "name": "devs", "peers": [{"id": "p1", "name": "a"}, {"id": "p2", "name": "b"}]}
    )
    assert desired.peers == observed.peers


def test_group_request_makes_callers_say_what_peers_and_resources_to_keep():
    # A group PUT replaces both lists; a default would silently detach every member.
    with pytest.raises(ValidationError):
        GroupRequest(name="devs")  # type: ignore[call-arg]


POLICY_RESPONSE = {
    "id": "pol1",
    "name": "allow-devs",
    "enabled": True,
    "source_posture_checks": None,
    "rules": [
        {
            "id": "rule1",
            "name": "allow-devs",
            "enabled": True,
            "action": "accept",
            "bidirectional": False,
            "protocol": "tcp",
            "ports": ["443"],
            "sources": [{"id": "g2", "name": "b", "peers_count": 0}],
            "destinations": None,
            "destinationResource": {"id": "res1", "type": "host"},
            "some_future_field": 1,
        }
    ],
}


def test_policy_rule_groups_become_ids_and_resources_keep_id_and_type():
    policy = Policy.model_validate(POLICY_RESPONSE)
    rule = policy.rules[0]
    assert rule.sources == ["g2"]
    assert rule.destinations == []
    assert rule.destination_resource is not None
    assert (rule.destination_resource.id, rule.destination_resource.type) == ("res1", "host")
    assert policy.description == ""
    assert policy.source_posture_checks == []


def test_omitted_ports_become_empty_lists():
    response = {**POLICY_RESPONSE["rules"][0]}
    del response["ports"]
    policy = Policy.model_validate({**POLICY_RESPONSE, "rules": [response]})
    assert policy.rules[0].ports == []
    assert policy.rules[0].port_ranges == []


def test_policy_request_sends_resource_without_empty_group_list():
    # NetBird rejects `sources: []` next to a sourceResource as "both"; None must be omitted.
    rule = PolicyRuleRequest(
        name="r", sources=["g1"], destination_resource={"id": "res1", "type": "host"}
    )
    wire = PolicyRequest(name="p", rules=[rule]).to_wire()["rules"][0]
    assert "destinations" not in wire
    assert wire["destinationResource"] == {"id": "res1", "type": "host"}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"name": "r", "destinations": ["g"]},  # no source at all
        {
            "name": "r",
            "sources": ["g"],
            "source_resource": {"id": "x", "type": "host"},
            "destinations": ["g"],
        },
        {
            "name": "r",
            "sources": ["g"],
            "destinations": ["g"],
            "ports": ["80"],
            "port_ranges": [{"start": 1, "end": 2}],
        },
    ],
)
def test_policy_rule_request_refuses_what_netbird_would_reject(kwargs):
    with pytest.raises(ValidationError):
        PolicyRuleRequest(**kwargs)


def test_policy_request_has_exactly_one_rule():
    rule = PolicyRuleRequest(name="r", sources=["a"], destinations=["b"])
    with pytest.raises(ValidationError):
        PolicyRequest(name="p", rules=[rule, rule])
    with pytest.raises(ValidationError):
        PolicyRequest(name="p", rules=[])


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("10.0.0.1", "10.0.0.1/32"),
        ("fd00::1", "fd00::1/128"),
        ("10.0.0.0/24", "10.0.0.0/24"),
        ("db.example.com", "db.example.com"),
        ("*.example.com", "*.example.com"),
    ],
)
def test_bare_ip_address_is_a_host_prefix_on_both_sides(sent, stored):
    resource = NetworkResource.model_validate(
        {"id": "r", "name": "db", "address": sent, "enabled": True, "type": "host", "groups": []}
    )
    assert resource.address == stored
    assert NetworkResourceRequest(name="db", address=sent, groups=[]).address == stored


def test_resource_groups_become_ids():
    resource = NetworkResource.model_validate(
        {
            "id": "r",
            "name": "db",
            "address": "10.0.0.0/24",
            "enabled": True,
            "type": "subnet",
            "groups": [{"id": "g2", "name": "b"}, {"id": "g1", "name": "a"}],
        }
    )
    assert resource.groups == ["g1", "g2"]
    assert resource.description == ""


@pytest.mark.parametrize(
    ("body", "peer", "peer_groups"),
    [
        ({"peer": "", "peer_groups": ["g1"]}, None, ["g1"]),
        ({"peer": "p1", "peer_groups": None}, "p1", None),
        ({"peer": "p1", "peer_groups": []}, "p1", None),
        ({"peer": "p1"}, "p1", None),
    ],
)
def test_router_unused_peer_and_peer_groups_are_none(body, peer, peer_groups):
    router = NetworkRouter.model_validate(
        {"id": "rt", "metric": 9999, "masquerade": True, "enabled": True, **body}
    )
    assert router.peer == peer
    assert router.peer_groups == peer_groups


def test_router_request_is_peer_xor_peer_groups_and_matches_the_response():
    with pytest.raises(ValidationError):
        NetworkRouterRequest()
    with pytest.raises(ValidationError):
        NetworkRouterRequest(peer="p1", peer_groups=["g1"])
    desired = NetworkRouterRequest(peer_groups=["g1"])
    assert desired.to_wire() == {
        "peer_groups": ["g1"],
        "metric": 9999,
        "masquerade": True,
        "enabled": True,
    }
    observed = NetworkRouter.model_validate(
        {
            "id": "rt",
            "peer": "",
            "peer_groups": ["g1"],
            "metric": 9999,
            "masquerade": True,
            "enabled": True,
        }
    )
    assert (desired.peer, desired.peer_groups) == (observed.peer, observed.peer_groups)


ALL_CHECKS = {
    "nb_version_check": {"min_version": "0.30.0"},
    "os_version_check": {
        "android": {"min_version": "13"},
        "darwin": {"min_version": "14.2.1"},
        "ios": {"min_version": "17.3.1"},
        "linux": {"min_kernel_version": "5.3.3"},
        "windows": {"min_kernel_version": "10.0.1234"},
    },
    "geo_location_check": {
        "locations": [{"country_code": "DE", "city_name": "Berlin"}, {"country_code": "FR"}],
        "action": "allow",
    },
    "peer_network_range_check": {"ranges": ["192.168.0.0/16", "10.1.2.3"], "action": "deny"},
    "process_check": {"processes": [{"linux_path": "/usr/bin/falcon"}]},
}


def test_all_five_posture_check_types_round_trip():
    sent = PostureCheckRequest(name="baseline", checks=Checks.model_validate(ALL_CHECKS))
    stored = PostureCheck.model_validate({"id": "pc1", **sent.to_wire()})
    assert stored.checks == sent.checks
    assert stored.checks.geo_location_check is not None
    assert stored.checks.geo_location_check.locations[1].city_name == ""
    assert stored.checks.peer_network_range_check is not None
    assert stored.checks.peer_network_range_check.ranges == ["192.168.0.0/16", "10.1.2.3/32"]


def test_posture_check_request_always_sends_description_and_checks():
    assert PostureCheckRequest(name="empty").to_wire() == {
        "name": "empty",
        "description": "",
        "checks": {},
    }


def test_posture_check_response_omitting_empty_values_equals_the_request():
    sent = PostureCheckRequest(
        name="p", checks={"process_check": {"processes": [{"mac_path": "/Applications/X"}]}}
    )
    # NetBird omits the empty paths and the empty description on the way back.
    stored = PostureCheck.model_validate(
        {
            "id": "pc",
            "name": "p",
            "checks": {"process_check": {"processes": [{"mac_path": "/Applications/X"}]}},
        }
    )
    assert stored.checks == sent.checks
    assert stored.description == sent.description


def test_setup_key_reads_normalise_never_used_and_null_groups():
    key = SetupKey.model_validate(
        {
            "id": "k",
            "name": "ci",
            "type": "reusable",
            "key": "A1B2C****",
            "expires": "2030-01-01T00:00:00Z",
            "last_used": "0001-01-01T00:00:00Z",
            "auto_groups": None,
            "state": "valid",
            "valid": True,
        }
    )
    assert key.last_used is None
    assert key.auto_groups == []


def test_setup_key_create_sends_what_netbird_reads():
    assert SetupKeyCreate(
        name="ci", type="one-off", expires_in=86400, auto_groups=["g2", "g1"]
    ).to_wire() == {
        "name": "ci",
        "type": "one-off",
        "expires_in": 86400,
        "auto_groups": ["g1", "g2"],
        "usage_limit": 0,
        "ephemeral": False,
        "allow_extra_dns_labels": False,
    }


def test_requests_refuse_unknown_fields():
    # NetBird would silently ignore a misspelt field; we refuse it before sending.
    with pytest.raises(ValidationError):
        NetworkResourceRequest(name="db", adress="10.0.0.1", groups=[])  # type: ignore[call-arg]


def test_network_peer_and_nameserver_responses_tolerate_nulls_and_new_fields():
    network = Network.model_validate(
        {
            "id": "n",
            "name": "office",
            "routers": None,
            "resources": ["r2", "r1"],
            "policies": None,
            "routing_peers_count": 0,
            "new_field": True,
        }
    )
    assert (network.routers, network.resources, network.policies) == ([], ["r1", "r2"], [])
    peer = Peer.model_validate(
        {
            "id": "p",
            "name": "gw",
            "connected": True,
            "last_seen": "2025-01-01T00:00:00Z",
            "groups": [{"id": "g1", "name": "All"}],
            "login_expired": False,
        }
    )
    assert peer.groups == ["g1"]
    ns = NameserverGroup.model_validate(
        {
            "id": "ns",
            "name": "corp",
            "nameservers": [{"ip": "10.0.0.53", "ns_type": "udp", "port": 53}],
            "enabled": True,
            "groups": ["g1"],
            "primary": False,
            "domains": None,
            "search_domains_enabled": False,
        }
    )
    assert ns.domains == []
    assert ns.description == ""
