"""The sharing app's data, by subject: the child index (children.py), involvements (involvements.py), record
entries with their revisions and grants (entries.py), and the aggregate tier's counts kept by triggers
(counts.py)."""

from sharing.models.children import (
    Child,
    ChildAddress,
    ChildMerge,
    ChildName,
    ChildNameCorrection,
    ChildNameKey,
    ChildReopening,
    ClosureRule,
    Ethnicity,
    Gender,
    KeptUnder,
    NameKind,
    Setting,
    ShieldedAccess,
)
from sharing.models.counts import (
    AggregateSnapshot,
    AggregateSnapshotCount,
    ChildCountByAgency,
    ChildCountByAgencyAge,
    SnapshotKind,
)
from sharing.models.entries import Basis, EntryGrant, EntryRevision, RecordEntry
from sharing.models.involvements import Involvement

__all__ = [
    "AggregateSnapshot",
    "AggregateSnapshotCount",
    "Basis",
    "Child",
    "ChildAddress",
    "ChildCountByAgency",
    "ChildCountByAgencyAge",
    "ChildMerge",
    "ChildName",
    "ChildNameCorrection",
    "ChildNameKey",
    "ChildReopening",
    "ClosureRule",
    "EntryGrant",
    "EntryRevision",
    "Ethnicity",
    "Gender",
    "Involvement",
    "KeptUnder",
    "NameKind",
    "RecordEntry",
    "Setting",
    "ShieldedAccess",
    "SnapshotKind",
]
