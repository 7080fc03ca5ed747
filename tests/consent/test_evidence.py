"""consent.evidence: a file is judged by what it is, never by its name (issue 8 item 10)."""

from __future__ import annotations

import pytest

from consent.evidence import JPEG, NOT_ACCEPTED, PDF, PNG, evidence_verdict
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
