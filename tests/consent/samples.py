"""Evidence files for the tests: a whole PNG made here byte by byte, and a whole JPEG made with Pillow."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png() -> bytes:
    """A 1x1 grey PNG."""
    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x80")
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", pixels) + _chunk(b"IEND", b"")


def jpeg(size: tuple[int, int] = (1, 1)) -> bytes:
    """A whole grey JPEG, made by Pillow (a JPEG's frame, tables and scan are not worth writing by hand)."""
    out = io.BytesIO()
    Image.new("L", size, 128).save(out, "JPEG")
    return out.getvalue()
