"""The child index (DESIGN 2.3; Haringey 3.8; WYCPS "information that will be shared"): one entry per child with
its minimum data, its names and aliases with their search keys, its address history, merges of duplicate entries
and the record of who reached a shielded child."""

from __future__ import annotations

import secrets
from datetime import date, timedelta

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Cast, Floor, Random
from django.utils import timezone

from isp_portal import bounds, db_bounds
from sharing import rules
from sharing.cell_key import KEY_RANGE


class Gender(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    ANOTHER = "another", "Describes themselves another way"
    NOT_KNOWN = "not_known", "Not known"


class Ethnicity(models.TextChoices):
    """The ethnic groups of the 2021 census of England and Wales (the categories the aggregate tier counts)."""

    ASIAN_BANGLADESHI = "asian_bangladeshi", "Asian or Asian British: Bangladeshi"
    ASIAN_CHINESE = "asian_chinese", "Asian or Asian British: Chinese"
    ASIAN_INDIAN = "asian_indian", "Asian or Asian British: Indian"
    ASIAN_PAKISTANI = "asian_pakistani", "Asian or Asian British: Pakistani"
    ASIAN_OTHER = "asian_other", "Asian or Asian British: any other Asian background"
    BLACK_AFRICAN = "black_african", "Black, Black British, Caribbean or African: African"
    BLACK_CARIBBEAN = "black_caribbean", "Black, Black British, Caribbean or African: Caribbean"
    BLACK_OTHER = "black_other", "Black, Black British, Caribbean or African: any other Black background"
    MIXED_WHITE_ASIAN = "mixed_white_asian", "Mixed or multiple: White and Asian"
    MIXED_WHITE_BLACK_AFRICAN = "mixed_white_black_african", "Mixed or multiple: White and Black African"
    MIXED_WHITE_BLACK_CARIBBEAN = "mixed_white_black_caribbean", "Mixed or multiple: White and Black Caribbean"
    MIXED_OTHER = "mixed_other", "Mixed or multiple: any other mixed background"
    WHITE_BRITISH = "white_british", "White: English, Welsh, Scottish, Northern Irish or British"
    WHITE_IRISH = "white_irish", "White: Irish"
    WHITE_GYPSY_TRAVELLER = "white_gypsy_traveller", "White: Gypsy or Irish Traveller"
    WHITE_ROMA = "white_roma", "White: Roma"
    WHITE_OTHER = "white_other", "White: any other White background"
    OTHER_ARAB = "other_arab", "Other ethnic group: Arab"
    OTHER = "other", "Other ethnic group: any other"
    NOT_STATED = "not_stated", "Not stated"


class Setting(models.TextChoices):
    """Haringey 3.8: current status (in under-5s provision, school, college etc)."""

    UNDER_FIVES = "under_fives", "Under-5s provision"
    SCHOOL = "school", "School"
    COLLEGE = "college", "College"
    NONE = "none", "None"


LANGUAGES_MAX = 10


def new_cell_key() -> int:
    """A child's record key for the cell-key method (sharing.cell_key), drawn uniformly from 0 to 255 by the
    operating system's generator: who can guess a key can take its noise away."""
    return secrets.randbelow(KEY_RANGE)


# The same drawn in the database, for rows written outside the ORM (and, by sharing migration 0012, for each
# child there was: PostgreSQL evaluates a volatile default once per row when it adds the column).
CELL_KEY_DRAWN = Cast(Floor(Random() * KEY_RANGE), models.SmallIntegerField())
LANGUAGE_LENGTH = 60


class KeptUnder(models.TextChoices):
    """Why a record past the protocol's age scope is kept (sharing.retention_rules.Keep)."""

    EXTENDING_CONDITION = "extending_condition", "An extending condition (additional needs or care leaver)"
    CONSENT = "consent", "The young person's recorded consent"


class ClosureRule(models.TextChoices):
    """The rule a record was closed under (sharing.retention_rules.ClosedUnder)."""

    AGE_SCOPE = "age_scope", "Past the protocol's age scope, with no extending condition or consent"
    EXTENDED_AGE_SCOPE = "extended_age_scope", "Past the protocol's extended age scope, with no consent"
    ADMIN = "admin", "Closed by a partnership admin"


class Child(models.Model):
    """A child or young person in the index: the minimum data that identifies them (Haringey 3.8).

    Names live in ChildName (legal, previous, known-as), addresses in ChildAddress (with history). A shielded
    child (the ContactPoint shield) is found only by exact NHS number or exact name with date of birth, its
    address and setting are withheld, and every access to it tells the shielding agency. A child merged into
    another keeps its row (`merged_into`), so both histories stay readable."""

    born_on = models.DateField()
    gender = models.CharField(max_length=16, choices=Gender.choices, default=Gender.NOT_KNOWN)
    ethnicity = models.CharField(max_length=32, choices=Ethnicity.choices, default=Ethnicity.NOT_STATED)
    languages = ArrayField(models.CharField(max_length=LANGUAGE_LENGTH), default=list, blank=True)
    # E.164 (agencies.rules.phone_normalised), like every phone number the portal keeps.
    phone = models.CharField(max_length=30, blank=True)
    setting = models.CharField(max_length=16, choices=Setting.choices, default=Setting.NONE)
    setting_name = models.CharField(max_length=bounds.NAME, blank=True)
    # NHS numbers are text: ten digits, a leading zero kept (sharing.rules.nhs_number_normalised).
    nhs_number = models.CharField(max_length=10, null=True, blank=True)
    # The local-authority area the child lives in (WYCPS area-based access; sharing.policy.restricted_readers
    # compares its code with the agency's). None only for a child recorded by an agency with no area.
    area = models.ForeignKey("agencies.Area", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    # What extends the protocol's age scope (Haringey 2.1; Southampton 5).
    has_additional_needs = models.BooleanField(default=False)
    # The record key of the cell-key method (sharing.cell_key: ONS Census 2021, ABS TableBuilder): fixed at
    # random when the child is added, never shown; the aggregate tier's noise on a count is looked up by the sum
    # of its children's keys. A row written outside the ORM (a COPY) draws one in the database.
    cell_key = models.SmallIntegerField(default=new_cell_key, db_default=CELL_KEY_DRAWN, editable=False)
    is_care_leaver = models.BooleanField(default=False)
    is_shielded = models.BooleanField(default=False)
    shielding_agency = models.ForeignKey(
        "agencies.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="shielded_children"
    )
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged")
    created_by = models.ForeignKey("agencies.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_by_agency = models.ForeignKey(
        "agencies.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # Leaving the scope and retention (Southampton 5, 8, 11; sharing.services.retention). The sweep flags a child
    # past the age scope once (its lead professionals told), then each day keeps it (and says why) or, nothing
    # keeping it, closes it once its closing date (closes_on) has come;
    # a closed record's content is erased once the retention period of the version it was closed under has run.
    scope_flagged_on = models.DateField(null=True, blank=True)
    # The day its lead professionals were told, weeks ahead, that the child is about to pass the scope (once).
    scope_warned_on = models.DateField(null=True, blank=True)
    # The day an open record past the scope, with no extending condition or consent, is closed unless one is
    # recorded before it (settings.RETENTION_GRACE_WORKING_DAYS after the sweep found nothing to keep it by; its
    # lead professionals are told the day): cleared when it is kept, or closed.
    closes_on = models.DateField(null=True, blank=True)
    kept_under = models.CharField(max_length=24, choices=KeptUnder.choices, blank=True, default="", db_default="")
    retention_checked_on = models.DateField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    closed_under = models.CharField(max_length=24, choices=ClosureRule.choices, blank=True, default="", db_default="")
    close_reason = models.TextField(max_length=bounds.REASON, blank=True, default="", db_default="")
    closed_by = models.ForeignKey("agencies.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    closed_version = models.ForeignKey(
        "protocols.ProtocolVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    erase_due_on = models.DateField(null=True, blank=True)
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "children"
        constraints = [
            models.UniqueConstraint(
                fields=["nhs_number"], condition=models.Q(nhs_number__isnull=False), name="child_nhs_number_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(nhs_number__isnull=True) | models.Q(nhs_number__regex=r"^[0-9]{10}$"),
                name="child_nhs_number_ten_digits",
            ),
            # Born no later than the day the entry was made (a day's slack for the clock's time zone).
            models.CheckConstraint(
                condition=models.Q(
                    born_on__lte=Cast("created_at", output_field=models.DateField()) + timedelta(days=1)
                ),
                name="child_born_before_recorded",
            ),
            models.CheckConstraint(
                condition=models.Q(is_shielded=False, shielding_agency__isnull=True)
                | models.Q(is_shielded=True, shielding_agency__isnull=False),
                name="child_shielded_by_an_agency",
            ),
            models.CheckConstraint(
                condition=~models.Q(merged_into=models.F("id")), name="child_not_merged_into_itself"
            ),
            models.CheckConstraint(condition=models.Q(gender__in=Gender.values), name="child_gender_known"),
            models.CheckConstraint(
                condition=models.Q(cell_key__gte=0, cell_key__lt=KEY_RANGE), name="child_cell_key_range"
            ),
            models.CheckConstraint(condition=models.Q(ethnicity__in=Ethnicity.values), name="child_ethnicity_known"),
            models.CheckConstraint(condition=models.Q(setting__in=Setting.values), name="child_setting_known"),
            models.CheckConstraint(
                condition=models.Q(setting__in=[Setting.SCHOOL, Setting.COLLEGE, Setting.UNDER_FIVES])
                | models.Q(setting_name=""),
                name="child_setting_name_needs_a_setting",
            ),
            db_bounds.date_in_era("child", "born_on", bounds.EARLIEST_BIRTH_DATE),
            db_bounds.list_length("child", "languages", LANGUAGES_MAX),
            # Retention (Southampton 8, 11): a closed record says under which rule and when it falls due for
            # erasure (never before it was closed); only a closed record is erased; a kept one is open and
            # flagged; an admin's closing gives its reason.
            models.CheckConstraint(condition=models.Q(kept_under__in=["", *KeptUnder.values]), name="child_kept_known"),
            models.CheckConstraint(
                condition=models.Q(closed_under__in=["", *ClosureRule.values]), name="child_closed_under_known"
            ),
            models.CheckConstraint(
                condition=models.Q(closed_on__isnull=True, closed_under="", erase_due_on__isnull=True)
                | models.Q(closed_on__isnull=False, erase_due_on__gte=models.F("closed_on"))
                & ~models.Q(closed_under=""),
                name="child_closed_with_rule_and_due_date",
            ),
            models.CheckConstraint(
                condition=models.Q(erased_at__isnull=True) | models.Q(closed_on__isnull=False),
                name="child_erased_only_when_closed",
            ),
            models.CheckConstraint(
                condition=models.Q(kept_under="") | models.Q(closed_on__isnull=True, scope_flagged_on__isnull=False),
                name="child_kept_is_flagged_and_open",
            ),
            models.CheckConstraint(
                condition=~models.Q(closed_under=ClosureRule.ADMIN) | ~models.Q(close_reason=""),
                name="child_admin_closing_has_reason",
            ),
            models.CheckConstraint(
                condition=~models.Q(closed_under__in=[ClosureRule.AGE_SCOPE, ClosureRule.EXTENDED_AGE_SCOPE])
                | models.Q(scope_flagged_on__isnull=False),
                name="child_scope_closing_was_flagged",
            ),
            # A closing date is set only on an open, flagged record that nothing keeps.
            models.CheckConstraint(
                condition=models.Q(closes_on__isnull=True)
                | models.Q(closed_on__isnull=True, kept_under="", scope_flagged_on__isnull=False),
                name="child_closing_date_only_when_pending",
            ),
            db_bounds.text_length("child", "close_reason", bounds.REASON),
            db_bounds.date_in_era("child", "closes_on"),
            db_bounds.date_in_era("child", "scope_warned_on"),
            db_bounds.date_in_era("child", "scope_flagged_on"),
            db_bounds.date_in_era("child", "retention_checked_on"),
            db_bounds.date_in_era("child", "closed_on"),
            db_bounds.date_in_era("child", "erase_due_on"),
        ]
        indexes = [
            models.Index(fields=["born_on"], name="child_born_on"),
            # The retention sweep's erasures due: closed, not yet erased.
            models.Index(
                fields=["erase_due_on"],
                name="child_erasure_due",
                condition=models.Q(closed_on__isnull=False, erased_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"Child {self.pk}"

    @property
    def audit_label(self) -> str:
        # Never a name or a date of birth: the audit trail is kept for ever and read by auditors.
        return f"child {self.pk}"

    def age_on(self, day: date) -> int:
        return rules.age_on(self.born_on, day)

    @property
    def is_closed(self) -> bool:
        return self.closed_on is not None

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None


class NameKind(models.TextChoices):
    LEGAL = "legal", "Legal name"
    PREVIOUS = "previous", "Previous name"
    KNOWN_AS = "known_as", "Known as"


class ChildName(models.Model):
    """One of a child's names: its legal name (exactly one), previous names and names it is known by (WYCPS:
    name and any aliases). Each is searched the same way, through its keys (ChildNameKey)."""

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="names")
    kind = models.CharField(max_length=16, choices=NameKind.choices)
    given = models.CharField(max_length=bounds.NAME, blank=True)
    family = models.CharField(max_length=bounds.NAME, blank=True)
    # sharing.rules.name_exact_key: the words in alphabetical order, for the exact match a shielded child needs.
    exact_key = models.CharField(max_length=rules.EXACT_KEY_MAX)
    recorded_by = models.ForeignKey("agencies.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["child", "kind", "id"]
        constraints = [
            models.UniqueConstraint(fields=["child"], condition=models.Q(kind="legal"), name="child_name_one_legal"),
            models.CheckConstraint(condition=models.Q(kind__in=NameKind.values), name="child_name_kind_known"),
            models.CheckConstraint(condition=~models.Q(given="", family=""), name="child_name_not_empty"),
            models.CheckConstraint(condition=~models.Q(exact_key=""), name="child_name_has_letters"),
        ]
        indexes = [models.Index(fields=["exact_key"], name="child_name_exact")]

    def __str__(self) -> str:
        return f"{self.given} {self.family}".strip()

    @property
    def full_name(self) -> str:
        return str(self)


class ChildNameKey(models.Model):
    """A search key of one name (sharing.rules.name_index_keys): a search is one btree lookup per key of the
    query, whatever the size of the index (no pg_trgm or fuzzystrmatch: STACK-NOTES)."""

    name = models.ForeignKey(ChildName, on_delete=models.CASCADE, related_name="keys")
    # The child and its date of birth, repeated from the child, so a search reads the keys alone before it joins
    # the children, and a search by name and date of birth reads only the keys of children born that day.
    # Kept equal to the child's by the services that change either (sharing.services.children), except the keys
    # of names a merge brought, which keep the merged entry's date of birth (child_merge): the search matches a
    # date of birth given with a name on these keys, so the old name and date of birth still find the child.
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="+")
    born_on = models.DateField()
    key = models.CharField(max_length=rules.NAME_KEY_MAX)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["name", "key"], name="child_name_key_once"),
            models.CheckConstraint(
                condition=models.Q(key__regex=r"^(t|p|i|tt|pp|ti|pi):."), name="child_name_key_kind"
            ),
            db_bounds.date_in_era("child_name_key", "born_on", bounds.EARLIEST_BIRTH_DATE),
        ]
        # The search reads (key[, born_on] -> name, child) from the index alone.
        indexes = [models.Index(fields=["key", "born_on", "name", "child"], name="child_name_key_lookup")]

    def __str__(self) -> str:
        return self.key


class ChildAddress(models.Model):
    """One address of a child, with the dates it applied (address history: WYCPS). At most one is current."""

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="addresses")
    address = models.TextField(max_length=bounds.ADDRESS)
    # sharing.rules.postcode_normalised; empty when the address has none (abroad, no fixed abode).
    postcode = models.CharField(max_length=10, blank=True)
    from_on = models.DateField()
    to_on = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey("agencies.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["child", "-from_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["child"], condition=models.Q(to_on__isnull=True), name="child_address_one_current"
            ),
            models.CheckConstraint(
                condition=models.Q(to_on__isnull=True) | models.Q(to_on__gte=models.F("from_on")),
                name="child_address_period_ordered",
            ),
            models.CheckConstraint(condition=~models.Q(address=""), name="child_address_not_empty"),
            models.CheckConstraint(
                condition=models.Q(postcode="") | models.Q(postcode__regex=r"^[A-Z0-9]{2,4} [A-Z0-9]{1,4}$"),
                name="child_address_postcode_normalised",
            ),
            db_bounds.text_length("child_address", "address", bounds.ADDRESS),
            db_bounds.date_in_era("child_address", "from_on", bounds.EARLIEST_BIRTH_DATE),
            db_bounds.date_in_era("child_address", "to_on", bounds.EARLIEST_BIRTH_DATE),
        ]
        indexes = [
            models.Index(fields=["postcode", "child"], name="child_address_postcode", condition=~models.Q(postcode=""))
        ]

    def __str__(self) -> str:
        return self.postcode or "address"

    @property
    def is_current(self) -> bool:
        return self.to_on is None


class ChildMerge(models.Model):
    """Two entries found to be the same child, merged by a partnership admin: `merged`'s names, addresses,
    involvements and entries now belong to `kept`, `moved` lists exactly which rows moved (so the merge can be
    read back and, if need be, undone by hand), and `merged` stays as a row pointing at `kept`."""

    kept = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="merges_kept")
    merged = models.OneToOneField(Child, on_delete=models.PROTECT, related_name="merge")
    reason = models.TextField(max_length=bounds.REASON)
    moved = models.JSONField(default=dict)
    merged_by = models.ForeignKey("agencies.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    merged_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~models.Q(kept=models.F("merged")), name="child_merge_two_children"),
            models.CheckConstraint(condition=~models.Q(reason=""), name="child_merge_has_reason"),
            db_bounds.text_length("child_merge", "reason", bounds.REASON),
        ]

    def __str__(self) -> str:
        return f"child {self.merged_id} merged into child {self.kept_id}"

    @property
    def audit_label(self) -> str:
        return str(self)


class ChildReopening(models.Model):
    """A closed record reopened by a partnership admin (sharing.services.retention.child_reopen), with the reason
    given. The reason is free text (who rang, where the child lives): it lives only here, where the erasure
    reaches it (child_erase replaces it), never in the audit trail or a notice (Southampton 6: "deleted beyond
    recovery"; break11e findings 1, 2). Each reopening is its own row, so each is told and audited."""

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="reopenings")
    reopened_on = models.DateField()
    reason = models.TextField(max_length=bounds.REASON)
    reopened_by = models.ForeignKey("agencies.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reopened_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~models.Q(reason=""), name="child_reopening_has_reason"),
            db_bounds.text_length("child_reopening", "reason", bounds.REASON),
            db_bounds.date_in_era("child_reopening", "reopened_on"),
        ]

    def __str__(self) -> str:
        return f"reopening {self.pk} of child {self.child_id}"

    @property
    def audit_label(self) -> str:
        return str(self)


