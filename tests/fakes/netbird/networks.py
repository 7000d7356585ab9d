"""/api/networks with their resources and routers.

Resource names are unique per account (422), addresses are classified as NetBird does (a bare IP
becomes a /32 host, an unusable address is an unclassified error, hence 500), group membership of
a resource is stored on the groups, router POST always enables, and deleting a network deletes
its resources and routers.
"""

from __future__ import annotations

import ipaddress
import re

from tests.fakes.netbird.errors import ApiError, Kind
from tests.fakes.netbird.groups import group_minimum
from tests.fakes.netbird.ids import new_xid
from tests.fakes.netbird.model import Account, Network, NetworkResource, NetworkRouter, ResourceRef
from tests.fakes.netbird.routing import Json, Request, Route

_DOMAIN = re.compile(
    r"^(?:\*\.)?(?:(?:xn--)?[a-zA-Z0-9_](?:[a-zA-Z0-9-_]{0,61}[a-zA-Z0-9])?\.)*"
    r"(?:xn--)?[a-zA-Z0-9](?:[a-zA-Z0-9-_]{0,61}[a-zA-Z0-9])?$"
)


def classify_address(address: str) -> tuple[str, str]:
    """(type, address as shown) for a resource address; ValueError when NetBird rejects it."""
    if "/" in address:
        host, _, bits = address.partition("/")
        if bits.isdigit() and (bits == "0" or not bits.startswith("0")) and "%" not in host:
            try:
                interface = ipaddress.ip_interface(address)
            except ValueError:
                pass
            else:
                full = interface.network.max_prefixlen
                return ("host" if interface.network.prefixlen == full else "subnet", str(interface))
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        pass
    else:
        return "host", f"{ip}/{ip.max_prefixlen}"
    try:
        ascii_form = address.encode("idna").decode().lower() if address else ""
    except UnicodeError:
        ascii_form = ""
    if ascii_form and _DOMAIN.match(ascii_form):
        return "domain", address
    raise ValueError("not a valid host, subnet, or domain")


def _not_found(message: str) -> ApiError:
    return ApiError.status(Kind.NOT_FOUND, message)


def _network_or_404(account: Account, network_id: str, context: str = "") -> Network:
    network = account.networks.get(network_id)
    if network is None:
        raise _not_found(f"{context}failed to get network: network: {network_id} not found")
    return network


# ---- networks -------------------------------------------------------------------------------


def _policies_applied(account: Account, network_id: str) -> list[str]:
    applied: list[str] = []
    for resource in account.resources.values():
        if resource.network_id != network_id:
            continue
        resource_groups = {group.id for group in account.groups_of_resource(resource.id)}
        for policy in account.policies.values():
            if not policy.enabled or policy.id in applied:
                continue
            for rule in policy.rules:
                if not rule.enabled:
                    continue
                by_resource = (
                    rule.destination_resource is not None
                    and rule.destination_resource.id == resource.id
                )
                if by_resource or resource_groups.intersection(rule.destinations):
                    applied.append(policy.id)
                    break
    return applied


def _routing_peers(account: Account, routers: list[NetworkRouter]) -> int:
    count = 0
    for router in routers:
        if router.peer:
            count += 1
        for group_id in router.peer_groups or []:
            group = account.groups.get(group_id)
            if group is not None:
                count += len(group.peers)
    return count


def render_network(
    account: Account,
    network: Network,
    no_routers: list[str] | None = None,
    no_resources: list[str] | None = None,
) -> Json:
    """NetBird shows an empty router or resource list as [] or null depending on the endpoint:
    both [] on create, routers [] but resources null on list, both null on get and update."""
    routers = [r for r in account.routers.values() if r.network_id == network.id]
    resource_ids = [r.id for r in account.resources.values() if r.network_id == network.id]
    return {
        "description": network.description,
        "id": network.id,
        "name": network.name,
        "policies": _policies_applied(account, network.id),
        "resources": resource_ids or no_resources,
        "routers": [router.id for router in routers] or no_routers,
        "routing_peers_count": _routing_peers(account, routers),
    }


def list_networks(account: Account, request: Request) -> Json:
    return [
        render_network(account, network, no_routers=[]) for network in account.networks.values()
    ]


def create_network(account: Account, request: Request) -> Json:
    body = request.body()
    network = Network(
        id=new_xid(), name=body.string("name"), description=body.string("description")
    )
    account.networks[network.id] = network
    return render_network(account, network, no_routers=[], no_resources=[])


def get_network(account: Account, request: Request) -> Json:
    network_id = request.params["networkId"]
    network = account.networks.get(network_id)
    if network is None:
        raise _not_found(f"network: {network_id} not found")
    return render_network(account, network)


def update_network(account: Account, request: Request) -> Json:
    body = request.body()
    network = _network_or_404(account, request.params["networkId"])
    network.name = body.string("name")
    network.description = body.string("description")
    return render_network(account, network)


