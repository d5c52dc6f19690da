"""The person confirms the price: real MCP clients with and without elicitation, in both protocol eras, in memory
and over a real stdio subprocess; a decline sends nothing, a call over a budget is never asked about."""

from __future__ import annotations

import re
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters
from mcp.types import ElicitRequestParams, ElicitResult

import mediafiles
from conftest import LiveEmulator, result_data
from wan_mcp.config import load_settings
from wan_mcp.server import build_server
from wan_mcp.server.confirm import PAID_TOOLS
from wan_mcp.server.toolset import tool_specs

pytestmark = pytest.mark.anyio
ERAS = ["auto", "legacy"]  # 2026-07-28 (the question rides an input_required round) and the 2025-11-25 handshake
T2V = {"mode": "t2v", "prompt": "A red fox in the snow", "resolution": "720P", "duration": 3}
SHOTS = [{"prompt": "a fox wakes up", "duration": 2}, {"prompt": "the fox runs", "duration": 3}]


class Person:
    """An elicitation callback that answers every question the same way and remembers what it was asked."""

    def __init__(self, action: str = "accept") -> None:
        self.action = action
        self.asked: list[str] = []

    async def __call__(self, _: Any, params: ElicitRequestParams) -> ElicitResult:
        self.asked.append(params.message)
        content = {"confirm": True} if self.action == "accept" else None
        return ElicitResult(action=self.action, content=content)  # type: ignore[arg-type]


@asynccontextmanager
async def connect(
    emulator: LiveEmulator, tmp_path: Path, era: str, person: Person | None, **env: str
) -> AsyncIterator[Client]:
    """An in-memory client of a server on the emulator (with `env` added), answering questions as `person` does."""
    server = build_server(load_settings(emulator.server_env(tmp_path, **env)))
    async with Client(server, mode=era, elicitation_callback=person) as client:  # type: ignore[arg-type]
        yield client


WAIT = re.compile(r"It would take (.+?)\.(?: |$)")  # the wait as the dry run's message says it


def structured(result: Any) -> dict[str, Any]:
    return result_data(result)


def test_every_paid_tool_is_gated() -> None:
    """The tools annotated as paid (open world, not read-only, not idempotent: the spec's defaults where a hint is
    left out) are exactly the ones that ask."""
    paid = {
        spec.fn.__name__
        for spec in tool_specs()
        if spec.annotations.open_world_hint is not False and not spec.annotations.read_only_hint
        if not spec.annotations.idempotent_hint
    }
    assert paid == PAID_TOOLS


@pytest.mark.parametrize("era", ERAS)
async def test_accept_sends_one_job_after_asking_the_price(emulator: LiveEmulator, tmp_path: Path, era: str) -> None:
    """The person is asked the price, wait and model in one sentence; their yes sends exactly one job."""
    person = Person("accept")
    async with connect(emulator, tmp_path, era, person) as client:
        planned = structured(await client.call_tool("submit_video", {**T2V, "dry_run": True}))
        dry = {**planned["estimate"], "wait_text": WAIT.search(planned["message"]).group(1)}  # type: ignore[union-attr]
        done = structured(await client.call_tool("submit_video", T2V))
        tools = (await client.list_tools()).tools
    assert person.asked == [
        f"Make a 3 s 720P video with wan2.6-t2v for ≈ {dry['cost']:.2f} CNY (estimate), {dry['wait_text']}?"
    ]
    assert done["task"]["task_id"] and "No confirmation" not in done["message"]
    assert len(emulator.requests("submit")) == 1
    submit = next(t for t in tools if t.name == "submit_video")
    assert not {"confirm_gate", "confirm_answer"} & set(submit.input_schema["properties"])


@pytest.mark.parametrize("era", ERAS)
@pytest.mark.parametrize("action", ["decline", "cancel"])
async def test_decline_sends_nothing_and_is_not_an_error(
    emulator: LiveEmulator, tmp_path: Path, era: str, action: str
) -> None:
    """A no (or a dismissed question) is a clean result saying nothing was sent or spent: no job, no record."""
    person = Person(action)
    async with connect(emulator, tmp_path, era, person) as client:
        answer = structured(await client.call_tool("submit_video", T2V))
        listed = structured(await client.call_tool("list_tasks", {}))
    assert len(person.asked) == 1 and not emulator.requests("submit")
    assert "task" not in answer and "Nothing was sent or spent" in answer["message"]
    assert answer["estimate"]["cost"] == pytest.approx(1.8)
    assert listed.get("tasks", []) == []


@pytest.mark.parametrize("era", ERAS)
async def test_without_elicitation_the_job_goes_and_says_no_one_was_asked(
    emulator: LiveEmulator, tmp_path: Path, era: str
) -> None:
    """A client that cannot ask keeps working (its tool permission is the gate); the result says so."""
    async with connect(emulator, tmp_path, era, None) as client:
        done = structured(await client.call_tool("submit_video", T2V))
    assert done["task"]["task_id"] and len(emulator.requests("submit")) == 1
    assert "No confirmation was asked: this client cannot ask the person" in done["message"]


