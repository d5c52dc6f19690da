"""What only the PostgreSQL store does: migrations raced by replicas, the shared query limit, bounded failures."""

from __future__ import annotations

import logging
import math
import socket
from collections.abc import Iterator

import anyio
import psycopg
import pytest
from store_cases import record

from conftest import Clock
from wan_mcp.errors import ConfigError
from wan_mcp.journal import JournalUnavailable, wait_for_query_turn
from wan_mcp.journal.postgres import PostgresStore
from wan_mcp.journal.postgres_errors import database_name
from wan_mcp.journal.postgres_sql import SCHEMA_VERSION, SLOT_ATTEMPTS, migrate

pytestmark = pytest.mark.anyio
REPLICAS = 4
CANARY_PASSWORD = "pg-canary-5e1f0c"


def busiest_second(times: list[float]) -> int:
    """The most send times in any closed 1-second window."""
    ordered = sorted(times)
    return max(sum(1 for t in ordered[i:] if t <= start + 1.0) for i, start in enumerate(ordered))


async def versions(url: str) -> list[int]:
    async with await psycopg.AsyncConnection.connect(url) as conn:
        rows = await (await conn.execute("SELECT version FROM schema_version ORDER BY version")).fetchall()
    return [row[0] for row in rows]


async def test_an_older_schema_is_migrated_and_keeps_its_rows(postgres_url: str) -> None:
    """A database at schema version 1 (jobs, no query clock) gains the later steps on connect and keeps its jobs."""
    async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as conn:
        assert await migrate(conn, upto=1) == 0
        await conn.execute(
            "INSERT INTO tasks (handle, task_id, state, mode, model, model_name, region, request_json, request_hash,"
            " estimate_json, notes_json, created_at, updated_at) VALUES ('wan-0000aaaa0000', 'task-v1', 'submitted',"
            " 't2v', 'wan2.6-t2v', 'wan2.6-t2v', 'beijing', '{}', 'h-v1', %s, '[]', 100.0, 100.0)",
            (record().estimate.model_dump_json(),),
        )
    assert await versions(postgres_url) == [1]
    store = await PostgresStore.connect(postgres_url)
    try:
        job = await store.get_task("task-v1")
        assert job is not None and job.handle == "wan-0000aaaa0000" and job.tenant == ""
        assert await store.query_slot(per_second=15.0) >= 0.0  # the query clock of version 2 is there
    finally:
        await store.close()
    assert await versions(postgres_url) == list(range(1, SCHEMA_VERSION + 1))


async def test_replicas_starting_at_once_migrate_once(postgres_url: str) -> None:
    """Several replicas connecting to an empty database at the same moment all start; each step is applied once."""
    stores: list[PostgresStore] = []

    async def start() -> None:
        stores.append(await PostgresStore.connect(postgres_url))

    async with anyio.create_task_group() as group:
        for _ in range(REPLICAS * 2):
            group.start_soon(start)
    try:
        assert len(stores) == REPLICAS * 2
        assert await versions(postgres_url) == list(range(1, SCHEMA_VERSION + 1))
        created, _ = await stores[0].create_task(record(), detail="")
        assert await stores[-1].get_task(created.handle) is not None
    finally:
        for store in stores:
            await store.close()


async def test_a_lock_held_too_long_is_unavailable_in_our_words(postgres_url: str) -> None:
    """When another connection holds a lock past the store's bound, the call raises JournalUnavailable that names
    the database and the cause in our words (no psycopg text); the store answers again once the lock is gone."""
    store = await PostgresStore.connect(postgres_url, timeout=1.0)
    created, _ = await store.create_task(record(), detail="")
    async with await psycopg.AsyncConnection.connect(postgres_url) as holder:
        await holder.execute("LOCK TABLE tasks IN ACCESS EXCLUSIVE MODE")
        with pytest.raises(JournalUnavailable) as caught:
            await store.get_task(created.handle)
        await holder.rollback()
    message = caught.value.message
    assert message.startswith(f"the journal database {database_name(postgres_url)} did not answer: ")
    assert "held a lock for more than 0.5 s" in message and "canceling statement" not in message
    assert caught.value.retryable and caught.value.__cause__ is None and caught.value.__suppress_context__
    assert await store.get_task(created.handle) is not None
    await store.close()


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never answers (a server hung or behind a dead network)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


