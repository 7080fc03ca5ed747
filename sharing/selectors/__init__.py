"""Reads of the child index and records, each through the policy and, where it reaches a child, audited."""

from sharing.selectors.children import (
    ChildRecord,
    EntryView,
    HeldCategory,
    RevisionSummary,
    Search,
    SearchResult,
    child_record,
    child_search,
    entry_detail,
    likely_matches,
)
from sharing.selectors.matching import LikelyMatch, likely_match_rows

__all__ = [
    "ChildRecord",
    "EntryView",
    "HeldCategory",
    "LikelyMatch",
    "RevisionSummary",
    "Search",
    "SearchResult",
    "child_record",
    "child_search",
    "entry_detail",
    "likely_match_rows",
    "likely_matches",
]
