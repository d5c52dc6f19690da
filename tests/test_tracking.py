"""One watcher per job, measured at the emulator: what DashScope was asked, and what the waiting calls saw.

These count requests (and space them in emulated time); none asserts how long anything took. The `fail_after` guards
only turn a call that would hold to its 50 s deadline into a failure instead of a late pass.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest

from conftest import LiveEmulator
from wan_mcp.config import load_settings
from wan_mcp.polling import ATTENTIVE_EVERY
from wan_mcp.service import WanService
from wan_mcp.service.tracking import MIN_GAP
from wan_mcp.views import TaskView

pytestmark = pytest.mark.anyio

T2V = {"mode": "t2v", "prompt": "A red fox in the snow", "resolution": "720P", "duration": 3}
GUARD = 40.0  # seconds: far above every job here, below the 50 s a waiting call may hold


def queries(live: LiveEmulator, task_id: str) -> list[dict[str, Any]]:
    return [e for e in live.requests("query") if e.get("task_id") == task_id]


async def waiting_polls(service: WanService, key: str, calls: int) -> list[TaskView]:
    """`calls` poll_task calls waiting (up to 50 s each) on one job at once."""
    seen: list[TaskView] = []

    async def wait() -> None:
        seen.append(await service.poll(key, wait_seconds=50))

    with anyio.fail_after(GUARD):
        async with anyio.create_task_group() as group:
            for _ in range(calls):
                group.start_soon(wait)
    return seen


async def test_a_waiting_poll_returns_when_the_job_is_final(
    make_emulator: Callable[..., LiveEmulator], tmp_path: Path
) -> None:
    """Calls waiting on a job return the delivered job: DashScope was told SUCCEEDED once, asked nothing after
    it, and the video was fetched once, whoever saw it first."""
    live = make_emulator(speed=10)
    live.faults(processing_seconds=30)
    async with WanService.open(load_settings(live.server_env(tmp_path))) as service:
        submitted = await service.submit(dict(T2V))
        assert submitted.task is not None and submitted.task.task_id
        task_id = submitted.task.task_id
        seen = await waiting_polls(service, task_id, calls=2)
    assert [v.state for v in seen] == ["delivered", "delivered"]
    asked = queries(live, task_id)
    answers = [e["task_status"] for e in asked]
    assert answers.count("SUCCEEDED") == 1 and answers[-1] == "SUCCEEDED", answers
    downloads = live.requests("download")
    assert len(downloads) == 1 and all(e["mono"] < downloads[0]["mono"] for e in asked)


async def test_no_two_status_queries_within_a_second(
    make_emulator: Callable[..., LiveEmulator], tmp_path: Path
) -> None:
    """Three calls waiting on a job and one asking again and again: DashScope hears about the task at most once
    per second of emulated time (arrival times at the emulator, which stamps a few real ms after the send)."""
    speed = 4.0
    live = make_emulator(speed=speed)
    live.faults(processing_seconds=22)  # four or more checks on the attentive grid
    async with WanService.open(load_settings(live.server_env(tmp_path))) as service:
        submitted = await service.submit(dict(T2V))
        assert submitted.task is not None and submitted.task.task_id
        task_id = submitted.task.task_id

        async def impatient() -> None:
            while (await service.poll(task_id)).state != "delivered":
                await anyio.sleep(0.02)  # 0.08 s of emulated time: far more often than once a second

        with anyio.fail_after(GUARD):
            async with anyio.create_task_group() as group:
                group.start_soon(impatient)
                group.start_soon(waiting_polls, service, task_id, 3)
    arrivals = [e["mono"] * speed for e in queries(live, task_id)]
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    assert len(arrivals) >= 4, arrivals
    assert min(gaps) >= 0.9 * MIN_GAP, gaps  # 0.1 s of emulated time = 25 ms of loopback jitter


async def test_the_attentive_grid_starts_at_the_submits_answer(
    make_emulator: Callable[..., LiveEmulator], tmp_path: Path
) -> None:
    """A submit answered late (7 s of emulated time after it reached DashScope), an agent waiting from then on: the
    first status query comes a full step after the answer, where a poller started by that answer asks first, and
    not at the next step counted from the send (3 s after the answer)."""
    speed, stall = 10.0, 0.7  # the stall is real seconds: 7 s of emulated time
    live = make_emulator(speed=speed)
    live.faults(processing_seconds=20, stall_submits=[{"count": 1, "seconds": stall}])
    async with WanService.open(load_settings(live.server_env(tmp_path))) as service:
        submitted = await service.submit(dict(T2V))
        assert submitted.task is not None and submitted.task.task_id
        task_id = submitted.task.task_id
        await waiting_polls(service, task_id, calls=1)
    [sent] = live.requests("submit")
    first = queries(live, task_id)[0]
    assert (first["mono"] - sent["mono"] - stall) * speed >= 0.9 * ATTENTIVE_EVERY, (first["mono"], sent["mono"])


async def test_a_lost_submit_is_reconciled_once(make_emulator: Callable[..., LiveEmulator], tmp_path: Path) -> None:
    """A submit whose answer was lost, with three calls waiting on it: the task list is read once, the task found
    there is followed, and every call returns it delivered; nothing is sent twice."""
    live = make_emulator(speed=20)
    live.faults(drop_submits=1)
    async with WanService.open(load_settings(live.server_env(tmp_path))) as service:
        submitted = await service.submit(dict(T2V))
        assert submitted.task is not None and submitted.task.state == "unconfirmed"
        seen = await waiting_polls(service, submitted.task.handle, calls=3)
    created = live.admin("state")["tasks"]
    assert len(created) == 1 and len(live.requests("submit")) == 1
    assert {(v.state, v.task_id) for v in seen} == {("delivered", created[0]["task_id"])}
    assert len(live.requests("list")) == 1


async def test_a_job_adopted_while_its_submit_is_sending_is_still_followed(
    make_emulator: Callable[..., LiveEmulator], tmp_path: Path
) -> None:
    """A job the adopt loop picks up while its own submit is still waiting for DashScope's answer is followed from
    the accepted record: the submit returns it with its task id, and it ends delivered without any reconciliation."""
    live = make_emulator(speed=100)
    live.faults(stall_submits=[{"count": 1, "seconds": 1}])
    async with WanService.open(load_settings(live.server_env(tmp_path)), adopt=False) as service:
        submitted: list[Any] = []

        async def submit() -> None:
            submitted.append(await service.submit(dict(T2V)))

        with anyio.fail_after(GUARD):
            async with anyio.create_task_group() as group:
                group.start_soon(submit)
                while not live.requests("submit"):  # the task exists at DashScope; its answer is held back
                    await anyio.sleep(0.01)
                await service.tracker.adopt()
        task = submitted[0].task
        assert task.state == "submitted" and task.task_id, task
        [done] = await waiting_polls(service, task.handle, calls=1)
    assert done.state == "delivered" and not live.requests("list")


async def test_an_agent_polling_again_and_again_costs_no_more_than_a_fixed_poller(
    make_emulator: Callable[..., LiveEmulator], tmp_path: Path
) -> None:
    """An agent whose calls each hold a little (a client with short patience), one after another until delivered:
    the job is asked about on the fixed poller's grid while it waits — a call arriving adds no query of its own, and
    no step is asked twice — so it costs no more status queries than a loop asking every ATTENTIVE_EVERY seconds."""
    speed, seconds = 10.0, 60.0
    live = make_emulator(speed=speed)
    live.faults(processing_seconds=seconds)
    async with WanService.open(load_settings(live.server_env(tmp_path))) as service:
        submitted = await service.submit(dict(T2V))
        assert submitted.task is not None and submitted.task.task_id
        task_id, calls = submitted.task.task_id, 0
        with anyio.fail_after(GUARD):
            while (await service.poll(task_id, wait_seconds=0.35)).state != "delivered":  # 3.5 s of task time each
                calls += 1
    asked = queries(live, task_id)
    fixed = math.ceil(seconds / ATTENTIVE_EVERY) + 1  # a fixed poller's checks up to the one that sees the end
    assert calls >= 10, calls  # the agent really came back many times
    assert len(asked) <= fixed, [(round(e["mono"] * speed, 1), e.get("task_status")) for e in asked]
