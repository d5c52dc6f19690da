"""Jobs already made: listing them by status or state and age, cancelling one still queued, and finding a delivered
one's file (WanService.list, .cancel and .delivered)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from wan_mcp.errors import ApiError, Problem, RequestInvalid
from wan_mcp.journal.store import TaskFilter
from wan_mcp.service.status import move
from wan_mcp.states import ChainState, JobState, job_state, task_status
from wan_mcp.views import CancelView, TaskList

if TYPE_CHECKING:
    from wan_mcp.service.jobs import WanService


def task_filter(status: str | None, since: float | None, tenant: str | None, limit: int) -> TaskFilter:
    """Which jobs a listing asks for: `status` is a DashScope status or a journal state (RequestInvalid if neither)."""
    statuses = states = None
    if status:
        found = task_status(status)
        if found is not None:
            statuses = (found,)
        else:
            state = job_state(status)
            if state is None:
                raise RequestInvalid(
                    Problem(
                        "status",
                        "invalid_value",
                        f"{status!r} is neither a DashScope status nor a job state",
                        "use PENDING, RUNNING, SUCCEEDED, FAILED, CANCELED, UNKNOWN or "
                        + ", ".join(s.value for s in JobState),
                    )
                )
            states = (state,)
    return TaskFilter(states=states, statuses=statuses, since=since, tenant=tenant, limit=max(1, min(limit, 200)))


async def list_jobs(
    service: WanService, *, status: str | None, since_hours: float | None, limit: int, tenant: str | None
) -> TaskList:
    """Jobs from the journal, newest first, by status or state and age."""
    since = service.clock.now() - since_hours * 3600 if since_hours else None
    views = [service.view(r) for r in await service.store.list_tasks(task_filter(status, since, tenant, limit))]
    note = service.store.recovery_note
    return TaskList(tasks=views, count=len(views), note=f"{note}; jobs of the last day were rebuilt" if note else None)


async def cancel_job(service: WanService, key: str, tenant: str | None) -> CancelView:
    """Cancel a job still queued (PENDING): nothing is billed."""
    record = await service.find(key, tenant)
    if record.task_id is None:
        raise RequestInvalid(
            Problem("task_id", "invalid_value", "this job has no DashScope task id yet", "poll it first")
        )
    record = await service.tracker.check(record, fresh=True)
    if record.status != "PENDING" or record.task_id is None:
        raise ApiError(
            f"task {record.task_id} is {record.status}: only a PENDING task can be cancelled",
            code="UnsupportedOperation",
            fix="a running task finishes and is billed only if it succeeds; nothing to do",
        )
    await service.deps.client(record.tenant).cancel_task(record.task_id)
    record = await move(
        service.deps,
        record,
        "canceled",
        status="CANCELED",
        finished_at=service.clock.now(),
        detail="cancelled by request",
    )
    service.tracker.watch(record).publish(record)
    return CancelView(
        handle=record.handle,
        task_id=record.task_id,
        canceled=True,
        status="CANCELED",
        message="Cancelled before it started: nothing is billed.",
    )


@dataclass(frozen=True)
class DeliveredFile:
    """A delivered video as the journal recorded it."""

    path: Path
    size_bytes: int
    sha256: str


async def delivered_file(service: WanService, key: str, tenant: str | None) -> DeliveredFile | None:
    """The file of a delivered job or chain (only the tenant's own when `tenant` is given), as it was recorded (it
    may have been moved or deleted since); None when there is no such delivered job."""
    record = await service.store.get_task(key, tenant=tenant) if key else None
    if record is not None:
        found = (record.state is JobState.DELIVERED, record.local_path, record.size_bytes, record.sha256)
    else:
        chain = await service.store.get_chain(key, tenant=tenant) if key else None
        if chain is None or chain.id != key:
            return None
        found = (chain.state is ChainState.DELIVERED, chain.output_path, chain.size_bytes, chain.sha256)
    done, path, size, digest = found
    if not done or not path or size is None or not digest:
        return None
    return DeliveredFile(Path(path), size, digest)
