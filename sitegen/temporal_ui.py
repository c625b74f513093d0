"""Where an operator reads a run: the Temporal UI's page of one workflow."""

from __future__ import annotations

from urllib.parse import quote

from sitegen.settings import Settings


def temporal_ui_url(settings: Settings, workflow_id: str) -> str:
    return (
        f"http://localhost:{settings.temporal_ui_port}/namespaces/"
        f"{quote(settings.temporal_namespace, safe='')}/workflows/{quote(workflow_id, safe='')}"
    )
