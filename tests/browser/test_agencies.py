"""Issue 3 journeys in a real Chromium: a partnership admin keeps the register, an agency admin manages
their people, training, security document and checklist, an invitee joins, a practitioner looks around.
Every page visited is checked with axe-core."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from agencies.models import Agency, AgencyStatusChange, Membership, SecurityDocument, TrainingRecord, User
from audit.models import AuditEvent
from tests.browser.conftest import Journey
from tests.factories import World
from tests.pdf_samples import PDF


def fill_date(page: Page, name: str, day: int, month: int, year: int) -> None:
    page.locator(f"#id_{name}_day").fill(str(day))
    page.locator(f"#id_{name}_month").fill(str(month))
    page.locator(f"#id_{name}_year").fill(str(year))


def test_partnership_admin_keeps_the_register(browser_world: World, journey: Journey) -> None:
    page = journey.sign_in(browser_world.users["partnership_admin"])
    journey.open_nav("Agencies")
    page.get_by_label("Kind").select_option("police")
    page.get_by_role("button", name="Apply filters").click()
    journey.checked()
    expect(page.get_by_role("link", name="Other Police Force")).to_be_visible()
    expect(page.get_by_role("link", name="Home Council Children's Services")).to_have_count(0)

    page.get_by_role("link", name="Register an agency").click()
    journey.checked()
    page.get_by_label("Name", exact=True).fill("Northbridge Young Carers")
    page.get_by_label("Voluntary or community organisation").check()
    page.get_by_label("Voluntary", exact=True).check()
    page.get_by_label("Main telephone number").fill("not a phone")
    page.get_by_role("button", name="Register agency").click()
    # Bad input comes back with an error summary and the field message, nothing saved.
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    journey.checked()
    assert not Agency.objects.filter(name="Northbridge Young Carers").exists()
    page.get_by_label("Main telephone number").fill("020 7946 0999")
    page.get_by_label("ICO registration number").fill("ZB123456")
    expiry = timezone.localdate() + timedelta(days=200)
    fill_date(page, "ico_registration_expires_on", expiry.day, expiry.month, expiry.year)
    page.get_by_role("button", name="Register agency").click()
    expect(page.get_by_role("heading", name="Northbridge Young Carers")).to_be_visible()
    journey.checked()
    agency = Agency.objects.get(name="Northbridge Young Carers")
    assert agency.ico_registration_number == "ZB123456"

    page.get_by_role("link", name="Change status").click()
    journey.checked()
    page.get_by_label("Suspended").check()
    page.get_by_label("Reason").fill("ICO registration under query")
    page.get_by_role("button", name="Change status").click()
    expect(page.get_by_role("heading", name="Status history")).to_be_visible()
    journey.checked()
    assert AgencyStatusChange.objects.get(agency=agency).reason == "ICO registration under query"

    journey.visit("/signatory-requirements/")
    page.get_by_role("link", name="Add a requirement").click()
    journey.checked()
    page.get_by_label("Requirement").fill("The organisation reviews its information sharing annually.")
    page.get_by_role("button", name="Add requirement").click()
    expect(page.get_by_text("reviews its information sharing annually")).to_be_visible()
    journey.checked()
    assert AuditEvent.objects.filter(kind="agency.status_change", object_id=str(agency.pk)).exists()

    # Issue 10: the training gate holds for the partnership's own people (no agency), so a partnership admin
    # records their training, from the dashboard, as an agency admin does from her agency's page.
    journey.visit("/")
    page.get_by_role("link", name=re.compile("Manage training of the partnership")).click()
    expect(page.get_by_role("heading", name=re.compile("Training records of the partnership")).first).to_be_visible()
    journey.checked()
    expect(page.get_by_text("Audrey Auditor").first).to_be_visible()
    page.get_by_role("link", name="Record training").click()
    journey.checked()
    page.get_by_label("Person").select_option(label="Audrey Auditor")
    page.get_by_label("Course").select_option(index=1)
    tomorrow = timezone.localdate() + timedelta(days=1)
    fill_date(page, "completed_on", tomorrow.day, tomorrow.month, tomorrow.year)
    page.get_by_role("button", name="Record training").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    journey.checked()
    auditor = browser_world.users["auditor"]
    assert not TrainingRecord.objects.filter(user=auditor).exists()
    done = timezone.localdate() - timedelta(days=7)
    fill_date(page, "completed_on", done.day, done.month, done.year)
    page.get_by_role("button", name="Record training").click()
    expect(page.get_by_text("recorded for Audrey Auditor")).to_be_visible()
    journey.checked()
    assert TrainingRecord.objects.get(user=auditor).completed_on == done


def test_agency_admin_manages_people_training_documents_and_checklist(
    browser_world: World, journey: Journey, settings: Any, tmp_path: Path
) -> None:
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    world = browser_world
    page = journey.sign_in(world.users["agency_admin"])
    journey.visit(f"/agencies/{world.home.pk}/")

    # Invite someone new.
    page.get_by_role("link", name="Invite someone").click()
    journey.checked()
    page.get_by_label("Full name").fill("Sam Newcomer")
    page.get_by_label("Work email address").fill("sam.newcomer@test.example")
    page.get_by_label("Practitioner").check()
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("An invitation has been emailed to sam.newcomer@test.example")).to_be_visible()
    journey.checked()
    link = re.search(r"/invitations/[^/\s]+/", mail.outbox[-1].body)
    assert link is not None

    # Change a member's roles and line manager.
    page.get_by_role("link", name="Change Pat Practitioner").click()
    journey.checked()
    page.get_by_label("Designated manager").check()
    page.get_by_label("Line manager").select_option(label="Dee Manager")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Pat Practitioner's roles and details have been saved")).to_be_visible()
    membership = Membership.objects.get(user=world.users["practitioner"], agency=world.home)
    assert set(membership.roles) == {"practitioner", "designated_manager"}
    assert membership.line_manager == world.users["designated_manager"]

    # Record training, then import a CSV: a bad row stops the whole import.
    journey.visit(f"/agencies/{world.home.pk}/training/")
    page.get_by_role("link", name="Record training").click()
    journey.checked()
    page.get_by_label("Person").select_option(label="Pat Practitioner")
    page.get_by_label("Course").select_option(label="Multi-agency information sharing (online)")
    completed = timezone.localdate() - timedelta(days=10)
    fill_date(page, "completed_on", completed.day, completed.month, completed.year)
    page.get_by_role("button", name="Record training").click()
    expect(page.get_by_text("recorded for Pat Practitioner")).to_be_visible()
    journey.checked()
    page.get_by_role("link", name="Import from a CSV file").click()
    csv_path = tmp_path / "training.csv"
    csv_path.write_text(
        "email,course,completed_on,expires_on,evidence\n"
        f"{world.users['designated_manager'].email},Multi-agency information sharing (classroom),2026-01-05,,C1\n"
        f"{world.users['agency_admin'].email},Multi-agency information sharing (online),2026-31-01,,C2\n"
    )
    page.get_by_label("Upload a CSV file").set_input_files(str(csv_path))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("Line 3:").first).to_be_visible()
    journey.checked()
    assert not TrainingRecord.objects.filter(user=world.users["designated_manager"]).exists()

    # Upload the security summary document, confirm a checklist requirement.
    journey.visit(f"/agencies/{world.home.pk}/security-document/")
    pdf_path = tmp_path / "security.pdf"
    pdf_path.write_bytes(PDF)
    page.get_by_label("Upload the security summary (PDF)").set_input_files(str(pdf_path))
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.get_by_text("The security summary document has been uploaded")).to_be_visible()
    assert SecurityDocument.objects.get(agency=world.home).versions.count() == 1
    journey.visit(f"/agencies/{world.home.pk}/checklist/")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("Requirement 1 confirmed")).to_be_visible()
    journey.checked()

    # End a membership: the person is signed out at once.
    journey.visit(f"/agencies/{world.home.pk}/")
    page.get_by_role("link", name="End membership of Dee Manager").click()
    journey.checked()
    page.get_by_label("Why is this membership ending?").fill("Moved to another authority")
    page.get_by_role("button", name="End membership").click()
    expect(page.get_by_text("membership of Home Council Children's Services has ended")).to_be_visible()
    assert not Membership.objects.get(user=world.users["designated_manager"]).is_active

    # The invitee opens the link in their own browser, sets a password and enrols two-factor.
    invitee = page.context.browser.new_context(bypass_csp=True).new_page()  # type: ignore[union-attr]
    guest = Journey(invitee, journey.base_url)
    guest.visit(link.group(0))
    invitee.get_by_label("Create a password").fill("three unrelated words here")
    invitee.get_by_label("Type the password again").fill("three unrelated words here")
    invitee.get_by_role("button", name="Continue").click()
    invitee.wait_for_url("**/sign-in/set-up-two-factor/")
    guest.checked()
    user = User.objects.get(email="sam.newcomer@test.example")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    totp = TOTP(device.bin_key)
    totp.time = time.time()
    invitee.get_by_label("Security code").fill(f"{totp.token():06d}")
    invitee.get_by_role("button", name="Confirm and sign in").click()
    invitee.wait_for_url(journey.base_url + "/")
    guest.checked()
    expect(invitee.get_by_text("Home Council Children's Services").first).to_be_visible()
    assert Membership.objects.get(user=user).roles == ["practitioner"]


def test_practitioner_sees_the_register_and_the_training_gate(browser_world: World, journey: Journey) -> None:
    world = browser_world
    page = journey.sign_in(world.users["practitioner"])
    # No training recorded: the dashboard says why child records are closed and what to do.
    expect(page.get_by_text("You cannot open child records until your information-sharing training")).to_be_visible()
    journey.visit(f"/agencies/{world.home.pk}/")
    expect(page.get_by_role("heading", name="People")).to_be_visible()
    journey.visit(f"/agencies/{world.other.pk}/")
    expect(page.get_by_role("heading", name="People")).to_have_count(0)
    journey.visit(f"/agencies/{world.home.pk}/checklist/")
    response = page.goto(journey.base_url + "/agencies/new/")
    assert response is not None and response.status == 403
    expect(page.get_by_text("Only partnership admins can register agencies")).to_be_visible()
    journey.checked()
    assert AuditEvent.objects.filter(kind="access.denied", actor_id=world.users["practitioner"].pk).exists()


@pytest.fixture(autouse=True)
def _clear_outbox() -> None:
    mail.outbox = []
