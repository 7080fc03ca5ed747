"""breaches.rules.text_problem: a required free text is refused empty or over its bound, with words to act on."""

from __future__ import annotations

import pytest

from breaches import rules


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("", 10, "Write it."),
        ("a" * 10, 10, None),
        ("a" * 11, 10, "Keep this to 10 characters."),
        ("a" * 20_001, 20_000, "Keep this to 20,000 characters."),
        ("What happened.", 2_000, None),
    ],
)
def test_text_problem(text: str, limit: int, expected: str | None) -> None:
    assert rules.text_problem(text, missing="Write it.", limit=limit) == expected
