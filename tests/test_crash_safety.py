"""SIGKILL a real wan-mcp server at each dangerous moment; after a restart nothing paid is lost or paid twice.

Each test counts, from the emulator (what DashScope would bill) and the journal (what the user got):
paid jobs lost = succeeded tasks whose video was not delivered and verified; duplicate paid jobs = succeeded tasks
beyond one per request. Both must be 0.
"""

from __future__ import annotations

import hashlib
import json
import signal
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client, StdioServerParameters

import mediafiles
from conftest import CANARY_KEY, LiveEmulator, result_data

pytestmark = pytest.mark.anyio
SPEED = 100
T2V = {"mode": "t2v", "prompt": "a red fox in the snow", "resolution": "720P", "duration": 2}


def environment(live: LiveEmulator, tmp_path: Path) -> dict[str, str]:
    return live.server_env(tmp_path, inherit=True, WAN_MCP_LOG_LEVEL="WARNING")


@asynccontextmanager
async def server(env: dict[str, str]) -> AsyncIterator[Client]:
    """A real `wan-mcp` stdio server and a client session with it."""
    params = StdioServerParameters(command=sys.executable, args=["-m", "wan_mcp"], env=env)
    async with Client(params) as client:
        yield client


async def until(condition: Callable[[], Any], seconds: float = 30) -> Any:
    with anyio.fail_after(seconds):
        while True:
            value = condition()
            if value:
                return value
            await anyio.sleep(0.05)


async def kill_during(env: dict[str, str], arguments: dict[str, Any], moment: Callable[[], Any], stderr: Path) -> None:
    """Start a real server, send submit_video over raw JSON-RPC on stdio, wait for `moment`, then SIGKILL it."""
    with stderr.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "wan_mcp"], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log
        )
    assert process.stdin is not None and process.stdout is not None

    def send(message: dict[str, Any]) -> None:
        process.stdin.write(json.dumps(message).encode() + b"\n")  # type: ignore[union-attr]
        process.stdin.flush()  # type: ignore[union-attr]

    try:
        send(
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {
                    "protocolVersion": "2025-11-25",
                    "capabilities": {},
                    "clientInfo": {"name": "t", "version": "1"},
                },
            }
        )
        assert b'"id":1' in process.stdout.readline().replace(b" ", b"")
        send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        send(
            {
                "jsonrpc": "2.0",
                "id": 2,
                "method": "tools/call",
                "params": {"name": "submit_video", "arguments": arguments},
            }
        )
        await until(moment)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        process.stdin.close()
        process.stdout.close()


async def restart_until_settled(env: dict[str, str], seconds: float = 60) -> list[dict[str, Any]]:
    """Restart the server and let it resume until every job is final; returns the jobs."""
    async with server(env) as client:

        async def settled() -> list[dict[str, Any]] | None:
            listing = result_data(await client.call_tool("list_tasks", {}))
            tasks: list[dict[str, Any]] = listing["tasks"]
            finals = {"delivered", "failed", "rejected", "canceled", "unknown", "expired"}
            return tasks if tasks and all(t["state"] in finals for t in tasks) else None

        with anyio.fail_after(seconds):
            while (tasks := await settled()) is None:
                await anyio.sleep(0.1)
        return tasks


def ledger(live: LiveEmulator, tmp_path: Path) -> dict[str, int]:
    """Paid jobs (succeeded at DashScope), lost ones (not delivered and verified), duplicates (beyond one each)."""
    state = live.admin("state")["tasks"]
    paid = [t["task_id"] for t in state if t["status"] == "SUCCEEDED"]
    db = sqlite3.connect(tmp_path / "data" / "journal.sqlite3")
    rows = {r[0]: r for r in db.execute("SELECT task_id, state, local_path, sha256, request_hash FROM tasks")}
    db.close()

    def delivered(row: tuple[Any, ...] | None) -> bool:
        if row is None or row[1] != "delivered" or not Path(row[2]).exists():
            return False
        return hashlib.sha256(Path(row[2]).read_bytes()).hexdigest() == row[3]

    lost = sum(1 for task_id in paid if not delivered(rows.get(task_id)))
    per_request: dict[str, int] = {}
    for task_id in paid:
        key = rows[task_id][4] if task_id in rows else task_id
        per_request[key] = per_request.get(key, 0) + 1
    duplicates = sum(count - 1 for count in per_request.values())
    journal = (tmp_path / "data" / "journal.sqlite3").read_bytes()
    assert CANARY_KEY.encode() not in journal
    log = tmp_path / "stderr.log"
    assert not log.exists() or CANARY_KEY.encode() not in log.read_bytes()
    return {"paid": len(paid), "lost": lost, "duplicates": duplicates}


async def test_killed_before_sending(make_emulator: Callable[..., LiveEmulator], tmp_path: Path) -> None:
    """Killed while a local file uploads (the submit not yet sent): the restart proves no task exists; no loss."""
    live = make_emulator(speed=SPEED)
    env = environment(live, tmp_path)
    image = mediafiles.write(tmp_path / "cat.png", mediafiles.png(640, 480))
    live.faults(stall_uploads=[{"count": 1, "seconds": 60}])
    arguments = {"mode": "i2v", "image": str(image), "resolution": "720P"}
    await kill_during(env, arguments, lambda: live.requests("upload"), tmp_path / "stderr.log")
    assert not live.requests("submit")
    tasks = await restart_until_settled(env)
    assert [(t["state"], t["error"]["code"]) for t in tasks] == [("rejected", "NotCreated")]
    assert "safe to submit" in tasks[0]["message"]  # the fix, said once: in the message
    assert ledger(live, tmp_path) == {"paid": 0, "lost": 0, "duplicates": 0}


