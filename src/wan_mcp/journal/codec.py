"""How typed records become table rows and back (shared by every store; the only place that knows the columns)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from wan_mcp.journal.records import CHAIN_FIELDS, TASK_FIELDS, ChainRecord, ChainSegment, TaskRecord
from wan_mcp.states import ChainState, JobState, is_final, task_status
from wan_mcp.views import ErrorView, EstimateView

# field → column, where they differ (the rest are stored as they are)
_JSON_FIELDS = {"request": "request_json", "notes": "notes_json", "usage": "usage_json"}
TASK_COLUMNS: tuple[str, ...] = (
    *(_JSON_FIELDS.get(name, name) for name in TASK_FIELDS if name not in ("estimate", "error")),
    "estimate_json",
    "currency",
    "quoted_cost",
    "error_json",
)
CHAIN_COLUMNS: tuple[str, ...] = tuple(
    {"spec": "spec_json", "segments": "segments_json", "error": "error_json"}.get(name, name) for name in CHAIN_FIELDS
)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def task_values(changes: Mapping[str, Any]) -> dict[str, Any]:
    """The column values of some fields of a task record."""
    values: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in TASK_FIELDS or (name == "handle" and len(changes) == 1):
            raise ValueError(f"not a journal field: {name}")
        if name in _JSON_FIELDS:
            values[_JSON_FIELDS[name]] = None if value is None else _dumps(value)
        elif name == "estimate":
            estimate: EstimateView = value
            values["estimate_json"] = estimate.model_dump_json()
            values["currency"] = estimate.currency
            values["quoted_cost"] = estimate.cost
        elif name == "error":
            values["error_json"] = None if value is None else value.model_dump_json()
        elif name == "state":
            values["state"] = JobState(value).value
            if is_final(JobState(value)) and "lease_owner" not in changes:
                values["lease_owner"] = values["lease_until"] = None  # a finished job is followed by nobody
        else:
            values[name] = value
    return values


def task_row(record: TaskRecord) -> dict[str, Any]:
    """Every column of a task record."""
    return task_values({name: getattr(record, name) for name in TASK_FIELDS})


def task_record(row: Mapping[str, Any]) -> TaskRecord:
    """A task record from a row (any mapping of column → value)."""
    data: dict[str, Any] = {}
    for name in TASK_FIELDS:
        if name in _JSON_FIELDS:
            raw = row[_JSON_FIELDS[name]]
            data[name] = json.loads(raw) if raw else ({} if name == "request" else [] if name == "notes" else None)
        elif name == "estimate":
            data[name] = EstimateView.model_validate_json(row["estimate_json"])
        elif name == "error":
            data[name] = ErrorView.model_validate_json(row["error_json"]) if row["error_json"] else None
        elif name == "state":
            data[name] = JobState(row["state"])
        elif name == "status":
            data[name] = task_status(row["status"]) if row["status"] else None
        else:
            data[name] = row[name]
    return TaskRecord(**data)


def chain_row(chain: ChainRecord) -> dict[str, Any]:
    """Every column of a chain record."""
    return {
        "id": chain.id,
        "spec_hash": chain.spec_hash,
        "kind": chain.kind,
        "spec_json": _dumps(chain.spec),
        "state": chain.state.value,
        "segments_json": _dumps([{"index": s.index, "handle": s.handle} for s in chain.segments]),
        "created_at": chain.created_at,
        "updated_at": chain.updated_at,
        "tenant": chain.tenant,
        "output_path": chain.output_path,
        "size_bytes": chain.size_bytes,
        "sha256": chain.sha256,
        "error_json": chain.error.model_dump_json() if chain.error else None,
    }


def chain_record(row: Mapping[str, Any]) -> ChainRecord:
    """A chain record from a row."""
    return ChainRecord(
        id=row["id"],
        spec_hash=row["spec_hash"],
        kind=row["kind"],
        spec=json.loads(row["spec_json"]),
        state=ChainState(row["state"]),
        segments=[ChainSegment(int(s["index"]), s.get("handle")) for s in json.loads(row["segments_json"])],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        tenant=row["tenant"] or "",
        output_path=row["output_path"],
        size_bytes=row["size_bytes"],
        sha256=row["sha256"],
        error=ErrorView.model_validate_json(row["error_json"]) if row["error_json"] else None,
    )
