"""Image uploads: checked whole before they are stored under the project's own prefix, and
no onboarding form may name an upload of another project."""

from __future__ import annotations

import io
import uuid
from typing import Any

import httpx
import pytest
from PIL import Image

from sitegen.settings import Settings
from tests.api.support import PROJECTS
from tests.conftest import order_body, unique_onboarding


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"asset_max_bytes": 200_000})


def png(width: int, height: int, mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), "white" if mode != "1" else 1).save(out, "PNG")
    return out.getvalue()


async def upload(api: httpx.AsyncClient, project_id: str, data: bytes, **file: Any) -> Any:
    name, ctype = file.get("name", "logo.png"), file.get("ctype", "image/png")
    return await api.post(f"{PROJECTS}/{project_id}/assets", files={"file": (name, data, ctype)})


async def new_project(api: httpx.AsyncClient) -> str:
    return str((await api.post(PROJECTS, json=order_body())).json()["id"])


async def test_an_image_is_stored_under_its_project(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    project_id = await new_project(api)
    answer = await upload(api, project_id, png(320, 200), name="../../etc/passwd.png")
    assert answer.status_code == 201, answer.text
    stored = answer.json()
    assert stored["storage_key"].startswith(f"uploads/{project_id}/")
    assert stored["storage_key"].endswith(".png") and ".." not in stored["storage_key"]
    assert (stored["width"], stored["height"], stored["content_type"]) == (320, 200, "image/png")
    assert (settings.storage_root / stored["storage_key"]).read_bytes() == png(320, 200)
    # The same image again is the same object.
    again = await upload(api, project_id, png(320, 200))
    assert again.json()["storage_key"] == stored["storage_key"]


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"<?php system($_GET['c']); ?>", 422),  # named .png, sent as image/png: not one
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, 422),  # the magic number, then nothing
        (png(10_000, 10_000, "1"), 422),  # a few kB that would decode to 100 megapixels
        (png(320, 200) + b"\x00" * 200_000, 413),  # over SITEGEN_ASSET_MAX_BYTES
    ],
    ids=["script", "truncated", "pixel-bomb", "too-big"],
)
async def test_what_is_not_an_acceptable_image_is_refused(
    api: httpx.AsyncClient, settings: Settings, data: bytes, status: int
) -> None:
    project_id = await new_project(api)
    answer = await upload(api, project_id, data)
    assert answer.status_code == status, answer.text
    assert answer.json().get("field") == "file" or answer.json()["errors"][0]["field"] == "file"
    assert not (settings.storage_root / "uploads" / project_id).exists()


async def test_an_unknown_project_takes_no_upload(api: httpx.AsyncClient) -> None:
    answer = await upload(api, str(uuid.uuid4()), png(10, 10))
    assert answer.status_code == 404


async def test_a_form_may_name_only_its_own_uploads(api: httpx.AsyncClient) -> None:
    mine, theirs = await new_project(api), await new_project(api)
    their_logo = (await upload(api, theirs, png(64, 64))).json()["storage_key"]
    my_logo = (await upload(api, mine, png(48, 48))).json()["storage_key"]
    form = unique_onboarding("harbour-physio")

    def with_logo(key: str) -> dict[str, Any]:
        return {**form, "assets": [{"kind": "logo", "storage_key": key, "alt": "Logo"}]}

    url = f"{PROJECTS}/{mine}/onboarding"
    for foreign in (their_logo, f"uploads/{theirs}/x.png", "uploads/logo.png", "../x.png"):
        refused = await api.post(url, json=with_logo(foreign))
        assert refused.status_code == 422, refused.text
        fields = [e["field"] for e in refused.json()["errors"]]
        assert "assets.0.storage_key" in fields, fields
    accepted = await api.post(url, json=with_logo(my_logo))
    assert accepted.status_code == 201, accepted.text
    # An order arriving with a form has no project yet: no upload can be its own.
    order = await api.post(PROJECTS, json=order_body(with_logo(my_logo)))
    assert order.status_code == 422
    assert "onboarding.assets.0.storage_key" in order.text
