"""The pages of a disclosure without a request (issue 12: "Emergency disclosure", "Proactive sharing"), as a
practitioner meets them from a child's page: the agency that receives it, the form, "check your answers" (a
rolled-back trial of the service, so every refusal shows with its rule before anything is disclosed), then the
disclosure, or the referral waiting for a designated manager's approval. A shielded or out-of-scope child answers
404; bad input is a message on the form, never a 500, and nothing is half-written."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone

from agencies.models import AgencySanction, Role
from agencies.services import membership_create
from audit.models import AuditEvent
from consent.models import ConsentRecord
from disclosures.models import Disclosure, InformationRequest
from disclosures.views.unrequested import JOURNEYS
from isp_portal.models import Notification
from sharing.models import Child, EntryGrant, RecordEntry
from sharing.services import entry_record
from tests.consent.fixtures import parent
from tests.consent.fixtures import record as consent_record
from tests.disclosures.fixtures import PURPOSE, Case, case, school_of
from tests.factories import SYSTEM, World, make_user, sign_in
from tests.sharing.fixtures import fresh, make_child, train

pytestmark = pytest.mark.django_db


def text(response: Any) -> str:
    return response.content.decode().replace("&#x27;", "'").replace("&quot;", '"').replace("&amp;", "&")


def with_purpose(client: Client, child: Child) -> Client:
    response = client.post(f"/children/{child.pk}/purpose/", {"purpose": PURPOSE, "next": f"/children/{child.pk}/"})
    assert response.status_code == 302
    return client


def emergency_answers(made: Case, **values: Any) -> dict[str, Any]:
    """An emergency disclosure of the minimum data and the case note to the school's practitioner, on significant
    harm, the family not told because it would not be safe."""
    data: dict[str, Any] = {
        "reason": "immediate_risk_of_harm",
        "legal_basis": "significant_harm",
        "purpose": PURPOSE,
        "why": "The child is in danger tonight; the school must not let them go home with the partner.",
        "tiers": ["minimum", "sensitive"],
        "entries": [made.entry.pk],
        "recipients": [made.world.users["school"].pk],
        "is_confidential": "yes",
        "public_interest": "The child's safety tonight outweighs the duty of confidence.",
        "proportionality": "Only the case note about the threat.",
        "why_shared": "",
        "why_without_consent": "Asking the mother would delay protecting the child.",
        "what_agreed": "",
        "third_parties": "",
        "subject_told": "not_safe",
        "subject_not_told_reason": "Telling the mother would put the child at risk.",
        "onward_terms": "",
    }
    data.update(values)
    return data


def refer_answers(made: Case, **values: Any) -> dict[str, Any]:
    """A referral of the case note to the school, the parent having refused, overridden on significant harm."""
    data = emergency_answers(made)
    for name in ("reason",):
        data.pop(name)
    data.update(
        why="The child told us the partner threatened them; the school should know to keep them safe.",
        consent_basis="refused",
        not_sought_reason="",
        override_ground="significant_harm",
        s29_form_reference="",
    )
    data.update(values)
    return data


def url(kind: str, child: Child, *, check: bool = False) -> str:
    return f"/children/{child.pk}/disclosures/{kind}/" + ("check/" if check else "")


def through_pages(client: Client, kind: str, made: Case, data: dict[str, Any], to_agency: int | None = None) -> Any:
    """Choose the agency, fill the form, confirm on "check your answers"; the response of the step that stopped
    (the form with its errors, the check page with its errors) or the redirect after the disclosure."""
    to = to_agency if to_agency is not None else school_of(made.world).pk
    form_url = f"{url(kind, made.child)}?to_agency={to}"
    shown = client.get(form_url)
    assert shown.status_code == 200, shown.status_code
    form = client.post(form_url, data)
    if form.status_code != 302:
        return form
    assert form["Location"] == url(kind, made.child, check=True)
    check = client.get(form["Location"])
    assert check.status_code == 200 and "Check your answers" in text(check)
    if "There is a problem" in text(check):
        return check
    return client.post(form["Location"])


def errors_of(response: Any) -> str:
    page = text(response)
    assert response.status_code == 200, response.status_code
    assert "There is a problem" in page, page[:3000]
    return page


def nothing_written(before: tuple[int, int]) -> None:
    assert (InformationRequest.objects.count(), Disclosure.objects.count()) == before


def counts() -> tuple[int, int]:
    return InformationRequest.objects.count(), Disclosure.objects.count()


# --- Happy paths -------------------------------------------------------------------------------------------------


def test_the_child_page_offers_both_journeys_to_those_who_may(world: World, client_for: Any) -> None:
    made = case(world)
    page = text(with_purpose(client_for("practitioner"), made.child).get(f"/children/{made.child.pk}/"))
    assert url("emergency", made.child) in page and "Share in an emergency" in page
    assert url("refer", made.child) in page and "Refer a concern" in page
    # A partnership admin reaches the child to merge duplicates, but shares nothing: no links, and a 403.
    admin = with_purpose(client_for("partnership_admin"), made.child)
    assert "Share in an emergency" not in text(admin.get(f"/children/{made.child.pk}/"))
    assert admin.get(url("emergency", made.child)).status_code == 403


def test_an_emergency_disclosure_from_the_child_page(world: World, client_for: Any) -> None:
    made = case(world)
    client = with_purpose(client_for("practitioner"), made.child)
    first = text(client.get(url("emergency", made.child)))
    # The agencies that signed the protocol in force with home's, and nobody else.
    assert "Which agency receives it?" in first and "Hill School" in first and "Other Police Force" in first
    assert "Unsigned Academy" not in first and "Home Council" not in first.split("Which agency receives it?")[1]
    # The school's trained practitioners are offered; someone untrained is not (they cannot use the index).
    make_user(name="Tia Untrained", agency=school_of(world), roles=[Role.PRACTITIONER])
    offered = text(client.get(f"{url('emergency', made.child)}?to_agency={school_of(world).pk}"))
    assert "Sam Teacher" in offered and "Cal Colleague" in offered and "Tia Untrained" not in offered
    done = through_pages(client, "emergency", made, emergency_answers(made))
    assert done.status_code == 302, text(done)[:3000]
    disclosure = Disclosure.objects.get(child=made.child)
    assert done["Location"] == f"/disclosures/{disclosure.pk}/"
    assert disclosure.kind == "emergency" and disclosure.emergency_reason == "immediate_risk_of_harm"
    assert disclosure.legal_basis == "significant_harm" and disclosure.to_agency_id == school_of(world).pk
    assert disclosure.review_due_at is not None
    assert list(disclosure.recipients.values_list("user_id", flat=True)) == [world.users["school"].pk]
    assert list(disclosure.entries.values_list("entry_id", flat=True)) == [made.entry.pk]
    assert EntryGrant.objects.filter(disclosure_id=disclosure.pk, user=world.users["school"]).exists()
    # The managers are alerted at once, and the page says so with the review deadline.
    assert Notification.objects.filter(key=f"emergency-{disclosure.pk}-{world.users['designated_manager'].pk}").exists()
    said = [str(message) for message in get_messages(done.wsgi_request)]
    assert len(said) == 1 and "designated managers of Home Council" in said[0]
    assert "must review this emergency disclosure by the end of the next working day" in said[0]
    # The draft is gone: the key holds only where the confirmation went (a second click is sent there).
    assert "data" not in client.session.get(JOURNEYS["emergency"].session_key, {})


def test_the_check_page_shows_the_answers_and_what_happens_next(world: World, client_for: Any) -> None:
    made = case(world)
    client = with_purpose(client_for("practitioner"), made.child)
    form_url = f"{url('emergency', made.child)}?to_agency={school_of(world).pk}"
    assert client.post(form_url, emergency_answers(made)).status_code == 302
    page = text(client.get(url("emergency", made.child, check=True)))
    for shown in (
        "Hill School", "The child is at immediate risk of harm", "Risk of significant harm", "Case note: revision 1",
        "Sam Teacher", "No: telling them would not be safe: Telling the mother would put the child at risk.",
        "alerted at once", "by the end of the next working day", "Share now",
    ):  # fmt: skip
        assert shown in page, shown
    assert f'href="{url("emergency", made.child)}#whom"' in page
    assert f'href="{url("emergency", made.child)}?change=agency"' in page
    # Nothing was disclosed by the trials; going back keeps what was typed.
    assert Disclosure.objects.count() == 0 and InformationRequest.objects.count() == 0
    again = text(client.get(url("emergency", made.child)))
    assert "Only the case note about the threat." in again and "Shared with" in again
    chooser = text(client.get(f"{url('emergency', made.child)}?change=agency"))
    assert "Which agency receives it?" in chooser


def test_a_referral_of_sensitive_information_without_consent_waits_for_approval(world: World, client_for: Any) -> None:
    made = case(world)
    client = with_purpose(client_for("practitioner"), made.child)
    form_url = f"{url('refer', made.child)}?to_agency={school_of(world).pk}"
    assert client.post(form_url, refer_answers(made)).status_code == 302
    check = text(client.get(url("refer", made.child, check=True)))
    assert "waits for a designated manager of Home Council" in check and "Refer the concern" in check
    done = client.post(url("refer", made.child, check=True))
    referral = InformationRequest.objects.get(child=made.child)
    assert done.status_code == 302 and done["Location"] == f"/requests/{referral.pk}/"
    assert referral.kind == "proactive" and referral.state == "awaiting_approval"
    assert not Disclosure.objects.exists()
    said = [str(message) for message in get_messages(done.wsgi_request)]
    assert "is waiting for approval" in said[0]
    assert Notification.objects.filter(key=f"approval-{referral.pk}-{world.users['designated_manager'].pk}").exists()


def test_a_referral_of_the_minimum_data_is_shared_at_once(world: World, client_for: Any) -> None:
    made = case(world)
    client = with_purpose(client_for("practitioner"), made.child)
    data = refer_answers(made, tiers=["minimum"], entries=[])
    done = through_pages(client, "refer", made, data)
    disclosure = Disclosure.objects.get(child=made.child)
    assert done.status_code == 302 and done["Location"] == f"/disclosures/{disclosure.pk}/"
    assert disclosure.kind == "proactive" and disclosure.tiers == ["minimum"] and disclosure.approver_id is None


def test_a_referral_on_consent_finds_the_consent_that_covers_it(world: World, client_for: Any) -> None:
    made = case(world)
    consent_record(world, made.child, **parent(), recipients=[school_of(world)], tiers=["minimum"])
    client = with_purpose(client_for("practitioner"), made.child)
    data = refer_answers(
        made, tiers=["minimum"], entries=[], consent_basis="consent", override_ground="",
        legal_basis="explicit_consent", why_without_consent="",
    )  # fmt: skip
    done = through_pages(client, "refer", made, data)
    assert done.status_code == 302, text(done)[:3000]
    disclosure = Disclosure.objects.get(child=made.child)
    assert disclosure.consent_id == ConsentRecord.objects.get(child=made.child).pk


# --- Every refusal on the form, with its rule -------------------------------------------------------------------


def test_without_consent_the_reason_is_asked_and_nothing_is_written(world: World, client_for: Any) -> None:
    made = case(world)
    client = with_purpose(client_for("practitioner"), made.child)
    before = counts()
    page = errors_of(through_pages(client, "emergency", made, emergency_answers(made, why_without_consent="")))
    assert "Say why this is shared without consent." in page
    assert 'id="id_why_without_consent-error"' in page
    nothing_written(before)
    assert AuditEvent.objects.filter(kind="request.refused").exists()


def test_the_family_not_told_needs_a_reason(world: World, client_for: Any) -> None:
    made = case(world)
    client = with_purpose(client_for("practitioner"), made.child)
    page = errors_of(through_pages(client, "emergency", made, emergency_answers(made, subject_not_told_reason="")))
    assert 'id="id_subject_not_told_reason-error"' in page


def test_a_restricted_entry_to_someone_not_authorised_for_it(world: World, client_for: Any) -> None:
    made = case(world)
    restricted = entry_record(
        actor=fresh(world.users["restricted"]), child=made.child, agency=world.home, category="case_note",
        fields={}, text="The victim's new address.", basis="fact", restricted=True,
    )  # fmt: skip
    client = with_purpose(client_for("restricted"), made.child)
    page = errors_of(through_pages(client, "emergency", made, emergency_answers(made, entries=[restricted.pk])))
    assert "only people authorised for restricted information may receive it, and Sam Teacher is not" in page
    assert 'id="id_recipients-error"' in page
    # The practitioner not authorised for restricted information is not even offered it.
    other = text(with_purpose(client_for("practitioner"), made.child).get(
        f"{url('emergency', made.child)}?to_agency={school_of(world).pk}"
    ))  # fmt: skip
    assert f'value="{restricted.pk}"' not in other and f'value="{made.entry.pk}"' in other


def test_an_agency_under_a_sanction_cannot_receive(world: World, client_for: Any) -> None:
    made = case(world)
    AgencySanction.objects.create(
        agency=school_of(world), scope="sensitive_tier", direction="receive", from_on=timezone.localdate(),
        reason="Breach of the protocol.",
    )  # fmt: skip
    client = with_purpose(client_for("practitioner"), made.child)
    before = counts()
    page = errors_of(through_pages(client, "emergency", made, emergency_answers(made)))
    assert "Hill School" in page and 'id="form-errors"' in page
    nothing_written(before)


def test_referral_refusals_consent_ground_and_police_form(world: World, client_for: Any) -> None:
    made = case(world)
    client = with_purpose(client_for("practitioner"), made.child)
    # Consent said to cover it, but none is recorded.
    page = errors_of(
        through_pages(client, "refer", made, refer_answers(made, consent_basis="consent", override_ground=""))
    )
    assert 'id="id_consent_basis-error"' in page
    # Refused, without the ground that overrides it.
    page = errors_of(through_pages(client, "refer", made, refer_answers(made, override_ground="")))
    assert "Choose the ground that overrides the refusal." in page
    # Not sought, without the reason.
    page = errors_of(
        through_pages(client, "refer", made, refer_answers(made, consent_basis="not_sought", override_ground=""))
    )
    assert "Say why consent was not sought" in page
    # The police basis needs the police form's reference.
    page = errors_of(through_pages(client, "refer", made, refer_answers(made, legal_basis="police_s29")))
    assert 'id="id_s29_form_reference-error"' in page or 'id="id_legal_basis-error"' in page
    # Kinds of information without the detailed and sensitive tier.
    page = errors_of(through_pages(client, "refer", made, refer_answers(made, tiers=["minimum"])))
    assert 'id="id_entries-error"' in page
    # The detailed and sensitive tier without an entry.
    page = errors_of(through_pages(client, "refer", made, refer_answers(made, entries=[])))
    assert 'id="id_entries-error"' in page
    assert not InformationRequest.objects.exists()


def test_a_retention_date_in_the_past(world: World, client_for: Any) -> None:
    made = case(world)
    client = with_purpose(client_for("practitioner"), made.child)
    past = timezone.localdate() - timedelta(days=3)
    data = emergency_answers(
        made, retain_until_day=str(past.day), retain_until_month=str(past.month), retain_until_year=str(past.year)
    )
    page = errors_of(through_pages(client, "emergency", made, data))
    assert 'id="id_retain_until-error"' in page


def test_a_refusal_that_arises_after_the_answers_were_checked(world: World, client_for: Any) -> None:
    """The school is sanctioned between the form and the confirmation: the check page says so, and the confirmation
    is refused with the rule, nothing written."""
    made = case(world)
    client = with_purpose(client_for("practitioner"), made.child)
    form_url = f"{url('emergency', made.child)}?to_agency={school_of(world).pk}"
    assert client.post(form_url, emergency_answers(made)).status_code == 302
    AgencySanction.objects.create(
        agency=school_of(world), scope="sensitive_tier", direction="receive", from_on=timezone.localdate(),
        reason="Breach of the protocol.",
    )  # fmt: skip
    check = errors_of(client.get(url("emergency", made.child, check=True)))
    assert "Share now" not in check and "Nothing has been shared" in check
    before = counts()
    refused = errors_of(client.post(url("emergency", made.child, check=True)))
    assert "Hill School" in refused
    nothing_written(before)


# --- Who reaches the pages; bad input never a 500 ---------------------------------------------------------------


def test_a_shielded_or_out_of_scope_child_is_not_found(world: World, client_for: Any) -> None:
    made = case(world)
    shielded = make_child(world, "Sia", "Hidden", shielded=True, born_on=date(2014, 5, 6))
    officer = client_for("other_agency")
    for path in (url("emergency", shielded), url("refer", shielded), url("emergency", shielded, check=True)):
        assert officer.get(path).status_code == 404, path
    assert officer.post(url("emergency", shielded), emergency_answers(made)).status_code == 404
    for role in ("auditor", "agency_admin", "no_role"):
        assert client_for(role).get(url("emergency", made.child)).status_code == 404, role
    assert client_for("practitioner").get("/children/999999999/disclosures/emergency/").status_code == 404


def test_the_check_page_without_answers_goes_back_to_the_form(world: World, client_for: Any) -> None:
    made = case(world)
    client = with_purpose(client_for("practitioner"), made.child)
    for kind in ("emergency", "refer"):
        response = client.get(url(kind, made.child, check=True))
        assert response.status_code == 302 and response["Location"] == url(kind, made.child)
        response = client.post(url(kind, made.child, check=True))
        assert response.status_code == 302 and response["Location"] == url(kind, made.child)


@pytest.mark.parametrize(
    "query",
    ["to_agency=abc", "to_agency=999999999", "to_agency=", "to_agency=1&agency=x", "to_agency=%00", "change=agency"],
)
def test_a_bad_agency_choice_asks_again(world: World, client_for: Any, query: str) -> None:
    made = case(world)
    client = with_purpose(client_for("practitioner"), made.child)
    response = client.get(f"{url('emergency', made.child)}?{query}")
    assert response.status_code == 200 and "Which agency receives it?" in text(response)


@pytest.mark.parametrize(
    "values",
    [
        {"entries": ["not-a-number"]},
        {"entries": ["99999999"]},
        {"recipients": ["0"]},
        {"recipients": []},
        {"reason": "boredom"},
        {"legal_basis": "police_s29"},
        {"purpose": "Curiosity"},
        {"tiers": ["aggregate"]},
        {"why": "x" * 5000},
        {"subject_told": "maybe"},
        {"is_confidential": "perhaps"},
        {"retain_until_day": "31", "retain_until_month": "2", "retain_until_year": "2030"},
        {"why_without_consent": "a\x00b"},
        {"entries": [str(n) for n in range(200)]},
    ],
)
def test_bad_input_is_a_message_on_the_form(world: World, client_for: Any, values: dict[str, Any]) -> None:
    made = case(world)
    client = with_purpose(client_for("practitioner"), made.child)
    before = counts()
    form_url = f"{url('emergency', made.child)}?to_agency={school_of(world).pk}"
    errors_of(client.post(form_url, emergency_answers(made, **values)))
    nothing_written(before)


def test_entries_of_another_agency_are_never_offered(world: World, client_for: Any) -> None:
    made = case(world)
    officer = with_purpose(client_for("other_agency"), made.child)
    form_url = f"{url('emergency', made.child)}?to_agency={school_of(world).pk}"
    page = text(officer.get(form_url))
    assert f'value="{made.entry.pk}"' not in page
    assert "Your agency has recorded nothing about this child that you can share." in page
    errors_of(officer.post(form_url, emergency_answers(made)))
    assert not RecordEntry.objects.filter(grants__isnull=False).exists()


def test_a_person_of_several_agencies_chooses_which_they_share_for(world: World, client_for: Any) -> None:
    made = case(world)
    school = school_of(world)
    both = make_user(name="Bo Both", agency=world.home, roles=[Role.PRACTITIONER])
    membership_create(actor=SYSTEM, user=both, agency=world.other, roles=[Role.PRACTITIONER.value])
    train(both)
    client = with_purpose(sign_in(Client(), both), made.child)
    page = text(client.get(url("emergency", made.child)))
    assert "Which agency are you sharing for?" in page
    chosen = text(client.get(f"{url('emergency', made.child)}?agency={world.home.pk}&to_agency={school.pk}"))
    assert "Shared by" in chosen and world.home.name in chosen


def test_the_trial_and_the_check_page_run_a_fixed_number_of_statements(world: World, client_for: Any) -> None:
    """The permission matrix measures the pages before the purpose is stated; here, the trial of the answers and
    "check your answers" themselves, before and after the child has more entries and the school more people: the
    same count."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    made = case(world)
    client = with_purpose(client_for("practitioner"), made.child)
    form_url = f"{url('emergency', made.child)}?to_agency={school_of(world).pk}"
    check_url = url("emergency", made.child, check=True)

    def counted() -> list[int]:
        found = []
        client.post(form_url, emergency_answers(made))  # the first reading of the session and caches
        with CaptureQueriesContext(connection) as queries:
            assert client.post(form_url, emergency_answers(made)).status_code == 302
        found.append(len(queries))
        client.get(check_url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(check_url).status_code == 200
        found.append(len(queries))
        return found

    before = counted()
    for number in range(4):
        entry_record(
            actor=fresh(world.users["practitioner"]), child=made.child, agency=world.home, category="case_note",
            fields={}, text=f"Another note {number}.", basis="opinion",
        )  # fmt: skip
        train(make_user(name=f"Teacher {number}", agency=school_of(world), roles=[Role.PRACTITIONER]))
    assert counted() == before, before


def test_a_draft_the_journey_did_not_write_is_dropped(world: World, client_for: Any) -> None:
    made = case(world)
    client = with_purpose(client_for("practitioner"), made.child)
    session = client.session
    session[JOURNEYS["emergency"].session_key] = {
        "child": made.child.pk, "agency": world.home.pk, "to_agency": school_of(world).pk,
        "data": {"purpose": PURPOSE, "tiers": ["minimum"], "legal_basis": "not-a-basis"},
    }  # fmt: skip
    session.save()
    response = client.get(url("emergency", made.child, check=True))
    assert response.status_code == 302 and response["Location"] == url("emergency", made.child)
    assert JOURNEYS["emergency"].session_key not in client.session
