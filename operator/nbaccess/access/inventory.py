"""The custom resources of ours in the input, validated, with their references resolved.

Objects are keyed by kind, namespace and name, as the apiserver keys them; references never
cross namespaces. An object counts as *in effect* when it is valid and every `ref` it makes
resolves to an object in effect: otherwise the operator would keep it waiting
(DependencyNotReady) and NetBird would never see it, so it grants nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from nbaccess.access.findings import Finding
from nbaccess.access.loading import Document
from nbaccess.resources.base import SpecModel
from nbaccess.resources.common import GroupRef, PostureCheckRef
from nbaccess.resources.kinds import GROUP, kind_info
from nbaccess.resources.network import NetBirdNetworkSpec, NetworkResource
from nbaccess.resources.policy import NetBirdPolicySpec
from nbaccess.resources.setup_key import SetupKeySpec
from nbaccess.resources.validation import check_object

GROUP_KIND = "NetBirdGroup"
POLICY_KIND = "NetBirdPolicy"
NETWORK_KIND = "NetBirdNetwork"
POSTURE_KIND = "PostureCheck"
DEFAULT_NAMESPACE = "default"

S = TypeVar("S", bound=SpecModel)


@dataclass(frozen=True)
class ObjectKey:
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"


@dataclass
class Declared:
    """One object of ours from the input."""

    key: ObjectKey
    document: Document
    spec: SpecModel | None
    problems: list[str] = field(default_factory=list)

    @property
    def netbird_name(self) -> str:
        """The object's name in NetBird: `spec.name`, defaulting to `metadata.name`."""
        name = getattr(self.spec, "name", None)
        return name if isinstance(name, str) and name else self.key.name

    @property
    def qualified(self) -> str:
        return f"{self.key.namespace}/{self.key.name}"

    @property
    def annotations(self) -> Mapping[str, Any]:
        metadata = self.document.data.get("metadata")
        found = metadata.get("annotations") if isinstance(metadata, Mapping) else None
        return found if isinstance(found, Mapping) else {}

    def locate(self, found: Finding) -> Finding:
        """`found` as reported for this object: which object, which file and line."""
        return replace(
            found,
            kind=self.key.kind,
            namespace=self.key.namespace,
            name=self.key.name,
            file=self.document.source,
            line=self.document.line_of(found.field) if found.field else self.document.line,
            object_line=self.document.line,
        )


@dataclass(frozen=True)
class Reference:
    """A reference one object makes: to a CR of ours (`ref`) or to NetBird (`name`, `id`).

    `field` is where the reference is written; `ref_field` where its CR name is.
    """

    field: str
    kind: str
    ref: str | None = None
    name: str | None = None
    id: str | None = None
    ref_field: str = ""


def is_ours(data: Mapping[str, Any]) -> bool:
    """Our API group (any version: a wrong version is for validation to report)."""
    api_version = data.get("apiVersion")
    if api_version is None:
        return kind_info(str(data.get("kind"))) is not None
    return isinstance(api_version, str) and api_version.split("/")[0] == GROUP


def object_key(data: Mapping[str, Any], namespace: str) -> ObjectKey:
    metadata = data.get("metadata")
    metadata = metadata if isinstance(metadata, Mapping) else {}
    return ObjectKey(
        str(data.get("kind", "")),
        str(metadata.get("namespace") or namespace),
        str(metadata.get("name") or ""),
    )


