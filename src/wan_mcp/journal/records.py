"""The journal's typed records: a job (`TaskRecord`), its history (`TaskEvent`) and a chain of jobs (`ChainRecord`)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, fields
from typing import Any

from wan_mcp.states import ChainState, JobState, TaskStatus, is_final
from wan_mcp.views import ErrorView, EstimateView


def new_handle() -> str:
    """A local handle for a job, valid before DashScope has given it a task id."""
    return "wan-" + secrets.token_hex(6)


@dataclass(frozen=True)
class TaskEvent:
    """One change in a job's life."""

    at: float
    state: JobState
    status: TaskStatus | None
    detail: str | None


@dataclass
class TaskRecord:
    """One job, as the journal keeps it (no secrets: the request body carries no key)."""

    handle: str
    state: JobState
    mode: str
    model: str
    model_name: str
    region: str
    request: dict[str, Any]  # the DashScope request as sent (method, path, headers, body; no key)
    request_hash: str
    estimate: EstimateView  # the quote: billed seconds, cost, currency, wait
    notes: list[str]
    created_at: float
    updated_at: float
    tenant: str = ""  # hosted mode: the tenant that owns the job ("" is the single user)
    task_id: str | None = None
    status: TaskStatus | None = None
    function: str | None = None
    prompt: str | None = None
    submitted_at: float | None = None
    finished_at: float | None = None
    request_id: str | None = None
    video_url: str | None = None
    url_expires_at: float | None = None
    orig_prompt: str | None = None
    actual_prompt: str | None = None
    usage: dict[str, Any] | None = None
    billed_seconds: float | None = None  # what DashScope billed (usage), on success
    cost: float | None = None  # what those seconds cost at the quoted price, on success
    local_path: str | None = None
    size_bytes: int | None = None
    sha256: str | None = None
    verified: str | None = None  # what the delivered file was checked against
    error: ErrorView | None = None
    lease_owner: str | None = None  # the process tracking (and downloading) the job
    lease_until: float | None = None
    events: list[TaskEvent] = field(default_factory=list)

    @property
    def final(self) -> bool:
        return is_final(self.state)

    @property
    def key(self) -> str:
        """What the agent should pass back: the task id once there is one, else the handle."""
        return self.task_id or self.handle


TASK_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(TaskRecord) if f.name != "events")


@dataclass
class ChainSegment:
    """One job of a chain."""

    index: int
    handle: str | None = None


@dataclass
class ChainRecord:
    """Several jobs joined into one video: a long video (shots) or an extension (a source + new segments)."""

    id: str
    spec_hash: str
    kind: str  # "long" | "extend"
    spec: dict[str, Any]
    state: ChainState
    segments: list[ChainSegment]
    created_at: float
    updated_at: float
    tenant: str = ""
    output_path: str | None = None
    size_bytes: int | None = None
    sha256: str | None = None
    error: ErrorView | None = None


CHAIN_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(ChainRecord))


@dataclass(frozen=True)
class SpendRow:
    """The ledger for one model, currency and tenant over a period: what was billed, and what may yet be."""

    model: str
    currency: str | None
    tenant: str
    jobs: int  # succeeded: billed
    billed_seconds: float
    cost: float  # the known cost of those jobs
    unpriced_jobs: int  # succeeded jobs whose price is unknown
    pending_jobs: int  # sent and not ended: billed if they succeed
    pending_cost: float  # their quotes
    pending_unpriced: int
