"""The child search page's fast path (issue 10, docs/fast-pages.md): the search runs as one prepared statement per
shape of search, and its result rows are built as markup in Python. Both must give what the plain statement and
the template gave: the same rows for every shape of search (spelling variants, aliases, the shield), and the
same markup, escaped as the template escaped it."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.template import Context, Template

from isp_portal.rows import fetch
from sharing import rules
from sharing.models import Child
from sharing.search_rows import search_rows
from sharing.selectors.children import (
    _SEARCH_STATEMENTS,
    SearchResult,
    _search_shape_and_params,
    _search_sql,
    _search_statement,
)
from tests.factories import World
from tests.sharing.fixtures import make_child, sharing_world

# The rows as sharing/search.html wrote them before the presenter (the template's loop, word for word).
TEMPLATE_ROWS = Template(
    "{% load govuk %}{% for result in results %}"
    '<tr class="govuk-table__row">'
    '<td class="govuk-table__cell"><a class="govuk-link" href="{% url \'child-detail\' result.child_id %}">'
    "{{ result.given }} {{ result.family }}</a>{% if result.is_shielded %} "
    '<strong class="govuk-tag govuk-tag--grey">Shielded</strong>{% endif %}</td>'
    '<td class="govuk-table__cell">{{ result.born_on|govuk_date }}</td>'
    '<td class="govuk-table__cell">{% if result.postcode is None %}Withheld{% else %}'
    '{{ result.postcode|default:"Not known" }}{% endif %}</td>'
    '<td class="govuk-table__cell">{{ result.agencies|join:", "|default:"None now" }}</td>'
    "</tr>{% endfor %}"
)


def _squeezed(markup: str) -> str:
    """The markup without the whitespace between tags that the presenter's format string keeps for reading."""
    return "".join(line.strip() for line in markup.splitlines())


def result(**values: Any) -> SearchResult:
    base: dict[str, Any] = {
        "child_id": 7,
        "given": "Aoife",
        "family": "O’Brien",
        "born_on": date(2015, 4, 2),
        "gender": "female",
        "is_shielded": False,
        "postcode": "N1 9GU",
        "setting": "school",
        "agencies": ("Northbridge Council", "St Mary's & Health"),
        "exact": True,
    }
    base.update(values)
    return SearchResult(**base)


@pytest.mark.parametrize(
    "found",
    [
        result(),
        result(given="<script>alert('x')</script>", family='"Quoted" & <b>bold</b>', child_id=982451653),
        result(is_shielded=True, postcode=None, setting=None),
        result(postcode="", agencies=()),
        result(agencies=("<i>Agency</i>",), born_on=date(2008, 2, 29)),
    ],
)
def test_the_result_rows_are_the_markup_the_template_wrote(found: SearchResult) -> None:
    expected = TEMPLATE_ROWS.render(Context({"results": [found, result(child_id=8)]}))
    assert _squeezed(search_rows([found, result(child_id=8)])) == expected
    assert "<script>" not in expected


SEARCHES: list[dict[str, Any]] = [
    {"name": "O'Brien"},
    {"name": "obrien aoife"},
    {"name": "Strauss"},
    {"name": "Smith Jones"},
    {"name": "Sam Smith Jones"},  # three words: matched key by key
    {"name": "Aoife O Brien", "born_on": date(2015, 4, 2)},
    {"name": "Mary OBrien"},  # an alias
    {"name": "molly"},
    {"name": "Aoife O’Brien", "born_on": date(2015, 4, 2)},
    {"name": "Skye Hidden", "born_on": date(2014, 6, 1)},  # shielded: exact name and date of birth
    {"name": "Skye"},  # shielded: not found by a partial name
    {"name": "Skye", "postcode": "M1 1AE"},
    {"name": "Aoife", "nhs_number": "9434765919"},
    {"born_on": date(2015, 4, 2)},
    {"postcode": "N1 9GU"},
    {"postcode": "M1 1AE"},  # shielded: not by postcode
    {"nhs_number": "9434765919"},
    {"nhs_number": "4000000020"},  # shielded: found by its exact NHS number
    {"born_on": date(2015, 4, 2), "postcode": "N1 9GU", "nhs_number": "9434765919"},
    {"name": "Sam Smith", "born_on": date(2015, 4, 2), "postcode": "N1 9GU"},
]


@pytest.mark.django_db
def test_each_shape_of_search_gives_the_rows_of_the_plain_statement(world: World) -> None:
    """The prepared statement of each shape against the same statement sent as plain SQL, on children who bear
    the spelling cases, an alias and the shield; a statement is prepared once per connection and reused."""
    sw = sharing_world(world)

    def child(given: str, family: str, **values: Any) -> Any:
        return make_child(sw, given, family, considered=list(Child.objects.values_list("pk", flat=True)), **values)

    made = [
        child("Aoife", "O’Brien", nhs_number="9434765919"),
        child("Anna", "Strauß", born_on=date(2013, 5, 1), postcode="M1 1AE"),
        child("Sam", "Smith-Jones", born_on=date(2015, 4, 2)),
        child("Mary", "Kelly", aliases=[("previous", "Mary", "O’Brien"), ("known_as", "Molly", "")]),
        child("Skye", "Hidden", born_on=date(2014, 6, 1), shielded=True, postcode="M1 1AE"),
        child("Robin", "Shield", shielded=True, nhs_number="4000000020"),
    ]
    assert len(made) == 6
    shapes = set()
    found_any = 0
    for criteria in SEARCHES * 2:  # twice: the second time each statement is already prepared
        query = rules.name_query(criteria["name"]) if "name" in criteria else None
        shape, params = _search_shape_and_params(
            query, criteria.get("born_on"), criteria.get("nhs_number"), criteria.get("postcode")
        )
        shapes.add(shape)
        prepared = fetch(_search_statement(shape), params)
        assert prepared == fetch(_search_sql(shape), params), criteria
        found_any += bool(prepared)
    assert found_any >= 20
    assert {shape[0] for shape in shapes} == {None, "capped", "keys", "candidates"}
    names = {_search_statement(shape).name for shape in shapes}
    assert len(names) == len(shapes) and all(name.startswith("isp_child_search_") for name in names)
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements WHERE name LIKE 'isp_child_search_%%'")
        assert {row[0] for row in cursor.fetchall()} >= names
    assert len(_SEARCH_STATEMENTS) <= 4 * 2 * 2 * 2