def delete_network(account: Account, request: Request) -> Json:
    network = _network_or_404(account, request.params["networkId"])
    for resource in [r for r in account.resources.values() if r.network_id == network.id]:
        _detach_and_delete_resource(account, resource)
    for router in [r for r in account.routers.values() if r.network_id == network.id]:
        del account.routers[router.id]
    del account.networks[network.id]
    account.bump_serial()
    return {}


# ---- resources ------------------------------------------------------------------------------


def render_resource(account: Account, resource: NetworkResource) -> Json:
    groups = [group_minimum(group) for group in account.groups_of_resource(resource.id)]
    return {
        "address": resource.address,
        "description": resource.description,
        "enabled": resource.enabled,
        "groups": groups or None,
        "id": resource.id,
        "name": resource.name,
        "type": resource.type,
    }


def _resource_or_404(account: Account, resource_id: str, context: str) -> NetworkResource:
    resource = account.resources.get(resource_id)
    if resource is None:
        raise _not_found(f"{context}network resource: {resource_id} not found")
    return resource


def _set_resource_groups(
    account: Account, resource: NetworkResource, group_ids: list[str], context: str
) -> None:
    for group_id in group_ids:
        if group_id not in account.groups:
            raise _not_found(
                f"{context}failed to add resource to group: error adding resource to group: "
                f"group: {group_id} not found"
            )
    for group in account.groups.values():
        group.resources = [ref for ref in group.resources if ref.id != resource.id]
        if group.id in group_ids:
            group.resources.append(ResourceRef(id=resource.id, type=resource.type))


def _detach_and_delete_resource(account: Account, resource: NetworkResource) -> None:
    for group in account.groups_of_resource(resource.id):
        group.resources = [ref for ref in group.resources if ref.id != resource.id]
    del account.resources[resource.id]


def list_all_resources(account: Account, request: Request) -> Json:
    return [render_resource(account, resource) for resource in account.resources.values()]


def list_network_resources(account: Account, request: Request) -> Json:
    network_id = request.params["networkId"]
    found = [
        render_resource(account, resource)
        for resource in account.resources.values()
        if resource.network_id == network_id
    ]
    return found or None


def create_resource(account: Account, request: Request) -> Json:
    body = request.body()
    name = body.string("name")
    try:
        resource_type, address = classify_address(body.string("address"))
    except ValueError:
        raise ApiError.internal() from None
    context = "failed to create network resource: "
    if any(resource.name == name for resource in account.resources.values()):
        raise ApiError.status(
            Kind.INVALID_ARGUMENT, f"{context}resource with name {name} already exists"
        )
    network_id = request.params["networkId"]
    _network_or_404(account, network_id, context)
    resource = NetworkResource(
        id=new_xid(),
        network_id=network_id,
        name=name,
        description=body.string("description"),
        type=resource_type,
        address=address,
        enabled=body.boolean("enabled"),
    )
    group_ids = body.string_list("groups") or []
    account.resources[resource.id] = resource
    try:
        _set_resource_groups(account, resource, group_ids, context)
    except ApiError:
        del account.resources[resource.id]  # the real store rolls the transaction back
        raise
    account.bump_serial()
    return render_resource(account, resource)


def get_resource(account: Account, request: Request) -> Json:
    resource = _resource_or_404(
        account, request.params["resourceId"], "failed to get network resource: "
    )
    if resource.network_id != request.params["networkId"]:
        raise ApiError.internal()  # "resource not part of network" carries no status type
    return render_resource(account, resource)


def update_resource(account: Account, request: Request) -> Json:
    body = request.body()
    try:
        resource_type, address = classify_address(body.string("address"))
    except ValueError:
        raise ApiError.internal() from None
    context = "failed to update network resource: "
    network_id = request.params["networkId"]
    _network_or_404(account, network_id, context)
    resource = _resource_or_404(
        account, request.params["resourceId"], context + "failed to get network resource: "
    )
    name = body.string("name")
    if any(other.name == name and other.id != resource.id for other in account.resources.values()):
        raise ApiError.status(Kind.INVALID_ARGUMENT, f"{context}new resource name already exists")
    group_ids = body.string_list("groups") or []
    for group_id in group_ids:
        if group_id not in account.groups:
            raise _not_found(
                f"{context}failed to update resource groups: failed to add resource to group: "
                f"error adding resource to group: group: {group_id} not found"
            )
    # NetBird saves the network id from the path without checking it: a PUT under another
    # network moves the resource there.
    resource.network_id = network_id
    resource.name = name
    resource.description = body.string("description")
    resource.type = resource_type
    resource.address = address
    resource.enabled = body.boolean("enabled")
    _set_resource_groups(account, resource, group_ids, context)
    account.bump_serial()
    return render_resource(account, resource)


