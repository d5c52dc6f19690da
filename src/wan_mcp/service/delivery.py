"""Saving a finished job's video: once, by the job's lease holder, verified, into the output folder.

Failures become the job's state, not an exception lost in a background task: a transient network failure sends
the job back to be tried again; a file that cannot be written (disk full, no permission, read-only) is
`save_failed` with what to do, and tried again later; a URL past its expiry is `expired`.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from functools import partial
from pathlib import Path

import anyio

from wan_mcp.errors import DownloadFailed, DownloadRefused, ResultExpired, SaveFailed, TransportError
from wan_mcp.files import slug, unique_path
from wan_mcp.journal.records import TaskRecord
from wan_mcp.service.base import LEASE_SECONDS, Deps, renew_lease, while_renewing
from wan_mcp.service.status import apply_status, error_view, move
from wan_mcp.states import JobState

log = logging.getLogger("wan_mcp.delivery")


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
        return await while_renewing(partial(renew_lease, deps, record.handle), partial(_download, deps, taken))
    finally:
        with anyio.CancelScope(shield=True):
            await deps.store.release_lease(record.handle, deps.owner)


async def _download(deps: Deps, record: TaskRecord) -> TaskRecord:
    assert record.video_url is not None
    try:
        dest = destination(deps, record)
        result = await deps.client(record.tenant).download(record.video_url, dest)
    except Exception as raised:  # sorted below by what it is, under any task-group wrapping
        exc = single(raised)
        if isinstance(exc, ResultExpired):
            return await _expired(deps, record)
        if isinstance(exc, SaveFailed):
            return await _save_failed(deps, record, exc.message, exc.fix)
        if isinstance(exc, DownloadRefused):
            return await _refreshed(deps, record, exc)
        if isinstance(exc, (DownloadFailed, TransportError)):
            log.warning("download of %s failed: %s", record.handle, exc)
            return await move(deps, record, "download_failed", error=None, detail=f"download failed: {exc.code}")
        if isinstance(exc, OSError):  # the output folder itself cannot be made
            why = f"cannot save the video in {deps.settings.output_dir}: {exc.strerror or exc}"
            return await _save_failed(deps, record, why, "fix the folder, or set WAN_MCP_OUTPUT_DIR to another one")
        raise
    return await move(
        deps,
        record,
        "saved",
        local_path=str(result.path),
        size_bytes=result.size_bytes,
        sha256=result.sha256,
        verified=result.verification.summary,
        error=None,
        detail=f"downloaded ({result.size_bytes} bytes); {result.verification.summary}",
    )


async def _save_failed(deps: Deps, record: TaskRecord, message: str, fix: str) -> TaskRecord:
    """The file cannot be written: the job says why and what to do; the tracker tries again later."""
    log.error("%s: %s", record.handle, message)
    error = error_view("SaveFailed", message, fix, retryable=True, charged=True)
    return await move(deps, record, "save_failed", error=error, detail=message)


async def _refreshed(deps: Deps, record: TaskRecord, exc: DownloadRefused) -> TaskRecord:
    """The URL was refused before its own expiry: ask DashScope for the task again (a fresh URL, or its end)."""
    log.warning("download of %s refused before the URL's expiry: %s; asking for the task again", record.handle, exc)
    record = await move(deps, record, "download_failed", error=None, detail="download refused; task queried again")
    if record.task_id is None:
        return record
    info = await deps.client(record.tenant).get_task(record.task_id)
    return await apply_status(deps, record, info)


async def _expired(deps: Deps, record: TaskRecord) -> TaskRecord:
    expired = error_view(
        "ResultExpired",
        "the video finished but its URL expired before it could be downloaded",
        "generate it again if it is still needed",
        retryable=False,
        charged=True,
    )
    return await move(deps, record, "url_expired", error=expired, detail="expired, not downloaded")
