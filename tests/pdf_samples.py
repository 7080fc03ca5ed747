"""Real PDFs for tests: uploads are opened with pypdf, so a file that merely begins with %PDF- is refused."""

from __future__ import annotations

import io

from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject, PdfObject, TextStringObject


def one_page_pdf(*, padding: int = 0, password: str | None = None, pages: int = 1) -> bytes:
    """A well-formed PDF with `pages` blank A4 pages; `padding` characters of metadata make it bigger."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    if padding:
        writer.add_metadata({"/Padding": "x" * padding})
    if password is not None:
        writer.encrypt(password)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pdf_of_size(size: int) -> bytes:
    """A valid one-page PDF of exactly `size` bytes (at least about 600)."""
    padding = size - len(one_page_pdf(padding=1)) + 1
    for _ in range(5):  # the offsets at the end grow by a digit now and then: converge on the size
        data = one_page_pdf(padding=padding)
        if len(data) == size:
            return data
        padding += size - len(data)
    raise AssertionError(f"could not make a PDF of {size} bytes")


PDF = one_page_pdf()


def _written(writer: PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _action(kind: str, **entries: PdfObject) -> DictionaryObject:
    return DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Action"),
            NameObject("/S"): NameObject(kind),
            **{NameObject(f"/{key}"): value for key, value in entries.items()},
        }
    )


def active_pdf(kind: str) -> bytes:
    """A one-page PDF holding one kind of active content (isp_portal.uploads.active_content), or, for
    "open_at_page", only a harmless destination to open at (as office suites write)."""
    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    root = writer._root_object
    script = TextStringObject("app.alert('hello')")
    if kind == "javascript":  # a document-level script, in the /Names tree
        names = DictionaryObject(
            {NameObject("/Names"): ArrayObject([TextStringObject("hello"), _action("/JavaScript", JS=script)])}
        )
        root[NameObject("/Names")] = DictionaryObject({NameObject("/JavaScript"): writer._add_object(names)})
    elif kind == "open_action_script":
        root[NameObject("/OpenAction")] = _action("/JavaScript", JS=script)
    elif kind == "open_action_launch":
        root[NameObject("/OpenAction")] = _action("/Launch", F=TextStringObject("calc.exe"))
    elif kind == "page_additional_actions":
        page[NameObject("/AA")] = DictionaryObject({NameObject("/O"): _action("/JavaScript", JS=script)})
    elif kind == "embedded_file":
        writer.add_attachment("payload.txt", b"not what it seems")
    elif kind == "xfa":
        root[NameObject("/AcroForm")] = DictionaryObject(
            {NameObject("/Fields"): ArrayObject(), NameObject("/XFA"): TextStringObject("<xdp:xdp/>")}
        )
    elif kind == "rich_media":
        annotation = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/RichMedia"),
                NameObject("/Rect"): ArrayObject(
                    [NumberObject(0), NumberObject(0), NumberObject(10), NumberObject(10)]
                ),
            }
        )
        page[NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])
    elif kind == "open_at_page":
        root[NameObject("/OpenAction")] = ArrayObject([page.indirect_reference, NameObject("/Fit")])
    else:
        raise ValueError(kind)
    return _written(writer)
