"""What only the SQLite store does: one file shared by processes, migrations of old files, damage and lock bounds."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import anyio
import pytest
from store_cases import estimate, record

from conftest import Clock
from wan_mcp.journal import JournalUnavailable, TaskFilter
from wan_mcp.journal.sqlite import SqliteStore
from wan_mcp.journal.sqlite_sql import SCHEMA_VERSION
from wan_mcp.states import JobState

pytestmark = pytest.mark.anyio
PROCESSES = 4

# The schema of the first release (user_version 1), as it wrote journals.
_V1_SCHEMA = """
CREATE TABLE tasks (
    handle TEXT PRIMARY KEY, task_id TEXT UNIQUE, state TEXT NOT NULL, status TEXT, mode TEXT NOT NULL,
    model TEXT NOT NULL, model_name TEXT NOT NULL, region TEXT NOT NULL, function TEXT, prompt TEXT,
    request_json TEXT NOT NULL, request_hash TEXT NOT NULL, estimate_json TEXT NOT NULL, notes_json TEXT NOT NULL,
    created_at REAL NOT NULL, submitted_at REAL, updated_at REAL NOT NULL, finished_at REAL, request_id TEXT,
    video_url TEXT, url_expires_at REAL, orig_prompt TEXT, actual_prompt TEXT, usage_json TEXT, local_path TEXT,
    size_bytes INTEGER, sha256 TEXT, error_json TEXT, claim_owner TEXT, claim_at REAL
);
CREATE INDEX tasks_state ON tasks(state);
CREATE INDEX tasks_created ON tasks(created_at);
CREATE INDEX tasks_hash ON tasks(request_hash);
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, handle TEXT NOT NULL REFERENCES tasks(handle), at REAL NOT NULL,
    state TEXT NOT NULL, status TEXT, detail TEXT
);
CREATE INDEX events_handle ON events(handle);
CREATE TABLE uploads (
    sha256 TEXT NOT NULL, model TEXT NOT NULL, region TEXT NOT NULL, oss_url TEXT NOT NULL,
    uploaded_at REAL NOT NULL, PRIMARY KEY (sha256, model, region)
);
CREATE TABLE chains (
    id TEXT PRIMARY KEY, spec_hash TEXT NOT NULL, kind TEXT NOT NULL, spec_json TEXT NOT NULL, state TEXT NOT NULL,
    segments_json TEXT NOT NULL, output_path TEXT, size_bytes INTEGER, sha256 TEXT, error_json TEXT,
    created_at REAL NOT NULL, updated_at REAL NOT NULL
);
CREATE INDEX chains_hash ON chains(spec_hash);
PRAGMA user_version=1;
"""


def write_v1_journal(path: Path) -> None:
    """A journal as the first release left it: one delivered job with its event, one chain."""
    db = sqlite3.connect(path)
    db.executescript(_V1_SCHEMA)
    db.execute(
        "INSERT INTO tasks (handle, task_id, state, status, mode, model, model_name, region, prompt, request_json,"
        " request_hash, estimate_json, notes_json, created_at, updated_at, local_path, usage_json, claim_owner)"
        " VALUES ('wan-0000aaaa0000', 'task-v1', 'delivered', 'SUCCEEDED', 't2v', 'wan2.6-t2v', 'wan2.6-t2v',"
        " 'beijing', 'a fox', ?, 'h-v1', ?, '[\"old note\"]', 100.0, 200.0, '/videos/fox.mp4', ?, 'pid-42')",
        (json.dumps({"body": {"model": "wan2.6-t2v"}}), estimate().model_dump_json(), json.dumps({"duration": 5})),
    )
    db.execute("INSERT INTO events (handle, at, state, status, detail) VALUES ('wan-0000aaaa0000', 100.0, "
               "'submitting', NULL, 'recorded before sending')")  # fmt: skip
    db.execute(
        "INSERT INTO chains (id, spec_hash, kind, spec_json, state, segments_json, created_at, updated_at) VALUES "
        "('chain-v1', 'spec-v1', 'long', '{}', 'delivered', '[{\"index\": 0, \"handle\": \"wan-0000aaaa0000\", "
        '"frame": null}]\', 100.0, 200.0)'
    )
    db.commit()
    db.close()


def pragma(path: Path, name: str) -> object:
    with closing(sqlite3.connect(path)) as db:
        return db.execute(f"PRAGMA {name}").fetchone()[0]


async def test_a_first_release_journal_is_migrated_and_keeps_its_rows(tmp_path: Path) -> None:
    """A version-1 journal opens: it gains the new columns (tenant, quote, lease…) and keeps every job and chain."""
    path = tmp_path / "journal.sqlite3"
    write_v1_journal(path)
    store = SqliteStore(path, clock=Clock())
    try:
        job = await store.get_task("task-v1", with_events=True)
        assert job is not None and job.handle == "wan-0000aaaa0000" and job.state is JobState.DELIVERED
        assert (
            job.tenant == "" and job.lease_owner is None and job.notes == ["old note"] and job.usage == {"duration": 5}
        )
        assert [e.detail for e in job.events] == ["recorded before sending"]
        chain = await store.get_chain("spec-v1")
        assert chain is not None and chain.segments[0].handle == "wan-0000aaaa0000"
        leased = await store.take_lease(job.handle, "me", until=300.0, now=250.0, from_states=(JobState.DELIVERED,))
        assert leased is not None and leased.lease_owner == "me"  # the lease columns work
        assert await store.take_chain_lease("chain-v1", "me", until=300.0, now=250.0)  # and the chains' (version 3)
        assert await store.get_task("task-v1", tenant="") is not None
    finally:
        await store.close()
    assert pragma(path, "user_version") == SCHEMA_VERSION == 3
    reopened = SqliteStore(path)  # a second start finds nothing left to migrate
    assert (await reopened.get_task("task-v1")) is not None
    await reopened.close()


async def test_the_file_is_in_wal_mode(store_path: Path) -> None:
    """The journal is written ahead (WAL), so readers in other processes never wait for a writer."""
    store = SqliteStore(store_path)
    await store.create_task(record(), detail="")
    await store.close()
    assert pragma(store_path, "journal_mode") == "wal"


@pytest.mark.parametrize(
    ("content", "damage"), [(b"", "the file is empty"), (b"not a database, " * 512, "not a database")]
)
async def test_a_damaged_file_is_kept_aside_and_a_new_journal_begun(
    store_path: Path, content: bytes, damage: str
) -> None:
    """An empty or garbage journal at start is kept aside (named in `recovery_note`) and a new, working one begun
    (empty counts as damage where a journal was: the store marks the files it made)."""
    await SqliteStore(store_path, clock=Clock()).close()
    store_path.write_bytes(content)
    for suffix in ("-wal", "-shm"):
        Path(str(store_path) + suffix).unlink(missing_ok=True)
    store = SqliteStore(store_path, clock=Clock())
    try:
        kept = [p for p in store_path.parent.iterdir() if p.name.startswith("journal.sqlite3.damaged-")]
        assert len(kept) == 1 and kept[0].read_bytes() == content
        assert store.recovery_note is not None and damage in store.recovery_note and kept[0].name in store.recovery_note
        created, _ = await store.create_task(record(), detail="")
        assert await store.get_task(created.handle) is not None
    finally:
        await store.close()


async def test_an_empty_file_no_journal_was_in_is_not_damage(store_path: Path) -> None:
    """An empty file where no journal was (another process creating it this instant) is used, not set aside."""
    store_path.write_bytes(b"")
    store = SqliteStore(store_path, clock=Clock())
    try:
        assert store.recovery_note is None
        assert not [p for p in store_path.parent.iterdir() if p.name.startswith("journal.sqlite3.damaged-")]
    finally:
        await store.close()


async def test_a_journal_locked_too_long_is_unavailable(store_path: Path) -> None:
    """When another connection holds the write lock longer than the busy bound, a write raises JournalUnavailable
    (instead of waiting without end); it works again once the lock is gone."""
    store = SqliteStore(store_path, busy_seconds=0.2)
    holder = sqlite3.connect(store_path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(JournalUnavailable, match="did not answer"):
            await store.create_task(record(), detail="")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    await store.create_task(record(), detail="")
    await store.close()


_CHILD = """
import sys, time, anyio
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from store_cases import record
from wan_mcp.journal.sqlite import SqliteStore
from wan_mcp.journal.sqlite_sql import SCHEMA_VERSION

