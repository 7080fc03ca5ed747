"""Names, dates and counts are written one way everywhere (issue 8 item 14: "Services's", "0 comment",
"Registration number: None", and dates shown both as "04 December 2026" and "4 December 2026")."""

from __future__ import annotations

import datetime
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.template import Context, Template

from isp_portal.wording import counted, long_date, long_datetime, possessive
from tests.factories import World

ROOT = Path(__file__).resolve().parents[2]


def _tracked(*patterns: str) -> list[Path]:
    listed = subprocess.run(["git", "ls-files", *patterns], cwd=ROOT, capture_output=True, text=True, check=True)
    return [ROOT / name for name in listed.stdout.split() if not name.startswith("tests/")]


def test_possessive_of_a_name_ending_in_s() -> None:
    assert possessive("Home Council Children's Services") == "Home Council Children's Services'"
    assert possessive("Ada Admin") == "Ada Admin's"
    assert possessive("NHS TRUSTS") == "NHS TRUSTS'"


def test_one_date_format_without_a_leading_zero() -> None:
    assert long_date(datetime.date(2026, 12, 4)) == "4 December 2026"
    moment = datetime.datetime(2026, 12, 4, 0, 30, tzinfo=datetime.UTC)
    assert long_date(moment) == "4 December 2026"
    summer = datetime.datetime(2026, 6, 4, 23, 30, tzinfo=datetime.UTC)  # 00:30 on the 5th in London
    assert long_date(summer) == "5 June 2026" and long_datetime(summer) == "5 June 2026, 00:30"


@pytest.mark.parametrize(("count", "expected"), [(0, "0 comments"), (1, "1 comment"), (2, "2 comments")])
def test_counts_agree_with_their_noun(count: int, expected: str) -> None:
    assert counted(count, "comment") == expected


def test_the_template_filters_say_the_same() -> None:
    rendered = Template(
        '{% load govuk %}{{ name|possessive }}|{{ day|govuk_date }}|{{ n|counted_as:"agency,agencies" }}|'
        '{{ one|counted_as:"agency,agencies" }}|{{ missing|govuk_date }}'
    ).render(Context({"name": "Services", "day": datetime.date(2026, 12, 4), "n": 0, "one": 1, "missing": None}))
    assert rendered.replace("&#x27;", "'") == "Services'|4 December 2026|0 agencies|1 agency|"


def test_no_page_or_message_formats_a_date_or_a_possessive_by_hand() -> None:
    """The whole kind: every date goes through long_date/govuk_date and every possessive through possessive."""
    offenders = []
    for path in _tracked("*.py"):
        text = path.read_text()
        if path.name == "wording.py":
            continue
        for pattern in (r"%d %[bB]", r"%-d %[bB]", r"\}['\u2019]s\b"):
            offenders += [f"{path.relative_to(ROOT)}: {pattern}" for _ in re.finditer(pattern, text)]
    for path in _tracked("*.html", "*.txt"):
        text = path.read_text()
        # Only month-and-year formats may be written out (a chart's column headings).
        for match in re.finditer(r'\|date(?::"([^"]*)")?', text):
            if match.group(1) not in {"M Y", "F Y"}:
                offenders.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
        for pattern in (r"\}\}['\u2019]s\b", r'default:"None"'):
            offenders += [f"{path.relative_to(ROOT)}: {pattern}" for _ in re.finditer(pattern, text)]
    assert not offenders, "\n".join(offenders)


@pytest.mark.django_db
def test_the_agency_page_and_its_message(world: World, client_for: Any) -> None:
    client = client_for("partnership_admin")
    page = client.get(f"/agencies/{world.home.pk}/").content.decode()
    assert "Not recorded" in page and ">None<" not in page
    assert "0 of 3 people with valid training" in page and "0 of 1 requirement confirmed" not in page
    response = client.post(
        f"/agencies/{world.home.pk}/edit/",
        {"name": world.home.name, "kind": world.home.kind, "sector": world.home.sector, "area": world.home.area_id},
        follow=True,
    )
    text = response.content.decode().replace("&#x27;", "'")
    assert "Home Council Children's Services' details have been saved." in text


# The documents the portal was built from, by the names the code's comments cite them. Users are told the clause
# of their own protocol (ProtocolVersion.cite; issue 8 item 13), never a section of a document they have not seen.
_INTERNAL_DOCUMENTS = re.compile(r"\b(DESIGN|design12|Haringey|Southampton|Buckinghamshire|Bucks|Barnet|WYCPS)\b")
# A command's example argument, not a citation: Haringey is a London borough.
_NOT_CITATIONS = {"Give the GSS code and the name: areas add E09000014 Haringey"}


def _user_facing_literals(path: Path) -> list[tuple[int, str]]:
    """Every string literal of a module except its docstrings (comments are not literals)."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_no_message_names_the_documents_the_portal_was_built_from() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}: {text[:80]!r}"
        for path in _tracked("*.py")
        if "migrations" not in path.parts and path.parts[len(ROOT.parts)] not in {"benchmarks", "scripts"}
        for line, text in _user_facing_literals(path)
        if _INTERNAL_DOCUMENTS.search(text) and text not in _NOT_CITATIONS
    ]
    templates = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in _tracked("*.html", "*.txt")
        for match in [
            _INTERNAL_DOCUMENTS.search(
                re.sub(
                    r"\{#.*?#\}|\{% comment %\}.*?\{% endcomment %\}", "", path.read_text(encoding="utf-8"), flags=re.S
                )
            )
        ]
        if match
    ]
    assert not found + templates, "\n".join(found + templates)