@pytest.mark.parametrize("where", ["refused", "silent"])
async def test_an_unreachable_server_is_unavailable_and_the_password_never_shows(
    where: str, silent_server: int, caplog: pytest.LogCaptureFixture
) -> None:
    """Connecting to a server that refuses or never answers raises JournalUnavailable within the bound; neither the
    error nor any log line shows the URL's password."""
    caplog.set_level(logging.DEBUG)
    port = silent_server if where == "silent" else 1
    url = f"postgresql://wan:{CANARY_PASSWORD}@127.0.0.1:{port}/journal?password={CANARY_PASSWORD}"
    with pytest.raises(JournalUnavailable) as caught:
        await PostgresStore.connect(url, timeout=1.0)
    assert str(caught.value).startswith("journal_unavailable: the journal database postgresql://wan@127.0.0.1:")
    assert "could not be reached or refused the connection" in str(caught.value)
    assert CANARY_PASSWORD not in str(caught.value) and CANARY_PASSWORD not in caplog.text


async def test_a_missing_database_is_named(postgres_database: str, caplog: pytest.LogCaptureFixture) -> None:
    """A URL naming a database that does not exist is refused in our words; the log line says why, in the server's."""
    caplog.set_level(logging.WARNING, logger="wan_mcp.journal")
    missing = postgres_database.rsplit("/", 1)[0] + "/wan_mcp_no_such_database"
    with pytest.raises(JournalUnavailable, match="refused the connection") as caught:
        await PostgresStore.connect(missing, timeout=2.0)
    assert "wan_mcp_no_such_database" in str(caught.value) and "FATAL" not in str(caught.value)
    assert 'database "wan_mcp_no_such_database" does not exist' in caplog.text


def test_an_invalid_url_is_refused_without_echoing_it() -> None:
    """A URL that is not a PostgreSQL URL is a ConfigError that does not repeat it (it may hold a password)."""
    with pytest.raises(ConfigError) as caught:
        database_name(f"postgresql://wan:{CANARY_PASSWORD}@127.0.0.1:5432/journal?nonsense=1")
    assert caught.value.code == "invalid_database_url" and CANARY_PASSWORD not in str(caught.value)


@pytest.mark.parametrize("per_second", [15.0, 2.5])
async def test_query_slots_hold_the_account_limit_across_replicas(postgres_url: str, per_second: float) -> None:
    """Many callers on several replicas reserving at once get send times 1/per_second apart, so no 1-second window
    holds more than floor(per_second) + 1; once the reserved times are past, the next query may go at once."""
    clock = Clock(5000.0)  # frozen: every wait is the distance to the caller's reserved time
    stores = [await PostgresStore.connect(postgres_url, query_clock=clock) for _ in range(REPLICAS)]
    calls = math.ceil(per_second * 3)
    send_times: list[float] = []

    async def reserve(index: int) -> None:
        wait = await stores[index % REPLICAS].query_slot(per_second=per_second)
        send_times.append(clock.now + wait)

    async with anyio.create_task_group() as group:
        for index in range(calls):
            group.start_soon(reserve, index)
    gaps = [b - a for a, b in zip(sorted(send_times), sorted(send_times)[1:], strict=False)]
    assert min(send_times) == 5000.0 and min(gaps) == pytest.approx(1.0 / per_second)
    assert busiest_second(send_times) <= math.floor(per_second) + 1
    clock.now = max(send_times) + 1.0 / per_second
    assert await stores[0].query_slot(per_second=per_second) == 0.0
    for store in stores:
        await store.close()


async def test_send_clocks_space_each_kind_of_request_on_its_own(postgres_url: str) -> None:
    """A named send clock (one model's submissions) spaces its callers on every replica 1/per_second apart, made at
    its first use; another clock and the query clock are not held up by it."""
    clock = Clock(7000.0)
    stores = [await PostgresStore.connect(postgres_url, query_clock=clock) for _ in range(REPLICAS)]
    send_times: list[float] = []

    async def reserve(index: int) -> None:
        send_times.append(clock.now + await stores[index % REPLICAS].send_slot("submit beijing m1", per_second=5.0))

    async with anyio.create_task_group() as group:
        for index in range(12):
            group.start_soon(reserve, index)
    assert sorted(send_times) == pytest.approx([7000.0 + i / 5.0 for i in range(12)])
    assert await stores[1].send_slot("submit beijing m2", per_second=5.0) == 0.0
    assert await stores[2].query_slot(per_second=15.0) == 0.0
    for store in stores:
        await store.close()


