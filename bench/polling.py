"""Polling benchmark: requests per task and detection lag, wan-mcp's schedule vs fixed 15 s vs the official SDK.

Tasks of 60, 180 and 600 s run on the emulator, time-scaled by SPEED (every delay is divided by it and every
measured time multiplied back, so figures are in real DashScope seconds). Each length runs with a model whose
typical range contains it (i2v-flash, t2v, VACE), and once more with wan2.6-t2v for all three lengths, to show a
task far outside its model's usual time. All schedules poll the same emulator side by side in one run.

    python bench/polling.py [--speed 40] [--tasks 6]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

import anyio
from _emulator import KEY, emulator
from pydantic import SecretStr

from wan_mcp import catalog
from wan_mcp.dashscope import DashScopeClient
from wan_mcp.polling import PollClock, poll_until_done, schedule_for
from wan_mcp.requests import plan_request

CASES = [
    (60, {"mode": "i2v", "image": "https://example.com/a.png", "resolution": "720P"}),
    (180, {"mode": "t2v", "prompt": "a fox", "size": "1280*720"}),
    (600, {"mode": "vace", "function": "video_outpainting", "prompt": "an orchestra", "video": "https://x/v.mp4"}),
    (60, {"mode": "t2v", "prompt": "a fox", "size": "1280*720"}),
    (600, {"mode": "t2v", "prompt": "a fox", "size": "1280*720"}),
]


@dataclass
class Outcome:
    task_id: str
    requests: int
    seen_at: float  # wall time when the client saw the terminal status


def sdk_delays() -> Iterator[float]:
    """The official SDK's wait(): 1, 1, 2, 2, 2, 4, 4, 4, then 5 s (dashscope 2.0.2, base_api.py)."""
    yield from (1, 1, 2, 2, 2, 4, 4, 4)
    while True:
        yield 5


def fixed_delays() -> Iterator[float]:
    while True:
        yield 15


async def run_schedule(name: str, check: Callable[[], Awaitable[str]], speed: float, args: dict[str, object]) -> int:
    """Poll until terminal with one schedule; returns the number of status requests."""
    if name == "wan-mcp":
        plan = plan_request(args)
        model = catalog.find_model(plan.model)
        assert model is not None
        schedule = schedule_for(model, plan.estimate.output_seconds, plan.estimate.tier)
        clock = PollClock(now=lambda: time.monotonic() * speed, sleep=lambda s: anyio.sleep(s / speed))
        state = await poll_until_done(check, schedule, clock=clock, check_now=False)
        return state.checks
    delays = sdk_delays() if name == "sdk" else fixed_delays()
    count = 0
    if name == "fixed-15s":
        await anyio.sleep(15 / speed)
    while True:
        count += 1
        if await check() not in ("PENDING", "RUNNING"):
            return count
        await anyio.sleep(next(delays) / speed)


async def one_task(
    client: DashScopeClient, schedule: str, args: dict[str, object], speed: float, results: list[Outcome]
) -> None:
    plan = plan_request(args)
    created = await client.submit(plan.request, model=plan.model)
    seen_at = 0.0

    async def check() -> str:
        nonlocal seen_at
        info = await client.get_task(created.task_id)
        seen_at = time.time()
        return info.status

    requests = await run_schedule(schedule, check, speed, args)
    results.append(Outcome(created.task_id, requests, seen_at))


async def main(speed: float, tasks: int) -> None:
    with emulator(speed=speed, query_qps=20 * speed, seed=1, concurrency=1000) as live:
        print(f"emulator x{speed:g}; {tasks} tasks per schedule and case; times in real DashScope seconds\n")
        print(f"{'case':48} {'schedule':10} {'req/task':>9} {'mean lag':>9} {'max lag':>8}")
        summary: dict[tuple[int, str, str], tuple[float, float]] = {}
        for seconds, args in CASES:
            live.admin("faults", {"processing_seconds": seconds})
            plan = plan_request(args)
            model = catalog.find_model(plan.model)
            assert model is not None
            low, high = catalog.typical_wait(model, plan.estimate.output_seconds, plan.estimate.tier)
            label = f"{seconds:>3} s task, {plan.model} (typical {low}-{high} s)"
            outcomes: dict[str, list[Outcome]] = {name: [] for name in ("wan-mcp", "fixed-15s", "sdk")}
            client = DashScopeClient(base_url=live.base_url, api_key=SecretStr(KEY), query_qps=15 * speed)
            async with client, anyio.create_task_group() as group:
                for schedule, results in outcomes.items():
                    for _ in range(tasks):
                        group.start_soon(one_task, client, schedule, args, speed, results)
            ends = {t["task_id"]: t["end"] for t in live.admin("state")["tasks"]}
            for schedule, results in outcomes.items():
                lags = [max(0.0, o.seen_at - ends[o.task_id]) * speed for o in results]
                requests = statistics.mean(o.requests for o in results)
                summary[(seconds, schedule, plan.model)] = (requests, statistics.mean(lags))
                print(f"{label:48} {schedule:10} {requests:9.1f} {statistics.mean(lags):8.1f}s {max(lags):7.1f}s")
            live.admin("reset", {})
            print()
        print("wan-mcp vs the others (target: requests <= 1/3 of the SDK's, mean lag <= 5 s):")
        for (seconds, schedule, model_id), (requests, lag) in summary.items():
            if schedule != "wan-mcp":
                continue
            sdk_requests, sdk_lag = summary[(seconds, "sdk", model_id)]
            fixed_requests, fixed_lag = summary[(seconds, "fixed-15s", model_id)]
            verdict = "MEETS" if requests / sdk_requests <= 1 / 3 and lag <= 5 else "MISSES"
            print(
                f"  {seconds:>3} s {model_id:18} requests {requests / sdk_requests:.2f}x SDK, "
                f"{requests / fixed_requests:.2f}x fixed-15s; mean lag {lag:.1f} s "
                f"(SDK {sdk_lag:.1f} s, fixed {fixed_lag:.1f} s): {verdict} the target"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", type=float, default=40.0)
    parser.add_argument("--tasks", type=int, default=6)
    options = parser.parse_args()
    anyio.run(main, options.speed, options.tasks)
