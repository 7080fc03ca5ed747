"""The sharing services: creating children (validation, age scope, one entry per child), involvements, changes
with history, merges, entries and revisions; each with its audit event and nothing half-written."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone

from agencies.models import Membership
from audit.models import AuditEvent
from isp_portal.policy import NotPermitted, OutOfScope
from sharing.models import (
    Child,
    ChildAddress,
    ChildMerge,
    ChildName,
    ChildNameKey,
    EntryRevision,
    Involvement,
    RecordEntry,
)
from sharing.services import (
    MinimumData,
    PossibleDuplicates,
    child_address_change,
    child_merge,
    child_name_add,
    child_update,
    entry_record,
    entry_revise,
    involvement_add,
    involvement_end,
)
from tests.factories import World, area_code
from tests.sharing.fixtures import fresh, make_child, sharing_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def sw(world: World) -> World:
    return sharing_world(world)


def errors_of(caught: pytest.ExceptionInfo[ValidationError]) -> dict[str, str]:
    return {name: " ".join(messages) for name, messages in caught.value.message_dict.items()}


def test_a_child_is_created_with_its_name_keys_address_and_involvement(sw: World) -> None:
    child = make_child(sw, nhs_number="943 476 5919", aliases=[("known_as", "Ify", "")], postcode="n19gu")
    assert child.nhs_number == "9434765919"
    names = {name.kind: name for name in ChildName.objects.filter(child=child)}
    assert set(names) == {"legal", "known_as"}
    assert ChildNameKey.objects.filter(child=child, key="t:obrien").exists()
    address = ChildAddress.objects.get(child=child)
    assert address.postcode == "N1 9GU" and address.to_on is None
    involvement = Involvement.objects.get(child=child)
    assert involvement.agency_id == sw.home.pk and involvement.ended_on is None
    event = AuditEvent.objects.get(kind="child.create")
    assert event.child_id == child.pk and event.actor_id == sw.users["practitioner"].pk
    # The trail keeps no name, date of birth or NHS number.
    assert "Brien" not in str(event.detail) + event.object_label and "9434765919" not in str(event.detail)


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"nhs_number": "943 476 5918"}, "nhs_number", "the check digit should be 9, not 8"),
        ({"nhs_number": "100000002"}, "nhs_number", "this has 9"),
        ({"postcode": "EC1V OBW"}, "postcode", "did you mean EC1V 0BW?"),
        ({"born_on": date.today() + timedelta(days=2)}, "born_on", "today or in the past"),
        ({"born_on": date(2001, 1, 1)}, "born_on", "Rule: age max"),
        ({"phone": "12"}, "phone", "real phone number"),
        ({"setting": "prison"}, "setting", "Choose one"),
    ],
)
def test_bad_input_is_refused_by_field_and_nothing_is_written(
    sw: World, values: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        make_child(sw, **values)  # type: ignore[arg-type]
    assert message in errors_of(caught)[field]
    assert not Child.objects.exists() and not ChildName.objects.exists() and not Involvement.objects.exists()


def test_the_age_scope_refusal_names_the_bound_and_a_care_leaver_is_accepted(sw: World) -> None:
    today = timezone.localdate()
    twenty = today.replace(year=today.year - 20, day=1) - timedelta(days=1)
    with pytest.raises(ValidationError) as caught:
        make_child(sw, born_on=twenty)
    message = errors_of(caught)["born_on"]
    assert "up to age 19" in message and "(section 1.2 of the World Protocol)" in message and "age max" in message
    # The template protocol extends the scope to 25 for care leavers and additional needs.
    child = make_child(sw, born_on=twenty, is_care_leaver=True)
    assert child.is_care_leaver


def test_likely_entries_are_offered_before_a_second_is_created(sw: World) -> None:
    first = make_child(sw, "Sam", "Smith", born_on=date(2014, 1, 5), postcode="M1 1AE")
    # Same date of birth, a name that sounds the same.
    with pytest.raises(PossibleDuplicates) as caught:
        make_child(sw, "Sam", "Smyth", born_on=date(2014, 1, 5), postcode="B33 8TH", by="other_agency", agency=sw.other)
    assert [match.child_id for match in caught.value.matches] == [first.pk]
    assert caught.value.matches[0].similar_name
    # Same date of birth and postcode, a different name.
    with pytest.raises(PossibleDuplicates) as caught:
        make_child(sw, "Jo", "Bloggs", born_on=date(2014, 1, 5), postcode="m11ae")
    assert caught.value.matches[0].same_postcode and not caught.value.matches[0].similar_name
    # Having looked at them, the practitioner may still create a new entry.
    second = make_child(sw, "Sam", "Smyth", born_on=date(2014, 1, 5), considered=[first.pk], postcode="B33 8TH")
    assert second.pk != first.pk
    assert AuditEvent.objects.get(kind="child.create", child_id=second.pk).detail["considered"] == [first.pk]


def test_the_same_nhs_number_is_never_a_second_entry(sw: World) -> None:
    first = make_child(sw, nhs_number="4000000020")
    with pytest.raises(PossibleDuplicates):
        make_child(sw, "Other", "Name", nhs_number="4000000020", born_on=date(2016, 1, 1))
    with pytest.raises(ValidationError) as caught:
        make_child(sw, "Other", "Name", nhs_number="4000000020", born_on=date(2016, 1, 1), considered=[first.pk])
    assert "already in the index" in errors_of(caught)["nhs_number"]
    assert Child.objects.count() == 1


def test_a_second_entry_with_the_same_nhs_number_made_in_a_race_is_refused_not_a_500(
    sw: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two practitioners create the same child at once: both pass the duplicate check before either commits.
    Simulated by a check that sees nothing; the unique constraint then has the last word, answered as the check
    would answer it, and nothing of the second entry is written."""
    import sharing.services.children as children_service

    make_child(sw, nhs_number="4000000020")
    monkeypatch.setattr(children_service, "likely_match_rows", lambda **kwargs: [])
    with pytest.raises(ValidationError) as caught:
        make_child(sw, "Other", "Name", nhs_number="4000000020", born_on=date(2016, 1, 1))
    assert errors_of(caught)["nhs_number"] == children_service.SAME_NHS_NUMBER
    assert Child.objects.count() == 1


