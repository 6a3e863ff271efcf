"""Wire formats: ActivityStreams documents, NodeInfo and the JSON API bodies. Pure, no I/O."""

from schemas.actors import (
    ACTOR_TYPES,
    Actor,
    Multikey,
    PropertyValue,
    PublicKey,
    as2_type_of_kind,
)
from schemas.base import APModel, StrictModel, as_list, get_id
from schemas.collections import OrderedCollection, OrderedCollectionPage
from schemas.context import ACTOR_CONTEXT, AS2, AS2_PUBLIC, COMMUNS_NS, OBJECT_CONTEXT
from schemas.states import (
    ActivityState,
    ActorKind,
    CallEventKind,
    DeclarationKind,
    DeliveryState,
    DomainBlock,
    FollowState,
    FundingStatus,
    PledgeState,
    ProjectStatus,
    Sector,
    ServiceKind,
)

__all__ = [
    "ACTOR_CONTEXT",
    "ACTOR_TYPES",
    "AS2",
    "AS2_PUBLIC",
    "COMMUNS_NS",
    "OBJECT_CONTEXT",
    "APModel",
    "ActivityState",
    "Actor",
    "ActorKind",
    "CallEventKind",
    "DeclarationKind",
    "DeliveryState",
    "DomainBlock",
    "FollowState",
    "FundingStatus",
    "Multikey",
    "OrderedCollection",
    "OrderedCollectionPage",
    "PledgeState",
    "ProjectStatus",
    "PropertyValue",
    "PublicKey",
    "Sector",
    "ServiceKind",
    "StrictModel",
    "as2_type_of_kind",
    "as_list",
    "get_id",
]
