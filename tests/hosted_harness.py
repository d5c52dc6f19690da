"""Several `wan-mcp serve` replicas on one PostgreSQL journal, driven by several tenants against the emulator, with
one replica killed mid-way: the figures the hosted promise is judged by (used by tests/test_replicas.py and
bench/hosted.py)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

KEY = "sk-hosted-0000"
TENANTS = {"alice": "tok-alice-1", "bob": "tok-bob-2", "carol": "tok-carol-3"}
FINAL = {"delivered", "failed", "rejected", "canceled", "unknown", "expired"}


@dataclass
class Figures:
    """What one hosted run measured."""

    jobs: int = 0
    delivered: int = 0
    lost: int = 0
    duplicate_creates: int = 0
    duplicate_downloads: int = 0  # results saved more than once (the journal's "downloaded" events)
    extra_full_gets: int = 0  # full-file GETs beyond one per result at the emulator (retried transfers included)
    cross_tenant_reads: int = 0
    cross_tenant_attempts: int = 0
    busiest_query_second: int = 0
    throttled: int = 0
    takeover_seconds: float | None = None
    rss_mb: list[float] = field(default_factory=list)
    seconds: float = 0.0

    def table(self) -> str:
        rows = [
            ("jobs submitted", self.jobs),
            ("delivered", self.delivered),
            ("jobs lost", self.lost),
            ("duplicate creates", self.duplicate_creates),
            ("duplicate downloads (results saved twice)", self.duplicate_downloads),
            ("full-file GETs beyond one per result", self.extra_full_gets),
            (f"cross-tenant reads (of {self.cross_tenant_attempts} tries)", self.cross_tenant_reads),
            ("busiest 1 s window of status queries", self.busiest_query_second),
            ("429 from the emulator", self.throttled),
            ("takeover after SIGKILL (s)", "n/a" if self.takeover_seconds is None else f"{self.takeover_seconds:.1f}"),
            ("RSS per live replica (MB)", ", ".join(f"{m:.0f}" for m in self.rss_mb)),
            ("wall time (s)", f"{self.seconds:.1f}"),
        ]
        return "\n".join(f"{name:<44} {value}" for name, value in rows)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_emulator(speed: float, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`wan-mcp emulator` in its own process (DashScope is remote: no shared interpreter)."""
    command = [sys.executable, "-m", "wan_mcp", "emulator", "--port", "0", "--api-key", KEY, "--speed", str(speed)]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stderr=sink)
    end = time.monotonic() + 60
    while time.monotonic() < end:
        found = re.search(r"listening on http://[^:]+:(\d+)", log.read_text(errors="replace"))
        if found:
            return process, f"http://127.0.0.1:{found.group(1)}"
        time.sleep(0.05)
    process.kill()
    raise RuntimeError("the emulator did not start")


def admin(root: str, action: str, body: dict[str, Any] | None = None) -> Any:
    with httpx2.Client(timeout=60) as http:
        url = f"{root}/__emulator__/{action}"
        response = http.post(url, json=body) if body is not None else http.get(url)
    response.raise_for_status()
    return response.json()


def start_replica(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "wan_mcp", "serve", "--transport", "streamable-http", "--port", str(port)]
    with log.open("ab") as sink:
        return subprocess.Popen(command, env=env, stderr=sink)


def wait_until_up(url: str, seconds: float = 60) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            httpx2.get(url + "/mcp", timeout=1)
            return
        except httpx2.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not start")


@asynccontextmanager
async def tenant_client(url: str, tenant: str) -> AsyncIterator[Client]:
    headers = {"Authorization": f"Bearer {TENANTS[tenant]}"}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=120) as http,
        Client(streamable_http_client(url + "/mcp", http_client=http)) as client,
    ):
        yield client


def rss_mb(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"VmRSS:\s+(\d+) kB", text)
    return int(found.group(1)) / 1024 if found else 0.0


def busiest_second(times: list[float]) -> int:
    """The most events in any sliding 1-second window."""
    times = sorted(times)
    best, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def leases_held_by(database_url: str, owner_prefix: str) -> int:
    """Unfinished jobs whose lease is held by a process identity starting with `owner_prefix`."""
    import psycopg

    with psycopg.connect(database_url) as db:
        row = db.execute(
            "SELECT count(*) FROM tasks WHERE lease_owner LIKE %s AND lease_until > extract(epoch from now())"
            " AND state NOT IN ('delivered','failed','rejected','canceled','unknown','expired')",
            (owner_prefix + "%",),
        ).fetchone()
    return int(row[0]) if row else 0


