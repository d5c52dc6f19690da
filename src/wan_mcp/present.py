"""Records → what the agent is told: task views, the one-line message to relay, progress text, cost sentences."""

from __future__ import annotations

from datetime import datetime, timezone

from wan_mcp import catalog
from wan_mcp.journal.records import TaskRecord
from wan_mcp.polling import Schedule
from wan_mcp.requests import Plan, wait_text
from wan_mcp.states import JobState
from wan_mcp.views import EstimateView, TaskView

DAY = float(catalog.RESULT_TTL_SECONDS)


def iso_time(epoch: float | None) -> str | None:
    """An epoch time as ISO 8601 UTC (None stays None)."""
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="seconds")


def clock_text(seconds: float) -> str:
    """`45s` or `3m05s`."""
    seconds = max(0, int(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def estimate_view(plan: Plan) -> EstimateView:
    """A plan's quote as the result shape (and as the journal keeps it)."""
    e = plan.estimate
    return EstimateView(
        output_seconds=e.output_seconds,
        billed_seconds=e.billed_seconds,
        resolution=e.tier,
        size=e.size,
        sound=e.sound,
        cost=e.cost,
        currency=e.currency,
        price_per_second=e.price_per_second,
        price_is_estimate=not e.price_official,
        price_source=e.price_source,
        wait_low_seconds=e.wait_low_seconds,
        wait_high_seconds=e.wait_high_seconds,
        wait_text=e.wait_text,
    )


def cost_sentence(estimate: EstimateView) -> str:
    """What the job costs, in one sentence."""
    seconds = f"{estimate.billed_seconds:g} s" if estimate.billed_seconds is not None else "its length"
    if estimate.cost is None:
        return f"Billed per second of output ({seconds}; no reliable price known: see the console)."
    kind = "estimate" if estimate.price_is_estimate else "official price"
    return f"It costs about {estimate.cost:.2f} {estimate.currency} ({seconds}, {kind})."


def elapsed_of(record: TaskRecord, now: float) -> float:
    """Seconds since the job was sent (until it ended, for a finished one)."""
    started = record.submitted_at or record.created_at
    end = (record.finished_at or now) if record.final else now
    return max(0.0, end - started)


def progress_text(record: TaskRecord, now: float) -> str:
    """A short progress line for a waiting client."""
    elapsed = elapsed_of(record, now)
    if record.state is JobState.DOWNLOADING:
        return f"downloading the video ({clock_text(elapsed)})"
    usual = record.estimate.wait_text
    return f"{record.status or record.state.value} {clock_text(elapsed)}; {usual}"


def next_poll_after(record: TaskRecord, schedule: Schedule, now: float) -> int | None:
    """When asking again is useful, from the same schedule the watcher follows (None when the job is over)."""
    if record.final:
        return None
    if record.status == "SUCCEEDED" or record.state in (JobState.DOWNLOADING, JobState.SUBMITTING):
        return 3
    if record.state is JobState.SAVE_FAILED:
        return 30
    elapsed = elapsed_of(record, now)
    delay = schedule.delay(record.status or "PENDING", elapsed)
    return max(3, min(60, round(delay)))


def task_view(record: TaskRecord, schedule: Schedule, now: float) -> TaskView:
    """What a tool returns about a job."""
    estimate = record.estimate
    elapsed = elapsed_of(record, now)
    shown_error = record.error if record.state not in (JobState.DELIVERED, JobState.SUBMITTED) else None
    return TaskView(
        handle=record.handle,
        task_id=record.task_id,
        status=record.status,
        state=record.state.value,
        mode=record.mode,
        model=record.model,
        prompt=record.prompt,
        created_at=iso_time(record.created_at) or "",
        elapsed_seconds=int(elapsed),
        expected_wait_text=estimate.wait_text,
        eta_seconds=None if record.final else max(0, int(estimate.wait_high_seconds - elapsed)),
        next_poll_after_seconds=next_poll_after(record, schedule, now),
        task_id_valid_until=iso_time((record.submitted_at or record.created_at) + DAY) if record.task_id else None,
        video_url=record.video_url if record.state is not JobState.EXPIRED else None,
        video_url_expires_at=iso_time(record.url_expires_at),
        local_path=record.local_path,
        size_bytes=record.size_bytes,
        sha256=record.sha256,
        verified=record.verified,
        actual_prompt=record.actual_prompt,
        billed_seconds=record.billed_seconds,
        cost=record.cost if record.cost is not None else None,
        currency=estimate.currency,
        usage=record.usage,
        error=shown_error,
        message=message(record, elapsed),
    )


def message(record: TaskRecord, elapsed: float) -> str:
    """The one line the agent should relay now."""
    estimate = record.estimate
    usual = wait_text(estimate.wait_low_seconds, estimate.wait_high_seconds)
    ident = record.key
    error = record.error
    match record.state:
        case JobState.DELIVERED:
            size = f"{(record.size_bytes or 0) / 1e6:.1f} MB"
            checked = f"; {record.verified}" if record.verified else ", SHA-256 recorded"
            return f"Done: the video is saved at {record.local_path} ({size}{checked})."
        case JobState.EXPIRED:
            return "Finished, but the result URL expired before it could be downloaded: expired, not downloaded."
        case JobState.FAILED:
            assert error is not None
            return f"Failed: {error.message} ({error.code}). Not charged. What to do: {error.fix}."
        case JobState.REJECTED:
            assert error is not None
            return f"DashScope refused the request, nothing was charged: {error.message}. Fix: {error.fix}."
        case JobState.CANCELED:
            return "Cancelled before it started: nothing is billed."
        case JobState.UNKNOWN:
            return "DashScope no longer knows this task (task ids live 24 hours)."
        case JobState.UNCONFIRMED:
            return (
                "The request was sent but no answer arrived: a task may exist and may be billed. Do NOT resubmit; "
                f"poll {ident} again — wan-mcp reconciles it with DashScope's task list."
            )
        case JobState.SAVE_FAILED:
            why = error.message if error else "the file could not be written"
            fix = f" {error.fix}." if error and error.fix else ""
            return f"The video is ready but cannot be saved: {why}.{fix} wan-mcp retries by itself; poll {ident} later."
        case JobState.DOWNLOADING:
            return "The video is ready and is being downloaded; poll again in a few seconds."
        case JobState.SUBMITTING:
            return f"Submitting ({ident})."
        case JobState.SUBMITTED:
            return _running_message(record, elapsed, usual)


def _running_message(record: TaskRecord, elapsed: float, usual: str) -> str:
    ident = record.key
    if record.status == "SUCCEEDED":
        return "The video is ready and is being downloaded; poll again in a few seconds."
    if record.status == "RUNNING":
        late = " It is taking longer than usual." if elapsed > record.estimate.wait_high_seconds else ""
        return f"Generating: {clock_text(elapsed)} so far; {usual}.{late} Poll {ident} again."
    return f"Queued at DashScope ({clock_text(elapsed)} so far; {usual}). Poll {ident} again."
