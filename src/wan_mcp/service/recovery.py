"""Starting again: rebuild a damaged journal's last day from DashScope's task list; re-check recent deliveries."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import cast

import anyio

from wan_mcp import catalog
from wan_mcp.config import Settings
from wan_mcp.errors import ConfigError, WanMcpError
from wan_mcp.files import sha256_file
from wan_mcp.journal import open_store
from wan_mcp.journal.records import TaskRecord, new_handle
from wan_mcp.journal.store import Store, TaskFilter
from wan_mcp.journal.unavailable import UnavailableStore
from wan_mcp.service.base import Deps
from wan_mcp.service.status import move
from wan_mcp.states import JobState, task_status
from wan_mcp.views import EstimateView

log = logging.getLogger("wan_mcp.recovery")
DAY = float(catalog.RESULT_TTL_SECONDS)
REBUILT_NOTE = "Rebuilt from DashScope's task list after the journal was found damaged: the request is not known."


async def open_journal(settings: Settings) -> Store:
    """The journal; when it cannot be opened at all, a stand-in that says why on every use, so that listing modes
    and dry runs still work and nothing is ever sent unrecorded."""
    try:
        return await open_store(settings)
    except ConfigError:
        raise
    except Exception as exc:  # a folder that cannot be written, a database that is down or locked
        reason = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        log.error("the journal cannot be opened (%s): only list_modes and dry runs will work", reason)
        return cast(Store, UnavailableStore(reason))


async def rebuild(deps: Deps) -> int:
    """Record every task of the last day that DashScope lists and the journal lacks; the number recorded."""
    now = deps.clock.now()
    known = await deps.store.known_task_ids()
    start, end = (datetime.fromtimestamp(t, timezone.utc) for t in (now - DAY, now + 60))
    added = 0
    try:
        client = deps.client()
    except WanMcpError as exc:
        log.error("cannot rebuild the journal without DashScope: %s", exc.message)
        return 0
    async for listed in client.iter_tasks(start=start, end=end):
        if listed.task_id in known:
            continue
        model = catalog.find_model(listed.model_name or "")
        created = (listed.created_ms or now * 1000) / 1000
        status = task_status(listed.status)
        record = TaskRecord(
            handle=new_handle(),
            state=JobState.SUBMITTED,
            status=status if status in ("PENDING", "RUNNING") else "RUNNING",
            task_id=listed.task_id,
            mode=next(iter(model.modes), "t2v") if model else "t2v",
            model=model.id if model else listed.model_name or "unknown",
            model_name=listed.model_name or "unknown",
            region=deps.settings.region,
            request={},
            request_hash="",
            estimate=EstimateView(sound=False, wait_low_seconds=60, wait_high_seconds=300, wait_text="1–5 min"),
            notes=[REBUILT_NOTE],
            created_at=created,
            submitted_at=created,
            updated_at=now,
        )
        await deps.store.create_task(record, detail="rebuilt from the task list")
        added += 1
    log.warning("journal rebuilt: %d job(s) of the last day recovered from DashScope's task list", added)
    return added


async def damaged_deliveries(deps: Deps) -> list[TaskRecord]:
    """Videos delivered in the last two days whose file no longer matches its record, sent back to be downloaded."""
    since = deps.clock.now() - 2 * DAY
    again = []
    for record in await deps.store.list_tasks(TaskFilter(states=(JobState.DELIVERED,), since=since, limit=1000)):
        path = Path(record.local_path or "")
        if not path.exists():
            continue  # moved or deleted by the user: not ours to restore
        if (
            path.stat().st_size == record.size_bytes
            and await anyio.to_thread.run_sync(sha256_file, path) == record.sha256
        ):
            continue
        log.warning("delivered file %s is damaged; downloading it again", path)
        path.unlink()
        again.append(await move(deps, record, "damaged", detail="delivered file damaged; downloading again"))
    return again
