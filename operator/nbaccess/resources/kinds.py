"""The five kinds: names, models and `kubectl get` columns, in one table.

Everything that needs to know the kinds (CRD generation, offline validation, the kube layer)
reads this table, so adding a kind is one entry here plus its module.
"""

from __future__ import annotations

from dataclasses import dataclass

from nbaccess.resources.base import SpecModel
from nbaccess.resources.common import ManagedStatus
from nbaccess.resources.group import NetBirdGroupSpec, NetBirdGroupStatus
from nbaccess.resources.network import NetBirdNetworkSpec, NetBirdNetworkStatus
from nbaccess.resources.policy import NetBirdPolicySpec, NetBirdPolicyStatus
from nbaccess.resources.posture_check import PostureCheckSpec, PostureCheckStatus
from nbaccess.resources.setup_key import SetupKeySpec, SetupKeyStatus

GROUP = "nbaccess.dev"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"
CATEGORY = "netbird"


@dataclass(frozen=True)
class PrinterColumn:
    """One `kubectl get` column (additionalPrinterColumns entry)."""

    name: str
    json_path: str
    type: str = "string"
    description: str = ""
    priority: int = 0

    def as_crd(self) -> dict[str, object]:
        column: dict[str, object] = {"name": self.name, "jsonPath": self.json_path}
        column["type"] = self.type
        if self.description:
            column["description"] = self.description
        if self.priority:
            column["priority"] = self.priority
        return column


@dataclass(frozen=True)
class KindInfo:
    """A custom resource kind of ours."""

    kind: str
    plural: str
    singular: str
    short_name: str
    description: str
    spec_model: type[SpecModel]
    status_model: type[ManagedStatus]
    # Wide-only columns of this kind, shown between ID and Message.
    columns: tuple[PrinterColumn, ...] = ()

    @property
    def crd_name(self) -> str:
        return f"{self.plural}.{GROUP}"


_READY = '.status.conditions[?(@.type=="Ready")]'


def printer_columns(info: KindInfo) -> list[PrinterColumn]:
    """Ready, Reason, then (wide) ID, the kind's own, Message; Age last."""
    return [
        PrinterColumn("Ready", f"{_READY}.status", description="Ready condition status"),
        PrinterColumn("Reason", f"{_READY}.reason", description="Ready condition reason"),
        PrinterColumn("ID", ".status.id", description="NetBird id", priority=1),
        *info.columns,
        PrinterColumn("Message", f"{_READY}.message", description="Ready message", priority=1),
        PrinterColumn("Age", ".metadata.creationTimestamp", type="date"),
    ]


KINDS: tuple[KindInfo, ...] = (
    KindInfo(
        kind="NetBirdGroup",
        plural="netbirdgroups",
        singular="netbirdgroup",
        short_name="nbg",
        description="A NetBird group: created and kept in shape, or only observed.",
        spec_model=NetBirdGroupSpec,
        status_model=NetBirdGroupStatus,
        columns=(PrinterColumn("Peers", ".status.peersCount", "integer", "Peers", 1),),
    ),
    KindInfo(
        kind="NetBirdPolicy",
        plural="netbirdpolicies",
        singular="netbirdpolicy",
        short_name="nbp",
        description="A NetBird access policy with one rule: which sources may reach what.",
        spec_model=NetBirdPolicySpec,
        status_model=NetBirdPolicyStatus,
        columns=(
            PrinterColumn("Action", ".spec.action", priority=1),
            PrinterColumn("Protocol", ".spec.protocol", priority=1),
            PrinterColumn("Ports", ".status.ports", priority=1),
        ),
    ),
    KindInfo(
        kind="NetBirdNetwork",
        plural="netbirdnetworks",
        singular="netbirdnetwork",
        short_name="nbn",
        description="A NetBird Network with its resources and routing peers.",
        spec_model=NetBirdNetworkSpec,
        status_model=NetBirdNetworkStatus,
        columns=(
            PrinterColumn(
                "Routing-Peers",
                ".status.routingPeersSummary",
                "string",
                "Connected of all routing peers, and how many are wanted",
                1,
            ),
        ),
    ),
    KindInfo(
        kind="SetupKey",
        plural="setupkeys",
        singular="setupkey",
        short_name="nbsk",
        description="A NetBird setup key, written to a Secret and rotated before it expires.",
        spec_model=SetupKeySpec,
        status_model=SetupKeyStatus,
        columns=(
            PrinterColumn("Type", ".spec.type", priority=1),
            # A string: kubectl shows a "date" column as an age, "<invalid>" for the future.
            PrinterColumn("Expires", ".status.expiresAt", "string", "When the key expires", 1),
        ),
    ),
    KindInfo(
        kind="PostureCheck",
        plural="posturechecks",
        singular="posturecheck",
        short_name="nbpc",
        description="A NetBird posture check that policies can require of source peers.",
        spec_model=PostureCheckSpec,
        status_model=PostureCheckStatus,
    ),
)

_BY_KIND = {info.kind: info for info in KINDS}


def kind_info(kind: str) -> KindInfo | None:
    """The kind's entry, or None for a kind that is not ours."""
    return _BY_KIND.get(kind)


__all__ = [
    "API_VERSION",
    "CATEGORY",
    "GROUP",
    "KINDS",
    "VERSION",
    "KindInfo",
    "PrinterColumn",
    "kind_info",
    "printer_columns",
]
