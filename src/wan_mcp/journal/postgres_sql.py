"""The PostgreSQL journal's SQL: the schema as numbered migrations, and the statements that decide races (a lease,
the account's query clock, a tenant's daily budget).

The columns are the codec's (`codec.py`), so both stores read and write the same rows; JSON stays text and times
stay epoch seconds (double precision), as in SQLite. `schema_version` lists the migrations applied. Every replica
runs `migrate` on connect inside one transaction that first takes a transaction-level advisory lock, so replicas
starting together apply each step exactly once and the others wait for it, then find nothing left to do.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection
from typing import Any

from psycopg import AsyncConnection, AsyncCursor, sql
from psycopg.rows import DictRow

from wan_mcp.journal import codec
from wan_mcp.journal.budget import DailyBudget, enforce
from wan_mcp.journal.records import SpendRow
from wan_mcp.states import PAID_OR_PAYING, ChainState, JobState

log = logging.getLogger("wan_mcp.journal")

# The advisory-lock namespaces of the journal (the first key of pg_advisory_xact_lock(int, int)).
MIGRATION_LOCK = 0x57414E31  # "WAN1": schema migrations (second key 0)
DUPLICATE_LOCK = 0x57414E32  # "WAN2": the duplicate check of one request or chain (key: hashtext(tenant, hash))
BUDGET_LOCK = 0x57414E33  # "WAN3": the daily-budget check of one tenant (second key: hashtext(tenant))

_JOBS = (
    """CREATE TABLE tasks (
        handle TEXT PRIMARY KEY, task_id TEXT UNIQUE, state TEXT NOT NULL, status TEXT, mode TEXT NOT NULL,
        model TEXT NOT NULL, model_name TEXT NOT NULL, region TEXT NOT NULL, tenant TEXT NOT NULL DEFAULT '',
        function TEXT, prompt TEXT, request_json TEXT NOT NULL, request_hash TEXT NOT NULL,
        estimate_json TEXT NOT NULL, currency TEXT, quoted_cost DOUBLE PRECISION, notes_json TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL, submitted_at DOUBLE PRECISION, updated_at DOUBLE PRECISION NOT NULL,
        finished_at DOUBLE PRECISION, request_id TEXT, video_url TEXT, url_expires_at DOUBLE PRECISION,
        orig_prompt TEXT, actual_prompt TEXT, usage_json TEXT, billed_seconds DOUBLE PRECISION,
        cost DOUBLE PRECISION, local_path TEXT, size_bytes BIGINT, sha256 TEXT, verified TEXT, error_json TEXT,
        lease_owner TEXT, lease_until DOUBLE PRECISION
    )""",
    "CREATE INDEX tasks_state ON tasks (state)",
    "CREATE INDEX tasks_created ON tasks (created_at)",
    "CREATE INDEX tasks_request ON tasks (request_hash, tenant, created_at)",
    """CREATE TABLE events (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, handle TEXT NOT NULL REFERENCES tasks (handle),
        at DOUBLE PRECISION NOT NULL, state TEXT NOT NULL, status TEXT, detail TEXT
    )""",
    "CREATE INDEX events_handle ON events (handle, id)",
    """CREATE TABLE uploads (
        sha256 TEXT NOT NULL, model TEXT NOT NULL, region TEXT NOT NULL, oss_url TEXT NOT NULL,
        uploaded_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (sha256, model, region)
    )""",
    """CREATE TABLE chains (
        id TEXT PRIMARY KEY, spec_hash TEXT NOT NULL, kind TEXT NOT NULL, spec_json TEXT NOT NULL,
        state TEXT NOT NULL, segments_json TEXT NOT NULL, tenant TEXT NOT NULL DEFAULT '', output_path TEXT,
        size_bytes BIGINT, sha256 TEXT, error_json TEXT, created_at DOUBLE PRECISION NOT NULL,
        updated_at DOUBLE PRECISION NOT NULL
    )""",
    "CREATE INDEX chains_hash ON chains (spec_hash)",
)
# One row: the earliest time the next task query of the account may be sent (shared by every replica).
_QUERY_CLOCK = (
    "CREATE TABLE query_clock (id SMALLINT PRIMARY KEY CHECK (id = 1), next_at DOUBLE PRECISION NOT NULL)",
    "INSERT INTO query_clock (id, next_at) VALUES (1, 0)",
)
# Random secrets made once and shared by every replica (e.g. the key that signs download links).
_SECRETS = ("CREATE TABLE secrets (name TEXT PRIMARY KEY, value BYTEA NOT NULL)",)
# One send clock per kind of request with a limit of its own (a model's task submissions per second).
_SEND_CLOCKS = ("CREATE TABLE send_clocks (name TEXT PRIMARY KEY, next_at DOUBLE PRECISION NOT NULL)",)
# A chain is moved on by one process at a time: the one holding its lease.
_CHAIN_LEASES = ("ALTER TABLE chains ADD COLUMN lease_owner TEXT, ADD COLUMN lease_until DOUBLE PRECISION",)
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    _JOBS,
    _QUERY_CLOCK,
    _SECRETS,
    _SEND_CLOCKS,
    _CHAIN_LEASES,
)  # migration n: MIGRATIONS[n - 1]
SCHEMA_VERSION = len(MIGRATIONS)

# -- composing statements over column names


def columns(names: Collection[str]) -> sql.Composable:
    """`a, b` (quoted identifiers)."""
    return sql.SQL(", ").join(sql.Identifier(name) for name in names)


def marks(names: Collection[str]) -> sql.Composable:
    """`%s, %s`, one placeholder per name."""
    return sql.SQL(", ").join(sql.Placeholder() for _ in names)


def assignments(names: Collection[str], source: str = "") -> sql.Composable:
    """`a = %s, b = %s` (or `a = EXCLUDED.a, …` with a source table)."""
    if source:
        template = sql.SQL("{} = {}.{}")
        return sql.SQL(", ").join(template.format(sql.Identifier(n), sql.SQL(source), sql.Identifier(n)) for n in names)
    return sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(n)) for n in names)


# -- the statements that decide races between replicas

# Taking a lease is this one UPDATE: the lease condition is checked on the newest version of the row once it is
# locked, so of many takers exactly one matches. The locked sub-select gives the state before, for the event.
TAKE_LEASE = """
UPDATE tasks AS t SET lease_owner = %(owner)s, lease_until = %(until)s, updated_at = %(now)s,
    state = COALESCE(%(to_state)s, t.state)
