"""Bounded input, and no input that gives a 500 (issue 8 items 5, 6 and 10).

Two kinds of test. The walks check the whole kind, so a field added later without a bound fails here: every
TextField of every model has a length constraint and every DateField a plausible-date constraint; every text,
number, list, date and relation field of every form and every API input serializer is bounded, and refuses
the values that gave 500s (`1e400`, 99999999999, a NUL) with a field error. The requests check the faults
that were found, end to end: each gets a 400 in the error shape or a form error, and nothing is written.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django import forms
from django.apps import apps
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.test import Client
from django.utils import timezone
from rest_framework import serializers

from agencies.models import (
    Agency,
    AgencyStatusChange,
    Invitation,
    Membership,
    Role,
    SignatoryRequirement,
    TrainingCourse,
    TrainingRecord,
)
from audit.models import AuditEvent
from audit.services import audit_record, bounded_detail
from isp_portal import bounds
from isp_portal.api_input import MAX_JSON_DEPTH, EraDateField, ObjectIdField, json_depth
from protocols.forms import LinesField
from protocols.models import Protocol, Signature
from tests import protocol_fixtures as fx
from tests.factories import SYSTEM, World
from tests.matrix import client_as

ROOT = Path(__file__).resolve().parents[2]
PORTAL_APPS = ("agencies", "protocols", "sharing", "consent", "disclosures", "breaches", "audit", "isp_portal")


# --- The walks: models --------------------------------------------------------------------------------------


def portal_fields(kind: type[models.Field[Any, Any]]) -> list[tuple[type[models.Model], models.Field[Any, Any]]]:
    found = []
    for label in PORTAL_APPS:
        for model in apps.get_app_config(label).get_models():
            found.extend((model, field) for field in model._meta.local_fields if isinstance(field, kind))
    return found


def checks_of(model: type[models.Model]) -> list[models.CheckConstraint]:
    return [constraint for constraint in model._meta.constraints if isinstance(constraint, models.CheckConstraint)]


def field_id(item: tuple[type[models.Model], models.Field[Any, Any]]) -> str:
    return f"{item[0]._meta.label}.{item[1].name}"


TEXT_FIELDS = portal_fields(models.TextField)
DATE_FIELDS = [item for item in portal_fields(models.DateField) if not isinstance(item[1], models.DateTimeField)]


def test_the_walks_find_the_fields() -> None:
    assert len(TEXT_FIELDS) >= 20 and len(DATE_FIELDS) >= 20


@pytest.mark.parametrize("item", TEXT_FIELDS, ids=[field_id(item) for item in TEXT_FIELDS])
def test_every_text_column_has_a_length_the_database_holds(item: tuple[type[models.Model], Any]) -> None:
    model, field = item
    assert field.max_length, f"{field_id(item)} has no max_length"
    expected = LessThanOrEqual(Length(field.name), field.max_length)
    assert any(check.condition == expected for check in checks_of(model)), (
        f"{field_id(item)} has no CheckConstraint on its length (isp_portal.db_bounds.text_length)"
    )


ARRAY_FIELDS = [
    (model, field)
    for model, field in portal_fields(ArrayField)
    # Lists of choices are bounded by their choices (a constraint holds them to the known values).
    if not field.base_field.choices
]


@pytest.mark.parametrize("item", ARRAY_FIELDS, ids=[field_id(item) for item in ARRAY_FIELDS])
def test_every_free_list_column_has_a_bounded_number_of_items(item: tuple[type[models.Model], Any]) -> None:
    model, field = item
    names = {check.name for check in checks_of(model)}
    assert any(name.endswith(f"_{field.name}_items") for name in names), (
        f"{field_id(item)} has no CheckConstraint on its number of items (isp_portal.db_bounds.list_length)"
    )


@pytest.mark.parametrize("item", DATE_FIELDS, ids=[field_id(item) for item in DATE_FIELDS])
def test_every_date_column_holds_only_plausible_dates(item: tuple[type[models.Model], Any]) -> None:
    model, field = item
    names = {check.name for check in checks_of(model)}
    assert any(name.endswith(f"_{field.name}_plausible") for name in names), (
        f"{field_id(item)} has no plausible-date CheckConstraint (isp_portal.db_bounds.date_in_era)"
    )


def test_the_database_refuses_text_too_long_and_dates_out_of_range(world: World) -> None:
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        AgencyStatusChange.objects.create(
            agency=world.home, from_status="active", to_status="suspended", reason="x" * (bounds.REASON + 1),
            effective_on=date(2026, 1, 1),
        )  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        Agency.objects.filter(pk=world.home.pk).update(
            ico_registration_number="Z1234567", ico_registration_expires_on=date(9999, 12, 31)
        )


# --- The walks: forms ---------------------------------------------------------------------------------------


def portal_forms() -> list[type[forms.Form]]:
    found: dict[str, type[forms.Form]] = {}
    for path in sorted(ROOT.glob("*/forms.py")) + sorted(ROOT.glob("*/forms/*.py")):
        module = importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
        for name, value in vars(module).items():
            if inspect.isclass(value) and issubclass(value, forms.BaseForm) and value.__module__ == module.__name__:
                found[f"{module.__name__}.{name}"] = value
    return list(found.values())


def form_fields() -> Iterator[tuple[str, forms.Field]]:
    for form in portal_forms():
        for name, field in form.base_fields.items():
            yield f"{form.__module__}.{form.__name__}.{name}", field
            for index, part in enumerate(getattr(field, "fields", ())):
                yield f"{form.__module__}.{form.__name__}.{name}[{index}]", part


FORM_FIELDS = list(form_fields())


def test_the_form_walk_finds_the_forms() -> None:
    assert len(FORM_FIELDS) > 80


@pytest.mark.parametrize(("name", "field"), FORM_FIELDS, ids=[name for name, _ in FORM_FIELDS])
def test_every_form_field_is_bounded(name: str, field: forms.Field) -> None:
    if isinstance(field, LinesField):
        assert field.max_items and field.max_item_length, name
        assert field.max_length, name
    elif isinstance(field, forms.CharField):
        assert field.max_length, f"{name} has no max_length"
    if isinstance(field, forms.IntegerField):
        assert field.min_value is not None and field.max_value is not None, f"{name} has no min and max"
        # A count or a number of days fits a small integer column; an object's number typed by a person (the
        # other entry of a merge) is an id, a bigint (bounds.ID_MAX), and nothing in between.
        assert field.max_value <= bounds.SMALL_INT_MAX or field.max_value == bounds.ID_MAX, (
            f"{name} allows more than a small integer column holds"
        )


@pytest.mark.parametrize(
    ("name", "field"),
    [(name, field) for name, field in FORM_FIELDS if isinstance(field, forms.CharField)],
    ids=[name for name, field in FORM_FIELDS if isinstance(field, forms.CharField)],
)
def test_every_form_text_field_refuses_a_nul_and_too_much(name: str, field: forms.CharField) -> None:
    with pytest.raises(forms.ValidationError):
        field.clean("a\x00b")
    assert field.max_length is not None
    with pytest.raises(forms.ValidationError):
        field.clean("x" * (field.max_length + 1))


@pytest.mark.parametrize("typed", [("9999999999", "1", "2026"), ("1", "9999999999", "2026"), ("1", "-1", "2026")])
def test_a_day_or_month_too_large_for_a_date_is_a_form_error(typed: tuple[str, str, str]) -> None:
    from isp_portal.forms import GovukDateField

    with pytest.raises(forms.ValidationError, match="real date"):
        GovukDateField().clean(list(typed))


@pytest.mark.parametrize("typed", [("1", "1", "0001"), ("31", "12", "9999"), ("1", "1", "1999")])
def test_a_date_in_year_1_or_9999_is_a_form_error(typed: tuple[str, str, str]) -> None:
    from isp_portal.forms import GovukDateField

    with pytest.raises(forms.ValidationError, match="between 1 January 2000 and 31 December 2099"):
        GovukDateField().clean(list(typed))
    assert GovukDateField().clean(["27", "3", "2026"]) == date(2026, 3, 27)


# --- The walks: API input serializers -------------------------------------------------------------------------


def input_serializers() -> list[type[serializers.Serializer[Any]]]:
    """Every serializer an API view parses input with (parse_input / parse_query), named *In or *IO."""
    used: set[str] = set()
    for path in list(ROOT.glob("*/api/*.py")) + list(ROOT.glob("*/views/api.py")) + [ROOT / "isp_portal/api.py"]:
        used.update(re.findall(r"parse_(?:input|query)\(\s*s\.(\w+)", path.read_text()))
    found: dict[str, type[serializers.Serializer[Any]]] = {}
    for path in sorted(ROOT.glob("*/api/serializers.py")):
        module = importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
        for name, value in vars(module).items():
            if inspect.isclass(value) and issubclass(value, serializers.Serializer) and name.endswith(("In", "IO")):
                found[f"{module.__name__}.{name}"] = value
    unnamed = {name for name in used if not name.endswith(("In", "IO"))}
    assert not unnamed, f"input serializers must be named *In or *IO so the bounds walk sees them: {unnamed}"
    return list(found.values())


INPUT_SERIALIZERS = input_serializers()


def writable_fields(
    serializer_class: type[serializers.Serializer[Any]],
) -> Iterator[tuple[str, serializers.Field[Any, Any, Any, Any]]]:
    for name, field in serializer_class().fields.items():
        if not field.read_only:
            yield f"{serializer_class.__module__}.{serializer_class.__name__}.{name}", field


INPUT_FIELDS = [item for serializer in INPUT_SERIALIZERS for item in writable_fields(serializer)]


def test_the_serializer_walk_finds_the_inputs() -> None:
    assert len(INPUT_SERIALIZERS) > 30 and len(INPUT_FIELDS) > 100


def assert_bounded(name: str, field: Any) -> None:
    if isinstance(field, serializers.ListSerializer):
        assert field.max_length, f"{name} (a list) has no max_length"
        for child_name, child in field.child.fields.items():
            assert_bounded(f"{name}[].{child_name}", child)
    elif isinstance(field, serializers.ManyRelatedField):
        raise AssertionError(f"{name}: use ListField(child=ObjectIdField(...), max_length=...) for a list of ids")
    elif isinstance(field, serializers.ListField):
        assert field.max_length, f"{name} (a list) has no max_length"
        assert_bounded(f"{name}[]", field.child)
    elif isinstance(field, serializers.RelatedField):
        assert isinstance(field, ObjectIdField), f"{name} is a relation but not an ObjectIdField"
    elif isinstance(field, serializers.CharField):
        assert field.max_length, f"{name} has no max_length"
    elif isinstance(field, serializers.IntegerField):
        assert field.min_value is not None and field.max_value is not None, f"{name} has no min_value and max_value"
    elif isinstance(field, serializers.DateField):
        assert isinstance(field, EraDateField), f"{name} is a date but not an EraDateField"
    elif isinstance(field, serializers.Serializer):
        for child_name, child in field.fields.items():
            assert_bounded(f"{name}.{child_name}", child)


@pytest.mark.parametrize(("name", "field"), INPUT_FIELDS, ids=[name for name, _ in INPUT_FIELDS])
def test_every_api_input_field_is_bounded(name: str, field: Any) -> None:
    assert_bounded(name, field)


def hostile_values(field: Any) -> list[Any]:
    """Values that gave 500s, for a field of this kind."""
    if isinstance(field, serializers.ListField | serializers.ListSerializer):
        return [[value] for value in hostile_values(field.child)[:2]]
    if isinstance(field, serializers.RelatedField):
        return [float("inf"), 1e20, 1.5, True, "1e400", 99999999999999999999, -1, "12abc"]
    if isinstance(field, serializers.IntegerField):
        return [(field.max_value or 10**30) + 1, float("inf"), "1e400", 10**30]
    if isinstance(field, serializers.DateField):
        return ["0001-01-01", "9999-12-31"]
    if isinstance(field, serializers.CharField):
        return ["a\x00b", "x" * ((field.max_length or 10**6) + 1)]
    return []


HOSTILE = [
    pytest.param(serializer, name.rsplit(".", 1)[1], value, id=f"{name}={str(value)[:20]!r}")
    for serializer in INPUT_SERIALIZERS
    for name, field in writable_fields(serializer)
    for value in hostile_values(field)
]


@pytest.mark.django_db
@pytest.mark.parametrize(("serializer_class", "field_name", "value"), HOSTILE)
def test_every_api_input_field_refuses_what_gave_500s(
    world: World, serializer_class: type[serializers.Serializer[Any]], field_name: str, value: Any
) -> None:
    request = SimpleNamespace(user=world.users["partnership_admin"])
    serializer = serializer_class(data={field_name: value}, context={"request": request})
    assert not serializer.is_valid()
    assert field_name in serializer.errors, serializer.errors


# --- JSON bodies ------------------------------------------------------------------------------------------------


def raw(client: Client, method: str, url: str, body: str) -> Any:
    return getattr(client, method)(url, data=body, content_type="application/json")


def assert_error_shape(response: Any, status: int = 400) -> dict[str, Any]:
    assert response.status_code == status, response.content
    error: dict[str, Any] = response.json()["error"]
    assert error["status"] == status and error["code"] and error["message"]
    return error


@pytest.mark.django_db
@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 5_000, 100_000])
def test_a_deeply_nested_json_body_is_a_400(world: World, depth: int) -> None:
    client = client_as(world, "partnership_admin")
    body = '{"name": ' + "[" * depth + "]" * depth + "}"
    before = Agency.objects.count()
    error = assert_error_shape(raw(client, "post", "/api/v1/agencies/", body))
    assert "nested" in error["message"]
    assert Agency.objects.count() == before


def test_json_depth_is_measured_without_recursion() -> None:
    assert json_depth(1) == 0 and json_depth([]) == 1 and json_depth({"a": [{"b": 1}]}) == 3
    deep: Any = []
    for _ in range(50_000):
        deep = [deep]
    assert json_depth(deep) > MAX_JSON_DEPTH


@pytest.mark.django_db
@pytest.mark.parametrize("number", ["1e400", "-1e400", "NaN", "Infinity"])
def test_a_number_json_cannot_hold_is_a_400(world: World, number: str) -> None:
    client = client_as(world, "agency_admin")
    body = f'{{"agency": {number}, "email": "new@example.org", "full_name": "New", "roles": ["practitioner"]}}'
    assert_error_shape(raw(client, "post", "/api/v1/invitations/", body))
    assert not Invitation.objects.filter(email="new@example.org").exists()


# --- The faults that were found, end to end ------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("agency_id", ['"1e400"', "1e20", "1.5", "true", "99999999999999999999", '"x"'])
def test_a_relation_id_that_is_not_an_id_is_a_field_error_for_invitations(world: World, agency_id: str) -> None:
    client = client_as(world, "agency_admin")
    body = f'{{"agency": {agency_id}, "email": "new@example.org", "full_name": "New", "roles": ["practitioner"]}}'
    error = assert_error_shape(raw(client, "post", "/api/v1/invitations/", body))
    assert "agency" in error["fields"]
    assert not Invitation.objects.filter(email="new@example.org").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["user", "course", "agency"])
def test_a_relation_id_of_1e400_is_a_field_error_for_training_records(world: World, field: str) -> None:
    client = client_as(world, "agency_admin")
    course = TrainingCourse.objects.filter(is_active=True).first()
    assert course is not None
    body = {
        "user": world.users["practitioner"].pk,
        "course": course.pk,
        "completed_on": "2026-01-05",
        "agency": world.home.pk,
    }
    text = json.dumps(body).replace(f'"{field}": {body[field]}', f'"{field}": 1e400')
    error = assert_error_shape(raw(client, "post", "/api/v1/training-records/", text))
    assert "too large" in error["message"]  # refused as the body is read, before any field
    assert not TrainingRecord.objects.filter(user=world.users["practitioner"], course=course).exists()


@pytest.mark.django_db
def test_a_relation_id_of_1e400_is_a_field_error_for_signing(world: World) -> None:
    protocol = fx.make_protocol("Unsigned Protocol")
    fx.complete_checklist(world.home)
    client = client_as(world, "agency_admin")
    for agency in ("1e400", '"1e400"', "1e19"):
        body = f'{{"agency": {agency}, "signatory_name": "A", "signatory_title": "B", "attestation": "I sign."}}'
        assert_error_shape(raw(client, "post", f"/api/v1/protocols/{protocol.pk}/sign/", body))
    assert not Signature.objects.filter(protocol=protocol, agency=world.home).exists()


@pytest.mark.django_db
def test_a_requirement_number_too_large_for_its_column_is_a_400(world: World) -> None:
    client = client_as(world, "partnership_admin")
    before = SignatoryRequirement.objects.count()
    body = {"text": "Keep a register", "number": 99999999999}
    error = assert_error_shape(client.post("/api/v1/signatory-requirements/", body, content_type="application/json"))
    assert "number" in error["fields"]
    assert SignatoryRequirement.objects.count() == before


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["first_review_months", "review_every_months", "retention_months", "age_max"])
def test_protocol_numbers_too_large_are_a_400(world: World, field: str) -> None:
    client = client_as(world, "partnership_admin")
    body = {
        "title": "Huge",
        "kind": "general",
        "text": "Text",
        "permitted_purposes": [fx.PURPOSE],
        "response_working_days": 10,
        field: 10_000_000,
    }
    error = assert_error_shape(client.post("/api/v1/protocols/", body, content_type="application/json"))
    assert field in error["fields"]
    assert not Protocol.objects.filter(title="Huge").exists()


@pytest.mark.django_db
def test_a_withdrawal_reason_of_2_mb_is_refused_and_never_reaches_the_audit_trail(world: World) -> None:
    protocol = fx.protocol_in_force(world)
    signature = Signature.objects.get(protocol=protocol, agency=world.home, withdrawn_at__isnull=True)
    client = client_as(world, "agency_admin")
    url = f"/api/v1/signatures/{signature.pk}/withdraw/"
    error = assert_error_shape(client.post(url, {"reason": "x" * (2 * 1024 * 1024)}, content_type="application/json"))
    assert "reason" in error["fields"]
    signature.refresh_from_db()
    assert signature.withdrawn_at is None
    assert not any(len(json.dumps(event.detail)) > 100_000 for event in AuditEvent.objects.all())


@pytest.mark.django_db
def test_a_status_change_reason_of_5_mb_is_a_form_error(world: World) -> None:
    client = client_as(world, "partnership_admin")
    response = client.post(
        f"/agencies/{world.home.pk}/status/", {"to_status": "suspended", "reason": "x" * (5 * 1024 * 1024)}
    )
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    assert not AgencyStatusChange.objects.filter(agency=world.home).exists()


@pytest.mark.django_db
def test_the_audit_trail_keeps_a_bounded_part_of_free_text(world: World) -> None:
    event_id = audit_record(
        kind="test.long",
        actor=SYSTEM,
        purpose="p" * 10_000,
        detail={"reason": "r" * 50_000, "ids": list(range(1_000)), "nested": {"note": "n" * 5_000}, "n": 7},
    )
    event = AuditEvent.objects.get(pk=event_id)
    assert len(event.purpose) == bounds.REASON and event.purpose.startswith("p" * 1_000)
    reason = event.detail["reason"]
    assert len(reason) == bounds.AUDIT_TEXT and reason.startswith("r" * 900)
    assert reason.endswith("… [truncated: 50000 characters in all]")
    assert len(event.detail["ids"]) == bounds.AUDIT_LIST_ITEMS + 1
    assert event.detail["ids"][-1] == "… [truncated: 1000 items in all]"
    assert event.detail["nested"]["note"].endswith("[truncated: 5000 characters in all]")
    assert event.detail["n"] == 7


def test_short_detail_is_kept_as_it_is() -> None:
    detail = {"reason": "Our director has left", "changed": {"phone": ["", "+442079460958"]}, "count": 3}
    assert bounded_detail(detail) == detail


# --- Partnership-level memberships (agency is NULL) in the browser ---------------------------------------------


@pytest.fixture
def partnership_auditor(world: World) -> Membership:
    return Membership.objects.get(user=world.users["auditor"], agency__isnull=True)


@pytest.mark.django_db
def test_a_partnership_admin_edits_a_partnership_membership(world: World, partnership_auditor: Membership) -> None:
    client = client_as(world, "partnership_admin")
    url = f"/memberships/{partnership_auditor.pk}/edit/"
    page = client.get(url)
    assert page.status_code == 200
    assert b"The partnership" in page.content
    saved = client.post(url, {"roles": [Role.AUDITOR], "job_title": "Partnership auditor", "team": "Quality"})
    assert saved.status_code == 302, saved.context["form"].errors if saved.context else saved
    partnership_auditor.refresh_from_db()
    assert partnership_auditor.job_title == "Partnership auditor"


@pytest.mark.django_db
def test_a_partnership_admin_ends_a_partnership_membership(world: World, partnership_auditor: Membership) -> None:
    client = client_as(world, "partnership_admin")
    url = f"/memberships/{partnership_auditor.pk}/deactivate/"
    assert client.get(url).status_code == 200
    ended = client.post(url, {"reason": "Contract finished"})
    assert ended.status_code == 302
    partnership_auditor.refresh_from_db()
    assert not partnership_auditor.is_active


# --- Plausible dates ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("expires", ["9999-12-31", "0001-01-01"])
def test_an_ico_expiry_of_year_9999_or_1_is_refused(world: World, expires: str) -> None:
    client = client_as(world, "agency_admin")
    body = {"ico_registration_number": "Z7654321", "ico_registration_expires_on": expires}
    response = client.patch(f"/api/v1/agencies/{world.home.pk}/", body, content_type="application/json")
    assert "ico_registration_expires_on" in assert_error_shape(response)["fields"]
    world.home.refresh_from_db()
    assert world.home.ico_registration_expires_on != date.fromisoformat(expires)


@pytest.mark.django_db
def test_an_ico_expiry_more_than_13_months_ahead_is_refused_by_the_service(world: World) -> None:
    from django.core.exceptions import ValidationError

    from agencies.services import agency_update

    today = timezone.localdate()
    with pytest.raises(ValidationError) as refused:
        agency_update(
            actor=SYSTEM,
            agency=world.home,
            ico_registration_number="Z7654321",
            ico_registration_expires_on=today + timedelta(days=800),
        )
    assert "renewed every year" in refused.value.message_dict["ico_registration_expires_on"][0]
    agency_update(
        actor=SYSTEM,
        agency=world.home,
        ico_registration_number="Z7654321",
        ico_registration_expires_on=today + timedelta(days=365),
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("completed", "expires", "field"),
    [("1999-12-31", None, "completed_on"), ("2020-01-01", "2099-01-01", "expires_on")],
)
def test_implausible_training_dates_are_refused(world: World, completed: str, expires: str | None, field: str) -> None:
    client = client_as(world, "agency_admin")
    course = TrainingCourse.objects.filter(is_active=True).first()
    assert course is not None
    body = {"user": world.users["practitioner"].pk, "course": course.pk, "completed_on": completed}
    if expires:
        body["expires_on"] = expires
    response = client.post("/api/v1/training-records/", body, content_type="application/json")
    assert field in assert_error_shape(response)["fields"]


@pytest.mark.django_db
def test_a_vetting_check_in_year_1_is_a_form_error(world: World) -> None:
    membership = Membership.objects.get(user=world.users["practitioner"], agency=world.home)
    client = client_as(world, "agency_admin")
    response = client.post(
        f"/memberships/{membership.pk}/edit/",
        {
            "roles": [Role.PRACTITIONER],
            "vetting_checked_on_day": "1",
            "vetting_checked_on_month": "1",
            "vetting_checked_on_year": "0001",
        },
    )
    assert response.status_code == 200 and "vetting_checked_on" in response.context["form"].errors


# --- Training CSV through the page and the API ---------------------------------------------------------------------


def training_csv(world: World, separator: str = ",", evidence: str = "Cert 1") -> str:
    course = TrainingCourse.objects.filter(is_active=True).order_by("name").first()
    assert course is not None
    email = world.users["practitioner"].email
    header = separator.join(["email", "course", "completed_on", "expires_on", "evidence"])
    return f"{header}\n{separator.join([email, course.name, '2026-01-05', '', evidence])}\n"


@pytest.mark.django_db
def test_a_csv_with_a_nul_is_a_form_error_not_a_500(world: World) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_as(world, "agency_admin")
    upload = SimpleUploadedFile("training.csv", training_csv(world, evidence="Cert\x001").encode(), "text/csv")
    response = client.post(f"/agencies/{world.home.pk}/training/import/", {"file": upload})
    assert response.status_code == 200
    assert "NUL characters" in str(response.context["form"].errors["file"])
    assert not TrainingRecord.objects.filter(user=world.users["practitioner"]).exists()


@pytest.mark.django_db
def test_a_csv_with_a_nul_is_a_400_in_the_api(world: World) -> None:
    client = client_as(world, "agency_admin")
    body = {"agency": world.home.pk, "csv": training_csv(world, evidence="Cert\x001")}
    response = client.post("/api/v1/training-records/import/", body, content_type="application/json")
    assert "csv" in assert_error_shape(response)["fields"]
    assert not TrainingRecord.objects.filter(user=world.users["practitioner"]).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("separator", [";", "\t"])
def test_a_csv_saved_with_semicolons_or_tabs_is_imported(world: World, separator: str) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_as(world, "agency_admin")
    upload = SimpleUploadedFile("training.csv", training_csv(world, separator).encode(), "text/csv")
    response = client.post(f"/agencies/{world.home.pk}/training/import/", {"file": upload})
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    assert TrainingRecord.objects.filter(user=world.users["practitioner"], evidence="Cert 1").exists()
