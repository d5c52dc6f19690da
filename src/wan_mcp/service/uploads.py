"""Local files (and data: URIs the API takes no inline) → temporary `oss://` URLs, each uploaded once per 48 h."""

from __future__ import annotations

import base64
import copy
import hashlib
import tempfile
from pathlib import Path
from typing import Any

from wan_mcp import catalog
from wan_mcp.files import SUFFIX_BY_MIME, mime_of, sha256_file
from wan_mcp.requests import PendingUpload, Plan
from wan_mcp.service.base import Deps

UPLOAD_MARGIN_SECONDS = 3600.0  # upload again an hour before the 48 h temporary file would expire


def content_hash(upload: PendingUpload) -> str:
    """What identifies an upload's content (a local file's bytes, or the data: URI)."""
    if upload.path is not None:
        return sha256_file(upload.path)
    return hashlib.sha256((upload.data_uri or "").encode()).hexdigest()


async def upload_inputs(deps: Deps, plan: Plan, tenant: str = "") -> dict[str, Any]:
    """The request body with every pending upload replaced by its oss:// URL (reusing one still valid)."""
    body: dict[str, Any] = copy.deepcopy(plan.request.body)
    since = deps.clock.now() - (catalog.UPLOAD_TTL_SECONDS - UPLOAD_MARGIN_SECONDS)
    for upload in plan.uploads:
        digest = content_hash(upload)
        url = await deps.store.known_upload(digest, plan.model_name, plan.region, since=since)
        if url is None:
            url = await _upload_one(deps, upload, plan.model_name, tenant)
            await deps.store.remember_upload(digest, plan.model_name, plan.region, url, at=deps.clock.now())
        _set(body, upload.pointer, url)
    return body


async def _upload_one(deps: Deps, upload: PendingUpload, model_name: str, tenant: str) -> str:
    client = deps.client(tenant)
    if upload.path is not None:
        return await client.upload(upload.path, model=model_name, content_type=mime_of(upload.path))
    assert upload.data_uri is not None
    header, _, payload = upload.data_uri.partition(",")
    mime = header[5:].split(";")[0] or "application/octet-stream"
    with tempfile.TemporaryDirectory(prefix="wan-mcp-") as folder:
        path = Path(folder) / f"{upload.argument}{SUFFIX_BY_MIME.get(mime, '')}"
        path.write_bytes(base64.b64decode(payload))
        return await client.upload(path, model=model_name, content_type=mime)


def _set(body: dict[str, Any], pointer: tuple[str | int, ...], value: str) -> None:
    target: Any = body
    for part in pointer[:-1]:
        target = target[part]
    target[pointer[-1]] = value