@pytest.mark.parametrize("role", ["untrained", "unsigned", "agency_admin", "auditor", "partnership_admin", "no_role"])
def test_only_index_practitioners_create_children(sw: World, role: str) -> None:
    with pytest.raises(NotPermitted):
        make_child(sw, by=role)


def test_a_practitioner_records_only_for_their_own_agency(sw: World) -> None:
    with pytest.raises(NotPermitted):
        make_child(sw, agency=sw.other)


def test_another_agency_adds_its_involvement_and_ends_only_its_own(sw: World) -> None:
    child = make_child(sw)
    other = fresh(sw.users["other_agency"])
    lead = Membership.objects.get(user=sw.users["other_agency"])
    involvement = involvement_add(
        actor=other,
        child=child,
        agency=sw.other,
        service="Public protection",
        lead_professional=lead,
        is_key_contact=True,
    )
    with pytest.raises(ValidationError) as caught:
        involvement_add(actor=fresh(other), child=child, agency=sw.other, service="Public protection")
    assert "already involved" in errors_of(caught)["service"]
    home_involvement = Involvement.objects.get(child=child, agency=sw.home)
    with pytest.raises(NotPermitted):
        involvement_end(actor=fresh(other), involvement=home_involvement, reason="Not ours")
    ended = involvement_end(actor=fresh(other), involvement=involvement, reason="Case closed")
    assert ended.ended_on == timezone.localdate()
    assert AuditEvent.objects.filter(kind__in=["involvement.add", "involvement.end"], child_id=child.pk).count() == 2


def test_only_an_involved_agency_changes_the_minimum_data_and_the_trail_keeps_coded_values_only(sw: World) -> None:
    child = make_child(sw)
    with pytest.raises(NotPermitted):
        child_update(actor=fresh(sw.users["other_agency"]), child=child, data=MinimumData(born_on=child.born_on))
    updated = child_update(
        actor=fresh(sw.users["practitioner"]),
        child=child,
        data=MinimumData(born_on=child.born_on, area="E99000001", languages=["Irish", "English"], setting="school"),
    )
    assert updated.languages == ["Irish", "English"]
    event = AuditEvent.objects.get(kind="child.update")
    assert sorted(event.detail["fields"]) == ["languages", "setting"]
    # Languages are coded values kept before and after; the setting (withheld for a shielded child) is named only.
    assert event.detail["before"] == {"languages": []} and event.detail["after"] == {"languages": ["Irish", "English"]}


