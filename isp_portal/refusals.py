"""Refusals that are not policy denials, recorded in the audit trail (issue 8: every refused attempt to reach
or change something leaves a trace, exactly once).

Policy denials (404 outside scope, 403 inside) are recorded by `isp_portal.policy.record_denial`. This module
records the other refusals:

* a write the API refused as bad input (a 400): which fields were refused, never the values sent, which may
  be personal data or an attacker's payload;
* a reference, inside a request body, to an object outside the caller's scope (an id of another agency's
  person, say): answered as a 400 field error exactly like an id that does not exist, and recorded as an
  access denial naming the object, because it is an attempt to reach something out of scope;
* a failed CSRF check, in the browser or the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from audit.models import Outcome
from audit.services import audit_record

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_REFERENCES_ATTRIBUTE = "isp_out_of_scope_references"
# What the audit trail keeps of a refused request: bounded, whatever was sent.
_MAX_FIELDS = 50
_MAX_FIELD_NAME = 100


@dataclass(frozen=True)
class OutOfScopeReference:
    field: str
    object_type: str
    object_id: str


def note_out_of_scope_reference(request: Any, reference: OutOfScopeReference) -> None:
    """Remember, on the request, that a body referred to an object outside the caller's scope; the API's
    exception handler records it with the 400 the request gets."""
    if request is None:
        return
    target = getattr(request, "_request", request)  # DRF's Request wraps Django's HttpRequest
    references: list[OutOfScopeReference] = getattr(target, _REFERENCES_ATTRIBUTE, [])
    references.append(reference)
    setattr(target, _REFERENCES_ATTRIBUTE, references)


def out_of_scope_references(request: Any) -> list[OutOfScopeReference]:
    target = getattr(request, "_request", request)
    return list(getattr(target, _REFERENCES_ATTRIBUTE, []))


def _actor(request: Any) -> Any:
    user = getattr(request, "user", None)
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def record_refused_request(request: Any, *, status: int, fields: list[str], reason: str) -> None:
    """Record one refused request: an access denial when its body reached out of scope, otherwise a refused
    write with the names of the fields refused (not their values)."""
    field_names = sorted({name[:_MAX_FIELD_NAME] for name in fields})[:_MAX_FIELDS]
    detail = {"status": status, "path": request.path, "method": request.method, "fields": field_names}
    references = out_of_scope_references(request)
    if references:
        first = references[0]
        audit_record(
            kind="access.denied",
            actor=_actor(request),
            outcome=Outcome.DENIED,
            object_type=first.object_type,
            object_id=first.object_id,
            detail={
                **detail,
                "action": "refer",
                "reason": "reference out of scope",
                "references": [
                    {"field": ref.field, "object_type": ref.object_type, "object_id": ref.object_id}
                    for ref in references[:_MAX_FIELDS]
                ],
            },
        )
        return
    audit_record(
        kind="request.refused",
        actor=_actor(request),
        outcome=Outcome.DENIED,
        detail={**detail, "reason": reason},
    )


def record_csrf_failure(request: Any, reason: str) -> None:
    """A write without a valid CSRF token: someone's page was open too long, or another site tried to act
    in their name. Either way it is an attempt to change something that was refused."""
    audit_record(
        kind="access.denied",
        actor=_actor(request),
        outcome=Outcome.DENIED,
        detail={
            "status": 403,
            "path": request.path,
            "method": request.method,
            "reason": "csrf",
            "csrf_reason": str(reason)[:200],
        },
    )
