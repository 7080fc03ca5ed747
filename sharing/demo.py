"""Demo children for `manage.py seed_demo`, through the services so that the rules, the policy and the audit
trail apply exactly as they do for a practitioner.

210 fictional children of the Northbridge partnership, the same on every run (a seeded random generator;
dates are counted back from today): obviously invented names with the spelling cases the search must handle
(O'Brien with a straight and a curly apostrophe, Łukasz, Søren, Strauß, a hyphenated Smith-Jones, previous
and known-as names), NHS numbers from the 999 test range with valid check digits, Northbridge (NB)
postcodes with some address history, involvements of six signatory agencies with their lead professionals,
entries in every category with valid structured fields (sharing.rules.CATEGORY_FIELDS), restricted entries,
corrected entries with revisions, one child shielded when recorded, one whose details a practitioner changed
(a new legal name, the old one kept as a previous name) and then shielded, one whose mistyped family name was
corrected (with the reason), one known by another given name (found by it with the family name), one pair of
entries for the same child waiting for a partnership admin to merge, and one pair whose dates of birth differed,
merged by a partnership admin who confirmed the difference.
Nothing is written when the demo children are already there.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from agencies.demo import DEMO_AREAS
from agencies.models import Agency, Membership, User
from consent import demo as consent_demo
from consent.demo import LEAVING
from isp_portal.demo_context import DemoContext
from isp_portal.policy import SystemActor, can
from sharing import rules
from sharing.models import Child, RecordEntry
from sharing.policy import index_agencies
from sharing.rules import Category
from sharing.services import (
    MinimumData,
    NameChange,
    PossibleDuplicates,
    child_address_change,
    child_create,
    child_merge,
    child_shield,
    child_update,
    entry_record,
    entry_revise,
    involvement_add,
    involvement_end,
    minimum_data_of,
)
from sharing.services.children import protocol_version_for

CHILDREN = 210
SEED = 20261129
# Who records for each signatory agency (demo people keys of agencies.demo.PEOPLE; the system acts for an
# agency whose people cannot use the index, e.g. without valid training), and the service involved.
RECORDERS = {
    "council": ("practitioner", "Children's social care"),
    "police": ("police_officer", "Public protection"),
    "trust": ("caldicott", "Health visiting"),
    "riverside": ("school_dsl", "Pastoral care"),
    "yot": ("yot_worker", "Youth justice"),
    "safefamilies": (None, "Family support"),
}
# What each agency records: the categories of DESIGN 2.3 that fit its work (the council holds the
# child-protection register and the restricted Schedule One indicator, WYCPS).
AGENCY_CATEGORIES: dict[str, tuple[Category, ...]] = {
    "council": (
        Category.SUPPORT,
        Category.LEGAL_STATUS,
        Category.CASE_NOTE,
        Category.CONCERN,
        Category.FAMILY_RELATIONSHIP,
        Category.CP_REGISTRATION,
        Category.CP_MEETING,
        Category.LOOKED_AFTER_HISTORY,
        Category.SCHEDULE_ONE,
    ),
    "police": (Category.CONCERN, Category.FAMILY_RELATIONSHIP, Category.CASE_NOTE),
    "trust": (Category.HEALTH, Category.CONTACT, Category.CASE_NOTE),
    "riverside": (Category.SEN_STATEMENT, Category.CONTACT, Category.CONCERN),
    "yot": (Category.LEGAL_STATUS, Category.CASE_NOTE, Category.CONTACT),
    "safefamilies": (Category.SUPPORT, Category.CONTACT, Category.CASE_NOTE),
}

GIVEN = [
    "Amberly",
    "Bramwell",
    "Clementine",
    "Dashiell",
    "Evander",
    "Fenella",
    "Gideon",
    "Hollis",
    "Isadora",
    "Jericho",
    "Kestrel",
    "Linnea",
    "Marigold",
    "Nathaniel",
    "Ottoline",
    "Peregrine",
    "Quentin",
    "Rosalind",
    "Sylvester",
    "Tamsin",
    "Ulysses",
    "Verity",
    "Wilhelmina",
    "Xanthe",
    "Yardley",
    "Zephyrine",
    "Barnaby",
    "Cordelia",
    "Ignatius",
    "Juniper",
    "Leopold",
    "Mirabel",
    "Orlando",
    "Persephone",
    "Rufus",
    "Seraphina",
    "Thaddeus",
    "Wendeline",
    "Araminta",
    "Bartholomew",
]
FAMILY = [
    "Quillfeather",
    "Pennywhistle",
    "Thistledown",
    "Brackenbury",
    "Marchbank",
    "Fernsby",
    "Hollowell",
    "Larkspur",
    "Mossgrove",
    "Nettleford",
    "Oakhurst",
    "Puddleby",
    "Rookwood",
    "Saltmarsh",
    "Tumbledown",
    "Umberfield",
    "Wickerby",
    "Yarrowdale",
    "Ambleworth",
    "Copperkettle",
    "Dunnockley",
    "Elderwick",
    "Foxglove",
    "Gorsemoor",
    "Heatherbell",
    "Inkwood",
    "Juniperfield",
    "Kettlewell",
    "Lanternby",
    "Moonbeam",
    "Nightingale-Frost",
    "Orchardly",
    "Pebbleworth",
    "Quincefield",
    "Riverbend",
    "Snowberry",
    "Teasel",
    "Underhill-Wren",
    "Vellacott",
    "Willowmere",
]
LANGUAGES = ("English", "Polish", "Urdu", "Somali", "Romanian", "Bengali", "Welsh", "Danish")


@dataclass(frozen=True)
class Special:
    """A child the demo needs by name: the search's spelling cases, the shield, the pair to merge."""

    given: str
    family: str
    aliases: tuple[tuple[str, str, str], ...] = ()
    shielded: bool = False
    same_as: str = ""  # the key of a child this one duplicates (the merge candidate)
    born_days_earlier: int = 0  # the duplicate's date of birth as mistyped: this many days before the other's
    recorder: str = ""  # the key of the agency that records it (RECORDERS), when it matters
    key: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


