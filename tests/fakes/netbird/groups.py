"""/api/groups: names unique on create only, PUT replaces members, All is untouchable."""

from __future__ import annotations

from tests.fakes.netbird.body import Body
from tests.fakes.netbird.errors import ApiError, Kind
from tests.fakes.netbird.ids import new_xid
from tests.fakes.netbird.model import Account, Group, ResourceRef
from tests.fakes.netbird.routing import Json, Request, Route


def render_group(account: Account, group: Group) -> Json:
    seen: set[str] = set()
    peers = []
    for peer_id in group.peers:
        peer = account.peers.get(peer_id)
        if peer is None or peer_id in seen:
            continue
        seen.add(peer_id)
        peers.append({"id": peer.id, "name": peer.name})
    resources = [{"id": ref.id, "type": ref.type} for ref in group.resources]
    return {
        "id": group.id,
        "issued": group.issued,
        "name": group.name,
        "peers": peers or None,
        "peers_count": len(peers),
        "resources": resources or None,
        "resources_count": len(resources),
    }


def group_minimum(group: Group, with_resources: bool = True) -> Json:
    return {
        "id": group.id,
        "name": group.name,
        "peers_count": len(group.peers),
        "resources_count": len(group.resources) if with_resources else 0,
    }


def _resource_refs(body: Body) -> list[ResourceRef]:
    refs = []
    for item in body.object_list("resources") or []:
        refs.append(ResourceRef(id=item.string("id"), type=item.string("type")))
    return refs


def _membership(peer_ids: list[str]) -> list[str]:
    # NetBird stores a membership row per distinct id without checking the peer exists (no
    # foreign key to peers): group responses hide unknown ids, but peer counts elsewhere
    # (policy and resource group summaries, routing peer counts) include them.
    return list(dict.fromkeys(peer_ids))


def get_group_or_404(account: Account, group_id: str) -> Group:
    group = account.groups.get(group_id)
    if group is None:
        raise ApiError.status(Kind.NOT_FOUND, f"group: {group_id} not found")
    return group


def list_groups(account: Account, request: Request) -> Json:
    name = request.query.get("name")
    if name:
        group = account.group_by_name(name)
        if group is None:
            raise ApiError.status(Kind.NOT_FOUND, f"group: {name} not found")
        return [render_group(account, group)]
    return [render_group(account, group) for group in account.groups.values()]


def create_group(account: Account, request: Request) -> Json:
    body = request.body()
    name = body.string("name")
    if not name:
        raise ApiError.status(Kind.INVALID_ARGUMENT, "group name shouldn't be empty")
    peers = body.string_list("peers") or []
    resources = _resource_refs(body)
    if any(group.name == name for group in account.groups.values()):
        raise ApiError.status(Kind.ALREADY_EXISTS, f"group with name {name} already exists")
    # An xid carries its creation second, from the account's clock as NetBird's from its own.
    created = account.clock().timestamp()
    group = Group(id=new_xid(created), name=name, peers=_membership(peers), resources=resources)
    account.groups[group.id] = group
    account.bump_serial()
    return render_group(account, group)


def get_group(account: Account, request: Request) -> Json:
    return render_group(account, get_group_or_404(account, request.params["groupId"]))


def update_group(account: Account, request: Request) -> Json:
    group = get_group_or_404(account, request.params["groupId"])
    if group.id == account.all_group_id:
        raise ApiError.status(Kind.INVALID_ARGUMENT, "updating group ALL is not allowed")
    body = request.body()
    name = body.string("name")
    if not name:
        raise ApiError.status(Kind.INVALID_ARGUMENT, "group name shouldn't be empty")
    # Omitted peers or resources mean "none": NetBird replaces both lists on every PUT.
    group.name = name
    group.peers = _membership(body.string_list("peers") or [])
    group.resources = _resource_refs(body)
    account.bump_serial()
    return render_group(account, group)


def _linked_to(account: Account, group: Group) -> str | None:
    """What still uses the group, in the order NetBird checks (None when free to delete)."""
    if group.resources:
        return f"network resource: {group.resources[0].id}"
    for ns_group in account.nameserver_groups.values():
        if group.id in ns_group.groups:
            return f"name server groups: {ns_group.name}"
    for policy in account.policies.values():
        for rule in policy.rules:
            if group.id in rule.sources or group.id in rule.destinations:
                return f"policy: {policy.name}"
    for key in account.setup_keys.values():
        if group.id in key.auto_groups:
            return f"setup key: {key.name}"
    for router in account.routers.values():
        if group.id in (router.peer_groups or []):
            return f"network router: {router.id}"
    return None


def delete_group(account: Account, request: Request) -> Json:
    group_id = request.params["groupId"]
    group = account.groups.get(group_id)
    # NetBird joins per-group errors and the handler answers the first one as 400, so even a
    # missing group is 400 here, not 404.
    if group is None:
        raise ApiError.raw(400, f"group: {group_id} not found")
    if group.id == account.all_group_id:
        raise ApiError.raw(400, "deleting group ALL is not allowed")
    linked = _linked_to(account, group)
    if linked is not None:
        raise ApiError.raw(400, f"group has been linked to {linked}")
    del account.groups[group.id]
    account.bump_serial()
    return {}


ROUTES = [
    Route("GET", "/groups", list_groups),
    Route("POST", "/groups", create_group),
    Route("PUT", "/groups/{groupId}", update_group),
    Route("GET", "/groups/{groupId}", get_group),
    Route("DELETE", "/groups/{groupId}", delete_group),
]
