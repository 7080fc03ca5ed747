"""Who the audit app tells: the partnership's auditors, as the agencies app knows them.

The audit app is the ground floor and imports no domain app, so the app that knows who holds the auditor role
registers a directory here (agencies.apps). Until one is registered there is nobody to tell, and the
anchors go to AUDIT_ANCHOR_RECIPIENTS alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Auditor:
    user_id: int
    email: str


AuditorDirectory = Callable[[], Sequence[Auditor]]

_directory: list[AuditorDirectory] = []


def register_auditor_directory(directory: AuditorDirectory) -> None:
    """Say how to list the active auditors (the last registration wins)."""
    _directory[:] = [directory]


def active_auditors() -> list[Auditor]:
    return list(_directory[0]()) if _directory else []
