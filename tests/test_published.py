"""The published tool list is kept built: a start reads it, a changed installation builds it again, and what a start
publishes from it is exactly what the tools publish when built."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from wan_mcp.config import load_settings
from wan_mcp.server import build_server, published
from wan_mcp.server.toolset import published as built_published

pytestmark = pytest.mark.anyio


async def listed(tmp_path: Path) -> list[dict[str, Any]]:
    settings = load_settings({"DASHSCOPE_API_KEY": "sk-test", "WAN_MCP_DATA_DIR": str(tmp_path / "data")})
    async with Client(build_server(settings)) as client:
        result = await client.list_tools()
    return [tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in result.tools]


async def test_a_start_from_the_kept_list_publishes_what_the_tools_do(tmp_path: Path) -> None:
    """The first start builds and keeps the list; the second reads it; both publish the same tools/list, byte for
    byte, and the kept list is the tools' own."""
    first = await listed(tmp_path)
    kept = json.loads((tmp_path / "data" / published.CACHE_NAME).read_text(encoding="utf-8"))
    assert kept["fingerprint"] == published.fingerprint()
    second = await listed(tmp_path)
    assert json.dumps(second) == json.dumps(first)
    fresh = built_published(())
    assert kept["tools"] == json.loads(json.dumps(fresh.tools)) and kept["instructions"] == fresh.instructions
    assert [tool["name"] for tool in first] == [tool["name"] for tool in fresh.tools]


def test_a_changed_installation_builds_the_list_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Kept under the installation's fingerprint: the same one reads it, another (an edited file, a new SDK, the
    media extra installed) builds anew; a damaged file or a folder that cannot be written only means building."""
    builds: list[int] = []

    def build() -> published.Published:
        builds.append(1)
        return published.Published(f"instructions {len(builds)}", [])

    assert published.load(tmp_path, build).instructions == "instructions 1"
    assert published.load(tmp_path, build).instructions == "instructions 1" and len(builds) == 1
    monkeypatch.setattr(published, "fingerprint", lambda: "another installation")
    assert published.load(tmp_path, build).instructions == "instructions 2"
    (tmp_path / published.CACHE_NAME).write_text("{not json", encoding="utf-8")
    assert published.load(tmp_path, build).instructions == "instructions 3"
    blocked = tmp_path / "a file, not a folder"
    blocked.write_text("", encoding="utf-8")
    assert published.load(blocked, build).instructions == "instructions 4"
    assert published.load(blocked, build).instructions == "instructions 5"


def test_the_fingerprint_follows_the_package_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Editing any file of the package (here: a copy of it) changes the fingerprint; reading it does not."""
    package = tmp_path / "wan_mcp"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "tools.py").write_text("A = 1\n", encoding="utf-8")
    monkeypatch.setattr(published.wan_mcp, "__file__", str(package / "__init__.py"))
    before = published.fingerprint()
    assert published.fingerprint() == before
    (package / "tools.py").write_text("A = 22\n", encoding="utf-8")
    assert published.fingerprint() != before
