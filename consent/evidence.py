"""What a consent's evidence file is, judged by its content (issue 8 item 10: a file is judged by what it is, not
by its name or its first bytes; issue 11: "an evidence file that is not what it says it is" is refused). The whole
file must be the kind it is taken for, from its first byte to its last:

* a PDF goes through isp_portal.uploads.pdf_problem (pypdf), like the security documents, and nothing but
  whitespace may follow its last end-of-file marker (anything after %%EOF is no part of the PDF: a page of HTML
  or a script hidden there would travel with the signed form);
* a PNG's chunks walk from the signature to IEND with every length and CRC right, IHDR first, and IEND is the
  last byte of the file;
* a JPEG's segments walk from SOI through a frame header (SOF) and every scan to EOI, and nothing but padding
  follows EOI (break11 finding 7: a bare start-of-scan wrapped around any bytes is no image), save that a
  phone's multi-picture JPEG (MPO) is followed by its further images, each as whole (break11b finding 7);
* no byte of the file, whatever part of it holds it (a chunk, a segment, a comment, metadata, the pixels), is
  the markup of a page or a script (_MARKUP): one moved from after the end into the file travels with the form
  all the same (break11c finding 6; break11d findings 2-5);
* and an image must then decode, every pixel of it, with Pillow, within MAX_PIXELS (a decompression bomb, a few
  kilobytes that would unpack to gigabytes, is refused before it is decoded).

A name that says one kind of file while the content is another is refused: "a file that is not what it says it
is". Pure: bytes in, a verdict out."""

from __future__ import annotations

import io
import re
import struct
import warnings
import zlib
from dataclasses import dataclass

from PIL import Image

from isp_portal import uploads

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"

_EXTENSIONS = {".pdf": PDF, ".png": PNG, ".jpg": JPEG, ".jpeg": JPEG}
_NAMES = {PDF: "a PDF", PNG: "a PNG image", JPEG: "a JPEG image"}
_PILLOW_FORMATS = {PNG: "PNG", JPEG: "JPEG"}
NOT_ACCEPTED = "The file must be a PDF, a PNG image or a JPEG image (a scan or a photograph of the signed form)."
DAMAGED = "The image is damaged or incomplete: it could not be read. Scan it again."
NOT_WHOLE_PDF = (
    "The file has something after the end of its PDF: it is not only a PDF. Save or print it again as a PDF and "
    "upload that."
)
# The largest image accepted, in pixels: an A4 page scanned at 600 dpi is about 35 million, a 48-megapixel photo
# 48 million. Decoding one takes about 3 bytes a pixel, so a bigger "image" (often a few kilobytes that unpack to
# gigabytes) is refused from its header, before any pixel is decoded.
MAX_PIXELS = 50_000_000
TOO_MANY_PIXELS = (
    f"The image is too large: it has more than {MAX_PIXELS // 1_000_000} million pixels. Scan it at 300 dpi, or "
    "save a smaller copy, and upload that."
)
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Verdict:
    """The kind of an acceptable file (`content_type`), or why it is refused (`problem`)."""

    content_type: str = ""
    problem: str = ""


