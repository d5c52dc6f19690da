"""The human commands (submit, poll, tasks) against the emulator, and `wan-mcp demo` as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import av
import pytest

from conftest import CANARY_KEY, LiveEmulator


def run(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wan_mcp", *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture
def env(emulator: LiveEmulator, tmp_path: Path) -> dict[str, str]:
    return emulator.server_env(tmp_path, inherit=True)


def test_submit_wait_poll_and_tasks(env: dict[str, str]) -> None:
    """With --json, submit --wait ends with a delivered file (exit 0); poll --once and tasks report it as JSON."""
    args = json.dumps({"mode": "t2v", "prompt": "a fox", "resolution": "720P", "duration": 2})
    submitted = run(["submit", "--args-json", args, "--wait", "--json"], env)
    assert submitted.returncode == 0, submitted.stderr
    final = json.loads(submitted.stdout)
    assert "Submitted" in submitted.stderr and final["state"] == "delivered" and Path(final["local_path"]).is_file()
    polled = run(["poll", final["task_id"], "--once", "--json"], env)
    assert polled.returncode == 0 and json.loads(polled.stdout)["state"] == "delivered"
    listed = json.loads(run(["tasks", "--json"], env).stdout)
    assert listed["count"] == 1
    assert CANARY_KEY not in submitted.stdout + submitted.stderr + polled.stdout


def test_submit_wait_speaks_to_people(env: dict[str, str], emulator: LiveEmulator) -> None:
    """Without --json: plain progress lines on stderr (not a terminal), then "Done" with the file, its size and
    hash; poll and tasks answer in short text; nothing mentions the tools' arguments."""
    emulator.faults(processing_seconds=8000)  # 8 s at the emulator's speed: the wait shows progress
    args = json.dumps({"mode": "t2v", "prompt": "a fox", "resolution": "720P", "duration": 2})
    submitted = run(["submit", "--args-json", args, "--wait"], env)
    assert submitted.returncode == 0, submitted.stderr
    assert submitted.stdout.startswith("Done in ")
    path = submitted.stdout.splitlines()[1].strip()
    assert Path(path).is_file() and "wan2.6-t2v · t2v · 2 s · 1280×720" in submitted.stdout
    assert "verified" in submitted.stdout
    progress = submitted.stderr.splitlines()
    assert progress[0].startswith("Submitted ") and "usually" in progress[0]
    assert any(line.startswith(("Queued ", "Generating ")) and "(usually" in line for line in progress[1:])
    assert "\r" not in submitted.stderr and "\x1b" not in submitted.stderr  # plain lines, no cursor tricks
    handle = json.loads(run(["tasks", "--json"], env).stdout)["tasks"][0]["handle"]
    polled = run(["poll", handle, "--once"], env)
    assert polled.returncode == 0 and polled.stdout.startswith("Done in ") and path in polled.stdout
    listed = run(["tasks"], env).stdout
    assert (
        "delivered" in listed
        and "wan-" in listed
        and listed.splitlines()[0].split() == ["created", "job", "mode", "model", "status", "prompt"]
    )
    everything = submitted.stdout + submitted.stderr + polled.stdout + listed
    assert "wait_seconds" not in everything and "poll_task" not in everything and CANARY_KEY not in everything


def test_running_poll_says_the_command_to_type(env: dict[str, str], emulator: LiveEmulator) -> None:
    """poll --once on a running job exits 2 and tells the person `wan-mcp poll ID`, never a tool argument."""
    emulator.faults(processing_seconds=600_000, fail_tasks=[])  # 10 minutes at the emulator's speed: still running
    args = json.dumps({"mode": "t2v", "prompt": "a fox", "resolution": "720P", "duration": 2})
    submitted = run(["submit", "--args-json", args], env)
    assert submitted.returncode == 0 and submitted.stdout.startswith("Submitted: wan2.6-t2v · t2v · 2 s · 720P")
    task_id = json.loads(run(["tasks", "--json"], env).stdout)["tasks"][0]["task_id"]
    running = run(["poll", task_id, "--once"], env)
    assert running.returncode == 2
    assert (
        f"wan-mcp poll {task_id} --once" in running.stdout and f"wait for it: wan-mcp poll {task_id}" in running.stdout
    )
    assert "wait_seconds" not in running.stdout + submitted.stdout


def test_poll_once_exit_codes(env: dict[str, str], emulator: LiveEmulator) -> None:
    """poll --once exits 2 while the job runs and 1 when it failed; unknown ids exit 1 with a fix."""
    emulator.faults(processing_seconds=3000, fail_tasks=[])
    args = json.dumps({"mode": "t2v", "prompt": "a fox", "resolution": "720P", "duration": 2})
    submitted = json.loads(run(["submit", "--args-json", args, "--json"], env).stdout)
    running = run(["poll", submitted["task"]["task_id"], "--once", "--json"], env)
    assert running.returncode == 2 and json.loads(running.stdout)["state"] == "submitted"
    emulator.admin(f"tasks/{submitted['task']['task_id']}/fail", {"code": "InternalError.Algo", "message": "boom"})
    failed = run(["poll", submitted["task"]["task_id"], "--once", "--json"], env)
    assert failed.returncode == 1 and json.loads(failed.stdout)["error"]["code"] == "InternalError.Algo"
    missing = run(["poll", "nope", "--once", "--json"], env)
    assert missing.returncode == 1 and "list_tasks" in json.loads(missing.stdout)["error"]["fix"]
    in_words = run(["poll", "nope", "--once"], env)
    assert in_words.returncode == 1 and "wan-mcp tasks shows them" in in_words.stderr and not in_words.stdout


