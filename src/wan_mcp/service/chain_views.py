"""What a chain of jobs looks like to the agent: its plan and price (a dry run: of a chain already started, only
what calling again would newly pay for), and its progress."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wan_mcp.journal.records import ChainRecord
from wan_mcp.journal.store import Store
from wan_mcp.present import iso_time
from wan_mcp.service.money import chain_quote
from wan_mcp.states import PLANNED, ChainState, JobState
from wan_mcp.views import ErrorView, TaskView

if TYPE_CHECKING:
    from wan_mcp.service.chain_specs import ChainSpec


def dry_view(
    spec: ChainSpec, totals: dict[str, Any], chain: ChainRecord | None, due: list[int], now: float
) -> TaskView:
    """A chain's plan and the price of its `due` segments (every one, for a chain not started yet)."""
    quote = chain_quote(totals, due)
    segments = totals["segments"]
    if chain is not None:
        segments = [dict(s, kept=s["index"] not in due) for s in segments]
    seconds = sum(s["billed_seconds"] or 0 for s in totals["segments"] if s["index"] in due)
    price = f"about {quote.cost:.2f} {quote.currency}" if quote.cost is not None else "a price not known for every part"
    if chain is None:
        message = (
            f"Dry run: nothing was sent. {len(spec.shots)} segment(s), {seconds:g} s billed, {price}; "
            f"{totals['wait_text']} in all (one after another)."
        )
    elif not due:
        message = f"Dry run: nothing was sent. This chain exists ({chain.id}, {chain.state.value}): nothing new to pay."
    else:
        message = (
            f"Dry run: nothing was sent. {chain.id} failed; calling again re-makes {len(due)} of {len(segments)} "
            f"segment(s) ({seconds:g} s billed, {price}) and keeps the others."
        )
    return TaskView(
        handle=chain.id if chain else "(dry run)",
        state=PLANNED,
        mode=spec.kind,
        model=", ".join(sorted({s["model"] for s in segments})),
        prompt=spec.shots[0].prompt,
        created_at=iso_time(chain.created_at if chain else now) or "",
        expected_wait_text=totals["wait_text"],
        billed_seconds=seconds,
        cost=quote.cost,
        currency=totals["currency"],
        segments=segments,
        message=message,
    )


async def chain_view(store: Store, chain: ChainRecord, spec: ChainSpec) -> TaskView:
    """A chain now: each segment's job and state, the joined file when done, the error when stopped."""
    totals = chain.spec.get("totals", {})
    segments = []
    for segment, shot in zip(chain.segments, spec.shots, strict=True):
        record = await store.get_task(segment.handle) if segment.handle else None
        segments.append(
            {
                "index": segment.index,
                "prompt": shot.prompt,
                "duration": shot.duration,
                "task_id": record.key if record else None,
                "state": record.state.value if record else "waiting",
                "local_path": record.local_path if record else None,
            }
        )
    return TaskView(
        handle=chain.id,
        status={ChainState.DELIVERED: "SUCCEEDED", ChainState.FAILED: "FAILED"}.get(chain.state, "RUNNING"),
        state=chain.state.value,
        mode=chain.kind,
        model=", ".join(sorted({s["model"] for s in totals.get("segments", [])})) or "",
        prompt=spec.shots[0].prompt,
        created_at=iso_time(chain.created_at) or "",
        expected_wait_text=totals.get("wait_text"),
        billed_seconds=totals.get("billed_seconds"),
        local_path=chain.output_path,
        size_bytes=chain.size_bytes,
        sha256=chain.sha256,
        error=chain.error,
        segments=segments,
        message=_chain_message(chain, segments, totals),
    )


def _chain_message(chain: ChainRecord, segments: list[dict[str, Any]], totals: dict[str, Any]) -> str:
    done = sum(1 for s in segments if s["state"] == JobState.DELIVERED.value)
    error: ErrorView | None = chain.error
    match chain.state:
        case ChainState.DELIVERED:
            return f"Done: the joined video is at {chain.output_path} ({(chain.size_bytes or 0) / 1e6:.1f} MB)."
        case ChainState.FAILED:
            return f"Stopped: {error.message} {error.fix}." if error else "Stopped."
        case ChainState.RUNNING:
            return (
                f"{done} of {len(segments)} segments done; {totals.get('wait_text', '')} in all. Poll {chain.id} "
                "again (the chain goes on by itself)."
            )
