"""What the agent reads back: lean tool results (their sizes on the wire, message first, each fact once), list_modes
in two sizes, and messages that say "usually" once."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from conftest import LiveEmulator, result_data
from wan_mcp import catalog
from wan_mcp.config import load_settings
from wan_mcp.journal.records import TaskRecord
from wan_mcp.polling import schedule_for
from wan_mcp.present import message, progress_text, task_view
from wan_mcp.requests import ARGUMENT_NAMES
from wan_mcp.server import build_server
from wan_mcp.states import TASK_STATUSES, JobState
from wan_mcp.views import ErrorView, EstimateView

pytestmark = pytest.mark.anyio

T2V = {"mode": "t2v", "prompt": "A red fox in the snow", "resolution": "720P", "duration": 3}
NAMES = frozenset(m.id for m in catalog.MODELS) | frozenset(
    ARGUMENT_NAMES
)  # identifiers: naming one twice repeats no fact


@pytest.fixture
async def client(emulator: LiveEmulator, tmp_path: Path) -> AsyncIterator[Client]:
    async with Client(build_server(load_settings(emulator.server_env(tmp_path)))) as c:
        yield c


def wire(result: Any, *, pictures: bool = True) -> int:
    """Bytes of a tool result as sent (compact JSON), optionally without its image blocks."""
    data = result.model_dump(mode="json", by_alias=True, exclude_none=True)
    if not pictures:
        data["content"] = [c for c in data["content"] if c["type"] != "image"]
    return len(json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode())


def leaves(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for item in value.values():
            yield from leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from leaves(item)
    else:
        yield value


def assert_lean(result: Any, references: frozenset[str] = frozenset()) -> dict[str, Any]:
    """One compact JSON text, message first, no null or empty value, no long value twice (links included) but
    `references` (ids that name something said elsewhere in the result)."""
    text = result.content[0].text
    data = result_data(result)
    assert text.startswith('{"message":"') and text == json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    values = list(leaves(data)) + [str(c.uri) for c in result.content if c.type == "resource_link"]
    assert all(v is not None and v not in ("", [], {}) for v in values)
    strings = Counter(v for v in values if isinstance(v, str) and len(v) >= 16 and v not in references)
    repeated = [v for v, n in strings.items() if n > 1]
    assert not repeated, repeated
    return data


async def delivered(client: Client) -> Any:
    submitted = result_data(await client.call_tool("submit_video", {**T2V, "wait_seconds": 30}))
    result = await client.call_tool("poll_task", {"task_id": submitted["task"]["task_id"], "wait_seconds": 30})
    while result_data(result)["state"] != "delivered":
        result = await client.call_tool("poll_task", {"task_id": submitted["task"]["task_id"], "wait_seconds": 30})
    return result


async def test_a_delivered_poll_is_lean(client: Client) -> None:
    """A delivered poll_task is at most 2,500 bytes besides its picture: the message, ids, the verified file, the
    cost and the probed video; not the expiring URL, usage, the prompt again, nor a file link beside local_path."""
    result = await delivered(client)
    assert wire(result, pictures=False) <= 2_500, wire(result, pictures=False)
    assert result.structured_content is None and [c.type for c in result.content] == ["text", "image", "resource_link"]
    data = assert_lean(result)
    assert data["message"].startswith("Done:") and Path(data["local_path"]).is_file() and len(data["sha256"]) == 64
    assert data["billed_seconds"] == 3 and data["video"]["width"] == 1280
    for gone in ("video_url", "usage", "prompt", "actual_prompt", "verified", "expected_wait_text"):
        assert gone not in data, gone


async def test_submit_and_list_results_are_lean(client: Client) -> None:
    """A dry run, a submit and a listing lead with their message and repeat nothing; a submit's job does not repeat
    the plan's message, mode or model, and once sent the request is left to the job's record."""
    dry = await client.call_tool("submit_video", {**T2V, "dry_run": True})
    plan = assert_lean(dry)
    assert plan["request"]["body"]["input"]["prompt"] == T2V["prompt"] and "wait_text" not in plan["estimate"]
    submitted = await client.call_tool("submit_video", dict(T2V))
    job = assert_lean(submitted)
    assert "request" not in job and not {"message", "mode", "model", "prompt"} & set(job["task"])
    listing = assert_lean(await client.call_tool("list_tasks", {}))
    assert listing["message"] == "1 job, newest first." and listing["tasks"][0]["prompt"] == T2V["prompt"]


async def test_list_modes_in_two_sizes(client: Client) -> None:
    """Without a model, every mode of a region and each model in one line, ≤ 8,000 bytes on the wire in every
    region; with a model, its full limits and their sources, ≤ 4,000 bytes for every model."""
    for region in catalog.REGIONS:
        result = await client.call_tool("list_modes", {"region": region})
        assert wire(result) <= 8_000, (region, wire(result))
        overview = assert_lean(result, references=NAMES)  # a mode names its models, each described once
        offered = {m.id for m in catalog.MODELS if m.kind == "generation" and region in m.regions}
        assert set(overview["models"]) == offered
        assert all(s["default_model"] in s["models"] for s in overview["modes"] if "default_model" in s)
    for model in (m for m in catalog.MODELS if m.kind == "generation"):
        region = next(iter(model.regions))
        result = await client.call_tool("list_modes", {"model": model.id, "region": region})
        assert wire(result) <= 4_000, (model.id, wire(result))
        limits = assert_lean(result, references=NAMES)  # VACE functions share argument names
        assert (
            limits["id"] == model.id and limits["sources"]["typical_wait"] and set(limits["modes"]) == set(model.modes)
        )


def record(state: JobState, status: str | None) -> TaskRecord:
    estimate = EstimateView(
        sound=True, billed_seconds=5, wait_low_seconds=46, wait_high_seconds=232, wait_text="usually 46 s–3.9 min"
    )
    error = ErrorView(code="X", message="it broke", retryable=False, charged=False, fix="try again")
    return TaskRecord(
        handle="wan-1",
        state=state,
        mode="t2v",
        model="wan2.6-t2v",
        model_name="wan2.6-t2v",
        region="beijing",
        request={},
        request_hash="h",
        estimate=estimate,
        notes=[],
        created_at=1000.0,
        updated_at=1000.0,
        task_id="t-1",
        status=status,  # type: ignore[arg-type]
        submitted_at=1000.0,
        local_path="/videos/a.mp4",
        size_bytes=1_000_000,
        error=error,
    )


@pytest.mark.parametrize("state", list(JobState))
@pytest.mark.parametrize("status", [None, *TASK_STATUSES])
def test_no_message_says_usually_twice(state: JobState, status: str | None) -> None:
    """The message, the progress line and the view of a job in any state say "usually" at most once."""
    job = record(state, status)
    schedule = schedule_for(catalog.find_model("wan2.6-t2v"), 5, "720P")  # type: ignore[arg-type]
    for now in (1010.0, 1100.0, 2000.0):  # queued early, in the usual window, far past it
        for text in (message(job, now - 1000.0), progress_text(job, now), task_view(job, schedule, now).message):
            assert text.count("usually") <= 1, text