TYPED = "O'Brien <script>alert('x')</script> \"q\" & <b>b</b>"


@pytest.mark.parametrize(
    "data",
    [
        None,  # the empty form of a GET
        {"purpose": "Safeguarding", "name": "Aoife O'Brien"},
        {"purpose": TYPED, "name": TYPED, "nhs_number": TYPED, "postcode": TYPED},
        {"purpose": "", "name": "Sam"},  # the purpose missing
        {"purpose": "x" * 2001, "name": "x" * 401, "nhs_number": "1" * 21, "postcode": "p" * 17},  # too long
        {"purpose": "p", "born_on_day": "1", "born_on_month": "", "born_on_year": "2015"},  # a part missing
        {"purpose": "p", "born_on_day": "31", "born_on_month": "2", "born_on_year": "2015"},  # not a real date
        {"purpose": "p", "born_on_day": "2", "born_on_month": "4", "born_on_year": "2015", "postcode": "n1 9gu"},
        {"purpose": "p", "born_on_day": TYPED, "born_on_month": "<i>", "born_on_year": "1890"},
        {"purpose": "p", "name": "\n  spaced  \n"},
    ],
)
def test_the_search_form_is_the_markup_the_form_templates_gave(data: dict[str, str] | None) -> None:
    from sharing.forms import SearchForm
    from sharing.search_rows import search_form_markup

    form = SearchForm(data)
    if data is not None:
        form.is_valid()
    expected = str(SearchForm(data)) if data is None else _rendered_after_validation(data)
    assert _squeezed(search_form_markup(form)) == _squeezed(expected)
    assert "<script>" not in expected


def _rendered_after_validation(data: dict[str, str]) -> str:
    from sharing.forms import SearchForm

    form = SearchForm(data)
    form.is_valid()
    return str(form)


def test_a_service_error_on_a_field_is_shown_as_the_templates_showed_it() -> None:
    """The search's own refusals (a check digit, a postcode) are added to the form after validation."""
    from django.core.exceptions import ValidationError

    from agencies.forms import add_service_errors
    from sharing.forms import SearchForm
    from sharing.search_rows import search_form_markup

    def refused() -> SearchForm:
        # A purpose the rule accepts (the form checks it now: sharing.forms.PurposeField).
        form = SearchForm(
            {"purpose": "Checking before a strategy meeting", "nhs_number": "943 476 5918", "postcode": "EC1V OBW"}
        )
        assert form.is_valid()
        add_service_errors(
            form, ValidationError({"nhs_number": "The check digit should be 9", "postcode": "Did you mean <EC1V 0BW>?"})
        )
        return form

    markup = search_form_markup(refused())
    assert _squeezed(markup) == _squeezed(str(refused()))
    assert "govuk-input--error" in markup and "Did you mean &lt;EC1V 0BW&gt;?" in markup


@pytest.mark.django_db
def test_the_signatory_agencies_statement_answers_as_the_orm_query_did(world: World) -> None:
    """sharing.policy.signatory_agencies (one prepared statement) against the ORM query it replaced, for every
    user of the world, before and after a signature is withdrawn and a protocol leaves force."""
    from django.db.models import F

    from agencies.models import Membership
    from protocols.models import IN_FORCE_STATUSES, Protocol, ProtocolStatus, Signature
    from protocols.services import signature_withdraw
    from sharing.policy import signatory_agencies
    from tests.factories import SYSTEM
    from tests.sharing.fixtures import fresh

    sw = sharing_world(world)

    def orm(user: Any) -> frozenset[int]:
        mine = list(Membership.objects.filter(user=user, agency__isnull=False).values_list("agency_id", flat=True))
        return frozenset(
            Signature.objects.filter(
                agency_id__in=mine,
                withdrawn_at__isnull=True,
                version_id=F("protocol__current_version_id"),
                protocol__status__in=IN_FORCE_STATUSES,
            ).values_list("agency_id", flat=True)
        )

    def compare() -> set[int]:
        seen: set[int] = set()
        for user in sw.users.values():
            answer = signatory_agencies(fresh(user))
            assert answer == orm(user), user
            seen |= answer
        return seen

    assert {sw.home.pk, sw.other.pk} <= compare()
    signature_withdraw(
        actor=SYSTEM, signature=Signature.objects.get(agency=sw.other, withdrawn_at__isnull=True), reason="Left"
    )
    assert sw.other.pk not in compare()
    Protocol.objects.update(status=ProtocolStatus.RETIRED)  # a bulk write: no constraint on the way out here
    assert compare() == set()
