"""The permission matrix's rows, one module per app. `all_cases()` gathers every module's CASES."""

from __future__ import annotations

import importlib
import pkgutil

from tests.matrix import Case


def all_cases() -> list[Case]:
    cases: list[Case] = []
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        cases.extend(importlib.import_module(f"{__name__}.{module.name}").CASES)
    return cases
