"""The child index: creating a child (one entry per child), changing its minimum data and address, adding names,
and merging two entries found to be the same child (DESIGN 2.3; Haringey 3.8)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from agencies.models import Agency, Area, Membership, Role, User
from agencies.policy import principal
from agencies.rules import AREAS_HINT, gss_code_normalised, phone_normalised
from audit.services import audit_record
from isp_portal import bounds
from isp_portal.notifications import NotificationDraft, notify_many
from isp_portal.policy import NotPermitted, SystemActor, require, restrict
from isp_portal.rows import fetch
from protocols.models import IN_FORCE_STATUSES, ProtocolKind, ProtocolVersion
from sharing import rules
from sharing.models import (
    Child,
    ChildAddress,
    ChildMerge,
    ChildName,
    ChildNameCorrection,
    ChildNameKey,
    EntryRevision,
    Ethnicity,
    Gender,
    Involvement,
    NameKind,
    RecordEntry,
    Setting,
)
from sharing.models.children import LANGUAGE_LENGTH, LANGUAGES_MAX
from sharing.policy import (
    AREA_CHANGE_REFUSAL,
    index_agencies,
    involved_agencies,
    may_change_area,
    shield_lets_in,
)
from sharing.selectors.matching import LikelyMatch, likely_match_rows
from sharing.services.checks import involvement_errors, reason_cleaned, service_cleaned
from sharing.services.retention import retention_marks_refresh
from sharing.services.shielding import shielded_children_reached, shielded_involvements_merged
from sharing.signals import child_merged

AREA_CLEARED_REFUSAL = (
    "Choose the child's local-authority area: an area once recorded can be changed but not removed, since it "
    "decides who may know of restricted information."
)
SAME_NHS_NUMBER = "A child with this NHS number is already in the index: record against it."
NHS_NUMBER_UNIQUE = "child_nhs_number_unique"


def _user(actor: Any) -> User | None:
    return actor if isinstance(actor, User) else None


def refuse_merged(locked: Child) -> None:
    """Refuse (ValidationError on `child`) a write about a child whose LOCKED row says it was merged away.

    A write about a child locks its row first (locked_child), and child_merge locks both entries: a write made
    while a merge of its child is under way waits for the merge, then reads the row the merge committed and is
    refused here, rather than writing against the duplicate the merge has just emptied, where the survivor's
    record never shows it (break10g finding 4). The view and the API read the child before the merge committed,
    so the policy's own refusal (a 403 on an entry known to be merged) did not stop them: this one is the form's
    error and the API's 400 by field, with the policy's words (rules.merged_refusal)."""
    if locked.merged_into_id is not None:
        raise ValidationError({"child": rules.merged_refusal(locked.merged_into_id)})


def locked_child(child: Child) -> Child:
    """The child's row read afresh and locked to the end of the transaction (FOR NO KEY UPDATE: other rows may
    still refer to it meanwhile), refused when it was merged away (refuse_merged). What the caller passed in is
    read as it was; everything after the lock must be decided on the row returned."""
    locked = Child.objects.select_for_update(no_key=True).get(pk=child.pk)
    refuse_merged(locked)
    return locked


class PossibleDuplicates(ValidationError):
    """Children already in the index may be this one: the practitioner must look at them first (and add their
    involvement to one of them instead), then confirm by passing their ids as `considered`."""

    def __init__(self, matches: list[LikelyMatch]) -> None:
        super().__init__(
            {
                "considered": (
                    f"{len(matches)} child{'ren' if len(matches) != 1 else ''} already in the index may be this one. "
                    "Check them first: add your involvement to the right one instead of creating a second entry."
                )
            }
        )
        self.matches = matches


def acting_agency(actor: Any, agency: Agency) -> None:
    """Raise NotPermitted unless the actor may use the index for `agency` (one of their index agencies)."""
    if getattr(actor, "is_system", False) and not isinstance(actor, User):
        return
    if agency.pk not in index_agencies(actor):
        raise NotPermitted(
            action="act_for",
            target_type="agencies.agency",
            target_id=str(agency.pk),
            reason=f"You cannot record children for {agency}: you are not one of its practitioners in the index.",
        )


def protocol_version_for(agency: Agency) -> ProtocolVersion | None:
    """The protocol version whose age scope a child recorded or changed by `agency` is checked against (Haringey
    2.1; Southampton 5), and which child.create cites: the version in force of a protocol in force (active, under
    review, or with a change out for consultation: protocols.models.IN_FORCE_STATUSES, the version in force stays
    in force meanwhile) on which the agency holds a live signature. Of several, the general protocol's (an
    individual protocol or a code of practice supplements a general one, Haringey 2.1), then the one adopted
    most recently, then the newest; None when the agency has signed none. One query."""
    general_first = Case(When(protocol__kind=ProtocolKind.GENERAL, then=Value(0)), default=Value(1))
    return (
        ProtocolVersion.objects.filter(
            protocol__status__in=IN_FORCE_STATUSES,
            protocol__current_version=F("pk"),
            signatures__agency=agency,
            signatures__withdrawn_at__isnull=True,
        )
        .select_related("protocol")
        .order_by(general_first, F("adoption__adopted_at").desc(nulls_last=True), "-pk")
        .first()
    )


def age_scope_error(
    version: ProtocolVersion, born_on: date, *, additional_needs: bool, care_leaver: bool
) -> str | None:
    """The protocol's scope refusal for a child (message with the rule's clause), or None."""
    scope = rules.AgeScope(
        age_min=version.age_min,
        age_max=version.age_max,
        extended_age_max=version.extended_age_max,
        extended_conditions=frozenset(version.extended_age_conditions),
    )
    refusal = rules.age_scope_refusal(
        scope, born_on, timezone.localdate(), additional_needs=additional_needs, care_leaver=care_leaver
    )
    if refusal is None:
        return None
    return f"{refusal.message.rstrip('.')}{version.cite('scope')}. (Rule: {refusal.rule.replace('_', ' ')}.)"


@dataclass
class MinimumData:
    """The minimum data of a child as typed (Haringey 3.8), checked by `cleaned`."""

    born_on: date | None = None
    gender: str = Gender.NOT_KNOWN
    ethnicity: str = Ethnicity.NOT_STATED
    languages: Sequence[str] = ()
    phone: str = ""
    setting: str = Setting.NONE
    setting_name: str = ""
    nhs_number: str = ""
    area: str = ""
    has_additional_needs: bool = False
    is_care_leaver: bool = False
    errors: dict[str, str] = field(default_factory=dict)

    def cleaned(self) -> dict[str, Any]:
        """The values to store; problems collected in `errors` by field."""
        values: dict[str, Any] = {}
        today = timezone.localdate()
        if self.born_on is None:
            self.errors["born_on"] = "Enter the date of birth."
        elif problem := rules.birth_date_error(self.born_on, today):
            self.errors["born_on"] = problem
        elif self.born_on < bounds.EARLIEST_BIRTH_DATE:
            self.errors["born_on"] = (
                f"The date of birth must be on or after {bounds.long_date(bounds.EARLIEST_BIRTH_DATE)}."
            )
        values["born_on"] = self.born_on
        for name, value, choices in (
            ("gender", self.gender, Gender.values),
            ("ethnicity", self.ethnicity, Ethnicity.values),
            ("setting", self.setting, Setting.values),
        ):
            if value not in choices:
                self.errors[name] = "Choose one of the options."
            values[name] = value
        languages = rules.languages_distinct([language for language in self.languages if language])
        if len(languages) > LANGUAGES_MAX or any(
            len(language) > LANGUAGE_LENGTH or bounds.has_nul(language) for language in languages
        ):
            self.errors["languages"] = f"Give at most {LANGUAGES_MAX} languages of {LANGUAGE_LENGTH} characters."
        values["languages"] = languages
        values["phone"] = ""
        if self.phone.strip():
            phone = phone_normalised(self.phone)
            if phone is None:
                self.errors["phone"] = "Enter a real phone number, like 020 7946 0958."
            values["phone"] = phone or ""
        setting_name = self.setting_name.strip()
        if len(setting_name) > bounds.NAME or bounds.has_nul(setting_name):
            self.errors["setting_name"] = f"Enter at most {bounds.NAME} characters."
        if setting_name and self.setting == Setting.NONE:
            self.errors["setting_name"] = "Choose the kind of setting first."
        values["setting_name"] = setting_name
        values["nhs_number"] = None
        if self.nhs_number.strip():
            try:
                values["nhs_number"] = rules.nhs_number_normalised(self.nhs_number)
            except rules.RuleError as error:
                self.errors["nhs_number"] = str(error)
        # WYCPS area-based access compares areas, so the child's is one of the partnership's (agencies.Area), by
        # its GSS code; none given, child_create takes the recording agency's.
        values["area_id"] = None
        if self.area.strip():
            code = gss_code_normalised(self.area)
            if code is None or not Area.objects.filter(code=code).exists():
                self.errors["area"] = f"Choose one of the partnership's local-authority areas. {AREAS_HINT}"
            values["area_id"] = code
        values["has_additional_needs"] = bool(self.has_additional_needs)
        values["is_care_leaver"] = bool(self.is_care_leaver)
        return values


def _name_errors(given: str, family: str, field_prefix: str = "") -> dict[str, str]:
    errors: dict[str, str] = {}
    for name, value in (("given", given), ("family", family)):
        if len(value) > bounds.NAME or bounds.has_nul(value):
            errors[f"{field_prefix}{name}"] = f"Enter at most {bounds.NAME} characters."
    if not errors and not rules.name_tokens(f"{given} {family}"):
        errors[f"{field_prefix}family"] = "Enter the child's name."
    return errors


def _postcode(value: str, errors: dict[str, str], field_name: str = "postcode") -> str:
    if not value.strip():
        return ""
    try:
        return rules.postcode_normalised(value)
    except rules.RuleError as error:
        errors[field_name] = str(error)
        return ""


def _name_keys(kind: str, given: str, family: str, legal_family: str) -> frozenset[str]:
    """The search keys of a name: an alias's combine its given names with the legal family name too."""
    if kind == NameKind.LEGAL:
        return rules.name_index_keys(given, family)
    return rules.alias_index_keys(given, family, legal_family)


