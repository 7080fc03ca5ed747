"""The shapes of the child index API (sharing.api.children): what a caller sends to create, match, search and
change a child, and what it gets back. Output is built as plain dicts so that what the reader may not see is
absent, never null; the serializers describe the same shapes for the OpenAPI schema."""

from __future__ import annotations

from datetime import date
from typing import Any

from rest_framework import serializers

from agencies.rules import AREAS_HINT
from isp_portal import bounds
from isp_portal.api import ScopedPrimaryKeyField
from isp_portal.api_input import EraDateField, RealDateField
from sharing.api.shapes import (
    ActingAgencyField,
    AddressOut,
    ColleagueField,
    EntryOut,
    InvolvementOut,
    NameOut,
    address_out,
    entry_out,
    involvement_out,
    name_out,
)
from sharing.models import Child, ChildMerge, ChildName, ClosureRule, Ethnicity, Gender, NameKind, Setting
from sharing.models.children import LANGUAGE_LENGTH, LANGUAGES_MAX
from sharing.selectors import ChildRecord, NameCorrectionView, ReopeningView, Search, SearchResult
from sharing.services import NameChange

ALIASES_MAX = 10
RECORD_STATUSES = [("open", "Open"), ("closed", "Closed"), ("erased", "Erased")]
# An alias is a previous name or a known-as name (the legal name is the child's own).
ALIAS_KINDS = [(kind.value, kind.label) for kind in (NameKind.PREVIOUS, NameKind.KNOWN_AS)]
CONSIDERED_MAX = 20  # likely_match_rows offers at most 20

# --- Input ------------------------------------------------------------------------------------------------------


class NhsNumberField(serializers.CharField):
    """An NHS number as JSON text. A JSON number is refused, not converted: NHS numbers are text everywhere
    (a leading zero is part of the number, and 100000002 sent as a number is nine digits, which is never
    padded: sharing.rules.nhs_number_normalised)."""

    default_error_messages = {"not_text": 'Send the NHS number as a string, such as "943 476 5919", not a number.'}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("not_text")
        return str(super().to_internal_value(data))


class AliasIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ALIAS_KINDS, help_text="A previous name or a known-as name")
    given = serializers.CharField(max_length=bounds.NAME, allow_blank=True, default="")
    family = serializers.CharField(max_length=bounds.NAME, allow_blank=True, default="")


