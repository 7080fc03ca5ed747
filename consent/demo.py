"""Demo consents for `manage.py seed_demo`, recorded through consent.services by the practitioners of agencies
involved with each child, so the rules, the policy and the audit trail apply as they do on the pages.

The decisions a visitor should meet: consents given (by a parent, by a young person), refused, withdrawn and due
for review; a 14-year-old assessed Fraser-competent who refused while their mother had agreed (the child's
refusal prevails, and the summary says why); implied consent after the fair-processing notice; a consent with its
signed form; and the young person about to leave the protocol's age scope (sharing.demo makes them) with their
own consent. "Consent not sought" is recorded per information request, which the sharing issue's requests will
bring: it has no demo here yet.

This app comes before sharing in INSTALLED_APPS, so seed_demo's pass over it finds no child yet; sharing.demo
calls `seed` again once the children exist. Nothing is written when any consent is already there.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from agencies.demo import demo_pdf
from agencies.models import User
from consent import rules
from consent.models import ConsentRecord
from consent.services import consent_record, consent_review_record, consent_withdraw
from isp_portal.demo_context import DemoContext
from protocols.models import Signature
from sharing.models import Child, ChildName, Involvement, NameKind
from sharing.policy import index_agencies
from sharing.services.children import protocol_version_for

# Who records consents for each agency (agencies.demo.PEOPLE keys): people who work with children there.
RECORDERS = {
    "council": "practitioner",
    "police": "police_officer",
    "trust": "health_visitor",
    "riverside": "school_dsl",
    "yot": "yot_worker",
}
# The young person sharing.demo makes just before they leave the protocol's age scope.
LEAVING = ("Rowan", "Ashdown")
ASSESSOR = "Priya Nair, social worker"


class _Seeder:
    def __init__(self, demo: DemoContext) -> None:
        self.today = timezone.localdate()
        agencies = demo.objects["agencies"]
        people: dict[str, User] = demo.objects["people"]
        # agency id -> the person who records for it (only people who may use the index for it now).
        self.recorders: dict[int, User] = {}
        for key, person in RECORDERS.items():
            user = people.get(person)
            if user is not None and key in agencies and agencies[key].pk in index_agencies(user):
                self.recorders[agencies[key].pk] = user
        version = protocol_version_for(agencies["council"])
        self.protocol = version.protocol if version is not None else None
        self.purposes = list(version.permitted_purposes) if version is not None else []
        self.agencies = agencies
        self.used: set[int] = set()
        self.count = 0
        # Children with an open involvement of an agency whose recorder may record, oldest record first.
        rows = (
            Involvement.objects.filter(
                ended_on__isnull=True,
                agency_id__in=list(self.recorders),
                child__merged_into__isnull=True,
                child__closed_on__isnull=True,
                child__is_shielded=False,
            )
            .order_by("child_id", "agency_id")
            .values_list("child_id", "agency_id", "child__born_on")
        )
        self.candidates: dict[int, tuple[int, date]] = {}
        for child_id, agency_id, born_on in rows:
            self.candidates.setdefault(child_id, (agency_id, born_on))

    def pick(self, ages: tuple[int, ...], *, own_on: date | None = None) -> tuple[Child, User] | None:
        """A child of one of `ages` today (in that order of preference) not used yet, with its recorder; for a
        young person's own decision obtained on `own_on`, one who was 16 or over on that day."""
        for age in ages:
            for child_id, (agency_id, born_on) in self.candidates.items():
                if child_id in self.used or rules.age_on(born_on, self.today) != age:
                    continue
                if own_on is not None and not rules.presumed_competent(rules.age_on(born_on, own_on)):
                    continue
                self.used.add(child_id)
                return Child.objects.get(pk=child_id), self.recorders[agency_id]
        return None

    def record(self, child: Child, actor: User, **values: Any) -> ConsentRecord:
        assert self.protocol is not None
        values.setdefault("given_by", "child")
        values.setdefault("form", "explicit_written")
        values.setdefault("decision", "given")
        values.setdefault("purposes", self.purposes[:2])
        values.setdefault("tiers", ["minimum", "sensitive"])
        if not values.get("recipients"):
            values["all_signatories"] = True
        self.count += 1
        return consent_record(actor=actor, child=child, protocol=self.protocol, **values)

    def days_ago(self, days: int) -> date:
        return self.today - timedelta(days=days)


def _mother(name: str) -> dict[str, Any]:
    return {"given_by": "parent", "parent_name": name, "parent_relationship": "Mother"}