def name_add(
    *, child: Child, kind: str, given: str, family: str, recorded_by: User | None, legal_family: str = ""
) -> ChildName:
    """Store one name with its search keys (within the caller's transaction). `legal_family` is the child's legal
    family name, which a previous or known-as name's keys combine with (rules.alias_index_keys)."""
    given, family = _spaced(given), _spaced(family)
    name = ChildName.objects.create(
        child=child,
        kind=kind,
        given=given,
        family=family,
        exact_key=rules.name_exact_key(given, family),
        recorded_by=recorded_by,
    )
    ChildNameKey.objects.bulk_create(
        ChildNameKey(name=name, child=child, born_on=child.born_on, key=key)
        for key in sorted(_name_keys(kind, given, family, legal_family))
    )
    return name


def _spaced(text: str) -> str:
    """A name as stored: without spaces around it, and one space between words."""
    return " ".join(text.split())


def _aliases_rekeyed(child: Child, legal_family: str) -> None:
    """Rebuild the keys of the child's previous and known-as names after its legal family name changed, so they
    combine with the new one (rules.alias_index_keys)."""
    aliases = list(ChildName.objects.filter(child=child).exclude(kind=NameKind.LEGAL))
    # Each name keeps the date of birth its keys carry (a merged entry's names keep that entry's: child_merge).
    born = dict(ChildNameKey.objects.filter(name__in=aliases).values_list("name_id", "born_on").distinct())
    ChildNameKey.objects.filter(name__in=aliases).delete()
    ChildNameKey.objects.bulk_create(
        ChildNameKey(name=name, child=child, born_on=born.get(name.pk, child.born_on), key=key)
        for name in aliases
        for key in sorted(_name_keys(name.kind, name.given, name.family, legal_family))
    )


@transaction.atomic
def child_minimum_errors(
    *,
    agency: Agency,
    given: str,
    family: str,
    data: MinimumData,
    address: str = "",
    postcode: str = "",
    version: ProtocolVersion | None = None,
) -> tuple[dict[str, str], str]:
    """What is wrong with a new child's minimum data, by field, and its postcode normalised ("" when none or
    wrong): the name, the NHS number's check digit, the date of birth, the postcode (with the suggestion),
    the address that goes with it, and the age scope of the protocol version in force for `agency` (the
    message names the bound and the clause). One place for these checks: `child_create` refuses with them, and
    the page shows them before its check-your-answers step."""
    values = data.cleaned()
    errors = dict(data.errors)
    errors.update(_name_errors(given, family))
    code = _postcode(postcode, errors)
    if len(address) > bounds.ADDRESS or bounds.has_nul(address):
        errors["address"] = f"Enter at most {bounds.ADDRESS} characters."
    if code and not address.strip():
        errors["address"] = "Enter the address that goes with the postcode."
    if "born_on" not in errors and values["born_on"] is not None:
        version = version or protocol_version_for(agency)
        if version is None:
            errors["born_on"] = f"{agency} has not signed a protocol in force, so no age scope applies."
        elif problem := age_scope_error(
            version,
            values["born_on"],
            additional_needs=values["has_additional_needs"],
            care_leaver=values["is_care_leaver"],
        ):
            errors["born_on"] = problem
    return errors, code


