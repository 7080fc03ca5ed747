"""Who may read a child's access history, and which part of it; who may read a record's change history (issue 15;
DESIGN 2.6, 3.2). Decisions only: the reads are oversight.history_selectors.

**A child's access history** ("who looked at this child's record": DESIGN 2.6; Southampton 18 items 13-14; DPA 2018
s62, consultation and disclosure logged with their justification):

* a partnership auditor reads all of it;
* an agency's auditor, Caldicott guardian or data protection officer reads the part of it that is their agency's,
  as they read the audit trail (isp_portal.audit_panel.AUDIT_TRAIL): the events of their agency's people, and the
  disclosures their agency made or received;
* the agencies that hold records on the child read all of it, through their designated managers: an agency holds
  records on a child while it is (or was) involved with it or recorded an entry about it. The designated manager is
  the person the protocol gives the decisions on a child's information (DESIGN 1: the decisions that share without
  consent; the shield's lifting); an agency admin manages people and accounts and has no standing on a child's
  record (they may not even use the child index), and a practitioner reads the record, not who else read it;
* nobody through an API token: an access history is read by a person, in person (DESIGN 4, least privilege).

Anyone else who can reach the child in the index is refused (403, naming the rule); anyone who cannot is told nothing
exists (404), as the child's own page does; a shielded child the shield keeps from them is 404 too. Every denial is
recorded by the middleware or the API's handler.

**A record's change history** (django-auditlog's diffs): partnership admins and partnership auditors for every
record; an agency's admins and auditors for their own agency's records (the agency itself, its memberships, its
people, its API tokens, its signatures); other protocol records (a protocol, a review, a meeting, a consultation)
are the partnership's: its admins and auditors only. The record itself must be in the reader's view (404 if not).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Model

from agencies.models import Agency, ApiToken, Membership, Role, User
from agencies.policy import (
    audit_trail_agencies,
    is_partnership_admin,
    is_partnership_auditor,
    principal,
)
from isp_portal.audit_panel import AUDIT_TRAIL
from isp_portal.policy import NotPermitted, OutOfScope, SystemActor, can, in_view_scope
from protocols.models import Signature
from sharing.models import Child

HISTORY_REFUSAL = (
    "Only auditors, Caldicott guardians, data protection officers and the designated managers of the agencies that "
    "hold records on this child can read its access history."
)
TOKEN_REFUSAL = "A child's access history is read by a person, signed in: an agency's system cannot read it."  # noqa: S105
CHANGES_REFUSAL = "Only admins and auditors can read a record's change history: an agency's for its own records."


@dataclass(frozen=True)
class HistoryChild:
    """What the decision needs of a child, read in one statement (oversight.history_selectors.history_child)."""

    pk: int
    merged_into_id: int | None
    is_shielded: bool
    shielding_agency_id: int | None
    closed_on: Any
    merged_ids: tuple[int, ...]  # the duplicates merged into it: their history follows it
    holding_agencies: frozenset[int]  # involved (now or before), or recorded an entry

    def as_child(self) -> Child:
        return Child(
            pk=self.pk,
            merged_into_id=self.merged_into_id,
            is_shielded=self.is_shielded,
            shielding_agency_id=self.shielding_agency_id,
            closed_on=self.closed_on,
        )


@dataclass(frozen=True)
class HistoryReader:
    """Which part of a child's history the reader sees: None for all of it, else the agencies whose part it is."""

    scope: frozenset[int] | None
    basis: str  # in words, for the page: why the reader sees what they see


def _denial(cls: type[OutOfScope] | type[NotPermitted], child_id: int, reason: str = "") -> Exception:
    return cls(
        action="access_history", target_type="sharing.child", target_id=str(child_id), reason=reason, child_id=child_id
    )


def access_history_reader(user: Any, child: HistoryChild | None, child_id: int) -> HistoryReader:
    """The part of `child`'s access history `user` may read, or the denial: OutOfScope (404) for a child missing or
    out of the user's reach, NotPermitted (403) for one they can reach but whose history is not theirs to read."""
    if child is None:
        raise _denial(OutOfScope, child_id)
    if isinstance(user, SystemActor):
        return HistoryReader(None, "the portal")
    p = principal(user)
    if not p.is_token:
        holders = p.agencies_with(Role.DESIGNATED_MANAGER) & child.holding_agencies
        if holders:
            return HistoryReader(None, "a designated manager of an agency that holds records on this child")
        if can(user, "view", AUDIT_TRAIL):
            scope = audit_trail_agencies(user)
            if scope is None:
                return HistoryReader(None, "a partnership auditor")
            return HistoryReader(frozenset(scope), "your agency's part: its people's actions and its disclosures")
    if in_view_scope(user, child.as_child()):
        raise _denial(NotPermitted, child.pk, TOKEN_REFUSAL if p.is_token else HISTORY_REFUSAL)
    raise _denial(OutOfScope, child.pk)


def may_read_access_history(user: Any, child: HistoryChild) -> bool:
    """Whether the child's page offers the link (no query beyond what the decision itself asks)."""
    try:
        access_history_reader(user, child, child.pk)
    except (OutOfScope, NotPermitted):
        return False
    return True


# --- Change history --------------------------------------------------------------------------------------------


def _signature_agencies(obj: Model) -> frozenset[int] | None:
    return frozenset({obj.agency_id}) if isinstance(obj, Signature) else None


# Whose records each registered model's rows are: an agency's (the agencies named), or the partnership's (None).
_RECORD_AGENCIES: dict[type[Model], Callable[[Any], frozenset[int] | None]] = {
    Agency: lambda obj: frozenset({obj.pk}),
    Membership: lambda obj: frozenset({obj.agency_id}) if obj.agency_id is not None else None,
    ApiToken: lambda obj: frozenset({obj.agency_id}),
    User: lambda obj: frozenset(Membership.objects.filter(user_id=obj.pk).values_list("agency_id", flat=True)) - {None},
    Signature: _signature_agencies,
}


def record_agencies(obj: Model) -> frozenset[int] | None:
    """The agencies whose record `obj` is (None: the partnership's)."""
    find = _RECORD_AGENCIES.get(type(obj))
    return None if find is None else find(obj)


def change_history_scope(user: Any) -> frozenset[int] | None:
    """The agencies whose records' change history `user` reads (None: every record's)."""
    if isinstance(user, SystemActor) or is_partnership_admin(user) or is_partnership_auditor(user):
        return None
    p = principal(user)
    if p.is_token:
        return frozenset()
    return frozenset(p.agencies_with(Role.AGENCY_ADMIN, Role.AUDITOR))


def require_change_history(user: Any, obj: Model) -> None:
    """Raise unless `user` may read `obj`'s change history: OutOfScope (404) when the record is not in their view,
    NotPermitted (403) when it is but its history is not theirs."""
    label = obj._meta.label_lower
    if not in_view_scope(user, obj):
        raise OutOfScope(action="change_history", target_type=label, target_id=str(obj.pk))
    scope = change_history_scope(user)
    if scope is None:
        return
    owners = record_agencies(obj)
    if owners is None or not owners & scope:
        raise NotPermitted(action="change_history", target_type=label, target_id=str(obj.pk), reason=CHANGES_REFUSAL)


def may_read_change_history(user: Any, obj: Model) -> bool:
    """Whether a page offers `obj`'s change history: no statement for someone who reads no record's."""
    if change_history_scope(user) == frozenset():
        return False
    try:
        require_change_history(user, obj)
    except (OutOfScope, NotPermitted):
        return False
    return True
