"""JSON API bodies of importing a project from its funding.json (FLOSS/fund)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AnyHttpUrl, BaseModel, Field, StringConstraints

from schemas.base import StrictModel
from schemas.commons import FundingCallPublic, ProjectPublic

__all__ = ["ProjectImport", "ProjectImported"]


class ProjectImport(StrictModel):
    url: Annotated[AnyHttpUrl, Field(max_length=2048, description="Where the funding.json is")]
    guid: Annotated[str, StringConstraints(min_length=1, max_length=32)] | None = Field(
        None, description="The project to import, when the manifest lists several"
    )


class ProjectImported(BaseModel):
    project: ProjectPublic
    draft_calls: list[FundingCallPublic] = Field(
        description="The manifest's active plans, as calls to publish once their deadline is set"
    )
    skipped_plans: dict[str, str] = Field(description="Plan guid → why it was left out")
