"""The permission matrix's vocabulary: who asks (the principals), and what one row of the table says.

Each `Case` is one request (route, method, arguments) and the status every principal must get. The
principals are the World's users plus "anonymous" and "token" (the home agency's API token).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.test import Client

from agencies.models import Role
from agencies.services import api_token_create
from tests.factories import SYSTEM, World, sign_in

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
)
SIGNED_IN = tuple(p for p in PRINCIPALS if p not in {"anonymous", "token"})


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

    def __post_init__(self) -> None:
        missing = set(PRINCIPALS) - set(self.expect)
        extra = set(self.expect) - set(PRINCIPALS)
        assert not missing and not extra, f"{self.route}: principals missing {missing}, unknown {extra}"

    @property
    def id(self) -> str:
        return f"{self.method.upper()} {self.route}{' ' + self.note if self.note else ''}"


def expect(default: int, **overrides: int) -> dict[str, int]:
    """Every principal gets `default` unless named."""
    table = dict.fromkeys(PRINCIPALS, default)
    table.update(overrides)
    return table


def html_signed_in(status: int = 200, **overrides: int) -> dict[str, int]:
    """An HTML page for signed-in people: anonymous and token callers are sent to sign in."""
    return expect(status, anonymous=302, token=302, **overrides)


def api_signed_in(status: int = 200, **overrides: int) -> dict[str, int]:
    """An API endpoint: no credentials get 401; the agency token is a signed-in principal."""
    return expect(status, anonymous=401, **overrides)


def only(statuses: Mapping[str, int], *, otherwise: int, anonymous: int, token: int) -> dict[str, int]:
    table = dict.fromkeys(PRINCIPALS, otherwise)
    table.update(anonymous=anonymous, token=token)
    table.update(statuses)
    return table


HOME_TOKEN = "isp_tests-home-agency-token-0000000000000000000000"


def client_as(world: World, principal: str) -> Client:
    client = Client()
    if principal == "anonymous":
        return client
    if principal == "token":
        if "token" not in world.objects:
            api_token_create(
                actor=SYSTEM,
                agency=world.home,
                name="Test system",
                roles=[Role.AGENCY_ADMIN],
                secret=HOME_TOKEN,
            )
            world.objects["token"] = HOME_TOKEN
        return Client(HTTP_AUTHORIZATION=f"Bearer {HOME_TOKEN}")
    user = world.users[principal]
    return sign_in(client, user)


def prepare_request(case: Case, world: World, principal: str) -> Callable[[], Any]:
    """Set up everything a row's request needs (the signed-in client, the objects it points at) and return
    the request itself, ready to send: so that counting its queries counts only the request."""
    from django.urls import reverse

    client = client_as(world, principal)
    url = reverse(case.route, kwargs=case.kwargs(world))
    data = case.data(world) if case.data else None
    call = getattr(client, case.method)
    if case.json and data is not None:
        return lambda: call(url, data=data, content_type="application/json")
    return lambda: call(url, data=data) if data is not None else call(url)


def make_request(case: Case, world: World, principal: str) -> Any:
    return prepare_request(case, world, principal)()
