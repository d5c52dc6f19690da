"""The promise under attack: no job paid twice by two processes, none forgotten by a busy or damaged journal, no
silent end of a job, no endless polling — each test pins one hole that was found and closed."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest

from conftest import LiveEmulator
from wan_mcp.config import Settings, load_settings
from wan_mcp.dashscope import RetryPolicy
from wan_mcp.journal import TaskFilter
from wan_mcp.journal.sqlite import SqliteStore
from wan_mcp.service import WanService
from wan_mcp.states import JobState

pytestmark = pytest.mark.anyio
T2V = {"mode": "t2v", "prompt": "a red fox in the snow", "resolution": "720P", "duration": 2}


def settings_for(live: LiveEmulator, tmp_path: Path, **extra: str) -> Settings:
    return load_settings(live.server_env(tmp_path, **extra))


async def until(condition: Callable[[], Any], seconds: float = 30) -> Any:
    with anyio.fail_after(seconds):
        while not (value := condition()):
            await anyio.sleep(0.02)
        return value


async def record_of(service: WanService, key: str) -> Any:
    return await service.store.get_task(key)


SUBMITTER = textwrap.dedent(
    """
    import anyio, json, sys
    from wan_mcp.config import load_settings
    from wan_mcp.service import WanService

    async def main() -> None:
        args = json.loads(sys.argv[1])
        async with WanService.open(load_settings(), adopt=False) as service:
            sys.stdin.readline()  # every process starts its submits at the same moment
            views = []
            async with anyio.create_task_group() as group:
                async def one() -> None:
                    views.append(await service.submit(dict(args)))
                for _ in range(5):
                    group.start_soon(one)
        print(json.dumps(sorted({v.task.handle for v in views})))

    anyio.run(main)
    """
)


def test_two_processes_submitting_the_same_request_pay_once(emulator: LiveEmulator, tmp_path: Path) -> None:
    """Two processes on one data folder (Claude Desktop and Claude Code) each submit the same request 5 times at once:
    DashScope sees one create, and every call gets that one job back."""
    env = emulator.server_env(tmp_path, inherit=True)
    command = [sys.executable, "-c", SUBMITTER, json.dumps(T2V)]
    processes = [
        subprocess.Popen(command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for _ in range(2)
    ]
    anyio.run(anyio.sleep, 1.5)  # both have opened the journal and wait on stdin
    outputs = [p.communicate("go\n", timeout=120)[0] for p in processes]
    handles = [json.loads(out) for out in outputs]
    assert len(emulator.requests("submit")) == 1
    assert handles[0] == handles[1] and len(handles[0]) == 1


async def test_a_task_id_arriving_while_the_journal_is_locked_is_held_and_written(
    emulator: LiveEmulator, tmp_path: Path
) -> None:
    """The journal is locked by another writer when DashScope's answer arrives: the task id is held in memory, the
    agent is told so, other work goes on meanwhile, and the job is written and delivered without a restart."""
    settings = settings_for(emulator, tmp_path)
    emulator.faults(stall_submits=[{"count": 1, "seconds": 1.0}])
    store = SqliteStore(settings.journal_path, busy_seconds=0.3)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await anyio.sleep(0.02)
            ticks += 1

    async with WanService.open(settings, store=store) as service, anyio.create_task_group() as group:
        group.start_soon(ticker)
        submitting: dict[str, Any] = {}

        async def submit() -> None:
            submitting["view"] = await service.submit(dict(T2V))

        group.start_soon(submit)
        await until(lambda: emulator.admin("state")["tasks"])  # created at DashScope, its answer still held
        locker = sqlite3.connect(settings.journal_path, timeout=5)
        locker.execute("BEGIN EXCLUSIVE")
        ticks_before = ticks
        await until(lambda: "view" in submitting, seconds=20)
        view = submitting["view"]
        assert view.task is not None and view.task.task_id and "held in memory" in view.message
        assert ticks - ticks_before >= 10  # the event loop kept running while the journal was locked
        locker.rollback()
        locker.close()
        handle = view.task.handle
        await until(lambda: handle not in service.held, seconds=20)
        with anyio.fail_after(20):
            while (record := await record_of(service, handle)).state is not JobState.DELIVERED:
                await anyio.sleep(0.05)
        group.cancel_scope.cancel()
    assert record.task_id == view.task.task_id and len(emulator.requests("submit")) == 1


@pytest.mark.parametrize("damage", ["empty", "garbage"])
async def test_a_damaged_journal_is_kept_aside_and_its_jobs_rebuilt(
    make_emulator: Callable[..., LiveEmulator], tmp_path: Path, damage: str
) -> None:
    """Three paid jobs in flight, then the journal is truncated (or overwritten): the next start keeps the damaged
    file aside, says so, rebuilds the jobs from DashScope's task list and delivers all three."""
    live = make_emulator(speed=200)
    live.faults(processing_seconds=300)
    settings = settings_for(live, tmp_path)
    async with WanService.open(settings, adopt=False) as service:
        for index in range(3):
            await service.submit({**T2V, "prompt": f"fox number {index}"})
    path = settings.journal_path
    path.write_bytes(b"" if damage == "empty" else b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    async with WanService.open(settings) as service:
        with anyio.fail_after(60):
            while True:
                records = await service.store.list_tasks(TaskFilter())
                if len(records) == 3 and all(r.state is JobState.DELIVERED for r in records):
                    break
                await anyio.sleep(0.1)
        listing = await service.list()
        assert listing.note is not None and "damaged" in listing.note and "rebuilt" in listing.note
        assert all(Path(r.local_path or "").is_file() for r in records)
    assert list(path.parent.glob("journal.sqlite3.damaged-*"))
    assert len(live.requests("submit")) == 3


async def test_a_dead_owners_lease_is_taken_over(emulator: LiveEmulator, tmp_path: Path) -> None:
    """A job whose follower died (its lease held by another process identity, like PID 1 in a container) is taken
    over once the lease lapses, not after a PID check that a container defeats."""
    settings = settings_for(emulator, tmp_path)
    async with WanService.open(settings, adopt=False) as first:
        view = await first.submit(dict(T2V))
    assert view.task is not None
    store = SqliteStore(settings.journal_path)
    now = anyio.current_time()
    del now
    await store.update_task(view.task.handle, lease_owner="container-1-deadbeef", lease_until=0.0)
    await store.close()
    async with WanService.open(settings) as second:
        with anyio.fail_after(20):
            while (record := await record_of(second, view.task.handle)).state is not JobState.DELIVERED:
                await anyio.sleep(0.05)
    assert record.lease_owner is None


async def test_unconfirmed_jobs_honour_the_wait_and_the_query_limit(emulator: LiveEmulator, tmp_path: Path) -> None:
    """An agent polling an unconfirmed job in a tight loop does not turn into a flood of task-list requests, and a
    poll with wait_seconds holds until the job is found and done."""
    emulator.faults(drop_submits=1)
    async with WanService.open(settings_for(emulator, tmp_path)) as service:
        view = await service.submit(dict(T2V))
        assert view.task is not None and view.task.state == "unconfirmed"
        for _ in range(50):
            await service.poll(view.task.handle)
        lists = len(emulator.requests("list"))
        assert lists <= 3, lists
        done = await service.poll(view.task.handle, wait_seconds=20)
    assert done.state == "delivered"
    assert len(emulator.requests("submit")) == 1


async def test_an_outage_answers_with_the_last_known_state(emulator: LiveEmulator, tmp_path: Path) -> None:
    """During a DashScope 5xx outage poll_task answers with the job's last known state and says DashScope is not
    answering, instead of an error."""
    emulator.faults(processing_seconds=3000)
    async with WanService.open(settings_for(emulator, tmp_path)) as service:
        view = await service.submit(dict(T2V))
        assert view.task is not None
        client = service.deps.client()
        client.retry = RetryPolicy(attempts=2, base=0.01, cap=0.02)  # keep the outage short for the test
        emulator.faults(http_errors=[{"route": "query", "status": 503, "count": 100}])
        await anyio.sleep(0.05)
        polled = await service.poll(view.task.handle)
    assert polled.state == "submitted" and "not answering" in polled.message


DISK_FULL = textwrap.dedent(
    """
    import anyio, json, subprocess, sys
    from pathlib import Path
    from wan_mcp.config import load_settings
    from wan_mcp.service import WanService

    async def main() -> None:
        settings = load_settings()
        videos = settings.output_dir
        videos.mkdir(parents=True, exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(videos)], check=True)
        seen = []
        async with WanService.open(settings) as service:
            view = await service.submit(json.loads(sys.argv[1]))
            with anyio.fail_after(60):
                while (record := await service.store.get_task(view.task.handle)).state.value != "save_failed":
                    await anyio.sleep(0.05)
            seen.append([record.state.value, service.view(record).message])
            subprocess.run(["mount", "-o", "remount,size=64m", str(videos)], check=True)
            with anyio.fail_after(60):
                while (record := await service.store.get_task(view.task.handle)).state.value != "delivered":
                    await anyio.sleep(0.05)
            seen.append([record.state.value, Path(record.local_path).stat().st_size == record.size_bytes])
        print(json.dumps(seen))

    anyio.run(main)
    """
)


def test_a_full_disk_is_the_jobs_state_and_is_retried(emulator: LiveEmulator, tmp_path: Path) -> None:
    """No space left while saving: the job says so (where, how much, what to do) instead of 'downloading' forever,
    and is saved once space returns — without a restart. (Runs in a user and mount namespace with a tiny tmpfs.)"""
    if subprocess.run(["unshare", "-r", "-m", "true"], capture_output=True, check=False).returncode != 0:
        pytest.skip("needs unshare (user and mount namespaces) to make a full disk")
    env = emulator.server_env(tmp_path, inherit=True)
    script = [sys.executable, "-c", DISK_FULL, json.dumps(T2V)]
    result = subprocess.run(["unshare", "-r", "-m", *script], env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    (state, message), (final, complete) = json.loads(result.stdout)
    assert state == "save_failed" and "no space left" in message and "MB free" in message
    assert (final, complete) == ("delivered", True)


async def test_tools_that_need_no_journal_work_when_it_cannot_be_opened(emulator: LiveEmulator, tmp_path: Path) -> None:
    """A journal that cannot be opened at all still lets list_modes and dry runs work; a paid submit is refused in
    our format, with nothing sent."""
    from mcp import Client

    from wan_mcp.server import build_server

    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the data folder should be")
    settings = settings_for(emulator, tmp_path, WAN_MCP_DATA_DIR=str(blocked / "data"))
    async with Client(build_server(settings)) as client:
        modes = await client.call_tool("list_modes", {})
        dry = await client.call_tool("submit_video", {**T2V, "dry_run": True})
        paid = await client.call_tool("submit_video", dict(T2V))
    assert not modes.is_error and not dry.is_error
    assert (
        paid.is_error and "journal_unavailable" in paid.content[0].text and "nothing was sent" in paid.content[0].text
    )
    assert emulator.requests("submit") == []


async def test_doubtful_media_values_are_refused_before_anything_is_paid(
    emulator: LiveEmulator, tmp_path: Path
) -> None:
    """`oss://x`, a data: URI cut short after the PNG signature, and an empty `image` for a long video were
    accepted and would have been paid for: each is refused now, naming the argument, and nothing is sent."""
    from mcp import Client

    from wan_mcp.server import build_server

    cut_short = "data:image/png;base64,iVBORw0KGgo="
    calls = [
        ("submit_video", {"mode": "i2v", "image": "oss://x"}, "image", "invalid_url"),
        ("submit_video", {"mode": "i2v", "image": cut_short}, "image", "unreadable_media"),
        ("make_long_video", {"shots": [{"prompt": "a fox", "duration": 5}], "image": ""}, "image", "missing_argument"),
    ]
    async with Client(build_server(settings_for(emulator, tmp_path))) as client:
        for tool, arguments, field, code in calls:
            result = await client.call_tool(tool, arguments)
            text = result.content[0].text
            assert result.is_error and f"{code} ({field})" in text, text
    assert emulator.requests("submit") == [] and emulator.requests("upload") == []
