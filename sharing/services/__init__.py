"""Every write to the child index and the records: one transaction each, with the policy checked, the rules
applied and an audit event recorded (DESIGN 3.1)."""

from sharing.services.children import (
    MinimumData,
    NameChange,
    PossibleDuplicates,
    child_address_change,
    child_create,
    child_merge,
    child_minimum_errors,
    child_name_add,
    child_shield,
    child_unshield,
    child_update,
    minimum_data_of,
)
from sharing.services.entries import entry_record, entry_revise
from sharing.services.grants import entry_grant_revoke, entry_grants_give
from sharing.services.involvements import involvement_add, involvement_end
from sharing.services.shielding import shielded_children_reached

__all__ = [
    "MinimumData",
    "NameChange",
    "PossibleDuplicates",
    "child_address_change",
    "child_create",
    "child_merge",
    "child_minimum_errors",
    "child_name_add",
    "child_shield",
    "child_unshield",
    "child_update",
    "entry_grant_revoke",
    "entry_grants_give",
    "entry_record",
    "entry_revise",
    "involvement_add",
    "involvement_end",
    "minimum_data_of",
    "shielded_children_reached",
]
