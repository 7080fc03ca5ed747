"""fix13h: the rule "no new free text about an erased record" (disclosures.services.checks.text_about) beyond the
findings' tests - the refusal names the rule on the text's field, over the API a 400 recorded as a refused request,
nothing written; the actions that only close a workflow are still taken, their text stored as erased - and the
register's agency filter offering only the reader's agencies (breakt13g F1-F3, F7)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from agencies.models import Membership
from agencies.selectors import designated_managers_of
from agencies.services import membership_deactivate
from audit.models import AuditEvent
from disclosures.models import CorrectionNotice, Dispute, DisputePosition
from disclosures.services.checks import ERASED_RECORD
from disclosures.services.corrections import correction_notice_acknowledge
from disclosures.services.disputes import dispute_position_record, dispute_withdraw
from disclosures.services.erasure import ERASED
from isp_portal.models import Notification
from isp_portal.policy import SystemActor
from sharing.services import entry_revise
from sharing.services.retention import child_close, child_erase
from tests.disclosures.after_fixtures import HEALTH_NAME, AfterWorld, after_world
from tests.disclosures.dispute_fixtures import opened
from tests.factories import SYSTEM, World, sign_in
from tests.sharing.fixtures import fresh

pytestmark = pytest.mark.django_db


def erase(after: AfterWorld) -> None:
    child = child_close(actor=fresh(after.world.users["partnership_admin"]), child=after.made.child, reason="Moved")
    child_erase(actor=SystemActor("test"), child=child, today=child.erase_due_on)


def test_a_position_on_an_erased_childs_dispute_is_refused_on_its_field_naming_the_rule(world: World) -> None:
    after, dispute = opened(world)
    erase(after)
    with pytest.raises(ValidationError) as refused:
        dispute_position_record(
            actor=after.user("school_manager"), dispute=Dispute.objects.get(pk=dispute.pk), position="share",
            note="Needed.",
        )  # fmt: skip
    assert refused.value.message_dict == {"note": [ERASED_RECORD]}
    assert not DisputePosition.objects.filter(dispute=dispute).exists()


def test_over_the_api_the_refusal_is_a_400_on_the_field_recorded_and_nothing_written(world: World) -> None:
    after, dispute = opened(world)
    erase(after)
    manager = sign_in(Client(), after.user("school_manager"))
    response = manager.post(
        f"/api/v1/disputes/{dispute.pk}/position/", data={"position": "share", "note": "Needed."},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 400
    assert ERASED_RECORD in str(response.json()["error"]["fields"]["note"])
    assert AuditEvent.objects.filter(kind="request.refused", request_id=response["X-Request-ID"]).count() == 1
    assert not DisputePosition.objects.filter(dispute=dispute).exists()


def test_an_erased_childs_dispute_is_still_withdrawn_its_reason_stored_as_erased(world: World) -> None:
    after, dispute = opened(world)
    erase(after)
    withdrawn = dispute_withdraw(actor=after.user("school"), dispute=dispute, reason="The child has moved away.")
    assert withdrawn.state == "withdrawn"
    assert Dispute.objects.get(pk=dispute.pk).withdraw_reason == ERASED


def test_an_erased_childs_correction_is_still_acknowledged_what_was_done_stored_as_erased(world: World) -> None:
    after = after_world(world)
    entry_revise(
        actor=after.user("practitioner"), entry=after.made.entry, fields={}, text="Corrected.", basis="fact",
        reason="The day was wrong.",
    )  # fmt: skip
    notice = CorrectionNotice.objects.get(agency=after.school)
    erase(after)
    correction_notice_acknowledge(actor=after.user("school"), notice=notice, action_taken="Updated the file.")
    notice.refresh_from_db()
    assert notice.acknowledged_at is not None and notice.action_taken == ERASED


def test_a_correction_before_the_erasure_keeps_what_was_done(world: World) -> None:
    after = after_world(world)
    entry_revise(
        actor=after.user("practitioner"), entry=after.made.entry, fields={}, text="Corrected.", basis="fact",
        reason="The day was wrong.",
    )  # fmt: skip
    notice = CorrectionNotice.objects.get(agency=after.school)
    correction_notice_acknowledge(actor=after.user("school"), notice=notice, action_taken="Updated the file.")
    notice.refresh_from_db()
    assert notice.action_taken == "Updated the file."


def test_the_register_offers_only_the_readers_agencies_and_refuses_another(world: World) -> None:
    after, dispute = opened(world)
    manager = sign_in(Client(), after.user("designated_manager"))  # the council's: its own agency's rows
    page = manager.get("/disputes/register/").content.decode()
    assert 'name="agency"' in page and HEALTH_NAME not in page  # no dispute of the health visitors' either
    refused = manager.get(f"/disputes/register/?agency={after.health.pk}").content.decode()
    assert "Select the agency from the list" in refused
    assert dispute.register_label in refused  # the valid filters (none) still apply: never a wider register
    own = manager.get(f"/disputes/register/?agency={after.world.home.pk}").content.decode()
    assert dispute.register_label in own


@pytest.mark.parametrize("left", [False, True])
def test_the_first_notice_of_a_correction_goes_only_to_recipients_still_at_the_agency(world: World, left: bool) -> None:
    """As its chase (breakt13g F8): a named recipient who has left the agency the disclosure went to is not told what
    it received; when nobody named is left, the agency's designated managers are."""
    after = after_world(world)
    school_user = after.world.users["school"]
    if left:
        membership_deactivate(
            actor=SYSTEM, membership=Membership.objects.get(user=school_user, agency=after.school),
            reason="Left the school.",
        )  # fmt: skip
    entry_revise(
        actor=after.user("practitioner"), entry=after.made.entry, fields={}, text="Corrected.", basis="fact",
        reason="The day was wrong.",
    )  # fmt: skip
    notice = CorrectionNotice.objects.get(agency=after.school)
    told = set(
        Notification.objects.filter(key__startswith=f"correction-{notice.correction_id}-{after.school.pk}-")
        .values_list("recipient_id", flat=True)
    )  # fmt: skip
    managers = set(designated_managers_of({after.school.pk}).values_list("user_id", flat=True))
    if left:
        assert school_user.pk not in told
        assert told == managers and managers
    else:
        assert school_user.pk in told