def _scenarios(seeder: _Seeder) -> list[Callable[[], None]]:
    s = seeder

    def fraser_refusal_over_mother() -> None:
        # Barnet: a competent child's refusal is the one to consider even if the parent disagrees.
        picked = s.pick((14, 13, 15))
        if picked is None:
            return
        child, actor = picked
        s.record(
            child,
            actor,
            **_mother("Grace Demo-Parent"),
            obtained_on=s.days_ago(60),
            notice_given_on=s.days_ago(60),
            evidence=io.BytesIO(demo_pdf()),
            evidence_name="Signed consent form.pdf",
        )
        s.record(
            child,
            actor,
            decision="refused",
            form="explicit_verbal",
            competence="competent",
            assessed_on=s.days_ago(20),
            assessor_name=ASSESSOR,
            obtained_on=s.days_ago(20),
            note="Understood what would be shared and why; does not want the police told about the family.",
        )

    def parent_consents_for_an_11_year_old() -> None:
        picked = s.pick((11, 10, 9))
        if picked is None:
            return
        child, actor = picked
        signed = set(
            Signature.objects.filter(
                protocol=s.protocol,
                version_id=s.protocol.current_version_id if s.protocol else None,
                withdrawn_at__isnull=True,
            ).values_list("agency_id", flat=True)
        )
        recipients = [
            s.agencies[key] for key in ("police", "trust") if key in s.agencies and s.agencies[key].pk in signed
        ]
        if not recipients:
            return
        s.record(
            child,
            actor,
            given_by="parent",
            parent_name="Daniel Demo-Parent",
            parent_relationship="Father",
            parents_separated=True,
            is_resident_parent=True,
            obtained_on=s.days_ago(100),
            notice_given_on=s.days_ago(100),
            tiers=["minimum"],
            recipients=recipients,
            all_signatories=False,
        )

    def parent_refuses() -> None:
        picked = s.pick((6, 5, 7))
        if picked is None:
            return
        child, actor = picked
        s.record(
            child,
            actor,
            **_mother("Hannah Demo-Parent"),
            decision="refused",
            form="explicit_verbal",
            obtained_on=s.days_ago(45),
        )

    def young_person_withdraws() -> None:
        picked = s.pick((16, 17), own_on=s.days_ago(200))
        if picked is None:
            return
        child, actor = picked
        given = s.record(child, actor, obtained_on=s.days_ago(200), notice_given_on=s.days_ago(200))
        consent_withdraw(
            actor=actor,
            consent=given,
            withdrawn_on=s.days_ago(10),
            reason="Told the school nurse they no longer agree to their health information being shared.",
        )

    def implied_consent_due_for_review() -> None:
        # Obtained 13 months ago: the default review (a year on) is due.
        picked = s.pick((17, 16), own_on=s.days_ago(400))
        if picked is None:
            return
        child, actor = picked
        s.record(child, actor, form="implied", notice_given_on=s.days_ago(400), obtained_on=s.days_ago(400))

    def reviewed_and_due_again() -> None:
        picked = s.pick((13, 12, 14))
        if picked is None:
            return
        child, actor = picked
        made = s.record(
            child,
            actor,
            competence="competent",
            assessed_on=s.days_ago(380),
            assessor_name=ASSESSOR,
            obtained_on=s.days_ago(380),
            tiers=["minimum"],
        )
        consent_review_record(
            actor=actor,
            consent=made,
            reviewed_on=s.days_ago(200),
            note="Still agreed; talked it through again after the move to secondary school.",
            next_review_on=s.days_ago(5),
        )

    def leaving_the_age_scope() -> None:
        name = ChildName.objects.filter(given=LEAVING[0], family=LEAVING[1], kind=NameKind.LEGAL).first()
        if name is None or name.child_id not in s.candidates:
            return
        agency_id, _born = s.candidates[name.child_id]
        s.used.add(name.child_id)
        s.record(name.child, s.recorders[agency_id], obtained_on=s.days_ago(90), notice_given_on=s.days_ago(90))

    return [
        fraser_refusal_over_mother,
        parent_consents_for_an_11_year_old,
        parent_refuses,
        young_person_withdraws,
        implied_consent_due_for_review,
        reviewed_and_due_again,
        leaving_the_age_scope,
    ]


def seed(demo: DemoContext) -> None:
    if ConsentRecord.objects.exists():
        demo.summary["consent"] = "already there"
        return
    if not Child.objects.exists():
        demo.summary["consent"] = "recorded with the children"
        return
    seeder = _Seeder(demo)
    if seeder.protocol is None or not seeder.recorders:
        demo.summary["consent"] = "no protocol in force or nobody to record: none"
        return
    for scenario in _scenarios(seeder):
        scenario()
    demo.summary["consent"] = f"{seeder.count} consent decisions"
