"""uvicorn factory for the local preview host (`http://{slug}.localhost:8080/`)."""

from __future__ import annotations

from starlette.types import ASGIApp

from sitegen.integrations.hosting.server import make_static_host_app
from sitegen.settings import get_settings


def create_app() -> ASGIApp:
    settings = get_settings()
    return make_static_host_app(settings.sites_root, settings.addresses)