def child_create(
    *,
    actor: Any,
    agency: Agency,
    given: str,
    family: str,
    data: MinimumData,
    service: str,
    address: str = "",
    postcode: str = "",
    address_from: date | None = None,
    aliases: Iterable[tuple[str, str, str]] = (),
    lead_professional: Membership | None = None,
    is_key_contact: bool = False,
    involved_from: date | None = None,
    shielded: bool = False,
    considered: Iterable[int] = (),
    version: ProtocolVersion | None = None,
) -> Child:
    """A new child in the index, with its legal name, aliases (kind, given, family), current address and the
    actor's agency's involvement; returns the child.

    Refused (ValidationError by field) when a value is wrong: NHS number (its check digit named), postcode,
    date of birth in the future, or a child outside the age scope of the protocol version in force for the
    agency (the message names the bound and the clause). Refused with PossibleDuplicates when children already
    in the index may be this one (same NHS number; or same date of birth with a similar name or the same
    postcode) and the caller has not passed their ids in `considered`. `shielded` marks the child shielded by
    `agency`. Audit: child.create."""
    require(actor, "create", Child)
    acting_agency(actor, agency)
    values = data.cleaned()
    # The version applied is the one the audit event cites (child_minimum_errors checks the age scope under it).
    version = version or protocol_version_for(agency)
    errors, code = child_minimum_errors(
        agency=agency, given=given, family=family, data=data, address=address, postcode=postcode, version=version
    )
    # The names given so far, as rules.alias_repeat_error compares them: the same alias twice, or the legal name
    # again as an alias, is refused here as child_name_add refuses it later.
    given_names = [(str(NameKind.LEGAL), rules.name_exact_key(given, family))]
    for index, (kind, alias_given, alias_family) in enumerate(aliases):
        if kind not in (NameKind.PREVIOUS, NameKind.KNOWN_AS):
            errors[f"aliases.{index}.kind"] = "An alias is a previous name or a name the child is known by."
        alias_errors = _name_errors(alias_given, alias_family, f"aliases.{index}.")
        key = rules.name_exact_key(alias_given, alias_family)
        if not alias_errors and (problem := rules.alias_repeat_error(kind, key, given_names)):
            alias_errors[f"aliases.{index}.given"] = problem
        given_names.append((kind, key))
        errors.update(alias_errors)
    today = timezone.localdate()
    if address_from is not None and not bounds.EARLIEST_BIRTH_DATE <= address_from <= today:
        errors["address_from"] = (
            "The date the child began living at this address must be a real date, not in the future."
        )
    elif (
        address_from is not None
        and values["born_on"] is not None
        and (
            problem := rules.before_birth_error(address_from, values["born_on"], "The date the child began living here")
        )
    ):
        errors["address_from"] = problem
    started = involved_from or today
    errors.update(
        involvement_errors(
            agency=agency,
            service=service,
            lead_professional=lead_professional,
            is_key_contact=is_key_contact,
            started_on=started,
            today=today,
            started_field="involved_from",
            born_on=values["born_on"],
        )
    )
    if errors:
        raise ValidationError(errors)
    matches = likely_match_rows(
        nhs_number=values["nhs_number"], born_on=values["born_on"], given=given, family=family, postcode=code or None
    )
    if {match.child_id for match in matches} - set(considered):
        raise PossibleDuplicates(matches)
    if same := next((match.child_id for match in matches if match.same_nhs_number), None):
        _refuse_nhs_number_taken(actor, same, {"nhs_number": SAME_NHS_NUMBER}, {"creating": True})
    user = _user(actor)
    # WYCPS area-based access: a child recorded without an area belongs to the recording agency's.
    values["area_id"] = values["area_id"] or agency.area_id
    try:
        with transaction.atomic():
            child = Child.objects.create(
                **values,
                is_shielded=shielded,
                shielding_agency=agency if shielded else None,
                created_by=user,
                created_by_agency=agency,
            )
    except IntegrityError as error:
        # Another practitioner recorded this NHS number between the check above and now: the unique constraint
        # has the last word, and the answer is the same as the check's (one entry per child; never a 500).
        if NHS_NUMBER_UNIQUE not in str(error):
            raise
        taken = Child.objects.filter(nhs_number=values["nhs_number"]).values_list("pk", flat=True).first()
        if taken is None:
            raise ValidationError({"nhs_number": SAME_NHS_NUMBER}) from None
        _refuse_nhs_number_taken(actor, taken, {"nhs_number": SAME_NHS_NUMBER}, {"creating": True})
    name_add(child=child, kind=NameKind.LEGAL, given=given, family=family, recorded_by=user)
    for kind, alias_given, alias_family in aliases:
        name_add(child=child, kind=kind, given=alias_given, family=alias_family, recorded_by=user, legal_family=family)
    if address.strip():
        ChildAddress.objects.create(
            child=child, address=address.strip(), postcode=code, from_on=address_from or today, recorded_by=user
        )
    involvement = Involvement.objects.create(
        child=child,
        agency=agency,
        service=service_cleaned(service),
        lead_professional=lead_professional,
        is_key_contact=is_key_contact,
        started_on=started,
        recorded_by=user,
    )
    audit_record(
        kind="child.create",
        actor=actor,
        target=child,
        child_id=child.pk,
        detail={
            "agency_id": agency.pk,
            "involvement_id": involvement.pk,
            "aliases": len(list(aliases)),
            "shielded": shielded,
            "considered": sorted(set(considered)),
            "protocol_version_id": version.pk if version else None,
        },
    )
    return child


MINIMUM_FIELDS = (
    "born_on",
    "gender",
    "ethnicity",
    "languages",
    "phone",
    "setting",
    "setting_name",
    "nhs_number",
    "area_id",
    "has_additional_needs",
    "is_care_leaver",
)
# The fields whose values before and after a change the audit event keeps: coded values an auditor needs to see
# a correction, which identify nobody. The identifiers (date of birth, NHS number, phone, names) and the setting
# (withheld for a shielded child) are named only: the trail is kept for ever and read by auditors, who are not
# index users (sharing/apps.py: the same reason children are not in django-auditlog).
AUDITED_VALUES = frozenset({"gender", "ethnicity", "languages", "area", "has_additional_needs", "is_care_leaver"})
NHS_NUMBER_TAKEN = (
    "Another child in the index has this NHS number, so the two entries may be the same child: ask a "
    "partnership admin to merge them (they find the other entry by this NHS number)."
)


def minimum_data_of(child: Child, **changes: Any) -> MinimumData:
    """The child's minimum data as it is stored, with `changes` (field name to new value) laid over it: what a
    change of one field (a page, or a PATCH of only the fields sent) hands to child_update."""
    values: dict[str, Any] = {name: getattr(child, name) for name in MINIMUM_FIELDS}
    values["nhs_number"] = values["nhs_number"] or ""
    values["languages"] = list(values["languages"])
    values["area"] = values.pop("area_id") or ""  # MinimumData takes the area by its GSS code, as typed
    values.update(changes)
    return MinimumData(**values)


class NameChange(models.TextChoices):
    """What a new legal name is (the change page asks): a correction of a mistake replaces the name; a change of
    the child's name keeps the old one as a previous name, so searches find the child by either."""

    CORRECTION = "correction", "It was recorded wrongly: correct the mistake"
    CHANGE = "change", "The child's name has changed: keep the old one as a previous name"


