"""200 concurrent tasks tracked through one client: the query rate never exceeds the limit, and every task finishes.

The emulator (its own process, ×SPEED) enforces DashScope's 20 queries/s per account and answers 429 above it;
the client limits itself to its default 15/s. Tasks are spread over five models (each takes 5 submits/s). The run
reports the busiest 1-second window of status queries seen by the emulator, any 429, and how many tasks ended.

    python bench/concurrency.py [--tasks 200] [--speed 100]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

import anyio
import httpx2
from _emulator import KEY, emulator_process
from pydantic import SecretStr

from wan_mcp import catalog
from wan_mcp.dashscope import DashScopeClient
from wan_mcp.polling import PollClock, poll_until_done, schedule_for
from wan_mcp.requests import plan_request

REQUESTS = [
    {"mode": "t2v", "prompt": "a fox", "size": "1280*720"},
    {"mode": "t2v", "model": "wan2.7-t2v", "prompt": "a fox", "resolution": "720P"},
    {"mode": "i2v", "image": "https://example.com/a.png", "resolution": "720P"},
    {"mode": "r2v", "prompt": "character1 waves", "references": ["https://example.com/a.png"], "size": "1280*720"},
    {"mode": "t2v", "model": "wan3.0-video", "prompt": "a fox", "resolution": "720P"},
]


async def track(client: DashScopeClient, args: dict[str, object], speed: float, statuses: Counter[str]) -> None:
    plan = plan_request(args)
    created = await client.submit(plan.request, model=plan.model)
    model = catalog.find_model(plan.model)
    assert model is not None
    schedule = schedule_for(model, plan.estimate.output_seconds, plan.estimate.tier)
    clock = PollClock(now=lambda: time.monotonic() * speed, sleep=lambda s: anyio.sleep(s / speed))

    async def check() -> str:
        return (await client.get_task(created.task_id)).status

    state = await poll_until_done(check, schedule, clock=clock, check_now=False)
    statuses[state.status] += 1


async def main(tasks: int, speed: float) -> None:
    with emulator_process("--speed", str(speed), "--seed", "5") as live:
        statuses: Counter[str] = Counter()
        started = time.monotonic()
        client = DashScopeClient(base_url=live.base_url, api_key=SecretStr(KEY))
        async with client, anyio.create_task_group() as group:
            for index in range(tasks):
                group.start_soon(track, client, REQUESTS[index % len(REQUESTS)], speed, statuses)
        elapsed = time.monotonic() - started
        with httpx2.Client(timeout=60) as http:
            log = http.get(live.root + "/__emulator__/log").json()["requests"]
        queries = sorted(e["mono"] for e in log if e.get("route") in ("query", "list"))
        busiest, start = 0, 0
        for end, moment in enumerate(queries):
            while queries[start] <= moment - 1.0:
                start += 1
            busiest = max(busiest, end - start + 1)
        throttled = sum(1 for e in log if e.get("status") == 429)
        print(f"{tasks} tasks through one client in {elapsed:.1f} s (emulator x{speed:g}); ended: {dict(statuses)}")
        print(f"status queries: {len(queries)}; busiest 1 s window: {busiest} (client limit 15/s, account limit 20/s)")
        print(f"429 answers: {throttled}")
        ok = busiest <= 20 and throttled == 0 and statuses.get("SUCCEEDED", 0) == tasks
        print(f"query rate within the limit and all {tasks} tasks finished: {'MEETS' if ok else 'MISSES'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--speed", type=float, default=100.0)
    options = parser.parse_args()
    anyio.run(main, options.tasks, options.speed)
