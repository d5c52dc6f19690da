"""The SQLite journal's SQL: the schema, the columns later versions added, and the migration that applies them.

The columns are the codec's (`codec.py`), so both stores read and write the same rows. `PRAGMA user_version` is the
schema version; `migrate` runs on every open inside one BEGIN IMMEDIATE transaction, so processes opening one file
together apply it once.
"""

from __future__ import annotations

import sqlite3

SCHEMA_VERSION = 3
SCHEMA = """
CREATE TABLE IF NOT EXISTS tasks (
    handle TEXT PRIMARY KEY, task_id TEXT UNIQUE, state TEXT NOT NULL, status TEXT, mode TEXT NOT NULL,
    model TEXT NOT NULL, model_name TEXT NOT NULL, region TEXT NOT NULL, tenant TEXT NOT NULL DEFAULT '',
    function TEXT, prompt TEXT, request_json TEXT NOT NULL, request_hash TEXT NOT NULL, estimate_json TEXT NOT NULL,
    currency TEXT, quoted_cost REAL, notes_json TEXT NOT NULL, created_at REAL NOT NULL, submitted_at REAL,
    updated_at REAL NOT NULL, finished_at REAL, request_id TEXT, video_url TEXT, url_expires_at REAL,
    orig_prompt TEXT, actual_prompt TEXT, usage_json TEXT, billed_seconds REAL, cost REAL, local_path TEXT,
    size_bytes INTEGER, sha256 TEXT, verified TEXT, error_json TEXT, lease_owner TEXT, lease_until REAL
);
CREATE INDEX IF NOT EXISTS tasks_state ON tasks(state);
CREATE INDEX IF NOT EXISTS tasks_created ON tasks(created_at);
CREATE INDEX IF NOT EXISTS tasks_hash ON tasks(request_hash);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, handle TEXT NOT NULL REFERENCES tasks(handle), at REAL NOT NULL,
    state TEXT NOT NULL, status TEXT, detail TEXT
);
CREATE INDEX IF NOT EXISTS events_handle ON events(handle);
CREATE TABLE IF NOT EXISTS uploads (
    sha256 TEXT NOT NULL, model TEXT NOT NULL, region TEXT NOT NULL, oss_url TEXT NOT NULL,
    uploaded_at REAL NOT NULL, PRIMARY KEY (sha256, model, region)
);
CREATE TABLE IF NOT EXISTS chains (
    id TEXT PRIMARY KEY, spec_hash TEXT NOT NULL, kind TEXT NOT NULL, spec_json TEXT NOT NULL, state TEXT NOT NULL,
    segments_json TEXT NOT NULL, tenant TEXT NOT NULL DEFAULT '', output_path TEXT, size_bytes INTEGER, sha256 TEXT,
    error_json TEXT, created_at REAL NOT NULL, updated_at REAL NOT NULL, lease_owner TEXT, lease_until REAL
);
CREATE INDEX IF NOT EXISTS chains_hash ON chains(spec_hash);
CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL);
"""
# Columns added since the first release (version 1): version 2 added all but the chains' lease, which version 3
# added. The first release's claim_owner/claim_at are left unused.
ADDED_COLUMNS = {
    "tasks": (
        ("tenant", "TEXT NOT NULL DEFAULT ''"),
        ("currency", "TEXT"),
        ("quoted_cost", "REAL"),
        ("billed_seconds", "REAL"),
        ("cost", "REAL"),
        ("verified", "TEXT"),
        ("lease_owner", "TEXT"),
        ("lease_until", "REAL"),
    ),
    "chains": (("tenant", "TEXT NOT NULL DEFAULT ''"), ("lease_owner", "TEXT"), ("lease_until", "REAL")),
}


def migrate(db: sqlite3.Connection) -> None:
    """Create the schema, or bring an older journal's up to SCHEMA_VERSION (adding the columns it lacks)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version < SCHEMA_VERSION:
            for table, columns in ADDED_COLUMNS.items():
                present = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
                for name, kind in columns:
                    if present and name not in present:
                        db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
