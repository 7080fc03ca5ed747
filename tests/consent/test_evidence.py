"""consent.evidence: a file is judged by what it is, never by its name (issue 8 item 10)."""

from __future__ import annotations

import io
import random
import struct
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from consent.evidence import (
    DAMAGED,
    JPEG,
    MARKUP_TAGS,
    MAX_PIXELS,
    NOT_ACCEPTED,
    NOT_ONLY_A_PDF,
    NOT_ONLY_AN_IMAGE,
    NOT_WHOLE_PDF,
    PDF,
    PNG,
    TOO_MANY_PIXELS,
    carries_markup,
    evidence_verdict,
)
from tests.consent.samples import jpeg, png
from tests.pdf_samples import active_pdf, one_page_pdf


@pytest.mark.parametrize(
    ("data", "name", "kind"),
    [
        (one_page_pdf(), "form.pdf", PDF),
        (png(), "photo.png", PNG),
        (jpeg(), "photo.JPG", JPEG),
        (jpeg(), "photo.jpeg", JPEG),
        (png(), "scan", PNG),  # no extension: judged by the content alone
    ],
)
def test_a_whole_pdf_png_or_jpeg_is_accepted(data: bytes, name: str, kind: str) -> None:
    assert evidence_verdict(data, name).content_type == kind


def test_a_file_that_is_not_what_its_name_says_is_refused() -> None:
    verdict = evidence_verdict(png(), "signed-form.pdf")
    assert verdict.problem.startswith("The file is named as a PDF (.pdf) but it is a PNG image")
    assert "not what its name says" in evidence_verdict(one_page_pdf(), "photo.jpg").problem


@pytest.mark.parametrize(
    "data",
    [
        b"GIF89a\x01\x00\x01\x00",
        b"<html><script>alert(1)</script></html>",
        b"MZ\x90\x00 an executable",
        b"\x00" * 100,
    ],
)
def test_anything_else_is_refused(data: bytes) -> None:
    assert evidence_verdict(data, "form.pdf").problem in {
        NOT_ACCEPTED,
        "The file must be a PDF that opens: this one could not be read as a PDF.",
    }


def test_a_damaged_image_is_refused() -> None:
    whole = png()
    assert "damaged" in evidence_verdict(whole[:-6], "photo.png").problem
    bad_crc = whole[:-1] + bytes([whole[-1] ^ 1])
    assert "damaged" in evidence_verdict(bad_crc, "photo.png").problem
    assert "damaged" in evidence_verdict(b"\xff\xd8\xff\xe0 not a jpeg", "photo.jpg").problem
    # A PNG's signature in front of a script is not a PNG.
    assert evidence_verdict(b"\x89PNG\r\n\x1a\n<script>", "photo.png").problem


def test_a_pdf_with_javascript_or_a_header_only_is_refused() -> None:
    assert "JavaScript" in evidence_verdict(active_pdf("javascript"), "form.pdf").problem
    assert evidence_verdict(b"%PDF-1.7\n not really", "form.pdf").problem
    assert evidence_verdict(b"%PDF-1.4", "form.txt").problem


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def test_nothing_may_follow_the_end_of_a_pdf_or_an_image() -> None:
    """break11 finding 7: the whole file is the kind it is taken for; what follows %%EOF, IEND or EOI is not."""
    script = b"<html><script>alert(1)</script></html>"
    assert evidence_verdict(one_page_pdf() + script, "form.pdf").problem == NOT_WHOLE_PDF
    assert evidence_verdict(png() + script, "photo.png").problem == DAMAGED
    assert evidence_verdict(jpeg() + script + b"\xff\xd9", "photo.jpg").problem == DAMAGED
    # Trailing whitespace after %%EOF and zero padding after EOI are how real writers end their files.
    assert evidence_verdict(one_page_pdf() + b"\r\n", "form.pdf").content_type == PDF
    assert evidence_verdict(jpeg() + b"\x00\x00", "photo.jpg").content_type == JPEG


