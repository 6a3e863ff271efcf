"""Logging of ``communs serve`` and ``communs worker``: uvicorn's own set-up, plus Communs'
loggers (``communs.*``: deliveries, inbox processing, chores) on stderr at the configured level.

Without it nothing configures Communs' loggers, and Python shows only their warnings.
"""

from __future__ import annotations

import copy
from typing import Any

from uvicorn.config import LOGGING_CONFIG

__all__ = ["log_config"]


def log_config(level: str) -> dict[str, Any]:
    """Return the ``logging.config.dictConfig`` of a process (uvicorn applies it in each web
    process it starts)."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["communs"] = {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    config["handlers"]["communs"] = {
        "class": "logging.StreamHandler",
        "formatter": "communs",
        "stream": "ext://sys.stderr",
    }
    config["loggers"]["communs"] = {
        "handlers": ["communs"],
        "level": level.upper(),
        "propagate": False,
    }
    return config
