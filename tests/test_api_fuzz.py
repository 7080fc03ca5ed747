"""The API fuzzed against its own OpenAPI description, as every role and a token of each scope (issue 8).

schemathesis reads `/api/schema/` from the portal's WSGI application and generates requests for every
operation (valid ones, and ones that break the schema on purpose). Each response must:

* never be a server error;
* conform to the description: a documented status code, the documented content type, a body of the
  documented shape (errors included: `{"error": {...}}`);
* never carry another agency's private data: a marker is planted in the names, e-mail addresses, job titles
  and training evidence of each agency's people and invitations, in the text of the entries each agency
  records about children (issue 10: another agency sees that an entry is held, never its content), and in the
  free text of what follows a disclosure each agency made (issue 13: an onward request's need to know, a
  correction's summary, an inaccuracy report, a dispute's grounds and positions), and a user of the other agency
  must never see it in any response.

The run is bounded and reproducible: a few examples per operation and principal (FUZZ_EXAMPLES, default 4),
derandomized, no example database, no shrinking. Requests reach the real PostgreSQL test database through
the whole middleware stack, as a browser session (with its CSRF token) or a bearer token would.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.urls import resolve
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.specs.openapi import checks as openapi_checks

from agencies.models import Agency, Role, TokenScope, TrainingCourse
from agencies.services import invitation_create, training_record_create
from tests.factories import SYSTEM, World, build_world, make_api_token, make_user, sign_in
from tests.protocol_fixtures import consultation, meeting, review_action
from tests.sharing.fixtures import fresh, make_child, sharing_world

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "4"))
CSRF_SECRET = "fuzzcsrfsecret0123456789abcdefgh"  # 32 characters: Django's unmasked secret length
MARKERS = {"home": "Qzhomemarkerq", "other": "Qzothermarkerq"}

SESSION_PRINCIPALS = (
    "practitioner",
    "designated_manager",
    "agency_admin",
    "partnership_admin",
    "auditor",
    "other_agency",
    "no_role",
    "anonymous",
)
# Whose private data each principal must never see (partnership admins and auditors see every agency's).
MUST_NOT_SEE = {
    "practitioner": "other",
    "designated_manager": "other",
    "agency_admin": "other",
    "other_agency": "home",
    "no_role": "other",
    "anonymous": "other",
}


def token_scopes() -> list[str]:
    """One entry per API token scope (issue 8 item 3: a token of each scope is fuzzed)."""
    return [str(scope.value) for scope in TokenScope]


PRINCIPALS = [*SESSION_PRINCIPALS, *(f"token:{scope}" for scope in token_scopes())]


def plant_private_data(world: World) -> None:
    """Each agency's people, invitations and training evidence carry that agency's marker."""
    course = TrainingCourse.objects.filter(is_active=True).order_by("id").first()
    assert course is not None
    for side, agency in (("home", world.home), ("other", world.other)):
        marker = MARKERS[side]
        person = make_user(
            name=f"Private {marker}",
            agency=agency,
            roles=[Role.PRACTITIONER],
            job_title=f"Job {marker}",
            team=f"Team {marker}",
        )
        training_record_create(
            actor=SYSTEM,
            user=person,
            course=course,
            completed_on=timezone.localdate(),
            evidence=f"Certificate {marker}",
        )
        invitation_create(
            actor=SYSTEM,
            agency=agency,
            email=f"invited.{marker.lower()}@test.example",
            full_name=f"Invited {marker}",
            roles=[Role.PRACTITIONER],
        )
    # Objects for every kind of path parameter, so that requests reach real rows as well as missing ones.
    consultation(world)
    meeting(world)
    review_action(world)
    plant_children(world)


def plant_children(world: World) -> None:
    """Children in the index (both agencies able to share, their people trained), each agency's entries about
    them carrying its marker, a restricted entry and a shielded child, so the children API's operations reach
    real rows."""
    from datetime import date

    from sharing.services import entry_record, involvement_add

    sharing_world(world)
    home_child = make_child(world, "Fuzzy", "Example", nhs_number="9434765919")
    other_child = make_child(world, "Pat", "Sample", born_on=date(2014, 6, 1), by="other_agency", agency=world.other)
    make_child(world, "Shielded", "Example", born_on=date(2013, 2, 3), postcode="M1 1AE", shielded=True)
    involvement_add(actor=fresh(world.users["other_agency"]), child=home_child, agency=world.other, service="Police")
    for side, agency, by, child in (
        ("home", world.home, "practitioner", home_child),
        ("other", world.other, "other_agency", other_child),
        ("other", world.other, "other_agency", home_child),
    ):
        for restricted in (False, True):
            entry_record(
                actor=fresh(world.users[by]),
                child=child,
                agency=agency,
                category="case_note",
                fields={},
                text=f"Case note {MARKERS[side]}",
                basis="fact",
                restricted=restricted,
            )
    plant_consents(world)
    plant_after_disclosure(world)


def plant_after_disclosure(world: World) -> None:
    """What follows a disclosure (issue 13), once with each agency as the originator: its case note disclosed to
    Hill School, the school asking it to agree to pass it on to the health visitors, reporting it inaccurate, the
    originator correcting it, and the school disputing a declined request, both sides taking a position; every free
    text carrying the originator's marker. The other agency is party to none of it, so must see none of it."""
    from datetime import date

    from agencies.models import Membership
    from agencies.services import membership_update
    from disclosures.models import Correction
    from disclosures.services import request_answer_decline, request_approve
    from disclosures.services.corrections import inaccuracy_report_submit
    from disclosures.services.disputes import dispute_open, dispute_position_record
    from sharing.models import RecordEntry
    from sharing.services import entry_record, entry_revise
    from tests.disclosures.after_fixtures import AfterWorld, disclose, health_world, onward_submit
    from tests.disclosures.fixtures import Case, answer, case, disclosure_of, submit
    from tests.sharing.fixtures import train

    # The issue-13 world (after_fixtures.after_world) about a child of its own, not one the index already holds.
    health_world(world)
    made = case(world, given="Afterly", family="Example", born_on=date(2012, 1, 5), postcode="LS1 4AP")
    request = submit(made)
    after = AfterWorld(world=world, made=made, request=request, disclosure=disclose(made, request))
    police_manager = make_user(name="Polly Manager", agency=world.other, roles=[Role.DESIGNATED_MANAGER])
    train(police_manager)
    world.users["other_manager"] = police_manager
    membership_update(
        actor=SYSTEM,
        membership=Membership.objects.get(user=world.users["other_agency"], agency=world.other),
        line_manager=police_manager,
    )
    police_child = RecordEntry.objects.filter(agency=world.other).exclude(child=after.made.child).first()
    assert police_child is not None
    for side, agency, by, manager, made in (
        ("home", world.home, "practitioner", "designated_manager", after.made),
        ("other", world.other, "other_agency", "other_manager", None),
    ):
        marker = MARKERS[side]
        if made is None:  # the police's own case note about a child only it is involved with
            entry = entry_record(
                actor=fresh(world.users[by]), child=police_child.child, agency=agency, category="case_note",
                fields={}, text=f"Police note {marker}", basis="fact",
            )  # fmt: skip
            made = Case(world, police_child.child, entry)
        request = submit(made, holding_agency=agency)
        answer(made, request, by=by)
        request_approve(actor=fresh(world.users[manager]), request=request)
        disclosure = disclosure_of(request)
        onward = onward_submit(after, parent=disclosure, entries=[made.entry], need_to_know=f"Onward need {marker}")
        report = inaccuracy_report_submit(
            actor=after.user("school"), disclosure=disclosure, entry=made.entry, what_is_wrong=f"Wrong {marker}",
            suggested_correction=f"Right {marker}",
        )  # fmt: skip
        entry_revise(
            actor=fresh(world.users[by]), entry=made.entry, fields={}, text=f"Corrected {marker}", basis="fact",
            reason=f"Correction {marker}",
        )  # fmt: skip
        correction = Correction.objects.get(entry=made.entry)
        declined = request_answer_decline(
            actor=fresh(world.users[by]), request=submit(made, holding_agency=agency), reason="not_proportionate"
        )
        dispute = dispute_open(actor=after.user("school"), request=declined, grounds=f"Grounds {marker}")
        dispute_position_record(
            actor=after.user("school_manager"), dispute=dispute, position="share", note=f"School {marker}"
        )
        dispute_position_record(
            actor=fresh(world.users[manager]), dispute=dispute, position="share", note=f"Agreed {marker}"
        )
        world.objects[f"after_{side}"] = {
            "onward-requests": onward.pk, "inaccuracy-reports": report.pk, "corrections": correction.pk,
            "disputes": dispute.pk,
        }  # fmt: skip


