"""Each package re-exports its public API in a sorted ``__all__`` (docs/architecture.md,
"Conventions")."""

from __future__ import annotations

import importlib
from types import ModuleType

import pytest


@pytest.mark.parametrize("package", ["federation", "schemas"])
def test_exported_members__sorted_and_complete(package: str) -> None:
    module = importlib.import_module(package)
    names = list(module.__all__)
    # constants first, then classes and functions, each alphabetical (ruff's RUF022 order)
    assert names == sorted(names, key=lambda name: (not name.isupper(), name))
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and not isinstance(value, ModuleType)
    }
    assert public == set(names)