def test_a_jpeg_needs_a_frame_and_pixels_that_decode() -> None:
    """A bare start of scan around any bytes is no image; neither is a JPEG cut short inside its scan."""
    assert evidence_verdict(b"\xff\xd8\xff\xda\x00\x02<html></html>\xff\xd9", "photo.jpg").problem == DAMAGED
    whole = jpeg((64, 64))
    assert evidence_verdict(whole[: len(whole) // 2] + b"\xff\xd9", "photo.jpg").problem == DAMAGED
    progressive = io.BytesIO()
    Image.effect_noise((120, 80), 40).convert("RGB").save(progressive, "JPEG", progressive=True)
    assert evidence_verdict(progressive.getvalue(), "photo.jpg").content_type == JPEG


def test_a_decompression_bomb_is_refused_before_it_is_decoded() -> None:
    """A PNG of a few kilobytes that would unpack to more than MAX_PIXELS is refused from its header."""
    side = 8_000  # 64 million pixels
    packer = zlib.compressobj(9)
    pixels = b"".join(packer.compress(b"\x00" * (side + 1)) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    bomb = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", pixels) + _chunk(b"IEND", b"")
    assert side * side > MAX_PIXELS and len(bomb) < 100_000
    assert evidence_verdict(bomb, "scan.png").problem == TOO_MANY_PIXELS


# --- Markup anywhere in the file (break11d findings 2-5) ------------------------------------------------------------

# Each signature consent.evidence refuses, as an attacker would write it (the case mixed: HTML does not care).
SIGNATURES = [
    b"<!DOCTYPE html>",
    *(f"<{tag.upper()} >".encode() for tag in MARKUP_TAGS),
    *(f"<{tag}/x>".encode() for tag in MARKUP_TAGS),
    b"<?php system($_GET['c']); ?>",
    b"<svg onload=alert(document.domain)>",
    b"<img src=x onerror=alert(1)>",
    b"<x/onclick=alert(1)>",
    b"<a href=# OnMouseOver = alert(1)>",
    b'<b title="x"onfocus=alert(1)>',
    b"javascript:alert(1)",
    b"JavaScript :alert(1)",
    b"vbscript:msgbox(1)",
    b"data:text/html;base64,PHNjcmlwdD4=",
]


def _png_carrying(kind: bytes, body: bytes) -> bytes:
    data = png()
    return data[:33] + _chunk(kind, body) + data[33:]  # after IHDR (8 + 25 bytes)


def _jpeg_comment_after_the_scan(body: bytes) -> bytes:
    data = jpeg()
    end = data.rfind(b"\xff\xd9")
    return data[:end] + b"\xff\xfe" + struct.pack(">H", len(body) + 2) + body + data[end:]


def _jpeg_exif(body: bytes) -> bytes:
    exif = Image.Exif()
    exif[0x010E] = body.decode()  # ImageDescription, which a camera app lets anyone type
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def _pdf_comment(body: bytes) -> bytes:
    """A whole one-page PDF, its cross-reference table right, with `body` in a comment line after its header (the
    PDF/HTML polyglot: pypdf skips comments)."""
    out = b"%PDF-1.4\n%" + body + b"\n"
    offsets = []
    for number, content in enumerate(
        (
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        ),
        start=1,
    ):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, content)
    table = len(out)
    out += b"xref\n0 4\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    return out + b"trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % table


CARRIERS = {
    "PNG text chunk": (lambda body: _png_carrying(b"tEXt", b"Comment\x00" + body), "form.png"),
    "PNG chunk, upper case": (lambda body: _png_carrying(b"HTML", body), "form.png"),
    "PNG private chunk": (lambda body: _png_carrying(b"RuSt", body), "form.png"),
    "JPEG comment after the scan": (_jpeg_comment_after_the_scan, "form.jpg"),
    "JPEG EXIF": (_jpeg_exif, "form.jpg"),
    "PDF comment after the header": (_pdf_comment, "form.pdf"),
}


@pytest.mark.parametrize("carrier", list(CARRIERS))
@pytest.mark.parametrize("signature", SIGNATURES, ids=[s.decode()[:30] for s in SIGNATURES])
def test_markup_anywhere_in_the_file_is_refused(signature: bytes, carrier: str) -> None:
    """Whatever part of the file holds it - a chunk of any type, a comment after the scan, EXIF, a PDF comment -
    the markup of a page or a script is refused (the whole file is searched, not a list of its parts)."""
    wrap, name = CARRIERS[carrier]
    data = wrap(b"Signed form " + signature + b" end")
    assert carries_markup(data)
    assert evidence_verdict(data, name).problem in {NOT_ONLY_AN_IMAGE, NOT_ONLY_A_PDF}


@given(signature=st.sampled_from(SIGNATURES), flips=st.lists(st.booleans(), min_size=40, max_size=40))
def test_markup_is_found_whatever_its_case(signature: bytes, flips: list[bool]) -> None:
    mixed = bytes(
        byte ^ 0x20 if flip and chr(byte).isalpha() else byte for byte, flip in zip(signature, flips * 2, strict=False)
    )
    assert carries_markup(b"\x00\xff" + mixed + b"\x00")


@pytest.mark.parametrize(
    "text",
    [
        b"Signed by the young person's mother <mary@example.org>",
        b"Form 3 <a> and <p> of the protocol, 2 < 3 > 1",
        b"Description: consent on the day; Transcript: read aloud; PostScript: none",
        b"<rdf:Description rdf:about='' xmlns:dc='http://purl.org/dc/elements/1.1/'><dc:title>Form</dc:title>",
        b"Reason for the decision: onward sharing = no",
    ],
)
def test_text_that_is_not_markup_is_accepted(text: bytes) -> None:
    """What a practitioner or a camera writes in a description or XMP is not taken for markup."""
    assert not carries_markup(text)
    assert evidence_verdict(_pdf_comment(text), "form.pdf").content_type == PDF
    assert evidence_verdict(_png_carrying(b"tEXt", b"Comment\x00" + text), "form.png").content_type == PNG
    assert evidence_verdict(_jpeg_exif(text), "form.jpg").content_type == JPEG


def test_the_pixels_of_an_honest_scan_are_not_taken_for_markup() -> None:
    """Compressed pixels are random bytes to the search: 40 MB of them (eight files at the size limit) hold no
    signature by chance, so an honest photograph is not refused for what its compression happens to write."""
    rng = random.Random(11)
    assert not any(carries_markup(rng.randbytes(5 * 1024 * 1024)) for _ in range(8))
