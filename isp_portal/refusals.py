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

import contextvars
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


# --- Refusals on browser forms ----------------------------------------------------------------------------------
# A page refuses a write the same ways the API does: the form's own validation refuses bad input, or a service
# refuses with a ValidationError. The API records either as one `request.refused` event (isp_portal.api); so do
# the pages, so that an auditor sees the same record whichever channel was used. Each bound form registers
# itself while a browser write is handled, and PageRefusalMiddleware records what was refused once, after
# the view: field names, never the values sent. A refusal a service has recorded already (a PrivilegeRefused,
# marked `recorded`) is not recorded again. A value posted for a field the page disabled (a privilege the
# person may not give, say) is tampering, recorded as an `access.refused` like the service's own refusal.


@dataclass
class _PageRefusals:
    forms: list[Any]
    service_fields: set[str]
    tampered: dict[str, Any]  # field name -> the form's refusal target (a model instance or None)
    recorded: bool = False


_page_refusals: contextvars.ContextVar[_PageRefusals | None] = contextvars.ContextVar("isp_page_refusals", default=None)
NON_FIELD = "non_field_errors"  # the API's name for errors that belong to no one field


def watch_form(form: Any) -> None:
    """Called by every bound GovukForm: remember it, when a browser write is being handled."""
    refusals = _page_refusals.get()
    if refusals is not None:
        refusals.forms.append(form)


def note_service_refusal(error: Any) -> None:
    """A service refused a page's write (a ValidationError the view shows on the form or as a message)."""
    refusals = _page_refusals.get()
    if refusals is None:
        return
    if getattr(error, "recorded", False):
        refusals.recorded = True
        return
    names = list(error.message_dict) if hasattr(error, "error_dict") else [NON_FIELD]
    refusals.service_fields.update(NON_FIELD if name == "__all__" else name for name in names)


def note_tampered_field(name: str, target: Any = None) -> None:
    """A value was posted for a field the page showed disabled and differs from what the page showed."""
    refusals = _page_refusals.get()
    if refusals is not None:
        refusals.tampered[name] = target


def _form_error_fields(refusals: _PageRefusals) -> set[str]:
    names: set[str] = set()
    for form in refusals.forms:
        errors = getattr(form, "_errors", None)  # None: never validated (a form shown, not submitted)
        if errors:
            names.update(NON_FIELD if name == "__all__" else name for name in errors)
    return names


class PageRefusalMiddleware:
    """Record, once, a browser write that a form or a service refused (see above). API requests record
    their own refusals in isp_portal.api.exception_handler."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        if request.method not in WRITE_METHODS or request.path.startswith("/api/"):
            return self.get_response(request)
        refusals = _PageRefusals(forms=[], service_fields=set(), tampered={})
        token = _page_refusals.set(refusals)
        try:
            response = self.get_response(request)
        finally:
            _page_refusals.reset(token)
        if refusals.recorded or hasattr(request, "access_denied_reason"):
            return response  # recorded already: by the service, or as a policy denial
        if refusals.tampered:
            _record_tampering(request, refusals.tampered, status=response.status_code)
            return response
        fields = refusals.service_fields | _form_error_fields(refusals)
        if fields:
            reason = "a rule refused the request" if refusals.service_fields else "invalid input"
            record_refused_request(request, status=response.status_code, fields=sorted(fields), reason=reason)
        return response


def _record_tampering(request: Any, tampered: dict[str, Any], *, status: int) -> None:
    targets = [target for target in tampered.values() if getattr(target, "pk", None)]
    audit_record(
        kind="access.refused",
        actor=_actor(request),
        outcome=Outcome.DENIED,
        target=targets[0] if targets else None,
        detail={
            "action": "change a field the page did not offer",
            "status": status,
            "path": request.path,
            "method": request.method,
            "fields": sorted(name[:_MAX_FIELD_NAME] for name in tampered)[:_MAX_FIELDS],
        },
    )
