"""Startup and tool-call overhead of the wan-mcp server vs a bare MCPServer with one tool, side by side over stdio.

1. Cold start: spawn → answer to tools/list, alternating the two servers, ROUNDS times (target ratio ≤ 1.3).
2. Tool-call overhead: median time of poll_task on a finished task (journal only, no network) vs an echo tool
   on the bare server, CALLS calls each in one session (target ratio ≤ 2).

    python bench/startup.py [--rounds 10] [--calls 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import anyio
from _emulator import KEY, emulator
from mcp import Client, StdioServerParameters

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
        for _ in range(calls):
            start = time.perf_counter()
            result = await client.call_tool(tool, arguments)
            times.append(time.perf_counter() - start)
            assert not result.is_error, result
    return times


async def main(rounds: int, calls: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, emulator(speed=1000) as live:
        env = {
            **os.environ,
            "DASHSCOPE_API_KEY": KEY,
            "DASHSCOPE_BASE_URL": live.base_url,
            "WAN_MCP_DATA_DIR": str(Path(tmp) / "data"),
            "WAN_MCP_OUTPUT_DIR": str(Path(tmp) / "videos"),
            "WAN_MCP_POLL_SPEED": "1000",
            "WAN_MCP_LOG_LEVEL": "WARNING",
        }
        ours = StdioServerParameters(command=sys.executable, args=["-m", "wan_mcp"], env=env)
        bare = StdioServerParameters(command=sys.executable, args=["-c", BARE], env=env)
        async with Client(ours) as client:
            args = {"mode": "t2v", "prompt": "a fox", "resolution": "720P", "duration": 2, "wait_seconds": 30}
            done = (await client.call_tool("submit_video", args)).structured_content
            task_id = done["task"]["task_id"]  # type: ignore[index]
            state = done["task"]["state"]  # type: ignore[index]
            while state != "delivered":
                state = (
                    await client.call_tool("poll_task", {"task_id": task_id, "wait_seconds": 30})
                ).structured_content["state"]  # type: ignore[index]
        starts: dict[str, list[float]] = {"wan-mcp": [], "bare": []}
        for _ in range(rounds):
            starts["wan-mcp"].append(await cold_start(ours))
            starts["bare"].append(await cold_start(bare))
        ours_calls = await call_times(ours, "poll_task", {"task_id": task_id}, calls)
        bare_calls = await call_times(bare, "echo", {"text": "hello"}, calls)
    start_ours, start_bare = statistics.median(starts["wan-mcp"]), statistics.median(starts["bare"])
    call_ours, call_bare = statistics.median(ours_calls), statistics.median(bare_calls)
    print(
        f"cold start (spawn → tools/list), median of {rounds}: wan-mcp {start_ours * 1000:.0f} ms, "
        f"bare {start_bare * 1000:.0f} ms"
    )
    ratio = start_ours / start_bare
    print(f"  ratio {ratio:.2f} (target ≤ 1.30): {'MEETS' if ratio <= 1.3 else 'MISSES'}")
    print(
        f"tool call, median of {calls}: poll_task on a finished task {call_ours * 1000:.2f} ms, "
        f"bare echo {call_bare * 1000:.2f} ms"
    )
    ratio = call_ours / call_bare
    print(f"  ratio {ratio:.2f} (target ≤ 2.00): {'MEETS' if ratio <= 2 else 'MISSES'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--calls", type=int, default=200)
    options = parser.parse_args()
    anyio.run(main, options.rounds, options.calls)
