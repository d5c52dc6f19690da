"""Start the DashScope emulator in a background thread for a benchmark run."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx2
from anyio.from_thread import start_blocking_portal

from wan_mcp.emulator.app import Emulator, EmulatorConfig

KEY = "sk-bench-0000"


class Running:
    def __init__(self, emulator: Emulator, port: int) -> None:
        self.emulator = emulator
        self.root = f"http://127.0.0.1:{port}"
        self.base_url = self.root + "/api/v1"

    def admin(self, action: str, body: dict[str, Any] | None = None) -> Any:
        with httpx2.Client(timeout=60) as http:
            url = f"{self.root}/__emulator__/{action}"
            response = http.post(url, json=body) if body is not None else http.get(url)
        response.raise_for_status()
        return response.json()


@contextmanager
def emulator_process(*args: str) -> Iterator[Running]:
    """`wan-mcp emulator` in its own process (as DashScope is remote: no shared interpreter with the client)."""
    command = [sys.executable, "-m", "wan_mcp", "emulator", "--port", "0", "--api-key", KEY, *args]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        for line in process.stderr:
            found = re.search(r"listening on http://[^:]+:(\d+)", line)
            if found:
                break
        else:
            raise RuntimeError("the emulator did not start")
        running = Running.__new__(Running)
        running.root = f"http://127.0.0.1:{found.group(1)}"
        running.base_url = running.root + "/api/v1"
        yield running
    finally:
        process.terminate()
        process.wait(10)


SERVE = """
import json, sys, anyio
from wan_mcp.emulator.app import Emulator, EmulatorConfig
emulator = Emulator(EmulatorConfig(**json.loads(sys.argv[1])))
async def main():
    async with anyio.create_task_group() as group:
        port = await group.start(emulator.serve)
        print(port, flush=True)
anyio.run(main)
"""


@contextmanager
def emulator_apart(**config: Any) -> Iterator[Running]:
    """An emulator with this config in its own process (no interpreter shared with the client, as DashScope is
    remote); its admin API over HTTP."""
    config.setdefault("api_key", KEY)
    process = subprocess.Popen([sys.executable, "-c", SERVE, json.dumps(config)], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        running = Running.__new__(Running)
        running.root = f"http://127.0.0.1:{port}"
        running.base_url = running.root + "/api/v1"
        yield running
    finally:
        process.terminate()
        process.wait(10)


@contextmanager
def emulator(**config: Any) -> Iterator[Running]:
    config.setdefault("api_key", KEY)
    emu = Emulator(EmulatorConfig(**config))
    with start_blocking_portal() as portal:
        future, port = portal.start_task(emu.serve)
        try:
            yield Running(emu, port)
        finally:
            future.cancel()
            emu.close()
