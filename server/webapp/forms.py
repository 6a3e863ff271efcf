"""Posted forms: CSRF-checked, validated by the same pydantic models as the JSON API, and
their errors placed next to the field they concern (``Errors``), translated where shown.

``WebRoute`` turns what routes raise into pages: a redirect to sign in, or an error page with
the status of the ``ServiceError``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException

from server.errors import Forbidden, ServiceError
from server.i18n import N_, negotiate
from server.webapp.rendering import render_html
from server.webapp.visitors import SignInFirst, VisitorDep

__all__ = [
    "CSRF_REFUSAL",
    "Errors",
    "FormDep",
    "WebRoute",
    "errors_of",
    "field_error",
    "see_other",
    "typed_amount",
    "validate",
]

M = TypeVar("M", bound=BaseModel)
#: Field name → message (a msgid or a ``Message``, translated by the template).
Errors = dict[str, str]

_MESSAGES = {
    "missing": N_("This field is required."),
    "string_too_short": N_("This field is required."),
    "string_too_long": N_("This is too long."),
    "too_long": N_("Too many items."),
    "string_pattern_mismatch": N_("This is not in the expected form."),
    "url_parsing": N_("This is not a valid web address."),
    "url_scheme": N_("This is not a valid web address."),
    "date_from_datetime_parsing": N_("This is not a date (YYYY-MM-DD)."),
    "date_parsing": N_("This is not a date (YYYY-MM-DD)."),
    "enum": N_("Choose one of the options."),
    "literal_error": N_("Choose one of the options."),
    "bool_parsing": N_("Choose one of the options."),
}


#: What a form without its CSRF token (or with another's) is told.
CSRF_REFUSAL = N_("This form has expired or did not come from this site. Try again.")


def errors_of(error: ValidationError) -> Errors:
    """Return one message per field of a pydantic error (the first for each field)."""
    found: Errors = {}
    for item in error.errors():
        loc = [str(part) for part in item.get("loc", ()) if not isinstance(part, int)]
        name = loc[0] if loc else "form"
        message = _MESSAGES.get(item.get("type", ""), N_("This value is not valid."))
        found.setdefault(name, message)
    return found


#: Spaces people put between thousands ("1 200", and babel's no-break spaces when copied).
_GROUPING = re.compile(r"[ \u00a0\u202f]")
#: A decimal comma, as French writes amounts ("120,50"); "1,200" is left for the API to refuse.
_DECIMAL_COMMA = re.compile(r"([0-9]+),([0-9]{1,2})")


def typed_amount(text: str) -> str:
    """Return an amount as a person types it ("1 200,50") in the API's spelling ("1200.50"):
    the web forms take French's decimal comma and spaces between thousands."""
    text = _GROUPING.sub("", text.strip())
    return _DECIMAL_COMMA.sub(r"\1.\2", text) if _DECIMAL_COMMA.fullmatch(text) else text


def validate(model: type[M], data: dict[str, Any]) -> tuple[M | None, Errors]:
    """Return the model built from ``data``, or None and the errors by field."""
    try:
        return model.model_validate(data), {}
    except ValidationError as error:
        return None, errors_of(error)


def field_error(error: ServiceError) -> Errors:
    """Place a service's error next to the field it names (else the form's)."""
    if error.field:
        return {error.field.split(".")[0]: error.message}
    return {"form": error.message}


def see_other(path: str) -> RedirectResponse:
    """Redirect after a successful POST (the browser GETs the page)."""
    return RedirectResponse(path, status_code=303)


async def posted_form(request: Request, visitor: VisitorDep) -> dict[str, str]:
    """Return the posted fields (text only), once its CSRF token is checked (403 without)."""
    form = await request.form()
    if not visitor.csrf_is_valid(str(form.get("csrf", ""))):
        raise Forbidden(CSRF_REFUSAL)
    return {key: value for key, value in form.items() if isinstance(value, str)}


FormDep = Annotated[dict[str, str], Depends(posted_form)]


class WebRoute(APIRoute):
    """A route of the web app: failures become pages, never JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInFirst as exc:
                return see_other("/signin?" + urlencode({"next": exc.next_path}))
            except ServiceError as exc:
                return _error_page(request, exc.status, exc.message)
            except HTTPException as exc:
                return _error_page(request, exc.status_code, str(exc.detail))
            except RequestValidationError:
                return _error_page(request, 422, N_("This value is not valid."))

        return page_handler


def _error_page(request: Request, status: int, detail: str) -> Response:
    state = request.app.state.communs
    language = negotiate(
        chosen=None,
        accept_language=request.headers.get("accept-language", ""),
        default=state.settings.default_language,
    )
    context = {"status": status, "detail": detail, "instance_name": state.settings.instance_name}
    return render_html("error.html", context, language=language, status=status)
