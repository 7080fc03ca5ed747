"""The head-of-service flag on the membership page (issue 13; Southampton 13: stage 2 of a dispute goes to each
agency's "Head of Service / Service Manager"; design Q8): offered like the Caldicott guardian's, kept as it is when
the page is saved without touching it, and never self-given (a widening flag: agencies.policy.grants)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from agencies.models import Membership, Role
from tests.factories import World, make_user, sign_in
from tests.sharing.fixtures import fresh

pytestmark = pytest.mark.django_db


def form_values(membership: Membership, **values: object) -> dict[str, object]:
    return {"roles": list(membership.roles), "job_title": "", "team": "", "line_manager": "", **values}


def test_another_admin_sets_the_flag_and_saving_the_page_keeps_it(world: World) -> None:
    manager = Membership.objects.get(user=world.users["designated_manager"], agency=world.home)
    admin = sign_in(Client(), fresh(world.users["agency_admin"]))
    page = admin.get(f"/memberships/{manager.pk}/edit/")
    assert page.status_code == 200 and "Head of service or service manager" in page.content.decode()
    response = admin.post(f"/memberships/{manager.pk}/edit/", form_values(manager, is_head_of_service="on"))
    assert response.status_code == 302, response.content.decode()[:2000]
    manager.refresh_from_db()
    assert manager.is_head_of_service
    # The page shows it ticked, so saving it unchanged keeps it.
    html = admin.get(f"/memberships/{manager.pk}/edit/").content.decode()
    tag = re.search(r"<input[^>]*name=\"is_head_of_service\"[^>]*>", html)
    assert tag is not None and "checked" in tag.group(0)


def test_an_admin_cannot_make_herself_head_of_service(world: World) -> None:
    colleague = make_user(name="Hedda Admin", agency=world.home, roles=[Role.AGENCY_ADMIN, Role.DESIGNATED_MANAGER])
    own = Membership.objects.get(user=colleague, agency=world.home)
    client = sign_in(Client(), fresh(colleague))
    client.post(f"/memberships/{own.pk}/edit/", form_values(own, is_head_of_service="on"))
    own.refresh_from_db()
    assert not own.is_head_of_service
