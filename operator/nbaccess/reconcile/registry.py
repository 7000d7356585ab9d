"""Every kind the operator reconciles, in one list the kube layer registers."""

from __future__ import annotations

from typing import Any

from nbaccess.reconcile.group import GroupReconciler
from nbaccess.reconcile.kinds import KindReconciler
from nbaccess.reconcile.policy import PolicyReconciler
from nbaccess.reconcile.posture import PostureCheckReconciler


def all_kinds() -> list[KindReconciler[Any]]:
    return [GroupReconciler(), PostureCheckReconciler(), PolicyReconciler()]
