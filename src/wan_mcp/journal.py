"""The task journal: durable records of every job (sqlite3, WAL), written before a submit is sent.

A record is keyed by a local handle (`wan-…`), minted before anything leaves the machine; DashScope's task id is
added the moment it arrives. Every change is one transaction that updates the record and appends an event, so
the history of a job survives any crash. Journal states:

    submitting → submitted → (PENDING/RUNNING, as `status`) → downloading → delivered
               ↘ rejected (refused, nothing paid)        ↘ failed | canceled | unknown | expired
               ↘ unconfirmed (sent, no answer: reconciled through the task list, never resent)
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1
FINAL_STATES = frozenset({"rejected", "delivered", "failed", "canceled", "unknown", "expired"})
ACTIVE_STATES = frozenset({"submitting", "submitted", "unconfirmed", "downloading"})

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tasks (
    handle TEXT PRIMARY KEY,
    task_id TEXT UNIQUE,
    state TEXT NOT NULL,
    status TEXT,
    mode TEXT NOT NULL,
    model TEXT NOT NULL,
    model_name TEXT NOT NULL,
    region TEXT NOT NULL,
    function TEXT,
    prompt TEXT,
    request_json TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    estimate_json TEXT NOT NULL,
    notes_json TEXT NOT NULL,
    created_at REAL NOT NULL,
    submitted_at REAL,
    updated_at REAL NOT NULL,
    finished_at REAL,
    request_id TEXT,
    video_url TEXT,
    url_expires_at REAL,
    orig_prompt TEXT,
    actual_prompt TEXT,
    usage_json TEXT,
    local_path TEXT,
    size_bytes INTEGER,
    sha256 TEXT,
    error_json TEXT,
    claim_owner TEXT,
    claim_at REAL
);
CREATE INDEX IF NOT EXISTS tasks_state ON tasks(state);
CREATE INDEX IF NOT EXISTS tasks_created ON tasks(created_at);
CREATE INDEX IF NOT EXISTS tasks_hash ON tasks(request_hash);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    handle TEXT NOT NULL REFERENCES tasks(handle),
    at REAL NOT NULL,
    state TEXT NOT NULL,
    status TEXT,
    detail TEXT
);
CREATE INDEX IF NOT EXISTS events_handle ON events(handle);
CREATE TABLE IF NOT EXISTS uploads (
    sha256 TEXT NOT NULL,
    model TEXT NOT NULL,
    region TEXT NOT NULL,
    oss_url TEXT NOT NULL,
    uploaded_at REAL NOT NULL,
    PRIMARY KEY (sha256, model, region)
);
CREATE TABLE IF NOT EXISTS chains (
    id TEXT PRIMARY KEY,
    spec_hash TEXT NOT NULL,
    kind TEXT NOT NULL,
    spec_json TEXT NOT NULL,
    state TEXT NOT NULL,
    segments_json TEXT NOT NULL,
    output_path TEXT,
    size_bytes INTEGER,
    sha256 TEXT,
    error_json TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS chains_hash ON chains(spec_hash);
"""


@dataclass
class TaskRecord:
    """One job, as the journal keeps it (no secrets: the request body carries no key)."""

    handle: str
    state: str
    mode: str
    model: str
    model_name: str
    region: str
    request_json: str
    request_hash: str
    estimate_json: str
    notes_json: str
    created_at: float
    updated_at: float
    task_id: str | None = None
    status: str | None = None
    function: str | None = None
    prompt: str | None = None
    submitted_at: float | None = None
    finished_at: float | None = None
    request_id: str | None = None
    video_url: str | None = None
    url_expires_at: float | None = None
    orig_prompt: str | None = None
    actual_prompt: str | None = None
    usage_json: str | None = None
    local_path: str | None = None
    size_bytes: int | None = None
    sha256: str | None = None
    error_json: str | None = None
    claim_owner: str | None = None
    claim_at: float | None = None
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def request(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.request_json)
        return data

    @property
    def estimate(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.estimate_json)
        return data

    @property
    def notes(self) -> list[str]:
        data: list[str] = json.loads(self.notes_json)
        return data

    @property
    def usage(self) -> dict[str, Any] | None:
        return json.loads(self.usage_json) if self.usage_json else None

    @property
    def error(self) -> dict[str, Any] | None:
        return json.loads(self.error_json) if self.error_json else None

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES


