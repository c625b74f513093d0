"""Image uploads: `POST /api/v1/projects/{id}/assets`, one image per request (multipart,
field `file`). It is decoded whole (size and pixel caps) before it is stored, under the
project's own upload prefix; the onboarding form then names it by the key this returns, and
no form may name another project's (sitegen/contracts/onboarding_check.py)."""

from __future__ import annotations

import asyncio
import hashlib
import uuid

from fastapi import APIRouter, File, Request, UploadFile
from pydantic import BaseModel

from sitegen.api.deps import SessionDep, SettingsDep, project_or_404
from sitegen.api.errors import ApiError
from sitegen.contracts.onboarding_check import upload_prefix
from sitegen.integrations.assets import ALLOWED_TYPES, sniff_image_type
from sitegen.integrations.assets.images import ImageRejected, pixel_size
from sitegen.integrations.storage.base import Storage

router = APIRouter(tags=["assets"])


class UploadedAsset(BaseModel):
    storage_key: str
    content_type: str
    bytes: int
    width: int
    height: int


class _BadFile(ApiError):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(status, reason, "file")


@router.post(
    "/projects/{project_id}/assets",
    status_code=201,
    response_model=UploadedAsset,
    responses={
        404: {"description": "Unknown project"},
        413: {"description": "Over the size limit"},
        422: {"description": "Not an image sitegen takes"},
    },
)
async def upload_asset(
    project_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    file: UploadFile = File(description="A PNG, JPEG, WebP or GIF image."),
) -> UploadedAsset:
    await project_or_404(session, project_id)
    data = await file.read(settings.asset_max_bytes + 1)
    if len(data) > settings.asset_max_bytes:
        raise _BadFile(413, f"the image is over {settings.asset_max_bytes} bytes")
    # What the bytes are, not what the client called them.
    content_type = sniff_image_type(data)
    if content_type is None:
        raise _BadFile(422, "not a PNG, JPEG, WebP or GIF image")
    try:
        # Decoding a large image takes a while: off the event loop.
        width, height = await asyncio.to_thread(pixel_size, data)
    except ImageRejected as exc:
        raise _BadFile(422, str(exc.args[0]) if exc.args else "not a readable image") from None
    # Named by content: the same image uploaded twice is one object.
    key = f"{upload_prefix(project_id)}{hashlib.sha256(data).hexdigest()[:32]}"
    key += ALLOWED_TYPES[content_type]
    storage: Storage = request.app.state.storage
    await storage.put(key, data, content_type)
    return UploadedAsset(
        storage_key=key, content_type=content_type, bytes=len(data), width=width, height=height
    )
