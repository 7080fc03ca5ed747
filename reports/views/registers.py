"""The partnership registers' page and exports (issue 15; Southampton 13): the counts of all four registers at the top,
then one register at a time (chosen by a link, so the page works without JavaScript) a page of rows at a time; each
register as a streamed, formula-safe CSV, and all four in one streamed ZIP. Every export is audited first with its
row counts. For the Children's Services Executive: partnership admins and auditors (reports.registers_policy).

A parameter the page does not read (a misspelt or unknown one, or one given twice) is refused with a 400 naming it, as
the central register refuses it."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse

from audit.services import audit_record
from isp_portal import policy
from isp_portal.csv_export import csv_response, csv_safe
from isp_portal.forms import unread_filters
from reports import registers as selectors
from reports.registers_policy import PARTNERSHIP_REGISTERS

RESOURCE = "resource:partnership_registers"


class RegistersForm(forms.Form):
    register = forms.ChoiceField(choices=[(name, selectors.TITLES[name]) for name in selectors.REGISTERS],
                                 required=False)  # fmt: skip
    page = forms.IntegerField(min_value=1, max_value=selectors.MAX_PAGE, required=False)


def _refused(request: HttpRequest, problems: list[str], what: str) -> HttpResponse:
    return render(
        request, "errors/400.html",
        {"reason": f"The registers were not {what}: the address could not be read ({'; '.join(problems)}). Choose "
                   "a register on the registers page."},
        status=400,
    )  # fmt: skip


def _page_of(rows: Sequence[Any], page: int) -> tuple[Sequence[Any], bool]:
    start = (page - 1) * selectors.PAGE_SIZE
    return rows[start : start + selectors.PAGE_SIZE], len(rows) > start + selectors.PAGE_SIZE


@login_required
def registers(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, "view", PARTNERSHIP_REGISTERS)
    form = RegistersForm(request.GET)
    problems = unread_filters(request.GET, form)
    if not form.is_valid():
        problems += [f"{field}: {' '.join(str(e) for e in errors)}" for field, errors in form.errors.items()]
    if problems:
        return _refused(request, problems, "shown")
    user = request.user
    chosen = form.cleaned_data["register"] or "signatories"
    page = form.cleaned_data["page"] or 1
    signatories = selectors.signatory_rows(user)
    reviews = selectors.review_rows(user)
    context: dict[str, Any] = {
        "summary": selectors.summary(user, signatories, reviews),
        "chosen": chosen,
        "title": selectors.TITLES[chosen],
        "tabs": [
            {"name": name, "title": selectors.TITLES[name], "url": f"?register={name}", "current": name == chosen}
            for name in selectors.REGISTERS
        ],
        "export_url": reverse("partnership-register-export", kwargs={"register": chosen}),
        "zip_url": reverse("partnership-registers-export"),
        "page": page,
    }
    if chosen in ("breaches", "disputes"):
        central_page = selectors.central_page(user, chosen, page)
        rows: Sequence[Any] = central_page.rows
        has_next = central_page.has_next
        context["central_url"] = f"{reverse('breach-register')}?kind={'breach' if chosen == 'breaches' else 'dispute'}"
    else:
        rows, has_next = _page_of(signatories if chosen == "signatories" else reviews, page)
    context.update(
        rows=rows,
        next_url=f"?register={chosen}&page={page + 1}" if has_next else "",
        previous_url=f"?register={chosen}&page={page - 1}" if page > 1 else "",
    )
    return render(request, "reports/registers.html", context)


def _audit_export(user: Any, kind: str, rows: dict[str, int]) -> None:
    audit_record(kind=kind, actor=user, object_type=RESOURCE, detail={"registers": sorted(rows), "rows": rows})


@login_required
def register_export(request: HttpRequest, register: str) -> HttpResponse | StreamingHttpResponse:
    """One register as CSV, streamed; audited first with its row count."""
    policy.require(request.user, "view", PARTNERSHIP_REGISTERS)
    if register not in selectors.REGISTERS:
        raise Http404("There is no such register.")
    if request.GET:
        return _refused(request, [f"{name}: this filter is not accepted here" for name in request.GET], "exported")
    made = selectors.export(request.user, register)
    _audit_export(request.user, "reports.register_export", {register: made.rows})
    return csv_response(made.header, made.cells, filename=made.filename)


class _Sink(io.RawIOBase):
    """Where the ZIP is written: it keeps what was written until it is taken, and cannot seek, so zipfile writes each
    member's sizes after its data (a data descriptor) and the archive streams in constant memory."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._chunks.append(chunk)
        self.size += len(chunk)
        return len(chunk)

    def take(self) -> bytes:
        taken = b"".join(self._chunks)
        self._chunks.clear()
        self.size = 0
        return taken


# A ZIP's pieces are sent when this much has gathered (the rows are read in the central register's chunks meanwhile).
ZIP_FLUSH_BYTES = 64 * 1024


def zip_of_csvs(files: Iterable[tuple[str, Sequence[str], Iterable[Sequence[str]]]]) -> Iterator[bytes]:
    """A ZIP of CSVs (each name, header and rows; every cell formula-safe as isp_portal.csv_export writes them),
    produced piece by piece as it is read."""
    sink = _Sink()
    line = io.StringIO()
    writer = csv.writer(line)
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, header, rows in files:
            with archive.open(name, "w") as member:
                for cells in _with_header(header, rows):
                    writer.writerow([csv_safe(cell) for cell in cells])
                    member.write(line.getvalue().encode("utf-8"))
                    line.seek(0)
                    line.truncate()
                    if sink.size >= ZIP_FLUSH_BYTES:
                        yield sink.take()
            yield sink.take()
    yield sink.take()


def _with_header(header: Sequence[str], rows: Iterable[Sequence[str]]) -> Iterator[Sequence[str]]:
    yield header
    yield from rows


@login_required
def registers_export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """All four registers as one ZIP of four CSVs, streamed; audited first with each register's row count."""
    policy.require(request.user, "view", PARTNERSHIP_REGISTERS)
    if request.GET:
        return _refused(request, [f"{name}: this filter is not accepted here" for name in request.GET], "exported")
    exports = [selectors.export(request.user, name) for name in selectors.REGISTERS]
    _audit_export(request.user, "reports.registers_export", {made.register: made.rows for made in exports})
    response = StreamingHttpResponse(
        zip_of_csvs((made.filename, made.header, made.cells) for made in exports), content_type="application/zip"
    )
    response["Content-Disposition"] = 'attachment; filename="partnership-registers.zip"'
    return response


urlpatterns: list[URLPattern] = [
    path("registers/", registers, name="partnership-registers"),
    path("registers/export.zip", registers_export, name="partnership-registers-export"),
    path("registers/<slug:register>.csv", register_export, name="partnership-register-export"),
]
