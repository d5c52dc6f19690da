"""Shared fixtures: a live DashScope emulator on loopback, and the anyio backend."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal

from wan_mcp.emulator.app import Emulator, EmulatorConfig

CANARY_KEY = "sk-canary-7f3e9a1c5b2d4e6f8a0b"
TOOLS = frozenset(
    {
        "list_modes",
        "submit_video",
        "poll_task",
        "list_tasks",
        "cancel_task",
        "extract_frame",
        "merge_media",
        "make_long_video",
        "extend_video",
    }
)


@dataclass
class LiveEmulator:
    """An emulator serving on 127.0.0.1 in a background thread."""

    emulator: Emulator
    port: int
    portal: BlockingPortal

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return self.root + "/api/v1"

    def admin(self, action: str, body: dict[str, Any] | None = None) -> Any:
        """Call the emulator's admin API (faults, state, log, task actions)."""
        url = f"{self.root}/__emulator__/{action}"
        with httpx2.Client(timeout=10) as http:
            response = http.post(url, json=body or {}) if body is not None else http.get(url)
        response.raise_for_status()
        return response.json()

    def server_env(self, tmp_path: Path, *, inherit: bool = False, **extra: str) -> dict[str, str]:
        """The environment of a wan-mcp that talks to this emulator with the canary key, keeps its journal and videos
        under `tmp_path` (its HOME too) and polls at the emulator's speed; `extra` adds or overrides variables.

        inherit: start from this process's environment without its DASHSCOPE_* and WAN_MCP_* (for a subprocess).
        """
        inherited = os.environ.items() if inherit else ()
        return {
            **{k: v for k, v in inherited if not k.startswith(("DASHSCOPE_", "WAN_MCP_"))},
            "DASHSCOPE_API_KEY": CANARY_KEY,
            "DASHSCOPE_BASE_URL": self.base_url,
            "WAN_MCP_DATA_DIR": str(tmp_path / "data"),
            "WAN_MCP_OUTPUT_DIR": str(tmp_path / "videos"),
            "WAN_MCP_POLL_SPEED": str(self.emulator.config.speed),
            "HOME": str(tmp_path),
            **extra,
        }

    def faults(self, **faults: Any) -> None:
        self.admin("faults", faults)

    def requests(self, route: str | None = None) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = self.admin("log")["requests"]
        return [e for e in entries if route is None or e.get("route") == route]


def result_data(result: Any) -> dict[str, Any]:
    """A successful tool result's facts: its one text block, parsed (results carry no structured copy)."""
    assert not result.is_error, result.content[0].text if result.content else result
    assert result.structured_content is None
    data: dict[str, Any] = json.loads(result.content[0].text)
    return data


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def make_emulator() -> Iterator[Callable[..., LiveEmulator]]:
    """Start emulators with a given config; each is stopped after the test."""
    started: list[tuple[Any, LiveEmulator, Any]] = []

    def start(**config: Any) -> LiveEmulator:
        config.setdefault("api_key", CANARY_KEY)
        config.setdefault("speed", 1000.0)
        emulator = Emulator(EmulatorConfig(**config))
        context = start_blocking_portal()
        portal = context.__enter__()
        future, port = portal.start_task(emulator.serve)
        live = LiveEmulator(emulator, port, portal)
        started.append((context, live, future))
        return live

    yield start
    for context, live, future in started:
        future.cancel()
        context.__exit__(None, None, None)
        live.emulator.close()


@pytest.fixture
def emulator(make_emulator: Callable[..., LiveEmulator]) -> LiveEmulator:
    """A fast emulator (×1000) that accepts only the canary key."""
    return make_emulator()
