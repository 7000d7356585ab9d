"""The generated CRDs: committed copies are current, schemas are structural, rules are there."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from nbaccess.cli import main
from nbaccess.resources import crdgen
from nbaccess.resources.base import SpecModel
from nbaccess.resources.kinds import KINDS

REPO = Path(__file__).resolve().parents[3]
CRD_DIRS = [REPO / "crds", REPO / "charts" / "netbird-access-operator" / "files" / "crds"]
CRDS = {info.kind: crdgen.crd(info) for info in KINDS}
# Keywords the apiserver refuses or that a structural schema must not carry.
FORBIDDEN = {"$ref", "$defs", "anyOf", "allOf", "oneOf", "not", "additionalProperties", "title"}


def _schema(kind: str) -> dict[str, Any]:
    return CRDS[kind]["spec"]["versions"][0]["schema"]["openAPIV3Schema"]


def _walk(node: dict[str, Any], path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    yield path, node
    for name, prop in node.get("properties", {}).items():
        yield from _walk(prop, f"{path}.{name}")
    if "items" in node:
        yield from _walk(node["items"], f"{path}[]")


def _all_nodes() -> Iterator[tuple[str, dict[str, Any]]]:
    for kind in CRDS:
        yield from _walk(_schema(kind), kind)


@pytest.mark.parametrize("directory", CRD_DIRS, ids=lambda d: str(d.relative_to(REPO)))
def test_committed_crds_match_the_models(directory: Path) -> None:
    assert crdgen.stale(directory) == [], "run: nbaccess crds --output-dir crds " + (
        "--output-dir charts/netbird-access-operator/files/crds"
    )


def test_committed_files_are_the_generated_documents() -> None:
    for info in KINDS:
        text = (REPO / "crds" / f"{info.plural}.nbaccess.dev.yaml").read_text()
        assert yaml.safe_load(text) == CRDS[info.kind]


def test_check_names_every_stale_file_and_passes_once_regenerated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["crds", "--output-dir", str(tmp_path)]) == 0
    assert main(["crds", "--check", "--output-dir", str(tmp_path)]) == 0

    changed = tmp_path / "setupkeys.nbaccess.dev.yaml"
    changed.write_text(changed.read_text().replace("maxLength: 253", "maxLength: 254"))
    (tmp_path / "netbirdgroups.nbaccess.dev.yaml").unlink()
    (tmp_path / "oldkinds.nbaccess.dev.yaml").write_text("{}\n")
    capsys.readouterr()

    assert main(["crds", "--check", "--output-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "setupkeys.nbaccess.dev.yaml: differs" in err
    assert "netbirdgroups.nbaccess.dev.yaml: missing" in err
    assert "oldkinds.nbaccess.dev.yaml" in err

    main(["crds", "--output-dir", str(tmp_path)])
    (tmp_path / "oldkinds.nbaccess.dev.yaml").unlink()
    assert main(["crds", "--check", "--output-dir", str(tmp_path)]) == 0


def test_generation_is_deterministic() -> None:
    assert crdgen.generate() == crdgen.generate()


def test_every_field_has_a_type_and_a_description_for_kubectl_explain() -> None:
    missing = [
        path
        for path, node in _all_nodes()
        # The apiserver allows nothing but `type` on the root metadata.
        if not path.endswith("[]")
        and not path.endswith(".metadata")
        and not (node.get("type") and node.get("description"))
    ]
    assert missing == []


def test_no_keyword_a_structural_schema_forbids() -> None:
    found = [(path, sorted(FORBIDDEN & node.keys())) for path, node in _all_nodes()]
    assert [f for f in found if f[1]] == []


def test_spec_inputs_are_bounded_so_cel_stays_within_budget() -> None:
    unbounded = []
    for kind in CRDS:
        for path, node in _walk(_schema(kind)["properties"]["spec"], f"{kind}.spec"):
            if node["type"] == "array" and "maxItems" not in node:
                unbounded.append(path)
            if node["type"] == "string" and not ({"maxLength", "enum"} & node.keys()):
                unbounded.append(path)
    assert unbounded == []


def test_list_map_keys_are_required_in_their_entries() -> None:
    for path, node in _all_nodes():
        if node.get("x-kubernetes-list-type") == "map":
            keys = node["x-kubernetes-list-map-keys"]
            assert set(keys) <= set(node["items"].get("required", [])), path


def _rules_at(kind: str, *path: str) -> list[dict[str, str]]:
    node = _schema(kind)
    for step in path:
        node = node["items"] if step == "[]" else node["properties"][step]
    return node.get("x-kubernetes-validations", [])


# (kind, schema path, fieldPath of the rule, words of its message): the cross-field rules the
# issue asks for, where a person reading `kubectl apply` output expects them.
EXPECTED_RULES = [
    ("NetBirdPolicy", ("spec",), ".ports", "only when protocol is tcp or udp"),
    ("NetBirdPolicy", ("spec",), ".portRanges", "only when protocol is tcp or udp"),
    ("NetBirdPolicy", ("spec",), ".portRanges", "either ports or portRanges"),
    ("NetBirdPolicy", ("spec",), ".destinations", "destinations or destinationResource"),
    ("NetBirdPolicy", ("spec", "portRanges", "[]"), None, "start must not be greater than end"),
    ("NetBirdPolicy", ("spec", "sources", "[]"), None, "exactly one of ref, name or id"),
    ("NetBirdPolicy", ("spec", "destinations", "[]"), None, "exactly one of ref, name or id"),
    ("NetBirdPolicy", ("spec", "postureChecks", "[]"), None, "exactly one of ref or id"),
    ("NetBirdGroup", ("spec", "peers", "[]"), None, "exactly one of name or id"),
    ("NetBirdGroup", ("spec",), ".peers", "managementPolicy is Observe"),
    ("NetBirdNetwork", ("spec", "routers", "[]"), ".peerGroups", "peerGroups or peer"),
    ("NetBirdNetwork", ("spec", "resources", "[]", "groups", "[]"), None, "exactly one of"),
    ("SetupKey", ("spec",), ".usageLimit", "one-off"),
    ("SetupKey", ("spec",), ".rotation.before", "shorter than expiresIn"),
    ("SetupKey", ("spec", "expiresIn"), None, "between 24h and 8760h"),
    ("PostureCheck", ("spec", "checks"), None, "at least one check"),
    ("PostureCheck", ("spec", "checks", "osVersion"), None, "at least one of linux"),
] + [
    ("SetupKey", ("spec",), f".{field}", f"{field} is immutable")
    for field in ("name", "type", "expiresIn", "usageLimit", "ephemeral", "allowExtraDnsLabels")
]


@pytest.mark.parametrize(("kind", "path", "field_path", "words"), EXPECTED_RULES)
def test_cross_field_rule_is_in_the_crd(
    kind: str, path: tuple[str, ...], field_path: str | None, words: str
) -> None:
    rules = _rules_at(kind, *path)
    matching = [r for r in rules if words in r["message"] and r.get("fieldPath") == field_path]
    assert matching, rules


def test_immutability_rules_compare_with_the_stored_object() -> None:
    for rule in _rules_at("SetupKey", "spec"):
        if "immutable" in rule["message"]:
            assert "oldSelf" in rule["rule"]


def _spec_models() -> set[type[SpecModel]]:
    found: set[type[SpecModel]] = set()
    pending: list[type[SpecModel]] = [SpecModel]
    while pending:
        for sub in pending.pop().__subclasses__():
            found.add(sub)
            pending.append(sub)
    return found


def test_every_rule_of_every_model_reaches_a_crd() -> None:
    rendered = "\n".join(crdgen.generate().values())
    celled = {
        cel
        for path, node in _all_nodes()
        for cel in (r["rule"] for r in node.get("x-kubernetes-validations", []))
    }
    for model in _spec_models():
        for rule in model.__rules__:
            assert rule.cel in celled, (model.__name__, rule.cel)
    assert "oldSelf" in rendered


SHORT_NAMES = {
    "NetBirdGroup": "nbg",
    "NetBirdPolicy": "nbp",
    "NetBirdNetwork": "nbn",
    "SetupKey": "nbsk",
    "PostureCheck": "nbpc",
}


@pytest.mark.parametrize("kind", sorted(SHORT_NAMES))
def test_names_scope_and_subresources(kind: str) -> None:
    spec = CRDS[kind]["spec"]
    assert spec["group"] == "nbaccess.dev"
    assert spec["scope"] == "Namespaced"
    assert spec["names"]["shortNames"] == [SHORT_NAMES[kind]]
    assert spec["names"]["categories"] == ["netbird"]
    (version,) = spec["versions"]
    assert (version["name"], version["served"], version["storage"]) == ("v1alpha1", True, True)
    assert version["subresources"] == {"status": {}}
    assert CRDS[kind]["metadata"]["name"] == f"{spec['names']['plural']}.nbaccess.dev"


@pytest.mark.parametrize("kind", sorted(SHORT_NAMES))
def test_printer_columns(kind: str) -> None:
    columns = CRDS[kind]["spec"]["versions"][0]["additionalPrinterColumns"]
    by_name = {c["name"]: c for c in columns}
    assert [c["name"] for c in columns if not c.get("priority")] == ["Ready", "Reason", "Age"]
    assert by_name["Ready"]["jsonPath"] == '.status.conditions[?(@.type=="Ready")].status'
    assert by_name["ID"]["priority"] == 1
    assert by_name["Message"]["priority"] == 1


def test_kind_specific_wide_columns() -> None:
    def wide(kind: str) -> set[str]:
        columns = CRDS[kind]["spec"]["versions"][0]["additionalPrinterColumns"]
        return {c["name"] for c in columns if c.get("priority") == 1}

    assert {"Action", "Protocol", "Ports"} <= wide("NetBirdPolicy")
    assert "Routing-Peers" in wide("NetBirdNetwork")
    assert "Expires" in wide("SetupKey")


def _apply_defaults(value: Any, schema: dict[str, Any]) -> Any:
    """The apiserver's structural defaulting: fill absent fields, then recurse into all."""
    if isinstance(value, dict):
        for name, prop in schema.get("properties", {}).items():
            if name not in value and "default" in prop:
                value[name] = prop["default"]
        for name, item in value.items():
            if name in schema.get("properties", {}):
                _apply_defaults(item, schema["properties"][name])
    elif isinstance(value, list) and "items" in schema:
        for item in value:
            _apply_defaults(item, schema["items"])
    return value


@pytest.mark.parametrize("kind", sorted(SHORT_NAMES))
def test_a_new_object_reads_back_with_observed_generation_minus_one(kind: str) -> None:
    obj = _apply_defaults(
        {"apiVersion": "nbaccess.dev/v1alpha1", "kind": kind, "spec": {}}, _schema(kind)
    )
    assert obj["status"]["observedGeneration"] == -1
