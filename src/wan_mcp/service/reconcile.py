"""A submit whose answer was lost: find its task in DashScope's task list, or prove none was created. Never resend."""

from __future__ import annotations

from datetime import datetime, timezone

from wan_mcp.journal.records import TaskRecord
from wan_mcp.service.base import Deps
from wan_mcp.service.status import error_view, move
from wan_mcp.states import JobState, task_status

BEFORE_SECONDS = 60.0  # a listed task may carry a creation time this much before our send…
AFTER_SECONDS = 600.0  # …or this much after it (clock skew, slow gateways)
GRACE_SECONDS = 120.0  # an empty list proves nothing was created only after this long
EVERY_SECONDS = 15.0  # how often an unconfirmed job is looked for


async def reconcile(deps: Deps, record: TaskRecord) -> TaskRecord:
    """Look for an unconfirmed submit's task once; the record as it is afterwards."""
    if record.state is not JobState.UNCONFIRMED:
        return record
    sent = record.submitted_at or record.created_at
    now = deps.clock.now()
    # The list's time strings are read as Beijing time; a 9 h margin covers UTC too. Matching is on gmt_create
    # (epoch ms, unambiguous) and the model.
    start = datetime.fromtimestamp(sent - 9 * 3600 - 60, timezone.utc)
    end = datetime.fromtimestamp(now + 9 * 3600, timezone.utc)
    known = await deps.store.known_task_ids()
    best: tuple[float, str, str] | None = None
    client = deps.client(record.tenant)
    async for listed in client.iter_tasks(start=start, end=end, model=record.model_name):
        if listed.task_id in known or listed.created_ms is None:
            continue
        offset = listed.created_ms / 1000 - sent
        if -BEFORE_SECONDS <= offset <= AFTER_SECONDS and (best is None or abs(offset) < best[0]):
            best = (abs(offset), listed.task_id, listed.status)
    if best is not None:
        _, task_id, raw = best
        status = task_status(raw)
        # The status comes from the task query next: a listed SUCCEEDED still needs its result fields.
        return await move(
            deps,
            record,
            "found",
            task_id=task_id,
            status="RUNNING" if status in ("RUNNING", "SUCCEEDED") else "PENDING",
            error=None,
            detail="reconciled through DashScope's task list",
        )
    if now - sent >= GRACE_SECONDS / deps.clock.speed:
        not_created = error_view(
            "NotCreated",
            "DashScope's task list shows no task from this submit: nothing was created or billed",
            "it is safe to submit the request again",
            retryable=True,
        )
        return await move(
            deps,
            record,
            "not_created",
            finished_at=now,
            error=not_created,
            detail="the task list proves no task was created",
        )
    return record