def delete_resource(account: Account, request: Request) -> Json:
    context = "failed to delete network resource: "
    resource = _resource_or_404(
        account, request.params["resourceId"], context + "failed to get network resource: "
    )
    _network_or_404(account, request.params["networkId"], context + "failed to delete resource: ")
    if resource.network_id != request.params["networkId"]:
        raise ApiError.internal()
    _detach_and_delete_resource(account, resource)
    account.bump_serial()
    return {}


# ---- routers --------------------------------------------------------------------------------


def render_router(router: NetworkRouter) -> Json:
    return {
        "enabled": router.enabled,
        "id": router.id,
        "masquerade": router.masquerade,
        "metric": router.metric,
        "peer": router.peer,
        "peer_groups": router.peer_groups,
    }


def _router_from_body(request: Request, router_id: str, enabled: bool | None) -> NetworkRouter:
    body = request.body()
    router = NetworkRouter(
        id=router_id,
        network_id=request.params["networkId"],
        peer=body.string("peer"),
        peer_groups=body.string_list("peer_groups"),
        masquerade=body.boolean("masquerade"),
        metric=body.integer("metric"),
        enabled=body.boolean("enabled") if enabled is None else enabled,
    )
    if router.peer and router.peer_groups:
        raise ApiError.raw(400, "peer and peer_groups cannot be set at the same time")
    if not router.peer and not router.peer_groups:
        raise ApiError.raw(400, "either peer or peer_groups must be provided")
    return router


def _router_or_404(account: Account, router_id: str, context: str = "") -> NetworkRouter:
    router = account.routers.get(router_id)
    if router is None:
        raise _not_found(
            f"{context}failed to get network router: network router: {router_id} not found"
        )
    return router


def list_all_routers(account: Account, request: Request) -> Json:
    return [render_router(router) for router in account.routers.values()]


def list_network_routers(account: Account, request: Request) -> Json:
    network_id = request.params["networkId"]
    return [render_router(r) for r in account.routers.values() if r.network_id == network_id]


def create_router(account: Account, request: Request) -> Json:
    # The handler sets Enabled = true whatever the body says.
    router = _router_from_body(request, new_xid(), enabled=True)
    _network_or_404(account, router.network_id)
    account.routers[router.id] = router
    account.bump_serial()
    return render_router(router)


def get_router(account: Account, request: Request) -> Json:
    router = _router_or_404(account, request.params["routerId"])
    if router.network_id != request.params["networkId"]:
        raise ApiError.internal()
    return render_router(router)


def update_router(account: Account, request: Request) -> Json:
    router = _router_from_body(request, request.params["routerId"], enabled=None)
    _network_or_404(account, router.network_id)
    existing = _router_or_404(account, router.id)
    if existing.network_id != router.network_id:
        raise ApiError.status(
            Kind.BAD_REQUEST,
            f"router {router.id} is not part of the network {router.network_id}",
        )
    account.routers[router.id] = router
    account.bump_serial()
    return render_router(router)


def delete_router(account: Account, request: Request) -> Json:
    router = _router_or_404(account, request.params["routerId"])
    network_id = request.params["networkId"]
    context = "failed to delete network router: "
    _network_or_404(account, network_id, context)
    if router.network_id != network_id:
        raise ApiError.status(
            Kind.BAD_REQUEST,
            f"{context}router {router.id} is not part of the network {network_id}",
        )
    del account.routers[router.id]
    account.bump_serial()
    return {}


# Registration order matters as in NetBird: /networks/resources and /networks/routers are
# registered before /networks/{networkId}, so a GET there lists all, while other methods fall
# through to the network routes with "resources" or "routers" as the id.
ROUTES = [
    Route("GET", "/networks/routers", list_all_routers),
    Route("GET", "/networks/{networkId}/routers", list_network_routers),
    Route("POST", "/networks/{networkId}/routers", create_router),
    Route("GET", "/networks/{networkId}/routers/{routerId}", get_router),
    Route("PUT", "/networks/{networkId}/routers/{routerId}", update_router),
    Route("DELETE", "/networks/{networkId}/routers/{routerId}", delete_router),
    Route("GET", "/networks/resources", list_all_resources),
    Route("GET", "/networks/{networkId}/resources", list_network_resources),
    Route("POST", "/networks/{networkId}/resources", create_resource),
    Route("GET", "/networks/{networkId}/resources/{resourceId}", get_resource),
    Route("PUT", "/networks/{networkId}/resources/{resourceId}", update_resource),
    Route("DELETE", "/networks/{networkId}/resources/{resourceId}", delete_resource),
    Route("GET", "/networks", list_networks),
    Route("POST", "/networks", create_network),
    Route("GET", "/networks/{networkId}", get_network),
    Route("PUT", "/networks/{networkId}", update_network),
    Route("DELETE", "/networks/{networkId}", delete_network),
]
