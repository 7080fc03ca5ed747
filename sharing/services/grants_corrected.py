"""A correction opens the corrected revision to those who hold the entry through a live disclosure (issue 13,
design Q5; Southampton 9: the originator decides the corrective action). The disclosures app calls this when it
records the correction: the sharing app never imports it."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.utils import timezone

from agencies.models import User
from audit.services import EventDraft, audit_record_many
from sharing.models import EntryRevision, RecordEntry

# Every live grant a disclosure gave of the entry, at another revision, gets one twin at the corrected revision:
# the same person, agency, purpose, expiry and disclosure, so revoking that disclosure (or its retention ending)
# ends the twin with the original (sharing.services.grants.entry_grants_revoke_for_disclosure). A grant the
# disclosure already gave at this revision is not given twice, however often this runs.
_TWIN = """
INSERT INTO sharing_entrygrant
    (entry_id, user_id, agency_id, purpose, granted_by_id, granted_at, expires_at, revoked_at, revision_id,
     disclosure_id)
SELECT DISTINCT ON (g.user_id, g.disclosure_id)
    g.entry_id, g.user_id, g.agency_id, g.purpose, %(by)s, %(now)s, g.expires_at, NULL, %(revision)s, g.disclosure_id
FROM sharing_entrygrant g
WHERE g.entry_id = %(entry)s AND g.disclosure_id IS NOT NULL AND g.revoked_at IS NULL AND g.expires_at > %(now)s
  AND g.revision_id IS DISTINCT FROM %(revision)s
  AND (%(only)s::bigint IS NULL OR g.disclosure_id = %(only)s::bigint)
  AND NOT EXISTS (
      SELECT 1 FROM sharing_entrygrant t
      WHERE t.entry_id = g.entry_id AND t.user_id = g.user_id AND t.disclosure_id = g.disclosure_id
        AND t.revision_id = %(revision)s AND t.revoked_at IS NULL
  )
ORDER BY g.user_id, g.disclosure_id, g.expires_at DESC
RETURNING id, user_id, agency_id, disclosure_id
"""


def entry_grants_extend_to_revision(
    *, actor: Any, entry: RecordEntry, revision: EntryRevision, disclosure_id: int | None = None
) -> int:
    """Give each live disclosure grant of `entry` (only those of `disclosure_id`, when given) a twin at `revision`
    (one INSERT ... SELECT), so its recipients read the corrected text rather than keep the wrong one (design Q5).
    Inside the caller's transaction (the correction's). Restricted entries stay gated by
    sharing.policy.entry_access on every read. Returns how many grants were given. Audit: entry.grant, one per grant
    (one statement)."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            _TWIN,
            {"by": actor.pk if isinstance(actor, User) else None, "now": now, "revision": revision.pk,
             "entry": entry.pk, "only": disclosure_id},
        )  # fmt: skip
        rows = cursor.fetchall()
    audit_record_many(
        kind="entry.grant",
        actor=actor,
        events=[
            EventDraft(
                "sharing.entrygrant",
                grant_id,
                f"grant {grant_id} of entry {entry.pk}",
                {
                    "entry_id": entry.pk, "user_id": user_id, "agency_id": agency_id, "revision_id": revision.pk,
                    "disclosure_id": disclosure_id, "corrected": True,
                },
                entry.child_id,
            )
            for grant_id, user_id, agency_id, disclosure_id in sorted(rows)
        ],
    )  # fmt: skip
    return len(rows)
