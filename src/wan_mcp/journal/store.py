"""The journal as a store: the one interface the service writes jobs through (SQLite or PostgreSQL behind it).

Every method is async and bounded in time: a store that cannot answer raises `JournalUnavailable` instead of
freezing the event loop. Records are typed (`records.py`); no caller encodes or decodes a column.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Any, Protocol

import anyio

from wan_mcp.errors import WanMcpError
from wan_mcp.journal.budget import DailyBudget
from wan_mcp.journal.records import ChainRecord, SpendRow, TaskRecord
from wan_mcp.states import ChainState, JobState, TaskStatus


class JournalUnavailable(WanMcpError):
    """The journal did not answer in time (locked by another writer, disk full, damaged)."""

    code = "journal_unavailable"
    retryable = True

    def __init__(self, message: str) -> None:
        super().__init__(
            message, fix="try again in a moment; if it lasts, check the disk and WAN_MCP_DATA_DIR (or the database)"
        )


@dataclass(frozen=True)
class TaskFilter:
    """Which jobs to list (all conditions must hold), newest first."""

    states: Collection[JobState] | None = None
    statuses: Collection[TaskStatus] | None = None
    since: float | None = None
    request_hash: str | None = None
    tenant: str | None = None  # None: every tenant (the server's own work); "" is the single user
    limit: int = 50


class Store(Protocol):
    """What the service needs from a journal."""

    @property
    def recovery_note(self) -> str | None:
        """Set when the store found its file damaged at start and began anew (the service rebuilds from the API)."""
        ...

    async def create_task(
        self,
        record: TaskRecord,
        *,
        detail: str,
        duplicate_since: float | None = None,
        budget: DailyBudget | None = None,
    ) -> tuple[TaskRecord, bool]:
        """Write a new job before anything is sent. With `duplicate_since`, first look (in the same transaction)
        for a paid or paying job with the same request hash and tenant created since then: when there is one it is
        returned with False and nothing is written — the check and the record are one atomic step. With `budget`,
        then (still in that transaction) refuse the job when its tenant's day cannot afford the quote: nothing is
        written and `OverDailyBudget` is raised — across every process sharing the store, the check and the record
        are one step too."""
        ...

    async def update_task(
        self, handle: str, *, detail: str = "", from_state: JobState | None = None, **changes: Any
    ) -> TaskRecord:
        """Change a job in one transaction and log the change (KeyError for an unknown handle). With `from_state`,
        only while the job is still in it (a change computed from that state), else nothing is written; the job as
        it is now either way."""
        ...

    async def get_task(self, key: str, *, tenant: str | None = None, with_events: bool = False) -> TaskRecord | None:
        """A job by handle or DashScope task id (only the tenant's own when `tenant` is given)."""
        ...

    async def list_tasks(self, where: TaskFilter) -> list[TaskRecord]: ...

    async def known_task_ids(self) -> set[str]:
        """Every DashScope task id the journal knows."""
        ...

    async def take_lease(
        self,
        handle: str,
        owner: str,
        *,
        until: float,
        now: float,
        to_state: JobState | None = None,
        from_states: Collection[JobState] | None = None,
    ) -> TaskRecord | None:
        """Own a job until `until` when it is free, its lease expired, or already ours, and it is in `from_states`
        (by default any unfinished state: a finished job holds no lease, and an update that finishes it clears the
        lease), moving it to `to_state`; the record when taken, None when someone else holds it or it is done."""
        ...

    async def release_lease(self, handle: str, owner: str) -> None: ...

    async def remember_upload(self, sha256: str, model: str, region: str, oss_url: str, *, at: float) -> None: ...

    async def known_upload(self, sha256: str, model: str, region: str, *, since: float) -> str | None: ...

    async def create_chain(self, chain: ChainRecord, *, budget: DailyBudget | None = None) -> tuple[ChainRecord, bool]:
        """Write a new chain unless its tenant already has one with its spec hash: then that one (newest), unwritten.
        Two processes starting the same chain at once make one. The check, the budget's (as in `save_chain`) and the
        write are one transaction; (the chain, whether it was written)."""
        ...

    async def save_chain(self, chain: ChainRecord, *, budget: DailyBudget | None = None) -> ChainRecord:
        """Write a chain (new, or replacing the one with its id). With `budget`, as in `create_task`: refused in the
        same transaction with `OverDailyBudget`, and not written, when its tenant's day cannot afford the quote."""
        ...

    async def take_chain_lease(self, chain_id: str, owner: str, *, until: float, now: float) -> bool:
        """Own a chain until `until` when it is free, its lease expired, or already ours: whether it is ours now.
        Only the owner moves a chain on (submits its next segment, joins it); `save_chain` keeps the lease."""
        ...

    async def release_chain_lease(self, chain_id: str, owner: str) -> None: ...

    async def get_chain(self, key: str, *, tenant: str | None = None) -> ChainRecord | None:
        """A chain by id, or the newest with this spec hash."""
        ...

    async def list_chains(self, states: Collection[ChainState]) -> list[ChainRecord]: ...

    async def spend(self, *, since: float, until: float, tenant: str | None = None) -> list[SpendRow]:
        """What was quoted, billed and spent per model between two times (the ledger)."""
        ...

    async def query_slot(self, *, per_second: float) -> float:
        """Reserve one task query against the account-wide query limit, for every process sharing this store.

        Returns the seconds to wait before sending it (0 when it may go now). A store on one machine may leave the
        limit to each process (returning 0). `wait_for_query_turn` is the way to use it.
        """
        ...

    async def send_slot(self, name: str, *, per_second: float) -> float:
        """As `query_slot`, on the send clock `name`: a limit of its own, such as one model's task submissions per
        second, shared by every process (`wait_for_query_turn(..., clock=name)`)."""
        ...

    async def shared_secret(self, name: str) -> bytes:
        """A random secret made once and shared by every process on this store (e.g. to sign download links)."""
        ...

    async def close(self) -> None: ...


def rate_within(limit: float) -> float:
    """A shared send rate whose busiest 1 s window stays within `limit` requests (e.g. a model's submissions per
    second): `wait_for_query_turn` keeps a window at floor(rate) + 1 for rates whose fraction is under one half, and
    sends at 0.5/s (2 s apart, none more than half a slot late) one to a second."""
    return max(limit - 0.6, limit / 2)


async def wait_for_query_turn(
    store: Store,
    *,
    per_second: float,
    send_clock: str | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    attempts: int = 3,
) -> None:
    """Wait for this process's turn to send one task query under the account's limit (or with `send_clock`, one
    request under that clock's limit), then send it at once.

    A turn reached more than a quarter slot late (the process was too busy to wake on time) is given up, unused,
    and another reserved, up to `attempts` times: a late sender would crowd the next slot's second. With the
    store's own check on late answers (another quarter slot), every query goes out less than half a slot after
    its reserved time, which keeps any 1 s window at floor(per_second) + 1 queries (for rates whose fraction is
    under one half, such as the default 15).
    """
    late_after = 0.25 / per_second
    for _ in range(attempts):
        if send_clock is None:
            wait = await store.query_slot(per_second=per_second)
        else:
            wait = await store.send_slot(send_clock, per_second=per_second)
        due = clock() + wait
        if wait > 0:
            await sleep(wait)
        if clock() - due <= late_after:
            return
