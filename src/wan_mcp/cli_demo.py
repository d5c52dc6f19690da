"""`wan-mcp demo`: the whole product on one machine with no key and no network (part of the command line).

It starts the DashScope emulator on a free loopback port, launches the MCP server as a real stdio subprocess
pointed at it, and drives it with the MCP client as an agent would: list_modes, a dry run (cost and wait),
submit_video for a 5 s 720P t2v, then poll_task with progress until the video is downloaded and verified. The
MP4 stays in the output folder. The demo keeps its own journal, so its jobs never mix with real ones.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
from mcp import Client, StdioServerParameters

from wan_mcp.config import load_settings
from wan_mcp.inputs import probe_file
from wan_mcp.states import FINAL_STATES, JobState


def say(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def start_emulator(speed: float, key: str) -> tuple[subprocess.Popen[str], str]:
    """`wan-mcp emulator` on a free loopback port; returns the process and its API base URL."""
    seed = str(secrets.randbelow(2**31))  # fresh task ids on every run
    command = [sys.executable, "-m", "wan_mcp", "emulator", "--port", "0", "--speed", str(speed), "--api-key", key]
    command += ["--seed", seed]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    deadline = time.monotonic() + 30
    for line in process.stderr:
        found = re.search(r"listening on (http://\S+/api/v1)", line)
        if found:
            return process, found.group(1)
        if time.monotonic() > deadline:
            break
    process.kill()
    raise RuntimeError("the emulator did not start")


def run_demo(*, speed: float = 20.0, prompt: str = "A red fox trotting through fresh snow at sunrise") -> int:
    """Run the demo; exit code 0 when a verified, playable MP4 was produced."""
    key = "sk-demo-" + secrets.token_hex(8)
    emulator, base_url = start_emulator(speed, key)
    try:
        return anyio.run(_drive, base_url, key, prompt, speed)
    finally:
        emulator.terminate()
        emulator.wait(10)


async def _drive(base_url: str, key: str, prompt: str, speed: float) -> int:
    settings = load_settings()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DASHSCOPE_", "WAN_MCP_"))},
        "DASHSCOPE_API_KEY": key,
        "DASHSCOPE_BASE_URL": base_url,
        "WAN_MCP_DATA_DIR": str(settings.data_dir / "demo"),
        "WAN_MCP_OUTPUT_DIR": str(settings.output_dir),
        "WAN_MCP_LOG_LEVEL": "WARNING",
        "WAN_MCP_POLL_SPEED": str(speed),  # the emulator runs this much faster: so may the background polling
    }
    say(f"wan-mcp demo: the DashScope emulator is at {base_url} (no key, no network, no money).")
    server = StdioServerParameters(command=sys.executable, args=["-m", "wan_mcp", "serve"], env=env)
    async with Client(server) as client:
        say(f"Started the MCP server over stdio: {', '.join(t.name for t in (await client.list_tools()).tools)}.")

        modes = _structured(await client.call_tool("list_modes", {}))
        say(f"\n1. list_modes: {len(modes['modes'])} modes, {len(modes['models'])} models in {modes['region']}.")

        args = {"mode": "t2v", "prompt": prompt, "resolution": "720P", "duration": 5}
        plan = _structured(await client.call_tool("submit_video", {**args, "dry_run": True}))
        say(f"2. dry run with {plan['model']}: {plan['message']}")

        async def progress(progress: float, total: float | None, message: str | None) -> None:
            shown = f" ({progress:.0f}/{total:.0f} s typical)" if total else ""
            say(f"   … {message}{shown}")

        submitted = _structured(
            await client.call_tool("submit_video", {**args, "wait_seconds": 20}, progress_callback=progress)
        )
        task = submitted["task"]
        say(f"3. submit_video: task {task['task_id']} ({task.get('status', task['state'])}). {submitted['message']}")
        while task["state"] not in FINAL_STATES:
            task = _structured(
                await client.call_tool(
                    "poll_task", {"task_id": task["task_id"], "wait_seconds": 45}, progress_callback=progress
                )
            )
            say(f"4. poll_task: {task.get('status', '-')} / {task['state']}")
        if task["state"] != JobState.DELIVERED:
            say(f"The job ended {task['state']}: {task['message']}")
            return 1
    path = Path(task["local_path"])
    info = probe_file(path)
    codecs = " + ".join(c for c in (info.video_codec, info.audio_codec) if c)
    say(f"\nDone. The video is at:\n  {path}")
    say(
        f"  {task['size_bytes']:,} bytes, SHA-256 {task['sha256'][:16]}…, {info.seconds or 0:.1f} s, "
        f"{info.width}×{info.height}, {codecs}, {'with' if info.has_audio else 'no'} sound"
    )
    return 0


def _structured(result: Any) -> dict[str, Any]:
    if result.is_error:
        text = result.content[0].text if result.content else "tool error"
        raise RuntimeError(text)
    data: dict[str, Any] = json.loads(result.content[0].text)
    return data