async def test_query_slots_follow_the_databases_clock(postgres_url: str) -> None:
    """By default the reserved times are on the database's clock (one clock for every replica): a burst of N
    reservations moves the account's next free time at least N/per_second past the clock before the burst."""
    per_second, calls = 15.0, 30
    stores = [await PostgresStore.connect(postgres_url) for _ in range(REPLICAS)]
    async with await psycopg.AsyncConnection.connect(postgres_url) as conn:
        before = (await (await conn.execute("SELECT EXTRACT(EPOCH FROM clock_timestamp())::float8")).fetchone())[0]  # type: ignore[index]
        waits: list[float] = []

        async def reserve(index: int) -> None:
            waits.append(await stores[index % REPLICAS].query_slot(per_second=per_second))

        async with anyio.create_task_group() as group:
            for index in range(calls):
                group.start_soon(reserve, index)
        next_at = (await (await conn.execute("SELECT next_at FROM query_clock")).fetchone())[0]  # type: ignore[index]
    assert next_at >= before + calls / per_second
    # (a slot whose answer came back late is given up and another taken: at most SLOT_ATTEMPTS per call)
    assert len(waits) == calls and all(0.0 <= wait <= SLOT_ATTEMPTS * calls / per_second for wait in waits)
    for store in stores:
        await store.close()


class SteppingClock(Clock):
    """A clock that moves on by `step` every time it is read (an answer takes that long to come back)."""

    def __init__(self, now: float, step: float) -> None:
        super().__init__(now)
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now - self.step


async def next_free_time(url: str) -> float:
    async with await psycopg.AsyncConnection.connect(url) as conn:
        row = await (await conn.execute("SELECT next_at FROM query_clock")).fetchone()
    return float(row[0])  # type: ignore[index]


async def test_a_slot_answered_late_is_given_up(postgres_url: str) -> None:
    """A reservation whose answer comes back more than a quarter slot after the server read the clock is given up
    and another made, at most SLOT_ATTEMPTS times: here every answer is a second late, so one call makes three
    (the clock is read for the reservation, then before and after the statement: reservations at +0, +3, +6 s)."""
    late = SteppingClock(5000.0, step=1.0)
    store = await PostgresStore.connect(postgres_url, query_clock=late)
    assert await store.query_slot(per_second=15.0) == 0.0
    assert await next_free_time(postgres_url) == pytest.approx(5000.0 + 3 * (SLOT_ATTEMPTS - 1) + 1 / 15.0)
    await store.close()


async def test_a_query_turn_waits_for_its_slot_and_gives_up_one_reached_late(postgres_url: str) -> None:
    """wait_for_query_turn sleeps until the reserved time and returns; woken more than a quarter slot late, it
    gives the slot up and reserves another, at most `attempts` times (then it lets the query go)."""
    gap = 1 / 15.0
    database_time, local_time = Clock(5000.0), Clock(100.0)  # the reserved times, frozen; this process's clock
    store = await PostgresStore.connect(postgres_url, query_clock=database_time)
    slept: list[float] = []
    oversleep = 0.0

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        local_time.now += seconds + oversleep

    await wait_for_query_turn(store, per_second=15.0, clock=local_time, sleep=sleep)  # slot +0: no sleep
    await wait_for_query_turn(store, per_second=15.0, clock=local_time, sleep=sleep)  # slot +1
    assert slept == pytest.approx([gap])
    oversleep = 0.5  # the process wakes half a second late every time
    await wait_for_query_turn(store, per_second=15.0, clock=local_time, sleep=sleep, attempts=3)
    assert slept == pytest.approx([gap, 2 * gap, 3 * gap, 4 * gap])  # slots +2, +3, +4: two given up
    await store.close()
