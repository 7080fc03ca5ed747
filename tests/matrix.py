"""The permission matrix's vocabulary: who asks (the principals), and what one row of the table says.

Each `Case` is one request (route, method, arguments) and the status every principal must get. The
principals are the World's users plus "anonymous", two API tokens of the home agency ("token": read-only
scopes, register:read and people:read; "people_token": register:read, people:admin and training:write;
"children_token": the token's scopes with children:write and records:write, issue 10), and "suspended"
(the admin of an agency that is suspended, issue 8 item 4), and "untrained_partnership_admin" (a partnership
admin without valid information-sharing training: the training gate keeps them out of the child index, issue 10).

A Case that does not name "people_token" or "children_token" expects of it what it expects of "token" (the
children token's account holds the same roles, and its extra scopes reach only the sharing app), and one that does not
name "suspended" what it expects of "other_agency" (another agency's person), and one that does not name
"untrained_partnership_admin" what it expects of "partnership_admin" (the governance pages need no training):
name them where they differ.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.test import Client

from agencies.models import AgencyKind, AgencyStatus, Role, Sector, TokenScope
from agencies.services import agency_status_change
from tests.factories import SYSTEM, World, make_agency, make_api_token, make_user, sign_in

PRINCIPALS = (
    "anonymous",
    "practitioner",
    "designated_manager",
    "agency_admin",
    "partnership_admin",
    "auditor",
    "other_agency",
    "no_role",
    "token",
    "people_token",
    "children_token",
    "suspended",
    "untrained_partnership_admin",
)
TOKENS = ("token", "people_token", "children_token")
SIGNED_IN = tuple(p for p in PRINCIPALS if p not in {"anonymous", *TOKENS})
# The defaults of the principals added later (see the module's docstring).
DEFAULT_LIKE = {
    "people_token": "token",
    "children_token": "token",
    "suspended": "other_agency",
    "untrained_partnership_admin": "partnership_admin",
}


@dataclass(frozen=True)
class Case:
    route: str
    expect: Mapping[str, int]
    method: str = "get"
    # Builds the URL arguments (and any objects they point at) for one principal's request.
    kwargs: Callable[[World], dict[str, Any]] = field(default=lambda world: {})
    data: Callable[[World], dict[str, Any]] | None = None
    json: bool = False
    note: str = ""
    # SQL statements for the measured principal (tests/test_query_counts.py); it must not grow with data.
    queries: int | None = None
    # Request headers (the X-Purpose of a read of a child: sharing.api.purpose).
    headers: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        table = dict(self.expect)
        for principal, like in DEFAULT_LIKE.items():
            if principal not in table and like in table:
                table[principal] = table[like]
        object.__setattr__(self, "expect", table)
        missing = set(PRINCIPALS) - set(self.expect)
        extra = set(self.expect) - set(PRINCIPALS)
        assert not missing and not extra, f"{self.route}: principals missing {missing}, unknown {extra}"

    @property
    def id(self) -> str:
        return f"{self.method.upper()} {self.route}{' ' + self.note if self.note else ''}"


def like_defaults(overrides: Mapping[str, int]) -> dict[str, int]:
    """The overrides, with the later principals following theirs (DEFAULT_LIKE) unless named."""
    table = dict(overrides)
    for principal, like in DEFAULT_LIKE.items():
        if principal not in table and like in table:
            table[principal] = table[like]
    return table


def expect(default: int, **overrides: int) -> dict[str, int]:
    """Every principal gets `default` unless named."""
    table = dict.fromkeys(PRINCIPALS, default)
    table.update(like_defaults(overrides))
    return table


def html_signed_in(status: int = 200, **overrides: int) -> dict[str, int]:
    """An HTML page for signed-in people: anonymous and token callers are sent to sign in."""
    return expect(status, anonymous=302, token=302, people_token=302, **overrides)


def api_signed_in(status: int = 200, **overrides: int) -> dict[str, int]:
    """An API endpoint: no credentials get 401; the agency token is a signed-in principal."""
    return expect(status, anonymous=401, **overrides)


def only(statuses: Mapping[str, int], *, otherwise: int, anonymous: int, token: int) -> dict[str, int]:
    table = dict.fromkeys(PRINCIPALS, otherwise)
    table.update(anonymous=anonymous, token=token, people_token=token, children_token=token)
    table.update(like_defaults(statuses))
    return table


HOME_TOKEN = "isp_tests-home-agency-token-0000000000000000000000"
PEOPLE_TOKEN = "isp_tests-home-people-token-0000000000000000000000"
CHILDREN_TOKEN = "isp_tests-home-children-token-00000000000000000000"
TOKEN_SCOPES = {
    "token": (HOME_TOKEN, [TokenScope.REGISTER_READ, TokenScope.PEOPLE_READ]),
    "people_token": (PEOPLE_TOKEN, [TokenScope.REGISTER_READ, TokenScope.PEOPLE_ADMIN, TokenScope.TRAINING_WRITE]),
    "children_token": (
        CHILDREN_TOKEN,
        [TokenScope.REGISTER_READ, TokenScope.PEOPLE_READ, TokenScope.CHILDREN_WRITE, TokenScope.RECORDS_WRITE],
    ),
}


def suspended_admin(world: World) -> Any:
    """The admin of a partner agency that the partnership has suspended (made once per world)."""
    if "suspended" not in world.users:
        agency = make_agency("Suspended Youth Project", kind=AgencyKind.VOLUNTARY, sector=Sector.VOLUNTARY)
        world.users["suspended"] = make_user(name="Sue Suspended", agency=agency, roles=[Role.AGENCY_ADMIN])
        agency_status_change(actor=SYSTEM, agency=agency, to_status=AgencyStatus.SUSPENDED, reason="Breach sanction")
        world.objects["suspended_agency"] = agency
    return world.users["suspended"]


def untrained_partnership_admin(world: World) -> Any:
    """A partnership admin whose information-sharing training was never recorded (made once per world; the
    World's own partnership admin is trained wherever the child index is used: tests.sharing.fixtures)."""
    if "untrained_partnership_admin" not in world.users:
        world.users["untrained_partnership_admin"] = make_user(
            name="Uma Untrained Partnership", agency=None, roles=[Role.PARTNERSHIP_ADMIN]
        )
    return world.users["untrained_partnership_admin"]


PRINCIPAL_MAKERS: dict[str, Callable[[World], Any]] = {
    "suspended": suspended_admin,
    "untrained_partnership_admin": untrained_partnership_admin,
}


def client_as(world: World, principal: str) -> Client:
    client = Client()
    if principal == "anonymous":
        return client
    if principal in TOKEN_SCOPES:
        secret, scopes = TOKEN_SCOPES[principal]
        key = f"{principal}-secret"
        if key not in world.objects:
            make_api_token(world.home, scopes, name=f"Test system ({principal})", secret=secret)
            world.objects[key] = secret
        return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    maker = PRINCIPAL_MAKERS.get(principal)
    user = maker(world) if maker is not None else world.users[principal]
    return sign_in(client, user)


def prepare_request(case: Case, world: World, principal: str) -> Callable[[], Any]:
    """Set up everything a row's request needs (the signed-in client, the objects it points at) and return
    the request itself, ready to send: so that counting its queries counts only the request."""
    from django.urls import reverse

    client = client_as(world, principal)
    url = reverse(case.route, kwargs=case.kwargs(world))
    data = case.data(world) if case.data else None
    call = getattr(client, case.method)
    headers = dict(case.headers)
    if case.json and data is not None:
        return lambda: call(url, data=data, content_type="application/json", headers=headers)
    return lambda: call(url, data=data, headers=headers) if data is not None else call(url, headers=headers)


def make_request(case: Case, world: World, principal: str) -> Any:
    return prepare_request(case, world, principal)()