# What no evidence file may carry, anywhere in it (break11c finding 6, break11d findings 2-5): the markup a browser
# renders as a page or that runs a script. A page of HTML travels with the signed form as well in a PNG chunk of
# any type (upper-case "HTML" as much as "tEXt"), a JPEG comment after the scan, an EXIF description or a PDF
# comment line after %PDF- (the PDF/HTML polyglot) as after the end of the file; a reader that sniffs the file
# (WHATWG MIME Sniffing 7.1: "<html", "<script", "<body", "<iframe", "<!doctype" ...) or a page that embeds it
# runs it. So the whole file's bytes are searched, not the parts of a container listed one by one: the markup of
# a page (a tag a browser renders, followed by what ends a tag name), a tag with an event-handler attribute
# (`<svg onload=`, `<img src=x onerror=`, `<x/onclick=`: any element runs one), a script URL and PHP. Each
# signature is long enough, or ends in a tag's terminator, that the compressed pixels of an honest scan (random
# bytes to a search) hold one by chance less than once in a thousand 5 MB files (none in a gigabyte of random
# bytes; tests/consent/test_evidence.py tries some); `<a ` or `<p>` would turn up in most photographs, so the
# one-letter tags are left out, an event handler on them caught all the same. The file is within
# CONSENT_EVIDENCE_MAX_BYTES by then, and every pattern is bounded, so the search is linear in its size.
MARKUP_TAGS = (
    "html",
    "head",
    "body",
    "script",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "svg",
    "img",
    "image",
    "math",
    "style",
    "title",
    "table",
    "font",
    "form",
    "input",
    "meta",
    "link",
    "base",
    "video",
    "audio",
    "marquee",
    "details",
    "template",
)
# Searched in the file's bytes lower-cased once (HTML's tag and attribute names and URL schemes are not
# case-sensitive), each pattern on its own: one starting with a fixed byte is found at the speed of a plain search
# (some hundredths of a second for 5 MB), an alternation of them in one pattern ten times slower.
_MARKUP = (
    re.compile(
        rb"<(?:!doctype|\?php"
        rb"|(?:" + "|".join(MARKUP_TAGS).encode() + rb")(?=[\s/>])"
        # A tag (a letter after "<", its name up to a space, "/" or ">") with an attribute named on... within it
        # (HTML's event handlers: onload, onerror, onclick ...).
        rb"|[a-z][^\s/<>\x00]{0,64}[\s/][^<>]{0,4000}?(?<=[\s/\"'])on[a-z]+\s*=)"
    ),
    re.compile(rb"javascript\s*:"),
    re.compile(rb"vbscript\s*:"),
    re.compile(rb"data:text/html"),
)
NOT_ONLY_AN_IMAGE = (
    "The image carries something that is not part of a picture (a page of HTML or a script in its comment or "
    "metadata): it is not only an image. Scan or photograph the signed form again, or save it again as a plain "
    "PNG or JPEG, and upload that."
)
NOT_ONLY_A_PDF = (
    "The PDF carries something that is not part of a document (a page of HTML or a script): it is not only a "
    "PDF. Save or print the signed form again as a PDF, or scan it, and upload that."
)


def carries_markup(data: bytes) -> bool:
    """Whether `data` holds, anywhere, the markup of a page or of a script (_MARKUP)."""
    lowered = data.lower()
    return any(pattern.search(lowered) is not None for pattern in _MARKUP)


def _png_whole(data: bytes) -> bool:
    """Every chunk whole (length, CRC), IHDR first, and IEND the very end of the file."""
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
            return end == len(data)
        position = end
    return False


# Markers that stand alone (no length follows): TEM and the restart markers RST0-RST7 (ITU T.81 B.1.1.3).
_STANDALONE = {0x01, *range(0xD0, 0xD8)}
# Start of frame: SOF0-SOF15 less DHT (C4), JPG (C8) and DAC (CC), which share the range (T.81 table B.1).
_FRAMES = {marker for marker in range(0xC0, 0xD0) if marker not in {0xC4, 0xC8, 0xCC}}


def _jpeg_walk(data: bytes, start: int) -> tuple[int, bool] | None:
    """One JPEG from `start`: SOI, then segments (each within the file), a frame header before the first scan,
    each scan's entropy-coded data up to the next marker, and EOI (ITU T.81 B.2). Returns where it ends (just
    after EOI) and whether it carries a multi-picture index (an APP2 "MPF" segment, CIPA DC-007), or None when
    it is not whole."""
    if not data.startswith(b"\xff\xd8", start):
        return None
    position, framed, scanned, indexed, size = start + 2, False, False, False, len(data)
    while position + 1 < size:
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker == 0xFF:  # a fill byte before a marker
            position += 1
            continue
        if marker == 0xD9:  # EOI: the end of the image
            return (position + 2, indexed) if framed and scanned else None
        if marker in _STANDALONE:
            position += 2
            continue
        if marker in {0x00, 0xD8} or position + 4 > size:
            return None
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        if length < 2 or position + 2 + length > size:
            return None
        if marker == 0xE2 and data.startswith(b"MPF\x00", position + 4):
            indexed = True
        position += 2 + length
        if marker in _FRAMES:
            framed = True
        elif marker == 0xDA:  # start of scan: its entropy-coded data runs to the next marker
            if not framed:
                return None
            scanned = True
            while True:  # a 0xFF in the data is stuffed (FF 00) or a restart marker; any other marker ends it
                position = data.find(b"\xff", position)
                if position < 0 or position + 1 >= size:
                    return None
                if data[position + 1] != 0x00 and not 0xD0 <= data[position + 1] <= 0xD7:
                    break
                position += 2
    return None


