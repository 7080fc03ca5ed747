"""Issue 13's navigation and dashboard panels (docs/after-disclosure-design.md 9): "Onward requests", "Corrections"
and "Disputes" for every signed-in person (their lists open to all, each showing only what the policy lets the reader
see: tests/isp_portal/test_navigation.py), "Dispute register" by its policy; panels for the onward requests a
designated manager of the originator decides (Southampton 10), the corrections the reader's agency acknowledges
(Southampton 9) and the dispute steps waiting for the reader (Southampton 13). A practitioner of an agency party to
none of it sees none of its items; someone with no role sees no panel."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from disclosures.models import CorrectionNotice, Dispute, OnwardRequest
from disclosures.services.disputes import dispute_advice_record
from sharing.services.entries import entry_revise
from tests.disclosures.after_fixtures import disclose, onward_submit, passed_on
from tests.disclosures.dispute_fixtures import at_stage_two
from tests.factories import World, sign_in

pytestmark = pytest.mark.django_db

NAV = ("Onward requests", "Corrections", "Disputes", "Dispute register")
LISTS = {"Onward requests", "Corrections", "Disputes"}


def text(response: Any) -> str:
    assert response.status_code == 200
    return response.content.decode().replace("&#x27;", "'").replace("&quot;", '"').replace("&amp;", "&")


def nav(page: str) -> set[str]:
    """The labels of the service navigation's links."""
    menu = page[page.index('id="navigation"') : page.index("</ul>", page.index('id="navigation"'))]
    return {label for label in NAV if f">{label}</a>" in menu or f">{label}</strong>" in menu}


@pytest.fixture
def scene(world: World) -> dict[str, Any]:
    """An onward request waiting for the council, a case note passed on and corrected (notices for the school and
    the health visitors), and a dispute at stage 2 with no advice yet."""
    after, dispute = at_stage_two(world)
    passed_on(after)
    waiting = onward_submit(after, parent=disclose(after.made))
    entry_revise(
        actor=after.user("practitioner"), entry=after.made.entry, fields={}, text="Corrected note.", basis="fact",
        reason="The date of the incident was wrong.",
    )  # fmt: skip
    return {"after": after, "dispute": dispute, "waiting": waiting}


def dashboard(world: World, role: str) -> str:
    return text(sign_in(Client(), world.users[role]).get("/"))


def test_the_originators_designated_manager_sees_the_onward_request_to_decide(
    world: World, scene: dict[str, Any]
) -> None:
    page = dashboard(world, "designated_manager")
    assert "Onward requests to decide" in page and f"/onward/{scene['waiting'].pk}/" in page
    assert OnwardRequest.objects.filter(state="requested").count() == 1
    # The council's head of service waits for both advices before deciding: nothing for them yet.
    assert "No dispute waits for you." in page
    assert nav(page) == set(NAV)  # a designated manager reads the register (their agency's rows)


def test_each_receiving_agency_sees_its_correction_to_acknowledge(world: World, scene: dict[str, Any]) -> None:
    for role in ("school", "health_visitor"):
        agency = world.users[role].memberships.get().agency_id
        notice = CorrectionNotice.objects.get(agency_id=agency, acknowledged_at__isnull=True)
        page = dashboard(world, role)
        assert "Corrections to acknowledge" in page and f"/corrections/notices/{notice.pk}/" in page
        assert "Onward requests to decide" not in page  # a practitioner decides none
        assert nav(page) == LISTS  # the register is the managers'
    # The council issued the correction: it follows it, it does not acknowledge it.
    assert "No correction waits for your agency's acknowledgement." in dashboard(world, "practitioner")


def test_the_advisers_of_both_sides_see_the_dispute_until_they_advise(world: World, scene: dict[str, Any]) -> None:
    dispute: Dispute = scene["dispute"]
    link = f"/disputes/{dispute.pk}/"
    for role in ("home_guardian", "school_guardian"):
        assert link in dashboard(world, role), role
    dispute_advice_record(actor=world.users["home_guardian"], dispute=dispute, advice="Sharing is lawful.")
    assert link not in dashboard(world, "home_guardian")
    assert link in dashboard(world, "school_guardian")
    # The school's head of service states its position once its advice is in; the council's decides after both.
    assert link not in dashboard(world, "school_manager")
    dispute_advice_record(actor=world.users["school_guardian"], dispute=dispute, advice="Share the minimum.")
    assert link in dashboard(world, "school_manager") and link in dashboard(world, "designated_manager")


def test_a_practitioner_of_another_agency_sees_none_of_it(world: World, scene: dict[str, Any]) -> None:
    page = dashboard(world, "other_agency")
    assert "Onward requests to decide" not in page
    assert "No correction waits for your agency's acknowledgement." in page and "No dispute waits for you." in page
    for pk in CorrectionNotice.objects.values_list("pk", flat=True):
        assert f"/corrections/notices/{pk}/" not in page
    assert f"/disputes/{scene['dispute'].pk}/" not in page and f"/onward/{scene['waiting'].pk}/" not in page
    assert "Dispute register" not in nav(page)
    # Someone with no role in any agency has none of the links or panels.
    nobody = dashboard(world, "no_role")
    assert nav(nobody) == LISTS and "Corrections to acknowledge" not in nobody and "Disputes waiting" not in nobody


def test_the_register_link_follows_the_register_policy(world: World) -> None:
    assert nav(dashboard(world, "auditor")) == set(NAV)
    assert nav(dashboard(world, "partnership_admin")) == set(NAV)
    assert nav(dashboard(world, "agency_admin")) == LISTS


def test_the_panels_cost_the_same_statements_however_much_waits(world: World, scene: dict[str, Any]) -> None:
    """Each panel is one statement besides its policy's, whatever the number of onward requests, notices and
    disputes (isp_portal.navigation.DashboardPanel); measured for the people each panel is for."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    roles = ("designated_manager", "school", "home_guardian")
    clients = {role: sign_in(Client(), world.users[role]) for role in roles}

    def statements() -> dict[str, int]:
        counts = {}
        for role, client in clients.items():
            client.get("/")  # warm the session and the per-process caches
            with CaptureQueriesContext(connection) as queries:
                assert client.get("/").status_code == 200
            counts[role] = len(queries)
        return counts

    before = statements()
    after = scene["after"]
    for _ in range(2):  # more of everything: onward requests to decide, notices to acknowledge, disputes
        onward_submit(after, parent=disclose(after.made))
        at_stage_two(world)
    entry_revise(
        actor=after.user("practitioner"), entry=after.made.entry, fields={}, text="Corrected again.", basis="fact",
        reason="The time was wrong too.",
    )  # fmt: skip
    assert statements() == before
