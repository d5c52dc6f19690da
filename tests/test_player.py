"""The player's server side (MCP Apps): the ui:// resource, the tools bound to it, the verified video served in parts,
and the result `_meta` only clients with Apps receive (in memory; tests/test_player_browser.py runs it in a browser)."""

from __future__ import annotations

import base64
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.client.extension import advertise
from mcp.server.apps import APP_MIME_TYPE, EXTENSION_ID

from conftest import LiveEmulator, result_data
from wan_mcp.config import load_settings
from wan_mcp.server import build_server, player

pytestmark = pytest.mark.anyio

T2V = {"mode": "t2v", "prompt": "A red fox in the snow", "resolution": "720P", "duration": 3}
APPS = advertise(EXTENSION_ID, {"mimeTypes": [APP_MIME_TYPE]})


@pytest.fixture(params=["auto", "legacy"])
async def apps_client(request: pytest.FixtureRequest, emulator: LiveEmulator, tmp_path: Path) -> AsyncIterator[Client]:
    """An in-memory client that advertises MCP Apps, like a host that renders the player, in both protocol eras."""
    server = build_server(load_settings(emulator.server_env(tmp_path)))
    async with Client(server, mode=request.param, extensions=[APPS]) as client:
        yield client


async def delivered(client: Client, arguments: dict[str, Any] = T2V) -> dict[str, Any]:
    submitted = result_data(await client.call_tool("submit_video", {**arguments, "wait_seconds": 30}))
    task: dict[str, Any] = submitted["task"]
    while task["state"] != "delivered":
        task = result_data(await client.call_tool("poll_task", {"task_id": task["handle"], "wait_seconds": 30}))
    return task


async def read_parts(client: Client, key: str, parts: int) -> str:
    """The base64 of every part, joined as the player joins them."""
    texts = []
    for part in range(parts):
        contents = (await client.read_resource(f"wan://videos/{key}/{part}")).contents[0]
        assert contents.mime_type == "video/mp4"
        texts.append(contents.blob)  # type: ignore[union-attr]
    return "".join(texts)


async def test_player_resource_is_a_self_contained_app(apps_client: Client) -> None:
    """ui://wan-mcp/player is HTML served as an MCP App and loads nothing from outside; the server advertises Apps
    (in the 2026-07-28 era: the SDK leaves extensions out of the 2025-11-25 initialize result)."""
    assert apps_client.server_capabilities is not None
    if apps_client.mode != "legacy":
        assert EXTENSION_ID in (apps_client.server_capabilities.extensions or {})
    contents = (await apps_client.read_resource(player.PLAYER_URI)).contents[0]
    assert contents.mime_type == APP_MIME_TYPE
    html: str = contents.text  # type: ignore[union-attr]
    assert html.startswith("<!doctype html>") and "ui/initialize" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html), "the player must not load remote files"
    assert not re.search(r"@import|url\(\s*['\"]?https?:", html)
    assert len(html.encode()) < 24_000


async def test_video_tools_are_bound_to_the_player(apps_client: Client) -> None:
    """Exactly the tools whose results are jobs carry _meta.ui.resourceUri, and nothing else is added to tools."""
    tools = {t.name: t for t in (await apps_client.list_tools()).tools}
    bound = {
        name for name, t in tools.items() if t.meta and t.meta.get("ui", {}).get("resourceUri") == player.PLAYER_URI
    }
    assert bound == {"submit_video", "poll_task", "extend_video", "make_long_video"}
    assert all(tools[name].meta == player.TOOL_META for name in bound)
    assert all(not t.meta for name, t in tools.items() if name not in bound)