def _taken_for_correction(current: ChildName | None, given: str, family: str) -> bool:
    """Whether making (given, family) the legal name of a child whose legal name is `current` is a correction,
    whatever the practitioner answered: a different name with the same name_exact_key (capitals, accents,
    apostrophes or word order only) is never a new name of the child (issue 10, finding 14)."""
    given, family = _spaced(given), _spaced(family)
    return (
        current is not None
        and (_spaced(current.given), _spaced(current.family)) != (given, family)
        and current.exact_key == rules.name_exact_key(given, family)
    )


def _legal_name_change(
    child: Child, current: ChildName | None, given: str, family: str, user: User | None, how: NameChange
) -> tuple[NameChange | None, list[str]]:
    """Make (given, family) the child's legal name; what was done, or None when nothing changed (the same name
    after spacing is tidied), with the kinds of the other names removed because they equal the new legal name.

    A correction replaces the legal name (the mistake is not a name the child had). A change keeps the old one as
    a previous name with its search keys, as a merge keeps the merged entry's. A name that differs only in case,
    accents or apostrophes (the same name_exact_key) is always a correction: keeping it would store the same
    name as legal and previous (issue 10, finding 14). A previous or known-as name equal to the new legal name (a
    child going back to a former name, or taking the name it was known by) is removed, for the same reason: the
    rule that refuses such a name when it is added (rules.alias_repeat_error; break10d finding 9). `current` is
    the child's legal name as read by the caller (its reason check: _taken_for_correction)."""
    taken_for_correction = _taken_for_correction(current, given, family)
    given, family = _spaced(given), _spaced(family)
    if current is not None and (_spaced(current.given), _spaced(current.family)) == (given, family):
        return None, []
    exact_key = rules.name_exact_key(given, family)
    repeats = [
        (alias.pk, alias.kind)
        for alias in ChildName.objects.filter(child=child, exact_key=exact_key).exclude(kind=NameKind.LEGAL)
        if rules.alias_repeat_error(alias.kind, alias.exact_key, [(NameKind.LEGAL.value, exact_key)])
    ]
    if repeats:
        ChildName.objects.filter(pk__in=[pk for pk, _ in repeats]).delete()
    if current is not None and (how == NameChange.CORRECTION or taken_for_correction):
        how = NameChange.CORRECTION
        current.delete()
    elif (
        current is not None
        and ChildName.objects.filter(child=child, kind=NameKind.PREVIOUS, exact_key=current.exact_key).exists()
    ):
        # The old name is already a previous name (the child going back and forth): it is kept once
        # (rules.alias_repeat_error).
        current.delete()
    elif current is not None:
        ChildName.objects.filter(pk=current.pk).update(kind=NameKind.PREVIOUS)
    name_add(child=child, kind=NameKind.LEGAL, given=given, family=family, recorded_by=user)
    if current is None or rules.name_tokens(current.family) != rules.name_tokens(family):
        _aliases_rekeyed(child, family)
    return how, sorted(kind for _, kind in repeats)


class NhsNumberOfShielded(ValidationError):
    """The NHS number typed is a shielded child's that the actor may not reach (raised inside child_update's
    transaction, recorded by child_update after it has rolled back)."""

    def __init__(self, errors: dict[str, str], child_id: int, agency_id: int | None) -> None:
        super().__init__(errors)
        self.errors = errors
        self.child_id = child_id
        self.agency_id = agency_id


def child_update(
    *,
    actor: Any,
    child: Child,
    data: MinimumData,
    name: tuple[str, str] | None = None,
    name_change: str = NameChange.CHANGE,
    reason: str = "",
) -> Child:
    """`_child_update`, and when the NHS number typed is a shielded child's that the actor may not reach: the
    answer "another child has this NHS number" tells them that child exists, exactly as a search by the number
    would (the ContactPoint shield's exact terms, DESIGN 2.3). So it is treated as that search: the same neutral
    answer as for any child, recorded as a check of the register naming that child (audit child.nhs_number_match
    with its child_id) and told to the shielding agency (shielded_children_reached). Recorded after the change's
    transaction has rolled back, so the record survives the refusal."""
    try:
        return _child_update(actor=actor, child=child, data=data, name=name, name_change=name_change, reason=reason)
    except NhsNumberOfShielded as reached:
        _shielded_nhs_number_met(actor, reached.child_id, reached.agency_id, {"changing_child_id": child.pk})
        raise ValidationError(reached.errors) from None


def _shielded_nhs_number_met(actor: Any, child_id: int, agency_id: int | None, detail: dict[str, Any]) -> None:
    """A refusal that says a shielded child the actor may not reach has the NHS number typed ("already in the
    index", "another child has this NHS number") tells them that child exists, exactly as a search by the number
    would (the ContactPoint shield's exact terms, DESIGN 2.3): recorded as a check of the register naming that
    child (audit child.nhs_number_match) and told to the shielding agency (shielded_children_reached). The
    caller makes sure it is outside any transaction the refusal rolls back."""
    audit_record(
        kind="child.nhs_number_match",
        actor=actor,
        object_type="sharing.child",
        object_id=child_id,
        child_id=child_id,
        detail={**detail, "shielded": True},
    )
    if agency_id is not None:
        shielded_children_reached(actor=actor, reached=[(child_id, agency_id)], how="a duplicate NHS number")


def _refuse_nhs_number_taken(actor: Any, child_id: int, errors: dict[str, str], detail: dict[str, Any]) -> None:
    """Raise ValidationError(errors) for an NHS number child `child_id` already has; when that child is shielded
    and the actor may not reach it, first record and tell it (_shielded_nhs_number_met): a create naming ids it
    was never offered in `considered` skips the likely-match offer that would have (break10e finding 6)."""
    other = Child.objects.filter(pk=child_id).only("id", "is_shielded", "shielding_agency_id", "merged_into_id").first()
    if other is not None and not shield_lets_in(actor, other):
        _shielded_nhs_number_met(actor, other.pk, other.shielding_agency_id, detail)
    raise ValidationError(errors)


