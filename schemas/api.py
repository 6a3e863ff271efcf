"""Bodies of the JSON API: the Create/Update/Public families of each resource."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AnyHttpUrl, BaseModel, Field, StringConstraints

from schemas.base import StrictModel
from schemas.states import ActorKind

__all__ = [
    "USERNAME_PATTERN",
    "ActorCreate",
    "ActorPublic",
    "ActorUpdate",
    "InstancePublic",
    "Username",
]

USERNAME_PATTERN = r"^[a-z0-9_]+([.-]+[a-z0-9_]+)*$"

Username = Annotated[str, StringConstraints(pattern=USERNAME_PATTERN, min_length=1, max_length=30)]
Siren = Annotated[str, StringConstraints(pattern=r"^[0-9]{9}$")]
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
    region: ShortText | None = None
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
    region: ShortText | None = None
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
    region: str | None
    website: str | None
    manually_approves_followers: bool
    language: str
    is_local: bool
    created_at: datetime
    followers_count: int = 0
    following_count: int = 0


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