class ChildCreateIn(serializers.Serializer):
    agency = ActingAgencyField(help_text="The agency you record the child for: one you practise in")
    given = serializers.CharField(max_length=bounds.NAME, allow_blank=True, default="", help_text="Given names")
    family = serializers.CharField(max_length=bounds.NAME, allow_blank=True, default="", help_text="Family name")
    born_on = RealDateField(
        help_text="Date of birth: not in the future, and within the age scope of the protocol your agency signed "
        "(a refusal names the rule)"
    )
    gender = serializers.ChoiceField(choices=Gender.choices, default=Gender.NOT_KNOWN)
    ethnicity = serializers.ChoiceField(choices=Ethnicity.choices, default=Ethnicity.NOT_STATED)
    languages = serializers.ListField(
        child=serializers.CharField(max_length=LANGUAGE_LENGTH), max_length=LANGUAGES_MAX, default=list
    )
    phone = serializers.CharField(
        max_length=bounds.PHONE, allow_blank=True, default="", help_text="A UK or international number"
    )
    setting = serializers.ChoiceField(
        choices=Setting.choices, default=Setting.NONE, help_text="Current setting: under-5s provision, school, college"
    )
    setting_name = serializers.CharField(max_length=bounds.NAME, allow_blank=True, default="")
    nhs_number = NhsNumberField(
        max_length=20,
        allow_blank=True,
        default="",
        help_text="Ten digits as text (spaces allowed), checked by its modulus-11 check digit; never a number",
    )
    area = serializers.CharField(
        max_length=9,
        allow_blank=True,
        default="",
        help_text=f"The local-authority area's ONS GSS code (the recording agency's if empty). {AREAS_HINT}",
    )
    has_additional_needs = serializers.BooleanField(default=False, help_text="Extends the protocol's age scope")
    is_care_leaver = serializers.BooleanField(default=False, help_text="Extends the protocol's age scope")
    address = serializers.CharField(max_length=bounds.ADDRESS, allow_blank=True, default="")
    postcode = serializers.CharField(
        max_length=16, allow_blank=True, default="", help_text="A UK postcode; `EC1V OBW` is refused with `EC1V 0BW`"
    )
    address_from = RealDateField(required=False, help_text="Since when the child lives there (today)")
    aliases = AliasIn(many=True, required=False, help_text=f"Previous and known-as names (at most {ALIASES_MAX})")
    service = serializers.CharField(max_length=bounds.NAME, help_text="Your agency's service involved with the child")
    lead_professional = ColleagueField(
        required=False, allow_null=True, default=None, help_text="A membership of your agency"
    )
    is_key_contact = serializers.BooleanField(default=False)
    involved_from = EraDateField(required=False, help_text="When your involvement began (today)")
    shielded = serializers.BooleanField(
        default=False,
        help_text="Shield the child: found only by exact NHS number or exact name with date of birth, address and "
        "setting withheld from agencies not involved, every access reported to your agency",
    )
    considered = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=bounds.ID_MAX),
        max_length=CONSIDERED_MAX,
        default=list,
        help_text="The ids of the likely matches a previous attempt answered with (409), once you have checked they "
        "are not this child: the child is then created anyway. Any likely match not listed stops the creation.",
    )

    def validate_aliases(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if len(value) > ALIASES_MAX:
            raise serializers.ValidationError(f"Give at most {ALIASES_MAX} aliases.")
        return value


class MatchIn(serializers.Serializer):
    given = serializers.CharField(max_length=bounds.NAME, allow_blank=True, default="")
    family = serializers.CharField(max_length=bounds.NAME, allow_blank=True, default="")
    born_on = RealDateField()
    nhs_number = NhsNumberField(max_length=20, allow_blank=True, default="")
    postcode = serializers.CharField(max_length=16, allow_blank=True, default="")


class SearchIn(serializers.Serializer):
    name = serializers.CharField(
        max_length=bounds.NAME * 2,
        allow_blank=True,
        default="",
        help_text="Any of the child's names, in any order; tolerant of spelling, accents, hyphens and apostrophes",
    )
    born_on = RealDateField(required=False, allow_null=True, default=None)
    nhs_number = NhsNumberField(max_length=20, allow_blank=True, default="")
    postcode = serializers.CharField(
        max_length=16, allow_blank=True, default="", help_text="Any address in the child's history"
    )


FIELDS_PARAMETER_HELP = (
    "Comma-separated top-level fields to return (all you may see when left out). Asking for a field your tier "
    "may not see is refused with a 400 and recorded."
)


class ReadIn(serializers.Serializer):
    # DRF's metaclass takes declared fields off the class, so a field may be called `fields`.
    fields = serializers.CharField(required=False, max_length=400, help_text=FIELDS_PARAMETER_HELP)  # type: ignore[assignment]


class NameIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ALIAS_KINDS, help_text="A previous name or a known-as name")
    given = serializers.CharField(max_length=bounds.NAME, allow_blank=True, default="")
    family = serializers.CharField(max_length=bounds.NAME, allow_blank=True, default="")


class AddressIn(serializers.Serializer):
    address = serializers.CharField(max_length=bounds.ADDRESS)
    postcode = serializers.CharField(max_length=16, allow_blank=True, default="")
    moved_on = RealDateField(required=False, help_text="The day the child moved in (today)")


