"""Local files (and data: URIs the API takes no inline) → temporary `oss://` URLs, each uploaded once per 48 h.

Each local file is opened once and checked again on the descriptor (the path, size and content the plan saw),
then hashed and uploaded from that descriptor: a file swapped or rewritten since the plan is refused.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio

from wan_mcp import catalog
from wan_mcp.errors import Problem, RequestInvalid
from wan_mcp.files import SUFFIX_BY_MIME, mime_of
from wan_mcp.inputs import CheckedFile, InputError, open_for_upload
from wan_mcp.requests import PendingUpload, Plan
from wan_mcp.service.base import Deps

UPLOAD_MARGIN_SECONDS = 3600.0  # upload again an hour before the 48 h temporary file would expire


@contextmanager
def opened(upload: PendingUpload) -> Iterator[CheckedFile]:
    """The upload's file, opened and checked once (a data: URI is decoded into a private temporary file first)."""
    with tempfile.TemporaryDirectory(prefix="wan-mcp-") as folder:
        path, size = upload.path, upload.size_bytes
        if path is None:
            assert upload.data_uri is not None
            header, _, payload = upload.data_uri.partition(",")
            mime = header[5:].split(";")[0] or "application/octet-stream"
            path = Path(folder) / f"{upload.argument}{SUFFIX_BY_MIME.get(mime, '')}"
            path.write_bytes(base64.b64decode(payload))
            size = None
        try:
            file = open_for_upload(path, size=size)
        except InputError as exc:
            raise refused(upload, exc) from None
        with file:
            yield file


def refused(upload: PendingUpload, exc: InputError) -> RequestInvalid:
    return RequestInvalid(Problem(upload.argument, exc.code, exc.message, exc.fix))


def content_hash(upload: PendingUpload) -> str:
    """What identifies an upload's content (a local file's bytes, read through its checked descriptor)."""
    if upload.path is not None:
        with opened(upload) as file:
            return file.sha256()
    return hashlib.sha256((upload.data_uri or "").encode()).hexdigest()


async def upload_inputs(deps: Deps, plan: Plan, tenant: str = "") -> dict[str, Any]:
    """The request body with every pending upload replaced by its oss:// URL (reusing one still valid)."""
    body: dict[str, Any] = copy.deepcopy(plan.request.body)
    since = deps.clock.now() - (catalog.UPLOAD_TTL_SECONDS - UPLOAD_MARGIN_SECONDS)
    for upload in plan.uploads:
        with opened(upload) as file:
            digest = await anyio.to_thread.run_sync(file.sha256)
            url = await deps.store.known_upload(digest, plan.model_name, plan.region, since=since)
            if url is None:
                try:
                    url = await deps.client(tenant).upload(file, model=plan.model_name, content_type=mime_of(file.path))
                except InputError as exc:
                    raise refused(upload, exc) from None
                await deps.store.remember_upload(digest, plan.model_name, plan.region, url, at=deps.clock.now())
        _set(body, upload.pointer, url)
    return body


def _set(body: dict[str, Any], pointer: tuple[str | int, ...], value: str) -> None:
    target: Any = body
    for part in pointer[:-1]:
        target = target[part]
    target[pointer[-1]] = value
