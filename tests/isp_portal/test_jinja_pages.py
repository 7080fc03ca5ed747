"""The pages rendered by Jinja2 (isp_portal/jinja.py; docs/fast-pages.md §4) give the markup their Django
templates give for the same request and context, byte for byte but for the CSRF tokens' masks: the agency page
and the protocol page, for each role, with names that need escaping, empty states and a message.

The Django templates (agencies/templates/agencies/agency_detail.html, protocols/templates/protocols/
protocol_detail.html and the section it includes) are kept as the reference: change both when a page changes."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.middleware.csrf import _unmask_cipher_token  # type: ignore[attr-defined]
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone

import agencies.views.registry
import protocols.views.protocols
from agencies.identity import agencies_changed
from agencies.models import Agency
from agencies.services import invitation_create
from protocols.models import Signature
from protocols.services import (
    consultation_open,
    protocol_adopt,
    protocol_audit_create,
    protocol_create,
    protocol_version_create,
    signature_withdraw,
)
from tests import protocol_fixtures as fx
from tests.factories import SYSTEM, World, make_agency
from tests.matrix import client_as

pytestmark = pytest.mark.django_db

CSRF_INPUT = re.compile(r'<input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)">')
TYPED = '<b>"Kids" & Co\'s</b>'  # every character escaping changes, as people type them


@pytest.fixture
def pages(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, Any]]:
    """Each Jinja2 page served, with what its Django template renders for the same request and context."""
    seen: list[tuple[str, str, Any]] = []

    def both(request: Any, template_name: str, context: dict[str, Any], using: str | None = None) -> Any:
        assert using == "jinja2"
        theirs = render_to_string(template_name, dict(context), request, using="django")
        response = render(request, template_name, context, using=using)
        seen.append((response.content.decode(), theirs, request))
        return response

    monkeypatch.setattr(agencies.views.registry, "render", both)
    monkeypatch.setattr(protocols.views.protocols, "render", both)
    return seen


def _same(seen: list[tuple[str, str, Any]]) -> str:
    ours, theirs, request = seen[-1]
    secret = request.META.get("CSRF_COOKIE")
    for markup in (ours, theirs):
        for token in CSRF_INPUT.findall(markup):  # masked afresh each time: the same secret, other characters
            assert _unmask_cipher_token(token) == secret
    assert CSRF_INPUT.sub("T", ours) == CSRF_INPUT.sub("T", theirs)
    # One mask a page, as Django's engine gives it (the layout's sign-out form and the invitations' forms).
    assert len(set(CSRF_INPUT.findall(ours))) <= 1
    return ours


def _typed_names(world: World) -> None:
    Agency.objects.filter(pk=world.home.pk).update(
        name=TYPED, address=f"1 {TYPED} Street\nTown <north>", registration_number=""
    )
    agencies_changed()  # the agency's name is in its members' principals (docs/fast-pages.md §1)
    for user in world.users.values():
        user.full_name = f"{user.full_name} {TYPED}"
        user.save(update_fields=["full_name"])


@pytest.mark.parametrize(
    "role", ["agency_admin", "partnership_admin", "auditor", "practitioner", "designated_manager", "other_agency"]
)
def test_the_agency_page_is_what_its_django_template_gives(world: World, role: str, pages: list[Any]) -> None:
    protocol = fx.protocol_in_force(world)
    signature_withdraw(
        actor=SYSTEM,
        signature=Signature.objects.get(protocol=protocol, agency=world.home),
        reason=f"Withdrawn by {TYPED}",
    )
    invitation_create(
        actor=world.users["agency_admin"],
        agency=world.home,
        email="new.person@example.org",
        full_name=f"New {TYPED}",
        roles=["practitioner"],
    )
    _typed_names(world)
    client = client_as(world, role)
    assert client.get(f"/agencies/{world.home.pk}/").status_code == 200
    page = _same(pages)
    assert "&lt;b&gt;&quot;Kids&quot; &amp; Co&#x27;s&lt;/b&gt;" in page
    assert "<b>" not in page.split("<main", 1)[-1]
    client.get(f"/agencies/{world.other.pk}/")
    _same(pages)


def test_an_agency_with_nobody_and_no_signature(world: World, pages: list[Any]) -> None:
    empty = make_agency(TYPED)
    client_as(world, "partnership_admin").get(f"/agencies/{empty.pk}/")
    page = _same(pages)
    assert "No active members." in page and "has not signed a protocol" in page


def test_a_message_is_shown_as_the_django_template_shows_it(world: World, pages: list[Any]) -> None:
    invitation, _ = invitation_create(
        actor=world.users["agency_admin"],
        agency=world.home,
        email="o'brien@example.org",
        full_name=TYPED,
        roles=["practitioner"],
    )
    client = client_as(world, "agency_admin")
    response = client.post(f"/invitations/{invitation.pk}/resend/", follow=True)
    assert response.status_code == 200
    page = _same(pages)
    assert "govuk-notification-banner--success" in page and "o&#x27;brien@example.org" in page


@pytest.mark.parametrize("role", ["partnership_admin", "agency_admin", "practitioner", "auditor", "other_agency"])
def test_the_protocol_page_is_what_its_django_template_gives(world: World, role: str, pages: list[Any]) -> None:
    protocol = fx.protocol_in_force(world)  # version 1 in force, signed by home and other; version 2 drafted
    protocol_adopt(actor=SYSTEM, protocol=protocol, version=protocol.versions.get(number=2))
    signature_withdraw(
        actor=SYSTEM,
        signature=Signature.objects.get(protocol=protocol, agency=world.other, version__number=2),
        reason=TYPED,
    )
    protocol_version_create(
        actor=SYSTEM, protocol=protocol, text="Text", change_note=f"Note {TYPED}", retention_months=36
    )
    consultation_open(actor=SYSTEM, protocol=protocol, version=protocol.versions.get(number=3), working_days=10)
    today = timezone.localdate()
    protocol_audit_create(
        actor=SYSTEM,
        protocol=protocol,
        auditing_agency=world.other,
        scope="Consent recording",
        notice_given_on=today,
        starts_on=today + timedelta(days=40),
        responses_due_on=today + timedelta(days=90),
    )
    supplement = protocol_create(actor=SYSTEM, title=TYPED, kind="individual", parent=protocol, **fx.rules())
    _typed_names(world)
    client = client_as(world, role)
    for pk in (protocol.pk, supplement.pk):
        assert client.get(f"/protocols/{pk}/").status_code == 200
        page = _same(pages)
        assert "<b>" not in page.split("<main", 1)[-1]


def test_a_draft_protocol_nobody_has_signed(world: World, pages: list[Any]) -> None:
    draft = fx.draft_protocol(world)
    client_as(world, "partnership_admin").get(f"/protocols/{draft.pk}/")
    page = _same(pages)
    assert "No agency has signed yet." in page and "draft" in page