@transaction.atomic
def _child_update(
    *,
    actor: Any,
    child: Child,
    data: MinimumData,
    name: tuple[str, str] | None = None,
    name_change: str = NameChange.CHANGE,
    reason: str = "",
) -> Child:
    """Change a child's minimum data (an involved agency's practitioners; ChildPolicy `change`) and, with `name`
    (given, family), its legal name: `name_change` says whether the child's name changed (the old legal name
    becomes a previous name, so searches find the child by both) or a mistake is corrected (the name is replaced,
    and `reason` says why: required, audited); the same name (spacing tidied) is no change. The same checks as
    at creation: the NHS number's check digit, a date of birth not in the future nor after the child was recorded,
    and the age scope of the updating agency's protocol version (a change that would take the child out of scope
    is refused with the rule). An NHS number another child has is refused
    with the merge to ask for (never a 500, even when two changes race). Refused by field (ValidationError);
    nothing is written then. Audit: child.update, naming the fields changed, with before and after for the
    coded values (AUDITED_VALUES)."""
    child = Child.objects.select_for_update().get(pk=child.pk)
    refuse_merged(child)
    require(actor, "change", child)
    values = data.cleaned()
    errors = dict(data.errors)
    shielded_other: Child | None = None
    legal = ChildName.objects.filter(child=child, kind=NameKind.LEGAL).first() if name is not None else None
    if name is not None:
        errors.update(_name_errors(*name))
        if name_change not in NameChange.values:
            errors["name_change"] = "Say whether this corrects a mistake or the child's name has changed."
        elif name_change == NameChange.CORRECTION:
            reason = reason_cleaned(
                reason,
                errors,
                field="reason",
                missing="Say what the mistake was: the correction is recorded with your reason.",
            )
        elif _taken_for_correction(legal, *name):
            # The same name but for capitals, accents or apostrophes is recorded as a correction whatever was
            # answered, and a correction keeps why (ChildNameCorrection; breakt11l F5, b11k).
            reason = reason_cleaned(
                reason,
                errors,
                field="reason",
                missing="The new name differs from the one recorded only in capitals, accents, apostrophes or the "
                "order of its words, so it is recorded as a correction of a mistake, not as a new name: say what "
                "the mistake was.",
            )
    if not errors and values["born_on"] > child.created_at.date():
        errors["born_on"] = "The date of birth must be on or before the day the child was recorded."
    # A later date of birth must not date what is recorded before the birth: the rules an entry, an involvement
    # and an address meet when recorded (break10d finding 8: the other door to the same fact).
    if (
        "born_on" not in errors
        and values["born_on"] is not None
        and values["born_on"] > child.born_on
        and (problem := _born_on_change_error(actor, child, values["born_on"]))
    ):
        errors["born_on"] = problem
    if values["nhs_number"] and values["nhs_number"] != child.nhs_number:
        other = (
            Child.objects.filter(nhs_number=values["nhs_number"])
            .exclude(pk=child.pk)
            .only("id", "is_shielded", "shielding_agency_id", "merged_into_id", "closed_on")
            .first()
        )
        if other is not None:
            errors["nhs_number"] = NHS_NUMBER_TAKEN  # the same words for every child, shielded or not
            if not shield_lets_in(actor, other):
                shielded_other = other
    area_moved = "area_id" not in errors and "area" not in errors and values["area_id"] != child.area_id
    involved_now = involved_agencies(child.pk) if area_moved else frozenset()
    if area_moved and child.area_id and not values["area_id"]:
        # An area once known is changed, never removed: a child with no area may have its area set by any
        # involved agency (may_change_area), so clearing it would let another area's agency claim it.
        errors["area"] = AREA_CLEARED_REFUSAL
    elif area_moved and not may_change_area(actor, child.area_id, involved_now):
        # WYCPS area-based access: the area opens restricted entries to its authorised staff (may_change_area).
        errors["area"] = AREA_CHANGE_REFUSAL
    scope_fields = {"born_on", "has_additional_needs", "is_care_leaver"}
    if not errors and any(getattr(child, key) != values[key] for key in scope_fields):
        # A corrected date of birth, or a flag that extended the scope taken away, may take the child out of the
        # protocol's scope (Haringey 2.1; Southampton 5): checked as at creation, under the updating agency's.
        involved = Involvement.objects.filter(child=child, ended_on__isnull=True, agency_id__in=index_agencies(actor))
        agency = Agency.objects.filter(pk__in=involved.values("agency_id")).order_by("pk").first()
        version = protocol_version_for(agency) if agency is not None else None
        if version is not None and (
            problem := age_scope_error(
                version,
                values["born_on"],
                additional_needs=values["has_additional_needs"],
                care_leaver=values["is_care_leaver"],
            )
        ):
            # Named on the field that took the child out of scope: the date, or the flag taken away.
            flags = [f for f in ("has_additional_needs", "is_care_leaver") if getattr(child, f) and not values[f]]
            errors[flags[0] if flags and child.born_on == values["born_on"] else "born_on"] = problem
    if errors:
        if shielded_other is not None:
            raise NhsNumberOfShielded(errors, shielded_other.pk, shielded_other.shielding_agency_id)
        raise ValidationError(errors)
    changed = [key for key in MINIMUM_FIELDS if getattr(child, key) != values[key]]
    born_before = child.born_on
    before = {key: getattr(child, key) for key in changed if key.removesuffix("_id") in AUDITED_VALUES}
    for key in changed:
        setattr(child, key, values[key])
    if changed:
        child.updated_at = timezone.now()
        try:
            with transaction.atomic():
                child.save(update_fields=[*changed, "updated_at"])
        except IntegrityError as error:
            # Another change gave that NHS number to another child since the check: the same answer.
            if NHS_NUMBER_UNIQUE not in str(error):
                raise
            raise ValidationError({"nhs_number": NHS_NUMBER_TAKEN}) from None
        if "born_on" in changed:
            # The keys of the child's own names; a merged entry's keep its date of birth (child_merge).
            ChildNameKey.objects.filter(child=child, born_on=born_before).update(born_on=child.born_on)
            # Back within the age scope on the corrected date: the marks of having left it (its closing date, the
            # notices) go, so passing the scope again gives a fresh grace period and notice (Southampton 11;
            # break11c finding 3).
            retention_marks_refresh(actor=actor, child=child)
    how, aliases_removed = (
        _legal_name_change(child, legal, *name, _user(actor), NameChange(name_change))
        if name is not None
        else (None, [])
    )
    if how is not None:
        changed.append("name")
    # The reason a correction gives is kept on its own row, erased with the record (child_erase), never in the
    # append-only audit trail (break11h F8; b11k: so that something records why a name was corrected).
    correction = (
        ChildNameCorrection.objects.create(child=child, reason=reason, corrected_by=_user(actor))
        if how == NameChange.CORRECTION and reason
        else None
    )
    if changed:
        # Named as the form and the API name them ("area", not the column "area_id"); the area by its code.
        audit_record(
            kind="child.update",
            actor=actor,
            target=child,
            child_id=child.pk,
            detail={
                "fields": [key.removesuffix("_id") for key in changed],
                "before": {key.removesuffix("_id"): value for key, value in before.items()},
                "after": {key.removesuffix("_id"): getattr(child, key) for key in before},
                **({"name_change": str(how)} if how is not None else {}),
                # That a reason for a correction was given (its length), never its text: the audit trail is
                # append-only and outlives the erasure, and the reason typed names people and places (Southampton
                # 6, 8; break11h finding 8; as child.reopen and consent.withdraw).
                **(
                    {"reason_length": len(reason), "name_correction_id": correction.pk}
                    if correction is not None
                    else {}
                ),
                # The kinds of the other names removed as equal to the new legal name (never the names).
                **({"names_removed": aliases_removed} if aliases_removed else {}),
            },
        )
    if "area_id" in changed:
        _area_change_told(actor, child, involved_now, before.get("area_id"))
    return child


