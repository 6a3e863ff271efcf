"""JSON API bodies of projects, funding calls and pledges (the Create/Update/Public families).

Money travels as ``{"amount": "50000.00", "currency": "EUR"}``: the amount is a decimal
**string**, never a JSON number, so no value ever passes through a binary float. Whether the
currency exists and how many decimals it allows is checked by ``server.money`` (babel).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    BaseModel,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from schemas.base import StrictModel
from schemas.states import ProjectStatus, Sector

__all__ = [
    "FundingCallCreate",
    "FundingCallPublic",
    "FundingCallUpdate",
    "FundingCallsPublic",
    "Money",
    "OfferedPledgePublic",
    "PledgeCreate",
    "PledgeOffer",
    "PledgePublic",
    "PledgesPublic",
    "ProjectCreate",
    "ProjectPublic",
    "ProjectUpdate",
    "ProjectsPublic",
    "Tag",
]

#: Letters, digits and ``_`` with at least one letter: Mastodon drops a hashtag of digits.
Tag = Annotated[
    str, StringConstraints(pattern=r"^\w*[^\W\d_]\w*$", min_length=1, max_length=50, to_lower=True)
]
HttpUrl = Annotated[AnyHttpUrl, Field(max_length=2048)]
Title = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
Summary = Annotated[str, StringConstraints(max_length=500, strip_whitespace=True)]
Description = Annotated[str, StringConstraints(max_length=20_000)]
Tags = Annotated[
    list[Tag], Field(max_length=20), AfterValidator(lambda tags: list(dict.fromkeys(tags)))
]

_DECIMAL = re.compile(r"^[0-9]{1,15}(\.[0-9]{1,18})?$")


class Money(StrictModel):
    """An amount of money: a positive decimal string and an ISO 4217 code."""

    amount: str = Field(description='A decimal string such as "50000.00"; JSON numbers are refused')
    currency: str = Field(description="An ISO 4217 code such as EUR")

    @field_validator("amount", mode="before")
    @classmethod
    def _decimal_string(cls, value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(
                'amount must be a decimal string such as "50000.00", not a JSON number '
                "(money never passes through a float)"
            )
        text = value.strip()
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"amount {value!r} is not a decimal number") from None
        if number.is_finite() and number <= 0:
            raise ValueError("amount must be greater than zero")
        if not _DECIMAL.match(text):
            raise ValueError(
                f"amount {value!r} must be digits with an optional decimal point "
                "(at most 15 before it), such as 50000.00"
            )
        return text

    @field_validator("currency", mode="before")
    @classmethod
    def _code(cls, value: Any) -> str:
        if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z]{3}", value.strip()):
            raise ValueError("currency must be a three-letter ISO 4217 code such as EUR")
        return value.strip().upper()


class ProjectFields(StrictModel):
    summary: Summary = ""
    description: Description = ""
    license: Annotated[str, StringConstraints(max_length=200)] | None = Field(
        None, description="An SPDX license expression, e.g. AGPL-3.0-or-later"
    )
    repository_url: HttpUrl | None = None
    website_url: HttpUrl | None = None
    tags: Tags = Field(default_factory=list)
    status: ProjectStatus = ProjectStatus.active
    is_pinned: bool = Field(False, description="Listed in the actor's featured collection")


class ProjectCreate(ProjectFields):
    name: Title


class ProjectUpdate(StrictModel):
    name: Title | None = None
    summary: Summary | None = None
    description: Description | None = None
    license: Annotated[str, StringConstraints(max_length=200)] | None = None
    repository_url: HttpUrl | None = None
    website_url: HttpUrl | None = None
    tags: Tags | None = None
    status: ProjectStatus | None = None
    is_pinned: bool | None = None


class ProjectPublic(BaseModel):
    id: str
    uri: str
    url: str
    actor: str
    name: str
    summary: str
    description: str
    description_html: str
    license: str | None
    repository_url: str | None
    website_url: str | None
    tags: list[str]
    status: str
    is_pinned: bool
    is_local: bool
    published_at: datetime
    updated_at: datetime


class ProjectsPublic(BaseModel):
    items: list[ProjectPublic]
    next_cursor: str | None


class FundingCallCreate(StrictModel):
    title: Title
    summary: Summary = ""
    description: Description = ""
    project_id: Annotated[str, StringConstraints(max_length=32)] | None = Field(
        None, description="A project of the same actor"
    )
    goal: Money
    deadline: date = Field(description="Last day of the call (UTC); not in the past")
    tags: Tags = Field(default_factory=list)


class FundingCallUpdate(StrictModel):
    title: Title | None = None
    summary: Summary | None = None
    description: Description | None = None
    project_id: Annotated[str, StringConstraints(max_length=32)] | None = None
    goal: Money | None = None
    deadline: date | None = None
    tags: Tags | None = None
    status: Literal["cancelled"] | None = Field(
        None,
        description="Only 'cancelled' can be set; open, funded and closed follow from the "
        "pledges and the deadline",
    )


class FundingCallPublic(BaseModel):
    id: str
    uri: str
    url: str
    actor: str
    project_id: str | None
    project_uri: str | None
    title: str
    summary: str
    description: str
    description_html: str
    goal: Money
    raised: Money
    raised_by_sector: dict[str, str] = Field(description="Sector → decimal string")
    progress_percent: int
    deadline: date
    status: str
    tags: list[str]
    is_local: bool
    published_at: datetime
    updated_at: datetime


class FundingCallsPublic(BaseModel):
    items: list[FundingCallPublic]
    next_cursor: str | None


class PledgeCreate(StrictModel):
    amount: Money
    sector: Sector
    message: Annotated[str, StringConstraints(max_length=2000, strip_whitespace=True)] = ""
    pledger: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = Field(
        None, description="Username of the local actor who pledges"
    )
    funder_name: (
        Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
        | None
    ) = Field(None, description="A funder outside the fediverse: a region, a company…")

    @model_validator(mode="after")
    def _one_pledger(self) -> PledgeCreate:
        if (self.pledger is None) == (self.funder_name is None):
            raise ValueError("give exactly one of pledger (a local username) or funder_name")
        return self


class PledgePublic(BaseModel):
    id: str
    uri: str
    funding_call_id: str
    pledger: str | None = Field(description="The pledging actor's URI, if any")
    funder_name: str | None
    sector: str
    amount: Money
    message: str
    status: str
    created_at: datetime


class PledgesPublic(BaseModel):
    items: list[PledgePublic]
    next_cursor: str | None


class PledgeOffer(StrictModel):
    """A pledge by the token's actor to a funding call of this or another instance."""

    funding_call: Annotated[str, StringConstraints(min_length=8, max_length=2048)] = Field(
        description="The funding call's URI"
    )
    amount: Money
    sector: Sector
    message: Annotated[str, StringConstraints(max_length=2000, strip_whitespace=True)] = ""


class OfferedPledgePublic(BaseModel):
    """A pledge as its pledger sees it: ``offered`` until the call's instance answers."""

    id: str
    uri: str
    funding_call: str
    amount: Money
    sector: str
    message: str
    state: str
    reason: str | None
    created_at: datetime
