"""Communs server: FastAPI app, database, publishing, workers and CLI."""

__version__ = "0.1.0"
