"""The ownership rule as a table: which NetBird object is ours, what is a twin, what is refused."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from nbaccess.reconcile.ownership import (
    DEFAULT_CLUSTER,
    Claim,
    Facts,
    Identity,
    decide,
    read_claim,
    recorded_id,
    with_claim,
    without_claim,
    xid_time,
)

ME = Claim(DEFAULT_CLUSTER, "team", "web-to-app")


@dataclass(frozen=True)
class Obj:
    id: str
    name: str
    description: str = ""


MARKED = Identity[Obj](
    kind="policy",
    object_id=lambda o: o.id,
    name=lambda o: o.name,
    claim=lambda o: read_claim(o.description),
    unique_names=False,
)
UNIQUE = Identity[Obj](
    kind="posture check",
    object_id=lambda o: o.id,
    name=lambda o: o.name,
    claim=lambda o: read_claim(o.description),
    unique_names=True,
)
GROUPS = Identity[Obj](
    kind="group", object_id=lambda o: o.id, name=lambda o: o.name, claim=None, unique_names=True
)


def ours(oid: str, name: str = "web-to-app", claim: Claim = ME) -> Obj:
    return Obj(oid, name, with_claim("justified", claim))


def facts(**changes: object) -> Facts:
    base = {"claim": ME, "name": "web-to-app", "adopt": False, "recorded_id": None}
    base["annotated_id"] = None
    base.update(changes)
    return Facts(**base)  # type: ignore[arg-type]


# ---------------------------------------------------------------- the claim itself


@pytest.mark.parametrize(
    ("claim", "marker"),
    [
        (ME, "managed by nbaccess: team/web-to-app"),
        (Claim("prod-eu", "orders", "web"), "managed by nbaccess: prod-eu/orders/web"),
    ],
)
def test_the_marker_names_the_cluster_only_when_it_has_a_name(claim: Claim, marker: str) -> None:
    assert claim.marker() == marker
    assert read_claim(f"Owner: team-a\n{marker}") == claim


def test_a_marker_from_before_clusters_had_names_is_the_default_clusters() -> None:
    assert read_claim("managed by nbaccess: team/web") == Claim(DEFAULT_CLUSTER, "team", "web")
    assert read_claim("managed by nbaccess: nonsense") is None
    assert read_claim("managed by nbaccess: a/b/c/d") is None


def test_releasing_strips_only_our_line() -> None:
    text = with_claim("Why: orders\nOwner: team-a", ME)
    assert without_claim(text) == "Why: orders\nOwner: team-a"
    assert with_claim(with_claim("x", ME), ME) == with_claim("x", ME)


def test_an_xid_tells_when_it_was_made() -> None:
    assert xid_time("dc78bgfqv2ro9n9fj6vg") == dt.datetime(2026, 12, 1, 8, 30, 57, tzinfo=dt.UTC)
    assert xid_time("not-an-xid") is None


def test_a_status_id_counts_only_for_the_resource_it_was_recorded_for() -> None:
    assert recorded_id({"id": "p1", "ownerUID": "u1"}, "u1") == "p1"
    assert recorded_id({"id": "p1", "ownerUID": "u1"}, "u2") is None  # a restored copy
    assert recorded_id({"id": "p1"}, "u2") == "p1"  # written by an older version, on this one


# ---------------------------------------------------------------- the decision


def test_the_recorded_object_is_ours_and_our_other_claimed_ones_are_twins() -> None:
    listed = [ours("a"), ours("b"), Obj("c", "web-to-app", "hand-made")]
    verdict = decide(MARKED, listed, facts(recorded_id="b"))
    assert verdict.primary == listed[1]
    assert verdict.twins == [listed[0]]
    assert verdict.conflict is None
    # The hand-made namesake is pointed out, never touched.
    assert "c" in verdict.warnings[0]


def test_without_a_record_the_oldest_claimed_one_is_taken_and_the_rest_are_twins() -> None:
    listed = [ours("b"), ours("a")]
    verdict = decide(MARKED, listed, facts())
    assert verdict.primary == listed[1]
    assert verdict.twins == [listed[0]]


def test_a_recorded_object_whose_marker_was_edited_away_is_still_ours() -> None:
    listed = [Obj("a", "web-to-app", "someone trimmed the description")]
    assert decide(MARKED, listed, facts(recorded_id="a")).primary == listed[0]


def test_a_recorded_id_now_claimed_by_someone_else_is_never_written() -> None:
    other = Claim(DEFAULT_CLUSTER, "team", "other")
    verdict = decide(MARKED, [ours("a", claim=other)], facts(recorded_id="a"))
    assert verdict.primary is None
    assert verdict.conflict is not None
    assert verdict.conflict.reason == "AlreadyManaged"
    assert "team/other" in verdict.conflict.message


def test_a_copied_annotation_naming_a_hand_made_object_changes_nothing() -> None:
    listed = [Obj("h1", "legacy", "made in the dashboard")]
    verdict = decide(MARKED, listed, facts(annotated_id="h1"))
    assert verdict.conflict is not None
    assert verdict.conflict.reason == "NotOurs"
    assert verdict.primary is None
    assert verdict.twins == []


def test_a_copied_annotation_naming_another_resources_object_changes_nothing() -> None:
    other = Claim(DEFAULT_CLUSTER, "other-team", "web-to-app")
    verdict = decide(MARKED, [ours("p1", claim=other)], facts(annotated_id="p1"))
    assert verdict.conflict is not None
    assert verdict.conflict.reason == "AlreadyManaged"
    assert "other-team/web-to-app" in verdict.conflict.message


def test_a_group_id_recorded_by_another_resource_is_refused_to_a_copy() -> None:
    held = {"g1": "team/first"}
    verdict = decide(
        GROUPS, [Obj("g1", "web")], facts(name="web", annotated_id="g1", held_by=held.get)
    )
    assert verdict.conflict is not None
    assert "team/first" in verdict.conflict.message


def test_two_resources_recording_one_group_stall_rather_than_fight() -> None:
    held = {"g1": "team/copy"}
    verdict = decide(
        GROUPS, [Obj("g1", "web")], facts(name="web", recorded_id="g1", held_by=held.get)
    )
    assert verdict.conflict is not None
    assert verdict.conflict.reason == "DuplicateOwnership"


def test_an_annotation_with_adopt_takes_over_an_unclaimed_object() -> None:
    listed = [Obj("h1", "legacy", "made in the dashboard")]
    verdict = decide(MARKED, listed, facts(annotated_id="h1", adopt=True))
    assert verdict.primary == listed[0]
    assert verdict.adopted


def test_an_annotation_naming_our_own_object_is_honoured() -> None:
    listed = [ours("p1")]
    assert decide(MARKED, listed, facts(annotated_id="p1")).primary == listed[0]


def test_a_unique_name_held_by_another_cluster_says_so_and_suggests_a_suffix() -> None:
    theirs = Obj("c1", "web-to-app", with_claim("", Claim("prod-eu", "team", "web-to-app")))
    verdict = decide(UNIQUE, [theirs], facts())
    assert verdict.conflict is not None
    assert verdict.conflict.reason == "AlreadyManaged"
    assert "cluster 'prod-eu'" in verdict.conflict.message
    assert "suffix" in verdict.conflict.message


def test_a_unique_name_made_by_hand_needs_adopt() -> None:
    verdict = decide(UNIQUE, [Obj("c1", "web-to-app", "by hand")], facts())
    assert verdict.conflict is not None
    assert verdict.conflict.reason == "AlreadyExists"
    assert decide(UNIQUE, [Obj("c1", "web-to-app", "by hand")], facts(adopt=True)).adopted


def test_adopt_can_take_a_claim_whose_resource_no_longer_exists_in_this_cluster() -> None:
    gone = Claim(DEFAULT_CLUSTER, "old-team", "web-to-app")
    listed = [ours("c1", claim=gone)]
    verdict = decide(UNIQUE, listed, facts(adopt=True, claimant_exists=lambda c: c != gone))
    assert verdict.primary == listed[0]
    other_cluster = Claim("prod-eu", "old-team", "web-to-app")
    refused = decide(
        UNIQUE,
        [ours("c1", claim=other_cluster)],
        facts(adopt=True, claimant_exists=lambda c: False),
    )
    assert refused.conflict is not None  # never another cluster's


def test_a_same_named_policy_made_by_hand_is_created_beside_with_a_warning() -> None:
    verdict = decide(MARKED, [Obj("h1", "web-to-app", "hand-made")], facts())
    assert verdict.primary is None
    assert verdict.conflict is None
    assert "h1" in verdict.warnings[0]
    assert "spec.adopt" in verdict.warnings[0]


T = dt.datetime(2026, 12, 1, 8, 30, 0, tzinfo=dt.UTC)


def test_a_group_made_by_an_interrupted_create_of_ours_is_recognised_by_its_xid_time() -> None:
    made_after = Obj("dc78bgfqv2ro9n9fj6vg", "web")  # 08:30:57
    verdict = decide(GROUPS, [made_after], facts(name="web", create_requested_at=T))
    assert verdict.primary == made_after
    earlier = decide(
        GROUPS,
        [made_after],
        facts(name="web", create_requested_at=T + dt.timedelta(minutes=5)),
    )
    assert earlier.primary is None
    assert earlier.conflict is not None
    assert earlier.conflict.reason == "AlreadyExists"
    assert "interrupted" in earlier.conflict.message
