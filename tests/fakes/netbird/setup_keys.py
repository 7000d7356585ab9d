"""/api/setup-keys: the plain key is shown once; afterwards only auto_groups and revoking change."""

from __future__ import annotations

from datetime import timedelta

from tests.fakes.netbird.errors import ApiError, Kind
from tests.fakes.netbird.ids import hidden_setup_key, new_setup_key, new_xid
from tests.fakes.netbird.model import Account, SetupKey, go_time
from tests.fakes.netbird.routing import Json, Request, Route


def key_state(account: Account, key: SetupKey) -> str:
    now = account.clock()
    if key.expires_at is not None and now > key.expires_at:
        return "expired"
    if key.revoked:
        return "revoked"
    limit = 1 if key.type == "one-off" else key.usage_limit
    if limit > 0 and key.used_times >= limit:
        return "overused"
    return "valid"


def render_setup_key(account: Account, key: SetupKey, plain: bool = False) -> Json:
    state = key_state(account, key)
    return {
        "allow_extra_dns_labels": key.allow_extra_dns_labels,
        "auto_groups": list(key.auto_groups),
        "ephemeral": key.ephemeral,
        "expires": go_time(key.expires_at),
        "id": key.id,
        "key": key.plain_key if plain else hidden_setup_key(key.plain_key),
        "last_used": go_time(key.last_used),
        "name": key.name,
        "revoked": key.revoked,
        "state": state,
        "type": key.type,
        "updated_at": go_time(key.updated_at),
        "usage_limit": key.usage_limit,
        "used_times": key.used_times,
        "valid": state == "valid",
    }


def _validate_auto_groups(account: Account, group_ids: list[str]) -> None:
    for group_id in group_ids:
        if group_id not in account.groups:
            raise ApiError.status(
                Kind.INVALID_ARGUMENT, f"invalid auto groups: group not found: {group_id}"
            )
        if group_id == account.all_group_id:
            raise ApiError.status(
                Kind.INVALID_ARGUMENT, "invalid auto groups: can't add 'All' group to the setup key"
            )


def _get_or_404(account: Account, key_id: str) -> SetupKey:
    key = account.setup_keys.get(key_id)
    if key is None:
        raise ApiError.status(Kind.NOT_FOUND, f"setup key: {key_id} not found")
    return key


def list_setup_keys(account: Account, request: Request) -> Json:
    return [render_setup_key(account, key) for key in account.setup_keys.values()]


def create_setup_key(account: Account, request: Request) -> Json:
    body = request.body()
    name = body.string("name")
    if not name:
        raise ApiError.status(Kind.INVALID_ARGUMENT, "setup key name shouldn't be empty")
    key_type = body.string("type")
    if key_type not in ("reusable", "one-off"):
        raise ApiError.status(Kind.INVALID_ARGUMENT, f"unknown setup key type {key_type}")
    usage_limit = body.integer("usage_limit")
    if key_type == "one-off" and usage_limit > 1:
        raise ApiError.status(
            Kind.INVALID_ARGUMENT,
            f"usage_limit {usage_limit} is not valid for a one-off setup key, which can be used "
            "once; use type reusable for a key that can be used more than once",
        )
    expires_in = body.integer("expires_in")
    if expires_in < 0:
        raise ApiError.status(Kind.INVALID_ARGUMENT, "expiresIn can not be in the past")
    auto_groups = body.string_list("auto_groups") or []
    _validate_auto_groups(account, auto_groups)
    now = account.clock()
    key = SetupKey(
        id=new_xid(),
        name=name,
        type=key_type,
        plain_key=new_setup_key(),
        created_at=now,
        expires_at=now + timedelta(seconds=expires_in) if expires_in else None,
        updated_at=now,
        auto_groups=auto_groups,
        usage_limit=1 if key_type == "one-off" else usage_limit,
        ephemeral=body.boolean("ephemeral"),
        allow_extra_dns_labels=body.boolean("allow_extra_dns_labels"),
    )
    account.setup_keys[key.id] = key
    return render_setup_key(account, key, plain=True)


def get_setup_key(account: Account, request: Request) -> Json:
    return render_setup_key(account, _get_or_404(account, request.params["keyId"]))


def update_setup_key(account: Account, request: Request) -> Json:
    body = request.body()
    auto_groups = body.string_list("auto_groups")
    if auto_groups is None:
        raise ApiError.status(Kind.INVALID_ARGUMENT, "setup key AutoGroups field is invalid")
    revoked = body.boolean("revoked")
    _validate_auto_groups(account, auto_groups)
    key = _get_or_404(account, request.params["keyId"])
    if key.revoked and not revoked:
        raise ApiError.status(Kind.INVALID_ARGUMENT, "can't un-revoke a revoked setup key")
    # Everything else in the body (name, type, expiry, limits) is ignored: it is immutable.
    key.auto_groups = auto_groups
    key.revoked = revoked
    key.updated_at = account.clock()
    return render_setup_key(account, key)


def delete_setup_key(account: Account, request: Request) -> Json:
    key = _get_or_404(account, request.params["keyId"])
    del account.setup_keys[key.id]
    return {}


ROUTES = [
    Route("GET", "/setup-keys", list_setup_keys),
    Route("POST", "/setup-keys", create_setup_key),
    Route("GET", "/setup-keys/{keyId}", get_setup_key),
    Route("PUT", "/setup-keys/{keyId}", update_setup_key),
    Route("DELETE", "/setup-keys/{keyId}", delete_setup_key),
]