def test_a_move_keeps_the_address_history(sw: World) -> None:
    child = make_child(sw)
    moved_on = timezone.localdate()
    ChildAddress.objects.filter(child=child).update(from_on=moved_on - timedelta(days=100))
    new = child_address_change(
        actor=fresh(sw.users["practitioner"]), child=child, address="2 New Road", postcode="sw1a1aa", moved_on=moved_on
    )
    history = list(ChildAddress.objects.filter(child=child).order_by("from_on"))
    assert [a.postcode for a in history] == ["N1 9GU", "SW1A 1AA"]
    assert history[0].to_on == moved_on - timedelta(days=1) and new.to_on is None


def test_aliases_are_added_with_keys(sw: World) -> None:
    child = make_child(sw)
    name = child_name_add(
        actor=fresh(sw.users["practitioner"]), child=child, kind="previous", given="Aoife", family="Kelly"
    )
    assert ChildNameKey.objects.filter(name=name, key="t:kelly").exists()


def test_a_partnership_admin_merges_two_entries_keeping_both_histories(sw: World) -> None:
    keep = make_child(sw, "Sam", "Smith", born_on=date(2014, 1, 5))
    merge = make_child(
        sw,
        "Samuel",
        "Smith",
        born_on=date(2014, 1, 5),
        by="other_agency",
        agency=sw.other,
        considered=[keep.pk],
        nhs_number="9434765919",
        postcode="B33 8TH",
    )
    entry = entry_record(
        actor=fresh(sw.users["other_agency"]),
        child=merge,
        agency=sw.other,
        category="case_note",
        fields={},
        text="Seen at the station.",
        basis="fact",
    )
    with pytest.raises(NotPermitted):
        child_merge(actor=fresh(sw.users["practitioner"]), keep=keep, merge=merge, reason="Same child")
    record = child_merge(actor=fresh(sw.users["partnership_admin"]), keep=keep, merge=merge, reason="Same child")
    keep.refresh_from_db()
    merge.refresh_from_db()
    assert merge.merged_into_id == keep.pk and keep.nhs_number == "9434765919" and merge.nhs_number is None
    assert set(ChildName.objects.filter(child=keep).values_list("kind", flat=True)) == {"legal", "previous"}
    assert ChildAddress.objects.filter(child=keep).count() == 2
    assert ChildAddress.objects.filter(child=keep, to_on__isnull=True).count() == 1
    assert set(Involvement.objects.filter(child=keep).values_list("agency_id", flat=True)) == {sw.home.pk, sw.other.pk}
    assert RecordEntry.objects.get(pk=entry.pk).child_id == keep.pk
    assert record.moved["entries"] == [entry.pk] and record.merged_by_id == sw.users["partnership_admin"].pk
    assert {event.child_id for event in AuditEvent.objects.filter(kind="child.merge")} == {keep.pk, merge.pk}
    with pytest.raises((NotPermitted, ValidationError)):
        child_merge(actor=fresh(sw.users["partnership_admin"]), keep=keep, merge=merge, reason="Again")
    assert ChildMerge.objects.count() == 1


def test_entries_need_an_involvement_and_their_fields(sw: World) -> None:
    child = make_child(sw)
    with pytest.raises(ValidationError) as caught:
        entry_record(
            actor=fresh(sw.users["other_agency"]),
            child=child,
            agency=sw.other,
            category="contact",
            fields={"contact_type": "phone"},
            basis="fact",
        )
    errors = errors_of(caught)
    assert "not involved" in errors["agency"] and "fields.contact_date" in errors
    assert not RecordEntry.objects.exists()


def test_a_schedule_one_indicator_is_always_restricted(sw: World) -> None:
    child = make_child(sw)
    entry = entry_record(
        actor=fresh(sw.users["practitioner"]),
        child=child,
        agency=sw.home,
        category="schedule_one",
        fields={"indicated": True},
        basis="fact",
    )
    assert entry.is_restricted and EntryRevision.objects.get(entry=entry).is_restricted


