"""Each NetBird failure becomes the error class a reconciler decides on, with NetBird's words."""

from __future__ import annotations

import httpx
import pytest

from nbaccess.netbird import errors
from nbaccess.netbird.models import GroupRequest, PolicyRequest, PolicyRuleRequest

from .conftest import error


def _group() -> GroupRequest:
    return GroupRequest(name="devs", peers=[], resources=[])


@pytest.mark.parametrize(
    ("response", "expected", "message"),
    [
        # Validation errors are 422 on the real server, though the spec says 400.
        (error(422, "policy name shouldn't be empty"), errors.Invalid, "policy name"),
        (error(409, "group with name devs already exists"), errors.Conflict, "already exists"),
        (error(401, "token invalid"), errors.Unauthorized, "token invalid"),
        (error(403, "permission denied"), errors.Forbidden, "permission denied"),
        (
            error(412, "posture checks have been linked to policy: p"),
            errors.PreconditionFailed,
            "linked",
        ),
        (httpx.Response(404, text="404 page not found\n"), errors.NotFound, "404 page not found"),
        (error(429, "too many requests"), errors.RateLimited, "too many requests"),
        (error(500, "internal server error"), errors.ServerError, "internal server error"),
        (httpx.Response(502, text="<html>Bad Gateway</html>"), errors.ServerError, "Bad Gateway"),
    ],
)
async def test_status_and_body_map_to_error_class(harness, response, expected, message):
    h = harness(lambda request: response, max_attempts=1)
    with pytest.raises(expected) as caught:
        await h.client.create_group(_group())
    exc = caught.value
    assert exc.status == response.status_code
    assert message in exc.message
    assert exc.retryable is (response.status_code in (429,) or response.status_code >= 500)


async def test_error_text_names_method_route_status_and_message(harness):
    h = harness(lambda request: error(409, "group with name devs already exists"))
    with pytest.raises(errors.Conflict) as caught:
        await h.client.update_group("abc123", _group())
    text = str(caught.value)
    assert text == "PUT /api/groups/{id} -> 409: group with name devs already exists"
    assert "abc123" not in text  # the route template, not the raw path


async def test_group_delete_still_linked_is_in_use_not_missing(harness):
    h = harness(lambda request: error(400, "group has been linked to policy: allow-devs"))
    with pytest.raises(errors.Invalid) as caught:
        await h.client.delete_group("g1")
    assert errors.is_in_use(caught.value)
    assert not errors.is_not_found(caught.value)


async def test_group_delete_of_missing_group_is_not_found(harness):
    # NetBird answers a 400, not a 404, when the group to delete does not exist.
    h = harness(lambda request: error(400, "group: g1 not found"))
    with pytest.raises(errors.Invalid) as caught:
        await h.client.delete_group("g1")
    assert errors.is_not_found(caught.value)
    assert not errors.is_in_use(caught.value)


async def test_posture_check_delete_while_used_is_in_use(harness):
    h = harness(lambda request: error(412, "posture checks have been linked to policy: p"))
    with pytest.raises(errors.PreconditionFailed) as caught:
        await h.client.delete_posture_check("pc1")
    assert errors.is_in_use(caught.value)


async def test_unknown_token_answered_404_is_unauthorized_not_missing(harness):
    # A well-formed PAT NetBird does not know comes back 404; it must not read as "gone".
    h = harness(lambda request: error(404, "invalid token: pat: 1a2b not found"))
    with pytest.raises(errors.Unauthorized):
        await h.client.delete_policy("p1")


async def test_validation_error_of_request_is_invalid_with_field_message(harness):
    h = harness(
        lambda request: error(422, "specify either individual ports or port ranges, not both")
    )
    policy = PolicyRequest(
        name="p", rules=[PolicyRuleRequest(name="r", sources=["a"], destinations=["b"])]
    )
    with pytest.raises(errors.Invalid) as caught:
        await h.client.create_policy(policy)
    assert caught.value.status == 422
    assert caught.value.message == "specify either individual ports or port ranges, not both"


async def test_timeout_is_retryable_transport_error_without_status(harness):
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    h = harness(handler, max_attempts=1)
    with pytest.raises(errors.TransportError) as caught:
        await h.client.list_groups()
    assert caught.value.status is None
    assert caught.value.retryable
    assert str(caught.value).startswith("GET /api/groups -> no response: request timed out")


async def test_success_body_of_wrong_shape_is_reported_not_crashing(harness):
    h = harness(lambda request: httpx.Response(200, json={"not": "a list"}))
    with pytest.raises(errors.UnexpectedResponse):
        await h.client.list_groups()


def test_error_from_response_keeps_long_bodies_short():
    exc = errors.error_from_response(503, "x" * 5000, "GET", "/api/peers")
    assert isinstance(exc, errors.ServerError)
    assert len(exc.message) < 400


def test_other_4xx_is_a_plain_non_retryable_error():
    exc = errors.error_from_response(418, "teapot", "GET", "/api/peers")
    assert type(exc) is errors.NetBirdError
    assert not exc.retryable