def test_submit_refusal_exits_2(env: dict[str, str]) -> None:
    """A doomed submit exits 2 without contacting DashScope: the error object with --json, else the problem and fix."""
    args = json.dumps({"mode": "kf2v", "first_frame": "https://x/a.png"})
    refused = run(["submit", "--args-json", args, "--json"], env)
    assert refused.returncode == 2 and json.loads(refused.stdout)["error"]["field"] == "last_frame"
    in_words = run(["submit", "--args-json", args], env)
    assert in_words.returncode == 2 and not in_words.stdout
    assert in_words.stderr.splitlines()[:2] == [
        "Refused before anything was sent or paid:",
        "  last_frame: wan2.2-kf2v-flash (kf2v) needs last_frame",
    ]


def test_http_refuses_non_loopback_without_token(env: dict[str, str]) -> None:
    """Serving HTTP on a public address without WAN_MCP_HTTP_TOKEN is refused."""
    result = run(["serve", "--transport", "streamable-http", "--host", "0.0.0.0", "--port", "0"], env, timeout=30)
    assert result.returncode == 2 and "WAN_MCP_HTTP_TOKEN" in result.stderr


def test_demo_leaves_a_playable_mp4(tmp_path: Path) -> None:
    """`wan-mcp demo` with no key and no network ends with a playable MP4 in the output folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DASHSCOPE_", "WAN_MCP_"))}
    env["HOME"] = str(tmp_path)
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    result = run(["demo", "--speed", "50"], env, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    videos = list((tmp_path / "wan-mcp").glob("*.mp4"))
    assert len(videos) == 1 and str(videos[0]) in result.stdout
    with av.open(str(videos[0])) as container:
        frames = sum(1 for _ in container.decode(video=0))
        assert frames == 150 and container.streams.audio
    assert (tmp_path / "data" / "wan-mcp" / "demo" / "journal.sqlite3").exists()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _serve_http(env: dict[str, str], port: int) -> subprocess.Popen[str]:
    import time

    import httpx2

    process = subprocess.Popen(
        [sys.executable, "-m", "wan_mcp", "serve", "--transport", "streamable-http", "--port", str(port)],
        env=env,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    for _ in range(600):  # up to a minute on a loaded machine
        try:
            httpx2.get(f"http://127.0.0.1:{port}/mcp", timeout=1)
            return process
        except httpx2.TimeoutException:
            return process  # it answers by holding the GET open (a stateless server's event stream): it is up
        except httpx2.TransportError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("the HTTP server did not start")


def test_streamable_http(env: dict[str, str]) -> None:
    """`serve --transport streamable-http` serves the same tools over HTTP on loopback."""
    import anyio
    from mcp import Client

    port = _free_port()
    process = _serve_http(env, port)
    try:

        async def check() -> None:
            async with Client(f"http://127.0.0.1:{port}/mcp") as client:
                tools = {t.name for t in (await client.list_tools()).tools}
                assert "submit_video" in tools
                result = await client.call_tool("submit_video", {"mode": "t2v", "prompt": "a fox", "dry_run": True})
                assert not result.is_error

        anyio.run(check)
    finally:
        process.terminate()
        process.wait(10)


def test_http_bearer_token(env: dict[str, str]) -> None:
    """With WAN_MCP_HTTP_TOKEN set, a request without the token is refused with 401."""
    import httpx2

    port = _free_port()
    process = _serve_http({**env, "WAN_MCP_HTTP_TOKEN": "tok-123"}, port)
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    try:
        refused = httpx2.post(f"http://127.0.0.1:{port}/mcp", json=body, headers=headers, timeout=10)
        assert refused.status_code == 401
        allowed = httpx2.post(
            f"http://127.0.0.1:{port}/mcp",
            json=body,
            headers={**headers, "Authorization": "Bearer tok-123"},
            timeout=10,
        )
        assert allowed.status_code != 401
    finally:
        process.terminate()
        process.wait(10)


def test_serve_with_a_bad_setting_says_what_to_fix(env: dict[str, str]) -> None:
    """A setting the server cannot use (an unknown region) stops it with one line naming the fix, no traceback."""
    result = run(["serve"], {**env, "DASHSCOPE_REGION": "mars"}, timeout=30)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith("wan-mcp cannot start: unknown region 'mars'. Fix: use one of beijing")
