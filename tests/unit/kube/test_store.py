"""The store keeps the newest version of each object, whichever way it arrived."""

from __future__ import annotations

from typing import Any

from nbaccess.kube.store import ObjectStore
from nbaccess.reconcile.objects import StoredObject


def body(rv: str, uid: str = "u1", **status: Any) -> dict[str, Any]:
    return {
        "metadata": {"namespace": "team", "name": "web", "uid": uid, "resourceVersion": rv},
        "status": status,
    }


def test_our_write_is_not_undone_by_an_older_watch_event() -> None:
    store = ObjectStore()
    store.put(StoredObject.of("NetBirdGroup", body("10")))
    # Our status write answered with rv 12; the watch still delivers rv 11 afterwards.
    store.put(StoredObject.of("NetBirdGroup", body("12", id="g1")))
    _, replaced = store.put(StoredObject.of("NetBirdGroup", body("11")))
    assert not replaced
    stored = store.get(StoredObject.of("NetBirdGroup", body("12")).key)
    assert stored is not None
    assert stored.status["id"] == "g1"


def test_a_recreated_object_replaces_the_old_one_whatever_its_version() -> None:
    store = ObjectStore()
    store.put(StoredObject.of("NetBirdGroup", body("50", id="old")))
    _, replaced = store.put(StoredObject.of("NetBirdGroup", body("7", uid="u2")))
    assert replaced


def test_the_directory_state_takes_the_id_from_status_only() -> None:
    store = ObjectStore()
    raw = body("3")
    raw["metadata"]["annotations"] = {"nbaccess.dev/netbird-id": "copied"}
    obj = StoredObject.of("NetBirdGroup", raw)
    store.put(obj)
    state = store.state(obj.key, lambda _: None)
    assert state is not None
    assert state.netbird_id is None  # an annotation anyone can copy is not a recorded id
