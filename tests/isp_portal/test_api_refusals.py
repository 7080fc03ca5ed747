"""Every refusal leaves one trace, and the API answers what its description says (issue 8, items 8 and 9):
refused writes, references out of scope inside a body, CSRF failures; unknown fields, oversized bodies,
unknown addresses; the public schema with its documented errors."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client, override_settings
from rest_framework import serializers
from rest_framework.relations import ManyRelatedField, RelatedField

from agencies.api import serializers as agency_serializers
from agencies.models import Agency, Membership, Role, TrainingRecord
from audit.models import AuditEvent
from consent.api import views as consent_views
from isp_portal.api import ScopedPrimaryKeyField
from isp_portal.notifications import notify
from protocols.api import serializers as protocol_serializers
from sharing.api import child_shapes as sharing_children
from sharing.api import entries as sharing_entries
from sharing.api import involvements as sharing_involvements
from tests.factories import World, make_user, sign_in
from tests.matrix import client_as

pytestmark = pytest.mark.django_db

SECRET_VALUE = "Qz-do-not-store-this-value"


def send(client: Client, method: str, url: str, body: Any) -> Any:
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


def events_of(response: Any) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(request_id=response["X-Request-ID"]).order_by("id"))


def membership_of(world: World, role: str) -> Membership:
    return Membership.objects.get(user=world.users[role], is_active=True)


# --- Item 8: every refusal recorded, once -------------------------------------------------------------------------


def test_a_refused_write_is_recorded_once_with_the_fields_but_not_the_values(world: World) -> None:
    response = send(
        client_as(world, "partnership_admin"),
        "post",
        "/api/v1/agencies/",
        {"name": "Westbrook", "kind": SECRET_VALUE, "sector": "statutory"},
    )
    assert response.status_code == 400
    (event,) = events_of(response)
    assert event.kind == "request.refused" and event.outcome == "denied"
    assert event.detail["fields"] == ["kind"] and event.detail["status"] == 400
    assert SECRET_VALUE not in json.dumps(event.detail)


def test_a_malformed_filter_on_a_read_changes_nothing_and_is_not_recorded(world: World) -> None:
    response = client_as(world, "practitioner").get("/api/v1/agencies/?kind=castle")
    assert response.status_code == 400
    assert events_of(response) == []


@pytest.mark.parametrize("role", [Role.PARTNERSHIP_ADMIN, Role.AUDITOR])
def test_granting_oneself_a_partnership_role_is_refused_and_recorded(world: World, role: str) -> None:
    admin = membership_of(world, "agency_admin")
    response = send(
        client_as(world, "agency_admin"), "patch", f"/api/v1/memberships/{admin.pk}/", {"roles": ["agency_admin", role]}
    )
    assert response.status_code in {400, 403}, response.content
    admin.refresh_from_db()
    assert role not in admin.roles
    (event,) = events_of(response)  # recorded once, whichever layer refused it
    assert event.kind in {"request.refused", "access.denied", "access.refused"} and event.outcome == "denied"
    if response.status_code == 400:
        assert "roles" in event.detail["fields"] or "non_field_errors" in event.detail["fields"]


def test_a_reference_out_of_scope_is_a_400_like_a_missing_id_and_an_audited_denial(world: World) -> None:
    client = client_as(world, "agency_admin")
    stranger = world.users["other_agency"]
    body = {"course": 1, "completed_on": "2026-01-05", "evidence": "Certificate"}
    from agencies.models import TrainingCourse

    body["course"] = TrainingCourse.objects.filter(is_active=True).order_by("id").first().pk  # type: ignore[union-attr]
    out_of_scope = send(client, "post", "/api/v1/training-records/", {**body, "user": stranger.pk})
    missing = send(client, "post", "/api/v1/training-records/", {**body, "user": 987654321})

    assert out_of_scope.status_code == missing.status_code == 400
    # The answer does not tell an existing person of another agency from nobody (no existence leak).
    assert out_of_scope.json()["error"]["fields"]["user"][0].replace(str(stranger.pk), "N") == missing.json()["error"][
        "fields"
    ]["user"][0].replace("987654321", "N")
    # In plain words, not DRF's 'Invalid pk "N" - object does not exist.'
    assert missing.json()["error"]["fields"]["user"] == [
        "Nothing you can reach has the id 987654321. Check the number."
    ]
    assert not TrainingRecord.objects.filter(user=stranger).exists()

    (denial,) = events_of(out_of_scope)
    assert denial.kind == "access.denied" and denial.outcome == "denied"
    assert denial.object_type == "agencies.user" and denial.object_id == str(stranger.pk)
    assert denial.detail["reason"] == "reference out of scope"
    assert denial.detail["references"] == [
        {"field": "user", "object_type": "agencies.user", "object_id": str(stranger.pk)}
    ]
    (refused,) = events_of(missing)
    assert refused.kind == "request.refused" and refused.detail["fields"] == ["user"]


def test_references_inside_lists_are_scoped_and_named_by_their_path(world: World) -> None:
    review_pk = _review(world)
    response = send(
        client_as(world, "partnership_admin"),
        "post",
        f"/api/v1/reviews/{review_pk}/complete/",
        {"findings": "Fine", "completed_on": "2026-01-05", "officers": [world.users["no_role"].pk]},
    )
    # A partnership admin sees every member, so this reference is in scope; a person with no membership is not.
    assert response.status_code in {200, 400}
    if response.status_code == 400:
        assert all(
            event.kind in {"request.refused", "access.denied", "access.refused"} for event in events_of(response)
        )
        assert len(events_of(response)) == 1


def _review(world: World) -> int:
    from tests.protocol_fixtures import review

    return review(world).pk


def test_policy_denials_are_still_recorded_exactly_once(world: World) -> None:
    response = send(
        client_as(world, "practitioner"), "post", f"/api/v1/agencies/{world.home.pk}/status/", {"to_status": "x"}
    )
    assert response.status_code == 403
    assert [event.kind for event in events_of(response)] == ["access.denied"]


def test_a_csrf_failure_in_the_browser_is_recorded(world: World) -> None:
    client = sign_in(Client(enforce_csrf_checks=True), world.users["practitioner"])
    response = client.post("/sign-out/")
    assert response.status_code == 403
    (event,) = events_of(response)
    assert event.kind == "access.denied" and event.detail["reason"] == "csrf"
    assert event.actor_id == world.users["practitioner"].pk


def test_a_csrf_failure_in_the_api_is_recorded_and_answered_in_the_error_shape(world: World) -> None:
    user = world.users["practitioner"]
    notify(recipient_id=user.pk, key="csrf", subject="s", body="b")
    from isp_portal.models import Notification

    pk = Notification.objects.get(recipient=user).pk
    response = sign_in(Client(enforce_csrf_checks=True), user).post(f"/api/v1/notifications/{pk}/read/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"
    (event,) = events_of(response)
    assert event.kind == "access.denied" and event.detail["reason"] == "csrf"
    assert Notification.objects.get(pk=pk).read_at is None


# --- Item 9: what the API accepts and answers --------------------------------------------------------------------


def test_unknown_fields_are_refused_by_name_and_nothing_changes(world: World) -> None:
    before = Agency.objects.count()
    response = send(
        client_as(world, "partnership_admin"),
        "post",
        "/api/v1/agencies/",
        {"name": "Westbrook", "kind": "school", "sector": "statutory", "colour": "red", "is_admin": True},
    )
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"colour", "is_admin"}
    assert Agency.objects.count() == before


def test_unknown_fields_inside_nested_objects_are_refused_too(world: World) -> None:
    response = send(
        client_as(world, "partnership_admin"),
        "post",
        "/api/v1/meetings/",
        {"title": "Board", "held_on": "2026-01-05", "agenda": [{"title": "Welcome", "minutes_taker": 3}]},
    )
    assert response.status_code == 400
    assert "agenda.0.minutes_taker" in response.json()["error"]["fields"]


def test_read_only_fields_are_unknown_in_a_body(world: World) -> None:
    admin = membership_of(world, "agency_admin")
    response = send(client_as(world, "agency_admin"), "patch", f"/api/v1/memberships/{admin.pk}/", {"is_active": False})
    assert response.status_code == 400 and "is_active" in response.json()["error"]["fields"]


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2048)
def test_a_body_over_the_size_limit_gets_a_json_413(world: World) -> None:
    response = client_as(world, "partnership_admin").post(
        "/api/v1/agencies/", data=json.dumps({"name": "x" * 4096}), content_type="application/json"
    )
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "too_large"
    assert [event.detail["status"] for event in events_of(response)] == [413]


@pytest.mark.parametrize("path", ["/api/v1/castles/", "/api/v2/", "/api/v1/agencies", "/api/"])
def test_unknown_api_addresses_answer_json_404(world: World, path: str) -> None:
    for client in (Client(), client_as(world, "practitioner")):
        response = client.get(path)
        assert response.status_code == 404
        assert response["Content-Type"].startswith("application/json")
        assert response.json()["error"]["code"] == "not_found"


@override_settings(DEBUG=True)
def test_unknown_api_addresses_answer_json_even_with_debug_on(world: World) -> None:
    response = Client().get("/api/v1/castles/")
    assert response.status_code == 404 and response.json()["error"]["status"] == 404


# --- The description ------------------------------------------------------------------------------------------


def test_the_schema_is_public_and_documents_every_error(world: World) -> None:
    response = Client().get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["components"]["schemas"]["Error"]["required"] == ["error"]
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            for code in ("400", "401", "403", "404", "413", "429"):
                documented = operation["responses"].get(code, {})
                assert documented.get("content", {}).get("application/json", {}).get("schema") == {
                    "$ref": "#/components/schemas/Error"
                }, f"{method.upper()} {path} does not document {code}"


def test_request_bodies_are_described_as_closed(world: World) -> None:
    schema = Client().get("/api/schema/?format=json").json()
    components = schema["components"]["schemas"]
    for methods in schema["paths"].values():
        for operation in methods.values():
            for media in operation.get("requestBody", {}).get("content", {}).values():
                name = media["schema"]["$ref"].rsplit("/", 1)[1]
                assert components[name]["additionalProperties"] is False, name


def test_the_schema_speaks_to_an_api_consumer_not_of_internal_documents(world: World) -> None:
    text = Client().get("/api/schema/?format=json").content.decode()
    for internal in ("DESIGN", "Haringey", "Southampton", "Buckinghamshire", "Barnet", "WYCPS"):
        assert internal not in text, internal


# --- The mechanism covers every input serializer ----------------------------------------------------------------


def _input_serializers() -> list[type[serializers.Serializer[Any]]]:
    found = []
    for module in (
        agency_serializers,
        protocol_serializers,
        sharing_children,
        sharing_entries,
        sharing_involvements,
        consent_views,
    ):
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, serializers.Serializer)
                and not issubclass(value, serializers.ModelSerializer)
                and value.__name__.endswith(("In", "IO"))
            ):
                found.append(value)
    return found


def _relations(field: Any) -> list[Any]:
    if isinstance(field, ManyRelatedField):
        return [field.child_relation]
    if isinstance(field, serializers.ListField):
        return _relations(field.child)
    if isinstance(field, serializers.ListSerializer):
        return _relations(field.child)
    if isinstance(field, serializers.Serializer):
        return [relation for child in field.fields.values() for relation in _relations(child)]
    if isinstance(field, RelatedField):
        return [field]
    return []


def test_every_relation_in_an_input_body_resolves_through_the_policy() -> None:
    serializer_classes = _input_serializers()
    assert len(serializer_classes) > 20
    unscoped = [
        f"{serializer_class.__name__}.{name}"
        for serializer_class in serializer_classes
        for name, field in serializer_class().fields.items()
        for relation in _relations(field)
        if not isinstance(relation, ScopedPrimaryKeyField)
    ]
    assert unscoped == []


@pytest.mark.parametrize("value", [1e400, True, 1.5, "1e400", -1, 0, 2**64, "12abc"])
def test_an_id_that_cannot_be_one_is_a_400_never_a_500(world: World, value: Any) -> None:
    admin = client_as(world, "agency_admin")
    body = '{"agency": %s, "email": "a@b.example", "full_name": "A B", "roles": ["practitioner"]}' % (
        "1e400" if value == 1e400 else json.dumps(value)
    )
    response = admin.post("/api/v1/invitations/", data=body, content_type="application/json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    if value == 1e400:
        # A number JSON cannot hold finitely is refused as the body is read (isp_portal.api_input), before
        # any field is looked at.
        assert error["code"] == "parse_error" and "too large" in error["message"]
    else:
        assert "agency" in error["fields"]


def test_a_practitioner_cannot_see_people_of_another_agency_through_a_reference(world: World) -> None:
    other_person = make_user(name="Other Person", agency=world.other, roles=[Role.PRACTITIONER])
    response = send(
        client_as(world, "agency_admin"),
        "post",
        "/api/v1/meetings/",
        {"title": "Board", "held_on": "2026-01-05", "attendees": [other_person.pk]},
    )
    assert response.status_code in {400, 403}
    assert "Other Person" not in response.content.decode()


@pytest.mark.parametrize("query", ["page_size=abc", "page_size=0", "page_size=-3", "status=", "protocol="])
def test_query_parameters_the_description_refuses_are_refused(world: World, query: str) -> None:
    response = client_as(world, "practitioner").get(f"/api/v1/reviews/?{query}")
    assert response.status_code == 400, response.content
    assert query.split("=")[0] in response.json()["error"]["fields"]


def test_a_page_size_over_the_maximum_is_capped(world: World) -> None:
    response = client_as(world, "practitioner").get("/api/v1/agencies/?page_size=5000")
    assert response.status_code == 200 and "results" in response.json()


def test_an_error_inside_a_list_is_named_by_its_path_in_plain_words(world: World) -> None:
    """A refused item of a list names the item ("roles.0"), never a Python structure (ErrorDetail, dicts)."""
    admin = client_as(world, "agency_admin")
    body = {"agency": world.home.pk, "email": "a@b.example", "full_name": "A B", "roles": ["boss"]}
    response = send(admin, "post", "/api/v1/invitations/", body)
    assert response.status_code == 400, response.content
    fields = response.json()["error"]["fields"]
    assert list(fields) == ["roles.0"]
    assert fields["roles.0"] == ['"boss" is not a valid choice.']
    assert "ErrorDetail" not in response.content.decode()


def test_a_map_whose_keys_are_data_stays_open_in_the_schema(world: World) -> None:
    """A version's clauses ({"review": "5.1"}) is a map of the caller's keys: closing it would let only {}."""
    components = Client().get("/api/schema/?format=json").json()["components"]["schemas"]
    maps = [
        (name, field)
        for name, component in components.items()
        for field, child in component.get("properties", {}).items()
        if isinstance(child.get("additionalProperties"), dict)
    ]
    assert any(field == "clauses" for _, field in maps), maps
