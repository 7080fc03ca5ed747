"""Confirming a journey's "check your answers": once, and only what the page showed (break12b F1, F13).

A journey keeps what was typed in the session until "check your answers" is confirmed. Two confirmations of the
same draft (a double click, the browser resending) each read the session before either removes the draft, so each
would make a disclosure. The confirmation therefore locks this session's row (SELECT ... FOR UPDATE) for its
transaction and reads the draft again from the database under the lock; the first replaces the draft by where its
outcome is, saved inside the same transaction, so the second waits, then finds the outcome and is sent there.

The session is shared by every tab: a form sent again in another tab changes the draft after this tab's check page
showed it. The check page's form carries a digest of the draft it showed (DIGEST_FIELD); a confirmation whose
digest is not the draft's now is sent back to the check page, which shows what would be confirmed. A client that
sends no digest (not the portal's page) is held to the last check page shown in this session, if any."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from disclosures.models import InformationRequest, State
from isp_portal.policy import can
from isp_portal.wording import long_datetime

DIGEST_FIELD = "draft"
_DONE = "made"
T = TypeVar("T")


class _Rehearsal(Exception):
    """Rolls back a rehearsal of a service: what it made is all that is wanted."""

    def __init__(self, made: Any) -> None:
        super().__init__()
        self.made = made


def rehearse(call: Callable[[], T]) -> tuple[T | None, ValidationError | None]:
    """What a service would do, asked of the service itself in a transaction that is rolled back (so its rules are
    written once and nothing is kept, sent or audited): what it would make (unsaved now: read its fields only), or
    its refusal. A "check your answers" page shows either; the confirmation asks the service again."""
    try:
        with transaction.atomic():
            raise _Rehearsal(call())
    except _Rehearsal as done:
        return done.made, None
    except ValidationError as error:
        return None, error


def digest(data: Any) -> str:
    """A digest of a draft's answers as a check page shows them (the session holds them as JSON)."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:32]


def shown(http: HttpRequest, key: str, target: int, data: Any) -> str:
    """The digest of the draft a check page shows now (of `target`: the child or the request the journey is
    about), remembered for a confirmation that carries none."""
    value = digest(data)
    if http.session.get(f"{key}:shown") != [target, value]:
        http.session[f"{key}:shown"] = [target, value]
    return value


def already_made(http: HttpRequest, key: str) -> HttpResponse | None:
    """When this journey's draft was confirmed already (a second click), where its outcome is, with a message."""
    value = http.session.get(key)
    if isinstance(value, dict) and isinstance(value.get(_DONE), str):
        messages.info(http, "This was already confirmed: nothing more was made. This is what your confirmation did.")
        return redirect(value[_DONE])
    return None


def locked_draft(http: HttpRequest, key: str) -> Any:
    """Lock this session's row until the caller's transaction ends and return the draft under `key` as the
    database holds it now (not the cache): a second confirmation of the same draft waits here for the first."""
    row = Session.objects.select_for_update().filter(session_key=http.session.session_key or "").first()
    if row is None:
        return http.session.get(key)
    return http.session.decode(row.session_data).get(key)


def stale(http: HttpRequest, key: str, target: int, data: Any) -> bool:
    """Whether the confirmation was not of `data`: its page showed another draft (or, when it carries no digest, the
    last check page shown in this session for the same target did)."""
    posted = http.POST.get(DIGEST_FIELD)
    if not posted:
        last = http.session.get(f"{key}:shown")
        posted = last[1] if isinstance(last, list) and len(last) == 2 and last[0] == target else None
    return posted is not None and posted != digest(data)


def refuse_stale(http: HttpRequest, check_url: str) -> HttpResponse:
    messages.error(
        http,
        "Your answers changed after this page was shown (in another tab or window), so nothing was confirmed: "
        "check them again below.",
    )
    return redirect(check_url)


def mark_made(http: HttpRequest, key: str, link: str) -> None:
    """Replace the draft by where its outcome is, saved now, inside the transaction that holds the row lock."""
    http.session[key] = {_DONE: link}
    http.session.pop(f"{key}:shown", None)
    http.session.save()


def _what_happened(found: InformationRequest) -> str | None:
    """The request's outcome in words, when it has one (the API's 409 says the same: disclosures.api.views)."""
    if found.state == State.SHARED:
        if found.approver is not None and found.approved_at is not None:
            return f"This request was already approved by {found.approver} at {long_datetime(found.approved_at)}"
        return "This request was already answered and the information shared"
    if found.state == State.DECLINED and found.declined_at is not None:
        who = f" by {found.declined_by}" if found.declined_by is not None else ""
        return f"This request was already declined{who} at {long_datetime(found.declined_at)}"
    if found.state == State.WITHDRAWN and found.withdrawn_at is not None:
        return f"This request was already withdrawn at {long_datetime(found.withdrawn_at)}"
    return None


def closed_already(http: HttpRequest, pk: int) -> HttpResponse | None:
    """A second click of approve, decline or withdraw (a double click, the browser resending) on a request the first
    click (or someone else) already closed: not an access denial but what happened, on the request's page
    (break12b F3). None when the reader may not see the request, or it is not closed: the refusal stands."""
    found = InformationRequest.objects.filter(pk=pk).select_related("approver", "declined_by").first()
    if found is None or not can(http.user, "view", found):
        return None
    words = _what_happened(found)
    if words is None:
        return None
    messages.info(http, f"{words}: nothing more was done.")
    return redirect("request-detail", pk=pk)
