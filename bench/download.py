"""Download benchmark: wan-mcp's verified, resumable download vs a bare httpx2 streamed download of the same file.

wan-mcp's side verifies as it does for users: length, CRC-64 against the emulator's x-oss-hash-crc64ecma (as OSS
sends it), SHA-256, and the MP4 walked to its last sample; the run fails unless the CRC-64 was actually compared.

A ~120 MB result (1080P, 15 s, dense keyframes) is served by the emulator in its own process. Each method runs
in a fresh Python process (so peak RSS is its own; the timer covers the transfer, not building the client), after
os.sync() so that the write-back of the previous run does not slow the next, alternating, ROUNDS times; medians
are reported. Targets: peak RSS growth below 32 MB, throughput at least 80 % of the bare download.

    python bench/download.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx2
from _emulator import KEY, emulator_process

CHILD = r"""
import json, resource, sys, time, asyncio
from pathlib import Path
method, url, dest = sys.argv[1], sys.argv[2], Path(sys.argv[3])
import httpx2
from pydantic import SecretStr
from wan_mcp.dashscope import DashScopeClient
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

async def ours():
    async with DashScopeClient(base_url="http://unused/api/v1", api_key=SecretStr("sk")) as client:
        start = time.perf_counter()
        result = await client.download(url, dest)
        seconds = time.perf_counter() - start
        assert result.verification.crc64 == "matched", result.verification.summary
        print(result.verification.summary, file=sys.stderr)
        return result.size_bytes, seconds

async def bare():
    size = 0
    async with httpx2.AsyncClient(timeout=60) as http:
        start = time.perf_counter()
        async with http.stream("GET", url) as response:
            with dest.open("wb") as handle:
                async for chunk in response.aiter_bytes(1024 * 1024):
                    handle.write(chunk)
                    size += len(chunk)
        return size, time.perf_counter() - start

size, seconds = asyncio.run(ours() if method == "wan-mcp" else bare())
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"bytes": size, "seconds": seconds, "rss_growth_kb": after - before}))
"""


def run(method: str, url: str, dest: Path) -> dict[str, float]:
    dest.unlink(missing_ok=True)
    os.sync()  # start every run without the previous run's 120 MB of dirty pages still being written back
    output = subprocess.run(
        [sys.executable, "-c", CHILD, method, url, str(dest)], capture_output=True, text=True, check=True
    )
    result: dict[str, float] = json.loads(output.stdout)
    if output.stderr.strip():
        VERIFIED.add(output.stderr.strip())
    return result


VERIFIED: set[str] = set()


def main(rounds: int) -> None:
    with emulator_process("--speed", "1000", "--seed", "3") as live:
        live.admin("faults", {"keyframe_seconds": 0.4})
        body = {"model": "wan2.6-t2v", "input": {"prompt": "big"}, "parameters": {"size": "1920*1080", "duration": 15}}
        headers = {"Authorization": f"Bearer {KEY}", "X-DashScope-Async": "enable"}
        with httpx2.Client(timeout=120) as http:
            task = http.post(
                f"{live.base_url}/services/aigc/video-generation/video-synthesis", json=body, headers=headers
            )
            task_id = task.json()["output"]["task_id"]
            while True:
                data = http.get(f"{live.base_url}/tasks/{task_id}", headers=headers).json()
                if data["output"]["task_status"] == "SUCCEEDED":
                    break
                time.sleep(0.05)
            url = data["output"]["video_url"]
            http.get(url, headers={"Range": "bytes=0-0"})  # make the emulator write the file before timing
        results: dict[str, list[dict[str, float]]] = {"wan-mcp": [], "bare httpx2": []}
        with tempfile.TemporaryDirectory() as tmp:
            for _ in range(rounds):
                for method, rows in results.items():
                    rows.append(run(method, url, Path(tmp) / "v.mp4"))
        size = results["wan-mcp"][0]["bytes"]
        print(f"file: {size / 1e6:.1f} MB; {rounds} rounds, each method in a fresh process, medians\n")
        medians = {}
        for method, rows in results.items():
            seconds = statistics.median(r["seconds"] for r in rows)
            rss = statistics.median(r["rss_growth_kb"] for r in rows) / 1024
            medians[method] = (size / seconds / 1e6, rss)
            print(f"{method:12} {size / seconds / 1e6:8.1f} MB/s   peak RSS growth {rss:6.1f} MB")
        ratio = medians["wan-mcp"][0] / medians["bare httpx2"][0]
        rss = medians["wan-mcp"][1]
        verdict = "MEETS" if ratio >= 0.8 and rss < 32 else "MISSES"
        print(f"\nthroughput wan-mcp / bare = {ratio:.2f} (target ≥ 0.80); peak RSS growth {rss:.1f} MB (target < 32)")
        for summary in sorted(VERIFIED):
            print(f"wan-mcp {summary}")
        print(verdict)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    main(parser.parse_args().rounds)
