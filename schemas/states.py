"""The closed vocabularies shared by the wire formats, the API and the database."""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "ActivityState",
    "ActorKind",
    "CallEventKind",
    "DeclarationKind",
    "DeliveryState",
    "DomainBlock",
    "FollowState",
    "FundingStatus",
    "PledgeState",
    "ProjectStatus",
    "Sector",
    "ServiceKind",
]


class ActorKind(StrEnum):
    cooperative = "cooperative"
    company = "company"
    public_body = "public_body"
    association = "association"
    collective = "collective"
    person = "person"


class FollowState(StrEnum):
    pending = "pending"
    accepted = "accepted"


class ActivityState(StrEnum):
    received = "received"
    processed = "processed"
    ignored = "ignored"
    errored = "errored"
    sent = "sent"


class DeliveryState(StrEnum):
    pending = "pending"
    delivered = "delivered"
    failed = "failed"
    abandoned = "abandoned"


class DomainBlock(StrEnum):
    none = "none"
    silence = "silence"
    reject = "reject"


class ProjectStatus(StrEnum):
    idea = "idea"
    active = "active"
    maintained = "maintained"
    archived = "archived"


class FundingStatus(StrEnum):
    #: Imported (funding.json) and not yet published: never on the wire, takes no pledge.
    draft = "draft"
    open = "open"
    funded = "funded"
    closed = "closed"
    cancelled = "cancelled"


class Sector(StrEnum):
    public = "public"
    private = "private"
    civil_society = "civil_society"
    individual = "individual"


class PledgeState(StrEnum):
    offered = "offered"
    accepted = "accepted"
    rejected = "rejected"
    withdrawn = "withdrawn"


class CallEventKind(StrEnum):
    """What changed a funding call's figures or status, in its history."""

    history_started = "history_started"
    created = "created"
    pledged = "pledged"
    withdrawn = "withdrawn"
    edited = "edited"
    cancelled = "cancelled"
    closed = "closed"
    updated_remotely = "updated_remotely"


class DeclarationKind(StrEnum):
    """What an actor declares about a project: it uses it, or it provides services for it."""

    uses = "uses"
    serves = "serves"


class ServiceKind(StrEnum):
    """The services a provider offers for a project."""

    development = "development"
    support = "support"
    hosting = "hosting"
    training = "training"
    consulting = "consulting"
    integration = "integration"