_COLUMNS = tuple(f.name for f in fields(TaskRecord) if f.name != "events")


@dataclass
class ChainRecord:
    """Several jobs joined into one video: a long video (shots) or an extension (a source + new segments)."""

    id: str
    spec_hash: str
    kind: str  # "long" | "extend"
    spec_json: str
    state: str  # "running" | "merging" | "delivered" | "failed"
    segments_json: str  # [{"index": i, "handle": "wan-…" | null, "frame": path | null}]
    created_at: float
    updated_at: float
    output_path: str | None = None
    size_bytes: int | None = None
    sha256: str | None = None
    error_json: str | None = None

    @property
    def spec(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.spec_json)
        return data

    @property
    def segments(self) -> list[dict[str, Any]]:
        data: list[dict[str, Any]] = json.loads(self.segments_json)
        return data


_CHAIN_COLUMNS = tuple(f.name for f in fields(ChainRecord))


def new_handle() -> str:
    """A local handle for a job, valid before DashScope has given it a task id."""
    return "wan-" + secrets.token_hex(6)


class Journal:
    """The sqlite journal; safe to use from several threads and several processes (WAL, short transactions)."""

    def __init__(self, path: Path, *, clock: Any = time.time) -> None:
        self.path = path
        self.clock = clock
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(path), timeout=30, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(_SCHEMA)
        self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE … COMMIT)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- writes
    def create(self, record: TaskRecord, detail: str = "") -> TaskRecord:
        """Write a new record (before anything is sent)."""
        values = {name: getattr(record, name) for name in _COLUMNS}
        with self.transaction() as db:
            db.execute(
                f"INSERT INTO tasks ({', '.join(values)}) VALUES ({', '.join('?' for _ in values)})",
                tuple(values.values()),
            )
            self._event(db, record.handle, record.state, record.status, detail)
        return record

    def update(self, handle: str, *, detail: str = "", **changes: Any) -> TaskRecord:
        """Change a record in one transaction and log the change; returns the new record."""
        for name in changes:
            if name not in _COLUMNS or name == "handle":
                raise ValueError(f"not a journal column: {name}")
        changes["updated_at"] = self.clock()
        with self.transaction() as db:
            assignments = ", ".join(f"{name} = ?" for name in changes)
            cursor = db.execute(f"UPDATE tasks SET {assignments} WHERE handle = ?", (*changes.values(), handle))
            if cursor.rowcount != 1:
                raise KeyError(handle)
            row = db.execute("SELECT state, status FROM tasks WHERE handle = ?", (handle,)).fetchone()
            if "state" in changes or "status" in changes or detail:
                self._event(db, handle, row["state"], row["status"], detail)
        record = self.get(handle)
        assert record is not None
        return record

    def claim(
        self, handle: str, owner: str, *, from_states: tuple[str, ...], to_state: str, stale_after: float
    ) -> bool:
        """Take a record for exclusive work (a download): True for exactly one claimant across processes."""
        now = self.clock()
        marks = ", ".join("?" for _ in from_states)
        with self.transaction() as db:
            cursor = db.execute(
                f"UPDATE tasks SET state = ?, claim_owner = ?, claim_at = ?, updated_at = ? WHERE handle = ? AND "
                f"(state IN ({marks}) OR (state = ? AND (claim_at IS NULL OR claim_at < ?)))",
                (to_state, owner, now, now, handle, *from_states, to_state, now - stale_after),
            )
            if cursor.rowcount == 1:
                self._event(db, handle, to_state, None, f"claimed by {owner}")
                return True
        return False

    def _event(self, db: sqlite3.Connection, handle: str, state: str, status: str | None, detail: str) -> None:
        db.execute(
            "INSERT INTO events (handle, at, state, status, detail) VALUES (?, ?, ?, ?, ?)",
            (handle, self.clock(), state, status, detail or None),
        )

    def remember_upload(self, sha256: str, model: str, region: str, oss_url: str) -> None:
        """Keep an uploaded file's oss:// URL (temporary files live 48 h and are bound to the model)."""
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO uploads (sha256, model, region, oss_url, uploaded_at) VALUES (?, ?, ?, ?, ?)",
                (sha256, model, region, oss_url, self.clock()),
            )

    def known_upload(self, sha256: str, model: str, region: str, *, younger_than: float) -> str | None:
        """The oss:// URL of this file for this model, if uploaded less than `younger_than` seconds ago."""
        with self._lock:
            row = self._db.execute(
                "SELECT oss_url FROM uploads WHERE sha256 = ? AND model = ? AND region = ? AND uploaded_at > ?",
                (sha256, model, region, self.clock() - younger_than),
            ).fetchone()
        return str(row["oss_url"]) if row else None

    # -- chains (long videos and extensions: several paid jobs joined into one file)
    def save_chain(self, chain: ChainRecord) -> ChainRecord:
        """Insert or replace a chain record (one transaction)."""
        chain.updated_at = self.clock()
        values = {name: getattr(chain, name) for name in _CHAIN_COLUMNS}
        with self.transaction() as db:
            db.execute(
                f"INSERT OR REPLACE INTO chains ({', '.join(values)}) VALUES ({', '.join('?' for _ in values)})",
                tuple(values.values()),
            )
        return chain

    def get_chain(self, key: str) -> ChainRecord | None:
        """A chain by id, or the newest with this spec hash."""
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM chains WHERE id = ? OR spec_hash = ? ORDER BY created_at DESC LIMIT 1", (key, key)
            ).fetchone()
        return ChainRecord(**{name: row[name] for name in _CHAIN_COLUMNS}) if row else None

    def chains(self, *, states: tuple[str, ...]) -> list[ChainRecord]:
        marks = ", ".join("?" for _ in states)
        with self._lock:
            rows = self._db.execute(f"SELECT * FROM chains WHERE state IN ({marks})", states).fetchall()
        return [ChainRecord(**{name: row[name] for name in _CHAIN_COLUMNS}) for row in rows]

    def task_ids(self) -> set[str]:
        """Every DashScope task id the journal knows."""
        with self._lock:
            rows = self._db.execute("SELECT task_id FROM tasks WHERE task_id IS NOT NULL").fetchall()
        return {str(row["task_id"]) for row in rows}

    # -- reads
    def get(self, key: str, *, with_events: bool = False) -> TaskRecord | None:
        """A record by handle or by DashScope task id."""
        with self._lock:
            row = self._db.execute("SELECT * FROM tasks WHERE handle = ? OR task_id = ?", (key, key)).fetchone()
            if row is None:
                return None
            record = _record(row)
            if with_events:
                events = self._db.execute(
                    "SELECT at, state, status, detail FROM events WHERE handle = ? ORDER BY id", (record.handle,)
                ).fetchall()
                record.events = [dict(e) for e in events]
        return record

    def list(
        self,
        *,
        states: tuple[str, ...] | None = None,
        statuses: tuple[str, ...] | None = None,
        since: float | None = None,
        request_hash: str | None = None,
        limit: int = 50,
    ) -> list[TaskRecord]:
        """Records, newest first, filtered by journal state, API status, creation time and request hash."""
        clauses: list[str] = []
        params: list[Any] = []
        if states:
            clauses.append(f"state IN ({', '.join('?' for _ in states)})")
            params.extend(states)
        if statuses:
            clauses.append(f"status IN ({', '.join('?' for _ in statuses)})")
            params.extend(statuses)
        if since is not None:
            clauses.append("created_at >= ?")
            params.append(since)
        if request_hash is not None:
            clauses.append("request_hash = ?")
            params.append(request_hash)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._lock:
            rows = self._db.execute(
                f"SELECT * FROM tasks {where} ORDER BY created_at DESC LIMIT ?", (*params, limit)
            ).fetchall()
        return [_record(row) for row in rows]


def _record(row: Mapping[str, Any]) -> TaskRecord:
    return TaskRecord(**{name: row[name] for name in _COLUMNS})
