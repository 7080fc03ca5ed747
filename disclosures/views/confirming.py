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
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.contrib import messages
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from agencies.forms import add_service_errors
from disclosures.forms.requests import SubmitForm
from disclosures.models import InformationRequest, State
from isp_portal.policy import can
from isp_portal.rehearsal import rehearse
from isp_portal.wording import long_datetime

__all__ = ["CheckPage", "already_made", "check_answers", "closed_already", "digest", "draft_of", "rehearse"]

DIGEST_FIELD = "draft"
_DONE = "made"
T = TypeVar("T")


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


def already_made(http: HttpRequest, key: str, target: int) -> HttpResponse | None:
    """When this journey's draft about `target` was confirmed already (a second click), where its outcome is, with a
    message. The marker answers only for its own target (breakt13g F6): a stale check page of another target (the
    same journey about another child, request or report, in another tab) is not told it was confirmed - it has no
    draft now, and its caller sends the reader back to its form."""
    value = http.session.get(key)
    if isinstance(value, dict) and isinstance(value.get(_DONE), str) and value.get("target") == target:
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


def mark_made(http: HttpRequest, key: str, target: int, link: str) -> None:
    """Replace the draft about `target` by where its outcome is (keyed by the target: already_made), saved now,
    inside the transaction that holds the row lock."""
    http.session[key] = {_DONE: link, "target": target}
    http.session.pop(f"{key}:shown", None)
    http.session.save()


def draft_of(http: HttpRequest, key: str, target: int) -> dict[str, Any] | None:
    """This journey's draft about `target` (the object the journey is about), or None when there is none for it: a
    draft kept as {"target": id, "data": the answers}."""
    draft = http.session.get(key)
    if not isinstance(draft, dict) or draft.get("target") != target or not isinstance(draft.get("data"), dict):
        return None
    return draft


def confirm_once(
    http: HttpRequest, key: str, target: int, draft: dict[str, Any], check_url: str,
    make: Callable[[], T], link: Callable[[Any], str],
) -> tuple[T | None, HttpResponse | None]:  # fmt: skip
    """Confirm a draft once, and only what the page showed (the session row locked, the draft read again under the
    lock, the digest compared): (what the service made, None), or (None, where to send the reader). A refusal raises
    the service's ValidationError."""
    with transaction.atomic():
        current = locked_draft(http, key)
        if current != draft:
            http.session[key] = current
            return None, already_made(http, key, target) or redirect(check_url)
        if stale(http, key, target, draft["data"]):
            return None, refuse_stale(http, check_url)
        made = make()
        mark_made(http, key, target, link(made))
    return made, None


@dataclass(frozen=True)
class CheckPage(Generic[T]):
    """What a "check your answers" page shows: the draft's answers, what the service would make of them (None when
    it refuses), the confirmation's form (the refusal on it) and the digest of the draft shown."""

    values: dict[str, Any]
    made: T | None
    form: SubmitForm
    draft_digest: str


def _as_is(error: ValidationError) -> ValidationError:
    return error


def check_answers(
    http: HttpRequest,
    *,
    key: str,
    target: int,
    form_url: str,
    check_url: str,
    service: Callable[[dict[str, Any]], T],
    link: Callable[[T], str],
    confirmed: Callable[[T], HttpResponse],
    on_form: Callable[[ValidationError], ValidationError] = _as_is,
) -> HttpResponse | CheckPage[T]:
    """The one shape of a "check your answers" page (break12b F1, F13), once the object the journey is about was
    found (and the reader allowed): a second click is sent to what the first made; no draft, back to the form; a
    GET rehearses `service` (called with the draft's answers: it builds the service's arguments and calls it) and
    shows what it would make or its refusal; a POST confirms it once, and only the draft the page showed
    (confirm_once), then `confirmed` says what was made and where to go. Returns where to send the reader, or what
    the page shows (the caller renders it with its own rows)."""
    if http.method == "POST" and (made_already := already_made(http, key, target)):
        return made_already
    draft = draft_of(http, key, target)
    if draft is None:
        return redirect(form_url)
    values: dict[str, Any] = draft["data"]
    # Bound on a GET too: the rehearsal's refusals are put on it before anything is sent.
    form = SubmitForm(http.POST if http.method == "POST" else {})
    form.is_valid()
    made: T | None = None
    problems: ValidationError | None = None
    if http.method == "POST":
        try:
            kept, sent = confirm_once(http, key, target, draft, check_url, lambda: service(values), link)
        except ValidationError as error:
            problems = error
        else:
            if sent is not None:
                return sent
            assert kept is not None
            return confirmed(kept)
    else:
        made, problems = rehearse(lambda: service(values))
    if problems is not None:
        add_service_errors(form, on_form(problems))
    return CheckPage(values, None if form.errors else made, form, shown(http, key, target, values))


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