SPECIALS = (
    Special("Aoife", "O\u2019Brien", (("known_as", "Effie", ""),), key="curly"),  # curly apostrophe
    Special("Ciarán", "O'Brien"),  # straight apostrophe: both found by "OBrien" or "O Brien"
    Special("Łukasz", "Quillfeather"),  # found by "Lukasz"
    Special("Søren", "Thistledown"),  # found by "Soren"
    Special("Greta", "Strauß"),  # found by "Strauss"
    Special("Jayden", "Smith-Jones"),  # found by "Smith Jones" and "Jones Jayden"
    Special("Maisie", "Larkspur", (("previous", "Maisie", "Pennywhistle"), ("known_as", "Mo", ""))),
    Special("Florian", "Oakhurst", (("previous", "Florian", "Brackenbury"),), key="changed"),
    Special("Elowen", "Hartwell-Vane", shielded=True, key="shielded"),
    Special("Tobias", "Mossgrove", key="merge_kept"),
    Special("Toby", "Mossgrove", same_as="merge_kept", key="merge_other"),
    # Recorded with the family name mistyped, then corrected (the name-correction path, with its reason).
    Special("Imogen", "Blackthrone", recorder="council", key="corrected"),
    # Known as Sasha: found by "Sasha Penhallow" (a known-as given name with the legal family name).
    Special("Alexandra", "Penhallow", (("known_as", "Sasha", ""),), key="known_as"),
    # The same child recorded twice with a date of birth a day apart, merged by a partnership admin who confirmed
    # the difference (sharing.rules.merge_warning) and said which date is right.
    Special("Wilhelmina", "Gorsebrook", key="dob_kept"),
    Special("Mina", "Gorsebrook", same_as="dob_kept", born_days_earlier=1, key="dob_merged"),
)


def demo_nhs_number(rng: random.Random) -> str:
    """A number of the 999 range (never issued to a patient) with a valid modulus-11 check digit."""
    while True:
        first = f"999{rng.randrange(10**6):06d}"
        check = rules.nhs_check_digit(first)
        if check is not None:
            return f"{first}{check}"


