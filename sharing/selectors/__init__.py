"""Reads of the child index and records, each through the policy and, where it reaches a child, audited."""

from sharing.selectors.children import (
    ChildRecord,
    EntryView,
    HeldCategory,
    NameCorrectionView,
    ReopeningView,
    RevisionSummary,
    Search,
    SearchResult,
    child_named,
    child_record,
    child_search,
    entry_detail,
    likely_matches,
)
from sharing.selectors.matching import LikelyMatch, likely_match_rows
from sharing.selectors.merging import MERGE_PURPOSE, MergeSide, merge_check

__all__ = [
    "MERGE_PURPOSE",
    "ChildRecord",
    "EntryView",
    "HeldCategory",
    "LikelyMatch",
    "MergeSide",
    "NameCorrectionView",
    "ReopeningView",
    "RevisionSummary",
    "Search",
    "SearchResult",
    "child_named",
    "child_record",
    "child_search",
    "entry_detail",
    "likely_match_rows",
    "likely_matches",
    "merge_check",
]
