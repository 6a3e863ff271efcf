"""The names people read for our closed vocabularies (sectors, statuses, kinds of actor), in
each language: marked here for the catalogs, translated where they are shown."""

from __future__ import annotations

from collections.abc import Mapping

from schemas.states import ActorKind, FundingStatus, ProjectStatus, Sector, ServiceKind
from server.i18n import N_, Message, translations

__all__ = [
    "FUNDING_STATUS_LABELS",
    "KIND_LABELS",
    "PROJECT_STATUS_LABELS",
    "SECTOR_LABELS",
    "SERVICE_LABELS",
    "STATUS_LABELS",
    "label",
    "named",
]

SECTOR_LABELS = {
    Sector.public: N_("Public sector"),
    Sector.private: N_("Private sector"),
    Sector.civil_society: N_("Civil society"),
    Sector.individual: N_("Individuals"),
}

FUNDING_STATUS_LABELS = {
    FundingStatus.draft: N_("draft"),
    FundingStatus.open: N_("open"),
    FundingStatus.funded: N_("funded"),
    FundingStatus.closed: N_("closed"),
    FundingStatus.cancelled: N_("cancelled"),
}

PROJECT_STATUS_LABELS = {
    ProjectStatus.idea: N_("idea"),
    ProjectStatus.active: N_("active"),
    ProjectStatus.maintained: N_("maintained"),
    ProjectStatus.archived: N_("archived"),
}

#: Statuses of projects and funding calls (they share none), by their value.
STATUS_LABELS = {
    str(status): name
    for labels in (PROJECT_STATUS_LABELS, FUNDING_STATUS_LABELS)
    for status, name in labels.items()
}

KIND_LABELS = {
    ActorKind.cooperative: N_("Cooperative"),
    ActorKind.company: N_("Company"),
    ActorKind.public_body: N_("Public body"),
    ActorKind.association: N_("Association"),
    ActorKind.collective: N_("Collective"),
    ActorKind.person: N_("Person"),
}

SERVICE_LABELS = {
    ServiceKind.development: N_("development"),
    ServiceKind.support: N_("support"),
    ServiceKind.hosting: N_("hosting"),
    ServiceKind.training: N_("training"),
    ServiceKind.consulting: N_("consulting"),
    ServiceKind.integration: N_("integration"),
}


def label(labels: Mapping[str, str], value: str, language: str) -> str:
    """Return the name of ``value`` in ``language``; a value we have no name for (a remote
    server's own status, say) is shown as it came."""
    message = labels.get(value)
    return translations(language).gettext(message) if message is not None else value


def named(labels: Mapping[str, str], value: str) -> Message | str:
    """Return the name of ``value`` as a ``Message``, to be translated with the sentence it is
    a value of ("the funding call is {status}"); an unknown value is kept as it came."""
    message = labels.get(value)
    return Message(message) if message is not None else value
