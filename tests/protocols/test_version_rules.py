"""A version's rules as markup are built once per process for each set of rules (protocols.presenters.
version_rules, issue 9): each field the summary shows is part of what they are kept by, so a version that
differs in any of them gets its own markup, the markup built afresh."""

from __future__ import annotations

from typing import Any

import pytest

from protocols import presenters
from protocols.models import ProtocolVersion
from tests import protocol_fixtures as fx

BASE: dict[str, Any] = {
    "age_min": 0,
    "age_max": 18,
    "extended_age_max": 25,
    "extended_age_conditions": ["care_leaver"],
    "permitted_purposes": ["Safeguarding"],
    "aggregate_fields": ["age"],
    "minimum_fields": ["name"],
    "sensitive_fields": ["health"],
    "grounds_without_consent": ["significant_harm"],
    "response_working_days": 5,
    "retention_months": 24,
    "shows_held_categories": True,
}
CHANGED: dict[str, Any] = {
    "age_min": 1,
    "age_max": 17,
    "extended_age_max": 24,
    "extended_age_conditions": ["additional_needs"],
    "permitted_purposes": ["Early help"],
    "aggregate_fields": ["area"],
    "minimum_fields": ["address"],
    "sensitive_fields": ["offending"],
    "grounds_without_consent": [],
    "response_working_days": 6,
    "retention_months": 12,
    "shows_held_categories": False,
}


def test_the_base_rules_are_a_template_version() -> None:
    assert set(BASE) <= set(fx.rules()) | {"shows_held_categories"}


@pytest.mark.parametrize("field", sorted(CHANGED))
def test_each_field_shown_changes_the_markup(field: str) -> None:
    before = ProtocolVersion(**BASE)
    after = ProtocolVersion(**{**BASE, field: CHANGED[field]})
    assert presenters.version_rules(before) == presenters._version_rules(before)
    assert presenters.version_rules(after) == presenters._version_rules(after)
    assert presenters.version_rules(after) != presenters.version_rules(before)