def plant_consents(world: World) -> None:
    """A consent recorded by each agency about a child only it is involved with, its note carrying the agency's
    marker (issue 11: a consent is read by the agencies involved with the child and by auditors), so the consent
    API's operations reach real rows and the leak check can see another agency's consent."""
    from datetime import date

    from consent.services import consent_record
    from tests.protocol_fixtures import protocol_in_force

    protocol = protocol_in_force(world)
    assert protocol.current_version is not None
    purpose = protocol.current_version.permitted_purposes[0]
    today = timezone.localdate()
    for side, by, agency, recipient, born in (
        ("home", "practitioner", world.home, world.other, date(2009, 3, 4)),
        ("other", "other_agency", world.other, world.home, date(2008, 7, 9)),
    ):
        child = make_child(world, "Consent", f"Example{side.capitalize()}", born_on=born, by=by, agency=agency)
        consent_record(
            actor=fresh(world.users[by]),
            child=child,
            given_by="child",
            form="explicit_written",
            decision="given",
            protocol=protocol,
            purposes=[purpose],
            tiers=["minimum"],
            recipients=[recipient],
            obtained_on=today,
            note=f"Consent note {MARKERS[side]}",
        )


def make_token(world: World, scope: str) -> str:
    secret = f"isp_fuzz-{scope.replace('_', '-').replace(':', '-')}-token-".ljust(48, "0")
    make_api_token(world.home, [scope], name=f"Fuzz {scope}", secret=secret)
    return secret


