"""What an answer from DashScope does to a job: the status, the result, the error, the bill (through `states`)."""

from __future__ import annotations

from typing import Any

from typing_extensions import assert_never

from wan_mcp import catalog
from wan_mcp.dashscope import TaskInfo
from wan_mcp.downloads import url_expires_at
from wan_mcp.errors import WanMcpError, classify
from wan_mcp.journal.records import TaskRecord
from wan_mcp.service.base import Deps
from wan_mcp.states import Event, status_event, transition
from wan_mcp.views import ErrorView

DAY = float(catalog.RESULT_TTL_SECONDS)


def error_view(code: str, message: str, fix: str, *, retryable: bool, charged: bool = False) -> ErrorView:
    """An error as the journal keeps it and the agent sees it."""
    return ErrorView(code=code, message=message, retryable=retryable, charged=charged, fix=fix)


def error_of(exc: WanMcpError) -> ErrorView:
    return error_view(exc.code, exc.message, exc.fix, retryable=exc.retryable, charged=exc.charged)


def url_expiry(url: str | None, now: float) -> float:
    """When a signed result URL stops working: its own expiry (Expires, or the V4 date + expires), else 24 h on."""
    found = url_expires_at(url) if url else None
    return found if found is not None else now + DAY


def billed(info: TaskInfo) -> float | None:
    """The seconds DashScope billed, from the task's usage."""
    return info.usage.billed_seconds if info.usage is not None else None


async def apply_status(deps: Deps, record: TaskRecord, info: TaskInfo) -> TaskRecord:
    """Record a status answer (nothing is written when nothing changed, or when the job left the state the answer
    was read against: a process with an older view never moves a job back)."""
    now = deps.clock.now()
    if info.status == record.status and info.status in ("PENDING", "RUNNING"):
        return record
    state = transition(record.state, status_event(info.status))
    changes: dict[str, Any]
    match info.status:
        case "PENDING" | "RUNNING":
            changes = {}
        case "SUCCEEDED":
            seconds = billed(info)
            price = record.estimate.price_per_second
            changes = {
                "video_url": info.video_url,
                "url_expires_at": url_expiry(info.video_url, now),
                "orig_prompt": info.orig_prompt,
                "actual_prompt": info.actual_prompt,
                "usage": info.usage.model_dump(by_alias=True, exclude_none=True) if info.usage else None,
                "billed_seconds": seconds,
                "cost": round(seconds * price, 4) if seconds is not None and price is not None else None,
                "finished_at": now,
                "detail": "succeeded",
            }
        case "FAILED":
            meaning = classify(info.code, info.message or "")
            error = error_view(
                info.code or "TaskFailed", info.message or "the task failed", meaning.fix, retryable=meaning.retryable
            )
            changes = {"error": error, "finished_at": now, "detail": f"failed: {info.code}"}
        case "CANCELED":
            changes = {"finished_at": now}
        case "UNKNOWN":
            gone = error_view(
                "TaskUnknown",
                "DashScope no longer knows this task id (ids live 24 hours)",
                "the job is gone from DashScope; submit it again only if it never succeeded",
                retryable=False,
            )
            changes = {"error": gone, "finished_at": now}
        case _:
            assert_never(info.status)
    return await deps.store.update_task(
        record.handle, from_state=record.state, status=info.status, state=state, **changes
    )


async def move(deps: Deps, record: TaskRecord, event: Event, *, detail: str = "", **changes: object) -> TaskRecord:
    """Apply one event of the job's life (checked by the transition table) with the changes it brings, only while the
    job is still in the state the event was read from (another process may have moved it on)."""
    state = transition(record.state, event)
    return await deps.store.update_task(record.handle, from_state=record.state, state=state, detail=detail, **changes)
