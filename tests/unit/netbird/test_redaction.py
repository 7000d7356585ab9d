"""The API token and setup-key values never reach logs, exception text or reprs."""

from __future__ import annotations

import logging

import httpx
import pytest

from nbaccess.netbird import errors
from nbaccess.netbird.client import NetBirdClient
from nbaccess.netbird.models import SetupKeyCreate
from nbaccess.netbird.redact import REDACTED, RedactingFilter, SecretRegistry, redact

from .conftest import TOKEN, error

PLAIN_KEY = "A6A2F3C1-9E4B-4C7D-8F10-2B3C4D5E6F70"


def echoing_token(request: httpx.Request) -> httpx.Response:
    # A hostile or buggy proxy that echoes the Authorization header into its error body.
    return error(500, f"upstream failed for {request.headers['authorization']}")


async def test_token_is_not_in_logs_or_errors_even_when_the_server_echoes_it(harness, caplog):
    caplog.set_level(logging.DEBUG)
    h = harness(echoing_token, max_attempts=3, list_cache_ttl=0)
    with pytest.raises(errors.ServerError) as caught:
        await h.client.list_groups()
    assert "upstream failed" in caught.value.message  # NetBird's words are kept...
    assert REDACTED in caught.value.message
    for text in (str(caught.value), repr(caught.value), caught.value.message, caplog.text):
        assert TOKEN not in text  # ...but not the token
    assert "retrying" in caplog.text  # the retries were logged, and the check saw them


async def test_token_is_not_in_logs_of_a_transport_failure(harness, caplog):
    caplog.set_level(logging.DEBUG)

    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot connect ({request.headers['authorization']})")

    h = harness(handler, max_attempts=2, list_cache_ttl=0)
    with pytest.raises(errors.TransportError) as caught:
        await h.client.get_peer("p1")
    assert TOKEN not in str(caught.value)
    assert TOKEN not in caplog.text


async def test_token_is_sent_only_in_the_authorization_header(harness):
    h = harness(lambda request: httpx.Response(200, json=[]))
    await h.client.list_peers()
    request = h.requests[0]
    assert request.headers["authorization"] == f"Token {TOKEN}"
    assert TOKEN not in str(request.url)


def test_client_repr_hides_the_token():
    client = NetBirdClient("https://netbird.test", TOKEN)
    assert TOKEN not in repr(client)
    assert TOKEN not in repr(client.secrets)


def test_client_refuses_a_base_url_with_api_suffix():
    with pytest.raises(ValueError, match="without /api"):
        NetBirdClient("https://netbird.test/api", TOKEN)


def _created_key(request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "id": "k1",
            "name": "ci",
            "type": "one-off",
            "key": PLAIN_KEY,
            "expires": "2030-01-01T00:00:00Z",
            "valid": True,
            "revoked": False,
            "used_times": 0,
            "last_used": "0001-01-01T00:00:00Z",
            "state": "valid",
            "auto_groups": [],
            "usage_limit": 1,
            "ephemeral": False,
            "allow_extra_dns_labels": False,
        },
    )


async def test_setup_key_value_is_returned_once_and_never_shown(harness, caplog):
    caplog.set_level(logging.DEBUG)
    h = harness(_created_key)
    created = await h.client.create_setup_key(
        SetupKeyCreate(name="ci", type="one-off", expires_in=86400, usage_limit=1)
    )
    assert created.key.get_secret_value() == PLAIN_KEY
    assert PLAIN_KEY not in repr(created)
    assert PLAIN_KEY not in str(created)
    assert PLAIN_KEY not in created.model_dump_json()
    assert PLAIN_KEY not in repr(created.as_setup_key())
    assert PLAIN_KEY not in caplog.text
    # Once created, the client redacts the value wherever it might come back.
    assert h.client.secrets.redact(f"key {PLAIN_KEY}") == f"key {REDACTED}"


async def test_a_malformed_create_response_does_not_leak_the_key(harness):
    def handler(request: httpx.Request) -> httpx.Response:
        # `name` missing: validation fails on a body that holds the plain key.
        return httpx.Response(200, json={"id": "k1", "type": "one-off", "key": PLAIN_KEY})

    h = harness(handler)
    with pytest.raises(errors.UnexpectedResponse) as caught:
        await h.client.create_setup_key(SetupKeyCreate(name="ci", type="one-off", expires_in=60))
    assert "name" in caught.value.message
    assert PLAIN_KEY not in str(caught.value)
    assert caught.value.__cause__ is None  # the pydantic error (with input values) is dropped


def test_redacting_filter_cleans_records_from_any_library():
    registry = SecretRegistry(TOKEN)
    handler = logging.StreamHandler()
    handler.addFilter(RedactingFilter(registry))
    logger = logging.getLogger("some.library")
    record = logger.makeRecord(
        "some.library", logging.INFO, __file__, 1, "sent header %s", (f"Token {TOKEN}",), None
    )
    assert handler.filter(record)
    assert record.getMessage() == f"sent header Token {REDACTED}"


def test_redact_ignores_short_values_that_would_mangle_text():
    assert redact("a token abc", ["abc", TOKEN]) == "a token abc"
    assert redact(f"x{TOKEN}y", [TOKEN]) == f"x{REDACTED}y"
