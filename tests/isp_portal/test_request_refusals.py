"""Requests refused whole, in the shape the caller reads (issue 8): a format the API does not offer, a JSON
key given twice, a service's error named by the field the caller sent, a form post that is not UTF-8, a body
over the limits (413 with the limit), each logged as one line without a traceback."""

from __future__ import annotations

import logging
import sys
from typing import Any

import pytest
from django.test import Client, override_settings

from agencies.models import Agency, TrainingCourse, TrainingRecord
from audit.models import AuditEvent
from isp_portal.api_input import BoundedJSONParser
from isp_portal.log_filters import RefusalOneLineFilter
from isp_portal.middleware import FORM_ENCODING_REFUSED
from tests.factories import World
from tests.matrix import client_as

pytestmark = pytest.mark.django_db


def error_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    error: dict[str, Any] = response.json()["error"]
    assert error["status"] == status and error["code"] and error["message"]
    return error


# --- Item 1: no format but the ones offered; the browsable API never -------------------------------------------


@pytest.mark.parametrize("fmt", ["api", "xml", "yaml", "html", "castle"])
@pytest.mark.parametrize("path", ["/api/v1/agencies/", "/api/v1/me/", "/api/v1/notifications/"])
def test_an_unknown_format_is_a_json_404_in_the_error_shape(world: World, fmt: str, path: str) -> None:
    response = client_as(world, "partnership_admin").get(path, {"format": fmt})
    error = error_of(response, 404)
    assert error["code"] == "not_found" and "json" in error["message"]
    assert b"<html" not in response.content.lower() and b"djangorestframework" not in response.content.lower()


@pytest.mark.parametrize("fmt", ["api", "xml"])
def test_the_schema_refuses_an_unknown_format_in_json_too(world: World, fmt: str) -> None:
    error = error_of(Client().get("/api/schema/", {"format": fmt}), 404)
    assert "yaml" in error["message"]  # it says which formats there are


def test_the_offered_formats_still_answer(world: World) -> None:
    assert client_as(world, "partnership_admin").get("/api/v1/agencies/", {"format": "json"}).status_code == 200
    assert Client().get("/api/schema/", {"format": "json"}).status_code == 200


def test_a_refused_accept_header_is_answered_in_json(world: World) -> None:
    response = client_as(world, "partnership_admin").get("/api/v1/agencies/", HTTP_ACCEPT="text/html")
    assert error_of(response, 406)["code"]


def test_no_browsable_api_renderer_is_configured(settings: Any) -> None:
    assert settings.REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] == ["rest_framework.renderers.JSONRenderer"]


# --- Item 4: a key given twice ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ('{"name": "Westbrook", "kind": "school", "name": "Eastbrook"}', "name"),
        ('{"name": "Westbrook", "nested": {"a": 1, "a": 2}}', "a"),
        ('[{"roles": [], "roles": ["agency_admin"]}]', "roles"),
    ],
)
def test_a_json_key_given_twice_is_a_400_naming_it(world: World, body: str, key: str) -> None:
    before = Agency.objects.count()
    response = client_as(world, "partnership_admin").post("/api/v1/agencies/", body, content_type="application/json")
    error = error_of(response, 400)
    assert error["code"] == "parse_error" and f"'{key}' twice" in error["message"]
    assert Agency.objects.count() == before


def test_the_parser_still_reads_distinct_keys() -> None:
    import io

    data = BoundedJSONParser().parse(io.BytesIO(b'{"a": {"a": 1}, "b": [{"a": 2}]}'))
    assert data == {"a": {"a": 1}, "b": [{"a": 2}]}


# --- Item 2: a service's errors named by the fields the caller sent ----------------------------------------------


def test_the_training_import_names_its_row_errors_by_the_csv_field(world: World) -> None:
    course = TrainingCourse.objects.filter(is_active=True).first()
    assert course is not None
    csv = f"email,course,completed_on,expires_on,evidence\nnobody@example.org,{course.name},2026-01-10,,Cert\n"
    response = client_as(world, "agency_admin").post(
        "/api/v1/training-records/import/", {"agency": world.home.pk, "csv": csv}, content_type="application/json"
    )
    fields = error_of(response, 400)["fields"]
    assert list(fields) == ["csv"] and "Line 2" in fields["csv"][0]
    assert not TrainingRecord.objects.filter(evidence="Cert").exists()
    (event,) = AuditEvent.objects.filter(request_id=response["X-Request-ID"], kind="request.refused")
    assert event.detail["fields"] == ["csv"]


