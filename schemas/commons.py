"""JSON API bodies of projects (and, later, funding calls)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from schemas.states import ProjectStatus

__all__ = ["ProjectCreate", "ProjectPublic", "ProjectUpdate", "ProjectsPublic", "Tag"]

Tag = Annotated[
    str, StringConstraints(pattern=r"^[\w]+$", min_length=1, max_length=50, to_lower=True)
]
HttpUrl = Annotated[AnyHttpUrl, Field(max_length=2048)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProjectFields(_Strict):
    summary: Annotated[str, StringConstraints(max_length=500, strip_whitespace=True)] = ""
    description: Annotated[str, StringConstraints(max_length=20_000)] = ""
    license: Annotated[str, StringConstraints(max_length=200)] | None = Field(
        None, description="An SPDX license expression, e.g. AGPL-3.0-or-later"
    )
    repository_url: HttpUrl | None = None
    website_url: HttpUrl | None = None
    tags: list[Tag] = Field(default_factory=list, max_length=20)
    status: ProjectStatus = ProjectStatus.active
    is_pinned: bool = False

    @field_validator("tags")
    @classmethod
    def _distinct(cls, tags: list[str]) -> list[str]:
        return list(dict.fromkeys(tags))


class ProjectCreate(ProjectFields):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]


class ProjectUpdate(_Strict):
    name: (
        Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
        | None
    ) = None
    summary: Annotated[str, StringConstraints(max_length=500, strip_whitespace=True)] | None = None
    description: Annotated[str, StringConstraints(max_length=20_000)] | None = None
    license: Annotated[str, StringConstraints(max_length=200)] | None = None
    repository_url: HttpUrl | None = None
    website_url: HttpUrl | None = None
    tags: list[Tag] | None = Field(None, max_length=20)
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
