"""Onward requests and lineage through the API (issue 13; Southampton 10-11; docs/after-disclosure-design.md 8).
Thin: the rules are in disclosures.rules and disclosures.onward_policy, the writes in disclosures.services.onward,
the reads in disclosures.onward_selectors.

People only (design Q15): an API token is refused for its scopes on every route, whatever the id. Another agency's
onward request or disclosure, in the URL or in the body, is a 404 (URL) or a 400 like a missing id (body), and
recorded as a refusal; in scope but refused is a 403 naming the rule; an onward request decided, withdrawn or passed
on before this is a 409 naming what happened first."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

from django.db.models import Model, QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from disclosures import rules
from disclosures.api.serializers import (
    CATEGORIES,
    CONSENT_BASES,
    GROUNDS,
    LEGAL_BASES,
    NOT_SOUGHT_REASONS,
    PURPOSE_MAX,
    SUBJECT_TOLD,
    TIERS,
    AgencyField,
    ConsentField,
    ErrorOut,
    RecipientsField,
    RefOut,
    _text,
)
from disclosures.api.views import _as_conflict, _disclosure_body, _retain, require_index
from disclosures.models import Disclosure, DisclosureEntry, OnwardRequest
from disclosures.onward_selectors import onward_request_page, onward_requests
from disclosures.services import onward as services
from isp_portal import bounds, policy
from isp_portal.api import PolicyViewMixin, ScopedPrimaryKeyField, errors_named, parse_input
from isp_portal.api_input import EraDateField
from sharing.models import RecordEntry

ONWARD_STATES = [state.value for state in rules.OnwardState]
ONWARD_DECLINE_REASONS = sorted(reason.value for reason in rules.ONWARD_DECLINE_REASONS)
ONWARD_ACTIONS = ["decide", "withdraw", "disclose"]
CONFLICT = OpenApiResponse(
    response=ErrorOut, description="Decided, withdrawn, closed or passed on before this; `message` says which."
)


class ParentField(ScopedPrimaryKeyField):
    """A disclosure made to the caller by name (the one their agency received and they would pass on)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(Disclosure, **kwargs)


class OnwardQuery(serializers.Serializer):
    role = serializers.ChoiceField(choices=["raised", "to_decide"], default="raised")
    state = serializers.ChoiceField(choices=ONWARD_STATES, required=False)


class OnwardIn(serializers.Serializer):
    parent_disclosure = ParentField(help_text="The disclosure your agency received")
    entries = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), min_length=1, max_length=bounds.LIST_ITEMS,
        help_text="The entries to pass on (ids), each one your agency received; passed on at the revision received",
    )  # fmt: skip
    to_agency = AgencyField(help_text="The third agency")
    purpose = serializers.CharField(max_length=PURPOSE_MAX)
    tiers = serializers.ListField(child=serializers.ChoiceField(choices=TIERS), min_length=1, max_length=len(TIERS))
    categories = serializers.ListField(
        child=serializers.ChoiceField(choices=CATEGORIES), max_length=len(CATEGORIES), default=list
    )
    need_to_know = _text("Why the third agency needs to know", required=True)
    consent_basis = serializers.ChoiceField(choices=CONSENT_BASES)
    consent = ConsentField(required=False, allow_null=True, default=None)
    not_sought_reason = serializers.ChoiceField(choices=NOT_SOUGHT_REASONS, allow_blank=True, default="")
    override_ground = serializers.ChoiceField(choices=GROUNDS, allow_blank=True, default="")
    legal_basis = serializers.ChoiceField(choices=LEGAL_BASES)


class OnwardDecisionIn(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["agree", "decline"])
    conditions = _text("Conditions on passing it on (agree)")
    decline_reason = serializers.ChoiceField(choices=ONWARD_DECLINE_REASONS, allow_blank=True, default="")
    detail = _text("Why (required for 'other')")


class OnwardWithdrawIn(serializers.Serializer):
    reason = _text("Why it is no longer needed", required=True)


class OnwardDiscloseIn(serializers.Serializer):
    recipients = RecipientsField(min_length=1, help_text="The people of the third agency who receive it")
    subject_told = serializers.ChoiceField(choices=SUBJECT_TOLD)
    subject_not_told_reason = _text("Why they were not told")
    retain_until = EraDateField(required=False, allow_null=True, default=None)
    why_shared = _text("Why it is passed on", required=True)
    proportionality = _text("Why this much is proportionate", required=True)
    public_interest = _text("The public interest weighed (without consent)")
    why_without_consent = _text("Why without consent (a basis other than consent)")
    s29_form_reference = _text("The section 29 form's reference", max_length=100)


