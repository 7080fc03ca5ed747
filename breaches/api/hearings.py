"""The partners' meeting about a breach through the API (issue 14; Haringey 6.3-6.6): the hearing as the caller may
see it, and one POST for each step. Thin: reads from breaches.hearing_selectors, writes through
breaches.services.hearings, decisions from breaches.hearing_policy.

Out of scope is a 404 (a breach the caller may not see); in scope but refused a 403 naming the rule: the agency in
breach asking for the deliberation while it is withdrawn, anyone but a partnership admin recording a step. Bad
input, or a step at the wrong stage, is a 400 naming the field (`stage` for the stage). API tokens take no part."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model
from django.urls import URLPattern, path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.models import Agency, SanctionDirection, User
from breaches.hearing_selectors import (
    HearingPage,
    breach_for_hearing,
    deliberation_page,
    draft_sanction,
    hearing_page,
)
from breaches.models import Hearing, HearingStage, SanctionKind, VoteChoice
from breaches.services import hearings as services
from disclosures.api.serializers import _text
from isp_portal import bounds, policy
from isp_portal.api import ScopedPrimaryKeyField, parse_input
from isp_portal.api_input import EraDateField
from protocols.models import Meeting

STEP_NAMES = ["schedule", "present", "withdraw", "notes", "sanctions", "votes", "decide", "tell", "minutes"]


class HearingMeetingOut(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    held_on = serializers.DateField()


class HearingSanctionOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=SanctionKind.choices)
    direction = serializers.CharField(help_text="send, receive or both for a suspension; empty otherwise")
    from_on = serializers.DateField(allow_null=True)
    until_on = serializers.DateField(allow_null=True, help_text="The day it is lifted; null: open-ended")
    reason = serializers.CharField()
    users = serializers.ListField(child=serializers.IntegerField(), help_text="Retraining: the people named")
    imposed_at = serializers.DateTimeField(allow_null=True)
    agency_sanction = serializers.IntegerField(allow_null=True, help_text="The suspension enforcing it")


class HearingVoteOut(serializers.Serializer):
    agency = serializers.IntegerField()
    choice = serializers.ChoiceField(choices=VoteChoice.choices)
    cast_at = serializers.DateTimeField()


class HearingOut(serializers.Serializer):
    breach = serializers.IntegerField()
    reference = serializers.CharField()
    scheduled = serializers.BooleanField(help_text="Whether the breach is on a meeting's agenda")
    stage = serializers.ChoiceField(choices=HearingStage.choices, allow_null=True)
    meeting = HearingMeetingOut(allow_null=True)
    presented_at = serializers.DateTimeField(allow_null=True)
    withdrew_at = serializers.DateTimeField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    decision = serializers.CharField(help_text="Empty until recorded")
    told_at = serializers.DateTimeField(allow_null=True, help_text="When the agency in breach was told")
    told_by = serializers.IntegerField(allow_null=True)
    withdrawn = serializers.BooleanField(help_text="The caller's agency is in breach and withdrawn: nothing more")
    deliberation_visible = serializers.BooleanField()
    deliberation_notes = serializers.CharField(allow_null=True, help_text="Null when not shown to the caller")
    sanctions = HearingSanctionOut(many=True, help_text="Drafts during deliberation; imposed once decided")
    votes = HearingVoteOut(many=True)
    steps = serializers.ListField(child=serializers.ChoiceField(choices=STEP_NAMES))


def hearing_out(page: HearingPage, *, with_notes: bool = False) -> dict[str, Any]:
    hearing = page.hearing
    steps = ["sanctions" if s == "sanction" else "votes" if s == "vote" else s for s in page.steps]
    if page.can_vote and "votes" not in steps:
        steps.append("votes")
    if hearing is None:
        return {
            "breach": page.breach.pk, "reference": page.breach.reference, "scheduled": False, "stage": None,
            "meeting": None, "presented_at": None, "withdrew_at": None, "decided_at": None, "decision": "",
            "told_at": None, "told_by": None, "withdrawn": False, "deliberation_visible": False,
            "deliberation_notes": None, "sanctions": [], "votes": [],
            "steps": ["schedule"] if page.can_schedule else [],
        }  # fmt: skip
    visible = page.deliberation_refused is None
    return {
        "breach": page.breach.pk, "reference": page.breach.reference, "scheduled": True, "stage": hearing.stage,
        "meeting": {"id": hearing.meeting_id, "title": hearing.meeting.title, "held_on": hearing.meeting.held_on},
        "presented_at": hearing.presented_at, "withdrew_at": hearing.withdrew_at, "decided_at": hearing.decided_at,
        "decision": hearing.decision, "told_at": hearing.told_at, "told_by": hearing.told_by_id,
        "withdrawn": page.withdrawn, "deliberation_visible": visible,
        "deliberation_notes": hearing.deliberation_notes if visible and with_notes else None,
        "sanctions": [
            {"id": s.pk, "kind": s.kind, "direction": s.direction, "from_on": s.from_on, "until_on": s.until_on,
             "reason": s.reason, "users": sorted(u.pk for u in s.users.all()), "imposed_at": s.imposed_at,
             "agency_sanction": s.agency_sanction_id}
            for s in page.sanctions
        ],
        "votes": [{"agency": v.agency_id, "choice": v.choice, "cast_at": v.cast_at} for v in page.votes],
        "steps": steps,
    }  # fmt: skip


class HearingScheduleIn(serializers.Serializer):
    meeting = ScopedPrimaryKeyField(Meeting, required=False, allow_null=True, default=None,
                                    help_text="A meeting already arranged")  # fmt: skip
    held_on = EraDateField(required=False, allow_null=True, default=None, help_text="Or the date of a new meeting")
    title = _text("Title of a new meeting", max_length=200)
    location = _text("Location of a new meeting", max_length=200)


class HearingNothingIn(serializers.Serializer):
    """A step whose POST carries nothing: the step itself is what is recorded."""


class HearingNotesIn(serializers.Serializer):
    notes = _text("The deliberation notes (replacing the last saved)", required=True, max_length=bounds.LONG_TEXT)


class HearingSanctionIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=SanctionKind.choices)
    reason = _text("Why the partners agree it", required=True)
    direction = serializers.ChoiceField(choices=["", *SanctionDirection.values], required=False, default="",
                                        help_text="For a suspension: send, receive or both")  # fmt: skip
    from_on = EraDateField(required=False, allow_null=True, default=None, help_text="For a suspension: first day")
    until_on = EraDateField(required=False, allow_null=True, default=None,
                            help_text="For a suspension: the day it is lifted (after from_on)")  # fmt: skip
    users = serializers.ListField(
        child=ScopedPrimaryKeyField(User), required=False, default=list, max_length=100,
        help_text="For retraining: people of the agency in breach",
    )  # fmt: skip


class HearingVoteIn(serializers.Serializer):
    agency = ScopedPrimaryKeyField(Agency, help_text="The partner agency voting")
    choice = serializers.ChoiceField(choices=VoteChoice.choices)


class HearingDecideIn(serializers.Serializer):
    decision = _text("What the partners agreed", required=True, max_length=bounds.LONG_TEXT)


class HearingMinutesIn(serializers.Serializer):
    minutes = _text("The minutes, unless already recorded on the meeting", max_length=bounds.LONG_TEXT)


class HearingView(APIView):
    """The partners' meeting about a breach, as the caller may see it."""

    policy_model = Hearing

    @extend_schema(
        summary="A breach's hearing",
        description="Stage, meeting and times for whoever may see the breach. The agency in breach, while withdrawn "
        "(`withdrawn`), sees no sanctions or votes; after the decision it sees the decision, the sanctions and the "
        "votes, never the deliberation notes. `?notes=1` adds the notes for those who may see the deliberation "
        "(403 naming the rule for anyone else, audited).",
        responses={200: HearingOut},
    )
    def get(self, request: Request, pk: int) -> Response:
        if request.query_params.get("notes") == "1":
            return Response(hearing_out(deliberation_page(request.user, pk), with_notes=True))
        return Response(hearing_out(hearing_page(request.user, pk)))


