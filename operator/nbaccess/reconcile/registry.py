"""Every kind the operator reconciles, in one list the kube layer registers."""

from __future__ import annotations

from typing import Any

from nbaccess.reconcile.group import GroupReconciler
from nbaccess.reconcile.kinds import KindReconciler
from nbaccess.reconcile.network import NetworkReconciler
from nbaccess.reconcile.policy import PolicyReconciler
from nbaccess.reconcile.ports import MemorySecretStore, SecretStore
from nbaccess.reconcile.posture import PostureCheckReconciler
from nbaccess.reconcile.setup_key import SetupKeyReconciler


def all_kinds(
    secrets: SecretStore | None = None, *, flap_window_seconds: float = 600.0
) -> list[KindReconciler[Any]]:
    """Every kind; `secrets` is where setup keys are published (in memory when None)."""
    store = secrets if secrets is not None else MemorySecretStore()
    return [
        GroupReconciler(),
        PostureCheckReconciler(),
        PolicyReconciler(),
        NetworkReconciler(flap_window_seconds),
        SetupKeyReconciler(store),
    ]
