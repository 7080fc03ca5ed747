"""Checks of uploaded files, for every upload of the portal (issue 8 item 10).

A file is judged by what it is, not by its name or its first bytes: a "PDF" must open as a PDF with pypdf (a
well-kept, pure-Python PDF library), have at least one page, and not be encrypted (a document nobody can open
without a password is no use to the partners who are granted it, and cannot be checked).
"""

from __future__ import annotations

import io
import logging

from pypdf import PdfReader

NOT_A_PDF = "The file must be a PDF that opens: this one could not be read as a PDF."
ENCRYPTED_PDF = "The PDF is protected with a password. Save a copy without the password and upload that."
EMPTY_PDF = "The PDF has no pages."


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
    except Exception:  # pypdf raises many kinds of error on a malformed file; all mean "not a PDF"
        return NOT_A_PDF
    finally:
        pypdf_logger.setLevel(level)
    if pages < 1:
        return EMPTY_PDF
    return None


def safe_filename(name: str, default: str, limit: int = 255) -> str:
    """The last part of an uploaded file's name, without control characters (NUL included), at most `limit`."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    printable = "".join(character for character in base if character.isprintable()).strip()
    return printable[:limit] or default
