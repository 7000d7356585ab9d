"""/api/posture-checks: validated checks, names unique on create, 412 while a policy uses one."""

from __future__ import annotations

import ipaddress
import re

from tests.fakes.netbird.body import Body
from tests.fakes.netbird.errors import ApiError, DropConnection, Kind
from tests.fakes.netbird.ids import new_xid
from tests.fakes.netbird.model import Account, PostureCheck
from tests.fakes.netbird.routing import Json, Request, Route

# hashicorp/go-version's grammar, which NetBird uses to accept a version string.
_VERSION = re.compile(
    r"^v?[0-9]+(\.[0-9]+)*"
    r"(-([0-9]+[0-9A-Za-z\-~]*(\.[0-9A-Za-z\-~]+)*)|(-?([A-Za-z\-~]+[0-9A-Za-z\-~]*(\.[0-9A-Za-z\-~]+)*)))?"
    r"(\+([0-9A-Za-z\-~]+(\.[0-9A-Za-z\-~]+)*))?$"
)
_COUNTRY_CODE = re.compile(r"^[a-zA-Z]{2}$")
_GEO_DISABLED = (
    "Geo location database is not initialized. Check the self-hosted Geo database "
    "documentation at https://docs.netbird.io/selfhosted/geo-support"
)


def _invalid(message: str) -> ApiError:
    return ApiError.status(Kind.INVALID_ARGUMENT, message)


def _version_ok(version: str) -> bool:
    return bool(_VERSION.match(version.strip()))


def _prefix(text: str) -> str:
    if "/" not in text or "%" in text:
        raise ValueError(text)
    return str(ipaddress.ip_interface(text))


def _build_checks(checks: Body) -> dict[str, Json]:
    """The checks as NetBird stores and shows them; validation comes after, as in NetBird."""
    built: dict[str, Json] = {}
    nb_version = checks.opt_object("nb_version_check")
    if nb_version is not None:
        built["nb_version_check"] = {"min_version": nb_version.string("min_version")}
    os_version = checks.opt_object("os_version_check")
    if os_version is not None:
        per_os: dict[str, Json] = {}
        for os_name, field in (
            ("android", "min_version"),
            ("darwin", "min_version"),
            ("ios", "min_version"),
            ("linux", "min_kernel_version"),
            ("windows", "min_kernel_version"),
        ):
            entry = os_version.opt_object(os_name)
            if entry is not None:
                per_os[os_name] = {field: entry.string(field)}
        built["os_version_check"] = per_os
    geo = checks.opt_object("geo_location_check")
    if geo is not None:
        locations = []
        for location in geo.object_list("locations") or []:
            shown: dict[str, Json] = {"country_code": location.string("country_code")}
            if location.string("city_name"):
                shown["city_name"] = location.string("city_name")
            locations.append(shown)
        built["geo_location_check"] = {"action": geo.string("action"), "locations": locations}
    network_range = checks.opt_object("peer_network_range_check")
    if network_range is not None:
        try:
            ranges = [_prefix(text) for text in network_range.string_list("ranges") or []]
        except ValueError:
            raise _invalid("invalid network prefix") from None
        built["peer_network_range_check"] = {
            "action": network_range.string("action"),
            "ranges": ranges,
        }
    process = checks.opt_object("process_check")
    if process is not None:
        built["process_check"] = {
            "processes": [
                {
                    "linux_path": item.string("linux_path"),
                    "mac_path": item.string("mac_path"),
                    "windows_path": item.string("windows_path"),
                }
                for item in process.object_list("processes") or []
            ]
        }
    return built


