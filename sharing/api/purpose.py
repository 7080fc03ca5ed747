"""What every read of a child or an entry through the API states: its purpose, in the `X-Purpose` header.

WYCPS ("history of enquiries to the register") and DPA 2018 s62 (logging of consultation with its
justification) ask that every look at a child's data says why. The API takes the purpose from one place for
every operation that shows a child or an entry (search, match, create, read a child, read an entry and its
revisions): a header, because a GET has no body and the query string is written to logs, bookmarks and proxies.
The selectors record it with the audit event of the read.

Also here: service refusals as field errors named by the request's own field paths (an entry's structured
field `fields.contact_date`, an alias `aliases.0.given`), since the services name them that way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions
from rest_framework.request import Request

from isp_portal import bounds, refusals
from sharing import rules

PURPOSE_HEADER = "X-Purpose"
PURPOSE_MISSING = (
    "Say why you are looking, in the X-Purpose header: the purpose is recorded with every read of a child or an entry."
)

PURPOSE_PARAMETER = OpenApiParameter(
    name=PURPOSE_HEADER,
    # Printable ASCII with something other than spaces (header values are not UTF-8: percent-encode).
    type={
        "type": "string",
        "minLength": rules.PURPOSE_MIN,
        "maxLength": bounds.REASON * 3,
        "pattern": r"^[ -~]*[!-~][ -~]*$",
    },
    location=OpenApiParameter.HEADER,
    required=True,
    description=(
        "Why you are looking at this child's information, in words an auditor can judge, for example "
        "`Section 47 enquiry: checking which agencies know the child`. Recorded in the audit trail with the "
        "read (the history of enquiries to the register). Required on every operation that shows a child or an "
        f"entry; at least {rules.PURPOSE_MIN} characters with letters in them (`x` or `ok` is refused) and at "
        f"most {bounds.REASON}; no control characters. Send non-ASCII characters percent-encoded as UTF-8 "
        "(`%C3%A9` for é). A missing or blank purpose is refused with a 400 naming `X-Purpose`."
    ),
)


def stated_purpose(request: Request) -> str:
    """The purpose the request states in X-Purpose, or a 400 naming the header. A read refused for want of a
    purpose is recorded (an attempt to reach a child without saying why); a refused write is recorded by the
    API's exception handler already."""
    raw = request.headers.get(PURPOSE_HEADER, "")
    try:
        purpose = unquote(raw, errors="strict").strip()
    except UnicodeDecodeError:
        purpose, problem = "", "Percent-encode the purpose as UTF-8."
    else:
        problem = PURPOSE_MISSING
    if purpose:
        # The one purpose rule (sharing.rules.purpose_cleaned): the pages and the selectors follow it too.
        try:
            purpose = rules.purpose_cleaned(purpose)
        except rules.RuleError as error:
            purpose, problem = "", str(error)
    if not purpose:
        if request.method not in refusals.WRITE_METHODS:
            refusals.record_refused_request(request, status=400, fields=[PURPOSE_HEADER], reason="no purpose stated")
        raise exceptions.ValidationError({PURPOSE_HEADER: [problem]})
    return purpose


@contextmanager
def field_errors(keep: type[Exception] | None = None) -> Iterator[None]:
    """A service's ValidationError as a 400 whose field names are kept as the service gives them (they are the
    request's field paths), rather than folded into `non_field_errors`. An error of the class `keep` passes
    through untouched (the caller answers it)."""
    try:
        yield
    except DjangoValidationError as error:
        if not hasattr(error, "error_dict") or (keep is not None and isinstance(error, keep)):
            raise
        detail: dict[str, Any] = {name: list(messages) for name, messages in error.message_dict.items()}
        raise exceptions.ValidationError(detail) from None
