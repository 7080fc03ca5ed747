"""`manage.py seed_demo` builds a believable partnership, through the services, and is idempotent."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from agencies.demo import AGENCIES, LOGIN_KEYS, PEOPLE, demo_email
from agencies.models import Agency, AgencyKind, ApiToken, Membership, User
from agencies.policy import principal
from audit.models import AuditEvent
from isp_portal.demo_context import DEMO_API_TOKEN, DEMO_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def demo_mode(settings: Any) -> None:
    """seed_demo runs only in demo mode (tests/test_demo_mode.py proves it refuses otherwise)."""
    settings.DEMO_MODE = True


def counts() -> dict[str, int]:
    return {
        "agencies": Agency.objects.count(),
        "users": User.objects.count(),
        "memberships": Membership.objects.count(),
        "tokens": ApiToken.objects.count(),
    }


def test_seed_demo_twice_changes_nothing_the_second_time() -> None:
    call_command("seed_demo", stdout=io.StringIO())
    first = counts()
    events = AuditEvent.objects.count()
    call_command("seed_demo", stdout=io.StringIO())
    assert counts() == first
    assert AuditEvent.objects.count() == events  # nothing was written the second time
    out = io.StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    assert "already present" in out.getvalue()


def test_the_demo_partnership_is_believable() -> None:
    call_command("seed_demo", stdout=io.StringIO())
    kinds = set(Agency.objects.values_list("kind", flat=True))
    for kind in (
        AgencyKind.LOCAL_AUTHORITY,
        AgencyKind.POLICE,
        AgencyKind.HEALTH_TRUST,
        AgencyKind.SCHOOL,
        AgencyKind.YOUTH_OFFENDING_TEAM,
        AgencyKind.VOLUNTARY,
    ):
        assert kind in kinds
    assert Agency.objects.filter(parent__isnull=False).exists()  # a commissioned service
    assert len(set(Agency.objects.values_list("area", flat=True))) >= 2
    roles_by_key = {spec["key"]: set(spec["roles"]) for spec in PEOPLE}
    for key in LOGIN_KEYS:
        spec = next(spec for spec in PEOPLE if spec["key"] == key)
        user = User.objects.get(email=demo_email(spec["name"]))
        assert user.check_password(DEMO_PASSWORD)
        assert user.totpdevice_set.filter(confirmed=True).exists()
        held = {role for membership in principal(user).memberships for role in membership.roles}
        assert held == roles_by_key[key]
    # Every write went through a service, so the audit trail saw it.
    assert AuditEvent.objects.filter(kind="agency.create").count() == Agency.objects.count()
    assert AuditEvent.objects.filter(actor_label="system: seed_demo").count() > 20


def test_the_demo_api_token_works() -> None:
    call_command("seed_demo", stdout=io.StringIO())
    response = Client(HTTP_AUTHORIZATION=f"Bearer {DEMO_API_TOKEN}").get("/api/v1/me/")
    assert response.status_code == 200 and response.json()["is_system"] is True


def test_the_demo_partnership_admin_is_trained_and_sees_it_on_the_partnerships_training_page() -> None:
    """Issue 10: the training gate holds for partnership admins, so the demo's is trained, and the page where a
    partnership admin keeps the training of the partnership's own people shows it (and the auditor's lack)."""
    from agencies.policy import training_gate_reason
    from tests.factories import sign_in

    call_command("seed_demo", stdout=io.StringIO())
    names = {spec["key"]: spec["name"] for spec in PEOPLE}
    admin = User.objects.get(email=demo_email(names["partnership_admin"]))
    assert training_gate_reason(admin) is None
    page = sign_in(Client(), admin).get("/partnership/training/")
    assert page.status_code == 200
    html = page.content.decode()
    row = html[html.index(f'<td class="govuk-table__cell">{names["partnership_admin"]}</td>') :].split("</tr>")[0]
    assert "Valid" in row and f"Certificate {admin.pk:05d}" in row
    auditor_row = html[html.index(f'<td class="govuk-table__cell">{names["auditor"]}</td>') :].split("</tr>")[0]
    assert "No training recorded" in auditor_row


def test_create_partnership_admin_command() -> None:
    out = io.StringIO()

    class Input(io.StringIO):
        pass

    command_stdin = Input("A-long-enough-passphrase-for-admin\n")
    from agencies.management.commands.create_partnership_admin import Command

    command = Command(stdout=out)
    command.stdin = command_stdin  # type: ignore[attr-defined]
    call_command(command, "--email", "First.Admin@Example.org", "--name", "First Admin", "--password-stdin")
    user = User.objects.get(email="first.admin@example.org")
    assert user.check_password("A-long-enough-passphrase-for-admin")
    assert principal(user).has("partnership_admin")
    from django.core.management import CommandError

    command = Command(stdout=io.StringIO())
    command.stdin = Input("short\n")  # type: ignore[attr-defined]
    with pytest.raises(CommandError, match="password"):
        call_command(command, "--email", "second@example.org", "--name", "Second", "--password-stdin")
    assert not User.objects.filter(email="second@example.org").exists()


def test_the_demo_children_cover_what_the_index_must_show() -> None:
    """Issue 10's demo: 200+ fictional children made by the services, 999-range NHS numbers with valid check
    digits, several agencies involved with lead professionals, entries in every category, restricted entries,
    revisions, shielded children (one shielded after its details were changed), a pair to merge, and the
    spelling cases the search must find."""
    from datetime import date

    from sharing import rules
    from sharing.demo import SPECIALS
    from sharing.models import Child, ChildMerge, ChildName, EntryRevision, Involvement, RecordEntry
    from sharing.selectors import child_search, likely_match_rows

    call_command("seed_demo", stdout=io.StringIO())
    children = Child.objects.all()
    assert children.count() >= 200
    assert AuditEvent.objects.filter(kind="child.create").count() == children.count()  # all through child_create
    # One legal name per entry in use: a merged entry's moved to the entry kept as a previous name (child_merge).
    # An erased entry has no names left (Southampton 8: sharing.services.retention.child_erase).
    assert (
        ChildName.objects.filter(kind="legal").count()
        == children.filter(merged_into__isnull=True, erased_at__isnull=True).count()
    )
    assert ChildName.objects.filter(kind="previous").exists() and ChildName.objects.filter(kind="known_as").exists()
    numbers = [number for number in children.values_list("nhs_number", flat=True) if number]
    assert len(numbers) > 150
    for number in numbers:
        assert number.startswith("999") and rules.nhs_number_normalised(number) == number
    assert Involvement.objects.values("agency").distinct().count() >= 5
    assert Involvement.objects.filter(lead_professional__isnull=False).count() > children.count() / 2
    assert Involvement.objects.filter(ended_on__isnull=False).exists()
    assert set(RecordEntry.objects.values_list("category", flat=True)) == {c.value for c in rules.Category}
    assert RecordEntry.objects.filter(is_restricted=True).exclude(category=rules.Category.SCHEDULE_ONE).exists()
    assert EntryRevision.objects.filter(number__gt=1).exists()
    special = next(s for s in SPECIALS if s.shielded)
    shielded = ChildName.objects.get(given=special.given, family=special.family).child
    assert shielded.is_shielded and shielded.shielding_agency_id is not None
    # A child whose details were changed (its old legal name kept as a previous one), then shielded, by the services.
    changed = ChildName.objects.get(given="Florian", family="Oakhurst-Reed", kind="legal").child
    assert changed.names.filter(family="Oakhurst", kind="previous").exists() and changed.languages == [
        "English",
        "Welsh",
    ]
    assert changed.is_shielded and AuditEvent.objects.filter(kind="child.shield", child_id=changed.pk).exists()
    assert AuditEvent.objects.filter(kind="child.update", child_id=changed.pk).exists()
    assert set(children.filter(is_shielded=True)) == {shielded, changed}
    # The pair waiting for a partnership admin: the second entry's duplicate check offers the first.
    kept = ChildName.objects.get(given="Tobias", family="Mossgrove").child
    other = ChildName.objects.get(given="Toby", family="Mossgrove").child
    matches = likely_match_rows(nhs_number=None, born_on=other.born_on, given="Toby", family="Mossgrove", postcode=None)
    assert kept.pk in {match.child_id for match in matches}
    assert kept.merged_into_id is None and other.merged_into_id is None  # still waiting
    # A family name corrected through the name-correction path: replaced (not kept as a previous name), with the
    # length of its reason on the audit event, never the text (break11h finding 8).
    corrected = ChildName.objects.get(given="Imogen", family="Blackthorne", kind="legal").child
    assert not ChildName.objects.filter(family="Blackthrone").exists()
    correction = AuditEvent.objects.get(kind="child.update", child_id=corrected.pk)
    assert correction.detail["name_change"] == "correction" and "reason" not in correction.detail
    assert correction.detail["reason_length"] == len(
        "Typed wrongly when the child was recorded: the birth certificate says Blackthorne."
    )
    # Two entries whose dates of birth differed, merged by a partnership admin who confirmed the difference.
    wilhelmina = ChildName.objects.get(given="Wilhelmina", family="Gorsebrook").child
    # The merged entry's legal name moved to the entry kept as a previous name; the entry points at it.
    assert ChildName.objects.get(given="Mina", family="Gorsebrook").kind == "previous"
    mina = ChildMerge.objects.get(kept=wilhelmina).merged
    assert mina.merged_into_id == wilhelmina.pk and mina.born_on != wilhelmina.born_on
    merged = AuditEvent.objects.filter(kind="child.merge", child_id=wilhelmina.pk).get()
    assert merged.detail["dates_of_birth_differed"] is True and merged.actor_label != "system: seed_demo"
    # Issue 11 (Southampton 8, 11): one young person leaves the age scope in ten days, one record was closed by a
    # partnership admin, one closed and erased (no names left, the erasure audited with its rule).
    from datetime import timedelta

    from django.utils import timezone

    from sharing.services.retention import retention_version

    version = retention_version()
    assert version is not None
    leaver = ChildName.objects.get(given="Morgan", family="Ashworth-Leigh").child
    assert rules.age_on(leaver.born_on, timezone.localdate()) == version.age_max
    assert rules.age_on(leaver.born_on, timezone.localdate() + timedelta(days=10)) == version.age_max + 1
    assert children.filter(closed_on__isnull=False, erased_at__isnull=True, closed_under="admin").count() == 1
    erased = children.get(erased_at__isnull=False)
    assert not erased.names.exists()
    assert AuditEvent.objects.get(kind="child.erase", child_id=erased.pk).detail["rule"] == "admin"
    # The spelling cases, searched as the demo practitioner.
    priya = User.objects.get(email=demo_email("Priya Shah"))

    def found(name: str, born_on: date | None = None) -> set[str]:
        search = child_search(principal=priya, purpose="Demo check", name=name, born_on=born_on)
        return {f"{result.given} {result.family}" for result in search.results}

    assert {"Aoife O\u2019Brien", "Ciarán O'Brien"} <= found("O Brien")
    assert "Łukasz Quillfeather" in found("Lukasz")
    assert "Søren Thistledown" in found("Soren Thistledown")
    assert "Greta Strauß" in found("Strauss")
    # Issue 11: the demo's aggregate table has counts shown and counts suppressed (small ones and their
    # complements), so the page shows what suppression looks like.
    from sharing.selectors.aggregate import Dimension, children_aggregate

    # The page's first table (age band by gender) and the agency's.
    for rows, columns in ((Dimension.AGE_BAND, Dimension.GENDER), (Dimension.AGENCY, Dimension.AGE_BAND)):
        table = children_aggregate(actor=priya, rows=rows, columns=columns).table
        shown = [table.cell(r, c) for r in table.rows for c in table.columns]
        assert table.suppressed_count > 0 and any(count is not None and count > 10 for count in shown)
    assert "Jayden Smith-Jones" in found("Jones Jayden")
    assert "Maisie Larkspur" in found("Maisie Pennywhistle")  # a previous name
    assert f"{special.given} {special.family}" not in found(special.given)  # the shield: not by a partial name
    assert f"{special.given} {special.family}" in found(f"{special.given} {special.family}", shielded.born_on)
    assert "Alexandra Penhallow" in found("Sasha Penhallow")  # a known-as given name with the family name
    assert "Imogen Blackthorne" in found("Imogen Blackthorne", corrected.born_on)
    # The merged entry's name and its own (mistyped) date of birth still find the kept child.
    assert "Wilhelmina Gorsebrook" in found("Mina Gorsebrook", mina.born_on)


def test_the_demo_requests_show_every_state_and_what_each_person_has_to_do() -> None:
    """design12 8: a request in each state from the school to children's social care; one waiting for the demo
    designated manager's approval; an emergency disclosure waiting for review; a proactive referral school -> social
    care; and a request whose parent refused consent, ready for the demo social worker to answer on significant
    harm. All through the services: each left its audit event."""
    from disclosures.models import Disclosure, InformationRequest
    from disclosures.selectors import approvals_pending
    from isp_portal.policy import can

    call_command("seed_demo", stdout=io.StringIO())
    people = {spec["key"]: User.objects.get(email=demo_email(spec["name"])) for spec in PEOPLE}
    names = {spec["key"]: spec["name"] for spec in AGENCIES}
    council, school = (Agency.objects.get(name=names[key]) for key in ("council", "riverside"))
    requested = InformationRequest.objects.filter(kind="requested", requester_agency=school, holding_agency=council)
    assert set(requested.values_list("state", flat=True)) == {
        "submitted", "awaiting_approval", "shared", "declined", "withdrawn", "expired",
    }  # fmt: skip
    manager, social_worker = people["designated_manager"], people["practitioner"]
    approvals, reviews = approvals_pending(manager)
    assert [row.may_approve for row in approvals] == [True]
    assert can(manager, "approve", approvals[0].request)
    [review] = reviews
    assert review.may_review and review.disclosure.kind == "emergency"
    assert not review.disclosure.events.exists() and review.disclosure.review_due_at is not None
    ready = requested.get(state="submitted")
    assert (ready.consent_basis, ready.override_ground) == ("refused", "significant_harm")
    assert "sensitive" in ready.tiers and can(social_worker, "answer", ready)
    referral = Disclosure.objects.get(kind="proactive")
    assert (referral.from_agency_id, referral.to_agency_id) == (school.pk, council.pk)
    assert Disclosure.objects.filter(kind="requested", approver=manager).exists()
    assert AuditEvent.objects.filter(kind="request.submit").count() == requested.count()
    assert AuditEvent.objects.filter(kind="request.expire").count() == 1


def test_the_demo_tells_issue_13s_three_scenes_once() -> None:
    """docs/after-disclosure-design.md 10: (1) an onward request school -> the trust waiting for the council's
    designated manager (Southampton 10); (2) a case note passed on with agreement, then corrected by the council, the
    school's and the trust's notices pending (Southampton 9); (3) a declined request disputed, stage-1 positions
    differing, at stage 2 with the council's advice recorded and the school's waiting (Southampton 13). The people
    a dispute goes to are set: line managers, heads of service, data protection officers. A second seed adds
    nothing."""
    from disclosures.models import (
        CorrectionNotice,
        Dispute,
        DisputeAdvice,
        DisputePosition,
        OnwardRequest,
    )
    from disclosures.onward_selectors import onward_requests
    from isp_portal.policy import can

    call_command("seed_demo", stdout=io.StringIO())
    people = {spec["key"]: User.objects.get(email=demo_email(spec["name"])) for spec in PEOPLE}
    names = {spec["key"]: spec["name"] for spec in AGENCIES}
    council, school, trust = (Agency.objects.get(name=names[key]) for key in ("council", "riverside", "trust"))
    # Who a dispute goes to, set through membership_update (audited).
    memberships = {key: Membership.objects.get(user=people[key]) for key in people if key not in {"auditor"}}
    assert memberships["practitioner"].line_manager == people["designated_manager"]
    assert memberships["school_dsl"].line_manager == people["school_head"]
    assert memberships["trust_health_visitor"].line_manager == people["caldicott"]
    heads = {m.agency_id for m in memberships.values() if m.is_head_of_service}
    assert heads == {council.pk, school.pk, trust.pk}
    assert all(memberships[key].is_data_protection_officer for key in ("council_dpo", "school_dpo"))
    # (1) and (2): the onward requests.
    waiting = OnwardRequest.objects.get(state="requested")
    assert (waiting.from_agency, waiting.to_agency, waiting.originator_agency) == (school, trust, council)
    manager = people["designated_manager"]
    assert [row.pk for row in onward_requests(manager, role="to_decide")] == [waiting.pk]
    assert can(manager, "decide", waiting)
    passed = OnwardRequest.objects.get(state="disclosed")
    assert passed.to_agency == trust and passed.decided_by == manager
    notices = CorrectionNotice.objects.filter(acknowledged_at__isnull=True)
    assert {notice.agency_id for notice in notices} == {school.pk, trust.pk}
    assert {notice.correction.entry_id for notice in notices} == {passed.entries.get().entry_id}
    # (3): the dispute at stage 2.
    dispute = Dispute.objects.get()
    assert (dispute.raising_agency, dispute.responding_agency) == (school, council)
    assert (dispute.state, dispute.stage, dispute.escalation_reason) == ("stage_two", 2, "positions_differ")
    assert dispute.request is not None and dispute.request.state == "declined"
    stage_one = dict(DisputePosition.objects.filter(dispute=dispute, stage=1).values_list("side", "position"))
    assert stage_one == {"raising": "share", "responding": "not_share"}
    assert list(DisputeAdvice.objects.filter(dispute=dispute).values_list("side", "adviser")) == [
        ("responding", people["council_dpo"].pk)
    ]
    assert can(people["school_dpo"], "advise", dispute)  # the school's advice is what waits
    # A second seed adds nothing.
    before = (OnwardRequest.objects.count(), CorrectionNotice.objects.count(), Dispute.objects.count())
    events = AuditEvent.objects.count()
    call_command("seed_demo", stdout=io.StringIO())
    assert (OnwardRequest.objects.count(), CorrectionNotice.objects.count(), Dispute.objects.count()) == before
    assert AuditEvent.objects.count() == events
