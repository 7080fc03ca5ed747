"""consent.evidence: a file is judged by what it is, never by its name (issue 8 item 10)."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from consent.evidence import (
    DAMAGED,
    JPEG,
    MAX_PIXELS,
    NOT_ACCEPTED,
    NOT_WHOLE_PDF,
    PDF,
    PNG,
    TOO_MANY_PIXELS,
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
