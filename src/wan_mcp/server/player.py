"""The video player shown inside the chat (MCP Apps): its `ui://` resource, the tools' binding to it, the verified
video served to it in chunks over MCP, and the few facts it needs beside a tool's result text.

The video reaches the sandboxed player as MCP resources (`wan://videos/{key}/{part}`), read through the host's bridge
and assembled into a `data:` URL: it plays the verified local file, works over stdio, streamable HTTP and with the
emulator alike, needs no CSP exception (hosts allow `data:` media by default) and outlives DashScope's 24-hour URLs.
"""

from __future__ import annotations

import math
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
from mcp.server import MCPServer
from mcp.server.apps import Apps
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceNotFoundError

from wan_mcp.files import sha256_file
from wan_mcp.server.context import Runtime, current_tenant, runtime

if TYPE_CHECKING:
    from wan_mcp.service.manage import DeliveredFile
    from wan_mcp.views import SubmitView, TaskView

PLAYER_URI = "ui://wan-mcp/player"
TOOL_META: dict[str, Any] = {"ui": {"resourceUri": PLAYER_URI}}
"""The `_meta` of each video tool (submit_video, poll_task, extend_video, make_long_video): what hosts render."""

VIDEO_URI = "wan://videos/{key}/{part}"
CHUNK_BYTES = 3 * 512 * 1024
"""Bytes of video per resource read: 1.5 MiB, 2 MiB as base64. A multiple of 3, so the player can join the
base64 of consecutive parts as they come."""

RESULT_META_KEY = "wan-mcp/player"
"""The key, in a tool result's `_meta`, of what the player shows that the result's text leaves out."""


def player_html() -> str:
    """The player's self-contained HTML (package data beside this module)."""
    return resources.files("wan_mcp.server").joinpath("player.html").read_text(encoding="utf-8")


def apps_extension() -> Apps:
    """The MCP Apps extension carrying the player resource (pass it to `MCPServer(extensions=[...])`)."""
    apps = Apps()
    apps.add_html_resource(
        PLAYER_URI,
        player_html(),
        name="player",
        title="Wan video player",
        description="Shows a video job's progress, then plays the verified video with its facts.",
        prefers_border=True,
    )
    return apps


async def verified_video(run: Runtime, key: str, tenant: str | None) -> DeliveredFile:
    """The delivered video of a job or chain (task id, handle or chain id), still as it was delivered.

    Raises ResourceNotFoundError when there is no such job, it has no delivered video, or the file was moved,
    changed or deleted since.
    """
    video = await run.service.delivered(key, tenant)
    if video is None:
        record = await run.service.record(key, tenant)
        chain = None if record is not None else await run.runner.find(key, tenant)
        if record is None and chain is None:
            raise ResourceNotFoundError(f"no job {key!r} in this wan-mcp's journal")
        state = record.state if record is not None else chain.state if chain is not None else None
        raise ResourceNotFoundError(f"job {key!r} has no delivered video (state: {state})")
    path = video.path
    changed = not path.is_file() or path.stat().st_size != video.size_bytes
    if changed or await anyio.to_thread.run_sync(_sha256_of, path) != video.sha256:
        raise ResourceNotFoundError(f"the video of job {key!r} is no longer at {path} as it was delivered")
    return video


_hashes: dict[tuple[str, int, int], str] = {}


def _sha256_of(path: Path) -> str:
    """The file's SHA-256, computed once per (path, size, modification time): a video is hashed once per load."""
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _hashes:
        if len(_hashes) > 64:
            _hashes.clear()
        _hashes[key] = sha256_file(path)
    return _hashes[key]


async def video_part(run: Runtime, key: str, part: str, tenant: str | None) -> bytes:
    """Part `part` (0, 1, …) of a job's verified video: CHUNK_BYTES bytes, the last part shorter."""
    video = await verified_video(run, key, tenant)
    parts = max(1, math.ceil(video.size_bytes / CHUNK_BYTES))
    if not part.isdigit() or int(part) >= parts:
        raise ResourceNotFoundError(f"part {part!r} of job {key!r}: the video has parts 0 to {parts - 1}")
    with video.path.open("rb") as file:
        file.seek(int(part) * CHUNK_BYTES)
        return file.read(CHUNK_BYTES)


def add_video_resource(mcp: MCPServer[Any]) -> None:
    """Serve delivered videos as `wan://videos/{key}/{part}` (video/mp4, base64 over MCP), for the player."""

    @mcp.resource(VIDEO_URI, name="video", title="A delivered video, in parts", mime_type="video/mp4")
    async def video_resource(key: str, part: str, ctx: Context[Any]) -> bytes:
        """Part N (from 0) of a delivered job's verified MP4, 1.5 MiB each; the job's size_bytes says how many."""
        return await video_part(await runtime(ctx), key, part, current_tenant())


async def result_meta(run: Runtime, view: TaskView, tenant: str | None) -> dict[str, Any]:
    """What the player shows that a job's result text leaves out (`_meta["wan-mcp/player"]`, for Apps clients only,
    never the model's context): the cost, whether it has sound when the file was not probed (chains), the prompt and
    the usual wait."""
    record = await run.service.record(view.handle, tenant)
    facts: dict[str, Any]
    if record is not None:
        estimate = record.estimate
        price, billed = estimate.price_per_second, view.billed_seconds
        facts = {
            "cost": price * billed if price is not None and billed is not None else estimate.cost,
            "currency": estimate.currency,
            "estimate": estimate.price_is_estimate,
            "sound": estimate.sound,
            "prompt": record.prompt,
            "wait": estimate.wait_text,
        }
    else:
        chain = await run.runner.find(view.handle, tenant)
        totals = chain.spec.get("totals", {}) if chain is not None else {}
        segments = totals.get("segments") or []
        facts = {
            "cost": totals.get("cost"),
            "currency": totals.get("currency"),
            "estimate": True,
            "sound": any(s.get("sound") for s in segments) if segments else None,
            "prompt": view.prompt,
            "wait": totals.get("wait_text"),
        }
    if facts["cost"] is not None:
        facts["cost"] = round(float(facts["cost"]), 2)
    return {RESULT_META_KEY: {k: v for k, v in facts.items() if v is not None}}


def plan_meta(view: SubmitView) -> dict[str, Any]:
    """What the player shows of a dry run that its result text leaves out: the usual wait."""
    return {RESULT_META_KEY: {"wait": view.estimate.wait_text}}