def credentials(world: World, principal: str) -> tuple[dict[str, str], dict[str, str]]:
    """(headers, cookies) that make a request come from `principal`."""
    if principal == "anonymous":
        return {}, {}
    if principal.startswith("token:"):
        return {"Authorization": f"Bearer {make_token(world, principal.removeprefix('token:'))}"}, {}
    from django.test import Client

    client = sign_in(Client(), world.users[principal])
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    return (
        {"X-CSRFToken": CSRF_SECRET},
        {settings.SESSION_COOKIE_NAME: session, settings.CSRF_COOKIE_NAME: CSRF_SECRET},
    )


def real_ids(path: str) -> list[int]:
    """Ids of existing rows of the model behind an `{id}` path (both agencies' rows)."""
    if "{id}" not in path:
        return []
    if path.startswith("/api/v1/lineage/entries/"):  # an entry's lineage: the entries disclosed
        from disclosures.models import DisclosureEntry

        entries = DisclosureEntry.objects.order_by("entry_id").values_list("entry_id", flat=True).distinct()
        return list(entries[:20])
    view = resolve(path.replace("{id}", "1")).func
    model = getattr(getattr(view, "cls", None), "policy_model", None)
    if model is None:
        return []
    return list(model._default_manager.order_by("id").values_list("id", flat=True)[:20])


@pytest.fixture
def wsgi_app() -> Iterator[WSGIHandler]:
    # Like Django's test client: the test's transaction must survive the end of each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def leak_check(marker: str) -> Callable[..., bool | None]:
    def no_other_agency_data(ctx: Any, response: Any, case: Any) -> bool | None:
        text = response.content.decode("utf-8", errors="replace").lower()
        if marker.lower() in text:
            raise AssertionError(f"another agency's private data ({marker}) in the response")
        return None

    return no_other_agency_data


