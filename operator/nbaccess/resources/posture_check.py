"""PostureCheck: conditions a peer must meet before a policy applies to it.

The checks mirror NetBird's, with NetBird's own validation moved up front: at least one check;
an OS check names at least one OS; a process names at least one path; versions parse; country
codes are two letters; ranges are CIDRs.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from nbaccess.resources.base import Rule, SpecModel, list_set
from nbaccess.resources.common import (
    CIDR,
    VALID_IPV6,
    VERSION,
    Description,
    ManagedSpec,
    ManagedStatus,
    NetBirdName,
)

Version = Annotated[str, Field(min_length=1, max_length=64, pattern=VERSION)]
Path = Annotated[str, Field(min_length=1, max_length=4096)]
Cidr = Annotated[str, Field(max_length=64, pattern=CIDR), VALID_IPV6]


class MinVersion(SpecModel):
    """A minimum version."""

    min_version: Version = Field(description="Lowest accepted version, e.g. 0.59.0.")


class MinKernelVersion(SpecModel):
    """A minimum kernel version."""

    min_kernel_version: Version = Field(
        description="Lowest accepted kernel version, e.g. 5.15.0 (Linux) or 10.0.19045 (Windows)."
    )


class OsVersionCheck(SpecModel):
    """Minimum operating-system versions; peers of an OS not listed are denied."""

    __rules__ = (
        Rule(
            cel="has(self.linux) || has(self.windows) || has(self.darwin) || has(self.ios) "
            "|| has(self.android)",
            message="name at least one of linux, windows, darwin, ios or android",
            check=lambda s: any(
                v is not None for v in (s.linux, s.windows, s.darwin, s.ios, s.android)
            ),
        ),
    )

    linux: MinKernelVersion | None = Field(None, description="Minimum Linux kernel version.")
    windows: MinKernelVersion | None = Field(None, description="Minimum Windows kernel build.")
    darwin: MinVersion | None = Field(None, description="Minimum macOS version.")
    ios: MinVersion | None = Field(None, description="Minimum iOS version.")
    android: MinVersion | None = Field(None, description="Minimum Android version.")


class Location(SpecModel):
    """A country, optionally narrowed to a city."""

    country_code: str = Field(
        min_length=2,
        max_length=2,
        pattern=r"^[A-Za-z]{2}$",
        description="ISO 3166-1 alpha-2 country code, e.g. DE.",
    )
    city_name: str | None = Field(
        None, min_length=1, max_length=255, description="English city name, e.g. Berlin."
    )


class GeoLocationCheck(SpecModel):
    """Allow or deny peers by where their public address is located."""

    action: Literal["allow", "deny"] = Field(description="allow or deny peers in the locations.")
    locations: list[Location] = Field(
        min_length=1, max_length=100, description="Locations the action applies to."
    )


class PeerNetworkRangeCheck(SpecModel):
    """Allow or deny peers by their local or public addresses."""

    action: Literal["allow", "deny"] = Field(description="allow or deny peers in the ranges.")
    ranges: list[Cidr] = Field(
        min_length=1,
        max_length=100,
        description="CIDRs matched against the peer's interface addresses and its public address.",
        json_schema_extra=list_set(),
    )


class Process(SpecModel):
    """An executable that must be running, by path per OS (at least one)."""

    __rules__ = (
        Rule(
            cel="has(self.linuxPath) || has(self.macPath) || has(self.windowsPath)",
            message="set at least one of linuxPath, macPath or windowsPath",
            check=lambda s: any(v is not None for v in (s.linux_path, s.mac_path, s.windows_path)),
        ),
    )

    linux_path: Path | None = Field(None, description="Executable path on Linux.")
    mac_path: Path | None = Field(None, description="Executable path on macOS.")
    windows_path: Path | None = Field(None, description="Executable path on Windows.")


class ProcessCheck(SpecModel):
    """Processes that must be running on the peer."""

    processes: list[Process] = Field(
        min_length=1, max_length=32, description="Every one of these must be running."
    )


class Checks(SpecModel):
    """The checks; a peer must pass every one that is set (at least one)."""

    __rules__ = (
        Rule(
            cel="has(self.nbVersion) || has(self.osVersion) || has(self.geoLocation) "
            "|| has(self.peerNetworkRange) || has(self.process)",
            message="set at least one check: nbVersion, osVersion, geoLocation, "
            "peerNetworkRange or process",
            check=lambda s: any(
                v is not None
                for v in (
                    s.nb_version,
                    s.os_version,
                    s.geo_location,
                    s.peer_network_range,
                    s.process,
                )
            ),
        ),
    )

    nb_version: MinVersion | None = Field(None, description="Minimum NetBird client version.")
    os_version: OsVersionCheck | None = Field(None, description="Minimum OS versions.")
    geo_location: GeoLocationCheck | None = Field(
        None,
        description="Location of the peer's public address (needs the GeoLite database on "
        "the NetBird server).",
    )
    peer_network_range: PeerNetworkRangeCheck | None = Field(
        None, description="Address ranges of the peer."
    )
    process: ProcessCheck | None = Field(None, description="Processes running on the peer.")


class PostureCheckSpec(ManagedSpec):
    """A NetBird posture check, used by NetBirdPolicy.spec.postureChecks."""

    name: NetBirdName | None = Field(
        None, description="Posture check name in NetBird (unique there). Defaults to metadata.name."
    )
    description: Description = Field(
        "", description="Free text; the operator appends a marker naming this resource."
    )
    checks: Checks = Field(description="What a peer must satisfy (at least one check).")


class PostureCheckStatus(ManagedStatus):
    """Observed state of a PostureCheck."""
