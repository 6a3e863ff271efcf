"""What the pages call what they list and what happened to a call, marked for translation
(shown through ``_()`` in the templates, in the page's language); kinds, sectors, statuses and
services are named by ``server.domain.labels``."""

from __future__ import annotations

from server.i18n import N_

__all__ = ["EVENT_LABELS", "TYPE_LABELS"]

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