_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


def demo_postcode(rng: random.Random) -> str:
    """A Northbridge postcode (NB1 to NB9), valid by sharing.rules.postcode_normalised."""
    code = f"NB{rng.randint(1, 9)} {rng.randint(0, 9)}{rng.choice(_INWARD_LETTERS)}{rng.choice(_INWARD_LETTERS)}"
    return rules.postcode_normalised(code)


STREETS = ("Acorn Lane", "Beacon Road", "Cobble Street", "Dovecote Close", "Elm Row", "Fountain Walk", "Gull Way")


def demo_fields(
    category: Category, rng: random.Random, today: date, born_on: date | None = None
) -> tuple[dict[str, Any], str]:
    """Valid structured fields and a line of text for an entry of `category` (sharing.rules.CATEGORY_FIELDS),
    dated on or after `born_on` when given (rules.entry_date_before_birth_error: a baby has no contact from
    before its birth). The same draws from `rng` either way, so the demo stays the same."""
    past = today - timedelta(days=rng.randint(5, 700))
    if born_on is not None:
        past = min(max(past, born_on), today)
    if category == Category.CONTACT:
        return {
            "contact_type": rng.choice(("face_to_face", "home_visit", "phone", "video")),
            "contact_date": past.isoformat(),
            "duration_minutes": rng.choice((15, 30, 45, 60)),
            "people_present": ["Parent", "Child"],
        }, "Routine contact; the child was settled and engaged well."
    if category == Category.SEN_STATEMENT:
        return {"provision": rng.choice(("sen_support", "ehc_plan")), "issued_on": past.isoformat()}, ""
    if category == Category.SUPPORT:
        return {
            "level": rng.choice(("universal", "targeted", "specialist", "statutory"))
        }, "Family support plan agreed."
    if category == Category.HEALTH:
        return {"topic": rng.choice(("Immunisations", "Asthma plan", "Growth review"))}, "Reviewed at clinic."
    if category == Category.LEGAL_STATUS:
        status = rng.choice(("looked_after", "child_in_need", "child_protection_plan"))
        return {"status": status, "since": past.isoformat()}, ""
    if category == Category.CASE_NOTE:
        return {}, "Visited the family at home; the plan was discussed and agreed with the parent."
    if category == Category.CONCERN:
        return {"concern": rng.choice(("neglect", "emotional_abuse", "exploitation", "other"))}, (
            "Concern raised by a member of staff; discussed with the designated safeguarding lead."
        )
    if category == Category.FAMILY_RELATIONSHIP:
        return {
            "person_name": f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}",
            "relationship": rng.choice(("Stepfather", "Uncle", "Mother's partner", "Grandmother")),
            "concern_indicator": rng.random() < 0.5,
        }, ""
    if category == Category.CP_REGISTRATION:
        registered = past - timedelta(days=200)
        if born_on is not None:
            registered = max(registered, born_on)
        values: dict[str, Any] = {
            "registered_on": registered.isoformat(),
            "category": rng.choice(("neglect", "multiple")),
        }
        if rng.random() < 0.5:
            values["deregistered_on"] = past.isoformat()
        return values, ""
    if category == Category.CP_MEETING:
        return {
            "meeting_type": rng.choice(("strategy", "initial_conference", "core_group")),
            "held_on": past.isoformat(),
        }, ""
    if category == Category.LOOKED_AFTER_HISTORY:
        return {"has_history": True}, ""
    return {"indicated": True}, ""  # Category.SCHEDULE_ONE


