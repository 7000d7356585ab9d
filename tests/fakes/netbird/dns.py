"""/api/dns/nameservers: nameserver groups (name 1..40 and unique, 1..3 servers, known groups)."""

from __future__ import annotations

import ipaddress

from tests.fakes.netbird.body import Body
from tests.fakes.netbird.errors import ApiError, Kind
from tests.fakes.netbird.ids import new_xid
from tests.fakes.netbird.model import Account, Nameserver, NameserverGroup
from tests.fakes.netbird.networks import classify_address
from tests.fakes.netbird.routing import Json, Request, Route

_MAX_NAME = 40


def _invalid(message: str) -> ApiError:
    return ApiError.status(Kind.INVALID_ARGUMENT, message)


def render_nameserver_group(group: NameserverGroup) -> Json:
    return {
        "description": group.description,
        "domains": group.domains,
        "enabled": group.enabled,
        "groups": group.groups,
        "id": group.id,
        "name": group.name,
        "nameservers": [
            {"ip": ns.ip, "ns_type": ns.ns_type, "port": ns.port} for ns in group.nameservers
        ]
        or None,
        "primary": group.primary,
        "search_domains_enabled": group.search_domains_enabled,
    }


def _nameservers(body: Body) -> list[Nameserver]:
    servers = []
    for item in body.object_list("nameservers") or []:
        ns_type = item.string("ns_type").lower()
        try:
            ip = ipaddress.ip_address(item.string("ip").strip("[]"))
        except ValueError:
            raise _invalid("invalid NS servers format") from None
        if ns_type != "udp":
            raise _invalid("invalid NS servers format")
        servers.append(Nameserver(ip=str(ip), ns_type=ns_type, port=item.integer("port")))
    return servers


def _parse(account: Account, body: Body, group_id: str) -> NameserverGroup:
    servers = _nameservers(body)
    group = NameserverGroup(
        id=group_id,
        name=body.string("name"),
        description=body.string("description"),
        nameservers=servers,
        groups=body.string_list("groups") or [],
        enabled=body.boolean("enabled"),
        primary=body.boolean("primary"),
        domains=body.string_list("domains") or [],
        search_domains_enabled=body.boolean("search_domains_enabled"),
    )
    if not group.primary and not group.domains:
        raise _invalid(
            "nameserver group primary status is false and domains are empty, it should be "
            "primary or have at least one domain"
        )
    if group.primary and group.domains:
        raise _invalid(
            "nameserver group primary status is true and domains are not empty, you should set "
            "either primary or domain"
        )
    if group.primary and group.search_domains_enabled:
        raise _invalid(
            "nameserver group primary status is true and search domains is enabled, you should "
            "not set search domains for primary nameservers"
        )
    for domain in group.domains:
        if domain.startswith("*.") or _not_a_domain(domain.removesuffix(".")):
            raise _invalid(f'nameserver group got an invalid domain: {domain} "invalid domain"')
    if not 1 <= len(servers) <= 3:
        raise _invalid(f"the list of nameservers should be 1 or 3, got {len(servers)}")
    if not group.name or len(group.name) > _MAX_NAME:
        raise _invalid(f"nameserver group name should be between 1 and {_MAX_NAME}")
    for other in account.nameserver_groups.values():
        if other.name == group.name and other.id != group.id:
            raise _invalid(f"nameserver group with name {group.name} already exist")
    if not group.groups:
        raise _invalid("the list of group IDs should not be empty")
    for member in group.groups:
        if not member:
            raise _invalid("group ID should not be empty string")
        if member not in account.groups:
            raise _invalid(f"group id {member} not found")
    return group


def _not_a_domain(text: str) -> bool:
    try:
        return classify_address(text)[0] != "domain"
    except ValueError:
        return True


def _get_or_404(account: Account, group_id: str) -> NameserverGroup:
    group = account.nameserver_groups.get(group_id)
    if group is None:
        raise ApiError.status(Kind.NOT_FOUND, f"nameserver group: {group_id} not found")
    return group


def list_nameserver_groups(account: Account, request: Request) -> Json:
    return [render_nameserver_group(group) for group in account.nameserver_groups.values()]


def create_nameserver_group(account: Account, request: Request) -> Json:
    group = _parse(account, request.body(), new_xid())
    account.nameserver_groups[group.id] = group
    account.bump_serial()
    return render_nameserver_group(group)


def get_nameserver_group(account: Account, request: Request) -> Json:
    return render_nameserver_group(_get_or_404(account, request.params["nsgroupId"]))


def update_nameserver_group(account: Account, request: Request) -> Json:
    body = request.body()
    _nameservers(body)  # a malformed server list is reported before a missing group
    existing = _get_or_404(account, request.params["nsgroupId"])
    group = _parse(account, body, existing.id)
    account.nameserver_groups[group.id] = group
    account.bump_serial()
    return render_nameserver_group(group)


def delete_nameserver_group(account: Account, request: Request) -> Json:
    group = _get_or_404(account, request.params["nsgroupId"])
    del account.nameserver_groups[group.id]
    account.bump_serial()
    return {}


ROUTES = [
    Route("GET", "/dns/nameservers", list_nameserver_groups),
    Route("POST", "/dns/nameservers", create_nameserver_group),
    Route("PUT", "/dns/nameservers/{nsgroupId}", update_nameserver_group),
    Route("GET", "/dns/nameservers/{nsgroupId}", get_nameserver_group),
    Route("DELETE", "/dns/nameservers/{nsgroupId}", delete_nameserver_group),
]