def test_a_correction_is_a_new_revision_and_the_old_one_never_changes(sw: World) -> None:
    child = make_child(sw)
    entry = entry_record(
        actor=fresh(sw.users["practitioner"]),
        child=child,
        agency=sw.home,
        category="contact",
        fields={"contact_type": "home_visit", "contact_date": timezone.localdate().isoformat(), "duration_minutes": 30},
        text="Visited at home.",
        basis="fact",
    )
    with pytest.raises(NotPermitted):
        entry_revise(actor=fresh(sw.users["other_agency"]), entry=entry, fields={}, basis="fact", reason="No")
    with pytest.raises(ValidationError) as caught:
        entry_revise(actor=fresh(sw.users["practitioner"]), entry=entry, fields={}, basis="fact", reason="")
    assert set(errors_of(caught)) >= {"reason", "fields.contact_type"}
    revision = entry_revise(
        actor=fresh(sw.users["designated_manager"]),
        entry=entry,
        fields={"contact_type": "home_visit", "contact_date": timezone.localdate().isoformat(), "duration_minutes": 45},
        text="Visited at home for 45 minutes.",
        basis="opinion",
        reason="Duration was wrong",
    )
    assert revision.number == 2
    first = EntryRevision.objects.get(entry=entry, number=1)
    assert first.fields["duration_minutes"] == 30 and first.text == "Visited at home."
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
        EntryRevision.objects.filter(pk=first.pk).update(text="Rewritten")
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
        EntryRevision.objects.filter(pk=first.pk).delete()
    assert AuditEvent.objects.filter(kind="entry.revise", child_id=child.pk).count() == 1


def test_out_of_scope_is_404_for_people_outside_the_index(sw: World) -> None:
    child = make_child(sw)
    with pytest.raises(OutOfScope):
        child_update(actor=fresh(sw.users["no_role"]), child=child, data=MinimumData(born_on=child.born_on))


def test_a_change_that_takes_the_child_out_of_scope_is_refused(sw: World) -> None:
    today = timezone.localdate()
    twenty = today.replace(year=today.year - 20, day=1) - timedelta(days=1)
    child = make_child(sw, born_on=twenty, is_care_leaver=True)
    with pytest.raises(ValidationError) as caught:
        child_update(
            actor=fresh(sw.users["practitioner"]),
            child=child,
            data=MinimumData(born_on=twenty, area="E99000001", is_care_leaver=False),
        )
    # Named on the flag taken away, the field that took the child out of scope.
    assert "not recorded as one" in errors_of(caught)["is_care_leaver"]
    child.refresh_from_db()
    assert child.is_care_leaver


# --- Changing the minimum data and the shield (the pages and the API call these) --------------------------------


def test_a_new_legal_name_keeps_the_old_one_as_a_previous_name_and_both_are_searched(sw: World) -> None:
    from sharing.selectors import child_search
    from sharing.services import minimum_data_of

    child = make_child(sw, "Aoife", "O’Brien")
    child_update(
        actor=fresh(sw.users["practitioner"]), child=child, data=minimum_data_of(child), name=("Aoife", "Kavanagh")
    )
    names = {(name.kind, name.family) for name in ChildName.objects.filter(child=child)}
    assert names == {("legal", "Kavanagh"), ("previous", "O’Brien")}
    assert ChildNameKey.objects.filter(child=child, key="t:kavanagh").exists()
    for name in ("Aoife Kavanagh", "Aoife OBrien"):
        found = child_search(principal=fresh(sw.users["other_agency"]), purpose="Checking the index", name=name)
        assert [result.child_id for result in found.results] == [child.pk], name
    event = AuditEvent.objects.get(kind="child.update", child_id=child.pk)
    assert event.detail["fields"] == ["name"] and "Kavanagh" not in str(event.detail)


def test_a_change_is_audited_with_before_and_after_for_coded_values_and_names_only_for_identifiers(sw: World) -> None:
    from sharing.services import minimum_data_of

    child = make_child(sw, nhs_number="9434765919", phone="020 7946 0958")
    child_update(
        actor=fresh(sw.users["practitioner"]),
        child=child,
        data=minimum_data_of(child, gender="female", nhs_number="4000000020", phone="", area=area_code("Southbridge")),
    )
    event = AuditEvent.objects.get(kind="child.update", child_id=child.pk)
    assert sorted(event.detail["fields"]) == ["area", "gender", "nhs_number", "phone"]
    assert event.detail["before"] == {"gender": "not_known", "area": area_code("Northbridge")}
    assert event.detail["after"] == {"gender": "female", "area": area_code("Southbridge")}
    assert "4000000020" not in str(event.detail) and "9434765919" not in str(event.detail)
    child.refresh_from_db()
    assert (child.nhs_number, child.phone) == ("4000000020", "")