CHECKS = [
    schemathesis.checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.negative_data_rejection,  # a request that breaks the schema is refused, never accepted
]


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_api_conforms_to_its_schema_and_leaks_nothing(principal: str, wsgi_app: WSGIHandler) -> None:
    world = build_world()
    plant_private_data(world)
    headers, cookies = credentials(world, principal)
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app)
    # The principal's own credentials are sent; generated Authorization headers would only test the 401 path.
    schema.config.generation.update(with_security_parameters=False)
    checks: list[Any] = list(CHECKS)
    # A token acts for the home agency's system: it must never see the other agency's private data either.
    hidden = "other" if principal.startswith("token:") else MUST_NOT_SEE.get(principal)
    if hidden is not None:
        checks.append(leak_check(MARKERS[hidden]))
    failures: dict[str, str] = {}

    for result in schema.get_all_operations():
        operation = result.ok()
        ids = real_ids(operation.path)
        strategies = [operation.as_strategy(mode) for mode in schemathesis.GenerationMode]
        if ids:
            strategies.append(
                st.sampled_from(ids).flatmap(lambda pk, op=operation: op.as_strategy(path_parameters={"id": pk}))
            )

        @hypothesis_settings(
            max_examples=EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=st.one_of(strategies))
        def run(case: Any) -> None:
            try:
                case.call_and_validate(headers=headers, cookies=cookies, checks=checks)
            except (Exception, BaseExceptionGroup) as error:  # collect every failing operation, fail once with all
                key = f"{case.method} {case.path}"
                failures.setdefault(key, f"{key}: {type(error).__name__}: {error}"[:3000])

        run()

    assert not failures, f"{len(failures)} operations failed as {principal}:\n\n" + "\n\n".join(failures.values())


def test_the_fuzzer_sees_the_planted_markers_where_it_should(wsgi_app: WSGIHandler) -> None:
    """The leak check can fail: a partnership admin does see both agencies' markers through the API."""
    world = build_world()
    plant_private_data(world)
    from tests.matrix import client_as

    response = client_as(world, "partnership_admin").get("/api/v1/memberships/?page_size=200")
    body = response.content.decode().lower()
    assert MARKERS["home"].lower() in body and MARKERS["other"].lower() in body
    # Home, the other agency, an agency that has not signed (tests.sharing.fixtures.sharing_world), and the school
    # and health visitors that what follows a disclosure passes between (tests.disclosures.after_fixtures).
    assert Agency.objects.count() == 5
    # ...and the check the fuzzer runs for a home-agency user would flag that very response.
    with pytest.raises(AssertionError, match="private data"):
        leak_check(MARKERS["other"])(None, response, None)
    # Entries about children: the home agency reads the content of its own, the police only that it is held.
    from sharing.models import RecordEntry

    child_id = RecordEntry.objects.filter(agency=world.home).values_list("child_id", flat=True).first()
    url = f"/api/v1/children/{child_id}/"
    home = client_as(world, "practitioner").get(url, HTTP_X_PURPOSE="Checking the fuzzer")
    with pytest.raises(AssertionError, match="private data"):
        leak_check(MARKERS["home"])(None, home, None)
    police = client_as(world, "other_agency").get(url, HTTP_X_PURPOSE="Checking the fuzzer")
    assert police.status_code == 200 and police.json()["entries"]
    leak_check(MARKERS["home"])(None, police, None)
    # What follows a disclosure (issue 13): each originator reads its own onward requests, corrections, inaccuracy
    # reports and disputes, marker and all; the other agency's are not there for it (404).
    for principal, side, hidden in (("designated_manager", "home", "other"), ("other_manager", "other", "home")):
        for path, pk in world.objects[f"after_{side}"].items():
            response = client_as(world, principal).get(f"/api/v1/{path}/{pk}/")
            assert response.status_code == 200, (principal, path, response.content)
            if path != "onward-requests":  # the API does not show an onward request's need to know (yet)
                with pytest.raises(AssertionError, match="private data"):
                    leak_check(MARKERS[side])(None, response, None)
            theirs = client_as(world, principal).get(f"/api/v1/{path}/{world.objects[f'after_{hidden}'][path]}/")
            assert theirs.status_code == 404, (principal, path, theirs.content)
