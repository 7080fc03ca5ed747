"""Password rules beyond Django's validators (DESIGN 4: minimum 12, common and breached-style refused)."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth.hashers import Argon2PasswordHasher
from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError

_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})
_DECORATION = re.compile(r"^[\W\d_]+|[\W\d_]+$")


def breached_style_core(password: str) -> str:
    """What is left of a password once the usual decorations are removed: case, leetspeak, and digits or
    symbols stuck on either end ("Summer2024!" -> "summer", "P@ssw0rd123" -> "password")."""
    lowered = password.lower()
    stripped = _DECORATION.sub("", lowered)
    return stripped.translate(_LEET)


class BreachedStylePasswordValidator:
    """Refuse passwords that are a common password in disguise: breach corpora are full of them, and
    attackers try these variants first. Uses Django's list of 20,000 common passwords."""

    def __init__(self) -> None:
        self._common = CommonPasswordValidator().passwords

    def validate(self, password: str, user: Any = None) -> None:
        core = breached_style_core(password)
        stripped_only = _DECORATION.sub("", password.lower())
        if len(core) < 4 or core in self._common or stripped_only in self._common:
            raise ValidationError(
                "This password is a common password with numbers or symbols added. "
                "Choose a longer phrase of unrelated words.",
                code="password_breached_style",
            )

    def get_help_text(self) -> str:
        return "Your password cannot be a common password with numbers or symbols added."


class FastTestArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id with a tiny cost, for the test suite only (test settings)."""

    time_cost = 1
    memory_cost = 64
    parallelism = 1
