"""JSON API bodies of declarations: an actor uses a project, or provides services for it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, StringConstraints, model_validator

from schemas.api import Region
from schemas.base import StrictModel
from schemas.states import DeclarationKind, ServiceKind

__all__ = [
    "DeclarationCreate",
    "DeclarationPublic",
    "DeclarationUpdate",
    "DeclarationsPublic",
    "ProviderPublic",
    "ProvidersPublic",
]

Services = Annotated[
    list[ServiceKind],
    Field(
        max_length=len(ServiceKind),
        description="development, support, hosting, training, consulting, integration",
    ),
    AfterValidator(lambda kinds: list(dict.fromkeys(kinds))),
]
Regions = Annotated[
    list[Region],
    Field(max_length=40, description="French regions (INSEE codes) and countries (ISO 3166)"),
    AfterValidator(lambda codes: list(dict.fromkeys(codes))),
]
Statement = Annotated[str, StringConstraints(max_length=500, strip_whitespace=True)]


class DeclarationCreate(StrictModel):
    """``uses`` a project, or ``serves`` it with some services in some regions."""

    project: Annotated[str, StringConstraints(min_length=1, max_length=2048)] = Field(
        description="A project's id on this instance, or its URI on this or another instance"
    )
    kind: DeclarationKind
    services: Services = Field(default_factory=list)
    regions: Regions = Field(default_factory=list)
    text: Statement = ""

    @model_validator(mode="after")
    def _services_only_when_serving(self) -> DeclarationCreate:
        if self.kind == DeclarationKind.serves and not self.services:
            raise ValueError("services: a service declaration names at least one service")
        if self.kind == DeclarationKind.uses and (self.services or self.regions):
            raise ValueError("services and regions belong to service declarations (kind serves)")
        return self


class DeclarationUpdate(StrictModel):
    services: Services | None = None
    regions: Regions | None = None
    text: Statement | None = None


class DeclarationPublic(BaseModel):
    id: str
    uri: str
    url: str
    kind: str
    actor: str = Field(description="The declaring actor's URI")
    actor_name: str
    actor_kind: str | None
    project_id: str
    project_uri: str
    project_name: str
    services: list[str]
    regions: list[str]
    region_names: list[str]
    text: str
    is_local: bool
    is_hidden: bool = Field(description="Hidden by the project's owner; shown to the owner only")
    published_at: datetime
    updated_at: datetime


class DeclarationsPublic(BaseModel):
    items: list[DeclarationPublic]
    next_cursor: str | None


class ProviderPublic(BaseModel):
    """One provider of one project, as buyers download it."""

    name: str
    handle: str
    actor: str
    url: str
    kind: str | None
    legal_form: str | None
    siren: str | None
    siret: str | None
    region: str | None
    email: str | None
    website: str | None
    project_name: str
    project_uri: str
    services: list[str]
    regions: list[str]
    region_names: list[str]
    text: str
    declaration: str
    declared_at: datetime


class ProvidersPublic(BaseModel):
    items: list[ProviderPublic]
