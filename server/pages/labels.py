"""What the pages call kinds, sectors and statuses, marked for translation (shown through
``_()`` in the templates, in the page's language)."""

from __future__ import annotations

from server.i18n import N_

__all__ = ["EVENT_LABELS", "KIND_LABELS", "SECTOR_LABELS", "STATUS_LABELS", "TYPE_LABELS"]

KIND_LABELS = {
    "cooperative": N_("Cooperative"),
    "company": N_("Company"),
    "public_body": N_("Public body"),
    "association": N_("Association"),
    "collective": N_("Collective"),
    "person": N_("Person"),
}

SECTOR_LABELS = {
    "public": N_("Public sector"),
    "private": N_("Private sector"),
    "civil_society": N_("Civil society"),
    "individual": N_("Individuals"),
}

#: Statuses of projects and funding calls.
STATUS_LABELS = {
    "idea": N_("idea"),
    "active": N_("active"),
    "maintained": N_("maintained"),
    "archived": N_("archived"),
    "draft": N_("draft"),
    "open": N_("open"),
    "funded": N_("funded"),
    "closed": N_("closed"),
    "cancelled": N_("cancelled"),
}

#: What the directory lists.
TYPE_LABELS = {
    "actor": N_("Actor"),
    "project": N_("Project"),
    "funding_call": N_("Funding call"),
}

#: What each kind of history row says on a call's page.
EVENT_LABELS = {
    "history_started": N_("Figures when this history began"),
    "created": N_("Call opened"),
    "pledged": N_("Pledge"),
    "withdrawn": N_("Pledge withdrawn"),
    "edited": N_("Goal or deadline changed"),
    "cancelled": N_("Call cancelled"),
    "closed": N_("Deadline passed"),
    "updated_remotely": N_("Updated by its server"),
}
