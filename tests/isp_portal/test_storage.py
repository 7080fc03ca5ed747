"""The static files storage keeps each file's address after the first call (issue 9), and gives the address
WhiteNoise's storage gives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.test import override_settings
from whitenoise.storage import CompressedManifestStaticFilesStorage

from isp_portal.storage import StaticFilesStorage


@override_settings(DEBUG=False)
def test_the_address_is_the_manifests_and_is_kept(tmp_path: Path) -> None:
    manifest = {"paths": {"dist/application.css": "dist/application.0123abcd.css"}, "version": "1.1", "hash": "x"}
    (tmp_path / "staticfiles.json").write_text(json.dumps(manifest))
    ours = StaticFilesStorage(location=str(tmp_path), base_url="/static/")
    theirs = CompressedManifestStaticFilesStorage(location=str(tmp_path), base_url="/static/")

    assert (
        ours.url("dist/application.css")
        == theirs.url("dist/application.css")
        == ("/static/dist/application.0123abcd.css")
    )
    ours.hashed_files = {}  # the manifest is no longer asked: the address was kept
    assert ours.url("dist/application.css") == "/static/dist/application.0123abcd.css"
    with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
        ours.url("dist/missing.css")  # a missing file is still an error, and is not kept
