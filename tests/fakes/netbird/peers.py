"""/api/peers: read-mostly; peers appear only by enrollment (FakeNetBird.add_peer)."""

from __future__ import annotations

from tests.fakes.netbird.errors import ApiError, Kind
from tests.fakes.netbird.groups import group_minimum
from tests.fakes.netbird.model import Account, Peer, go_time
from tests.fakes.netbird.routing import Json, Request, Route

DNS_DOMAIN = "netbird.selfhosted"
_LOCAL_FLAGS = (
    "block_inbound",
    "block_lan_access",
    "disable_client_routes",
    "disable_dns",
    "disable_firewall",
    "disable_server_routes",
    "lazy_connection_enabled",
    "rosenpass_enabled",
    "rosenpass_permissive",
    "server_ssh_allowed",
)


def dns_label(peer: Peer) -> str:
    return f"{peer.name.lower().replace(' ', '-')}.{DNS_DOMAIN}"


def render_peer(account: Account, peer: Peer, in_list: bool = False) -> Json:
    groups = [group_minimum(group) for group in account.groups_of_peer(peer.id)]
    rendered: dict[str, Json] = {
        "approval_required": peer.approval_required,
        "city_name": peer.city_name,
        "connected": peer.connected,
        "connection_ip": peer.connection_ip,
        "country_code": peer.country_code,
        "created_at": go_time(peer.created_at),
        "dns_label": dns_label(peer),
        "ephemeral": peer.ephemeral,
        "extra_dns_labels": [],
        "geoname_id": 0,
        "groups": groups or None,
        "hostname": peer.hostname or peer.name,
        "id": peer.id,
        "inactivity_expiration_enabled": peer.inactivity_expiration_enabled,
        "ip": peer.ip,
        "kernel_version": peer.kernel_version,
        "last_login": go_time(peer.created_at),
        "last_seen": go_time(peer.last_seen),
        "local_flags": dict.fromkeys(_LOCAL_FLAGS, False),
        "login_expiration_enabled": peer.login_expiration_enabled,
        "login_expired": peer.login_expired,
        "name": peer.name,
        "os": f"{peer.os} {peer.os_version}",
        "serial_number": "",
        "ssh_enabled": peer.ssh_enabled,
        "ui_version": "",
        "user_id": peer.user_id,
        "version": peer.version,
    }
    if peer.approval_required:
        rendered["disapproval_reason"] = ""
    if in_list:
        rendered["accessible_peers_count"] = 0
    return rendered


def accessible_peer_ids(account: Account, peer_id: str) -> list[str]:
    """Peers the given peer may reach through enabled group-to-group policy rules.

    A simplification of NetBird's network map: resource-based rules and routing are not modelled.
    """
    member_of = {group.id for group in account.groups_of_peer(peer_id)}
    reachable: list[str] = []

    def add_members(group_ids: list[str]) -> None:
        for group_id in group_ids:
            group = account.groups.get(group_id)
            for other in group.peers if group else []:
                if other != peer_id and other in account.peers and other not in reachable:
                    reachable.append(other)

    for policy in account.policies.values():
        if not policy.enabled:
            continue
        for rule in policy.rules:
            if not rule.enabled:
                continue
            if member_of.intersection(rule.sources):
                add_members(rule.destinations)
            if rule.bidirectional and member_of.intersection(rule.destinations):
                add_members(rule.sources)
    return reachable


def _get_or_404(account: Account, peer_id: str) -> Peer:
    peer = account.peers.get(peer_id)
    if peer is None:
        raise ApiError.status(Kind.NOT_FOUND, f"peer not found: {peer_id}")
    return peer


def list_peers(account: Account, request: Request) -> Json:
    name_filter = request.query.get("name", "")
    ip_filter = request.query.get("ip", "")
    return [
        render_peer(account, peer, in_list=True)
        for peer in account.peers.values()
        if name_filter in peer.name and ip_filter in peer.ip
    ]


def get_peer(account: Account, request: Request) -> Json:
    return render_peer(account, _get_or_404(account, request.params["peerId"]))


def update_peer(account: Account, request: Request) -> Json:
    body = request.body()
    peer = _get_or_404(account, request.params["peerId"])
    peer.name = body.string("name") or peer.name
    peer.ssh_enabled = body.boolean("ssh_enabled")
    peer.login_expiration_enabled = body.boolean("login_expiration_enabled")
    peer.inactivity_expiration_enabled = body.boolean("inactivity_expiration_enabled")
    approval = body.opt_bool("approval_required")
    if approval is not None:
        peer.approval_required = approval
    account.bump_serial()
    return render_peer(account, peer)


def delete_peer(account: Account, request: Request) -> Json:
    peer = _get_or_404(account, request.params["peerId"])
    for group in account.groups_of_peer(peer.id):
        group.peers.remove(peer.id)
    del account.peers[peer.id]
    account.bump_serial()
    return {}


def list_accessible_peers(account: Account, request: Request) -> Json:
    result = []
    for other_id in accessible_peer_ids(account, request.params["peerId"]):
        other = account.peers[other_id]
        result.append(
            {
                "city_name": other.city_name,
                "connected": other.connected,
                "country_code": other.country_code,
                "dns_label": dns_label(other),
                "geoname_id": 0,
                "id": other.id,
                "ip": other.ip,
                "last_seen": go_time(other.last_seen),
                "name": other.name,
                "os": other.os,
                "user_id": other.user_id,
            }
        )
    return result


ROUTES = [
    Route("GET", "/peers", list_peers),
    Route("GET", "/peers/{peerId}", get_peer),
    Route("PUT", "/peers/{peerId}", update_peer),
    Route("DELETE", "/peers/{peerId}", delete_peer),
    Route("GET", "/peers/{peerId}/accessible-peers", list_accessible_peers),
]
