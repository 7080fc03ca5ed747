"""What the children index tells the apps built on it, which it does not import (DESIGN 3.1: sharing sits below
consent and the later sharing issues' records)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent by sharing.services.children.child_merge inside its transaction, after the merged-away entry's own rows
# moved and it was marked merged (its merged_into, and that of every entry merged into it earlier, names `keep`;
# the ChildMerge row is written after), with `keep` and `merge` (both locked, as read before). Each receiver
# moves what it holds about `merge` to `keep` and returns {name: [ids moved]}, which the merge records with its
# own (ChildMerge.moved, the child.merge event).
child_merged = Signal()

# Sent by sharing.services.retention.child_erase inside its transaction, after the child's own content was
# erased, with `child` (locked, closed, its erasure due) and `today` (the day it was judged due on). Each receiver
# erases the personal content it holds about the child (Southampton 6, 8: "deleted beyond recovery" at the end of
# the retention period) and returns {kind: count erased}, which the erasure lists in its child.erase event (counts
# only, never content).
child_erased = Signal()

# Sent by sharing.services.entries.entry_revise inside its transaction, after the new revision is written, with
# `entry` (locked), `revision` (the new one) and `actor`. The disclosures app records a correction of a disclosed
# entry and tells every agency that received an older revision (Southampton 9: the originator decides the corrective
# action "including advising appropriate agencies"), so no path that corrects an entry can forget to.
entry_revised = Signal()
