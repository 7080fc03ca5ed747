"""The child index API (issue 10; DESIGN 2.3, 3.2): create a child (one entry per child: likely matches first),
check for likely matches, search, read a child at the caller's tier, add names, record moves, merge duplicates.

Thin: bodies are parsed here, the selectors read (each read audited with the purpose of the X-Purpose header,
sharing.api.purpose) and the services write, exactly as the pages do. What the caller may not see of a child is
absent from the answer, never null (sharing.api.shapes).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from audit.services import audit_record
from isp_portal import policy
from isp_portal.api import PolicyViewMixin, parse_input
from sharing import selectors, services
from sharing.api.child_shapes import (
    CHILD_FIELDS,
    FIELDS_PARAMETER_HELP,
    AddressIn,
    ChildChangeIn,
    ChildCreateIn,
    ChildMinimumOut,
    ChildOut,
    DuplicatesErrorOut,
    MatchIn,
    MergeIn,
    MergeOut,
    NameIn,
    ReadIn,
    ReopenIn,
    ReopenOut,
    SearchIn,
    SearchOut,
    ShieldIn,
    ShieldOut,
    UnshieldIn,
    child_minimum_out,
    child_out,
    reopen_out,
    search_out,
    search_result_out,
    shield_out,
)
from sharing.api.entries import EntryIn, recorded_entry_out
from sharing.api.involvements import InvolvementIn
from sharing.api.purpose import PURPOSE_PARAMETER, field_errors, stated_purpose
from sharing.api.shapes import (
    AddressOut,
    EntryOut,
    InvolvementOut,
    NameOut,
    address_out,
    involvement_out,
    name_out,
)
from sharing.models import Child, ChildName, NameKind
from sharing.policy import CHILD_INDEX
from sharing.rules import NAME_SOUNDS_ALIKE_MIN, SEARCH_CRITERIA_HINT
from sharing.search_pace import SearchesTooFrequent
from sharing.services.retention import child_reopen


def _wanted_fields(request: Request) -> list[str] | None:
    """The fields asked for in `?fields=` (None: all the reader may see); unknown names refused by name."""
    given = parse_input(ReadIn, request.query_params, request).get("fields")
    if given is None:
        return None
    wanted = [name.strip() for name in given.split(",") if name.strip()]
    unknown = [name for name in wanted if name not in CHILD_FIELDS]
    if unknown or not wanted:
        raise exceptions.ValidationError(
            {
                "fields": [
                    f"Choose from: {', '.join(CHILD_FIELDS)}."
                    + (f" Unknown: {', '.join(unknown)[:200]}." if unknown else "")
                ]
            }
        )
    return wanted


# --- Views ------------------------------------------------------------------------------------------------------

MATCHES_409 = OpenApiResponse(
    DuplicatesErrorOut,
    description="Children already in the index may be this one: `matches` lists them (minimum data, shielded "
    "children only on exact terms). Add your involvement to the right one instead (POST "
    "/api/v1/children/{id}/involvements/), or send the request again with their ids in `considered`. Nothing "
    "was created.",
)


@contextmanager
def _paced() -> Iterator[None]:
    """A read of the register past the person's pace (sharing.search_pace) as the API's 429 with Retry-After:
    the search, the duplicate check and the duplicates a create answers with count alike."""
    try:
        yield
    except SearchesTooFrequent as refusal:
        raise exceptions.Throttled(wait=refusal.retry_after, detail=refusal.message) from None


class ChildViewSet(PolicyViewMixin, viewsets.GenericViewSet[Child]):
    """The child index: one entry per child with its minimum data (Haringey 3.8), for practitioners of signatory
    agencies with valid training, and API tokens with the children scopes."""

    policy_model = Child
    serializer_class = ChildOut

    def base_queryset(self) -> QuerySet[Child]:
        return Child.objects.all()

    def _child(self, pk: Any, action_name: str) -> Child:
        return policy.get_or_deny(self.request.user, self.base_queryset(), action=action_name, pk=pk)

    @extend_schema(
        summary="Add a child to the index",
        description="Creates the child with its legal name, aliases, current address and your agency's "
        "involvement. Before creating, the index is checked for likely existing entries (same NHS number; or the "
        "same date of birth with a similar name or the same postcode): if any is found that you have not listed "
        "in `considered`, nothing is created and the answer is 409 with the matches. Refused with 400 by field: "
        "an NHS number with a wrong check digit, a malformed postcode (with the postcode meant, when one letter "
        "was typed for a digit), a date of birth in the future or outside the protocol's age scope (naming the "
        "rule). Needs X-Purpose: the duplicate check and the answer show children. The duplicate check behind a "
        "409 counts with the searches (POST .../search/): past their pace the answer is 429 with Retry-After.",
        parameters=[PURPOSE_PARAMETER],
        request=ChildCreateIn,
        responses={201: ChildOut, 409: MATCHES_409},
    )
    def create(self, request: Request) -> Response:
        # Who may use the index is asked before the purpose or the body is read: a token outside its scopes is
        # refused for its scopes (issue 8), not for a missing header.
        policy.require(request.user, "view", CHILD_INDEX)
        purpose = stated_purpose(request)
        values = parse_input(ChildCreateIn, request.data, request)
        data = services.MinimumData(
            **{name: values.pop(name) for name in list(values) if name in services.MinimumData.__dataclass_fields__}
        )
        aliases = [(alias["kind"], alias["given"], alias["family"]) for alias in values.pop("aliases", [])]
        try:
            with field_errors(keep=services.PossibleDuplicates):
                child = services.child_create(actor=request.user, data=data, aliases=aliases, **values)
        except services.PossibleDuplicates as duplicates:
            # The matches are a read of the register like a search: paced like one (nothing was created).
            with _paced():
                found = selectors.likely_matches(
                    principal=request.user,
                    purpose=purpose,
                    given=values["given"],
                    family=values["family"],
                    born_on=data.born_on,  # type: ignore[arg-type]  # checked by the service before matching
                    nhs_number=data.nhs_number or None,
                    postcode=values["postcode"] or None,
                )
            message = duplicates.message_dict["considered"][0]
            return Response(
                {
                    "error": {
                        "status": 409,
                        "code": "possible_duplicates",
                        "message": message,
                        "fields": {"considered": [message]},
                    },
                    "matches": [search_result_out(result, match=True) for result in found.results],
                },
                status=status.HTTP_409_CONFLICT,
            )
        record = selectors.child_record(principal=request.user, child_id=child.pk, purpose=purpose)
        return Response(child_out(record), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Likely existing entries for a child about to be added",
        description="The children already in the index that may be this one (same NHS number; or the same date "
        "of birth with a similar name or the same postcode), as search results. A closed record is offered only "
        "for the same NHS number, with `status` `closed`: no involvement can be added to it (ask a partnership "
        "admin); an erased one never. A one-letter name is read only with a whole name: with neither a whole "
        "name nor an NHS number or postcode the check is refused (400 on `given`). Audited as a search of the "
        "register with its purpose and the criteria given (never their values), which `criteria` lists; counted "
        "with the searches: at most "
        f"{settings.CHILD_SEARCHES_PER_MINUTE} a minute per token (searches and checks together), more answered "
        "429 with Retry-After, and recorded.",
        parameters=[PURPOSE_PARAMETER],
        request=MatchIn,
        responses=SearchOut,
    )
    @action(detail=False, methods=["post"])
    def match(self, request: Request) -> Response:
        # Who may use the index is asked before the purpose or the body is read: a token outside its scopes is
        # refused for its scopes (issue 8), not for a missing header.
        policy.require(request.user, "view", CHILD_INDEX)
        purpose = stated_purpose(request)
        values = parse_input(MatchIn, request.data, request)
        with field_errors(), _paced():
            found = selectors.likely_matches(
                principal=request.user,
                purpose=purpose,
                given=values["given"],
                family=values["family"],
                born_on=values["born_on"],
                nhs_number=values["nhs_number"] or None,
                postcode=values["postcode"] or None,
                asked_alone=True,
            )
        return Response(search_out(found, match=True))

    @extend_schema(
        summary="Search the child index",
        description="Children matching every criterion given (at least one): a name (any of its names and "
        "aliases, in any order, tolerant of spelling, accents, hyphens and apostrophes), a date of birth, an NHS "
        "number, a postcode. The criteria are in the body, never the query string (they identify a child). "
        f"{SEARCH_CRITERIA_HINT} Words shorter than {NAME_SOUNDS_ALIKE_MIN} letters match only as written. "
        "Too few criteria are refused with a 400 naming `name` (a date of birth alone: naming `born_on`). At most "
        f"{settings.CHILD_SEARCHES_PER_MINUTE} searches a minute per token: more are answered 429 with "
        "Retry-After, and recorded. "
        "Results show the minimum data and which agencies are involved, at most 50 (`more` says there are "
        "others). A shielded child appears only for its exact NHS number or exact full name with date of birth, "
        "never for a search that gives a postcode (whatever the postcode), without its postcode or setting, and "
        "its agency is told. Audited with the purpose, the criteria used "
        "(never their values) and the count.",
        parameters=[PURPOSE_PARAMETER],
        request=SearchIn,
        responses=SearchOut,
    )
    @action(detail=False, methods=["post"])
    def search(self, request: Request) -> Response:
        # Who may use the index is asked before the purpose or the body is read: a token outside its scopes is
        # refused for its scopes (issue 8), not for a missing header.
        policy.require(request.user, "view", CHILD_INDEX)
        purpose = stated_purpose(request)
        values = parse_input(SearchIn, request.data, request)
        with field_errors(), _paced():
            found = selectors.child_search(
                principal=request.user,
                purpose=purpose,
                name=values["name"] or None,
                born_on=values["born_on"],
                nhs_number=values["nhs_number"] or None,
                postcode=values["postcode"] or None,
            )
        return Response(search_out(found))

    @extend_schema(
        summary="Read a child's record",
        description="The child's minimum data, names, addresses, involvements, which categories of entry each "
        "agency holds, and the entries you may know of, each at your level: the content of your own agency's "
        "entries, and of entries disclosed to you; nothing of the content of others'. Restricted entries exist "
        "only for staff authorised for restricted information. A shielded child's address, phone and setting are "
        "absent unless your agency is involved. What you may not see is absent, never null. `status` says whether "
        "the record is open, closed (kept for reference only: `closed_on`, `closed_under`, `erase_due_on`) or "
        "erased (`erased_on`), as its page does, and `reopenings` lists each time a partnership admin reopened it "
        "after a closing (when, by whom, and why: the reason absent where `close_reason` would be withheld, and "
        "once erased). `name_corrections` lists each correction of a legal name recorded wrongly, as the page "
        "lists them with the names (when, by whom, and why: the reason absent where the shield withholds the "
        "other names, and once erased). Audited with the purpose.",
        parameters=[
            PURPOSE_PARAMETER,
            OpenApiParameter("fields", str, description=FIELDS_PARAMETER_HELP),
        ],
        responses=ChildOut,
    )
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        wanted = _wanted_fields(request)
        purpose = stated_purpose(request)

        def fields_shown(record: selectors.ChildRecord) -> None:
            # Judged before the read is recorded: a read refused for its fields showed nothing (no child.view).
            hidden = sorted(set(wanted or ()) - set(child_out(record)))
            if hidden:
                audit_record(
                    kind="access.refused",
                    actor=request.user,
                    outcome="denied",
                    target=record.child,
                    child_id=record.child.pk,
                    purpose=purpose,
                    detail={"fields": hidden, "reason": "fields withheld from the reader's tier"},
                )
                raise exceptions.ValidationError(
                    {
                        "fields": [
                            f"You may not see {', '.join(hidden)} of this child: a shielded child's address, phone "
                            "and setting are shown only to the agencies involved with it."
                        ]
                    }
                )

        record = selectors.child_record(principal=request.user, child_id=pk, purpose=purpose, check=fields_shown)
        body = child_out(record)
        if wanted is not None:
            body = {name: value for name, value in body.items() if name == "id" or name in wanted}
        return Response(body)

    @extend_schema(
        summary="Change a child's minimum data",
        description="An agency involved with the child changes the fields sent, and only those (the address has "
        "its own history: POST .../addresses/; aliases: POST .../names/). `given` and `family` change the legal "
        "name: with `name_change` `change` the old one is kept as a previous name, and searches find the child by "
        "either; `correction` (with a `reason`) replaces a name recorded wrongly. The same name is no change. "
        "Checked as at creation, refused with 400 by field and nothing written: an NHS number with a wrong check "
        "digit (the check digit named) or one another child has (ask a partnership admin to merge the two "
        "entries), a date of birth in the future or after the child was recorded, a date of birth or a flag taken "
        "away that would take the child out of the protocol's age scope (naming the rule). Audited with the "
        "fields changed.",
        request=ChildChangeIn,
        responses=ChildMinimumOut,
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        child = self._child(pk, "change")
        values = parse_input(ChildChangeIn, request.data, request)
        how = {"name_change": values.pop("name_change"), "reason": values.pop("reason")}
        legal = ChildName.objects.filter(child=child, kind=NameKind.LEGAL).first()
        name = None
        if "given" in values or "family" in values:
            name = (
                values.pop("given", legal.given if legal else ""),
                values.pop("family", legal.family if legal else ""),
            )
        with field_errors():
            child = services.child_update(
                actor=request.user, child=child, data=services.minimum_data_of(child, **values), name=name, **how
            )
        if name is not None:
            legal = ChildName.objects.filter(child=child, kind=NameKind.LEGAL).first()
        return Response(child_minimum_out(child, legal))

    @extend_schema(
        summary="Shield a child",
        description="An agency involved with the child shields it (the ContactPoint shield): agencies not involved "
        "find it only by its exact NHS number or exact full name with date of birth, and never see its address, "
        "setting or phone; the shielding agency is told of every access, and the other involved agencies that it "
        "is shielded. With a reason (audited). A child already shielded: 403.",
        request=ShieldIn,
        responses=ShieldOut,
    )
    @action(detail=True, methods=["post"])
    def shield(self, request: Request, pk: str | None = None) -> Response:
        child = self._child(pk, "shield")
        values = parse_input(ShieldIn, request.data, request)
        with field_errors():
            child = services.child_shield(actor=request.user, child=child, **values)
        return Response(shield_out(child))

    @extend_schema(
        summary="Lift a child's shield",
        description="A designated manager of the shielding agency, in person (never an API token), lifts the "
        "shield with a reason (audited); the other involved agencies are told. A child not shielded: 403.",
        request=UnshieldIn,
        responses=ShieldOut,
    )
    @action(detail=True, methods=["post"])
    def unshield(self, request: Request, pk: str | None = None) -> Response:
        child = self._child(pk, "unshield")
        values = parse_input(UnshieldIn, request.data, request)
        with field_errors():
            child = services.child_unshield(actor=request.user, child=child, **values)
        return Response(shield_out(child))

    @extend_schema(
        summary="Reopen a closed record",
        description="A partnership admin reopens a record closed in error (for example on a wrong date of birth), "
        "with a reason (audited); the lead professionals of its open involvements are told. The closing is undone "
        "and the record is no longer due for erasure; the next check of the age scope judges it afresh (past the "
        "scope with nothing to keep it: a new closing date, a grace period later). A record that is open, merged "
        "or whose content was erased: 403. A reason left out or too long: 400 naming `reason`.",
        request=ReopenIn,
        responses=ReopenOut,
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str | None = None) -> Response:
        child = self._child(pk, "reopen")
        values = parse_input(ReopenIn, request.data, request)
        with field_errors():
            child = child_reopen(actor=request.user, child=child, **values)
        return Response(reopen_out(child))

    @extend_schema(
        summary="Add a previous or known-as name",
        description="An agency involved with the child adds an alias; it is searched like every other name.",
        request=NameIn,
        responses={201: NameOut},
    )
    @action(detail=True, methods=["post"])
    def names(self, request: Request, pk: str | None = None) -> Response:
        child = self._child(pk, "change")
        values = parse_input(NameIn, request.data, request)
        with field_errors():
            name = services.child_name_add(actor=request.user, child=child, **values)
        return Response(name_out(name), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Record a move",
        description="An agency involved with the child records its new address: the current one ends the day "
        "before `moved_on` (or on that day, when it began that day), so the address history is kept. A move before "
        "the current address began is refused by field.",
        request=AddressIn,
        responses={201: AddressOut},
    )
    @action(detail=True, methods=["post"])
    def addresses(self, request: Request, pk: str | None = None) -> Response:
        child = self._child(pk, "change")
        values = parse_input(AddressIn, request.data, request)
        with field_errors():
            address = services.child_address_change(actor=request.user, child=child, **values)
        return Response(address_out(address), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Add your agency's involvement",
        description="Record that one of your agency's services works with this child (instead of adding a second "
        "entry for the same child). One open involvement per service.",
        request=InvolvementIn,
        responses={201: InvolvementOut},
    )
    @action(detail=True, methods=["post"])
    def involvements(self, request: Request, pk: str | None = None) -> Response:
        child = self._child(pk, "add_involvement")
        values = parse_input(InvolvementIn, request.data, request)
        with field_errors():
            involvement = services.involvement_add(actor=request.user, child=child, **values)
        return Response(involvement_out(involvement), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Record an entry about the child",
        description="Your agency (involved with the child) records information in one category, with its "
        "structured fields, text, fact or opinion, and the restricted mark (Schedule One indicators are always "
        "restricted). A category's structured fields left out or wrong are refused by name "
        "(`fields.contact_date`).",
        request=EntryIn,
        responses={201: EntryOut},
    )
    @action(detail=True, methods=["post"])
    def entries(self, request: Request, pk: str | None = None) -> Response:
        child = self._child(pk, "record_entry")
        values = parse_input(EntryIn, request.data, request)
        with field_errors():
            entry = services.entry_record(actor=request.user, child=child, **values)
        return Response(recorded_entry_out(entry, request.user), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Merge a duplicate entry into this one",
        description="A partnership admin merges two entries found to be the same child: the duplicate's names, "
        "addresses, involvements and entries move to this one; the duplicate stays, pointing here, and the "
        "merge lists every row moved. Refused when the two have different NHS numbers, and when their dates of birth "
        "differ unless `confirm` is true.",
        request=MergeIn,
        responses=MergeOut,
    )
    @action(detail=True, methods=["post"])
    def merge(self, request: Request, pk: str | None = None) -> Response:
        keep = self._child(pk, "merge")
        values = parse_input(MergeIn, request.data, request)
        with field_errors():
            record = services.child_merge(
                actor=request.user,
                keep=keep,
                merge=values["merge"],
                reason=values["reason"],
                differences_confirmed=values["confirm"],
            )
        return Response(MergeOut(record).data)