@pytest.mark.parametrize("era", ERAS)
async def test_over_budget_is_refused_before_question_upload_or_send(
    emulator: LiveEmulator, tmp_path: Path, era: str
) -> None:
    """A call over the per-job limit, or of unknown price under a budget, is refused with the limit and the fix;
    the person is never asked, the local image never uploaded, nothing sent."""
    image = mediafiles.write(tmp_path / "cat.png", mediafiles.png(1280, 720))
    person = Person("accept")
    async with connect(emulator, tmp_path, era, person, WAN_MCP_MAX_COST_PER_JOB="2") as client:
        priced = await client.call_tool(
            "submit_video", {"mode": "i2v", "model": "wan2.6-i2v", "image": str(image), "duration": 5}
        )
        unpriced = await client.call_tool("submit_video", {"mode": "i2v", "image": str(image), "duration": 5})
    assert priced.is_error and unpriced.is_error
    assert "over_max_cost_per_job" in priced.content[0].text and "2.00 CNY per job" in priced.content[0].text
    assert "WAN_MCP_MAX_COST_PER_JOB" in priced.content[0].text and "Fix:" in priced.content[0].text
    assert "price_unknown_under_budget" in unpriced.content[0].text
    assert person.asked == [] and not emulator.requests("upload") and not emulator.requests("submit")


@pytest.mark.parametrize("era", ERAS)
async def test_policy_off_and_threshold(emulator: LiveEmulator, tmp_path: Path, era: str) -> None:
    """WAN_MCP_CONFIRM=over:<amount> asks only above the amount (in the region's currency); off never asks."""
    person = Person("accept")
    async with connect(emulator, tmp_path / "over", era, person, WAN_MCP_CONFIRM="over:2") as client:
        under = structured(await client.call_tool("submit_video", T2V))  # 1.80 CNY
        above = structured(await client.call_tool("submit_video", {**T2V, "duration": 5}))  # 3.00 CNY
    assert len(person.asked) == 1 and "3.00 CNY" in person.asked[0]
    assert "within WAN_MCP_CONFIRM=over:2" in under["message"] and "No confirmation" not in above["message"]
    async with connect(emulator, tmp_path / "off", era, person, WAN_MCP_CONFIRM="off") as client:
        off = structured(await client.call_tool("submit_video", {**T2V, "prompt": "an owl"}))
    assert len(person.asked) == 1 and "WAN_MCP_CONFIRM=off" in off["message"]
    assert len(emulator.requests("submit")) == 3


@pytest.mark.parametrize("era", ERAS)
async def test_no_question_for_dry_runs_duplicates_or_unknown_prices_without_budget(
    emulator: LiveEmulator, tmp_path: Path, era: str
) -> None:
    """A dry run asks nothing; an identical job already made is returned without asking again; a model with no
    known price is asked about as such."""
    person = Person("accept")
    async with connect(emulator, tmp_path, era, person) as client:
        structured(await client.call_tool("submit_video", {**T2V, "dry_run": True}))
        assert person.asked == []
        first = structured(await client.call_tool("submit_video", T2V))
        again = structured(await client.call_tool("submit_video", T2V))
        structured(await client.call_tool("submit_video", {**T2V, "model": "wan2.7-t2v"}))
    assert again["task"]["handle"] == first["task"]["handle"] and "Not submitted again" in again["message"]
    assert len(person.asked) == 2 and "a price not known here" in person.asked[1]
    assert len(emulator.requests("submit")) == 2


@pytest.mark.parametrize("era", ERAS)
async def test_long_video_asks_once_for_the_whole_chain(emulator: LiveEmulator, tmp_path: Path, era: str) -> None:
    """make_long_video asks once, with the chain's total; a no sends no segment, a yes starts the chain."""
    shots = {"shots": SHOTS, "i2v_model": "wan2.6-i2v"}
    person = Person("decline")
    async with connect(emulator, tmp_path, era, person) as client:
        declined = structured(await client.call_tool("make_long_video", shots))
        assert declined["state"] == "declined" and not emulator.requests("submit")
        person.action = "accept"
        started = structured(await client.call_tool("make_long_video", shots))
    asked = (
        r"Make a 5 s video of 2 shots with wan2\.6-i2v, wan2\.6-t2v for ≈ 3\.00 CNY \(estimate\), usually .+ in all\?"
    )
    assert len(person.asked) == 2 and person.asked[0] == person.asked[1] and re.fullmatch(asked, person.asked[0])
    assert started["state"] in ("running", "delivered") and len(emulator.requests("submit")) >= 1


@pytest.mark.parametrize("era", ERAS)
async def test_over_stdio(emulator: LiveEmulator, tmp_path: Path, era: str) -> None:
    """A real `python -m wan_mcp` on stdio: yes → one job, no → none, over the limit → refused unasked and nothing
    uploaded; a client without elicitation is told no one was asked."""
    image = mediafiles.write(tmp_path / "cat.png", mediafiles.png(1280, 720))
    env = emulator.server_env(tmp_path, inherit=True, WAN_MCP_MAX_COST_PER_JOB="2")
    params = StdioServerParameters(command=sys.executable, args=["-m", "wan_mcp"], env=env)
    person = Person("accept")
    async with Client(params, mode=era, elicitation_callback=person) as client:  # type: ignore[arg-type]
        accepted = structured(await client.call_tool("submit_video", T2V))
        person.action = "decline"
        declined = structured(await client.call_tool("submit_video", {**T2V, "prompt": "an owl"}))
        over = await client.call_tool(
            "submit_video", {"mode": "i2v", "model": "wan2.6-i2v", "image": str(image), "duration": 5}
        )
    assert accepted["task"]["task_id"] and "Nothing was sent or spent" in declined["message"]
    assert over.is_error and "over_max_cost_per_job" in over.content[0].text
    assert len(person.asked) == 2 and len(emulator.requests("submit")) == 1 and not emulator.requests("upload")
    async with Client(params, mode=era) as plain:
        unasked = structured(await plain.call_tool("submit_video", {**T2V, "prompt": "a hare"}))
    assert "No confirmation was asked" in unasked["message"] and len(emulator.requests("submit")) == 2
