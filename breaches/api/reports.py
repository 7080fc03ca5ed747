"""Breaches and their steps through the API (issue 14; Haringey 6.1-6.2; UK GDPR art. 33): serializers and views in
one file. Thin: the rules are in breaches.rules and breaches.policy, the writes in breaches.services.breaches, the
reads in breaches.selectors.

Out of scope is a 404 (a breach the caller may not see); in scope but not the caller's step a 403 naming the rule;
bad input, and a step completed already, a 400 naming the field or the rule. A completion once recorded cannot be
changed: there is no endpoint for it, and the database's trigger refuses it. API tokens do none of this (a breach
and its procedure are people's decisions: breaches.policy)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import URLPattern
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from agencies.models import Agency
from breaches import rules, selectors
from breaches.models import Breach, Obligation, ObligationKind, ObligationState
from breaches.services import breaches as services
from disclosures.api.serializers import _text
from isp_portal import bounds, policy
from isp_portal.api import PolicyViewMixin, ScopedPrimaryKeyField, errors_named, parse_input
from isp_portal.api_input import EraDateField
from protocols.models import Protocol

KINDS = [kind.value for kind in ObligationKind]
STATES = [state.value for state in ObligationState]
STEPS = list(selectors.STEPS)
# The children one report may name (the form offers those found in the index in the last half hour).
MOST_CHILDREN = 50


class ChildField(ScopedPrimaryKeyField):
    """A child the caller may see in the index (sharing's ChildPolicy): any other id reads as not existing."""

    def __init__(self, **kwargs: Any) -> None:
        from sharing.models import Child

        super().__init__(Child, **kwargs)


class ProtocolField(ScopedPrimaryKeyField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(Protocol, **kwargs)


class AgencyField(ScopedPrimaryKeyField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(Agency, **kwargs)


class BreachIn(serializers.Serializer):
    protocol = ProtocolField(help_text="The protocol breached: one the reporter's agency signed")
    alleged_agency = AgencyField(help_text="The agency alleged to be in breach: one that signed the protocol")
    occurred_on = EraDateField(help_text="When the breach occurred (not in the future)")
    identified_on = EraDateField(help_text="When it was identified (on or after it occurred; not in the future)")
    description = _text("What happened", required=True, max_length=bounds.LONG_TEXT)
    children = serializers.ListField(
        child=ChildField(), required=False, default=list, max_length=MOST_CHILDREN,
        help_text="The children affected: ids of children you may see in the index",
    )  # fmt: skip
    is_personal_data_breach = serializers.BooleanField(
        required=False, default=False,
        help_text="A personal-data breach likely to result in a risk to people's rights and freedoms (UK GDPR art. 33)",
    )  # fmt: skip
    aware_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None,
        help_text="When the reporter's agency became aware of it (with its offset; London time if none): required for "
        "a personal-data breach; the ICO's 72 hours run from here",
    )  # fmt: skip


class NotifyIn(serializers.Serializer):
    note = _text("Anything the partners should know")


class BreachReportIn(serializers.Serializer):
    report = _text("The report of the breach and the actions taken (the protocol, section 6.2)", required=True,
                   max_length=bounds.LONG_TEXT)  # fmt: skip


class IcoDecisionIn(serializers.Serializer):
    reportable = serializers.BooleanField(help_text="Whether the breach must be reported to the ICO")
    reason = _text("Why: the facts, the likely effects, the risk to people (UK GDPR art. 33(5))", required=True)


class IcoNotificationIn(serializers.Serializer):
    notified_at = serializers.DateTimeField(help_text="When the ICO was told (not in the future)")
    reference = serializers.CharField(max_length=64, allow_blank=True, default="", help_text="The ICO's reference")
    delay_reason = _text("The reasons for the delay: required after 72 hours (UK GDPR art. 33(1))")


class ObligationOut(serializers.Serializer):
    kind = serializers.ChoiceField(choices=KINDS)
    title = serializers.CharField(help_text="The step, in words")
    anchor = serializers.CharField(help_text="What the clock runs from, in words")
    anchor_at = serializers.DateTimeField()
    due_on = serializers.DateField(help_text="The day it falls due (London)")
    due_at = serializers.DateTimeField(help_text="The moment it passes: the end of the due day, or the ICO's 72 hours")
    state = serializers.ChoiceField(
        choices=STATES, help_text="open; overdue (not done and past its due time); done (its completion frozen)"
    )
    responsible_agency = serializers.IntegerField(allow_null=True, help_text="None: the partnership admins")
    completed_at = serializers.DateTimeField(allow_null=True)
    completed_by = serializers.IntegerField(allow_null=True)
    late_seconds = serializers.IntegerField(
        allow_null=True, help_text="How late: frozen at its completion; so far, when open past due; None when on time"
    )
    late = serializers.CharField(help_text="How late in words ('On time', '2 days 3 hours late'), or empty")


def obligation_out(row: selectors.ObligationRow) -> dict[str, Any]:
    obligation = row.obligation
    return {
        "kind": row.kind, "title": row.label, "anchor": row.anchor, "anchor_at": row.anchor_at,
        "due_on": row.due_on, "due_at": row.due_at, "state": row.state,
        "responsible_agency": obligation.responsible_agency_id, "completed_at": row.completed_at,
        "completed_by": obligation.completed_by_id,
        "late_seconds": int(row.late.total_seconds()) if row.late is not None else None, "late": row.late_words,
    }  # fmt: skip


class BreachOut(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField(help_text="Its number on the central register, BR-000123")
    protocol = serializers.IntegerField()
    alleged_agency = serializers.IntegerField()
    reporting_agency = serializers.IntegerField(allow_null=True)
    reported_by = serializers.IntegerField()
    reported_at = serializers.DateTimeField()
    occurred_on = serializers.DateField()
    identified_on = serializers.DateField()
    is_personal_data_breach = serializers.BooleanField()


def breach_out(breach: Breach) -> dict[str, Any]:
    return {
        "id": breach.pk, "reference": breach.reference, "protocol": breach.protocol_id,
        "alleged_agency": breach.alleged_agency_id, "reporting_agency": breach.reporting_agency_id,
        "reported_by": breach.reported_by_id, "reported_at": breach.reported_at, "occurred_on": breach.occurred_on,
        "identified_on": breach.identified_on, "is_personal_data_breach": breach.is_personal_data_breach,
    }  # fmt: skip


class BreachDetailOut(BreachOut):
    description = serializers.CharField()
    children = serializers.ListField(
        child=serializers.IntegerField(), help_text="The children affected that you may see (sharing's policy)"
    )
    aware_at = serializers.DateTimeField(allow_null=True)
    ico_reportable = serializers.BooleanField(allow_null=True, help_text="None until decided")
    ico_decided_by = serializers.IntegerField(allow_null=True)
    ico_decided_at = serializers.DateTimeField(allow_null=True)
    ico_decision_reason = serializers.CharField()
    ico_notified_at = serializers.DateTimeField(allow_null=True)
    ico_reference = serializers.CharField()
    ico_delay_reason = serializers.CharField()
    report = serializers.CharField()
    report_submitted_by = serializers.IntegerField(allow_null=True)
    report_submitted_at = serializers.DateTimeField(allow_null=True)
    obligations = ObligationOut(many=True)
    actions = serializers.ListField(
        child=serializers.ChoiceField(choices=STEPS), help_text="The steps you may complete now"
    )


def breach_page_out(page: selectors.BreachPage) -> dict[str, Any]:
    breach = page.breach
    return {
        **breach_out(breach),
        "description": breach.description, "children": [child.pk for child in page.children],
        "aware_at": breach.aware_at, "ico_reportable": breach.ico_reportable,
        "ico_decided_by": breach.ico_decided_by_id, "ico_decided_at": breach.ico_decided_at,
        "ico_decision_reason": breach.ico_decision_reason, "ico_notified_at": breach.ico_notified_at,
        "ico_reference": breach.ico_reference, "ico_delay_reason": breach.ico_delay_reason, "report": breach.report,
        "report_submitted_by": breach.report_submitted_by_id, "report_submitted_at": breach.report_submitted_at,
        "obligations": [obligation_out(row) for row in page.rows], "actions": page.actions,
    }  # fmt: skip


def _page(user: Any, pk: Any, code: int = status.HTTP_200_OK) -> Response:
    return Response(breach_page_out(selectors.breach_page(user, pk)), status=code)


STEP_DESCRIPTION = (
    "By those responsible for the step: otherwise 403 naming the rule. A step done already is "
    "refused with 400 (`non_field_errors`): a completion once recorded cannot be changed."
)


class BreachViewSet(PolicyViewMixin, viewsets.GenericViewSet[Breach]):
    """Breaches of protocol: those you may see, reporting one, one breach with its steps, and completing a step."""

    policy_model = Breach
    serializer_class = BreachOut
    lookup_value_regex = "[0-9]+"
    pagination_class = None

    def base_queryset(self) -> QuerySet[Breach]:
        return Breach.objects.all()

    @extend_schema(
        summary="The breaches you may see, newest first",
        description=f"At most {selectors.LIST_SIZE}; the central register filters the rest.",
        responses={200: BreachOut(many=True)},
    )
    def list(self, request: Request) -> Response:
        return Response([breach_out(breach) for breach in selectors.breaches_visible(request.user)])

    @extend_schema(
        summary="Report a breach",
        description="By a practitioner, designated manager or admin of a partner agency (the protocol, section 6). "
        "Refused with 400 on its field: dates in the future or identified before occurred, a protocol the "
        "reporter's agency did not sign, an agency that did not sign it, a child you may not see, a personal-data "
        "breach without `aware_at`. Sets the steps with their due dates and tells the people concerned at once.",
        request=BreachIn,
        responses={201: BreachDetailOut},
    )
    def create(self, request: Request) -> Response:
        values = parse_input(BreachIn, request.data, request)
        breach = services.breach_report(actor=request.user, **values)
        return _page(request.user, breach.pk, status.HTTP_201_CREATED)

    @extend_schema(summary="A breach with its steps", responses={200: BreachDetailOut})
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return _page(request.user, pk)

    @extend_schema(
        summary="A breach's steps, their due dates and completions",
        description="In the procedure's order. `state` is one of: " + ", ".join(STATES) + ".",
        responses={200: ObligationOut(many=True)},
    )
    @action(detail=True, methods=["get"])
    def obligations(self, request: Request, pk: str | None = None) -> Response:
        breach = selectors.breach_found(request.user, pk)
        rows = selectors.obligation_rows(selectors.breach_obligations(breach), timezone.now())
        return Response([obligation_out(row) for row in rows])

    def _complete(self, request: Request, pk: str | None, step: str, shape: type[serializers.Serializer]) -> Any:
        breach = selectors.breach_found(request.user, pk)
        obligation = Obligation.objects.filter(breach=breach, kind=selectors.STEPS[step]).first()
        if obligation is None:
            raise policy.OutOfScope(action="complete", target_type="breaches.obligation", target_id=f"{pk}:{step}")
        obligation.breach = breach
        policy.require(request.user, "complete", obligation)
        return breach, parse_input(shape, request.data, request)

    @extend_schema(
        summary="Notify the partner agencies (the protocol, section 6.1)", description=STEP_DESCRIPTION,
        request=NotifyIn, responses={200: BreachDetailOut},
    )  # fmt: skip
    @action(detail=True, methods=["post"], url_path="notify-partners", url_name="notify-partners")
    def notify_partners(self, request: Request, pk: str | None = None) -> Response:
        breach, values = self._complete(request, pk, "notify-partners", NotifyIn)
        services.breach_partners_notify(actor=request.user, breach=breach, **values)
        return _page(request.user, breach.pk)

    @extend_schema(
        summary="Submit the breach report with the actions taken (the protocol, section 6.2)",
        description=STEP_DESCRIPTION, request=BreachReportIn, responses={200: BreachDetailOut},
    )  # fmt: skip
    @action(detail=True, methods=["post"], url_path="report", url_name="report")
    def report(self, request: Request, pk: str | None = None) -> Response:
        breach, values = self._complete(request, pk, "report", BreachReportIn)
        services.breach_report_submit(actor=request.user, breach=breach, **values)
        return _page(request.user, breach.pk)

    @extend_schema(
        summary="Record whether the ICO must be told (UK GDPR art. 33(1), 33(5))",
        description=STEP_DESCRIPTION + " A personal-data breach only (404 otherwise). When reportable, the step "
        f"`{ObligationKind.ICO_NOTIFIED.value}` opens, due {rules.ICO_HOURS} hours after the agency became aware.",
        request=IcoDecisionIn, responses={200: BreachDetailOut},
    )  # fmt: skip
    @action(detail=True, methods=["post"], url_path="ico-decision", url_name="ico-decision")
    def ico_decision(self, request: Request, pk: str | None = None) -> Response:
        breach, values = self._complete(request, pk, "ico-decision", IcoDecisionIn)
        services.breach_ico_decide(actor=request.user, breach=breach, **values)
        return _page(request.user, breach.pk)

    @extend_schema(
        summary="Record when the ICO was told (UK GDPR art. 33(1))",
        description=STEP_DESCRIPTION + " Only after a decision that it is reportable (404 before). After "
        f"{rules.ICO_HOURS} hours, `delay_reason` is required (400 on it otherwise).",
        request=IcoNotificationIn, responses={200: BreachDetailOut},
    )  # fmt: skip
    @action(detail=True, methods=["post"], url_path="ico-notification", url_name="ico-notification")
    def ico_notification(self, request: Request, pk: str | None = None) -> Response:
        breach, values = self._complete(request, pk, "ico-notification", IcoNotificationIn)
        with errors_named():
            services.breach_ico_notified(actor=request.user, breach=breach, **values)
        return _page(request.user, breach.pk)


router = SimpleRouter()
router.register("breaches", BreachViewSet, basename="api-breach")

urlpatterns: list[URLPattern] = [url for url in router.urls if isinstance(url, URLPattern)]