def run(database_url: str, workdir: Path, *, replicas: int = 3, jobs: int = 12, speed: float = 100.0) -> Figures:
    """Drive `jobs` jobs from three tenants round-robin across `replicas` replicas; SIGKILL the first replica once
    half the jobs are submitted; poll until every job is final; measure."""
    figures = Figures(jobs=jobs)
    started = time.monotonic()
    tenants_toml = workdir / "tenants.toml"
    tenants_toml.write_text(
        "\n".join(
            f'[tenants.{name}]\ntoken_sha256 = "{hashlib.sha256(token.encode()).hexdigest()}"\n'
            for name, token in TENANTS.items()
        )
    )
    emulator, root = start_emulator(speed, workdir / "emulator.log")
    processes: list[subprocess.Popen[bytes]] = []
    try:
        admin(root, "faults", {"processing_seconds": 40 * speed})  # ~40 s each: long enough to outlive a takeover
        base = {k: v for k, v in os.environ.items() if not k.startswith(("DASHSCOPE_", "WAN_MCP_"))}
        urls = []
        for index in range(replicas):
            port = free_port()
            env = {
                **base,
                "DASHSCOPE_API_KEY": KEY,
                "DASHSCOPE_BASE_URL": root + "/api/v1",
                "WAN_MCP_DATABASE_URL": database_url,
                "WAN_MCP_TENANTS": str(tenants_toml),
                "WAN_MCP_OUTPUT_DIR": str(workdir / "videos"),  # one shared volume
                "WAN_MCP_DATA_DIR": str(workdir / f"data-{index}"),
                "WAN_MCP_POLL_SPEED": str(speed),
                "WAN_MCP_LOG_LEVEL": "WARNING",
                "HOME": str(workdir),
            }
            processes.append(start_replica(env, port, workdir / f"replica-{index}.log"))
            urls.append(f"http://127.0.0.1:{port}")
        for url in urls:
            wait_until_up(url)
        anyio.run(_drive, figures, urls, processes, database_url, jobs)
        _count(figures, root, database_url)
        figures.rss_mb = [rss_mb(p.pid) for p in processes if p.poll() is None]
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
                process.wait(15)
        emulator.terminate()
        emulator.wait(15)
    figures.seconds = time.monotonic() - started
    return figures


async def _drive(
    figures: Figures, urls: list[str], processes: list[subprocess.Popen[bytes]], database_url: str, jobs: int
) -> None:
    names = list(TENANTS)
    live = list(range(len(urls)))
    submitted: list[tuple[str, str]] = []  # (tenant, task id)
    killed_at: float | None = None
    for index in range(jobs):
        if index == jobs // 2:
            processes[0].send_signal(signal.SIGKILL)
            processes[0].wait(10)
            killed_at = time.monotonic()
            live.remove(0)
        tenant = names[index % len(names)]
        url = urls[live[index % len(live)]]
        arguments = {"mode": "t2v", "prompt": f"job {index}: a fox crosses a frozen river", "duration": 5}
        async with tenant_client(url, tenant) as client:
            result = await client.call_tool("submit_video", arguments)
        assert not result.is_error, result.content
        task = json.loads(result.content[0].text)["task"]
        submitted.append((tenant, task.get("task_id") or task["handle"]))
    if killed_at is not None:
        owner = f"{socket.gethostname()}-{processes[0].pid}-"
        with anyio.fail_after(120):
            while leases_held_by(database_url, owner) > 0:
                await anyio.sleep(0.2)
        figures.takeover_seconds = time.monotonic() - killed_at
    states = await _poll_all(figures, urls, live, submitted)
    figures.delivered = sum(1 for state in states.values() if state == "delivered")
    figures.lost = jobs - figures.delivered


async def _poll_all(
    figures: Figures, urls: list[str], live: list[int], submitted: list[tuple[str, str]]
) -> dict[str, str]:
    """Every job polled by its own tenant until final, each call on the next live replica (no sticky sessions);
    after each poll, another tenant tries to read the same job."""
    states: dict[str, str] = {}
    names = list(TENANTS)

    async def follow(position: int, tenant: str, task_id: str) -> None:
        other = names[(names.index(tenant) + 1) % len(names)]
        for round_no in range(10_000):
            url = urls[live[(position + round_no) % len(live)]]
            async with tenant_client(url, tenant) as client:
                result = await client.call_tool("poll_task", {"task_id": task_id, "wait_seconds": 5})
            states[task_id] = "error" if result.is_error else json.loads(result.content[0].text)["state"]
            async with tenant_client(url, other) as intruder:
                peek = await intruder.call_tool("poll_task", {"task_id": task_id})
            figures.cross_tenant_attempts += 1
            figures.cross_tenant_reads += 0 if peek.is_error else 1
            if states[task_id] in FINAL:
                return

    with anyio.fail_after(600):
        async with anyio.create_task_group() as group:
            for position, (tenant, task_id) in enumerate(submitted):
                group.start_soon(follow, position, tenant, task_id)
    return states


def _count(figures: Figures, root: str, database_url: str) -> None:
    log = admin(root, "log")["requests"]
    figures.duplicate_creates = sum(1 for e in log if e.get("route") == "submit" and e.get("status") == 200)
    figures.duplicate_creates -= figures.jobs
    full = Counter(e["path"] for e in log if e.get("route") == "download" and e.get("status") == 200)
    figures.extra_full_gets = sum(count - 1 for count in full.values())
    queries = [e["mono"] for e in log if e.get("route") == "query"]
    figures.busiest_query_second = busiest_second(queries)
    figures.throttled = sum(1 for e in log if e.get("status") == 429)
    import psycopg

    with psycopg.connect(database_url) as db:
        rows = db.execute("SELECT handle, count(*) FROM events WHERE detail LIKE 'downloaded (%%' GROUP BY handle")
        figures.duplicate_downloads = sum(int(count) - 1 for _, count in rows.fetchall())
