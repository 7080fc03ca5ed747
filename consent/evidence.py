"""What a consent's evidence file is, judged by its content (issue 8 item 10: a file is judged by what it is, not
by its name or its first bytes). A PDF goes through isp_portal.uploads.pdf_problem, like the security documents;
an image must be a whole PNG (every chunk's length and CRC right, IHDR first, IEND last) or a whole JPEG (its
segments walk from SOI to the start of scan, and it ends with EOI). A name that says one kind of file while the
content is another is refused: "a file that is not what it says it is". Pure: bytes in, a verdict out."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from isp_portal import uploads

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"

_EXTENSIONS = {".pdf": PDF, ".png": PNG, ".jpg": JPEG, ".jpeg": JPEG}
_NAMES = {PDF: "a PDF", PNG: "a PNG image", JPEG: "a JPEG image"}
NOT_ACCEPTED = "The file must be a PDF, a PNG image or a JPEG image (a scan or a photograph of the signed form)."
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Verdict:
    """The kind of an acceptable file (`content_type`), or why it is refused (`problem`)."""

    content_type: str = ""
    problem: str = ""


def _png_whole(data: bytes) -> bool:
    position = len(_PNG_SIGNATURE)
    first = True
    while position + 12 <= len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        end = position + 12 + length
        if end > len(data):
            return False
        (crc,) = struct.unpack(">I", data[end - 4 : end])
        if zlib.crc32(data[position + 4 : end - 4]) != crc:
            return False
        if first and (kind != b"IHDR" or length != 13):
            return False
        first = False
        if kind == b"IEND":
            return True
        position = end
    return False


def _jpeg_whole(data: bytes) -> bool:
    if not data.startswith(b"\xff\xd8\xff") or not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
        return False
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            return False
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == 0xDA:  # start of scan: the entropy-coded image follows, to EOI
            return True
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            position += 2
            continue
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        if length < 2:
            return False
        position += 2 + length
    return False


def content_kind(data: bytes) -> str | None:
    """PDF, PNG or JPEG when `data` is a whole file of that kind; None otherwise (PDF judged only by its header
    here: evidence_verdict asks isp_portal.uploads for the rest)."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(_PNG_SIGNATURE):
        return PNG if _png_whole(data) else None
    if data.startswith(b"\xff\xd8"):
        return JPEG if _jpeg_whole(data) else None
    return None


def evidence_verdict(data: bytes, filename: str) -> Verdict:
    """Whether `data`, uploaded as `filename`, is acceptable evidence: a clean PDF or a whole PNG or JPEG whose
    name, when it has a known extension, says what it is."""
    kind = content_kind(data)
    if kind is None:
        if data.startswith((_PNG_SIGNATURE, b"\xff\xd8")):
            return Verdict(problem="The image is damaged or incomplete: it could not be read. Scan it again.")
        return Verdict(problem=NOT_ACCEPTED)
    if kind == PDF:
        problem = uploads.pdf_problem(data)
        if problem:
            return Verdict(problem=problem)
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    named = _EXTENSIONS.get(suffix)
    if suffix and named is None:
        return Verdict(problem=NOT_ACCEPTED)
    if named is not None and named != kind:
        return Verdict(
            problem=f"The file is named as {_NAMES[named]} ({suffix}) but it is {_NAMES[kind]}: it is not what its "
            "name says. Upload the file again with its own name."
        )
    return Verdict(content_type=kind)