def _jpeg_images(data: bytes) -> list[tuple[int, int]] | None:
    """Where each image of a whole JPEG file starts and ends, or None when the file is not whole: one image with
    nothing after its EOI but zero padding (break11 finding 7: a bare start-of-scan wrapped around any bytes is
    no image). A phone's multi-picture JPEG (CIPA DC-007 "MPO": Ultra HDR gain maps, previews, depth maps), whose
    first image carries an MPF index, is the photo followed by further images: it is whole when every byte after
    the first image is another whole JPEG, one after the other, so nothing but images travels with the form
    (break11b finding 7)."""
    walked = _jpeg_walk(data, 0)
    if walked is None:
        return None
    end, indexed = walked
    images = [(0, end)]
    while indexed and data[end:].strip(b"\x00"):
        following = _jpeg_walk(data, end)
        if following is None:
            return None
        images.append((end, following[0]))
        end = following[0]
    return images if not data[end:].strip(b"\x00") else None


def _image_problem(data: bytes, kind: str) -> str | None:
    """Why `data` is not a whole image of `kind` that Pillow decodes within MAX_PIXELS, or None. Each image of a
    multi-picture JPEG is decoded on its own (_jpeg_images)."""
    pieces = [data]
    if carries_markup(data):
        return NOT_ONLY_AN_IMAGE
    if kind == JPEG:
        images = _jpeg_images(data) or []
        pieces = [data[start:end] for start, end in images] if len(images) > 1 else [data]
    for piece in pieces:
        if problem := _decode_problem(piece, kind):
            return problem
    return None


def _decode_problem(data: bytes, kind: str) -> str | None:
    try:
        with warnings.catch_warnings():
            # Pillow warns of an image over its own limit (and raises over twice it): both are refused here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[_PILLOW_FORMATS[kind]]) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    return TOO_MANY_PIXELS
                image.load()  # every pixel decoded: a truncated or corrupt image raises here
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return TOO_MANY_PIXELS
    except Exception:  # Pillow raises many kinds of error on a malformed file; all mean "not an image"
        return DAMAGED
    return None


def content_kind(data: bytes) -> str | None:
    """PDF, PNG or JPEG when `data` is, by its structure, a whole file of that kind; None otherwise (a PDF judged
    only by its header and its end here: evidence_verdict asks isp_portal.uploads for the rest, and an image is
    decoded there)."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(_PNG_SIGNATURE):
        return PNG if _png_whole(data) else None
    if data.startswith(b"\xff\xd8"):
        return JPEG if _jpeg_images(data) is not None else None
    return None


def evidence_verdict(data: bytes, filename: str) -> Verdict:
    """Whether `data`, uploaded as `filename`, is acceptable evidence: a clean PDF, or a whole PNG or JPEG that
    decodes, whose name, when it has a known extension, says what it is."""
    kind = content_kind(data)
    if kind is None:
        if data.startswith((_PNG_SIGNATURE, b"\xff\xd8")):
            return Verdict(problem=DAMAGED)
        return Verdict(problem=NOT_ACCEPTED)
    if kind == PDF:
        problem = uploads.pdf_problem(data)
        if problem is None and not data.rstrip(b" \t\r\n\f\x00").endswith(b"%%EOF"):
            problem = NOT_WHOLE_PDF
        if problem is None and carries_markup(data):
            problem = NOT_ONLY_A_PDF
    else:
        problem = _image_problem(data, kind)
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
