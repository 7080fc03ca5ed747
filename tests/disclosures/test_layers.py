"""The disclosures app sits above sharing and consent (design12 section 1): nothing below imports it, and the audit
store it writes the disclosure log into imports no domain app (STYLE: apps import downward only)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BELOW = ("audit", "isp_portal", "agencies", "protocols", "sharing", "consent")
DOMAIN_APPS = ("agencies", "protocols", "sharing", "consent", "disclosures", "breaches")


def imports_of(app: str, names: tuple[str, ...]) -> list[str]:
    pattern = re.compile(rf"^\s*(?:from|import)\s+({'|'.join(names)})\b", re.MULTILINE)
    found = []
    for path in sorted((ROOT / app).rglob("*.py")):
        found.extend(
            f"{path.relative_to(ROOT)}: {match.group(0).strip()}" for match in pattern.finditer(path.read_text())
        )
    return found


@pytest.mark.parametrize("app", BELOW)
def test_nothing_below_imports_disclosures(app: str) -> None:
    assert imports_of(app, ("disclosures",)) == []


def test_the_audit_store_imports_no_domain_app() -> None:
    assert imports_of("audit", DOMAIN_APPS) == []


def test_the_check_finds_imports() -> None:
    assert imports_of("disclosures", ("sharing",))  # the rules and models do import sharing


# --- Issue 13 (docs/after-disclosure-design.md 1): the new modules keep the layers ---------------------------------

AFTER_POLICIES = ("disclosures/onward_policy.py", "disclosures/correction_policy.py", "disclosures/dispute_policy.py")
AFTER_SERVICES = (
    "disclosures/services/onward.py",
    "disclosures/services/corrections.py",
    "disclosures/services/disputes.py",
)
AFTER_SELECTORS = (
    "disclosures/onward_selectors.py",
    "disclosures/correction_selectors.py",
    "disclosures/dispute_selectors.py",
)
ABOVE_SERVICES = ("disclosures.views", "disclosures.forms", "disclosures.api", "disclosures.dashboard")


def imports_in(path: str, names: tuple[str, ...]) -> list[str]:
    file = ROOT / path
    if not file.exists():
        return []
    pattern = re.compile(rf"^\s*(?:from|import)\s+({'|'.join(re.escape(name) for name in names)})\b", re.MULTILINE)
    return [match.group(0).strip() for match in pattern.finditer(file.read_text())]


def test_the_rules_are_pure() -> None:
    """disclosures/rules.py (all of issue 13's rules too) imports no Django, no model, no service: plain values."""
    assert imports_in("disclosures/rules.py", ("django", "disclosures", "audit", "consent", "protocols")) == []


@pytest.mark.parametrize("path", AFTER_POLICIES + AFTER_SERVICES + AFTER_SELECTORS)
def test_the_lower_layers_import_nothing_above_them(path: str) -> None:
    assert imports_in(path, ABOVE_SERVICES) == []


@pytest.mark.parametrize("path", AFTER_POLICIES + AFTER_SELECTORS)
def test_policies_and_selectors_write_nothing(path: str) -> None:
    assert imports_in(path, ("disclosures.services",)) == []


def test_the_new_policies_are_registered_from_apps_ready() -> None:
    from disclosures.models import Correction, CorrectionNotice, Dispute, InaccuracyReport, OnwardRequest
    from isp_portal.policy import policy_for

    for model in (OnwardRequest, Correction, CorrectionNotice, InaccuracyReport, Dispute):
        assert policy_for(model) is not None, model.__name__
