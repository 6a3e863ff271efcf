"""funding.json (FLOSS/fund, https://fundingjson.org): the vendored JSON Schema of version
v1.0.0 and its validation.

The schema file ``data/funding.schema.v1.0.0.json`` is the one the specification publishes
(``/schema/v1.0.0/funding.schema.json``), shipped with the package so that nothing is fetched
at run time.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any, Final

from jsonschema import Draft7Validator

__all__ = ["FUNDING_JSON_SCHEMA_URL", "FUNDING_JSON_VERSION", "manifest_errors"]

FUNDING_JSON_VERSION: Final = "v1.0.0"
FUNDING_JSON_SCHEMA_URL: Final = "https://fundingjson.org/schema/v1.0.0/funding.schema.json"


@cache
def _validator() -> Draft7Validator:
    text = files("schemas").joinpath("data/funding.schema.v1.0.0.json").read_text("utf-8")
    schema = json.loads(text)
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema)


def manifest_errors(document: Any, *, limit: int = 10) -> list[str]:
    """Return what makes ``document`` an invalid funding.json v1 manifest (none: valid), each
    as ``path: message``, at most ``limit`` of them."""
    errors = []
    for error in sorted(_validator().iter_errors(document), key=lambda e: list(e.path)):
        where = ".".join(str(part) for part in error.absolute_path) or "(document)"
        errors.append(f"{where}: {error.message[:300]}")
        if len(errors) >= limit:
            break
    return errors
