"""Pure rules of the per-child access history and the change history (issue 15; DESIGN 2.6). No ORM, no I/O.

* Each row of a child's access history falls in one group a reader can filter by: views, searches (a search that
  returned the child), disclosures (the disclosure log's rows and the requests' and onward disclosures' events),
  corrections (a disclosed entry corrected, an inaccuracy reported), or other. An event's group follows from its kind
  (the first pattern that matches, in the order of EVENT_GROUPS); the patterns are POSIX regular expressions that
  PostgreSQL and Python read alike, so the filter (in SQL) and the label (here) cannot disagree.
* A change-history value is shown only when it cannot carry sensitive content: free text (a TextField: minutes,
  reasons, notes) and anything secret-like (a digest, a key, a token, a secret) is shown as "changed" without its
  values (DPA 2018 s62 asks for who and when; the values of free text are not the auditors' to copy).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class KindGroup(StrEnum):
    VIEWS = "views"
    SEARCHES = "searches"
    DISCLOSURES = "disclosures"
    CORRECTIONS = "corrections"
    OTHER = "other"


GROUP_LABELS = {
    KindGroup.VIEWS: "Views",
    KindGroup.SEARCHES: "Searches",
    KindGroup.DISCLOSURES: "Disclosures",
    KindGroup.CORRECTIONS: "Corrections",
    KindGroup.OTHER: "Other",
}

# The groups of the access events' kinds, first match wins: "disclosure.view" is a view; "correction.issue" a
# correction, never a disclosure.
EVENT_GROUPS: tuple[tuple[KindGroup, str], ...] = (
    (KindGroup.VIEWS, r"(\.|_)view$|\.answer_read$"),
    (KindGroup.SEARCHES, r"^child\.(search|match|nhs_number_match)$"),
    (KindGroup.CORRECTIONS, r"^(correction|inaccuracy)\."),
    (KindGroup.DISCLOSURES, r"^(disclosure|onward|request)\.|^entry\.grant"),
)
_COMPILED = tuple((group, re.compile(pattern)) for group, pattern in EVENT_GROUPS)

# The disclosure log's kinds (audit.models.LogKind): a correction is its own group; every other follow-up is part of
# the disclosure it follows.
LOG_CORRECTED = "corrected"


def event_group(kind: str) -> KindGroup:
    """The group of an access event of kind `kind`."""
    for group, pattern in _COMPILED:
        if pattern.search(kind):
            return group
    return KindGroup.OTHER


def log_group(log_kind: str) -> KindGroup:
    """The group of a disclosure-log row of kind `log_kind`."""
    return KindGroup.CORRECTIONS if log_kind == LOG_CORRECTED else KindGroup.DISCLOSURES


def event_group_sql(group: KindGroup, column: str = "e.kind") -> str:
    """`group` as a condition over an event's kind (no parameters: the patterns are constants of this module)."""
    earlier: list[str] = []
    for each, pattern in EVENT_GROUPS:
        if each is group:
            return " AND ".join([f"{column} ~ '{pattern}'", *(f"{column} !~ '{p}'" for p in earlier)])
        earlier.append(pattern)
    return " AND ".join(f"{column} !~ '{p}'" for p in earlier)


def log_group_sql(group: KindGroup, column: str = "d.kind") -> str:
    """`group` as a condition over a disclosure-log row's kind."""
    if group is KindGroup.CORRECTIONS:
        return f"{column} = '{LOG_CORRECTED}'"
    if group is KindGroup.DISCLOSURES:
        return f"{column} <> '{LOG_CORRECTED}'"
    return "FALSE"


# --- Change history --------------------------------------------------------------------------------------------

CHANGED = "changed"
_SECRET_LIKE = re.compile(r"(^|_)(digest|secret|key|token|hash|password|otp)(_|$)")


def value_hidden(field_name: str, *, free_text: bool) -> bool:
    """Whether a change to `field_name` is shown without its values: free text, or a secret-like name."""
    return free_text or bool(_SECRET_LIKE.search(field_name))


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    before: str
    after: str
    hidden: bool


def field_changes(
    changes: Mapping[str, Any] | None, *, labels: Mapping[str, str], hidden: Iterable[str]
) -> list[FieldChange]:
    """The fields one change-log entry changed, in the order of `labels` (the model's fields) then by name, each with
    its values from and to as the log wrote them, or without them when the field is `hidden`. A malformed change
    (not a [from, to] pair) is shown as changed, never guessed at."""
    hide = frozenset(hidden)
    order = {name: index for index, name in enumerate(labels)}
    rows: list[FieldChange] = []
    for name in sorted(changes or {}, key=lambda n: (order.get(n, len(order)), n)):
        pair = (changes or {})[name]
        shaped = isinstance(pair, list | tuple) and len(pair) == 2
        secret = name in hide or not shaped
        before, after = ("", "") if secret else (_shown(pair[0]), _shown(pair[1]))
        rows.append(FieldChange(name, labels.get(name, name.replace("_", " ")), before, after, secret))
    return rows


def _shown(value: Any) -> str:
    if value is None or value == "None":
        return "(none)"
    text = str(value)
    return text if len(text) <= 200 else text[:199] + "…"