class OnwardEntryOut(serializers.Serializer):
    entry = serializers.IntegerField()
    revision = serializers.IntegerField(help_text="The revision number passed on (the one received)")


class OnwardOut(serializers.Serializer):
    id = serializers.IntegerField()
    state = serializers.ChoiceField(choices=ONWARD_STATES)
    parent_disclosure = serializers.IntegerField()
    child = serializers.IntegerField()
    from_agency = RefOut()
    originator_agency = RefOut()
    to_agency = RefOut()
    requester = RefOut()
    purpose = serializers.CharField()
    tiers = serializers.ListField(child=serializers.ChoiceField(choices=TIERS))
    categories = serializers.ListField(child=serializers.ChoiceField(choices=CATEGORIES))
    legal_basis = serializers.ChoiceField(choices=LEGAL_BASES)
    submitted_at = serializers.DateTimeField()
    due_on = serializers.DateField()
    decided_at = serializers.DateTimeField(allow_null=True)
    agreement_until = serializers.DateTimeField(allow_null=True)
    decline_reason = serializers.ChoiceField(choices=ONWARD_DECLINE_REASONS, allow_blank=True)
    entries = OnwardEntryOut(many=True)
    disclosure = serializers.IntegerField(allow_null=True)
    actions = serializers.ListField(child=serializers.ChoiceField(choices=ONWARD_ACTIONS))


class OnwardRowOut(serializers.Serializer):
    id = serializers.IntegerField()
    state = serializers.ChoiceField(choices=ONWARD_STATES)
    from_agency = RefOut()
    to_agency = RefOut()
    originator_agency = RefOut()
    due_on = serializers.DateField()
    submitted_at = serializers.DateTimeField()


# A list action's answer is this one object (its list inside), not an array of them.
@extend_schema_serializer(many=False)
class OnwardListOut(serializers.Serializer):
    results = OnwardRowOut(many=True)


def _ref(agency: Any) -> dict[str, Any]:
    return {"id": agency.pk, "name": str(agency)}


def _person(user: Any) -> dict[str, Any]:
    return {"id": user.pk, "name": user.full_name}


def _row(onward: OnwardRequest) -> dict[str, Any]:
    return {
        "id": onward.pk, "state": onward.state, "from_agency": _ref(onward.from_agency),
        "to_agency": _ref(onward.to_agency), "originator_agency": _ref(onward.originator_agency),
        "due_on": onward.due_on, "submitted_at": onward.submitted_at,
    }  # fmt: skip


def _body(user: Any, pk: Any, code: int = 200) -> Response:
    page = onward_request_page(user, pk)
    onward = page.onward
    actions = [name for name, may in zip(ONWARD_ACTIONS, (page.may_decide, page.may_withdraw, page.may_disclose),
                                         strict=True) if may]  # fmt: skip
    return Response(
        {
            **_row(onward), "parent_disclosure": onward.parent_disclosure_id, "child": onward.child_id,
            "requester": _person(onward.requester), "purpose": onward.purpose, "tiers": onward.tiers,
            "categories": onward.categories, "legal_basis": onward.legal_basis, "decided_at": onward.decided_at,
            "agreement_until": onward.agreement_until, "decline_reason": onward.decline_reason,
            "entries": [{"entry": row.entry_id, "revision": row.revision.number} for row in page.entries],
            "disclosure": page.disclosure_id, "actions": actions,
        },
        status=code,
    )  # fmt: skip


@contextmanager
def onward_moved_on(api_request: Request, onward: OnwardRequest) -> Iterator[None]:
    """A refusal because the onward request is no longer where the action needs it (decided, withdrawn, closed or
    passed on first, perhaps a moment ago: the services lock the row and ask again) as a 409; any other as it is."""
    try:
        yield
    except policy.NotPermitted as denial:
        current = OnwardRequest.objects.filter(pk=onward.pk).values_list("state", flat=True).first()
        if current is not None and current != onward.state:
            raise _as_conflict(denial, api_request) from None
        closed = current in {state.value for state in rules.ONWARD_TERMINAL_STATES}
        if closed or (current == rules.OnwardState.AGREED and denial.action == "decide"):
            raise _as_conflict(denial, api_request) from None
        raise