def _born_on_change_error(actor: Any, child: Child, born: date) -> str | None:
    """rules.born_on_change_error for `child` born on `born`: its entries (their latest revision), counted and
    dated only where the actor may know of them (RecordEntryPolicy `view`), and its involvements' and addresses'
    starts. Three statements, or four when an entry would precede the birth."""
    latest = EntryRevision.objects.filter(entry__child=child, number=F("entry__revision_count"))
    before = rules.entries_dated_before_birth(
        born, latest.values_list("entry_id", "entry__category", "fields").iterator()
    )
    known = (
        set(restrict(actor, "view", RecordEntry.objects.filter(pk__in=sorted(before))).values_list("pk", flat=True))
        if before
        else set()
    )
    begun = [
        *Involvement.objects.filter(child=child, started_on__lt=born).values_list("started_on", flat=True),
        *ChildAddress.objects.filter(child=child, from_on__lt=born).values_list("from_on", flat=True),
    ]
    return rules.born_on_change_error(
        born,
        shown=[day for entry_id, day in before.items() if entry_id in known],
        hidden=len(before.keys() - known),
        begun=begun,
    )


# Who is told that a child's area changed: the designated managers of the other involved agencies (people only).
_AREA_TOLD = (
    "SELECT DISTINCT m.user_id FROM agencies_membership m JOIN agencies_user u ON u.id = m.user_id "
    "WHERE m.is_active AND u.is_active AND NOT u.is_system AND m.agency_id = ANY(%s) AND %s = ANY(m.roles)"
)


def _area_change_told(actor: Any, child: Child, involved: frozenset[int], before: str | None) -> int:
    """Tell the designated managers of the involved agencies other than the actor's that the child's area changed
    (from `before` to its area now, by GSS code): who may know of its restricted entries changed with it
    (sharing.policy.may_change_area). Two statements; none when no other agency is involved."""
    own = set() if isinstance(actor, SystemActor) else {m.agency_id for m in principal(actor).memberships}
    others = sorted(involved - own)
    if not others:
        return 0
    me = getattr(actor, "pk", None)
    who = getattr(actor, "full_name", "") or "A user"
    now = timezone.localdate()
    return notify_many(
        NotificationDraft(
            recipient_id=row[0],
            key=f"child-area:{child.pk}:{before or 'none'}-{child.area_id or 'none'}:{now.isoformat()}",
            subject="A child's area was changed",
            body=(
                f"{who} changed the area of child {child.pk} from {before or 'none'} to {child.area_id or 'none'} "
                f"on {bounds.long_date(now)}. The area decides which authorised staff may know of restricted "
                "information about the child."
            ),
        )
        for row in fetch(_AREA_TOLD, [others, Role.DESIGNATED_MANAGER.value])
        if row[0] != me
    )


@transaction.atomic
def child_name_add(*, actor: Any, child: Child, kind: str, given: str, family: str) -> ChildName:
    """Add a previous name or a name the child is known by (an involved agency). Refused when it adds nothing: a
    name the child already has of that kind, or its legal name (rules.alias_repeat_error, compared by the exact
    key the index keeps). Refused on `child` when the child was merged away meanwhile (locked_child). Audit:
    child.name_add."""
    child = locked_child(child)
    require(actor, "change", child)
    errors = _name_errors(given, family)
    if kind not in (NameKind.PREVIOUS, NameKind.KNOWN_AS):
        errors["kind"] = "Choose a previous name or a name the child is known by."
    if errors:
        raise ValidationError(errors)
    names = list(ChildName.objects.filter(child=child).values_list("kind", "exact_key", "family"))
    if problem := rules.alias_repeat_error(
        kind, rules.name_exact_key(given, family), [(other, key) for other, key, _ in names]
    ):
        raise ValidationError({"given": problem})
    legal_family = next((family for other, _, family in names if other == NameKind.LEGAL), None)
    name = name_add(
        child=child, kind=kind, given=given, family=family, recorded_by=_user(actor), legal_family=legal_family or ""
    )
    audit_record(
        kind="child.name_add", actor=actor, target=child, child_id=child.pk, detail={"name_id": name.pk, "kind": kind}
    )
    return name


@transaction.atomic
def child_address_change(
    *, actor: Any, child: Child, address: str, postcode: str, moved_on: date | None = None
) -> ChildAddress:
    """Record that the child moved: the current address ends the day before `moved_on` (today by default), or
    on that day when it began that day (rules.address_ends_on), and the new one begins, so the history is kept.
    Refused (ValidationError on moved_on) for a move in the future, before the current address began or before
    the child was born; on address for a move to the address the child lives at (rules.same_address), which
    writes nothing; on child when the child was merged away meanwhile (locked_child). Audit:
    child.address_change."""
    child = locked_child(child)
    require(actor, "change", child)
    errors: dict[str, str] = {}
    code = _postcode(postcode, errors)
    if not address.strip():
        errors["address"] = "Enter the new address."
    elif len(address) > bounds.ADDRESS or bounds.has_nul(address):
        errors["address"] = f"Enter at most {bounds.ADDRESS} characters."
    today = timezone.localdate()
    moved = moved_on or today
    current = ChildAddress.objects.select_for_update().filter(child=child, to_on__isnull=True).first()
    if moved > today:
        errors["moved_on"] = "The date of the move must be today or in the past."
    elif moved < bounds.EARLIEST_BIRTH_DATE:
        errors["moved_on"] = "Enter a real date."
    elif problem := rules.before_birth_error(moved, child.born_on, "The date of the move"):
        errors["moved_on"] = problem
    elif current is not None and rules.address_ends_on(current.from_on, moved) is None:
        errors["moved_on"] = (
            f"The move must be on or after {bounds.long_date(current.from_on)}, when the current address began."
        )
    if (
        "address" not in errors
        and "postcode" not in errors
        and current is not None
        and rules.same_address(address, code, current.address, current.postcode)
    ):
        errors["address"] = "The child already lives at this address: a move is recorded only to a different address."
    if errors:
        raise ValidationError(errors)
    if current is not None:
        current.to_on = rules.address_ends_on(current.from_on, moved)
        current.save(update_fields=["to_on"])
    new = ChildAddress.objects.create(
        child=child, address=address.strip(), postcode=code, from_on=moved, recorded_by=_user(actor)
    )
    audit_record(
        kind="child.address_change",
        actor=actor,
        target=child,
        child_id=child.pk,
        detail={"address_id": new.pk, "previous_address_id": current.pk if current else None},
    )
    return new


