"""The shared journal: PostgreSQL through psycopg 3 and its pool, so several replicas share every job and one limit.

Each call borrows a pooled connection (autocommit) for one statement, or one transaction when it needs several.
Every wait is bounded: the pool's timeout for a connection, `lock_timeout` and `statement_timeout` on the server,
and a deadline around the whole call for a network that stops answering. Any failure becomes `JournalUnavailable`
in our own words: no psycopg text reaches a caller, and the URL's password never appears in an error or a log line.
"""

from __future__ import annotations

import logging
import math
import secrets
import time
from collections.abc import AsyncIterator, Callable, Collection, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import anyio
import psycopg
from psycopg import AsyncConnection, AsyncCursor, sql
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from wan_mcp.journal import codec
from wan_mcp.journal.budget import DailyBudget
from wan_mcp.journal.postgres_errors import failure_reason, parsed_url, without_secret
from wan_mcp.journal.postgres_sql import (
    DUPLICATE_LOCK,
    QUERY_SLOT,
    SEND_SLOT,
    SLOT_ATTEMPTS,
    TAKE_CHAIN_LEASE,
    TAKE_LEASE,
    assignments,
    columns,
    marks,
    migrate,
    refuse_over,
    spend,
)
from wan_mcp.journal.records import ChainRecord, SpendRow, TaskEvent, TaskRecord
from wan_mcp.journal.store import JournalUnavailable, TaskFilter
from wan_mcp.states import ACTIVE_STATES, PAID_OR_PAYING, ChainState, JobState, task_status

log = logging.getLogger("wan_mcp.journal")
_INSERT_CHAIN = sql.SQL("INSERT INTO chains ({}) VALUES ({})")
_UPSERT_CHAIN = sql.SQL("INSERT INTO chains ({}) VALUES ({}) ON CONFLICT (id) DO UPDATE SET {}")