def test_a_service_error_about_no_sent_field_is_not_named_as_one(world: World) -> None:
    client = client_as(world, "partnership_admin")
    membership = world.users["practitioner"].memberships.get(is_active=True)
    url = f"/api/v1/memberships/{membership.pk}/deactivate/"
    assert client.post(url, {"reason": "Left"}, content_type="application/json").status_code == 200
    again = client.post(url, {"reason": "Left"}, content_type="application/json")
    fields = error_of(again, 400)["fields"]
    assert list(fields) == ["non_field_errors"] and "already ended" in fields["non_field_errors"][0]


# --- Item 5: a form post that is not UTF-8 ------------------------------------------------------------------------


def edit_url(world: World) -> str:
    return f"/agencies/{world.home.pk}/edit/"


@pytest.mark.parametrize(
    "body",
    [b"address=Town+Hall%FF&phone=", b"address=Town+Hall\xff&phone=", b"addr%C3ess=1", b"address=%C3"],
    ids=["percent-escaped byte", "raw byte", "in a field name", "a cut-off character"],
)
def test_a_url_encoded_form_that_is_not_utf8_is_a_400_page_and_nothing_is_saved(world: World, body: bytes) -> None:
    before = Agency.objects.get(pk=world.home.pk).address
    response = client_as(world, "agency_admin").post(
        edit_url(world), body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "not valid text" in response.content.decode() and "govuk-heading-l" in response.content.decode()
    assert Agency.objects.get(pk=world.home.pk).address == before


def test_a_multipart_form_that_is_not_utf8_is_a_400_page(world: World) -> None:
    boundary = "XyZ"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="address"\r\n\r\n'.encode()
        + b"Town Hall \xff\xfe\r\n"
        + f"--{boundary}--\r\n".encode()
    )
    response = client_as(world, "agency_admin").post(
        edit_url(world), body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 400 and FORM_ENCODING_REFUSED.split(",")[0] in response.content.decode()


def test_a_utf8_form_is_still_taken_whole(world: World) -> None:
    response = client_as(world, "agency_admin").post(
        edit_url(world), {"address": "Zoë's Hall, Łódź", "phone": "", "registration_number": ""}
    )
    assert response.status_code in {200, 302}
    if response.status_code == 302:
        assert Agency.objects.get(pk=world.home.pk).address == "Zoë's Hall, Łódź"


def test_a_json_body_that_is_not_utf8_is_a_400_in_the_error_shape(world: World) -> None:
    response = client_as(world, "partnership_admin").post(
        "/api/v1/agencies/", b'{"name": "\xff"}', content_type="application/json"
    )
    assert error_of(response, 400)["code"] == "parse_error"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/agencies/", '{"name": "Westbrook", "kind": "\\ud800"}'),
        ("/api/v1/agencies/", '{"name": "West\\udfffbrook", "kind": "school"}'),
        ("/api/v1/agencies/", '{"\\ud800": 1}'),
        ("/api/v1/agencies/", '[["\\udc00"]]'),
    ],
    ids=["in a choice the error echoes", "in a text field", "in a key", "nested"],
)
def test_a_json_string_with_an_unpaired_surrogate_is_a_400_in_the_error_shape(
    world: World, path: str, body: str
) -> None:
    """A JSON escape may name half of a UTF-16 pair (RFC 8259 8.2), which no UTF-8 text can hold: a choice
    field's error that echoed it could not be encoded (a 500), and a text field could not be stored."""
    before = Agency.objects.count()
    response = client_as(world, "partnership_admin").post(path, body, content_type="application/json")
    error = error_of(response, 400)
    assert error["code"] == "parse_error" and "surrogate" in error["message"]
    assert Agency.objects.count() == before


# --- Item 7: a body over the limits is a 413 saying the limit ---------------------------------------------------


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2048)
def test_a_form_post_over_the_size_limit_is_a_413_page_naming_the_limit(world: World) -> None:
    client = client_as(world, "agency_admin")
    response = client.post(edit_url(world), {"address": "x" * 4096})
    assert response.status_code == 413
    page = response.content.decode()
    assert "too large" in page and "2 KB" in page and "govuk-heading-l" in page, page[page.find("<main") :]
    events = AuditEvent.objects.filter(request_id=response["X-Request-ID"])
    assert [event.detail["status"] for event in events] == [413]