class ChildChangeIn(serializers.Serializer):
    """A change of a child's minimum data (PATCH): only the fields sent change, checked as at creation."""

    given = serializers.CharField(
        max_length=bounds.NAME,
        allow_blank=True,
        required=False,
        help_text="The legal name's given names (see `name_change`)",
    )
    family = serializers.CharField(
        max_length=bounds.NAME, allow_blank=True, required=False, help_text="The legal name's family name (as `given`)"
    )
    name_change = serializers.ChoiceField(
        choices=NameChange.choices,
        default=NameChange.CHANGE,
        help_text="With `given` or `family`: `correction` replaces a legal name recorded wrongly (give `reason`); "
        "`change` (the default) keeps the old legal name as a previous name",
    )
    reason = serializers.CharField(
        max_length=bounds.REASON, allow_blank=True, default="", help_text="What the mistake was (a correction)"
    )
    born_on = RealDateField(
        required=False,
        help_text="Not in the future, nor after the child was recorded, and within the protocol's age scope (a "
        "refusal names the rule)",
    )
    gender = serializers.ChoiceField(choices=Gender.choices, required=False)
    ethnicity = serializers.ChoiceField(choices=Ethnicity.choices, required=False)
    languages = serializers.ListField(
        child=serializers.CharField(max_length=LANGUAGE_LENGTH), max_length=LANGUAGES_MAX, required=False
    )
    phone = serializers.CharField(
        max_length=bounds.PHONE, allow_blank=True, required=False, help_text="Empty removes it"
    )
    setting = serializers.ChoiceField(choices=Setting.choices, required=False)
    setting_name = serializers.CharField(max_length=bounds.NAME, allow_blank=True, required=False)
    nhs_number = NhsNumberField(
        max_length=20,
        allow_blank=True,
        required=False,
        help_text="Ten digits as text, checked by its modulus-11 check digit; empty removes it. One another child "
        "has is refused: ask a partnership admin to merge the two entries",
    )
    area = serializers.CharField(
        max_length=20,
        allow_blank=True,
        required=False,
        help_text=f"The local-authority area's ONS GSS code; empty removes it. {AREAS_HINT}",
    )
    has_additional_needs = serializers.BooleanField(required=False, help_text="Extends the protocol's age scope")
    is_care_leaver = serializers.BooleanField(required=False, help_text="Extends the protocol's age scope")


class ShieldIn(serializers.Serializer):
    agency = ActingAgencyField(help_text="The shielding agency: one you practise in, involved with the child")
    reason = serializers.CharField(max_length=bounds.REASON, help_text="Why the child must be shielded")


class UnshieldIn(serializers.Serializer):
    reason = serializers.CharField(max_length=bounds.REASON, help_text="Why the child no longer needs the shield")


class ReopenIn(serializers.Serializer):
    reason = serializers.CharField(
        max_length=bounds.REASON,
        help_text="Why the record is reopened (for example, it was closed on a wrong date of birth)",
    )


