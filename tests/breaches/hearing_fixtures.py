"""Breach hearings built through their services, stage by stage (issue 14; Haringey 6.3-6.6)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from agencies.models import Agency, Role, User
from breaches.models import Breach, Hearing, HearingStage
from breaches.services import hearings
from breaches.services.breaches import breach_report
from tests.factories import World, make_user
from tests.protocol_fixtures import protocol_in_force

STAGES = ["scheduled", "presented", "deliberating", "decided", "told"]


def speaker_of(world: World, agency: Agency, key: str) -> User:
    """A designated manager of `agency` (made once per world under `key`): one who speaks for it."""
    if key not in world.users:
        world.users[key] = make_user(name=f"Speaker {key}", agency=agency, roles=[Role.DESIGNATED_MANAGER])
    return world.users[key]


def breach_of(world: World, agency: Agency, *, key: str) -> Breach:
    """A breach of the world's protocol by `agency`, reported by the partnership admin (made once under `key`)."""
    if key not in world.objects:
        today = timezone.localdate()
        world.objects[key] = breach_report(
            actor=world.users["partnership_admin"],
            protocol=protocol_in_force(world),
            alleged_agency=agency,
            occurred_on=today - timedelta(days=6),
            identified_on=today - timedelta(days=2),
            description="A case note was emailed to the wrong school.",
        )
    breach: Breach = world.objects[key]
    return breach


def advance(
    world: World, breach: Breach, to: str, *, sanctions: list[dict[str, Any]] | None = None, votes: bool = True
) -> Hearing:
    """Run `breach`'s hearing (made if need be) up to stage `to` as the world's partnership admin. Drafts
    `sanctions` (a formal warning by default) and a vote of each partner agency during deliberation."""
    admin = world.users["partnership_admin"]
    hearing = Hearing.objects.filter(breach=breach).first()
    if hearing is None:
        hearing = hearings.hearing_schedule(actor=admin, breach=breach, held_on=timezone.localdate())
    for stage in STAGES[STAGES.index(hearing.stage) + 1 : STAGES.index(to) + 1]:
        if stage == HearingStage.PRESENTED:
            hearing = hearings.hearing_present(actor=admin, breach=breach)
        elif stage == HearingStage.DELIBERATING:
            hearing = hearings.hearing_withdraw(actor=admin, breach=breach)
            hearings.hearing_notes_record(actor=admin, breach=breach, notes="The partners think it was careless.")
            for values in sanctions if sanctions is not None else [{"kind": "formal_warning"}]:
                values = {"reason": "The breach was serious.", **values}
                hearings.hearing_sanction_draft(actor=admin, breach=breach, **values)
            for agency in (world.home, world.other) if votes else ():
                if agency.pk != breach.alleged_agency_id:
                    hearings.hearing_vote_cast(actor=admin, breach=breach, agency=agency, choice="for")
        elif stage == HearingStage.DECIDED:
            hearing = hearings.hearing_decide(actor=admin, breach=breach, decision="A formal warning is given.")
        elif stage == HearingStage.TOLD:
            hearing = hearings.hearing_tell(actor=admin, breach=breach)
    return Hearing.objects.get(pk=hearing.pk)