class _Seeder:
    def __init__(self, demo: DemoContext) -> None:
        self.demo = demo
        self.rng = random.Random(SEED)  # noqa: S311 - made-up demo data, repeatable on purpose
        self.today = timezone.localdate()
        agencies: dict[str, Agency] = demo.objects["agencies"]
        people: dict[str, User] = demo.objects["people"]
        self.agencies = {key: agencies[key] for key in RECORDERS}
        self.actors: dict[str, Any] = {}
        self.leads: dict[str, list[Membership]] = {}
        for key, (person, _service) in RECORDERS.items():
            user = people.get(person) if person else None
            # The person records when they may use the index for the agency (trained, signed); else the system.
            self.actors[key] = (
                user if user is not None and self.agencies[key].pk in index_agencies(user) else demo.actor
            )
            # A lead professional works with children through the index (rules.may_be_lead_professional).
            self.leads[key] = [
                membership
                for membership in Membership.objects.filter(agency=self.agencies[key])
                .select_related("user")
                .order_by("pk")
                if rules.may_be_lead_professional(
                    membership.roles, is_active=membership.is_active, is_system=membership.user.is_system
                )
            ]
        # The protocol version whose age scope each agency's children are checked against, read once.
        self.versions = {key: protocol_version_for(agency) for key, agency in self.agencies.items()}
        self.used_nhs: set[str] = set()
        self.entries = 0
        self.children: dict[str, Child] = {}

    def nhs(self) -> str:
        number = demo_nhs_number(self.rng)
        while number in self.used_nhs:
            number = demo_nhs_number(self.rng)
        self.used_nhs.add(number)
        return number

    def born(self) -> tuple[date, bool, bool]:
        """A date of birth in the protocol's scope (0 to 19, or to 25 for care leavers and additional needs)."""
        if self.rng.random() < 0.06:
            years, additional, leaver = self.rng.randint(20, 24), self.rng.random() < 0.5, True
        else:
            years, additional, leaver = self.rng.randint(0, 17), self.rng.random() < 0.1, False
        return self.today - timedelta(days=years * 365 + self.rng.randint(0, 364)), additional, leaver

    def lead(self, key: str) -> Membership | None:
        leads = self.leads[key]
        return leads[self.rng.randrange(len(leads))] if leads else None

    def create(self, index: int, special: Special | None) -> Child:
        rng = self.rng
        key = list(RECORDERS)[index % len(RECORDERS)]
        if special and special.shielded:
            key = "council"
        elif special and special.recorder:
            key = special.recorder
        given = special.given if special else rng.choice(GIVEN)
        family = special.family if special else rng.choice(FAMILY)
        aliases = list(special.aliases) if special else []
        if not special and rng.random() < 0.12:
            aliases.append(("known_as", rng.choice(GIVEN)[:4], ""))
        if not special and rng.random() < 0.08:
            previous = rng.choice(FAMILY)
            if previous != family:  # the legal name is not a previous name of itself (rules.alias_repeat_error)
                aliases.append(("previous", given, previous))
        born, additional, leaver = self.born()
        postcode = demo_postcode(rng)
        nhs = "" if rng.random() < 0.12 else self.nhs()
        twin = self.children.get(special.same_as) if special and special.same_as else None
        if twin is not None:
            # The same child recorded again by another agency with a shortened name and no NHS number: the
            # duplicate check offered the first entry, the practitioner went on; a partnership admin merges them.
            key, born, nhs, postcode = "trust", twin.born_on, "", demo_postcode(rng)
            if special is not None and special.born_days_earlier:
                # A mistyped date of birth: the age scope's flags are the first entry's, so both are in scope.
                born = twin.born_on - timedelta(days=special.born_days_earlier)
                additional, leaver = twin.has_additional_needs, twin.is_care_leaver
        setting = rules_setting(born, self.today)
        data = MinimumData(
            born_on=born,
            gender=rng.choice(("female", "male", "male", "female", "another", "not_known")),
            ethnicity=rng.choice(("white_british", "white_other", "asian_pakistani", "black_african", "mixed_other")),
            languages=rng.sample(LANGUAGES, rng.choice((1, 1, 2))),
            setting=setting,
            setting_name={"school": "Riverside Primary School", "college": "Northbridge College"}.get(setting, ""),
            nhs_number=nhs,
            area=DEMO_AREAS["Northbridge"],
            has_additional_needs=additional,
            is_care_leaver=leaver,
        )
        started = max(born, self.today - timedelta(days=rng.randint(30, 900)))
        considered: list[int] = []
        while True:
            try:
                child = child_create(
                    actor=self.actors[key],
                    agency=self.agencies[key],
                    given=given,
                    family=family,
                    data=data,
                    service=RECORDERS[key][1],
                    address=f"{rng.randint(1, 120)} {rng.choice(STREETS)}, Northbridge",
                    postcode=postcode,
                    address_from=started,
                    aliases=aliases,
                    lead_professional=self.lead(key),
                    involved_from=started,
                    shielded=bool(special and special.shielded),
                    considered=considered,
                    version=self.versions[key],
                )
                break
            except PossibleDuplicates as duplicates:
                # The practitioner looked at the children offered and found none was this one.
                considered += [match.child_id for match in duplicates.matches]
        if special and special.key:
            self.children[special.key] = child
        involved = [key]
        if rng.random() < 0.55 or index < 24:
            other = list(RECORDERS)[(index + 1 + rng.randrange(len(RECORDERS) - 1)) % len(RECORDERS)]
            if other != key:
                # The same draws whether or not the involvement is added, so the rest of the demo is unchanged.
                key_contact = bool(self.leads[other]) and rng.random() < 0.3
                started_on = max(born, self.today - timedelta(days=rng.randint(10, 400)))
            # A shielded child takes only the shielding agency's involvements (shield_admits_involvement).
            if other != key and not child.is_shielded:
                involvement_add(
                    actor=self.actors[other],
                    child=child,
                    agency=self.agencies[other],
                    service=RECORDERS[other][1],
                    lead_professional=self.lead(other),
                    is_key_contact=key_contact,
                    started_on=started_on,
                )
                involved.append(other)
        if rng.random() < 0.1 and started < self.today:
            # The family moved: the first address ends the day before, so the record shows the history.
            child_address_change(
                actor=self.actors[key],
                child=child,
                address=f"{rng.randint(1, 120)} {rng.choice(STREETS)}, Northbridge",
                postcode=demo_postcode(rng),
                moved_on=started + timedelta(days=rng.randint(1, (self.today - started).days)),
            )
        self.record_entries(index, child, involved)
        return child

    def record_entries(self, index: int, child: Child, involved: list[str]) -> None:
        rng = self.rng
        count = rng.choice((0, 1, 1, 2, 2, 3))
        if index < 12:
            # The first children make sure every category is held somewhere.
            wanted = list(Category)[index]
            owner = next((key for key in involved if wanted in AGENCY_CATEGORIES[key]), "council")
            if owner not in involved and child.is_shielded:
                owner = ""  # only the shielding agency involves itself with a shielded child
            elif owner not in involved:
                involvement_add(
                    actor=self.actors["council"],
                    child=child,
                    agency=self.agencies["council"],
                    service=RECORDERS["council"][1],
                    lead_professional=self.lead("council"),
                    started_on=max(child.born_on, self.today - timedelta(days=60)),
                )
                involved.append("council")
            plan = [(owner, wanted)] if owner else []
        else:
            plan = []
        for _ in range(count):
            owner = rng.choice(involved)
            plan.append((owner, rng.choice(AGENCY_CATEGORIES[owner])))
        for owner, category in plan:
            values, text = demo_fields(category, rng, self.today, child.born_on)
            if category == Category.CASE_NOTE and not text:
                text = "Case note."
            restricted = (
                owner in {"council", "police"}
                and category
                in {
                    Category.CONCERN,
                    Category.FAMILY_RELATIONSHIP,
                    Category.CASE_NOTE,
                }
                and rng.random() < 0.3
            )
            entry = entry_record(
                actor=self.actors[owner],
                child=child,
                agency=self.agencies[owner],
                category=category,
                fields=values,
                text=text,
                basis=rng.choice(("fact", "fact", "opinion")),
                restricted=restricted,
            )
            self.entries += 1
            # A restricted entry's recorder not authorised for restricted information may not see it to correct it.
            if self.entries % 6 == 0 and can(self.actors[owner], "revise", entry):
                self.revise(owner, entry, category)

    def change_and_shield(self, child: Child) -> None:
        """A practitioner of an agency involved with the child corrects its details (its legal name, the old one
        kept as a previous name, and its languages), then shields it: the child page's "Change" links and the
        shield, through the services a practitioner's pages call (so the audit trail shows both)."""
        key = self.involved_person(child)
        child_update(
            actor=self.actors[key],
            child=child,
            data=minimum_data_of(child, languages=["English", "Welsh"]),
            name=(child.names.get(kind="legal").given, "Oakhurst-Reed"),
        )
        child_shield(
            actor=self.actors[key],
            child=child,
            agency=self.agencies[key],
            reason="The family moved to escape domestic abuse: the new address must not become known.",
        )

    def involved_person(self, child: Child) -> str:
        """The key of an agency involved with the child whose recorder is a person (the pages a practitioner uses)."""
        involved = {involvement.agency_id for involvement in child.involvements.filter(ended_on__isnull=True)}
        return next(
            key for key, agency in self.agencies.items() if agency.pk in involved and isinstance(self.actors[key], User)
        )

    def correct_name(self, child: Child) -> None:
        """A practitioner corrects a family name typed wrongly when the child was recorded: the name-correction
        path (NameChange.CORRECTION), which replaces the legal name and records the reason."""
        child_update(
            actor=self.actors[self.involved_person(child)],
            child=child,
            data=minimum_data_of(child),
            name=(child.names.get(kind="legal").given, "Blackthorne"),
            name_change=NameChange.CORRECTION,
            reason="Typed wrongly when the child was recorded: the birth certificate says Blackthorne.",
        )

    def merge_confirmed(self, keep: Child, merge: Child, admin: Any) -> None:
        """A partnership admin merges two entries for the same child whose dates of birth differ, confirming the
        difference (the explicit confirmation path of child_merge) and saying which date is right."""
        child_merge(
            actor=admin,
            keep=keep,
            merge=merge,
            reason=(
                "The same child: the health visiting entry had the date of birth a day early; the school's "
                "admission record confirms the date on the entry kept."
            ),
            differences_confirmed=True,
        )

    def about_to_leave(self) -> None:
        """A young person three weeks before they pass the protocol's age scope, with no condition that extends it
        (Southampton 8 and 11: their records are then kept only with an extending condition or a recorded
        consent). Made after every other child, so the rest of the demo draws the same numbers."""
        version = self.versions["council"]
        if version is None:
            return
        born = _leaving_birth_date(self.today, version.age_max)
        data = MinimumData(
            born_on=born,
            gender="male",
            ethnicity="white_british",
            languages=["English"],
            setting=rules_setting(born, self.today),
            setting_name="Northbridge College" if rules_setting(born, self.today) == "college" else "",
            nhs_number=self.nhs(),
            area=DEMO_AREAS["Northbridge"],
        )
        considered: list[int] = []
        while True:
            try:
                self.children["leaving"] = child_create(
                    actor=self.actors["council"],
                    agency=self.agencies["council"],
                    given=LEAVING[0],
                    family=LEAVING[1],
                    data=data,
                    service=RECORDERS["council"][1],
                    address="7 Gull Way, Northbridge",
                    postcode=demo_postcode(self.rng),
                    address_from=self.today - timedelta(days=700),
                    lead_professional=self.lead("council"),
                    involved_from=self.today - timedelta(days=700),
                    considered=considered,
                    version=version,
                )
                return
            except PossibleDuplicates as duplicates:
                considered += [match.child_id for match in duplicates.matches]

    def revise(self, owner: str, entry: RecordEntry, category: Category) -> None:
        values, text = demo_fields(category, self.rng, self.today, entry.child.born_on)
        entry_revise(
            actor=self.actors[owner],
            entry=entry,
            fields=values,
            text=text or ("Case note, corrected." if category == Category.CASE_NOTE else ""),
            basis="fact",
            restricted=entry.is_restricted,
            reason="Corrected after checking the agency's own case record.",
        )


