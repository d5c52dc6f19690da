"""Polling benchmark: how soon an agent waiting in poll_task learns its job is done, and how many status queries a
job costs, for wan-mcp's one watcher per job next to a fixed 5 s poller, side by side in one run.

Jobs of 8, 60, 103, 300 and 600 s run on the emulator, each with a model whose usual time contains it where one
exists, then jobs far outside their model's usual time (shorter and longer). A case runs TASKS jobs whose lengths are
spread evenly over ±2.5 s, so that no schedule wins by landing on a round number (a fixed 5 s poller's mean lag is
then its true 2.5 s); each job first waits in DashScope's queue for a time drawn at random, and every schedule runs
the same jobs with the same queue times. Per job and schedule:

- agent: wan-mcp's service, an agent calling poll_task (each call holding 50 s) again and again until delivered;
- background: the same watcher with nobody waiting;
- fixed-5s: the reference, a poller asking every 5 s (at 5, 10, 15 … s after its submit was answered);
- sleep-5s: a loop pausing 5 s between an answer and its next question, as many pollers are written: its period is
  5 s plus a round trip, so it asks a little less often than every 5 s and sees the end a little later.

The emulator runs SPEED times faster. Times are DashScope seconds: "detect" is from the end of the task to the first
status query that saw it SUCCEEDED (scheduled time, scaled back by SPEED); "agent" adds what the agent waited after
that query until its call returned the delivered job (download, verification, wake-up: real seconds, not scaled).
Targets (issue 12): detection lag while an agent waits ≤ 2.5 s — the fixed 5 s poller's own, measured beside it as
the mean of "expected" — with no more status queries per job than that poller; the agent's whole wait (with the
download and verification) is printed beside. For a job that may end anywhere, the mean lag is at least half the
mean period and the queries are the job's length over it, whatever the schedule: the two targets fix the period at 5 s.
The sleep-5s loop sits on the same line a round trip further (fewer queries, a lag over 2.5 s); it is printed for
comparison, not as the reference.

    python bench/polling.py [--speed 10] [--tasks 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx2
from _emulator import KEY, Running, emulator_apart
from pydantic import SecretStr

from wan_mcp.config import load_settings
from wan_mcp.dashscope import DashScopeClient
from wan_mcp.requests import plan_request
from wan_mcp.service import WanService

I2V = {"mode": "i2v", "image": "https://example.com/a.png", "resolution": "720P"}
T2V = {"mode": "t2v", "prompt": "a fox", "size": "1280*720"}
KF2V = {"mode": "kf2v", "first_frame": "https://example.com/a.png", "last_frame": "https://example.com/b.png"}
VACE = {"mode": "vace", "function": "video_outpainting", "prompt": "an orchestra", "video": "https://example.com/v.mp4"}
CASES: list[tuple[float, dict[str, Any]]] = [
    (8, I2V),  # below every model's usual time
    (60, I2V),
    (103, T2V),
    (300, KF2V),
    (600, VACE),
    (8, T2V),  # far outside their model's usual time
    (600, I2V),
    (900, T2V),
]
SCHEDULES = ("agent", "background", "fixed-5s", "sleep-5s")
FINAL = {"delivered", "failed", "rejected", "canceled", "unknown", "expired"}
AGENT_WAIT = 50.0  # seconds a poll_task call holds (a desktop client's patience)
JITTER = 2.5
TIMER = 0.001  # real seconds: the event loop wakes a sleeper up to 1 ms late, so lags are known to speed × 1 ms


@dataclass
class Job:
    case: int
    schedule: str
    seconds: float  # its processing time
    queue: float  # the seconds it waits PENDING first (the same for each schedule's copy of a job)
    task_id: str = ""
    returned_at: float | None = None  # wall time the agent's call returned it delivered


@dataclass
class Row:
    queries: list[int] = field(default_factory=list)
    detect: list[float] = field(default_factory=list)  # DashScope seconds
    expected: list[float] = field(default_factory=list)  # half the gap between the checks around the end
    deliver: list[float] = field(default_factory=list)  # real seconds: download, verification, wake-up
    agent: list[float] = field(default_factory=list)


class Bench:
    def __init__(self, admin: httpx2.AsyncClient, service: WanService, client: DashScopeClient, speed: float) -> None:
        self.admin, self.service, self.client, self.speed = admin, service, client, speed
        self.submitting = anyio.Lock()  # the emulator's processing time is set per submit

    async def submit(self, job: Job) -> str:
        args = CASES[job.case][1]
        async with self.submitting:
            faults = {"processing_seconds": job.seconds, "queue_seconds": job.queue}
            (await self.admin.post("/faults", json=faults)).raise_for_status()
            if job.schedule.endswith("-5s"):
                plan = plan_request(args)
                return (await self.client.submit(plan.request, model=plan.model)).task_id
            view = await self.service.submit(dict(args), allow_duplicate=True)  # the same request, many times
        assert view.task is not None and view.task.task_id, view
        return view.task.task_id

    async def run(self, job: Job) -> None:
        job.task_id = await self.submit(job)
        if job.schedule == "agent":
            wait = max(1, round(AGENT_WAIT / self.speed))
            while (await self.service.poll(job.task_id, wait_seconds=wait)).state not in FINAL:
                pass
            job.returned_at = time.time()
        elif job.schedule == "background":
            while (await self.service.store.get_task(job.task_id)).state not in FINAL:  # type: ignore[union-attr]
                await anyio.sleep(1.0)  # the journal, not DashScope: only to know when to stop
        else:
            origin, step = time.monotonic(), 0
            while True:
                step += 1
                if job.schedule == "fixed-5s":
                    await anyio.sleep(max(0.0, origin + step * 5 / self.speed - time.monotonic()))
                else:
                    await anyio.sleep(5 / self.speed)
                if (await self.client.get_task(job.task_id)).status not in ("PENDING", "RUNNING"):
                    return


def measure(live: Running, jobs: list[Job], speed: float) -> dict[tuple[int, str], Row]:
    state = live.admin("state")["tasks"]
    ends, starts = {t["task_id"]: t["end"] for t in state}, {t["task_id"]: t["start"] for t in state}
    log = [e for e in live.admin("log")["requests"] if e.get("route") == "query"]
    rows: dict[tuple[int, str], Row] = {}
    for job in jobs:
        asked = sorted((e for e in log if e.get("task_id") == job.task_id), key=lambda e: e["t"])
        index = next(i for i, e in enumerate(asked) if e.get("task_status") == "SUCCEEDED")
        seen = asked[index]["t"]
        before = asked[index - 1]["t"] if index else starts[job.task_id]
        row = rows.setdefault((job.case, job.schedule), Row())
        row.queries.append(len(asked))
        detect = max(0.0, seen - ends[job.task_id]) * speed
        row.detect.append(detect)
        row.expected.append((seen - before) * speed / 2)
        if job.returned_at is not None:
            row.deliver.append(max(0.0, job.returned_at - seen))
            row.agent.append(row.expected[-1] + row.deliver[-1])
    return rows


def report(rows: dict[tuple[int, str], Row], tasks: int, speed: float) -> None:
    print(f"emulator ×{speed:g}; {tasks} jobs per case and schedule (lengths spread over ±{JITTER:g} s); DashScope s")
    print("detect: end of the task → first query that saw it done (measured mean / max); expected: half the gap")
    print("between the two checks around the end (the mean lag of a job ending anywhere in it); agent: expected +")
    print("deliver (download, verification, the waiting call's return: real seconds)\n")
    print(f"{'case':46} {'schedule':10} {'queries':>8} {'detect':>13} {'expected':>9} {'deliver':>8} {'agent':>6}")
    verdicts = []
    for index, (seconds, args) in enumerate(CASES):
        plan = plan_request(args)
        low, high = plan.estimate.wait_low_seconds, plan.estimate.wait_high_seconds
        where = "inside" if low <= seconds <= high else "OUTSIDE"
        label = f"{seconds:>4g} s {plan.model} (usual {low}-{high} s, {where})"
        for schedule in SCHEDULES:
            row = rows[(index, schedule)]
            deliver = f"{statistics.mean(row.deliver):7.2f}s" if row.deliver else ""
            agent = f"{statistics.mean(row.agent):5.1f}s" if row.agent else ""
            print(
                f"{label:46} {schedule:10} {statistics.mean(row.queries):8.1f} "
                f"{statistics.mean(row.detect):5.1f} /{max(row.detect):5.1f}s {statistics.mean(row.expected):8.1f}s "
                f"{deliver:>8} {agent:>6}"
            )
            label = ""
        ours, fixed, loop = rows[(index, "agent")], rows[(index, "fixed-5s")], rows[(index, "sleep-5s")]
        lag, fixed_lag = statistics.mean(ours.expected), statistics.mean(fixed.expected)
        queries, fixed_queries = statistics.mean(ours.queries), statistics.mean(fixed.queries)
        met = lag <= max(2.5, fixed_lag) + TIMER * speed and queries <= fixed_queries
        verdicts.append(
            f"  {seconds:>4g} s {plan.model:18} detection lag {lag:5.3f} s (≤ 2.5; fixed {fixed_lag:5.3f}), "
            f"{queries:5.1f} queries (fixed {fixed_queries:5.1f}): {'MEETS' if met else 'MISSES'}; "
            f"with delivery the agent waited {statistics.mean(ours.agent):4.2f} s; "
            f"sleep-5s: {statistics.mean(loop.expected):5.3f} s, {statistics.mean(loop.queries):5.1f} queries"
        )
        print()
    print(f"wan-mcp with an agent waiting, against the targets (lags within ±{TIMER * speed:g} s, the timer's step):")
    print("\n".join(verdicts))


async def main(speed: float, tasks: int) -> None:
    offsets = [JITTER * (2 * (i + 0.5) / tasks - 1) for i in range(tasks)]  # evenly over ±JITTER: every phase
    queues = random.Random(1)  # DashScope's queue time, drawn once per job and run by every schedule alike
    jobs = [
        Job(case, schedule, seconds + offset, queue)
        for case, (seconds, _) in enumerate(CASES)
        for offset, queue in ((offset, queues.uniform(0.05, 3.0)) for offset in offsets)
        for schedule in SCHEDULES
    ]
    with (
        tempfile.TemporaryDirectory() as tmp,
        emulator_apart(speed=speed, query_qps=1e6, seed=1, concurrency=1000) as live,
    ):
        env = {
            "DASHSCOPE_API_KEY": KEY,
            "DASHSCOPE_BASE_URL": live.base_url,
            "WAN_MCP_DATA_DIR": str(Path(tmp) / "data"),
            "WAN_MCP_OUTPUT_DIR": str(Path(tmp) / "videos"),
            "WAN_MCP_POLL_SPEED": str(speed),
            "WAN_MCP_LOG_LEVEL": "WARNING",
            "HOME": tmp,
        }
        # The account-wide query limit scales with the emulator's speed (it is not what is measured here).
        settings = dataclasses.replace(load_settings(env), query_qps=1e6)
        client = DashScopeClient(base_url=live.base_url, api_key=SecretStr(KEY), query_qps=1e6)
        # adopt=False: one process, nothing to adopt; and the adopt loop can take a job still sending (a race in
        # service/tracking.py, see test_a_job_adopted_while_its_submit_is_sending_is_still_followed).
        opened = WanService.open(settings, adopt=False)
        admin = httpx2.AsyncClient(base_url=live.root + "/__emulator__", timeout=30)
        async with admin, client, opened as service, anyio.create_task_group() as group:
            bench = Bench(admin, service, client, speed)
            for job in jobs:
                group.start_soon(bench.run, job)
        report(measure(live, jobs, speed), tasks, speed)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--speed", type=float, default=10.0)
    parser.add_argument("--tasks", type=int, default=3)
    options = parser.parse_args()
    sys.exit(anyio.run(main, options.speed, options.tasks))
