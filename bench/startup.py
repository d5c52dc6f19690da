"""Start-up and answer time of the wan-mcp server next to a bare MCPServer with one tool, side by side over stdio.

1. Cold start: spawn → answer to tools/list, ROUNDS rounds of one start of each server, their order flipped every
   round (target ≤ 1.10× bare). The ratio is the median over rounds of each round's ratio: the machine's speed drifts
   (a shared machine's by a third within minutes), and two starts in a row see the same machine. The medians of each
   server's starts are printed beside it. wan-mcp's package is byte-compiled first, as an installer does: a start then
   reads its bytecode, as the SDK's is read, instead of compiling its sources each time (which is what happens where
   PYTHONDONTWRITEBYTECODE is set or the install is read-only).
2. list_modes: median time of list_modes (the overview) against the bare server's echo tool, CALLS calls each in one
   session (target ≤ 1.5× echo); and, for the record, poll_task on a delivered job.

    python bench/startup.py [--rounds 15] [--calls 300]
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import anyio
from _emulator import KEY, emulator_apart
from mcp import Client, StdioServerParameters

import wan_mcp

BARE = """
from mcp.server import MCPServer
mcp = MCPServer("bare")

@mcp.tool()
def echo(text: str) -> str:
    \"\"\"Echo the text.\"\"\"
    return text

mcp.run("stdio")
"""


async def cold_start(params: StdioServerParameters) -> float:
    start = time.perf_counter()
    async with Client(params) as client:
        await client.list_tools()
        return time.perf_counter() - start


async def call_times(params: StdioServerParameters, tool: str, arguments: dict[str, object], calls: int) -> list[float]:
    times = []
    async with Client(params) as client:
        await client.call_tool(tool, arguments)  # the first call of a session is not the one measured
        for _ in range(calls):
            start = time.perf_counter()
            result = await client.call_tool(tool, arguments)
            times.append(time.perf_counter() - start)
            assert not result.is_error, result
    return times


async def delivered_job(params: StdioServerParameters) -> str:
    """A job delivered through the server (for the poll_task line)."""
    async with Client(params) as client:
        args = {"mode": "t2v", "prompt": "a fox", "resolution": "720P", "duration": 2, "wait_seconds": 30}
        task = json.loads((await client.call_tool("submit_video", args)).content[0].text)["task"]
        while task["state"] != "delivered":
            result = await client.call_tool("poll_task", {"task_id": task["task_id"], "wait_seconds": 30})
            task = json.loads(result.content[0].text)
        return str(task["task_id"])


def verdict(ratio: float, target: float) -> str:
    return f"ratio {ratio:.2f} (target ≤ {target:.2f}): {'MEETS' if ratio <= target else 'MISSES'}"


async def main(rounds: int, calls: int) -> None:
    compileall.compile_dir(Path(wan_mcp.__file__).parent, quiet=1)
    with tempfile.TemporaryDirectory() as tmp, emulator_apart(speed=1000) as live:
        env = {
            **os.environ,
            "DASHSCOPE_API_KEY": KEY,
            "DASHSCOPE_BASE_URL": live.base_url,
            "WAN_MCP_DATA_DIR": str(Path(tmp) / "data"),
            "WAN_MCP_OUTPUT_DIR": str(Path(tmp) / "videos"),
            "WAN_MCP_POLL_SPEED": "1000",
            "WAN_MCP_LOG_LEVEL": "WARNING",
            "HOME": tmp,
        }
        ours = StdioServerParameters(command=sys.executable, args=["-m", "wan_mcp"], env=env)
        bare = StdioServerParameters(command=sys.executable, args=["-c", BARE], env=env)
        task_id = await delivered_job(ours)
        starts: dict[str, list[float]] = {"wan-mcp": [], "bare": []}
        for round_ in range(rounds):
            for name in ("wan-mcp", "bare") if round_ % 2 == 0 else ("bare", "wan-mcp"):
                starts[name].append(await cold_start(ours if name == "wan-mcp" else bare))
        echo = await call_times(bare, "echo", {"text": "hello"}, calls)
        modes = await call_times(ours, "list_modes", {}, calls)
        poll = await call_times(ours, "poll_task", {"task_id": task_id}, calls)
    start_ours, start_bare = statistics.median(starts["wan-mcp"]), statistics.median(starts["bare"])
    paired = statistics.median(a / b for a, b in zip(starts["wan-mcp"], starts["bare"], strict=True))
    print(f"cold start (spawn → tools/list), {rounds} rounds, order flipped every round:")
    print(f"  medians: wan-mcp {start_ours * 1000:.0f} ms, bare MCPServer {start_bare * 1000:.0f} ms")
    print(f"  median of the rounds' ratios: {verdict(paired, 1.10)}")
    echo_ms, modes_ms, poll_ms = (statistics.median(t) * 1000 for t in (echo, modes, poll))
    print(f"tool calls over stdio, median of {calls}: echo (bare) {echo_ms:.2f} ms, list_modes {modes_ms:.2f} ms")
    print(f"  list_modes {verdict(modes_ms / echo_ms, 1.5)}")
    print(f"  poll_task on a delivered job {poll_ms:.2f} ms ({poll_ms / echo_ms:.2f}× echo)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=300)
    options = parser.parse_args()
    anyio.run(main, options.rounds, options.calls)