FROM (SELECT handle, state FROM tasks WHERE handle = %(handle)s FOR UPDATE) AS before
WHERE t.handle = before.handle
    AND (t.lease_owner IS NULL OR t.lease_until IS NULL OR t.lease_until < %(now)s OR t.lease_owner = %(owner)s)
    AND (%(from_states)s::text[] IS NULL OR t.state = ANY(%(from_states)s::text[]))
RETURNING t.*, before.state AS state_before
"""
TAKE_CHAIN_LEASE = """
UPDATE chains SET lease_owner = %(owner)s, lease_until = %(until)s
WHERE id = %(id)s AND (lease_owner IS NULL OR lease_until IS NULL OR lease_until < %(now)s OR lease_owner = %(owner)s)
"""
# The next free send time is max(the clock's next_at, now); the reservation moves next_at one gap past it. "now" is
# read in SET and RETURNING, which run once the row is ours: a wait for the row lock must not age it. `held` is how
# long the server spent on the statement (lock waits included), so the caller can tell how late the answer came.
NOW = "COALESCE(%(now)s::float8, EXTRACT(EPOCH FROM clock_timestamp())::float8)"
QUERY_SLOT = f"""
UPDATE query_clock SET next_at = GREATEST(next_at, {NOW}) + %(gap)s WHERE id = 1
RETURNING GREATEST(next_at - %(gap)s - {NOW}, 0) AS wait,
    EXTRACT(EPOCH FROM clock_timestamp() - statement_timestamp())::float8 AS held
