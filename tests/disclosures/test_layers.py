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
