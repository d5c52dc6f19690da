#!/usr/bin/env python3
"""Make the README's pictures from a real job: docs/contact-sheet.png is the contact sheet an agent receives.

Starts the DashScope emulator (fixed seed, so the picture changes only when the product does), runs wan-mcp as an
MCP server over stdio, submits a 5 s 720P text-to-video job with submit_video, polls it with poll_task until the
video is delivered and saves the contact sheet from that result as a PNG. Needs the media extra (PyAV).
Usage: scripts/readme_images.py [--out FOLDER]   (default: docs/)
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import anyio
import av
from mcp import Client, StdioServerParameters

ROOT = Path(__file__).resolve().parent.parent
PROMPT = "A red fox trotting through fresh snow at sunrise, cinematic, soft light"
KEY = "sk-readme-images"
FINAL = ("delivered", "failed", "expired", "rejected", "canceled", "unknown")


def start_emulator() -> tuple[subprocess.Popen[str], str]:
    """`wan-mcp emulator` on a free port, 50 times faster, seed 1; its process and API base URL."""
    command = [sys.executable, "-m", "wan_mcp", "emulator", "--port", "0", "--speed", "50", "--seed", "1"]
    process = subprocess.Popen([*command, "--api-key", KEY], stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    for line in process.stderr:
        found = re.search(r"listening on (http://\S+/api/v1)", line)
        if found:
            return process, found.group(1)
    process.kill()
    raise SystemExit("the emulator did not start")


async def contact_sheet(base_url: str, folder: Path) -> bytes:
    """The JPEG contact sheet of a delivered job, as poll_task returns it to the agent."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DASHSCOPE_", "WAN_MCP_"))}
    env |= {"DASHSCOPE_API_KEY": KEY, "DASHSCOPE_BASE_URL": base_url, "WAN_MCP_POLL_SPEED": "50"}
    env |= {"WAN_MCP_DATA_DIR": str(folder / "data"), "WAN_MCP_OUTPUT_DIR": str(folder / "videos")}
    server = StdioServerParameters(command=sys.executable, args=["-m", "wan_mcp", "serve"], env=env)
    async with Client(server) as client:
        arguments = {"mode": "t2v", "prompt": PROMPT, "resolution": "720P", "duration": 5}
        task = _structured(await client.call_tool("submit_video", arguments))["task"]
        result: Any = None
        while result is None or _structured(result)["state"] not in FINAL:
            result = await client.call_tool("poll_task", {"task_id": task["task_id"], "wait_seconds": 30})
    if _structured(result)["state"] != "delivered":
        raise SystemExit(f"the job ended {_structured(result)['state']}")
    images = [block for block in result.content if block.type == "image"]
    if not images:
        raise SystemExit("poll_task returned no contact sheet (is the media extra installed?)")
    return base64.b64decode(images[0].data)


def _structured(result: Any) -> dict[str, Any]:
    if result.is_error:
        raise SystemExit(result.content[0].text)
    data: dict[str, Any] = json.loads(result.content[0].text)  # a result's facts are its text
    return data


def png(jpeg: bytes) -> bytes:
    """A JPEG picture re-encoded as PNG (lossless from here on)."""
    with av.open(io.BytesIO(jpeg)) as container:
        frame = next(container.decode(video=0)).reformat(format="rgb24")
    encoder = av.CodecContext.create("png", "w")
    encoder.width, encoder.height, encoder.pix_fmt = frame.width, frame.height, "rgb24"
    return b"".join(bytes(packet) for packet in [*encoder.encode(frame), *encoder.encode(None)])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="the folder to write to (default docs/)")
    out = parser.parse_args().out
    emulator, base_url = start_emulator()
    try:
        with tempfile.TemporaryDirectory() as folder:
            sheet = anyio.run(contact_sheet, base_url, Path(folder))
    finally:
        emulator.terminate()
        emulator.wait(10)
    out.mkdir(parents=True, exist_ok=True)
    target = out / "contact-sheet.png"
    target.write_bytes(png(sheet))
    print(f"{target} ({target.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
