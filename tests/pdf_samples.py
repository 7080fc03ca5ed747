"""Real PDFs for tests: uploads are opened with pypdf, so a file that merely begins with %PDF- is refused."""

from __future__ import annotations

import io

from pypdf import PdfWriter


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
