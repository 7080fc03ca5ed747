"""Which agencies are involved with a child, with the lead professional or key contact (Haringey 3.8a;
ContactPoint showed which services are involved, never what they hold)."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from isp_portal import bounds, db_bounds


class Involvement(models.Model):
    """An agency's service working with a child, from `started_on` until `ended_on` (open while empty). The
    lead professional or key contact is a membership of that agency (a person in the role there), so the
    contact who must be told when data is inaccurate is known (Haringey 3.8a)."""

    child = models.ForeignKey("sharing.Child", on_delete=models.PROTECT, related_name="involvements")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="involvements")
    service = models.CharField(max_length=bounds.NAME)
    lead_professional = models.ForeignKey(
        "agencies.Membership", null=True, blank=True, on_delete=models.PROTECT, related_name="lead_involvements"
    )
    is_key_contact = models.BooleanField(default=False)
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    end_reason = models.TextField(blank=True, max_length=bounds.REASON)
    recorded_by = models.ForeignKey("agencies.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["child", "-started_on", "id"]
        constraints = [
            # One open involvement per agency's service, whatever its capitals (rules.service_key; the service
            # is stored with its spacing tidied: rules.service_normalised, held by involvement_service_spaced).
            models.UniqueConstraint(
                "child",
                "agency",
                Lower("service"),
                condition=models.Q(ended_on__isnull=True),
                name="involvement_one_open_per_service",
            ),
            models.CheckConstraint(
                condition=~models.Q(service__regex=r"(^\s|\s$|\s\s|[\t\n\r])"),
                name="involvement_service_spaced",
            ),
            models.CheckConstraint(
                condition=models.Q(ended_on__isnull=True) | models.Q(ended_on__gte=models.F("started_on")),
                name="involvement_period_ordered",
            ),
            models.CheckConstraint(condition=~models.Q(service=""), name="involvement_has_service"),
            models.CheckConstraint(
                condition=models.Q(is_key_contact=False) | models.Q(lead_professional__isnull=False),
                name="involvement_key_contact_is_a_person",
            ),
            models.CheckConstraint(
                condition=models.Q(ended_on__isnull=True, end_reason="") | models.Q(ended_on__isnull=False),
                name="involvement_end_reason_only_when_ended",
            ),
            db_bounds.text_length("involvement", "end_reason", bounds.REASON),
            db_bounds.date_in_era("involvement", "started_on"),
            db_bounds.date_in_era("involvement", "ended_on"),
        ]
        indexes = [
            models.Index(fields=["agency", "child"], name="involvement_agency_child"),
        ]

    def __str__(self) -> str:
        return f"{self.service} with child {self.child_id}"

    @property
    def audit_label(self) -> str:
        return f"involvement {self.pk} of agency {self.agency_id} with child {self.child_id}"

    @property
    def is_open(self) -> bool:
        return self.ended_on is None
