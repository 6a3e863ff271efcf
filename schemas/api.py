"""Bodies of the JSON API: the Create/Update/Public families of each resource."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, AnyHttpUrl, BaseModel, Field, StringConstraints

from schemas.base import StrictModel
from schemas.legal import PublicCategory, check_siren, check_siret
from schemas.regions import RegionError, normalize_region
from schemas.states import ActorKind

__all__ = [
    "USERNAME_PATTERN",
    "ActorCreate",
    "ActorPublic",
    "ActorUpdate",
    "InstancePublic",
    "MediaListPublic",
    "MediaPublic",
    "Region",
    "RegionFilter",
    "Username",
    "check_region",
]

USERNAME_PATTERN = r"^[a-z0-9_]+([.-]+[a-z0-9_]+)*$"

Username = Annotated[str, StringConstraints(pattern=USERNAME_PATTERN, min_length=1, max_length=30)]
Siren = Annotated[str, StringConstraints(max_length=20), AfterValidator(check_siren)]
Siret = Annotated[str, StringConstraints(max_length=30), AfterValidator(check_siret)]


def check_region(value: str | None) -> str | None:
    """Return a region's code (``normalize_region``); raises ``ValueError`` for an unknown one."""
    if value is None or value == "":
        return None
    try:
        return normalize_region(value)
    except RegionError as exc:
        raise ValueError(str(exc)) from None


#: A French region (INSEE code or name) or a country (ISO 3166 code or name), stored as its code.
Region = Annotated[
    str,
    StringConstraints(min_length=1, max_length=100),
    AfterValidator(check_region),
    Field(
        description="A French region (INSEE code such as 84, or its name) or a country "
        "(ISO 3166 code such as BE)"
    ),
]
#: A region filter of a query string (empty: no filter).
RegionFilter = Annotated[
    str | None, StringConstraints(max_length=100), AfterValidator(check_region)
]
#: One address, as it is written in a ``mailto:`` (no display name).
Email = Annotated[
    str,
    StringConstraints(
        pattern=r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$", max_length=250, strip_whitespace=True
    ),
]
ShortText = Annotated[str, StringConstraints(max_length=200, strip_whitespace=True)]
HttpUrl = Annotated[AnyHttpUrl, Field(max_length=2048)]
#: A BCP 47 language tag such as ``fr``, ``en`` or ``pt-BR``.
Language = Annotated[
    str, StringConstraints(pattern=r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{1,8})*$", max_length=35)
]


class ActorFields(StrictModel):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]
    kind: ActorKind = ActorKind.cooperative
    summary: Annotated[str, StringConstraints(max_length=5000)] = ""
    legal_form: ShortText | None = None
    siren: Siren | None = None
    siret: Siret | None = None
    public_category: PublicCategory | None = Field(
        None, description="For public bodies: state, region, department, municipality…"
    )
    region: Region | None = None
    email: Email | None = Field(None, description="A public contact address")
    website: HttpUrl | None = None
    manually_approves_followers: bool = False
    language: Language = "en"


class ActorCreate(ActorFields):
    username: Username


class ActorUpdate(StrictModel):
    name: (
        Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]
        | None
    ) = None
    kind: ActorKind | None = None
    summary: Annotated[str, StringConstraints(max_length=5000)] | None = None
    legal_form: ShortText | None = None
    siren: Siren | None = None
    siret: Siret | None = None
    public_category: PublicCategory | None = None
    region: Region | None = None
    email: Email | None = None
    website: HttpUrl | None = None
    manually_approves_followers: bool | None = None
    language: Language | None = None


class ActorPublic(BaseModel):
    username: str
    handle: str
    uri: str
    url: str
    name: str
    kind: str | None
    type: str
    summary: str
    summary_html: str
    legal_form: str | None
    siren: str | None
    siret: str | None
    public_category: str | None
    region: str | None
    region_name: str | None
    email: str | None
    website: str | None
    manually_approves_followers: bool
    language: str
    is_local: bool
    created_at: datetime
    followers_count: int = 0
    following_count: int = 0
    #: URLs of the avatar and header, when the actor has them.
    avatar: str | None = None
    header: str | None = None


class MediaPublic(BaseModel):
    """An uploaded picture, as stored: re-encoded, resized, without metadata."""

    id: str
    kind: str = Field(description="avatar, header, logo or image")
    url: str
    media_type: str
    width: int
    height: int
    description: str = Field(description="The alt text")
    created_at: datetime


class MediaListPublic(BaseModel):
    """The logo and images of a project or funding call, oldest first."""

    items: list[MediaPublic]


class InstancePublic(BaseModel):
    domain: str
    base_url: str
    name: str
    description: str
    version: str
    software: str = "communs"
    actor: str
    users: int
    authorized_fetch: bool
