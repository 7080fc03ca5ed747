"""The breaches API (issue 14): reporting (201, or 400 on the field with nothing written), a breach with its steps,
completing each step by those responsible (403 naming the rule for anyone else), and a second completion refused
with 400 naming the rule; the schema lists the states."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agencies.models import Role
from breaches import rules
from breaches.models import Breach
from tests.breaches.fixtures import reported_breach
from tests.factories import build_world, make_user, sign_in
from tests.protocol_fixtures import protocol_in_force

pytestmark = pytest.mark.django_db


def _post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, data=body, content_type="application/json")


def test_report_through_the_api_sets_the_steps_due_by_the_rules() -> None:
    world = build_world()
    client = sign_in(Client(), world.users["designated_manager"])
    body = {
        "protocol": protocol_in_force(world).pk, "alleged_agency": world.other.pk, "occurred_on": "2026-08-20",
        "identified_on": "2026-08-21", "description": "Sent to the wrong school.",
    }  # fmt: skip
    response = _post(client, reverse("api-breach-list"), body)
    assert response.status_code == 201, response.json()
    made = response.json()
    due = rules.obligation_due_dates(date(2026, 8, 20), date(2026, 8, 21))
    assert {o["kind"]: o["due_on"] for o in made["obligations"]} == {k: v.isoformat() for k, v in due.items()}
    assert made["actions"] == ["notify-partners"]
    listed = client.get(reverse("api-breach-list")).json()
    assert [b["reference"] for b in listed] == [made["reference"]]
    steps = client.get(reverse("api-breach-obligations", args=[made["id"]])).json()
    assert {s["state"] for s in steps} == {"overdue"}  # all past due: 2026-12-01 is long after


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"identified_on": "2026-08-19"}, "identified_on"),
        ({"occurred_on": "2099-01-01"}, "occurred_on"),
        ({"is_personal_data_breach": True}, "aware_at"),
        ({"children": [999999]}, "children"),
    ],
)
def test_bad_input_is_a_400_on_its_field_with_nothing_written(change: dict[str, Any], field: str) -> None:
    world = build_world()
    client = sign_in(Client(), world.users["designated_manager"])
    body = {
        "protocol": protocol_in_force(world).pk, "alleged_agency": world.other.pk, "occurred_on": "2026-08-20",
        "identified_on": "2026-08-21", "description": "Sent to the wrong school.", **change,
    }  # fmt: skip
    response = _post(client, reverse("api-breach-list"), body)
    assert response.status_code == 400
    assert any(name.startswith(field) for name in response.json()["error"]["fields"]), response.json()
    assert not Breach.objects.exists()


def test_steps_by_those_responsible_once() -> None:
    world = build_world()
    breach = reported_breach(world)
    speaker = make_user(name="Otto Admin", agency=world.other, roles=[Role.AGENCY_ADMIN])
    reporter = sign_in(Client(), world.users["designated_manager"])
    refused = _post(reporter, reverse("api-breach-report", args=[breach.pk]), {"report": "Ours."})
    assert refused.status_code == 403 and "agency responsible" in refused.json()["error"]["message"]
    assert _post(reporter, reverse("api-breach-notify-partners", args=[breach.pk]), {}).status_code == 200
    again = _post(reporter, reverse("api-breach-notify-partners", args=[breach.pk]), {})
    assert again.status_code == 400
    assert "cannot change" in again.json()["error"]["fields"]["non_field_errors"][0]
    theirs = sign_in(Client(), speaker)
    done = _post(theirs, reverse("api-breach-report", args=[breach.pk]), {"report": "Recalled; retrained."})
    assert done.status_code == 200
    report = next(o for o in done.json()["obligations"] if o["kind"] == "breach_report")
    assert report["state"] == "done" and report["completed_by"] == speaker.pk
    assert _post(theirs, reverse("api-breach-report", args=[breach.pk]), {"report": "Again."}).status_code == 400
    outsider = sign_in(Client(), world.users["practitioner"])
    assert outsider.get(reverse("api-breach-detail", args=[breach.pk])).status_code == 404


def test_ico_decision_and_late_notification_need_reasons() -> None:
    world = build_world()
    dpo = make_user(name="Dora Dpo", agency=world.other, roles=[Role.PRACTITIONER], is_data_protection_officer=True)
    aware = timezone.now() - timedelta(hours=80)
    breach = reported_breach(world, personal_data=True, aware_at=aware, occurred_on=timezone.localdate() - timedelta(6))
    client = sign_in(Client(), dpo)
    assert _post(client, reverse("api-breach-ico-notification", args=[breach.pk]), {}).status_code == 404
    decided = _post(
        client, reverse("api-breach-ico-decision", args=[breach.pk]), {"reportable": True, "reason": "Risk."}
    )
    assert decided.status_code == 200
    told = (timezone.now() - timedelta(hours=1)).isoformat()
    late = _post(client, reverse("api-breach-ico-notification", args=[breach.pk]), {"notified_at": told})
    assert late.status_code == 400 and "delay_reason" in late.json()["error"]["fields"]
    body = {"notified_at": told, "reference": "ICO-9", "delay_reason": "Facts were unclear."}
    assert _post(client, reverse("api-breach-ico-notification", args=[breach.pk]), body).status_code == 200


def test_schema_lists_the_breach_endpoints_and_states() -> None:
    world = build_world()
    schema = sign_in(Client(), world.users["designated_manager"]).get(reverse("api-schema"), {"format": "json"}).json()
    paths = schema["paths"]
    for suffix in ("obligations/", "notify-partners/", "report/", "ico-decision/", "ico-notification/"):
        assert f"/api/v1/breaches/{{id}}/{suffix}" in paths
    assert "overdue" in str(schema["components"]["schemas"]["ObligationOut"])
    assert "400" in paths["/api/v1/breaches/{id}/report/"]["post"]["responses"]
