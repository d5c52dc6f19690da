"""wan-mcp served over HTTP for several users: tenants by bearer token, signed download links, and an HTTP surface
that is safe on every address (DNS-rebinding protection everywhere, no token in URLs)."""

from __future__ import annotations

import hashlib
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from conftest import CANARY_KEY, LiveEmulator, result_data

TOKENS = {"alice": "tok-alice-5d1e", "bob": "tok-bob-88c2"}
T2V = {"mode": "t2v", "prompt": "a red fox in the snow", "resolution": "720P", "duration": 2}
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def tenants_file(tmp_path: Path) -> Path:
    lines = []
    for name, token in TOKENS.items():
        lines += [f"[tenants.{name}]", f'token_sha256 = "{hashlib.sha256(token.encode()).hexdigest()}"', ""]
    path = tmp_path / "tenants.toml"
    path.write_text("\n".join(lines))
    return path


@pytest.fixture
def hosted(emulator: LiveEmulator, tmp_path: Path) -> Iterator[tuple[str, LiveEmulator, Path]]:
    """One hosted replica on 127.0.0.2 (a loopback address that is not 127.0.0.1), with two tenants."""
    port = free_port()
    env = emulator.server_env(tmp_path, inherit=True, WAN_MCP_TENANTS=str(tenants_file(tmp_path)))
    command = [sys.executable, "-m", "wan_mcp", "serve", "--transport", "streamable-http"]
    with (tmp_path / "stderr.log").open("ab") as log:
        process = subprocess.Popen([*command, "--host", "127.0.0.2", "--port", str(port)], env=env, stderr=log)
    url = f"http://127.0.0.2:{port}"
    try:
        for _ in range(200):
            try:
                httpx2.get(url + "/mcp", timeout=1)
                break
            except httpx2.TransportError:
                time.sleep(0.05)
        yield url, emulator, tmp_path
    finally:
        process.terminate()
        process.wait(10)
    assert CANARY_KEY.encode() not in (tmp_path / "stderr.log").read_bytes()
    for token in TOKENS.values():
        assert token.encode() not in (tmp_path / "stderr.log").read_bytes()


@asynccontextmanager
async def as_tenant(url: str, name: str) -> AsyncIterator[Client]:
    """An MCP client over HTTP that sends a tenant's bearer token."""
    headers = {"Authorization": f"Bearer {TOKENS[name]}"}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=60) as http,
        Client(streamable_http_client(url + "/mcp", http_client=http)) as client,
    ):
        yield client


def test_tenants_see_only_their_own_jobs_and_fetch_their_files(hosted: tuple[str, LiveEmulator, Path]) -> None:
    """Alice's job is hers: Bob's poll, cancel and list answer as for an unknown id; her signed link streams the
    verified file (whole and by range) to anyone holding it, and Bob's link to her job does not exist."""
    url, _, tmp_path = hosted

    async def scenario() -> dict[str, Any]:
        async with as_tenant(url, "alice") as alice, as_tenant(url, "bob") as bob:
            submitted = result_data(await alice.call_tool("submit_video", {**T2V, "wait_seconds": 30}))
            task = submitted["task"]
            while task["state"] != "delivered":
                result = await alice.call_tool("poll_task", {"task_id": task["task_id"], "wait_seconds": 20})
                task = result_data(result)
            theirs = await bob.call_tool("poll_task", {"task_id": task["task_id"]})
            unknown = await bob.call_tool("poll_task", {"task_id": "no-such-task"})
            listed = result_data(await bob.call_tool("list_tasks", {}))
            assert theirs.is_error and unknown.is_error
            assert theirs.content[0].text.replace(task["task_id"], "X") == unknown.content[0].text.replace(
                "no-such-task", "X"
            )
            assert "tasks" not in listed and listed["message"].startswith("0 jobs")
            return task

    task = anyio.run(scenario)
    link = task["download_url"]
    assert link.startswith(url + "/files/") and Path(task["local_path"]).parent == tmp_path / "videos" / "alice"
    whole = httpx2.get(link, timeout=30)
    assert whole.status_code == 200 and whole.headers["content-type"] == "video/mp4"
    assert hashlib.sha256(whole.content).hexdigest() == task["sha256"]
    part = httpx2.get(link, headers={"Range": "bytes=0-99"}, timeout=30)
    assert part.status_code == 206 and part.content == whole.content[:100]
    forged = link[:-4] + ("AAAA" if not link.endswith("AAAA") else "BBBB")
    assert httpx2.get(forged, timeout=30).status_code == 404


def test_every_address_is_protected(hosted: tuple[str, LiveEmulator, Path]) -> None:
    """On 127.0.0.2 a foreign Host header or Origin is refused (DNS rebinding), a token in the URL is refused, and a
    request without a token is 401."""
    url, _, _ = hosted
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    bearer = {**HEADERS, "Authorization": f"Bearer {TOKENS['alice']}"}
    assert httpx2.post(url + "/mcp", json=body, headers=HEADERS, timeout=10).status_code == 401
    rebound = httpx2.post(url + "/mcp", json=body, headers={**bearer, "Host": "evil.example:80"}, timeout=10)
    assert rebound.status_code == 421
    foreign = httpx2.post(url + "/mcp", json=body, headers={**bearer, "Origin": "https://evil.example"}, timeout=10)
    assert foreign.status_code == 403
    in_url = httpx2.post(url + f"/mcp?access_token={TOKENS['alice']}", json=body, headers=HEADERS, timeout=10)
    assert in_url.status_code == 400 and "Authorization header" in in_url.text
    hello = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
    }
    assert httpx2.post(url + "/mcp", json=hello, headers=bearer, timeout=10).status_code == 200
