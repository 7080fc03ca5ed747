"""Who the audit app tells, and how: the partnership's auditors, as the agencies app knows them, told through the
portal's notifications, which the core delivers.

The audit app is the ground floor and imports nothing above it, so the layers above register here: the app that
knows who holds the auditor role registers a directory (agencies.apps), and the core registers how an alert reaches a
person (isp_portal.apps: an in-app notification and its email, sent once per key). Until a directory is registered
there is nobody to tell, and the anchors go to AUDIT_ANCHOR_RECIPIENTS alone; until a sender is registered an alert is
only logged (audit.anchoring logs every break as an error either way).
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


@dataclass(frozen=True)
class AuditorAlert:
    """One alert to one person: `key` is unique per recipient, so an alert raised again is told once."""

    recipient_id: int
    key: str
    subject: str
    body: str
    link: str


AlertSender = Callable[[Sequence[AuditorAlert]], int]

_sender: list[AlertSender] = []


def register_alert_sender(sender: AlertSender) -> None:
    """Say how alerts reach people (the last registration wins). The sender returns how many were newly told."""
    _sender[:] = [sender]


def alert(alerts: Sequence[AuditorAlert]) -> int:
    """Tell each recipient once (by key); return how many were newly told (0 when no sender is registered)."""
    return _sender[0](alerts) if _sender and alerts else 0
