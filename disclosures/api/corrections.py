"""Corrections, correction notices and inaccuracy reports through the API (issue 13; Southampton 9;
docs/after-disclosure-design.md 8). Thin: the rules are in disclosures.correction_policy and disclosures.rules, the
writes in disclosures.services.corrections, the reads in disclosures.correction_selectors.

No route issues a correction: correcting an entry (the entry's revisions route) does, whatever path corrected it.
Who may do what is the policy's: another agency's notice is a 404, an acknowledgement by someone in scope but not
allowed a 403 naming the rule, a second acknowledgement a 409 naming the first. API tokens reach none of these
(design Q15: acknowledgements and decisions are people's)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from disclosures import correction_selectors as selectors
from disclosures.api.views import CONFLICT, _as_conflict
from disclosures.correction_policy import acknowledged_refusal, reads_notice_content, reads_report_content
from disclosures.models import Correction, CorrectionNotice, Disclosure, InaccuracyReport, InaccuracyState
from disclosures.services import corrections as services
from isp_portal import bounds, policy
from isp_portal.api import PolicyViewMixin, ScopedPrimaryKeyField, parse_input
from sharing.api.entries import RevisionIn
from sharing.api.purpose import field_errors
from sharing.models import RecordEntry


def _text(help_text: str, *, required: bool = True) -> serializers.CharField:
    if required:
        return serializers.CharField(max_length=bounds.REASON, help_text=help_text)
    return serializers.CharField(max_length=bounds.REASON, allow_blank=True, default="", help_text=help_text)


# --- Shapes -------------------------------------------------------------------------------------------------------


class _ContentFor(serializers.Serializer):
    """A shape whose free text (CONTENT) is emptied for a reader of its metadata only (an auditor: the policy's
    `reads`, given the reader in the context as "reader"; break13e F13). Without a reader, as for the schema."""

    CONTENT: tuple[str, ...] = ()

    @staticmethod
    def reads(user: Any, obj: Any) -> bool:
        return True

    def to_representation(self, instance: Any) -> Any:
        data = super().to_representation(instance)
        reader = self.context.get("reader")
        if reader is not None and not self.reads(reader, instance):
            for name in self.CONTENT:
                data[name] = ""
        return data


class NoticeOut(_ContentFor):
    CONTENT = ("action_taken",)

    @staticmethod
    def reads(user: Any, obj: Any) -> bool:
        return reads_notice_content(user, obj)

    id = serializers.IntegerField()
    correction = serializers.IntegerField(source="correction_id")
    entry = serializers.IntegerField(source="entry_id")
    originator_agency = serializers.CharField(source="correction.originator_agency.name")
    agency = serializers.IntegerField(source="agency_id")
    agency_name = serializers.CharField(source="agency.name")
    via_disclosure = serializers.IntegerField(source="via_disclosure_id")
    received_revision = serializers.IntegerField(source="received_revision.number")
    corrected_revision = serializers.IntegerField(source="correction.revision.number")
    summary = serializers.CharField(source="correction.summary")
    ack_due_on = serializers.DateField()
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    acknowledged_by = serializers.CharField(source="acknowledged_by.full_name", allow_null=True, default=None)
    action_taken = serializers.CharField()


# A list action's answer is this one object (its list inside), not an array of them.
@extend_schema_serializer(many=False)
class NoticesOut(serializers.Serializer):
    notices = NoticeOut(many=True)


class NoticesQuery(serializers.Serializer):
    pending = serializers.BooleanField(
        required=False, allow_null=True, default=True, help_text="true (default): to acknowledge; false: acknowledged"
    )


class AcknowledgeIn(serializers.Serializer):
    action_taken = _text("What your agency did about the correction (for example, updated the case record)")


class CorrectionOut(serializers.Serializer):
    id = serializers.IntegerField()
    entry = serializers.IntegerField(source="entry_id")
    revision = serializers.IntegerField(source="revision.number")
    originator_agency = serializers.CharField(source="originator_agency.name")
    issued_at = serializers.DateTimeField()
    summary = serializers.CharField()
    ack_due_on = serializers.DateField()


class CorrectionRowOut(CorrectionOut):
    told = serializers.IntegerField(help_text="How many agencies were told")
    acknowledged = serializers.IntegerField(help_text="How many of them acknowledged")


# A list action's answer is this one object (its list inside), not an array of them.
@extend_schema_serializer(many=False)
class CorrectionsOut(serializers.Serializer):
    corrections = CorrectionRowOut(many=True)


class CorrectionPageOut(serializers.Serializer):
    correction = CorrectionOut()
    notices = NoticeOut(many=True)


class ReportOut(_ContentFor):
    CONTENT = ("what_is_wrong", "suggested_correction", "reject_reason")

    @staticmethod
    def reads(user: Any, obj: Any) -> bool:
        return reads_report_content(user, obj)

    id = serializers.IntegerField()
    entry = serializers.IntegerField(source="entry_id")
    via_disclosure = serializers.IntegerField(source="via_disclosure_id")
    received_revision = serializers.IntegerField(source="received_revision.number")
    reporter_agency = serializers.CharField(source="reporter_agency.name")
    originator_agency = serializers.CharField(source="originator_agency.name")
    what_is_wrong = serializers.CharField()
    suggested_correction = serializers.CharField()
    state = serializers.ChoiceField(choices=InaccuracyState.choices)
    submitted_at = serializers.DateTimeField()
    due_on = serializers.DateField()
    decided_at = serializers.DateTimeField(allow_null=True)
    reject_reason = serializers.CharField()
    correction = serializers.IntegerField(source="correction_id", allow_null=True)


# A list action's answer is this one object (its list inside), not an array of them.
@extend_schema_serializer(many=False)
class ReportsOut(serializers.Serializer):
    reports = ReportOut(many=True)


class ReportIn(serializers.Serializer):
    disclosure = ScopedPrimaryKeyField(Disclosure, help_text="The disclosure your agency received the entry through")
    entry = ScopedPrimaryKeyField(RecordEntry, help_text="The entry that is inaccurate (one the disclosure carried)")
    what_is_wrong = _text("What is inaccurate")
    suggested_correction = _text("What it should say, if you know", required=False)


class RejectIn(serializers.Serializer):
    reason = _text("Why the entry is not corrected")


class EmptyIn(serializers.Serializer):
    """A POST that carries no body (withdrawing a report): no field to give, so the schema says so."""


def _reader(request: Request) -> dict[str, Any]:
    return {"reader": request.user}


def _refuse_tokens(request: Request, model: type[Any]) -> None:
    """A token is refused for its scopes before anything is read (design Q15)."""
    policy.require_gate(request.user, "view", model)


# --- Corrections --------------------------------------------------------------------------------------------------


class CorrectionViewSet(PolicyViewMixin, viewsets.GenericViewSet[Correction]):
    """Corrections your agency issued, or was told of."""

    policy_model = Correction
    serializer_class = CorrectionOut
    lookup_value_regex = "[0-9]+"
    pagination_class = None

    @extend_schema(
        summary="Corrections issued by or told to your agencies",
        description=f"Newest first, at most {selectors.PAGE_SIZE}, with how many agencies were told and acknowledged.",
        responses=CorrectionsOut,
    )
    def list(self, request: Request) -> Response:
        _refuse_tokens(request, Correction)
        rows = selectors.corrections_issued(request.user)
        return Response({"corrections": CorrectionRowOut(rows, many=True).data})

    @extend_schema(
        summary="A correction",
        description="What was corrected (the revision's reason, never its content) and each agency told: the "
        "disclosure it went through, the revision it held and whether it acknowledged.",
        responses=CorrectionPageOut,
    )
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        page = selectors.correction_page(request.user, pk)
        return Response(
            {
                "correction": CorrectionOut(page.correction).data,
                "notices": NoticeOut(page.notices, many=True, context=_reader(request)).data,
            }
        )


class CorrectionNoticeViewSet(PolicyViewMixin, viewsets.GenericViewSet[CorrectionNotice]):
    """Corrections told to your agency, to acknowledge."""

    policy_model = CorrectionNotice
    serializer_class = NoticeOut
    lookup_value_regex = "[0-9]+"
    pagination_class = None

    @extend_schema(
        summary="Correction notices",
        description=f"Your agencies' notices (and the originator's of its corrections): `?pending=true` (default) "
        f"those to acknowledge, most overdue first; `false` those acknowledged. At most {selectors.PAGE_SIZE}.",
        parameters=[NoticesQuery],
        responses=NoticesOut,
    )
    def list(self, request: Request) -> Response:
        _refuse_tokens(request, CorrectionNotice)
        query = parse_input(NoticesQuery, request.query_params, request, known_only=True)
        rows = selectors.correction_notices(request.user, pending=query.get("pending"))
        return Response({"notices": NoticeOut(rows, many=True, context=_reader(request)).data})

    @extend_schema(summary="A correction notice", responses=NoticeOut)
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(NoticeOut(selectors.notice_page(request.user, pk), context=_reader(request)).data)

    @extend_schema(
        summary="Acknowledge a correction",
        description="A practitioner or designated manager of the agency told, saying what it did. Once: 409 naming "
        "who acknowledged it first. Another agency's notice is a 404.",
        request=AcknowledgeIn,
        responses={200: NoticeOut, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        try:
            # Out of the acknowledging scope (another agency's notice, the originator's own) reads as missing.
            found = selectors.notice_page(request.user, pk, action="acknowledge")
            values = parse_input(AcknowledgeIn, request.data, request)
            with field_errors():
                services.correction_notice_acknowledge(actor=request.user, notice=found, **values)
        except policy.NotPermitted as denial:
            # Only the notice's own refusal (not a token's scopes, which name no notice) can be a conflict.
            notice_id = denial.target_id if denial.target_type == "disclosures.correctionnotice" else ""
            current = (
                CorrectionNotice.objects.select_related("acknowledged_by").filter(pk=int(notice_id)).first()
                if notice_id.isdigit()
                else None
            )
            if current is not None and denial.reason and denial.reason == acknowledged_refusal(current):
                raise _as_conflict(denial, request) from None
            raise
        return Response(NoticeOut(selectors.notice_page(request.user, pk), context=_reader(request)).data)


# --- Inaccuracy reports -------------------------------------------------------------------------------------------


class InaccuracyReportViewSet(PolicyViewMixin, viewsets.GenericViewSet[InaccuracyReport]):
    """Reports that information received is inaccurate: the recipient tells the agency that recorded it."""

    policy_model = InaccuracyReport
    serializer_class = ReportOut
    lookup_value_regex = "[0-9]+"
    pagination_class = None
    checked_on_parent = {"create": (InaccuracyReport, "view")}

    @extend_schema(
        summary="Inaccuracy reports",
        description=f"Made by your agencies or about their entries; at most {selectors.PAGE_SIZE}.",
        responses=ReportsOut,
    )
    def list(self, request: Request) -> Response:
        _refuse_tokens(request, InaccuracyReport)
        return Response(
            {"reports": ReportOut(selectors.inaccuracy_reports(request.user), many=True, context=_reader(request)).data}
        )

    @extend_schema(
        summary="Report that information you received is inaccurate",
        description="A named recipient who may still read the disclosure; the entry must be one it carried. The "
        "agency that recorded it answers within the protocol's response time.",
        request=ReportIn,
        responses={201: ReportOut},
    )
    def create(self, request: Request) -> Response:
        _refuse_tokens(request, InaccuracyReport)
        values = parse_input(ReportIn, request.data, request)
        with field_errors():
            made = services.inaccuracy_report_submit(actor=request.user, **values)
        return Response(
            ReportOut(selectors.report_page(request.user, made.pk), context=_reader(request)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(summary="An inaccuracy report", responses=ReportOut)
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(ReportOut(selectors.report_page(request.user, pk), context=_reader(request)).data)

    def _decide(self, request: Request, pk: str | None, act: str, shape: type[serializers.Serializer]) -> Response:
        found = policy.get_or_deny(request.user, InaccuracyReport.objects.select_related("entry"), action=act, pk=pk)
        values = parse_input(shape, request.data, request)
        with field_errors():
            if act == "agree":
                values.pop("restricted", None)
                services.inaccuracy_report_agree(actor=request.user, report=found, **values)
            elif act == "reject":
                services.inaccuracy_report_reject(actor=request.user, report=found, **values)
            else:
                services.inaccuracy_report_withdraw(actor=request.user, report=found)
        return Response(ReportOut(selectors.report_page(request.user, pk), context=_reader(request)).data)

    @extend_schema(
        summary="Correct the entry reported",
        description="The agency that recorded it corrects it (a new revision, with the reason): every agency that "
        "received it is told.",
        request=RevisionIn,
        responses=ReportOut,
    )
    @action(detail=True, methods=["post"])
    def agree(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(request, pk, "agree", RevisionIn)

    @extend_schema(summary="Decide not to correct it", request=RejectIn, responses=ReportOut)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(request, pk, "reject", RejectIn)

    @extend_schema(summary="Withdraw your report", request=EmptyIn, responses=ReportOut)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(request, pk, "withdraw", EmptyIn)


__all__ = ["CorrectionNoticeViewSet", "CorrectionViewSet", "InaccuracyReportViewSet"]