def _leaving_birth_date(today: date, age_max: int) -> date:
    """The date of birth of someone who turns `age_max` + 1 three weeks from `today` (the 28th at the latest, so
    every year has the day)."""
    turns = today + timedelta(days=21)
    return date(turns.year - (age_max + 1), turns.month, min(turns.day, 28))


def rules_setting(born: date, today: date) -> str:
    age = rules.age_on(born, today)
    if age < 5:
        return "under_fives"
    if age < 16:
        return "school"
    return "college" if age < 19 else "none"


def seed(demo: DemoContext) -> None:
    if Child.objects.exists():
        demo.summary["sharing"] = "already there"
        return
    seeder = _Seeder(demo)
    specials = {index * 7: special for index, special in enumerate(SPECIALS)}
    ordinary: list[Child] = []
    for index in range(CHILDREN):
        made = seeder.create(index, specials.get(index))
        if index not in specials and len(ordinary) < 2:
            ordinary.append(made)
    # One involvement has ended, so the record shows an agency that worked with the child before.
    first = seeder.children["curly"]
    involvement = first.involvements.filter(ended_on__isnull=True).order_by("pk").last()
    if involvement is not None and involvement.started_on < seeder.today:
        agency_key = next(key for key, agency in seeder.agencies.items() if agency.pk == involvement.agency_id)
        involvement_end(
            actor=seeder.actors[agency_key],
            involvement=involvement,
            ended_on=seeder.today,
            reason="The family support plan was completed.",
        )
    seeder.change_and_shield(seeder.children["changed"])
    seeder.correct_name(seeder.children["corrected"])
    people: dict[str, User] = demo.objects["people"]
    admin = people.get("partnership_admin")
    seeder.merge_confirmed(
        seeder.children["dob_kept"],
        seeder.children["dob_merged"],
        admin if admin is not None and can(admin, "merge", Child) else demo.actor,
    )
    seeder.about_to_leave()
    retention = _seed_retention(seeder, admin, ordinary)
    demo.objects["children"] = seeder.children
    # The consents are recorded once the children exist (consent.demo: its own pass came first and waited).
    consent_demo.seed(demo)
    consents = demo.summary.pop("consent", "")
    children = Child.objects.count()
    demo.summary["sharing"] = f"{children} children, {seeder.entries} record entries{retention}, {consents}"