class Inventory:
    """Our objects from the input, in input order, with lookups by key and by kind."""

    def __init__(self, objects: Sequence[Declared]) -> None:
        self.objects = list(objects)
        # The last declaration of a key wins, as it would with `kubectl apply` in input order.
        self._by_key = {obj.key: obj for obj in self.objects}
        self._in_effect: dict[ObjectKey, bool] = {}

    def get(self, kind: str, namespace: str, name: str) -> Declared | None:
        return self._by_key.get(ObjectKey(kind, namespace, name))

    def policy(self, qualified: str) -> Declared | None:
        """The NetBirdPolicy named `namespace/name`, as flows name their policy."""
        namespace, _, name = qualified.partition("/")
        return self.get(POLICY_KIND, namespace, name)

    def of_kind(self, model: type[S]) -> Iterator[tuple[Declared, S]]:
        """Valid objects whose spec is `model`, in input order (the winning declaration)."""
        for obj in self.objects:
            if isinstance(obj.spec, model) and not obj.problems and self._wins(obj):
                yield obj, obj.spec

    def _wins(self, obj: Declared) -> bool:
        return self._by_key.get(obj.key) is obj

    def in_effect(self, obj: Declared) -> bool:
        """Valid, and every `ref` it makes resolves to an object in effect."""
        known = self._in_effect.get(obj.key)
        if known is None:
            known = not obj.problems and obj.spec is not None and self._wins(obj)
            self._in_effect[obj.key] = False  # no cycles exist; this guards against one
            if known:
                known = all(self._resolves(obj, ref) for ref in references(obj.spec))
                known = known and self.missing_resource(obj) is None
            self._in_effect[obj.key] = known
        return known

    def _resolves(self, obj: Declared, ref: Reference) -> bool:
        if ref.ref is None:
            return True
        target = self.get(ref.kind, obj.key.namespace, ref.ref)
        return target is not None and self.in_effect(target)

    def unresolved(self, obj: Declared) -> list[Reference]:
        """`ref`s to objects that are not in the input at all."""
        return [
            ref
            for ref in references(obj.spec)
            if ref.ref is not None and self.get(ref.kind, obj.key.namespace, ref.ref) is None
        ]

    def missing_resource(self, obj: Declared) -> str | None:
        """For a policy to a network resource: why that resource is not there, if it is not."""
        spec = obj.spec
        if not isinstance(spec, NetBirdPolicySpec) or spec.destination_resource is None:
            return None
        wanted = spec.destination_resource
        network = self.get(NETWORK_KIND, obj.key.namespace, wanted.network)
        if network is None or not isinstance(network.spec, NetBirdNetworkSpec):
            return None  # the network itself is reported (unresolved or invalid)
        if any(r.name == wanted.resource for r in network.spec.resources or ()):
            return None
        return f"{network.key} has no resource named {wanted.resource!r} in spec.resources"

    def group_name(self, namespace: str, ref: GroupRef) -> str | None:
        """The NetBird name a group reference means; None when its `ref` is not in effect."""
        if ref.name is not None:
            return ref.name
        if ref.id is not None:
            return f"id:{ref.id}"
        target = self.get(GROUP_KIND, namespace, ref.ref or "")
        if target is None or not self.in_effect(target):
            return None
        return target.netbird_name

    def posture_name(self, namespace: str, ref: PostureCheckRef) -> str:
        if ref.id is not None:
            return f"id:{ref.id}"
        target = self.get(POSTURE_KIND, namespace, ref.ref or "")
        return target.netbird_name if target is not None else f"ref:{ref.ref}"

    def resource(self, namespace: str, network: str, name: str) -> NetworkResource | None:
        declared = self.get(NETWORK_KIND, namespace, network)
        if declared is None or not isinstance(declared.spec, NetBirdNetworkSpec):
            return None
        return next((r for r in declared.spec.resources or () if r.name == name), None)


def references(spec: SpecModel | None) -> list[Reference]:
    """Every reference in a spec, with the field it is written at."""
    if isinstance(spec, NetBirdPolicySpec):
        refs = _groups("spec.sources", spec.sources)
        refs += _groups("spec.destinations", spec.destinations)
        refs += [
            Reference(
                f"spec.postureChecks[{i}]",
                POSTURE_KIND,
                ref=r.ref,
                id=r.id,
                ref_field=f"spec.postureChecks[{i}].ref",
            )
            for i, r in enumerate(spec.posture_checks or ())
        ]
        if spec.destination_resource is not None:
            refs.append(
                Reference(
                    "spec.destinationResource",
                    NETWORK_KIND,
                    ref=spec.destination_resource.network,
                    ref_field="spec.destinationResource.network",
                )
            )
        return refs
    if isinstance(spec, NetBirdNetworkSpec):
        refs = []
        for i, resource in enumerate(spec.resources or ()):
            refs += _groups(f"spec.resources[{i}].groups", resource.groups)
        for i, router in enumerate(spec.routers or ()):
            refs += _groups(f"spec.routers[{i}].peerGroups", router.peer_groups)
        return refs
    if isinstance(spec, SetupKeySpec):
        return _groups("spec.autoGroups", spec.auto_groups)
    return []


def _groups(field: str, refs: Sequence[GroupRef] | None) -> list[Reference]:
    return [
        Reference(
            f"{field}[{i}]",
            GROUP_KIND,
            ref=r.ref,
            name=r.name,
            id=r.id,
            ref_field=f"{field}[{i}].ref",
        )
        for i, r in enumerate(refs or ())
    ]


def build(
    documents: Sequence[Document],
    namespace: str = DEFAULT_NAMESPACE,
    previous: Sequence[Document] = (),
) -> Inventory:
    """Validate every object of ours in `documents`, as the apiserver would.

    `previous` is the same input at the base of the change (e.g. the target branch): an
    object found there too is validated as an update, so immutable fields are checked.
    """
    before = {object_key(doc.data, namespace): doc.data for doc in previous if is_ours(doc.data)}
    objects = []
    for doc in documents:
        if not is_ours(doc.data):
            continue
        key = object_key(doc.data, namespace)
        spec, problems = check_object(doc.data, before.get(key))
        objects.append(Declared(key, doc, spec, problems))
    return Inventory(objects)