"""
SEND_SLOT = f"""
INSERT INTO send_clocks AS c (name, next_at) VALUES (%(name)s, {NOW} + %(gap)s)
ON CONFLICT (name) DO UPDATE SET next_at = GREATEST(c.next_at, {NOW}) + %(gap)s
RETURNING GREATEST(c.next_at - %(gap)s - {NOW}, 0) AS wait,
    EXTRACT(EPOCH FROM clock_timestamp() - statement_timestamp())::float8 AS held
"""
SLOT_ATTEMPTS = 3  # reservations one query_slot call may make when answers come back late
SPEND = """
SELECT model, currency, tenant,
    COUNT(*) FILTER (WHERE succeeded) AS jobs,
    COALESCE(SUM(billed_seconds) FILTER (WHERE succeeded), 0) AS billed_seconds,
    COALESCE(SUM(cost) FILTER (WHERE succeeded), 0) AS cost,
    COUNT(*) FILTER (WHERE succeeded AND cost IS NULL) AS unpriced_jobs,
    COUNT(*) FILTER (WHERE pending) AS pending_jobs,
    COALESCE(SUM(quoted_cost) FILTER (WHERE pending), 0) AS pending_cost,
    COUNT(*) FILTER (WHERE pending AND quoted_cost IS NULL) AS pending_unpriced
FROM (
    SELECT *, status IS NOT DISTINCT FROM 'SUCCEEDED' AS succeeded,
        status IS DISTINCT FROM 'SUCCEEDED' AND state = ANY(%(active)s) AS pending
    FROM tasks WHERE created_at >= %(since)s AND created_at < %(until)s
        AND (%(tenant)s::text IS NULL OR tenant = %(tenant)s::text)
) AS period
GROUP BY model, currency, tenant ORDER BY model, currency NULLS FIRST, tenant
"""


async def spend(cur: AsyncCursor[DictRow], since: float, until: float, tenant: str | None) -> list[SpendRow]:
    """The ledger's rows of a period (see `Store.spend`)."""
    active = [s.value for s in PAID_OR_PAYING if s is not JobState.DELIVERED]
    await cur.execute(SPEND, {"active": active, "since": since, "until": until, "tenant": tenant})
    return [SpendRow(**row) for row in await cur.fetchall()]


async def refuse_over(cur: AsyncCursor[DictRow], budget: DailyBudget | None) -> None:
    """In a write's transaction, raise `OverDailyBudget` when the budget's quote does not fit what its tenant's day
    already commits. The tenant's lock queues its budgeted writes, across replicas, until the one before commits;
    the statements after it (read committed: each sees what was committed when it began) then count that one."""
    if budget is None:
        return
    await cur.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (BUDGET_LOCK, budget.tenant))
    rows = await spend(cur, budget.since, budget.until, budget.tenant)
    running = (ChainState.RUNNING.value, budget.tenant)
    await cur.execute("SELECT * FROM chains WHERE state = %s AND tenant = %s", running)
    enforce(budget, rows, [codec.chain_record(row) for row in await cur.fetchall()])


async def migrate(conn: AsyncConnection[Any], *, upto: int = SCHEMA_VERSION) -> int:
    """Bring the schema up to version `upto` (all of it by default) in one transaction; the version it was at."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s, 0)", (MIGRATION_LOCK,))
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            "version INTEGER PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL)"
        )
        row = await (await conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version")).fetchone()
        found = int(row[0]) if row else 0
        if found > SCHEMA_VERSION:
            log.warning(
                "the journal database has schema version %d, newer than this wan-mcp's %d", found, SCHEMA_VERSION
            )
        for version in range(found + 1, upto + 1):
            for statement in MIGRATIONS[version - 1]:
                await conn.execute(statement)
            await conn.execute(
                "INSERT INTO schema_version (version, applied_at) VALUES (%s, %s)", (version, time.time())
            )
            log.info("journal database: schema migrated to version %d", version)
    return found
