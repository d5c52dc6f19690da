"""Saving a finished job's video: once, by the job's lease holder, verified, into the output folder.

Failures become the job's state, not an exception lost in a background task: a transient network failure sends
the job back to be tried again; a file that cannot be written (disk full, no permission, read-only) is
`save_failed` with what to do, and tried again later; a URL past its expiry is `expired`.
"""

from __future__ import annotations

import errno
import logging
import shutil
from datetime import datetime, timezone
from pathlib import Path

import anyio

from wan_mcp.errors import DownloadFailed, ResultExpired, TransportError
from wan_mcp.files import slug, unique_path
from wan_mcp.journal.records import TaskRecord
from wan_mcp.service.base import LEASE_SECONDS, Deps, keep_lease
from wan_mcp.service.status import error_view, move
from wan_mcp.states import JobState

log = logging.getLogger("wan_mcp.delivery")

_DISK_ERRORS = {errno.ENOSPC: "no space left", errno.EDQUOT: "the disk quota is used up"}
_ACCESS_ERRORS = {errno.EACCES: "permission denied", errno.EPERM: "not permitted", errno.EROFS: "read-only"}


def single(exc: BaseException) -> BaseException:
    """The one exception inside task-group wrappers (an exception group of one), or the exception itself."""
    while isinstance(getattr(exc, "exceptions", None), tuple) and len(exc.exceptions) == 1:  # type: ignore[attr-defined]
        exc = exc.exceptions[0]  # type: ignore[attr-defined]
    return exc


def destination(deps: Deps, record: TaskRecord) -> Path:
    """`{date}-{mode}-{short id}-{slug}.mp4` in the output folder (the tenant's own when hosted); never an existing
    file."""
    day = datetime.fromtimestamp(record.created_at, timezone.utc).strftime("%Y%m%d")
    short = record.key.replace("wan-", "")[:8]
    folder = deps.settings.output_dir / record.tenant if record.tenant else deps.settings.output_dir
    return unique_path(folder, f"{day}-{record.mode}-{short}-{slug(record.prompt or record.model)}")


async def deliver(deps: Deps, record: TaskRecord) -> TaskRecord:
    """Download a succeeded job's video if this process holds (or can take) its lease; the record afterwards."""
    if record.state in (JobState.DELIVERED, JobState.EXPIRED) or not record.video_url:
        return record
    now = deps.clock.now()
    if record.url_expires_at is not None and now >= record.url_expires_at:
        return await _expired(deps, record)
    taken = await deps.store.take_lease(
        record.handle,
        deps.owner,
        until=now + LEASE_SECONDS,
        now=now,
        to_state=JobState.DOWNLOADING,
        from_states=(JobState.SUBMITTED, JobState.SAVE_FAILED, JobState.DOWNLOADING),
    )
    if taken is None:
        return record  # another process is saving it
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(keep_lease, deps, record.handle)
            try:
                saved = await _download(deps, taken)
            finally:
                group.cancel_scope.cancel()
        return saved
    finally:
        with anyio.CancelScope(shield=True):
            await deps.store.release_lease(record.handle, deps.owner)


async def _download(deps: Deps, record: TaskRecord) -> TaskRecord:
    assert record.video_url is not None
    dest = destination(deps, record)
    try:
        result = await deps.client(record.tenant).download(record.video_url, dest)
    except Exception as raised:  # sorted below by what it is, under any task-group wrapping
        exc = single(raised)
        if isinstance(exc, ResultExpired):
            return await _expired(deps, record)
        if isinstance(exc, (DownloadFailed, TransportError)):
            log.warning("download of %s failed: %s", record.handle, exc)
            return await move(deps, record, "download_failed", error=None, detail=f"download failed: {exc.code}")
        if isinstance(exc, OSError):
            return await _save_failed(deps, record, dest, exc)
        raise
    verified = getattr(result, "verified", None)
    return await move(
        deps,
        record,
        "saved",
        local_path=str(result.path),
        size_bytes=result.size_bytes,
        sha256=result.sha256,
        verified=verified if isinstance(verified, str) else f"length {result.size_bytes} bytes, MP4 structure",
        error=None,
        detail=f"downloaded and verified ({result.size_bytes} bytes)",
    )


async def _save_failed(deps: Deps, record: TaskRecord, dest: Path, exc: OSError) -> TaskRecord:
    """The file cannot be written: say why and what to do; the tracker tries again later."""
    folder = dest.parent
    if exc.errno in _DISK_ERRORS:
        free = shutil.disk_usage(folder).free if folder.exists() else 0
        need = (record.estimate.output_seconds or 5) * 2_000_000  # a few MB per second of video, generously
        message = f"cannot save the video: {_DISK_ERRORS[exc.errno]} on {folder} ({free / 1e6:.0f} MB free)"
        fix = f"free at least {max(need - free, need) / 1e6:.0f} MB there, or set WAN_MCP_OUTPUT_DIR to another disk"
    elif exc.errno in _ACCESS_ERRORS:
        message = f"cannot save the video in {folder}: {_ACCESS_ERRORS[exc.errno]}"
        fix = "make the folder writable, or set WAN_MCP_OUTPUT_DIR to a folder you can write"
    else:
        message = f"cannot save the video in {folder}: {exc.strerror or exc}"
        fix = "check the folder, or set WAN_MCP_OUTPUT_DIR to another one"
    log.error("%s: %s", record.handle, message)
    error = error_view("SaveFailed", message, fix, retryable=True, charged=True)
    return await move(deps, record, "save_failed", error=error, detail=message)


async def _expired(deps: Deps, record: TaskRecord) -> TaskRecord:
    expired = error_view(
        "ResultExpired",
        "the video finished but its URL expired before it could be downloaded",
        "generate it again if it is still needed",
        retryable=False,
        charged=True,
    )
    return await move(deps, record, "url_expired", error=expired, detail="expired, not downloaded")
