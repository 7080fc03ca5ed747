"""Checks of uploaded files, for every upload of the portal (issue 8 item 10).

A file is judged by what it is, not by its name or its first bytes: a "PDF" must open as a PDF with pypdf (a
well-kept, pure-Python PDF library), have at least one page, not be encrypted (a document nobody can open
without a password is no use to the partners who are granted it, and cannot be checked), and hold no active
content: no JavaScript, no actions that run by themselves or launch programs, no embedded files, rich media or
XFA forms. A security document is read by every partner granted it; a script or attachment in it would run or
open on their machines (issue 8).
"""

from __future__ import annotations

import io
import logging

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, PdfObject

NOT_A_PDF = "The file must be a PDF that opens: this one could not be read as a PDF."
ENCRYPTED_PDF = "The PDF is protected with a password. Save a copy without the password and upload that."
EMPTY_PDF = "The PDF has no pages."
ACTIVE_PDF = (
    "The PDF contains {found}, which the portal does not accept in a document other agencies open. Save or "
    "print it as a plain PDF (without scripts, attachments or interactive forms) and upload that."
)

# What makes a PDF active, by the key or name that carries it (PDF 32000-1:2008 12.6 actions, 7.11.4 embedded
# files, 12.7.8 XFA; Adobe's supplement for RichMedia), in words for the person who uploaded it.
_ACTIVE_KEYS = {
    "/JS": "JavaScript",
    "/JavaScript": "JavaScript",
    "/AA": "actions that run by themselves (/AA)",
    "/EmbeddedFiles": "embedded files",
    "/EmbeddedFile": "embedded files",
    "/XFA": "an XFA form",
    "/RichMedia": "rich media",
    "/RichMediaContent": "rich media",
}
_ACTIVE_ACTIONS = {
    "/JavaScript": "JavaScript",
    "/Launch": "an action that launches a program (/Launch)",
    "/ImportData": "an action that imports data (/ImportData)",
    "/GoToE": "a link into an embedded file (/GoToE)",
    "/RichMediaExecute": "rich media",
}
_ACTIVE_SUBTYPES = {
    "/FileAttachment": "embedded files",
    "/RichMedia": "rich media",
    "/Movie": "rich media",
    "/Sound": "rich media",
    "/Screen": "rich media",
    "/3D": "rich media",
}
# A PDF's object graph is walked once; a file within the upload limit has far fewer objects than this, and a
# crafted one with more is refused rather than walked for ever.
_MAX_OBJECTS = 200_000


def pdf_problem(data: bytes) -> str | None:
    """Why `data` is not an acceptable PDF, in words for the person who uploaded it, or None if it is one."""
    if not data.startswith(b"%PDF-"):
        return NOT_A_PDF
    # pypdf warns (through logging) about every small defect it repairs; those are not the uploader's problem.
    pypdf_logger = logging.getLogger("pypdf")
    level = pypdf_logger.level
    pypdf_logger.setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            return ENCRYPTED_PDF
        pages = len(reader.pages)
        found = active_content(reader)
    except Exception:  # pypdf raises many kinds of error on a malformed file; all mean "not a PDF"
        return NOT_A_PDF
    finally:
        pypdf_logger.setLevel(level)
    if pages < 1:
        return EMPTY_PDF
    if found:
        return ACTIVE_PDF.format(found=_listed(found))
    return None


def active_content(reader: PdfReader) -> list[str]:
    """What active content the PDF holds (see _ACTIVE_KEYS), in the order found, each named once.

    Everything reachable from the document catalogue is looked at (pages, annotations, form fields, the name
    trees, outlines), each object once. An /OpenAction that is only a destination (open at page 1, as office
    suites write) is no action and passes; one that is an action is judged like any other."""
    found: list[str] = []
    seen: set[tuple[int, int]] = set()
    stack: list[PdfObject | None] = [reader.trailer["/Root"]]
    visited = 0
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            key = (item.idnum, item.generation)
            if key in seen:
                continue
            seen.add(key)
            item = item.get_object()
        visited += 1
        if visited > _MAX_OBJECTS:
            raise ValueError("too many objects to check")
        if isinstance(item, DictionaryObject):
            for name, value in item.items():
                if name in _ACTIVE_KEYS:
                    found.append(_ACTIVE_KEYS[name])
                if name == "/S" and isinstance(value, NameObject) and value in _ACTIVE_ACTIONS:
                    found.append(_ACTIVE_ACTIONS[value])
                if name == "/Subtype" and isinstance(value, NameObject) and value in _ACTIVE_SUBTYPES:
                    found.append(_ACTIVE_SUBTYPES[value])
                if name == "/Type" and value == "/EmbeddedFile":
                    found.append("embedded files")
                if name == "/OpenAction" and _runs_on_opening(value):
                    found.append("an action that runs when the document opens (/OpenAction)")
                if name in {"/Parent", "/P"}:  # back-references: their objects are reached from the root anyway
                    continue
                stack.append(value)
        elif isinstance(item, ArrayObject):
            stack.extend(item)
    return list(dict.fromkeys(found))


def _runs_on_opening(value: PdfObject) -> bool:
    """An /OpenAction that does more than go to a place in the document (a destination array, or /GoTo)."""
    action = value.get_object() if isinstance(value, IndirectObject) else value
    return isinstance(action, DictionaryObject) and action.get("/S") != "/GoTo"


def _listed(things: list[str]) -> str:
    return things[0] if len(things) == 1 else f"{', '.join(things[:-1])} and {things[-1]}"


def safe_filename(name: str, default: str, limit: int = 255) -> str:
    """The last part of an uploaded file's name, without control characters (NUL included), at most `limit`."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    printable = "".join(character for character in base if character.isprintable()).strip()
    return printable[:limit] or default
