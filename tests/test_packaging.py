"""What the wheel and the Docker image carry: every package, template and asset the server
reads at run time, and the migrations beside them (the image runs from the wheel alone)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path, PurePath
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TOP_LEVEL = ("server", "federation", "schemas")


def _setuptools() -> dict[str, Any]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        setuptools: dict[str, Any] = tomllib.load(file)["tool"]["setuptools"]
    return setuptools


def _matches(path: PurePath, glob: str) -> bool:
    """Whether setuptools' ``glob`` takes ``path``: a ``*`` stays within one folder."""
    return len(path.parts) == len(PurePath(glob).parts) and path.match(glob)


def _files(package: str, pattern: str) -> list[Path]:
    return [
        path for path in sorted((ROOT / package).rglob(pattern)) if "__pycache__" not in path.parts
    ]


def test_wheel__lists_every_package() -> None:
    packages = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in TOP_LEVEL
        for init in _files(top, "__init__.py")
    }
    assert set(_setuptools()["packages"]) == packages


def test_wheel__carries_every_data_file() -> None:
    package_data: dict[str, list[str]] = _setuptools()["package-data"]
    missing = [
        str(path.relative_to(ROOT))
        for top in TOP_LEVEL
        for path in _files(top, "*")
        if path.is_file()
        and path.suffix != ".py"
        and not any(
            _matches(path.relative_to(ROOT / package.replace(".", "/")), glob)
            for package, globs in package_data.items()
            if path.is_relative_to(ROOT / package.replace(".", "/"))
            for glob in globs
        )
    ]
    assert missing == []


def test_docker_image__copies_the_packages_and_the_migrations() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    copies = re.findall(r"^COPY (?!--from)(.+)$", dockerfile, re.M)
    copied = {source for line in copies for source in line.split()[:-1]}
    assert {*TOP_LEVEL, "pyproject.toml", "alembic", "alembic.ini"} <= copied


def test_health_checks__ask_readiness() -> None:
    """The image and the compose file check /readyz: the database can serve, not only the
    process is alive (/healthz)."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    [check] = re.findall(r"^HEALTHCHECK .*(?:\n  .*)*", dockerfile, re.M)
    assert "/readyz" in check and "/healthz" not in check
    compose = (ROOT / "docker-compose.yml").read_text()
    assert "/readyz" in compose and "/healthz" not in compose