async def test_killed_after_sending_before_the_answer(
    make_emulator: Callable[..., LiveEmulator], tmp_path: Path
) -> None:
    """Killed while DashScope holds its answer (the task exists): the restart finds it in the list and delivers it."""
    live = make_emulator(speed=SPEED)
    env = environment(live, tmp_path)
    live.faults(stall_submits=[{"count": 1, "seconds": 60}])
    await kill_during(env, dict(T2V), lambda: live.admin("state")["tasks"], tmp_path / "stderr.log")
    tasks = await restart_until_settled(env)
    assert [t["state"] for t in tasks] == ["delivered"]
    assert len(live.requests("submit")) == 1
    assert ledger(live, tmp_path) == {"paid": 1, "lost": 0, "duplicates": 0}


async def test_killed_while_waiting(make_emulator: Callable[..., LiveEmulator], tmp_path: Path) -> None:
    """Killed while a tool call waits on a running task: the restart resumes it and delivers it once."""
    live = make_emulator(speed=SPEED)
    env = environment(live, tmp_path)
    live.faults(processing_seconds=800)

    def running() -> bool:
        return any(t["status"] == "RUNNING" for t in live.admin("state")["tasks"])

    await kill_during(env, {**T2V, "wait_seconds": 40}, running, tmp_path / "stderr.log")
    tasks = await restart_until_settled(env)
    assert [t["state"] for t in tasks] == ["delivered"]
    assert len(live.requests("download")) == 1
    assert ledger(live, tmp_path) == {"paid": 1, "lost": 0, "duplicates": 0}


async def test_killed_in_the_middle_of_a_download(make_emulator: Callable[..., LiveEmulator], tmp_path: Path) -> None:
    """Killed half-way through a download: the restart resumes the .part file with Range and verifies it."""
    live = make_emulator(speed=SPEED)
    env = environment(live, tmp_path)
    live.faults(downloads=[{"count": 1, "bytes_per_second": 250_000}])
    videos = tmp_path / "videos"

    def part_started() -> bool:
        return any(p.stat().st_size > 200_000 for p in videos.glob("*.part")) if videos.exists() else False

    await kill_during(env, {**T2V, "wait_seconds": 40}, part_started, tmp_path / "stderr.log")
    tasks = await restart_until_settled(env)
    assert [t["state"] for t in tasks] == ["delivered"]
    statuses = [e["status"] for e in live.requests("download")]
    assert statuses == [200, 206], statuses  # the second request continued where the first stopped
    assert list(videos.glob("*.part")) == [] and len(list(videos.glob("*.mp4"))) == 1
    assert ledger(live, tmp_path) == {"paid": 1, "lost": 0, "duplicates": 0}


async def test_power_cut_damage_in_the_part_is_never_delivered(
    make_emulator: Callable[..., LiveEmulator], tmp_path: Path
) -> None:
    """Regression: killed mid-download, then a page of the .part lost as in a power cut: the restart does not deliver
    the damaged bytes as verified; the delivered video is byte for byte the server's."""
    live = make_emulator(speed=SPEED)
    env = environment(live, tmp_path)
    live.faults(downloads=[{"count": 1, "bytes_per_second": 250_000}])
    videos = tmp_path / "videos"

    def part_started() -> bool:
        return any(p.stat().st_size > 200_000 for p in videos.glob("*.part")) if videos.exists() else False

    await kill_during(env, {**T2V, "wait_seconds": 40}, part_started, tmp_path / "stderr.log")
    (part,) = videos.glob("*.part")
    with part.open("r+b") as handle:  # the kernel never wrote this page back before the power went
        handle.seek(100_000)
        handle.write(bytes(4096))
    tasks = await restart_until_settled(env)
    assert [t["state"] for t in tasks] == ["delivered"]
    (task,) = live.admin("state")["tasks"]
    with httpx2.Client(timeout=30) as http:
        info = http.get(f"{live.base_url}/tasks/{task['task_id']}", headers={"Authorization": f"Bearer {CANARY_KEY}"})
        clean = http.get(info.json()["output"]["video_url"]).content
    assert Path(tasks[0]["local_path"]).read_bytes() == clean
    assert ledger(live, tmp_path) == {"paid": 1, "lost": 0, "duplicates": 0}


async def test_resubmitting_after_a_lost_answer_pays_once(
    make_emulator: Callable[..., LiveEmulator], tmp_path: Path
) -> None:
    """An agent that retries a submit whose answer was lost gets the first job back, not a second payment."""
    live = make_emulator(speed=SPEED)
    env = environment(live, tmp_path)
    live.faults(drop_submits=1)
    async with server(env) as client:
        first = result_data(await client.call_tool("submit_video", dict(T2V)))
        again = result_data(await client.call_tool("submit_video", dict(T2V)))
        assert again["task"]["handle"] == first["task"]["handle"] and "pay twice" in again["message"]
    tasks = await restart_until_settled(env)
    assert [t["state"] for t in tasks] == ["delivered"] and len(live.requests("submit")) == 1
    assert ledger(live, tmp_path) == {"paid": 1, "lost": 0, "duplicates": 0}
    assert json.dumps(tasks).count(CANARY_KEY) == 0