class ReopenOut(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField(help_text="`open`: the record is open again")
    scope_flagged_on = serializers.DateField(
        allow_null=True, help_text="Null: the next check of the age scope judges the record afresh"
    )


def reopen_out(child: Child) -> dict[str, Any]:
    return {"id": child.pk, "status": record_status(child), "scope_flagged_on": child.scope_flagged_on}


class MergeIn(serializers.Serializer):
    merge = ScopedPrimaryKeyField(Child, help_text="The duplicate entry, merged into the one in the address")
    reason = serializers.CharField(max_length=bounds.REASON, help_text="Why these are the same child")
    confirm = serializers.BooleanField(
        default=False,
        help_text="Required when the two dates of birth differ (the 400 names them): you checked that they are "
        "the same child; say in `reason` which date is right",
    )


# --- Output -----------------------------------------------------------------------------------------------------


class SearchResultOut(serializers.Serializer):
    id = serializers.IntegerField()
    given = serializers.CharField()
    family = serializers.CharField()
    born_on = serializers.DateField()
    gender = serializers.CharField()
    is_shielded = serializers.BooleanField()
    postcode = serializers.CharField(required=False, help_text="The current postcode; absent for a shielded child")
    setting = serializers.CharField(required=False, help_text="Absent for a shielded child")
    agencies = serializers.ListField(
        child=serializers.CharField(), help_text="Which agencies are involved (never what they hold)"
    )
    exact = serializers.BooleanField(help_text="Every word of the name matched exactly")
    status = serializers.ChoiceField(
        choices=RECORD_STATUSES[:2],
        help_text="`closed` only for a likely match with the same NHS number (a search finds open records only): "
        "no involvement can be added to a closed record, and the child cannot be added again with its NHS number; "
        "if it is this child, ask a partnership admin",
    )

    can_add_involvement = serializers.BooleanField(
        required=False,
        help_text="Likely matches only. Whether your agency may add its involvement to this child (POST "
        ".../involvements/): not to a closed record, nor to a shielded child (only the agency that shielded it "
        "adds one: contact it)",
    )


class SearchOut(serializers.Serializer):
    results = SearchResultOut(many=True)
    more = serializers.BooleanField(help_text="More children match than are shown: narrow the search")
    criteria = serializers.ListField(child=serializers.CharField(), help_text="The criteria used")


class HeldOut(serializers.Serializer):
    category = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a declared field, taken off the class by DRF
    agency = serializers.IntegerField()
    agency_name = serializers.CharField()
    count = serializers.IntegerField()


class ChildMinimumOut(serializers.Serializer):
    """A child's minimum data as it stands after a change (the changer's agency is involved: nothing withheld)."""

    id = serializers.IntegerField()
    given = serializers.CharField(help_text="The legal name")
    family = serializers.CharField()
    born_on = serializers.DateField()
    gender = serializers.CharField()
    ethnicity = serializers.CharField()
    languages = serializers.ListField(child=serializers.CharField())
    phone = serializers.CharField()
    setting = serializers.CharField()
    setting_name = serializers.CharField()
    nhs_number = serializers.CharField(allow_null=True)
    area = serializers.CharField()
    has_additional_needs = serializers.BooleanField()
    is_care_leaver = serializers.BooleanField()
    is_shielded = serializers.BooleanField()


class ShieldOut(serializers.Serializer):
    id = serializers.IntegerField()
    is_shielded = serializers.BooleanField()
    shielding_agency = serializers.IntegerField(allow_null=True, help_text="The agency told of every access")


def child_minimum_out(child: Child, legal: ChildName | None) -> dict[str, Any]:
    return {
        "id": child.pk,
        "given": legal.given if legal else "",
        "family": legal.family if legal else "",
        "born_on": child.born_on.isoformat(),
        **{
            name: getattr(child, name)
            for name in (
                "gender",
                "ethnicity",
                "languages",
                "phone",
                "setting",
                "setting_name",
                "nhs_number",
                "has_additional_needs",
                "is_care_leaver",
                "is_shielded",
            )
        },
        "area": child.area_id or "",  # the GSS code, as the API takes it
    }


def shield_out(child: Child) -> dict[str, Any]:
    return {"id": child.pk, "is_shielded": child.is_shielded, "shielding_agency": child.shielding_agency_id}


class ReopeningOut(serializers.Serializer):
    """A reopening of a closed record by a partnership admin (POST /api/v1/children/{id}/reopen/), as the record
    page lists it."""

    reopened_on = serializers.DateField()
    reopened_by = serializers.CharField(allow_null=True, help_text="The partnership admin's name")
    reason = serializers.CharField(
        required=False,
        help_text="Why it was reopened; absent once erased with the record's content (`reason_erased_on`), and "
        "where the shield withholds the address (the reason may say where the child lives)",
    )
    reason_erased_on = serializers.DateField(
        required=False, help_text="Present once the reason was erased with the record's content: when"
    )


class NameCorrectionOut(serializers.Serializer):
    """A correction of the child's legal name (PATCH /api/v1/children/{id}/ with `name_change` `correction`), as
    the record page lists it with the child's names."""

    corrected_on = serializers.DateField()
    corrected_by = serializers.CharField(
        allow_null=True, help_text="Who corrected it (null when the portal itself did)"
    )
    reason = serializers.CharField(
        required=False,
        help_text="Why it was corrected (it may name the name put right); absent once erased with the record's "
        "content (`reason_erased_on`), and where the shield withholds the child's other names",
    )
    reason_erased_on = serializers.DateField(
        required=False, help_text="Present once the reason was erased with the record's content: when"
    )


def _reasoned_out(when: str, on: date, who: str, by: str, view: ReopeningView | NameCorrectionView) -> dict[str, Any]:
    """A change made with a free-text reason as the reader may see it: what is withheld or erased is absent
    (sharing.selectors.children.reopenings_seen and name_corrections_seen decided it)."""
    body: dict[str, Any] = {when: on.isoformat(), who: by or None}
    if view.reason is not None:
        body["reason"] = view.reason
    if view.erased_on is not None:
        body["reason_erased_on"] = view.erased_on.isoformat()
    return body


def reopening_out(reopening: ReopeningView) -> dict[str, Any]:
    """A reopening as the reader may see it (reopenings_seen)."""
    return _reasoned_out("reopened_on", reopening.reopened_on, "reopened_by", reopening.reopened_by, reopening)


def name_correction_out(correction: NameCorrectionView) -> dict[str, Any]:
    """A name correction as the reader may see it (name_corrections_seen)."""
    return _reasoned_out("corrected_on", correction.corrected_on, "corrected_by", correction.corrected_by, correction)


class ChildOut(serializers.Serializer):
    id = serializers.IntegerField()
    names = NameOut(many=True, required=False, help_text="The legal name first, then aliases")
    born_on = serializers.DateField(required=False)
    gender = serializers.CharField(required=False)
    ethnicity = serializers.CharField(required=False)
    languages = serializers.ListField(child=serializers.CharField(), required=False)
    phone = serializers.CharField(required=False, help_text="Absent for a shielded child unless you are involved")
    setting = serializers.CharField(required=False, help_text="Absent for a shielded child unless you are involved")
    setting_name = serializers.CharField(required=False, help_text="Absent like `setting`")
    nhs_number = serializers.CharField(required=False, allow_null=True)
    area = serializers.CharField(required=False, allow_null=True, help_text="The local-authority area's GSS code")
    has_additional_needs = serializers.BooleanField(required=False)
    is_care_leaver = serializers.BooleanField(required=False)
    is_shielded = serializers.BooleanField(required=False)
    merged_into = serializers.IntegerField(required=False, allow_null=True)
    # Whether the record is closed or erased, as the record page says (sharing.presenters.closure_sentence;
    # Southampton 8, 11): a closed record is kept for reference only, nothing is added to it.
    status = serializers.ChoiceField(
        choices=RECORD_STATUSES,
        required=False,
        help_text="`open`; `closed`: kept for reference only, no involvement, entry or consent can be added (ask "
        "a partnership admin); `erased`: closed, and its content erased at the end of the retention period",
    )
    closed_on = serializers.DateField(required=False, allow_null=True, help_text="When the record was closed")
    closed_under = serializers.ChoiceField(
        choices=ClosureRule.choices, required=False, allow_null=True, help_text="The rule it was closed under"
    )
    close_reason = serializers.CharField(
        required=False,
        allow_null=True,
        help_text="A partnership admin's reason for closing it (null otherwise, once the record is erased, and "
        "where the shield withholds the address: the reason may say where the child went)",
    )
    erase_due_on = serializers.DateField(
        required=False, allow_null=True, help_text="When a closed record's content falls due for erasure"
    )
    erased_on = serializers.DateField(required=False, allow_null=True, help_text="When its content was erased")
    reopenings = ReopeningOut(
        many=True,
        required=False,
        help_text="Each time a partnership admin reopened the record after it was closed, oldest first: when, by "
        "whom and why (the reason as `close_reason` is shown)",
    )
    name_corrections = NameCorrectionOut(
        many=True,
        required=False,
        help_text="Each correction of the legal name recorded wrongly, oldest first: when, by whom and why (the "
        "reason absent where the shield withholds the child's other names, and once erased), as the record page "
        "lists them with the names",
    )
    address = AddressOut(
        required=False,
        allow_null=True,
        help_text="The current address (null when none is recorded); absent for a shielded child unless you are "
        "involved",
    )
    address_history = AddressOut(many=True, required=False, help_text="Absent like `address`")
    involvements = InvolvementOut(many=True, required=False)
    held = HeldOut(
        many=True,
        required=False,
        help_text="Which agency holds entries of which category (ContactPoint), never their content; another "
        "agency's held entries only where a protocol version in force that both agencies signed says so",
    )
    entries = EntryOut(
        many=True,
        required=False,
        help_text="The entries you may know of, each at your level: content only where you may read it",
    )


class DuplicatesErrorOut(serializers.Serializer):
    """The 409 answer: the error shape with the likely matches."""

    error = serializers.DictField(help_text="status 409, code `possible_duplicates`, message, fields.considered")
    matches = SearchResultOut(many=True)


class MergeOut(serializers.ModelSerializer[ChildMerge]):
    class Meta:
        model = ChildMerge
        fields = ["id", "kept", "merged", "reason", "moved", "merged_by", "merged_at"]


# The fields of a child a reader may ask for by name (ReadIn.fields).
CHILD_FIELDS = tuple(ChildOut().fields)


def search_result_out(result: SearchResult, *, match: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": result.child_id,
        "given": result.given,
        "family": result.family,
        "born_on": result.born_on.isoformat(),
        "gender": result.gender,
        "is_shielded": result.is_shielded,
        "agencies": list(result.agencies),
        "exact": result.exact,
        "status": "closed" if result.is_closed else "open",
    }
    if match:
        # Whether the caller's agency may add its involvement instead: not to a closed record, nor to a shielded
        # child another agency shielded (sharing.policy.shield_admits_involvement; break10e finding 8).
        body["can_add_involvement"] = not result.is_closed and not result.involvement_refusal
    if result.postcode is not None:
        body["postcode"] = result.postcode
    if result.setting is not None:
        body["setting"] = result.setting
    return body


def search_out(found: Search, *, match: bool = False) -> dict[str, Any]:
    """A search's answer; `match` for likely matches (each says whether the caller may join it)."""
    return {
        "results": [search_result_out(result, match=match) for result in found.results],
        "more": found.more,
        "criteria": list(found.criteria),
    }


def record_status(child: Child) -> str:
    """`open`, `closed` or `erased` (RECORD_STATUSES): an erased record is a closed one whose content is gone."""
    if child.erased_at is not None:
        return "erased"
    return "closed" if child.closed_on is not None else "open"


def retention_out(child: Child, reason: str | None) -> dict[str, Any]:
    """Whether the record is closed or erased, when, under which rule, and (while it is kept) a partnership
    admin's reason: what the record page's closure sentence says (sharing.presenters.closure_sentence).
    `reason` is the closing reason as the reader may see it (ChildRecord.close_reason: withheld with a shielded
    child's address)."""
    erased = child.erased_at is not None
    return {
        "status": record_status(child),
        "closed_on": child.closed_on.isoformat() if child.closed_on else None,
        "closed_under": child.closed_under or None,
        "close_reason": reason if not erased else None,
        "erase_due_on": child.erase_due_on.isoformat() if child.erase_due_on else None,
        "erased_on": child.erased_at.date().isoformat() if child.erased_at else None,  # as the page says it
    }


def child_out(record: ChildRecord) -> dict[str, Any]:
    """A child's record as the reader may see it: withheld parts are left out."""
    child = record.child
    names = [record.legal_name] if record.legal_name else []
    body: dict[str, Any] = {
        "id": child.pk,
        "names": [name_out(name) for name in [*names, *record.other_names]],
        "born_on": child.born_on.isoformat(),
        "gender": child.gender,
        "ethnicity": child.ethnicity,
        "languages": list(child.languages),
        "nhs_number": child.nhs_number,
        "area": child.area_id,
        "has_additional_needs": child.has_additional_needs,
        "is_care_leaver": child.is_care_leaver,
        "is_shielded": child.is_shielded,
        "merged_into": child.merged_into_id,
        **retention_out(record.retention or child, record.close_reason),
        "reopenings": [reopening_out(reopening) for reopening in record.reopenings],
        "name_corrections": [name_correction_out(correction) for correction in record.name_corrections],
        "involvements": [involvement_out(involvement) for involvement in record.involvements],
        "held": [
            {
                "category": held.category,
                "label": held.label,
                "agency": held.agency_id,
                "agency_name": held.agency_name,
                "count": held.count,
            }
            for held in record.held
        ],
        "entries": [entry_out(view) for view in record.entries],
    }
    # Withheld contact details are None in the record (sharing.policy.shield_withholds decides): absent here.
    for name in ("phone", "setting", "setting_name"):
        value = getattr(record, name)
        if value is not None:
            body[name] = value
    if record.address_history is not None:
        body["address"] = address_out(record.current_address) if record.current_address else None
        body["address_history"] = [address_out(address) for address in record.address_history]
    return body