class HearingSanctionView(APIView):
    """One sanction of a breach's hearing: removing a draft."""

    policy_model = Hearing
    # As the steps: a token's scopes are asked before anything is read (breaches.hearing_policy: people only).
    checked_on_parent: ClassVar[dict[str | None, tuple[type[Model], str]]] = {None: (Hearing, "run")}

    @extend_schema(
        summary="Remove a draft sanction",
        description="In deliberation, before the decision imposes it (the protocol, section 6.6). Partnership "
        "admins running the meeting (403 naming the rule for anyone else who may see the breach). 400 on "
        "`stage` outside deliberation, on `sanction` once imposed; 404 a breach or sanction out of scope. "
        "Audited. Answers the hearing as it now stands.",
        request=None,
        responses={200: HearingOut},
    )
    def delete(self, request: Request, pk: int, sanction: int) -> Response:
        breach, _, draft = draft_sanction(request.user, pk, sanction)
        services.hearing_sanction_remove(actor=request.user, breach=breach, sanction=draft)
        return Response(hearing_out(hearing_page(request.user, pk)))


class _StepView(APIView):
    policy_model = Hearing
    checked_on_parent: ClassVar[dict[str | None, tuple[type[Model], str]]] = {None: (Hearing, "run")}
    shape: ClassVar[type[serializers.Serializer]] = HearingNothingIn
    step: ClassVar[str] = ""
    # The service the step calls with (user, breach, values): set for each step by _step.
    perform: ClassVar[Callable[[Any, Any, dict[str, Any]], Any]]

    def post(self, request: Request, pk: int) -> Response:
        breach = breach_for_hearing(request.user, pk)
        # Who may is asked before the body is read, so a refusal names the rule rather than a field.
        if self.step == "schedule":
            policy.require(request.user, "schedule_hearing", breach)
        else:
            hearing = policy.restrict(request.user, "view", Hearing).filter(breach_id=breach.pk).first()
            if hearing is None:
                raise DjangoValidationError({"stage": "This breach is not on a meeting's agenda yet."})
            hearing.breach = breach
            policy.require(request.user, "vote" if self.step == "votes" else "run", hearing)
        values = parse_input(self.shape, request.data, request)
        type(self).perform(request.user, breach, values)
        code = status.HTTP_201_CREATED if self.step == "schedule" else status.HTTP_200_OK
        return Response(hearing_out(hearing_page(request.user, pk)), status=code)