@override_settings(DATA_UPLOAD_MAX_NUMBER_FIELDS=10)
def test_a_form_post_with_too_many_fields_is_a_413_page_naming_the_limit(world: World) -> None:
    response = client_as(world, "agency_admin").post(edit_url(world), {f"f{index}": "1" for index in range(20)})
    assert response.status_code == 413 and "more than 10 fields" in response.content.decode()


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2048)
def test_a_url_encoded_api_body_over_the_limit_is_a_json_413(world: World) -> None:
    response = client_as(world, "partnership_admin").post(
        "/api/v1/agencies/", "name=" + "x" * 4096, content_type="application/x-www-form-urlencoded"
    )
    assert error_of(response, 413)["code"] == "too_large"


# --- Item 8: a refusal is one log line ----------------------------------------------------------------------------


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2048)
def test_refusals_are_logged_as_one_line_without_a_traceback(world: World, caplog: Any) -> None:
    handler_filter = RefusalOneLineFilter()
    caplog.handler.addFilter(handler_filter)
    try:
        with caplog.at_level(logging.WARNING):
            client = client_as(world, "practitioner")
            too_large = client.post(edit_url(world), {"address": "x" * 4096})
            forbidden = client.get(f"/agencies/{world.home.pk}/edit/")
    finally:
        caplog.handler.removeFilter(handler_filter)
    assert too_large.status_code == 413 and forbidden.status_code in {403, 404}
    refusals = [r for r in caplog.records if r.name.startswith("django.security.") or r.name == "django.request"]
    assert {r.name for r in refusals} >= {"django.security.RequestDataTooBig", "django.request"}
    for record in refusals:
        assert record.exc_info is None and record.levelno == logging.WARNING, record.getMessage()
        assert "Traceback" not in caplog.text


def test_the_logging_configuration_puts_the_refusal_filter_on_every_handler(settings: Any) -> None:
    handlers = settings.LOGGING["handlers"]
    assert handlers and all("refusal_one_line" in handler.get("filters", []) for handler in handlers.values())


def test_a_server_error_keeps_its_traceback() -> None:
    record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "Internal Server Error", None, None)
    record.status_code = 500
    try:
        raise ValueError("boom")
    except ValueError:
        record.exc_info = sys.exc_info()
    assert RefusalOneLineFilter().filter(record) and record.exc_info is not None
    assert record.levelno == logging.ERROR


@pytest.mark.parametrize(
    "path",
    ["/api/v1/agencies/\x00/", "/api/v1/memberships/%00/", "/api/v1/protocols/1\x00/", "/api/v1/signatures/\x00/"],
)
def test_an_id_holding_a_nul_is_a_404_and_its_denial_is_on_the_record(world: World, path: str) -> None:
    """The fault as found: the API's routes take any id without a slash, and the denial's audit event carried
    the NUL into a text column and the detail's JSON, which PostgreSQL cannot hold (a 500 and no record)."""
    before = AuditEvent.objects.filter(kind="access.denied").count()
    response = client_as(world, "partnership_admin").get(path)
    assert error_of(response, 404)["code"] == "not_found"
    (event,) = AuditEvent.objects.filter(kind="access.denied", request_id=response["X-Request-ID"])
    assert "\x00" not in event.object_id and "\x00" not in str(event.detail)
    assert AuditEvent.objects.filter(kind="access.denied").count() == before + 1


def test_the_audit_trail_stores_what_postgresql_cannot_hold_as_a_replacement_character(world: World) -> None:
    from audit.services import audit_record

    event_id = audit_record(
        kind="test.nul",
        actor=None,
        object_id="1\x00",
        object_label="a\x00b",
        detail={"reason": "x\x00y", "k\x00": ["\x00"]},
    )
    event = AuditEvent.objects.get(pk=event_id)
    assert event.object_id == "1\ufffd" and event.object_label == "a\ufffdb"
    assert event.detail == {"reason": "x\ufffdy", "k\ufffd": ["\ufffd"]}