class PostgresStore:
    """The journal in a PostgreSQL database, shared by every replica connected to it."""

    recovery_note: str | None = None  # a database server keeps its own data safe: nothing is ever rebuilt here

    def __init__(
        self,
        pool: AsyncConnectionPool[AsyncConnection[Any]],
        *,
        url: str,
        timeout: float,
        clock: Callable[[], float] = time.time,
        query_clock: Callable[[], float] | None = None,
    ) -> None:
        self.name, self._password = parsed_url(url)
        self.timeout = timeout
        self.clock = clock
        self.query_clock = query_clock  # None: the database's own clock, the one every replica shares
        self._pool = pool

    @classmethod
    async def connect(
        cls,
        url: str,
        *,
        timeout: float = 10.0,
        max_connections: int = 8,
        clock: Callable[[], float] = time.time,
        query_clock: Callable[[], float] | None = None,
    ) -> PostgresStore:
        """Connect, create or migrate the schema, and open the pool; JournalUnavailable when that fails in time."""
        kwargs: dict[str, Any] = {"autocommit": True, "connect_timeout": max(2, math.ceil(timeout))}
        limits = sql.SQL(
            "SET lock_timeout = {}; SET statement_timeout = {}; SET idle_in_transaction_session_timeout = {}"
        )
        settings = limits.format(*(sql.Literal(f"{int(t * 1000)}ms") for t in (timeout / 2, timeout, 6 * timeout)))

        async def configure(conn: AsyncConnection[Any]) -> None:
            await conn.execute(settings)

        pool: AsyncConnectionPool[AsyncConnection[Any]] = AsyncConnectionPool(
            url, kwargs=kwargs, min_size=1, max_size=max_connections, open=False, timeout=timeout,
            configure=configure, name="wan-mcp-journal",
        )  # fmt: skip
        store = cls(pool, url=url, timeout=timeout, clock=clock, query_clock=query_clock)
        try:
            with store._translated():
                async with await AsyncConnection.connect(url, **kwargs) as conn:
                    await configure(conn)
                    await migrate(conn)
                await pool.open(wait=True, timeout=timeout)
        except BaseException:
            await pool.close()
            raise
        return store

    # -- plumbing
    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncCursor[DictRow]]:
        """Several statements in one transaction on a pooled connection (bounded in time, failures translated)."""
        async with self._statement() as cur, cur.connection.transaction():
            yield cur

    @asynccontextmanager
    async def _statement(self) -> AsyncIterator[AsyncCursor[DictRow]]:
        """A pooled connection for one statement, its own transaction (no BEGIN and COMMIT round trips)."""
        with self._translated():
            async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
                yield cur

    @contextmanager
    def _translated(self) -> Iterator[None]:
        """Bound a call by a deadline and turn every database failure into JournalUnavailable, in our words."""
        deadline = 3 * self.timeout
        try:
            with anyio.fail_after(deadline):
                yield
        except TimeoutError:
            raise self._unavailable(f"no answer within {deadline:g} s") from None
        except PoolTimeout:
            raise self._unavailable(f"no connection could be had within {self.timeout:g} s") from None
        except psycopg.Error as exc:
            if exc.pgconn is not None and not exc.sqlstate:  # the connection failed: libpq says why, for the log
                why = exc.pgconn.error_message.decode(errors="replace").strip()
                log.warning("the journal database %s: %s", self.name, without_secret(why, self._password))
            raise self._unavailable(failure_reason(exc, self.timeout)) from None

    def _unavailable(self, reason: str) -> JournalUnavailable:
        return JournalUnavailable(f"the journal database {self.name} did not answer: {reason}")

    async def _event(self, cur: AsyncCursor[DictRow], handle: str, detail: str) -> None:
        await cur.execute(
            "INSERT INTO events (handle, at, state, status, detail) SELECT handle, %s, state, status, %s FROM tasks "
            "WHERE handle = %s",
            (self.clock(), detail or None, handle),
        )

    # -- tasks
    async def create_task(
        self,
        record: TaskRecord,
        *,
        detail: str,
        duplicate_since: float | None = None,
        budget: DailyBudget | None = None,
    ) -> tuple[TaskRecord, bool]:
        values = codec.task_row(record)
        insert = sql.SQL("INSERT INTO tasks ({}) VALUES ({})").format(columns(values), marks(values))
        async with self._transaction() as cur:
            if duplicate_since is not None:
                # Creates of one request (tenant + hash) queue here until the one before them commits.
                key = f"{record.tenant}\n{record.request_hash}"
                await cur.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (DUPLICATE_LOCK, key))
                await cur.execute(
                    "SELECT * FROM tasks WHERE request_hash = %s AND tenant = %s AND created_at >= %s "
                    "AND state = ANY(%s) ORDER BY created_at DESC LIMIT 1",
                    (record.request_hash, record.tenant, duplicate_since, [s.value for s in PAID_OR_PAYING]),
                )
                row = await cur.fetchone()
                if row is not None:
                    return codec.task_record(row), False
            await refuse_over(cur, budget)
            await cur.execute(insert, tuple(values.values()))
            await self._event(cur, record.handle, detail)
        return record, True

    async def update_task(
        self, handle: str, *, detail: str = "", from_state: JobState | None = None, **changes: Any
    ) -> TaskRecord:
        changes["updated_at"] = self.clock()
        values = codec.task_values(changes)
        update = sql.SQL(
            "UPDATE tasks SET {} WHERE handle = %s AND (%s::text IS NULL OR state = %s::text) RETURNING *"
        ).format(assignments(values))
        expected = from_state.value if from_state is not None else None
        async with self._transaction() as cur:
            await cur.execute(update, (*values.values(), handle, expected, expected))
            row = await cur.fetchone()
            if row is None:  # unknown, or it left from_state meanwhile: as it is now, nothing written
                await cur.execute("SELECT * FROM tasks WHERE handle = %s", (handle,))
                row = await cur.fetchone()
                if row is None:
                    raise KeyError(handle)
                return codec.task_record(row)
            if "state" in changes or "status" in changes or detail:
                await self._event(cur, handle, detail)
        return codec.task_record(row)

    async def get_task(self, key: str, *, tenant: str | None = None, with_events: bool = False) -> TaskRecord | None:
        async with self._transaction() if with_events else self._statement() as cur:
            await cur.execute(
                "SELECT * FROM tasks WHERE (handle = %(key)s OR task_id = %(key)s) "
                "AND (%(tenant)s::text IS NULL OR tenant = %(tenant)s::text)",
                {"key": key, "tenant": tenant},
            )
            row = await cur.fetchone()
            if row is None:
                return None
            record = codec.task_record(row)
            if with_events:
                await cur.execute(
                    "SELECT at, state, status, detail FROM events WHERE handle = %s ORDER BY id", (record.handle,)
                )
                record.events = [
                    TaskEvent(r["at"], JobState(r["state"]), task_status(r["status"]), r["detail"])
                    for r in await cur.fetchall()
                ]
        return record

    async def list_tasks(self, where: TaskFilter) -> list[TaskRecord]:
        clauses: list[sql.Composable] = []
        params: list[Any] = []
        for column, values in (("state", where.states), ("status", where.statuses)):
            if values:
                clauses.append(sql.SQL("{} = ANY(%s)").format(sql.Identifier(column)))
                params.append([str(v) for v in values])
        for column, value, op in (
            ("created_at", where.since, ">="),
            ("request_hash", where.request_hash, "="),
            ("tenant", where.tenant, "="),
        ):
            if value is not None:
                clauses.append(sql.SQL("{} {} %s").format(sql.Identifier(column), sql.SQL(op)))
                params.append(value)
        condition = sql.SQL(" AND ").join(clauses) if clauses else sql.SQL("TRUE")
        query = sql.SQL("SELECT * FROM tasks WHERE {} ORDER BY created_at DESC LIMIT %s").format(condition)
        async with self._statement() as cur:
            await cur.execute(query, (*params, where.limit))
            return [codec.task_record(row) for row in await cur.fetchall()]

    async def known_task_ids(self) -> set[str]:
        async with self._statement() as cur:
            await cur.execute("SELECT task_id FROM tasks WHERE task_id IS NOT NULL")
            return {str(row["task_id"]) for row in await cur.fetchall()}

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
        params = {
            "handle": handle,
            "owner": owner,
            "until": until,
            "now": now,
            "to_state": to_state.value if to_state else None,
            "from_states": [s.value for s in (from_states or ACTIVE_STATES)],
        }
        async with self._transaction() as cur:
            await cur.execute(TAKE_LEASE, params)
            row = await cur.fetchone()
            if row is None:
                return None
            if to_state is not None and row["state_before"] != to_state.value:
                await self._event(cur, handle, f"taken by {owner}")
        return codec.task_record(row)

    async def release_lease(self, handle: str, owner: str) -> None:
        async with self._statement() as cur:
            await cur.execute(
                "UPDATE tasks SET lease_owner = NULL, lease_until = NULL WHERE handle = %s AND lease_owner = %s",
                (handle, owner),
            )

    # -- uploads
    async def remember_upload(self, sha256: str, model: str, region: str, oss_url: str, *, at: float) -> None:
        async with self._statement() as cur:
            await cur.execute(
                "INSERT INTO uploads (sha256, model, region, oss_url, uploaded_at) VALUES (%s, %s, %s, %s, %s) "
                "ON CONFLICT (sha256, model, region) DO UPDATE SET oss_url = EXCLUDED.oss_url, "
                "uploaded_at = EXCLUDED.uploaded_at",
                (sha256, model, region, oss_url, at),
            )

    async def known_upload(self, sha256: str, model: str, region: str, *, since: float) -> str | None:
        async with self._statement() as cur:
            await cur.execute(
                "SELECT oss_url FROM uploads WHERE sha256 = %s AND model = %s AND region = %s AND uploaded_at > %s",
                (sha256, model, region, since),
            )
            row = await cur.fetchone()
        return str(row["oss_url"]) if row else None

    # -- chains
    async def save_chain(self, chain: ChainRecord, *, budget: DailyBudget | None = None) -> ChainRecord:
        chain.updated_at = self.clock()
        values = codec.chain_row(chain)
        upsert = _UPSERT_CHAIN.format(columns(values), marks(values), assignments(values, "EXCLUDED"))
        async with self._transaction() if budget else self._statement() as cur:
            await refuse_over(cur, budget)
            await cur.execute(upsert, tuple(values.values()))
        return chain

    async def create_chain(self, chain: ChainRecord, *, budget: DailyBudget | None = None) -> tuple[ChainRecord, bool]:
        chain.updated_at = self.clock()
        values = codec.chain_row(chain)
        async with self._transaction() as cur:
            # Starts of one chain (tenant + spec) queue here until the one before them commits.
            key = f"{chain.tenant}\n{chain.spec_hash}"
            await cur.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (DUPLICATE_LOCK, key))
            await cur.execute(
                "SELECT * FROM chains WHERE spec_hash = %s AND tenant = %s ORDER BY created_at DESC LIMIT 1",
                (chain.spec_hash, chain.tenant),
            )
            row = await cur.fetchone()
            if row is not None:
                return codec.chain_record(row), False
            await refuse_over(cur, budget)
            await cur.execute(_INSERT_CHAIN.format(columns(values), marks(values)), tuple(values.values()))
        return chain, True

    async def take_chain_lease(self, chain_id: str, owner: str, *, until: float, now: float) -> bool:
        async with self._statement() as cur:
            await cur.execute(TAKE_CHAIN_LEASE, {"id": chain_id, "owner": owner, "until": until, "now": now})
            return cur.rowcount == 1

    async def release_chain_lease(self, chain_id: str, owner: str) -> None:
        async with self._statement() as cur:
            await cur.execute(
                "UPDATE chains SET lease_owner = NULL, lease_until = NULL WHERE id = %s AND lease_owner = %s",
                (chain_id, owner),
            )

    async def get_chain(self, key: str, *, tenant: str | None = None) -> ChainRecord | None:
        async with self._statement() as cur:
            await cur.execute(
                "SELECT * FROM chains WHERE (id = %(key)s OR spec_hash = %(key)s) "
                "AND (%(tenant)s::text IS NULL OR tenant = %(tenant)s::text) ORDER BY created_at DESC LIMIT 1",
                {"key": key, "tenant": tenant},
            )
            row = await cur.fetchone()
        return codec.chain_record(row) if row else None

    async def list_chains(self, states: Collection[ChainState]) -> list[ChainRecord]:
        async with self._statement() as cur:
            await cur.execute("SELECT * FROM chains WHERE state = ANY(%s)", ([s.value for s in states],))
            return [codec.chain_record(row) for row in await cur.fetchall()]

    # -- the ledger and the account's query limit
    async def spend(self, *, since: float, until: float, tenant: str | None = None) -> list[SpendRow]:
        async with self._statement() as cur:
            return await spend(cur, since, until, tenant)

    async def query_slot(self, *, per_second: float) -> float:
        """Reserve the account's next free send time, one every 1/per_second seconds across every replica, on the
        database's clock: in any 1 s window at most floor(per_second) + 1 queries go out. The seconds to wait.

        An answer that reached us more than a quarter slot after the server read its clock would make us send late,
        into the next slot's second: its slot is given up (left unused) and another reserved, up to 3 times.
        """
        return await self._slot(QUERY_SLOT, {}, per_second)

    async def send_slot(self, name: str, *, per_second: float) -> float:
        """As `query_slot`, on the clock `name` (created at its first use): e.g. one model's task submissions."""
        return await self._slot(SEND_SLOT, {"name": name}, per_second)

    async def _slot(self, statement: str, params: dict[str, Any], per_second: float) -> float:
        if per_second <= 0:
            raise ValueError(f"per_second must be positive, not {per_second}")
        gap = 1.0 / per_second
        timer = self.query_clock or time.monotonic
        wait = 0.0
        for _ in range(SLOT_ATTEMPTS):
            now = self.query_clock() if self.query_clock else None
            async with self._statement() as cur:
                asked = timer()  # (a wait for a pooled connection comes before the server reads its clock: harmless)
                await cur.execute(statement, {**params, "now": now, "gap": gap})
                row = await cur.fetchone()
            answered = timer()
            if row is None:
                raise JournalUnavailable(f"the journal database {self.name} has no query clock (schema damaged?)")
            wait = float(row["wait"])
            if answered - asked - row["held"] <= gap / 4:
                break
        return wait

    async def shared_secret(self, name: str) -> bytes:
        fresh = secrets.token_bytes(32)
        async with self._statement() as cur:
            await cur.execute(
                "INSERT INTO secrets (name, value) VALUES (%s, %s) ON CONFLICT (name) DO NOTHING", (name, fresh)
            )
            await cur.execute("SELECT value FROM secrets WHERE name = %s", (name,))
            row = await cur.fetchone()
        if row is None:
            raise JournalUnavailable(f"the journal database {self.name} kept no secret {name!r}")
        return bytes(row["value"])

    async def close(self) -> None:
        await self._pool.close()