class ChildNameCorrection(models.Model):
    """A correction of a child's legal name (sharing.services.children.child_update, a mistake put right), with
    the reason given. The reason is free text (the name misspelt, who noticed): it lives only here, where the
    erasure reaches it (child_erase replaces it), never in the audit trail (child.update records its length:
    break11h finding 8) or a notice (Southampton 6: "deleted beyond recovery"), as ChildReopening keeps a
    reopening's. The names themselves are not kept here: the corrected name is the legal name."""

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="name_corrections")
    reason = models.TextField(max_length=bounds.REASON)
    corrected_by = models.ForeignKey("agencies.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    corrected_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~models.Q(reason=""), name="child_name_correction_has_reason"),
            db_bounds.text_length("child_name_correction", "reason", bounds.REASON),
        ]

    def __str__(self) -> str:
        return f"name correction {self.pk} of child {self.child_id}"

    @property
    def audit_label(self) -> str:
        return str(self)


class ShieldedAccess(models.Model):
    """Someone reached a shielded child today: the shielding agency is told once per person per day, however
    many searches and page views (the unique key makes the notice idempotent)."""

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey("agencies.User", on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    on_date = models.DateField()
    first_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["child", "user", "on_date"], name="shielded_access_once_a_day"),
            db_bounds.date_in_era("shielded_access", "on_date"),
        ]

    def __str__(self) -> str:
        return f"user {self.user_id} reached child {self.child_id} on {self.on_date}"
