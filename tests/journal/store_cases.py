"""Records for the store suite: a job, a quote and a chain, each with some fields changed."""

from __future__ import annotations

from typing import Any

from wan_mcp.journal import ChainRecord, ChainSegment, TaskRecord, new_handle
from wan_mcp.states import ChainState, JobState
from wan_mcp.views import EstimateView


def estimate(cost: float | None = 1.0, currency: str | None = "CNY") -> EstimateView:
    return EstimateView(sound=False, cost=cost, currency=currency, wait_low_seconds=60, wait_high_seconds=300,
                        wait_text="1–5 minutes")  # fmt: skip


def record(**changes: Any) -> TaskRecord:
    """A new job (submitting, request hash h1, created at 1000)."""
    fields: dict[str, Any] = {
        "handle": new_handle(),
        "state": JobState.SUBMITTING,
        "mode": "t2v",
        "model": "wan2.6-t2v",
        "model_name": "wan2.6-t2v",
        "region": "beijing",
        "request": {"method": "POST", "path": "/services/aigc/video-generation/video-synthesis", "body": {}},
        "request_hash": "h1",
        "estimate": estimate(),
        "notes": [],
        "created_at": 1000.0,
        "updated_at": 1000.0,
    }
    fields.update(changes)
    return TaskRecord(**fields)


def chain(**changes: Any) -> ChainRecord:
    """A running long video of two shots (chain-1, spec hash spec-1)."""
    fields: dict[str, Any] = {
        "id": "chain-1",
        "spec_hash": "spec-1",
        "kind": "long",
        "spec": {"shots": [{"prompt": "a fox"}, {"prompt": "a hound"}]},
        "state": ChainState.RUNNING,
        "segments": [ChainSegment(0, "wan-aaaa"), ChainSegment(1)],
        "created_at": 1000.0,
        "updated_at": 1000.0,
    }
    fields.update(changes)
    return ChainRecord(**fields)


def reserving(name: str, tenant: str, *costs: float) -> ChainRecord:
    """A running chain (id and spec hash `name`) whose segments, none sent yet, are quoted `costs` (CNY): it
    reserves them all."""
    segments = [{"index": i, "cost": cost} for i, cost in enumerate(costs)]
    spec = {"shots": [], "totals": {"currency": "CNY", "segments": segments}}
    return chain(
        id=name, spec_hash=name, tenant=tenant, spec=spec, segments=[ChainSegment(i) for i in range(len(costs))]
    )
