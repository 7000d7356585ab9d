"""The project's NetBirdClient against both backends: normalised models and error classes."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from nbaccess.netbird.client import ClientOptions, NetBirdClient, policy_dropped_ids
from nbaccess.netbird.errors import (
    Conflict,
    Invalid,
    NotFound,
    PreconditionFailed,
    Unauthorized,
)
from nbaccess.netbird.models import (
    GroupRequest,
    NetworkRequest,
    NetworkResourceRequest,
    NetworkRouterRequest,
    PolicyRequest,
    PolicyRuleRequest,
    PostureCheckRequest,
    SetupKeyCreate,
)
from tests.integration.conftest import NetBirdBackend, unique
from tests.integration.contract.shapes import UNKNOWN_ID


class Cleanup:
    """Deletes through the client, newest first, whatever a test registered."""

    def __init__(self, client: NetBirdClient) -> None:
        self.client = client
        self.steps: list[tuple[str, tuple[str, ...]]] = []

    def later(self, method: str, *args: str) -> None:
        self.steps.append((method, args))

    async def run(self) -> None:
        for method, args in reversed(self.steps):
            with contextlib.suppress(NotFound):
                await getattr(self.client, method)(*args)


@pytest.fixture
async def client(netbird_backend: NetBirdBackend) -> AsyncIterator[NetBirdClient]:
    options = ClientOptions(list_cache_ttl=0, max_attempts=2, backoff_base=0.01)
    async with NetBirdClient(
        netbird_backend.base_url,
        netbird_backend.token,
        options=options,
        transport=netbird_backend.transport,
    ) as netbird:
        yield netbird


@pytest.fixture
async def cleanup(client: NetBirdClient) -> AsyncIterator[Cleanup]:
    steps = Cleanup(client)
    yield steps
    await steps.run()


async def test_group_round_trip_and_conflict(client: NetBirdClient, cleanup: Cleanup) -> None:
    name = unique("grp")
    created = await client.create_group(GroupRequest(name=name, peers=[], resources=[]))
    cleanup.later("delete_group", created.id)
    assert (await client.get_group(created.id, fresh=True)).name == name
    assert created.peers == []
    assert created.resources == []
    with pytest.raises(Conflict):
        await client.create_group(GroupRequest(name=name, peers=[], resources=[]))


async def test_a_rotated_token_is_used_from_the_next_request(
    netbird_backend: NetBirdBackend,
) -> None:
    options = ClientOptions(list_cache_ttl=0, max_attempts=1)
    # A well-formed token NetBird does not know: what a revoked one looks like.
    revoked = "nbp_" + "A" * 30 + "000000"
    async with NetBirdClient(
        netbird_backend.base_url, revoked, options=options, transport=netbird_backend.transport
    ) as netbird:
        with pytest.raises(Unauthorized) as refused:
            await netbird.list_groups()
        assert revoked not in str(refused.value)
        netbird.set_token(SecretStr(netbird_backend.token))
        assert any(g.name == "All" for g in await netbird.list_groups())
        assert revoked not in netbird.secrets.redact(f"echo {revoked}")


async def test_missing_objects_raise_not_found(client: NetBirdClient) -> None:
    with pytest.raises(NotFound):
        await client.get_policy(UNKNOWN_ID, fresh=True)
    with pytest.raises(NotFound):
        await client.get_setup_key(UNKNOWN_ID, fresh=True)


async def test_dropped_policy_group_is_detected(client: NetBirdClient, cleanup: Cleanup) -> None:
    group = await client.create_group(GroupRequest(name=unique("grp"), peers=[], resources=[]))
    cleanup.later("delete_group", group.id)
    request = PolicyRequest(
        name=unique("pol"),
        rules=[
            PolicyRuleRequest(name="r", sources=[group.id, UNKNOWN_ID], destinations=[group.id])
        ],
    )
    stored = await client.create_policy(request)
    cleanup.later("delete_policy", stored.id)
    assert policy_dropped_ids(request, stored) == {"sources": [UNKNOWN_ID]}


async def test_posture_check_in_use_is_precondition_failed(
    client: NetBirdClient, cleanup: Cleanup
) -> None:
    check = await client.create_posture_check(
        PostureCheckRequest.model_validate(
            {"name": unique("pc"), "checks": {"nb_version_check": {"min_version": "0.25.0"}}}
        )
    )
    cleanup.later("delete_posture_check", check.id)
    group = await client.create_group(GroupRequest(name=unique("grp"), peers=[], resources=[]))
    cleanup.later("delete_group", group.id)
    stored = await client.create_policy(
        PolicyRequest(
            name=unique("pol"),
            source_posture_checks=[check.id],
            rules=[PolicyRuleRequest(name="r", sources=[group.id], destinations=[group.id])],
        )
    )
    cleanup.later("delete_policy", stored.id)
    with pytest.raises(PreconditionFailed):
        await client.delete_posture_check(check.id)


async def test_setup_key_secret_only_on_create(client: NetBirdClient, cleanup: Cleanup) -> None:
    created = await client.create_setup_key(
        SetupKeyCreate(name=unique("key"), type="reusable", expires_in=86400)
    )
    cleanup.later("delete_setup_key", created.id)
    plain = created.key.get_secret_value()
    assert len(plain) == 36
    assert plain not in repr(created)
    fetched = await client.get_setup_key(created.id, fresh=True)
    assert fetched.key == plain[:5] + "****"
    with pytest.raises(Invalid):
        await client.create_setup_key(
            SetupKeyCreate(name=unique("key"), type="one-off", expires_in=86400, usage_limit=2)
        )


async def test_network_resource_and_router_are_normalised(
    client: NetBirdClient, cleanup: Cleanup
) -> None:
    group = await client.create_group(GroupRequest(name=unique("grp"), peers=[], resources=[]))
    cleanup.later("delete_group", group.id)
    network = await client.create_network(NetworkRequest(name=unique("net")))
    cleanup.later("delete_network", network.id)
    resource = await client.create_network_resource(
        network.id,
        NetworkResourceRequest(name=unique("res"), address="10.7.0.1", groups=[group.id]),
    )
    assert resource.address == "10.7.0.1/32"
    assert resource.groups == [group.id]
    router = await client.create_network_router(
        network.id, NetworkRouterRequest(peer_groups=[group.id], enabled=False)
    )
    assert router.enabled is True  # NetBird enables on create; disabling needs a PUT
    assert router.peer is None
    assert router.peer_groups == [group.id]