class OnwardRequestViewSet(PolicyViewMixin, viewsets.GenericViewSet[OnwardRequest]):
    """Requests to pass on what an agency received, the originator's decision, and the onward disclosure."""

    policy_model = OnwardRequest
    serializer_class = OnwardOut
    lookup_value_regex = "[0-9]+"
    pagination_class = None
    checked_on_parent: ClassVar[dict[str | None, tuple[type[Model], str]]] = {
        "list": (OnwardRequest, "view"),
        "create": (OnwardRequest, "create"),
    }

    def base_queryset(self) -> QuerySet[OnwardRequest]:
        return OnwardRequest.objects.all()

    @extend_schema(
        summary="Onward requests your agency raised, or that wait for your agency's decision",
        parameters=[OnwardQuery],
        responses={200: OnwardListOut},
    )
    def list(self, request: Request) -> Response:
        query = parse_input(OnwardQuery, request.query_params, request, known_only=True)
        rows = onward_requests(request.user, role=query["role"], state=query.get("state"))
        return Response({"results": [_row(row) for row in rows]})

    @extend_schema(
        summary="Ask the agency the information came from to agree to pass it on",
        description="Only what your agency received, at the revision received, to a third agency sharing a "
        "protocol version with yours, on a basis the protocol allows. Nothing is passed on until the originating "
        "agency's designated manager agrees.",
        request=OnwardIn,
        responses={201: OnwardOut},
    )
    def create(self, request: Request) -> Response:
        require_index(request.user, "create", OnwardRequest)
        values = parse_input(OnwardIn, request.data, request)
        parent = values.pop("parent_disclosure")
        ids = values.pop("entries")
        held = DisclosureEntry.objects.filter(disclosure=parent, entry_id__in=ids).values("entry_id")
        received = list(RecordEntry.objects.filter(pk__in=held))
        if len(received) != len(set(ids)):
            # Another agency's entry, or one not received, reads like one that does not exist (no existence leak).
            raise serializers.ValidationError({"entries": [services.NOT_RECEIVED]})
        made = services.onward_request_submit(actor=request.user, parent=parent, entries=received, **values)
        return _body(request.user, made.pk, status.HTTP_201_CREATED)

    @extend_schema(summary="An onward request", responses={200: OnwardOut})
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return _body(request.user, pk)

    @extend_schema(
        summary="Agree or decline (a designated manager of the agency the information came from)",
        request=OnwardDecisionIn,
        responses={200: OnwardOut, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def decision(self, request: Request, pk: str | None = None) -> Response:
        policy.require_gate(request.user, "decide", OnwardRequest)
        found = policy.get_or_deny(request.user, self.base_queryset(), pk=pk)
        with onward_moved_on(request, found), errors_named(decline_detail="detail"):
            policy.require(request.user, "decide", found)
            values = parse_input(OnwardDecisionIn, request.data, request)
            if values["decision"] == "agree":
                services.onward_request_agree(actor=request.user, onward=found, conditions=values["conditions"])
            else:
                services.onward_request_decline(
                    actor=request.user, onward=found, reason=values["decline_reason"], detail=values["detail"]
                )
        return _body(request.user, found.pk)

    @extend_schema(
        summary="Withdraw (the person who asked)", request=OnwardWithdrawIn, responses={200: OnwardOut, 409: CONFLICT}
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        policy.require_gate(request.user, "withdraw", OnwardRequest)
        found = policy.get_or_deny(request.user, self.base_queryset(), pk=pk)
        with onward_moved_on(request, found):
            policy.require(request.user, "withdraw", found)
            values = parse_input(OnwardWithdrawIn, request.data, request)
            services.onward_request_withdraw(actor=request.user, onward=found, reason=values["reason"])
        return _body(request.user, found.pk)

    @extend_schema(
        summary="Pass it on, as agreed (the person who asked)",
        description="Within the agreement's life, to named people of the third agency, for no longer than your "
        "agency's own access. Answers with the onward disclosure.",
        request=OnwardDiscloseIn,
        responses={201: OpenApiResponse(description="The onward disclosure"), 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def disclose(self, request: Request, pk: str | None = None) -> Response:
        policy.require_gate(request.user, "disclose", OnwardRequest)
        found = policy.get_or_deny(request.user, self.base_queryset(), pk=pk)
        with onward_moved_on(request, found):
            policy.require(request.user, "disclose", found)
            values = parse_input(OnwardDiscloseIn, request.data, request)
            made = services.onward_request_disclose(
                actor=request.user, onward=found, recipients=values["recipients"],
                subject_told=values["subject_told"], subject_not_told_reason=values["subject_not_told_reason"],
                retain_until=_retain(values), why_shared=values["why_shared"],
                proportionality=values["proportionality"], public_interest=values["public_interest"],
                why_without_consent=values["why_without_consent"],
                s29_form_reference=values["s29_form_reference"],
            )  # fmt: skip
        return _disclosure_body(request.user, made.pk, purpose=made.purpose, code=status.HTTP_201_CREATED)


__all__ = ["OnwardRequestViewSet"]