async def test_video_parts_join_into_the_verified_file(apps_client: Client) -> None:
    """The video's parts, by handle or task id, join (as base64 strings) into exactly the delivered file."""
    assert player.CHUNK_BYTES % 3 == 0
    task = await delivered(apps_client, {**T2V, "duration": 5})
    data = Path(task["local_path"]).read_bytes()
    parts = -(-len(data) // player.CHUNK_BYTES)
    assert parts >= 2, "the test video should span several parts"
    for key in (task["handle"], task["task_id"]):
        assert await read_parts(apps_client, key, parts) == base64.b64encode(data).decode()
    with pytest.raises(Exception, match="parts 0 to"):
        await apps_client.read_resource(f"wan://videos/{task['handle']}/{parts}")


async def test_video_resource_serves_only_the_video_as_delivered(apps_client: Client) -> None:
    """Unknown jobs, jobs not delivered and files changed or removed since delivery are refused, naming why."""
    with pytest.raises(Exception, match="no job"):
        await apps_client.read_resource("wan://videos/wan-nothing/0")
    queued = result_data(await apps_client.call_tool("submit_video", {**T2V, "prompt": "a queued fox"}))
    assert queued["task"]["state"] != "delivered"
    with pytest.raises(Exception, match="no delivered video"):
        await apps_client.read_resource(f"wan://videos/{queued['task']['handle']}/0")
    task = await delivered(apps_client)
    video = Path(task["local_path"])
    original = video.read_bytes()
    video.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
    with pytest.raises(Exception, match="no longer at"):
        await apps_client.read_resource(f"wan://videos/{task['handle']}/0")
    video.unlink()
    with pytest.raises(Exception, match="no longer at"):
        await apps_client.read_resource(f"wan://videos/{task['handle']}/0")


async def test_only_apps_clients_get_the_player_meta(
    apps_client: Client, emulator: LiveEmulator, tmp_path: Path
) -> None:
    """poll_task adds the cost, sound, prompt and usual wait in _meta for an Apps client; a client without Apps gets
    the same content (text, contact sheet, link) without it."""
    task = await delivered(apps_client)
    with_apps = await apps_client.call_tool("poll_task", {"task_id": task["handle"]})
    facts = (with_apps.meta or {})["wan-mcp/player"]
    assert facts == {"cost": 1.8, "currency": "CNY", "estimate": True, "sound": True, "prompt": T2V["prompt"]} | {
        "wait": facts["wait"]
    } and facts["wait"].startswith("usually ")
    server = build_server(load_settings(emulator.server_env(tmp_path)))
    async with Client(server) as plain:
        without = await plain.call_tool("poll_task", {"task_id": task["handle"]})
    assert "wan-mcp/player" not in (without.meta or {})
    assert (
        [c.type for c in without.content]
        == [c.type for c in with_apps.content]
        == [
            "text",
            "image",
            "resource_link",
        ]
    )
    assert without.content[0].text == with_apps.content[0].text  # type: ignore[union-attr]


async def test_a_chain_plays_like_a_job(apps_client: Client) -> None:
    """An extension (a chain of jobs) gets the player's _meta from its plan and serves its joined video in parts."""
    source = await delivered(apps_client, {**T2V, "duration": 2})
    arguments = {"source": source["handle"], "prompt": "it jumps", "duration": 3, "model": "wan2.6-i2v"}
    started = await apps_client.call_tool("extend_video", arguments)
    chain = result_data(started)
    # Polled without wait_seconds: a waiting poll_task and the background runner can join the same chain at once
    # (ChainRunner.advance has no per-chain guard), and the loser marks the delivered chain failed.
    while chain["state"] != "delivered":
        await anyio.sleep(0.05)
        result = await apps_client.call_tool("poll_task", {"task_id": chain["handle"]})
        chain = result_data(result)
        assert chain["state"] != "failed", chain["error"]
    facts = (result.meta or {})["wan-mcp/player"]
    assert {k: facts[k] for k in ("cost", "currency", "estimate", "sound")} == {
        "cost": 1.8,
        "currency": "CNY",
        "estimate": True,
        "sound": True,
    }
    assert facts["prompt"] == "it jumps" and "in all" not in facts["wait"]
    data = Path(chain["local_path"]).read_bytes()
    parts = -(-len(data) // player.CHUNK_BYTES)
    assert await read_parts(apps_client, chain["handle"], parts) == base64.b64encode(data).decode()