@transaction.atomic
def child_merge(
    *, actor: Any, keep: Child, merge: Child, reason: str, differences_confirmed: bool = False
) -> ChildMerge:
    """Merge two entries found to be the same child (a partnership admin): `merge`'s names (its legal name kept
    as a previous name), addresses, involvements and entries move to `keep`; `merge` stays, pointing at `keep`,
    and the ChildMerge row lists every row moved (entries move whole, with their revisions untouched). Refused
    when both have different NHS numbers (then they are not the same child), and when their dates of birth differ
    unless `differences_confirmed` (rules.merge_warning; the check page shows the warning first). The merged
    entry's names keep its date of birth on their search keys, so its old name and date of birth still find the
    kept child. Audit: child.merge, on both children (with whether the dates differed).

    Both rows are locked in one order, by id, whichever is kept (break10g finding 5): two merges of the same
    pair made crosswise at once (A into B, B into A) would otherwise each lock one and wait for the other, a
    deadlock. The second waits, then reads the rows the first committed and is refused by the policy ("This
    entry was merged into child N"). Every write about a child locks its row too (locked_child)."""
    keep_id, merge_id = keep.pk, merge.pk
    locked = {
        child.pk: child
        for child in Child.objects.select_for_update().filter(pk__in=sorted({keep_id, merge_id})).order_by("pk")
    }
    keep, merge = locked[keep_id], locked[merge_id]
    require(actor, "merge", keep)
    require(actor, "merge", merge)
    errors: dict[str, str] = {}
    if keep.pk == merge.pk:
        errors["merge"] = "Choose two different entries."
    if keep.nhs_number and merge.nhs_number and keep.nhs_number != merge.nhs_number:
        errors["merge"] = "These entries have different NHS numbers, so they are not the same child."
    warning = rules.merge_warning(keep.born_on, merge.born_on)
    if warning and not differences_confirmed and "merge" not in errors:
        errors["confirm"] = warning
    reason = reason_cleaned(reason, errors, field="reason", missing="Say why these are the same child.")
    if errors:
        raise ValidationError(errors)
    today = timezone.localdate()
    moved: dict[str, list[int]] = {}
    names = list(ChildName.objects.filter(child=merge).order_by("id"))
    moved["names"] = [name.pk for name in names]
    ChildName.objects.filter(child=merge, kind=NameKind.LEGAL).update(kind=NameKind.PREVIOUS)
    ChildName.objects.filter(child=merge).update(child=keep)
    # The keys keep the merged entry's date of birth: a search by its old name and date of birth finds the kept
    # child (the search matches the date of birth on the name's keys; issue 10, finding 15).
    ChildNameKey.objects.filter(child=merge).update(child=keep)
    # A corrected name's correction (why the legal name was put right) goes with the name it explains: the kept
    # child lists it with its names, on the record page and in the API (t13h F1; issue 10: a merge keeps both
    # histories).
    moved["name_corrections"] = list(ChildNameCorrection.objects.filter(child=merge).values_list("pk", flat=True))
    ChildNameCorrection.objects.filter(child=merge).update(child=keep)
    # One current address: the kept entry's stays current; the other's ends today (or continues, when the kept
    # entry has none).
    keep_current = ChildAddress.objects.filter(child=keep, to_on__isnull=True).exists()
    if keep_current:
        ChildAddress.objects.filter(child=merge, to_on__isnull=True, from_on__lte=today).update(to_on=today)
    moved["addresses"] = list(ChildAddress.objects.filter(child=merge).values_list("pk", flat=True))
    ChildAddress.objects.filter(child=merge).update(child=keep)
    # One open involvement per agency's service: a duplicate open one from the merged entry ends today.
    keep_open = list(
        Involvement.objects.filter(child=keep, ended_on__isnull=True).values_list(
            "agency_id", "agency__name", "service"
        )
    )
    # The same service whatever its capitals (rules.service_key), as the database constraint has it.
    open_services = {(agency_id, rules.service_key(service)) for agency_id, _, service in keep_open}
    for involvement in Involvement.objects.filter(child=merge, ended_on__isnull=True):
        if (involvement.agency_id, rules.service_key(involvement.service)) in open_services:
            involvement.ended_on = max(today, involvement.started_on)
            involvement.end_reason = f"Merged into child {keep.pk}, which has this involvement open."
            involvement.save(update_fields=["ended_on", "end_reason"])
    merge_open = list(
        Involvement.objects.filter(child=merge, ended_on__isnull=True).values_list(
            "agency_id", "agency__name", "service"
        )
    )
    moved["involvements"] = list(Involvement.objects.filter(child=merge).values_list("pk", flat=True))
    Involvement.objects.filter(child=merge).update(child=keep)
    moved["entries"] = list(RecordEntry.objects.filter(child=merge).values_list("pk", flat=True))
    RecordEntry.objects.filter(child=merge).update(child=keep)
    Child.objects.filter(pk=merge.pk).update(merged_into=keep, updated_at=timezone.now())
    # Entries merged into `merge` earlier now point at `keep`: a merged-away entry is read through its survivor's
    # shield (sharing.policy.shield_open), so its pointer must name the survivor, never another merged-away entry.
    Child.objects.filter(merged_into=merge).update(merged_into=keep, updated_at=timezone.now())
    # What other apps hold about the duplicate (its consent decisions: a competent child's refusal recorded on it
    # must still prevail on the survivor, Barnet "whose consent"), moved by their own receivers - after the
    # duplicate is marked merged, so that what they move can be checked against it (a dispute moves only to the
    # child its child was merged into: trigger dispute_transition_allowed, disclosures migration 0020).
    for _, their_moves in child_merged.send(sender=Child, keep=keep, merge=merge):
        if isinstance(their_moves, dict):
            moved.update(their_moves)
    nhs_number = keep.nhs_number or merge.nhs_number
    if merge.nhs_number:
        Child.objects.filter(pk=merge.pk).update(nhs_number=None)
    shielded = keep.is_shielded or merge.is_shielded
    Child.objects.filter(pk=keep.pk).update(
        nhs_number=nhs_number,
        is_shielded=shielded,
        shielding_agency=keep.shielding_agency if keep.is_shielded else merge.shielding_agency,
        has_additional_needs=keep.has_additional_needs or merge.has_additional_needs,
        is_care_leaver=keep.is_care_leaver or merge.is_care_leaver,
        updated_at=timezone.now(),
    )
    try:
        with transaction.atomic():
            record = ChildMerge.objects.create(
                kept=keep, merged=merge, reason=reason, moved=moved, merged_by=_user(actor)
            )
    except IntegrityError:
        raise ValidationError({"merge": "This entry has already been merged."}) from None
    shield_notices = _merge_shield_notices(actor, keep, merge, record, keep_open=keep_open, merge_open=merge_open)
    shield_agency = keep.shielding_agency if keep.is_shielded else merge.shielding_agency
    newly_shielded = _newly_under_shield(keep, merge, keep_open=keep_open, merge_open=merge_open)
    events = [
        audit_record(
            kind="child.merge",
            actor=actor,
            target=record,
            child_id=child.pk,
            detail={
                "kept": keep.pk,
                "merged": merge.pk,
                "dates_of_birth_differed": warning is not None,
                **{name: len(ids) for name, ids in moved.items()},
                **({"shield_notices": shield_notices} if shield_notices else {}),
                **({"told_shielded": sorted(newly_shielded)} if newly_shielded else {}),
            },
        )
        for child in (keep, merge)
    ]
    keep.refresh_from_db()
    if newly_shielded and shield_agency is not None:
        # The agencies the merge put under the survivor's shield are told to withhold its address, as when a
        # shield is set (_shield_set): they hold the child's old address in their own systems, and now see its
        # current one (DESIGN 2.3: the ContactPoint shield depends on every involved agency knowing).
        _shield_notice(keep, shield_agency, shielded=True, event_id=events[0], agencies=newly_shielded)
    return record


