"""The journal keeps every job durably, logs every change, and lets exactly one claimant download."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from wan_mcp.journal import Journal, TaskRecord, new_handle


def record(**changes: object) -> TaskRecord:
    base = {
        "handle": new_handle(),
        "state": "submitting",
        "mode": "t2v",
        "model": "wan2.6-t2v",
        "model_name": "wan2.6-t2v",
        "region": "beijing",
        "request_json": json.dumps({"body": {"model": "wan2.6-t2v"}}),
        "request_hash": "h1",
        "estimate_json": "{}",
        "notes_json": "[]",
        "created_at": 1000.0,
        "updated_at": 1000.0,
    }
    base.update(changes)
    return TaskRecord(**base)  # type: ignore[arg-type]


def test_create_update_and_history(tmp_path: Path) -> None:
    """A record is found by handle and by task id; every state change is an event."""
    journal = Journal(tmp_path / "j.sqlite3", clock=lambda: 2000.0)
    created = journal.create(record(), detail="recorded before sending")
    journal.update(created.handle, task_id="task-1", state="submitted", status="PENDING", detail="accepted")
    journal.update(created.handle, status="RUNNING")
    found = journal.get("task-1", with_events=True)
    assert found is not None and found.handle == created.handle and found.updated_at == 2000.0
    assert [(e["state"], e["status"]) for e in found.events] == [
        ("submitting", None),
        ("submitted", "PENDING"),
        ("submitted", "RUNNING"),
    ]
    with pytest.raises(ValueError, match="not a journal column"):
        journal.update(created.handle, api_key="sk-x")
    with pytest.raises(KeyError):
        journal.update("wan-nope", state="failed")


def test_survives_reopening(tmp_path: Path) -> None:
    """What was written is there after the process reopens the file (WAL, synchronous=FULL)."""
    path = tmp_path / "j.sqlite3"
    first = Journal(path)
    handle = first.create(record()).handle
    first.close()
    second = Journal(path)
    assert second.get(handle) is not None
    mode = sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_list_filters_newest_first(tmp_path: Path) -> None:
    """list filters by state, status, time and request hash, newest first."""
    journal = Journal(tmp_path / "j.sqlite3")
    old = journal.create(record(created_at=100.0, state="delivered", status="SUCCEEDED"))
    new = journal.create(record(created_at=200.0, state="submitted", status="RUNNING", request_hash="h2"))
    assert [r.handle for r in journal.list()] == [new.handle, old.handle]
    assert [r.handle for r in journal.list(states=("delivered",))] == [old.handle]
    assert [r.handle for r in journal.list(statuses=("RUNNING",))] == [new.handle]
    assert [r.handle for r in journal.list(since=150.0)] == [new.handle]
    assert [r.handle for r in journal.list(request_hash="h2")] == [new.handle]


def test_only_one_claimant(tmp_path: Path) -> None:
    """Two journals on one file (two processes): exactly one claims the download; a stale claim can be taken."""
    now = [1000.0]
    a = Journal(tmp_path / "j.sqlite3", clock=lambda: now[0])
    b = Journal(tmp_path / "j.sqlite3", clock=lambda: now[0])
    handle = a.create(record(state="submitted", status="SUCCEEDED")).handle
    claims = [
        j.claim(handle, name, from_states=("submitted",), to_state="downloading", stale_after=60)
        for j, name in ((a, "a"), (b, "b"))
    ]
    assert claims == [True, False]
    now[0] += 61
    assert b.claim(handle, "b", from_states=("submitted",), to_state="downloading", stale_after=60)
    assert a.get(handle).claim_owner == "b"  # type: ignore[union-attr]