def _seed_retention(seeder: _Seeder, admin: User | None, ordinary: list[Child]) -> str:
    """Southampton 8, 11 (issue 11): a young person who leaves the age scope in ten days (the sweep will flag
    them), a record a partnership admin closed, and one closed and then erased at the end of its retention period
    (the erasure run as the sweep would on its due day), all through the services."""
    from sharing.retention_rules import birthday_in
    from sharing.services.retention import child_close, child_erase

    version = seeder.versions["council"]
    if version is None:
        return ""
    leaves_on = seeder.today + timedelta(days=10)
    born = birthday_in(leaves_on, -(version.age_max + 1))
    if rules.age_on(born, seeder.today) != version.age_max:  # 29 February: a day earlier still leaves in time
        born -= timedelta(days=1)
    leaver = child_create(
        actor=seeder.actors["council"],
        agency=seeder.agencies["council"],
        given="Morgan",
        family="Ashworth-Leigh",
        data=MinimumData(born_on=born, gender="not_known", area=DEMO_AREAS["Northbridge"], setting="college"),
        service=RECORDERS["council"][1],
        address="14 Weavers Row, Northbridge",
        postcode=demo_postcode(seeder.rng),
        lead_professional=seeder.lead("council"),
        version=version,
    )
    seeder.children["leaving_scope"] = leaver
    closer = admin if admin is not None and can(admin, "close", Child) else seeder.demo.actor
    if len(ordinary) < 2:
        return ""
    closed = child_close(
        actor=closer, child=ordinary[0], reason="The family moved out of the partnership's area; no agency is involved."
    )
    seeder.children["closed"] = closed
    erased = child_close(
        actor=closer, child=ordinary[1], reason="Recorded twice by mistake; the other entry holds the record."
    )
    assert erased.erase_due_on is not None
    seeder.children["erased"] = child_erase(
        actor=SystemActor("seed_demo retention sweep"), child=erased, today=erased.erase_due_on
    )
    return ", one leaving the age scope, one closed, one erased"