Involved = list[tuple[int, str, str]]  # (agency id, agency name, service) of an entry's open involvements


def _newly_under_shield(keep: Child, merge: Child, *, keep_open: Involved, merge_open: Involved) -> frozenset[int]:
    """The agencies a merge puts under the survivor's shield that were not under it: when the kept entry is
    shielded, those involved with the merged entry only (the merge brings them in); when only the merged entry
    was, those involved with the kept entry only (the kept entry takes its shield). Never the shielding agency.
    Both directions of a merge, one rule (break10d finding 3)."""
    keep_agencies = {agency_id for agency_id, _, _ in keep_open}
    merge_agencies = {agency_id for agency_id, _, _ in merge_open}
    if keep.is_shielded:
        return frozenset(merge_agencies - keep_agencies - {keep.shielding_agency_id})
    if merge.is_shielded:
        return frozenset(keep_agencies - merge_agencies - {merge.shielding_agency_id})
    return frozenset()


def _merge_shield_notices(
    actor: Any, keep: Child, merge: Child, record: ChildMerge, *, keep_open: Involved, merge_open: Involved
) -> list[dict[str, Any]]:
    """Tell the agency that shielded either entry of a merge which agencies the merge brought onto its shielded
    child (the other entry's open involvements, of agencies not already involved with the shielded one and not
    the shielding agency itself): each now sees the child's address and setting (sharing.policy.shield_withholds),
    as after an involvement added (DESIGN 2.3, the ContactPoint shield: the shielding agency controls who may
    reach the child). One notice per shielding agency per merge; what was told, for the merge's audit events."""
    survivor = keep.shielding_agency if keep.is_shielded else merge.shielding_agency
    told: list[dict[str, Any]] = []
    for shielded, own, other in ((keep, keep_open, merge_open), (merge, merge_open, keep_open)):
        agency_id = shielded.shielding_agency_id
        if not shielded.is_shielded or agency_id is None:
            continue
        own_agencies = {own_agency for own_agency, _, _ in own}
        brought = sorted(
            (name, service, other_agency)
            for other_agency, name, service in other
            if other_agency not in own_agencies and other_agency != agency_id
        )
        if not brought:
            continue
        count = shielded_involvements_merged(
            actor=actor,
            child_id=keep.pk,
            merged_child_id=merge.pk,
            agency_id=agency_id,
            merge_id=record.pk,
            brought_in=[f"{name}: {service}" for name, service, _ in brought],
            shielded_by=str(survivor) if survivor is not None and survivor.pk != agency_id else "",
        )
        told.append(
            {
                "shielding_agency_id": agency_id,
                "agencies_brought_in": sorted({other_agency for _, _, other_agency in brought}),
                "told": count,
            }
        )
    return told


def _shield_notice(
    child: Child, agency: Agency, *, shielded: bool, event_id: int, agencies: Iterable[int] | None = None
) -> None:
    """Tell the other agencies involved with the child (their designated managers and admins), or of those only
    `agencies` when given, that it is shielded now, or no longer: they hold its address in their own systems too.
    One row per recipient and audit event (the key), so it is sent once. Two statements."""
    involved = Involvement.objects.filter(child=child, ended_on__isnull=True).exclude(agency=agency)
    if agencies is not None:
        involved = involved.filter(agency_id__in=sorted(set(agencies)))
    recipients = Membership.objects.filter(
        is_active=True,
        user__is_active=True,
        user__is_system=False,  # people only: a token's system user has roles but reads no notice
        agency_id__in=involved.values("agency_id"),
        roles__overlap=[Role.DESIGNATED_MANAGER.value, Role.AGENCY_ADMIN.value],
    ).values_list("user_id", flat=True)
    what = "is now shielded" if shielded else "is no longer shielded"
    notify_many(
        NotificationDraft(
            recipient_id=recipient_id,
            key=f"shield:{child.pk}:event-{event_id}:user-{recipient_id}",
            subject=f"Child {child.pk} {what}",
            body=(
                f"{agency} says child {child.pk} {what}. "
                + (
                    "Withhold its address, setting and phone from anyone not involved, in your own records too."
                    if shielded
                    else "Its address and setting are shown to the agencies of the index again."
                )
            ),
            link="",
        )
        for recipient_id in sorted(set(recipients))
    )


@transaction.atomic
def child_shield(*, actor: Any, child: Child, agency: Agency, reason: str) -> Child:
    """Shield a child (the ContactPoint shield, DESIGN 2.3): its address, setting and phone withheld from agencies
    not involved, found only by its exact NHS number or exact full name with date of birth, every access told
    to `agency`. An involved agency's practitioners (ChildPolicy `shield`), for one of their agencies involved
    with the child, with a reason (bounded). The other involved agencies are told. Audit: child.shield."""
    child = Child.objects.select_for_update().get(pk=child.pk)
    require(actor, "shield", child)
    acting_agency(actor, agency)
    errors: dict[str, str] = {}
    reason = reason_cleaned(reason, errors, field="reason", missing="Say why the child must be shielded.")
    if not Involvement.objects.filter(child=child, agency=agency, ended_on__isnull=True).exists():
        errors["agency"] = f"{agency} is not involved with this child: shield it for an agency that is."
    if errors:
        raise ValidationError(errors)
    return _shield_set(actor, child, agency, shielded=True, reason=reason)


@transaction.atomic
def child_unshield(*, actor: Any, child: Child, reason: str) -> Child:
    """Lift a child's shield: a designated manager of the shielding agency (ChildPolicy `unshield`), with a reason
    (bounded). The other involved agencies are told. Audit: child.shield (shielded false)."""
    child = Child.objects.select_for_update(of=("self",)).select_related("shielding_agency").get(pk=child.pk)
    require(actor, "unshield", child)
    errors: dict[str, str] = {}
    reason = reason_cleaned(reason, errors, field="reason", missing="Say why the child no longer needs the shield.")
    if errors:
        raise ValidationError(errors)
    agency = child.shielding_agency
    assert agency is not None  # the policy lets only a shielded child's shield be lifted
    return _shield_set(actor, child, agency, shielded=False, reason=reason)


def _shield_set(actor: Any, child: Child, agency: Agency, *, shielded: bool, reason: str) -> Child:
    """Set or lift the shield (checked by the caller), with its audit event (child.shield, the reason as purpose)
    and the notice to the agencies involved."""
    child.is_shielded = shielded
    child.shielding_agency = agency if shielded else None
    child.updated_at = timezone.now()
    child.save(update_fields=["is_shielded", "shielding_agency", "updated_at"])
    event_id = audit_record(
        kind="child.shield",
        actor=actor,
        target=child,
        child_id=child.pk,
        purpose=reason,
        detail={"shielded": shielded, "agency_id": agency.pk},
    )
    _shield_notice(child, agency, shielded=shielded, event_id=event_id)
    return child