def _validate(name: str, checks: dict[str, Json]) -> None:
    if not name:
        raise _invalid("posture checks name shouldn't be empty")
    if not checks:
        raise _invalid("posture checks shouldn't be empty")
    if "nb_version_check" in checks:
        version = checks["nb_version_check"]["min_version"]
        if not version:
            raise _invalid("NBVersionCheck minimum version shouldn't be empty")
        if not _version_ok(version):
            raise _invalid(f"NBVersionCheck version: {version} is not valid")
    if "os_version_check" in checks:
        per_os = checks["os_version_check"]
        if not per_os:
            raise _invalid("OSVersionCheck at least one OS version check is required")
        # NetBird's order and wording, double spaces included.
        for os_name, label in (
            ("android", " android"),
            ("ios", " ios"),
            ("darwin", "  darwin"),
            ("linux", "  linux kernel"),
            ("windows", "  windows kernel"),
        ):
            if os_name not in per_os:
                continue
            version = next(iter(per_os[os_name].values()))
            if not _version_ok(version):
                raise _invalid(f"OSVersionCheck{label} version: {version} is not valid")
    if "geo_location_check" in checks:
        geo = checks["geo_location_check"]
        if not geo["action"]:
            raise _invalid("GeoLocationCheck action shouldn't be empty")
        if geo["action"] not in ("allow", "deny"):
            raise _invalid("GeoLocationCheck action is not valid")
        if not geo["locations"]:
            raise _invalid("GeoLocationCheck locations shouldn't be empty")
        for location in geo["locations"]:
            if not location["country_code"]:
                raise _invalid("GeoLocationCheck country code shouldn't be empty")
            if not _COUNTRY_CODE.match(location["country_code"]):
                raise _invalid(
                    "GeoLocationCheck country code must be 2 letters (ISO 3166-1 alpha-2 format)"
                )
    if "peer_network_range_check" in checks:
        network_range = checks["peer_network_range_check"]
        if not network_range["action"]:
            raise _invalid("action for peer network range check shouldn't be empty")
        if network_range["action"] not in ("allow", "deny"):
            raise _invalid("PeerNetworkRangeCheck action is not valid")
        if not network_range["ranges"]:
            raise _invalid("PeerNetworkRangeCheck network ranges shouldn't be empty")
    if "process_check" in checks:
        processes = checks["process_check"]["processes"]
        if not processes:
            raise _invalid("ProcessCheck processes shouldn't be empty")
        if any(not any(process.values()) for process in processes):
            raise _invalid("ProcessCheck path shouldn't be empty")


def render_posture_check(check: PostureCheck) -> Json:
    return {
        "checks": check.checks,
        "description": check.description,
        "id": check.id,
        "name": check.name,
    }


def _save(account: Account, request: Request, existing: PostureCheck | None) -> Json:
    body = request.body()
    checks_body = body.opt_object("checks")
    if checks_body is None:
        # NetBird dereferences the missing checks and the handler panics.
        raise DropConnection()
    if checks_body.opt_object("geo_location_check") is not None and not account.geolocation_enabled:
        raise ApiError.status(Kind.PRECONDITION_FAILED, _GEO_DISABLED)
    checks = _build_checks(checks_body)
    name = body.string("name")
    _validate(name, checks)
    if existing is None and any(pc.name == name for pc in account.posture_checks.values()):
        raise _invalid(f"posture checks with name {name} already exists")
    check = PostureCheck(
        id=existing.id if existing else new_xid(),
        name=name,
        description=body.string("description"),
        checks=checks,
    )
    account.posture_checks[check.id] = check
    if existing is not None:
        account.bump_serial()
    return render_posture_check(check)


def _get_or_404(account: Account, check_id: str) -> PostureCheck:
    check = account.posture_checks.get(check_id)
    if check is None:
        raise ApiError.status(Kind.NOT_FOUND, f"posture checks: {check_id} not found")
    return check


def list_posture_checks(account: Account, request: Request) -> Json:
    return [render_posture_check(check) for check in account.posture_checks.values()]


def create_posture_check(account: Account, request: Request) -> Json:
    return _save(account, request, existing=None)


def get_posture_check(account: Account, request: Request) -> Json:
    return render_posture_check(_get_or_404(account, request.params["postureCheckId"]))


def update_posture_check(account: Account, request: Request) -> Json:
    existing = _get_or_404(account, request.params["postureCheckId"])
    return _save(account, request, existing=existing)


def delete_posture_check(account: Account, request: Request) -> Json:
    check = _get_or_404(account, request.params["postureCheckId"])
    for policy in account.policies.values():
        if check.id in (policy.source_posture_checks or []):
            raise ApiError.status(
                Kind.PRECONDITION_FAILED,
                f"posture checks have been linked to policy: {policy.name}",
            )
    del account.posture_checks[check.id]
    account.bump_serial()
    return {}


ROUTES = [
    Route("GET", "/posture-checks", list_posture_checks),
    Route("POST", "/posture-checks", create_posture_check),
    Route("PUT", "/posture-checks/{postureCheckId}", update_posture_check),
    Route("GET", "/posture-checks/{postureCheckId}", get_posture_check),
    Route("DELETE", "/posture-checks/{postureCheckId}", delete_posture_check),
]
