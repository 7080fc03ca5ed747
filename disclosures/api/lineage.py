"""Lineage through the API (issue 13; Southampton 11; docs/after-disclosure-design.md 7-8): where a disclosure's
information went and came from (`disclosures/{id}/lineage/`, the DisclosureViewSet's action) and where an entry went
(`lineage/entries/{id}/`). Metadata only; the part of the tree the caller may see (rules.lineage_visible); another
agency's disclosure or entry is a 404; an API token is refused for its scopes (design Q15)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from disclosures.api.serializers import RefOut
from disclosures.models import Disclosure
from disclosures.onward_selectors import Lineage, disclosure_lineage, entry_lineage
from isp_portal import policy


class LineageNodeOut(serializers.Serializer):
    disclosure = serializers.IntegerField()
    parent_disclosure = serializers.IntegerField(allow_null=True, help_text="The disclosure it was passed on from")
    hop = serializers.IntegerField()
    kind = serializers.CharField()
    from_agency = RefOut()
    to_agency = RefOut()
    made_at = serializers.DateTimeField()
    live = serializers.BooleanField()
    correction = serializers.CharField(allow_null=True, help_text="The latest correction notice's state (entries)")


class LineageOut(serializers.Serializer):
    origin_agency = serializers.IntegerField(allow_null=True)
    full = serializers.BooleanField(help_text="Whether you see the whole tree, or your part of it")
    nodes = LineageNodeOut(many=True)


def lineage_out(tree: Lineage) -> dict[str, Any]:
    return {
        "origin_agency": tree.origin_agency_id, "full": tree.full,
        "nodes": [
            {
                "disclosure": node.disclosure_id, "parent_disclosure": node.parent_id, "hop": node.hop,
                "kind": node.kind,
                "from_agency": {"id": node.from_agency_id, "name": node.from_label},
                "to_agency": {"id": node.to_agency_id, "name": node.to_label}, "made_at": node.made_at,
                "live": node.live, "correction": node.notice_state.value if node.notice_state else None,
            }
            for node in tree.nodes
        ],
    }  # fmt: skip


def disclosure_lineage_body(request: Request, pk: str | None) -> Response:
    """The DisclosureViewSet's `lineage` action (disclosures.api.views)."""
    policy.require_gate(request.user, "lineage", Disclosure)
    return Response(lineage_out(disclosure_lineage(request.user, int(pk or 0))))


class EntryLineageViewSet(viewsets.ViewSet):
    """Where an entry went: every disclosure that carried it, any hop (the disclosures' lineage, read through
    DisclosurePolicy's gates: isp_portal.api.PolicyPermission)."""

    policy_model = Disclosure
    lookup_value_regex = "[0-9]+"

    @extend_schema(summary="The lineage of an entry", responses={200: LineageOut})
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        policy.require_gate(request.user, "lineage", Disclosure)
        return Response(lineage_out(entry_lineage(request.user, int(pk or 0))))


__all__ = ["EntryLineageViewSet", "LineageOut", "disclosure_lineage_body", "lineage_out"]