def _step(name: str, shape: type[serializers.Serializer], summary: str, description: str, run: Any) -> type[APIView]:
    # The errors (400 naming the field, `stage` at the wrong stage; 403 naming the rule; 404 a breach out of
    # scope) are documented in the Error shape by the schema's hook, as for every operation.
    responses = {201 if name == "schedule" else 200: HearingOut}

    @extend_schema(summary=summary, description=description, request=shape, responses=responses)
    def post(self: _StepView, request: Request, pk: int) -> Response:
        return _StepView.post(self, request, pk)

    return type(
        f"Hearing{name.title()}View",
        (_StepView,),
        {"shape": shape, "step": name, "perform": staticmethod(run),
         "post": post, "__doc__": summary},
    )  # fmt: skip


STEP_VIEWS: dict[str, type[APIView]] = {
    "schedule": _step("schedule", HearingScheduleIn, "Put the breach on a meeting's agenda",
        "A meeting (`meeting`) or a new one on `held_on`; refused when dated before the breach occurred. "
        "Partnership admins.",
        lambda u, b, v: services.hearing_schedule(actor=u, breach=b, **v)),
    "present": _step("present", HearingNothingIn, "The agency in breach has presented its report",
        "Stage scheduled to presented: the meeting is held (the partners' meeting step done; the minutes due 5 "
        "working days after the meeting).", lambda u, b, v: services.hearing_present(actor=u, breach=b)),
    "withdraw": _step("withdraw", HearingNothingIn, "The agency in breach withdraws",
        "Stage presented to deliberating: recusal starts.",
        lambda u, b, v: services.hearing_withdraw(actor=u, breach=b)),
    "notes": _step("notes", HearingNotesIn, "Record the deliberation notes", "In deliberation.",
        lambda u, b, v: services.hearing_notes_record(actor=u, breach=b, **v)),
    "sanctions": _step("sanctions", HearingSanctionIn, "Draft a sanction",
        "In deliberation. A suspension needs `direction` and `from_on` (not before today); `until_on` after it.",
        lambda u, b, v: services.hearing_sanction_draft(actor=u, breach=b, **v)),
    "votes": _step("votes", HearingVoteIn, "Record a partner agency's vote",
        "In deliberation; once per agency; never the agency in breach. A partnership admin, or one who speaks for "
        "the agency.", lambda u, b, v: services.hearing_vote_cast(actor=u, breach=b, **v)),
    "decide": _step("decide", HearingDecideIn, "Record the decision",
        "Stage deliberating to decided: recusal ends; every drafted sanction is imposed.",
        lambda u, b, v: services.hearing_decide(actor=u, breach=b, **v)),
    "tell": _step("tell", HearingNothingIn, "The agency in breach is recalled and told",
        "Stage decided to told: the time is recorded; its speakers are notified.",
        lambda u, b, v: services.hearing_tell(actor=u, breach=b)),
    "minutes": _step("minutes", HearingMinutesIn, "Circulate the minutes",
        "After the decision: completes the minutes step (the protocol, section 6.6).",
        lambda u, b, v: services.hearing_minutes_circulate(actor=u, breach=b, **v)),
}  # fmt: skip


urlpatterns: list[URLPattern] = [
    path("breaches/<int:pk>/hearing/", HearingView.as_view(), name="api-breach-hearing"),
    path(
        "breaches/<int:pk>/hearing/sanctions/<int:sanction>/",
        HearingSanctionView.as_view(),
        name="api-breach-hearing-sanction",
    ),
    *(
        path(f"breaches/<int:pk>/hearing/{name}/", view.as_view(), name=f"api-breach-hearing-{name}")
        for name, view in STEP_VIEWS.items()
    ),
]