def test_a_changed_nhs_number_is_checked_like_a_new_one(sw: World) -> None:
    from sharing.services import minimum_data_of

    child = make_child(sw)
    with pytest.raises(ValidationError) as caught:
        child_update(
            actor=fresh(sw.users["practitioner"]), child=child, data=minimum_data_of(child, nhs_number="9434765918")
        )
    assert "check digit" in errors_of(caught)["nhs_number"]
    make_child(sw, "Other", "Child", born_on=date(2013, 1, 1), nhs_number="9434765919")
    with pytest.raises(ValidationError) as caught:
        child_update(
            actor=fresh(sw.users["practitioner"]), child=child, data=minimum_data_of(child, nhs_number="943 476 5919")
        )
    assert "merge" in errors_of(caught)["nhs_number"]
    child.refresh_from_db()
    assert child.nhs_number is None and not AuditEvent.objects.filter(kind="child.update").exists()


def test_a_changed_nhs_number_taken_in_a_race_is_the_same_answer_not_a_500(
    sw: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check passes (another practitioner has not committed yet), then the unique constraint refuses."""
    from sharing.services import minimum_data_of

    child = make_child(sw)
    make_child(sw, "Other", "Child", born_on=date(2013, 1, 1), nhs_number="9434765919")
    real_filter = Child.objects.filter

    def blind_filter(*args: object, **kwargs: object) -> object:
        found = real_filter(*args, **kwargs)
        return found.none() if "nhs_number" in kwargs else found

    monkeypatch.setattr(Child.objects, "filter", blind_filter)
    with pytest.raises(ValidationError) as caught:
        child_update(
            actor=fresh(sw.users["practitioner"]), child=child, data=minimum_data_of(child, nhs_number="9434765919")
        )
    assert "merge" in errors_of(caught)["nhs_number"]


def test_taking_away_the_flag_that_kept_the_child_in_scope_is_refused_on_that_flag(sw: World) -> None:
    from sharing.services import minimum_data_of

    today = timezone.localdate()
    twenty = today.replace(year=today.year - 20, day=1) - timedelta(days=1)
    child = make_child(sw, born_on=twenty, is_care_leaver=True)
    with pytest.raises(ValidationError) as caught:
        child_update(
            actor=fresh(sw.users["practitioner"]), child=child, data=minimum_data_of(child, is_care_leaver=False)
        )
    assert "Rule:" in errors_of(caught)["is_care_leaver"]


def test_shielding_tells_the_other_involved_agencies_and_only_their_managers(sw: World) -> None:
    from agencies.models import Role
    from isp_portal.models import Notification
    from sharing.services import child_shield, child_unshield
    from tests.factories import make_user

    manager = make_user(name="Olga Manager", agency=sw.other, roles=[Role.DESIGNATED_MANAGER])
    child = make_child(sw)
    involvement_add(actor=fresh(sw.users["other_agency"]), child=child, agency=sw.other, service="Public protection")
    with pytest.raises(ValidationError) as caught:
        child_shield(actor=fresh(sw.users["practitioner"]), child=child, agency=sw.home, reason=" ")
    assert "Say why" in errors_of(caught)["reason"]
    child_shield(actor=fresh(sw.users["practitioner"]), child=child, agency=sw.home, reason="Fled abuse")
    child.refresh_from_db()
    assert child.is_shielded and child.shielding_agency_id == sw.home.pk
    told = set(Notification.objects.filter(subject__contains="is now shielded").values_list("recipient_id", flat=True))
    assert told == {manager.pk}  # not the police practitioner, nor anyone of the shielding agency
    with pytest.raises(NotPermitted):  # already shielded
        child_shield(actor=fresh(sw.users["practitioner"]), child=child, agency=sw.home, reason="Again")
    child_unshield(actor=fresh(sw.users["designated_manager"]), child=child, reason="The family is safe now")
    assert Notification.objects.filter(subject__contains="no longer shielded").count() == len(told)
    event = AuditEvent.objects.filter(kind="child.shield", child_id=child.pk).latest("id")
    assert event.purpose == "The family is safe now" and event.detail == {"shielded": False, "agency_id": sw.home.pk}


def test_a_shield_is_set_only_for_an_agency_involved_with_the_child(sw: World) -> None:
    from sharing.services import child_shield

    child = make_child(sw, by="other_agency", agency=sw.other)
    with pytest.raises(NotPermitted):  # home is not involved
        child_shield(actor=fresh(sw.users["practitioner"]), child=child, agency=sw.home, reason="Fled abuse")
    involvement_add(actor=fresh(sw.users["practitioner"]), child=child, agency=sw.home, service="Early help")
    with pytest.raises(NotPermitted):  # for an agency the practitioner does not practise in
        child_shield(actor=fresh(sw.users["practitioner"]), child=child, agency=sw.other, reason="Fled abuse")
