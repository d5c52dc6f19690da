"""The player inside the chat, in a real browser: headless Chromium renders it in a minimal MCP Apps host page
(tests/browser) against a real wan-mcp and the emulator, over stdio and over streamable HTTP.

scripts/browser-deps installs Chromium and the npm packages when they are missing; this test fails, saying what,
when they cannot be installed. The stdio run writes the README's screenshots (docs/player-running.png, docs/player.png).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from conftest import LiveEmulator

ROOT = Path(__file__).resolve().parent.parent
DURATION = 5
SPEED = 50.0  # a job takes seconds, but is still queued when submit_video returns


@pytest.fixture(scope="module")
def harness() -> Path:
    """The host page and its runner, beside the npm packages scripts/browser-deps installed."""
    done = subprocess.run([ROOT / "scripts" / "browser-deps"], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.fail(f"the browser test could not install what it needs:\n{done.stderr}")
    folder = Path(done.stdout.strip().splitlines()[-1]) / "harness"
    shutil.copytree(ROOT / "tests" / "browser", folder, dirs_exist_ok=True)
    return folder


def run_host(harness: Path, env: dict[str, str], report: Path, *args: str) -> dict[str, Any]:
    """Run the host page's scenario in Chromium; its report of what the player showed and played."""
    chromium = os.environ.get("WAN_MCP_CHROMIUM", "/usr/bin/chromium")
    command = ["node", str(harness / "player-host.mjs"), f"--chromium={chromium}", f"--report={report}", *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    if not report.exists():
        pytest.fail(f"the browser host wrote no report (exit {done.returncode}):\n{done.stderr[-4000:]}")
    data: dict[str, Any] = json.loads(report.read_text())
    calls = "\n".join(f"{c['at']:7.2f} s  {c['method']} {c['target']}" for c in data["calls"])
    seen = "\n".join(
        f"{p['at']:7.2f} s  {p['phase']}: {p['label']} {p['clock']} | {p['note']}" for p in data["phases"][-8:]
    )
    console = "\n".join(data["console"][-10:] + data["errors"][-5:])
    stderr = data.get("serverStderr", "")[-3000:]
    assert data["ok"], (
        f"{data.get('error')}\n--- calls ---\n{calls}\n--- the player showed ---\n{seen}\n--- console ---\n{console}"
        f"\n--- wan-mcp stderr ---\n{stderr}"
    )
    return data


def assert_played(data: dict[str, Any]) -> None:
    """The player reached 'ready' and its <video> played the delivered file for its whole length."""
    assert data["phases"][-1]["phase"] == "ready"
    job, video = data["job"], data["video"]
    assert job["state"] == "delivered"
    assert video["readyState"] >= 3 and video["src"].startswith("data:video/mp4;base64,")
    assert video["duration"] == pytest.approx(job["video"]["duration"], abs=0.1)
    assert video["duration"] == pytest.approx(DURATION, abs=0.25)
    assert (video["width"], video["height"]) == (job["video"]["width"], job["video"]["height"])
    assert video["later"]["currentTime"] > video["currentTime"] and not video["later"]["paused"]
    reads = [c for c in data["calls"] if c["method"] == "resources/read"]
    assert reads and all(c["target"].startswith(f"wan://videos/{job['handle']}/") for c in reads)
    facts = " ".join(data["facts"])
    assert "Length5.0 s" in facts and "Sound" in facts and "Cost" in facts and "MB" in facts
    assert data["saveOffered"]
    [saved] = data["downloads"]
    assert saved["bytes"] == job["size_bytes"] and saved["mimeType"] == "video/mp4"
    assert saved["uri"].endswith("/" + Path(job["local_path"]).name)
    assert min(data["contrast"].values()) >= 4.5, data["contrast"]  # WCAG AA, light and dark
    assert not data["errors"] and not [m for m in data["console"] if m.startswith("error")], data["console"]


@pytest.fixture
def videos() -> Iterator[Path]:
    """An output folder with a short name, for the README's picture."""
    folder = Path(tempfile.mkdtemp(prefix="wan-mcp-"))
    yield folder / "Videos"
    shutil.rmtree(folder)


def test_player_shows_progress_then_plays_over_stdio(
    harness: Path, make_emulator: Callable[..., LiveEmulator], videos: Path, tmp_path: Path
) -> None:
    """Over stdio, the submit_video player shows the queued job with its clock and expected wait, polls it itself
    no faster than the server advises, then plays the verified video (and writes the README's screenshots)."""
    emulator = make_emulator(speed=SPEED)
    env = emulator.server_env(
        tmp_path,
        inherit=True,
        WAN_MCP_OUTPUT_DIR=str(videos),
        WAN_MCP_COMMAND=json.dumps([sys.executable, "-m", "wan_mcp"]),
    )
    docs = ROOT / "docs"
    docs.mkdir(exist_ok=True)
    data = run_host(
        harness,
        env,
        tmp_path / "report.json",
        "--scenario=self-poll",
        f"--duration={DURATION}",
        f"--running-screenshot={docs / 'player-running.png'}",
        f"--screenshot={docs / 'player.png'}",
        f"--dark-screenshot={tmp_path / 'player-dark.png'}",
    )
    assert data["boundTools"] == ["extend_video", "make_long_video", "poll_task", "submit_video"]
    assert data["resource"]["mimeType"] == "text/html;profile=mcp-app"
    running = [p for p in data["phases"] if p["phase"] == "running"]
    assert running and running[0]["label"] in ("Queued", "Generating")
    assert len({p["clock"] for p in running}) >= 3, "the elapsed time did not advance"
    assert "usually" in running[0]["detail"] and running[-1]["note"].startswith("Checking again in")
    polls = [c["at"] for c in data["calls"] if c["method"] == "tools/call" and c["target"] == "poll_task"]
    submitted_at = next(c["at"] for c in data["calls"] if c["target"] == "submit_video")
    assert polls, "the player never polled the job itself"
    assert polls[0] - submitted_at >= 14.5, "the player polled before the 15 s the server advises for a queued job"
    assert_played(data)


@pytest.fixture
def http_server(make_emulator: Callable[..., LiveEmulator], tmp_path: Path) -> Iterator[str]:
    """A `wan-mcp serve --transport streamable-http` on a free loopback port, talking to a fast emulator."""
    emulator = make_emulator(speed=SPEED)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = emulator.server_env(tmp_path, inherit=True)
    command = [sys.executable, "-m", "wan_mcp", "serve", "--transport", "streamable-http", "--port", str(port)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        for _ in range(100):
            try:
                httpx2.get(url, timeout=1)
                break
            except httpx2.TransportError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def test_player_plays_a_result_the_agent_polled_over_http(harness: Path, http_server: str, tmp_path: Path) -> None:
    """Over streamable HTTP, the poll_task player receives the agent's delivered result (with the player's cost in
    its _meta) and plays the video it reads through the host."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DASHSCOPE_", "WAN_MCP_"))}
    data = run_host(harness, env, tmp_path / "report.json", "--scenario=agent-poll", f"--url={http_server}")
    assert data["polled"]["state"] == "delivered"
    assert data["polled"]["meta"]["wan-mcp/player"]["currency"]
    assert_played(data)
