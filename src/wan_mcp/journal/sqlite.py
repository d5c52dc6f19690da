"""The embedded journal: one SQLite file (WAL, synchronous=FULL) shared safely by every process on the machine.

Every call runs in a worker thread with a bounded busy wait, so a journal locked by another writer never freezes
the event loop: past the bound the call raises `JournalUnavailable`. A file found damaged at start (empty where a
journal was, or not a database) is kept aside and a new one begun; `recovery_note` says so, and the service
rebuilds the last day of jobs from DashScope's task list.
"""

from __future__ import annotations

import logging
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Collection
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import anyio

from wan_mcp.journal import codec
from wan_mcp.journal.budget import DailyBudget, enforce
from wan_mcp.journal.records import ChainRecord, SpendRow, TaskEvent, TaskRecord
from wan_mcp.journal.sqlite_sql import migrate
from wan_mcp.journal.store import JournalUnavailable, TaskFilter
from wan_mcp.states import ACTIVE_STATES, PAID_OR_PAYING, ChainState, JobState, task_status

log = logging.getLogger("wan_mcp.journal")
T = TypeVar("T")


def _marks(values: Collection[Any]) -> str:
    return ", ".join("?" for _ in values)


class SqliteStore:
    """The journal in one SQLite file."""

    def __init__(self, path: Path, *, busy_seconds: float = 10.0, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.clock = clock
        self.busy_seconds = busy_seconds
        self.recovery_note: str | None = None
        self._lock = threading.Lock()
        self._limiter = anyio.CapacityLimiter(1)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = self._open()

    # -- opening, damage and migrations
    def _open(self) -> sqlite3.Connection:
        damage = self._damage()
        if damage is not None:
            kept = self._set_aside()
            self.recovery_note = (
                f"the journal {self.path} was damaged ({damage}); it was kept as {kept.name} and a new one begun"
            )
            log.error("%s: rebuilding the last day of jobs from DashScope's task list", self.recovery_note)
        db = sqlite3.connect(str(self.path), timeout=self.busy_seconds, check_same_thread=False, isolation_level=None)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA foreign_keys=ON")
        migrate(db)
        self._marker.touch(exist_ok=True)  # this file has held a journal: empty from now on means damaged
        return db

    @property
    def _marker(self) -> Path:
        return self.path.with_name(self.path.name + ".created")

    def _damage(self) -> str | None:
        """Why the file at our path is not a usable journal, or None (no file yet is fine)."""
        if not self.path.exists():
            return None
        if self.path.stat().st_size == 0:
            # Empty is damage only where a journal was: another process may be creating this one right now.
            return "the file is empty" if self._marker.exists() else None
        try:
            probe = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=self.busy_seconds)
            try:
                verdict = probe.execute("PRAGMA quick_check").fetchone()[0]
            finally:
                probe.close()
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc):
                return None  # another process is writing: it is a database
            return str(exc)
        except sqlite3.DatabaseError as exc:
            return str(exc)
        return None if verdict == "ok" else f"integrity check: {verdict}"

    def _set_aside(self) -> Path:
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(self.clock()))
        kept = self.path.with_name(f"{self.path.name}.damaged-{stamp}")
        self.path.replace(kept)
        for suffix in ("-wal", "-shm"):
            Path(str(self.path) + suffix).unlink(missing_ok=True)
        return kept

    # -- plumbing
    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a journal operation in the worker thread, bounded by the busy wait."""
        try:
            return await anyio.to_thread.run_sync(partial(self._locked, fn, *args), limiter=self._limiter)
        except sqlite3.OperationalError as exc:
            raise JournalUnavailable(f"the journal {self.path} did not answer: {exc}") from None
        except sqlite3.DatabaseError as exc:
            raise JournalUnavailable(f"the journal {self.path} failed: {exc}") from None

    def _locked(self, fn: Callable[..., T], *args: Any) -> T:
        with self._lock:
            return fn(*args)

    def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            result = fn(self._db)
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        return result

    def _event(self, db: sqlite3.Connection, handle: str, detail: str) -> None:
        db.execute(
            "INSERT INTO events (handle, at, state, status, detail) SELECT handle, ?, state, status, ? FROM tasks "
            "WHERE handle = ?",
            (self.clock(), detail or None, handle),
        )

    def _task(self, db: sqlite3.Connection, key: str, tenant: str | None = None) -> TaskRecord | None:
        query, params = "SELECT * FROM tasks WHERE (handle = ? OR task_id = ?)", [key, key]
        if tenant is not None:
            query, params = query + " AND tenant = ?", [*params, tenant]
        row = db.execute(query, params).fetchone()
        return codec.task_record(row) if row else None

    # -- tasks
    async def create_task(
        self,
        record: TaskRecord,
        *,
        detail: str,
        duplicate_since: float | None = None,
        budget: DailyBudget | None = None,
    ) -> tuple[TaskRecord, bool]:
        def create(db: sqlite3.Connection) -> tuple[TaskRecord, bool]:
            if duplicate_since is not None:
                states = [s.value for s in PAID_OR_PAYING]
                row = db.execute(
                    f"SELECT * FROM tasks WHERE request_hash = ? AND tenant = ? AND created_at >= ? AND state IN "
                    f"({_marks(states)}) ORDER BY created_at DESC LIMIT 1",
                    (record.request_hash, record.tenant, duplicate_since, *states),
                ).fetchone()
                if row is not None:
                    return codec.task_record(row), False
            _refuse_over(db, budget)
            values = codec.task_row(record)
            db.execute(f"INSERT INTO tasks ({', '.join(values)}) VALUES ({_marks(values)})", tuple(values.values()))
            self._event(db, record.handle, detail)
            return record, True

        return await self._run(self._write, create)

    async def update_task(
        self, handle: str, *, detail: str = "", from_state: JobState | None = None, **changes: Any
    ) -> TaskRecord:
        changes["updated_at"] = self.clock()
        values = codec.task_values(changes)
        where, keys = (
            ("handle = ?", [handle]) if from_state is None else ("handle = ? AND state = ?", [handle, from_state.value])
        )

        def update(db: sqlite3.Connection) -> TaskRecord:
            assignments = ", ".join(f"{name} = ?" for name in values)
            cursor = db.execute(f"UPDATE tasks SET {assignments} WHERE {where}", (*values.values(), *keys))
            if cursor.rowcount == 1 and ("state" in changes or "status" in changes or detail):
                self._event(db, handle, detail)
            found = self._task(db, handle)
            if found is None:
                raise KeyError(handle)
            return found  # when it had left from_state meanwhile: as it is now, nothing written

        return await self._run(self._write, update)

    async def get_task(self, key: str, *, tenant: str | None = None, with_events: bool = False) -> TaskRecord | None:
        def get() -> TaskRecord | None:
            record = self._task(self._db, key, tenant)
            if record is not None and with_events:
                rows = self._db.execute(
                    "SELECT at, state, status, detail FROM events WHERE handle = ? ORDER BY id", (record.handle,)
                ).fetchall()
                record.events = [
                    TaskEvent(r["at"], JobState(r["state"]), task_status(r["status"]), r["detail"]) for r in rows
                ]
            return record

        return await self._run(get)

    async def list_tasks(self, where: TaskFilter) -> list[TaskRecord]:
        clauses: list[str] = []
        params: list[Any] = []
        for column, values in (("state", where.states), ("status", where.statuses)):
            if values:
                texts = [str(v) for v in values]
                clauses.append(f"{column} IN ({_marks(texts)})")
                params.extend(texts)
        for column, value, op in (
            ("created_at", where.since, ">="),
            ("request_hash", where.request_hash, "="),
            ("tenant", where.tenant, "="),
        ):
            if value is not None:
                clauses.append(f"{column} {op} ?")
                params.append(value)
        query = "SELECT * FROM tasks" + (f" WHERE {' AND '.join(clauses)}" if clauses else "")
        query += " ORDER BY created_at DESC LIMIT ?"

        def select() -> list[TaskRecord]:
            return [codec.task_record(row) for row in self._db.execute(query, (*params, where.limit)).fetchall()]

        return await self._run(select)

    async def known_task_ids(self) -> set[str]:
        def select() -> set[str]:
            rows = self._db.execute("SELECT task_id FROM tasks WHERE task_id IS NOT NULL").fetchall()
            return {str(row[0]) for row in rows}

        return await self._run(select)

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
        condition = "handle = ? AND (lease_owner IS NULL OR lease_until IS NULL OR lease_until < ? OR lease_owner = ?)"
        params: list[Any] = [handle, now, owner]
        texts = [s.value for s in (from_states or ACTIVE_STATES)]
        condition += f" AND state IN ({_marks(texts)})"
        params.extend(texts)

        def take(db: sqlite3.Connection) -> TaskRecord | None:
            before = self._task(db, handle)
            sets = "lease_owner = ?, lease_until = ?, updated_at = ?" + (", state = ?" if to_state else "")
            values = [owner, until, now] + ([to_state.value] if to_state else [])
            if db.execute(f"UPDATE tasks SET {sets} WHERE {condition}", (*values, *params)).rowcount != 1:
                return None
            if to_state is not None and before is not None and before.state != to_state:
                self._event(db, handle, f"taken by {owner}")
            return self._task(db, handle)

        return await self._run(self._write, take)

    async def release_lease(self, handle: str, owner: str) -> None:
        def release(db: sqlite3.Connection) -> None:
            db.execute(
                "UPDATE tasks SET lease_owner = NULL, lease_until = NULL WHERE handle = ? AND lease_owner = ?",
                (handle, owner),
            )

        await self._run(self._write, release)

    # -- uploads
    async def remember_upload(self, sha256: str, model: str, region: str, oss_url: str, *, at: float) -> None:
        def remember(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT OR REPLACE INTO uploads (sha256, model, region, oss_url, uploaded_at) VALUES (?, ?, ?, ?, ?)",
                (sha256, model, region, oss_url, at),
            )

        await self._run(self._write, remember)

    async def known_upload(self, sha256: str, model: str, region: str, *, since: float) -> str | None:
        def select() -> str | None:
            row = self._db.execute(
                "SELECT oss_url FROM uploads WHERE sha256 = ? AND model = ? AND region = ? AND uploaded_at > ?",
                (sha256, model, region, since),
            ).fetchone()
            return str(row[0]) if row else None

        return await self._run(select)

    # -- chains
    async def save_chain(self, chain: ChainRecord, *, budget: DailyBudget | None = None) -> ChainRecord:
        chain.updated_at = self.clock()
        values = codec.chain_row(chain)

        updates = ", ".join(f"{name} = excluded.{name}" for name in values)
        upsert = f"INSERT INTO chains ({', '.join(values)}) VALUES ({_marks(values)}) ON CONFLICT (id) DO UPDATE SET "

        def save(db: sqlite3.Connection) -> ChainRecord:  # an update keeps the chain's lease
            _refuse_over(db, budget)
            db.execute(upsert + updates, tuple(values.values()))
            return chain

        return await self._run(self._write, save)

    async def create_chain(self, chain: ChainRecord, *, budget: DailyBudget | None = None) -> tuple[ChainRecord, bool]:
        chain.updated_at = self.clock()
        values = codec.chain_row(chain)

        def create(db: sqlite3.Connection) -> tuple[ChainRecord, bool]:
            row = db.execute(
                "SELECT * FROM chains WHERE spec_hash = ? AND tenant = ? ORDER BY created_at DESC LIMIT 1",
                (chain.spec_hash, chain.tenant),
            ).fetchone()
            if row is not None:
                return codec.chain_record(row), False
            _refuse_over(db, budget)
            db.execute(f"INSERT INTO chains ({', '.join(values)}) VALUES ({_marks(values)})", tuple(values.values()))
            return chain, True

        return await self._run(self._write, create)

    async def take_chain_lease(self, chain_id: str, owner: str, *, until: float, now: float) -> bool:
        def take(db: sqlite3.Connection) -> bool:
            cursor = db.execute(
                "UPDATE chains SET lease_owner = ?, lease_until = ? WHERE id = ? AND (lease_owner IS NULL OR "
                "lease_until IS NULL OR lease_until < ? OR lease_owner = ?)",
                (owner, until, chain_id, now, owner),
            )
            return cursor.rowcount == 1

        return await self._run(self._write, take)

    async def release_chain_lease(self, chain_id: str, owner: str) -> None:
        def release(db: sqlite3.Connection) -> None:
            db.execute(
                "UPDATE chains SET lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?",
                (chain_id, owner),
            )

        await self._run(self._write, release)

    async def get_chain(self, key: str, *, tenant: str | None = None) -> ChainRecord | None:
        query, params = "SELECT * FROM chains WHERE (id = ? OR spec_hash = ?)", [key, key]
        if tenant is not None:
            query, params = query + " AND tenant = ?", [*params, tenant]

        def select() -> ChainRecord | None:
            row = self._db.execute(query + " ORDER BY created_at DESC LIMIT 1", params).fetchone()
            return codec.chain_record(row) if row else None

        return await self._run(select)

    async def list_chains(self, states: Collection[ChainState]) -> list[ChainRecord]:
        texts = [s.value for s in states]

        def select() -> list[ChainRecord]:
            rows = self._db.execute(f"SELECT * FROM chains WHERE state IN ({_marks(texts)})", texts).fetchall()
            return [codec.chain_record(row) for row in rows]

        return await self._run(select)

    # -- the ledger
    async def spend(self, *, since: float, until: float, tenant: str | None = None) -> list[SpendRow]:
        return await self._run(_spend, self._db, since, until, tenant)

    async def query_slot(self, *, per_second: float) -> float:  # noqa: ARG002 (the protocol's signature)
        """On one machine each process keeps its own limit (the client's limiter): nothing to share here."""
        return 0.0

    async def send_slot(self, name: str, *, per_second: float) -> float:  # noqa: ARG002 (the protocol's signature)
        """As `query_slot`: each process keeps its own limit."""
        return 0.0

    async def shared_secret(self, name: str) -> bytes:
        fresh = secrets.token_bytes(32)

        def get(db: sqlite3.Connection) -> bytes:
            db.execute("INSERT OR IGNORE INTO secrets (name, value) VALUES (?, ?)", (name, fresh))
            return bytes(db.execute("SELECT value FROM secrets WHERE name = ?", (name,)).fetchone()[0])

        return await self._run(self._write, get)

    async def close(self) -> None:
        with self._lock:
            self._db.close()


def _spend(db: sqlite3.Connection, since: float, until: float, tenant: str | None) -> list[SpendRow]:
    """The ledger's rows of a period (see `Store.spend`)."""
    active = [s.value for s in PAID_OR_PAYING if s is not JobState.DELIVERED]
    query = (
        "SELECT model, currency, tenant,"
        " SUM(status = 'SUCCEEDED') AS jobs,"
        " COALESCE(SUM(CASE WHEN status = 'SUCCEEDED' THEN billed_seconds END), 0) AS billed_seconds,"
        " COALESCE(SUM(CASE WHEN status = 'SUCCEEDED' THEN cost END), 0) AS cost,"
        " SUM(status = 'SUCCEEDED' AND cost IS NULL) AS unpriced_jobs,"
        f" SUM(status IS NOT 'SUCCEEDED' AND state IN ({_marks(active)})) AS pending_jobs,"
        f" COALESCE(SUM(CASE WHEN status IS NOT 'SUCCEEDED' AND state IN ({_marks(active)}) THEN quoted_cost END),"
        " 0) AS pending_cost,"
        f" SUM(status IS NOT 'SUCCEEDED' AND state IN ({_marks(active)}) AND quoted_cost IS NULL)"
        " AS pending_unpriced"
        " FROM tasks WHERE created_at >= ? AND created_at < ?"
    )
    params: list[Any] = [*active, *active, *active, since, until]
    if tenant is not None:
        query += " AND tenant = ?"
        params.append(tenant)
    query += " GROUP BY model, currency, tenant ORDER BY model"
    return [SpendRow(**dict(row)) for row in db.execute(query, params).fetchall()]


def _refuse_over(db: sqlite3.Connection, budget: DailyBudget | None) -> None:
    """Inside a write (BEGIN IMMEDIATE: every other process's writes wait), raise `OverDailyBudget` when the budget's
    quote does not fit what its tenant's day already commits."""
    if budget is None:
        return
    rows = _spend(db, budget.since, budget.until, budget.tenant)
    query = "SELECT * FROM chains WHERE state = ? AND tenant = ?"
    chains = [codec.chain_record(row) for row in db.execute(query, (ChainState.RUNNING.value, budget.tenant))]
    enforce(budget, rows, chains)
