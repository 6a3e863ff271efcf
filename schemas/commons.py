"""JSON API bodies of projects, funding calls and pledges (the Create/Update/Public families).

Money travels as ``{"amount": "50000.00", "currency": "EUR"}``: the amount is a decimal
**string**, never a JSON number, so no value ever passes through a binary float. It is read by
``schemas.money``, the one money parser, whatever the edge.
"""

from __future__ import annotations

import re
from datetime import date, datetime
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
from schemas.money import check_currency, parse_amount
from schemas.states import CallEventKind, ProjectStatus, Sector

__all__ = [
    "Amount",
    "FundingCallCreate",
    "FundingCallEventPublic",
    "FundingCallHistoryPublic",
    "FundingCallPublic",
    "FundingCallUpdate",
    "FundingCallsPublic",
    "ImagePublic",
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
    "is_hashtag",
]

#: Separators Mastodon allows inside a hashtag (``HASHTAG_SEPARATORS`` of its Tag model).
_HASHTAG_SEPARATORS = "_\u00b7\u30fb\u200c"
#: Mastodon's ``HASHTAG_NAME_RE``: word characters with at least one letter, or separators
#: between word characters (``\w`` and ``[^\W\d_]`` stand for Ruby's word and alpha classes).
_HASHTAG = re.compile(
    rf"\w[\w{_HASHTAG_SEPARATORS}]*(?:[^\W\d_]|[{_HASHTAG_SEPARATORS}])"
    rf"[\w{_HASHTAG_SEPARATORS}]*\w|\w*[^\W\d_]\w*"
)


def is_hashtag(name: str) -> bool:
    """Whether ``name`` (without ``#``) is a hashtag Mastodon would make of it."""
    return _HASHTAG.fullmatch(name) is not None


def _hashtag(name: str) -> str:
    if not is_hashtag(name):
        raise ValueError("a hashtag is letters, digits and _ (at least one letter), as on Mastodon")
    return name


#: A hashtag as Mastodon validates it, lower-cased.
Tag = Annotated[
    str,
    StringConstraints(min_length=1, max_length=50, to_lower=True),
    AfterValidator(_hashtag),
]
HttpUrl = Annotated[AnyHttpUrl, Field(max_length=2048)]
Title = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
Summary = Annotated[str, StringConstraints(max_length=500, strip_whitespace=True)]
Description = Annotated[str, StringConstraints(max_length=20_000)]
Tags = Annotated[
    list[Tag], Field(max_length=20), AfterValidator(lambda tags: list(dict.fromkeys(tags)))
]


class Money(StrictModel):
    """An amount of money: a positive decimal string and an ISO 4217 code.

    The amount is read by ``schemas.money.parse_amount``, the parser of every edge: a value
    it refuses is a 422 naming the field, never rounded.
    """

    amount: str = Field(
        description='A decimal string such as "50000.00", with at most the currency\'s '
        "decimals, above zero and at most 10000000000000.00 EUR (10^15 minor units); "
        "JSON numbers and exponents are refused"
    )
    currency: str = Field(description="An ISO 4217 code such as EUR")

    @field_validator("amount", mode="before")
    @classmethod
    def _decimal_string(cls, value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(
                'amount must be a decimal string such as "50000.00", not a JSON number '
                "(money never passes through a float)"
            )
        return value

    @field_validator("currency", mode="before")
    @classmethod
    def _code(cls, value: Any) -> str:
        if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z]{3}", value.strip()):
            raise ValueError("currency must be a three-letter ISO 4217 code such as EUR")
        return check_currency(value.strip().upper())

    @model_validator(mode="after")
    def _parsed(self) -> Money:
        parse_amount(self.amount, self.currency)
        return self

    def minor(self) -> int:
        """Return the amount in integer minor units of its currency."""
        return parse_amount(self.amount, self.currency)


class Amount(BaseModel):
    """An amount as the API answers it: a decimal string (a total may be ``"0.00"``)."""

    amount: str = Field(description='A decimal string such as "50000.00"')
    currency: str = Field(description="An ISO 4217 code such as EUR")


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


class ImagePublic(BaseModel):
    """A logo or an image, as its Note publishes it (remote ones may lack a size)."""

    url: str
    media_type: str | None = None
    description: str = Field(default="", description="The alt text")
    width: int | None = None
    height: int | None = None

    @classmethod
    def of(cls, published: dict[str, Any]) -> ImagePublic:
        """Return the view of an ``Image`` as a Note carries it."""
        return cls(
            url=published["url"],
            media_type=published.get("mediaType"),
            description=published.get("name", ""),
            width=published.get("width"),
            height=published.get("height"),
        )


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
    logo: ImagePublic | None = None
    images: list[ImagePublic] = Field(default_factory=list)
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
    goal: Amount
    raised: Amount
    raised_by_sector: dict[str, str] = Field(description="Sector → decimal string")
    progress_percent: int
    deadline: date
    status: str
    tags: list[str]
    is_local: bool
    logo: ImagePublic | None = None
    images: list[ImagePublic] = Field(default_factory=list)
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
        None,
        description="Only the token's own actor: a pledge carries an actor's name only if "
        "that actor made it (403 otherwise); other actors pledge with their own token "
        "(POST /api/v1/pledges)",
    )
    funder_name: (
        Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
        | None
    ) = Field(
        None,
        description="A funder outside the fediverse (a region, a company…): the pledge is "
        "marked as recorded by the call's owner",
    )

    @model_validator(mode="after")
    def _one_pledger(self) -> PledgeCreate:
        if (self.pledger is None) == (self.funder_name is None):
            raise ValueError("give exactly one of pledger (a local username) or funder_name")
        return self


class PledgePublic(BaseModel):
    id: str
    uri: str
    funding_call_id: str
    pledger: str | None = Field(
        description="The URI of the actor who made the pledge itself (with its own token or "
        "its own signed Offer); None when the call's owner recorded it"
    )
    funder_name: str | None = Field(description="The funder's name, as the call's owner gave it")
    recorded_by_owner: bool = Field(
        description="Recorded by the call's owner for a funder outside the fediverse"
    )
    sector: str
    amount: Amount
    message: str
    status: str = Field(
        description="accepted, or withdrawn (listed, never counted); rejected ones are not listed"
    )
    created_at: datetime


class PledgesPublic(BaseModel):
    items: list[PledgePublic]
    next_cursor: str | None


class FundingCallEventPublic(BaseModel):
    """One change to a call's figures or status, with the figures right after it."""

    id: str
    at: datetime
    kind: CallEventKind
    actor: str | None = Field(
        description="The URI of the actor who made the change; None for this instance itself "
        "(a deadline passing, the start of the history)"
    )
    pledge: str | None = Field(description="The pledge accepted or withdrawn, if any")
    amount: Amount | None = Field(description="That pledge's amount")
    goal: Amount
    raised: Amount
    status: str


class FundingCallHistoryPublic(BaseModel):
    items: list[FundingCallEventPublic]
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
    amount: Amount
    sector: str
    message: str
    state: str
    reason: str | None
    created_at: datetime