async def main() -> None:
    store = SqliteStore(Path(sys.argv[1]))
    while not Path(sys.argv[2]).exists():
        time.sleep(0.005)
    created, made = await store.create_task(record(), detail="", duplicate_since=0)
    await store.close()
    sys.stdout.write(f"{created.handle} {int(made)}")

anyio.run(main)
"""


def test_processes_creating_one_request_at_once_make_one_record(store_path: Path) -> None:
    """Several processes on one journal file, creating the same request at the same moment, write one record."""
    anyio.run(SqliteStore(store_path).close)  # the schema exists before the race
    start = store_path.with_name("start")
    here = str(Path(__file__).parent)
    children = [
        subprocess.Popen([sys.executable, "-c", _CHILD, str(store_path), str(start), here], stdout=subprocess.PIPE)
        for _ in range(PROCESSES)
    ]
    start.touch()
    answers = [child.communicate(timeout=60)[0].decode().split() for child in children]
    assert all(child.returncode == 0 for child in children)
    assert sum(int(made) for _, made in answers) == 1 and len({handle for handle, _ in answers}) == 1
    with closing(sqlite3.connect(store_path)) as db:
        assert db.execute("SELECT COUNT(*) FROM tasks WHERE request_hash = 'h1'").fetchone()[0] == 1


async def test_listing_finds_the_migrated_and_new_jobs_together(tmp_path: Path) -> None:
    """After a migration old and new jobs list together, newest first."""
    path = tmp_path / "journal.sqlite3"
    write_v1_journal(path)
    store = SqliteStore(path)
    new, _ = await store.create_task(record(created_at=300.0), detail="")
    assert [r.handle for r in await store.list_tasks(TaskFilter())] == [new.handle, "wan-0000aaaa0000"]
    await store.close()


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "journal.sqlite3"
