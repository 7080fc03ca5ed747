"""Static files: WhiteNoise's compressed, hashed storage, with each file's address worked out once per process."""

from __future__ import annotations

from typing import Any

from whitenoise.storage import CompressedManifestStaticFilesStorage

# Addresses kept per process; the layout uses three, every template together a handful.
_MAX_ADDRESSES = 512


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """`{% static %}` asks the manifest for a file's hashed name on every call (about 24 µs here, three times a
    page in the layout). The manifest is read once when the process starts and does not change while it runs,
    so the address of each file is kept after the first call (issue 9)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._addresses: dict[tuple[str, bool], str] = {}

    def url(self, name: str | None, force: bool = False) -> str:
        key = (name or "", force)
        address = self._addresses.get(key)
        if address is None:
            address = super().url(name, force)
            if len(self._addresses) < _MAX_ADDRESSES:
                self._addresses[key] = address
        return address
