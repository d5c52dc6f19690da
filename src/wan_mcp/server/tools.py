"""The tools: plain module-level functions over the service (registered by `build_server`).

Each reads the running service from the request's lifespan context, calls one use-case, and returns its view.
A `WanMcpError` becomes the client's tool error in the registration loop, once for all tools.
"""

from __future__ import annotations

import base64
import warnings
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import anyio
from mcp.server.apps import client_supports_apps
from mcp.server.mcpserver import Context
from mcp.shared.exceptions import MCPDeprecationWarning
from mcp.types import CallToolResult, ImageContent, ResourceLink, TextContent
from pydantic import BaseModel, Field

from wan_mcp.catalog_views import modes_view, region_id
from wan_mcp.errors import Problem, RequestInvalid
from wan_mcp.server import player
from wan_mcp.server.context import current_tenant, runtime
from wan_mcp.service import MAX_WAIT_SECONDS, ProgressFn, chains
from wan_mcp.service.studio import FrameView, MergeView
from wan_mcp.views import CancelView, ModesView, SubmitView, TaskList, TaskView


def progress_of(ctx: Context[Any]) -> ProgressFn:
    async def report(progress: float, total: float | None, message: str) -> None:
        await ctx.report_progress(progress, total, message)

    return report


async def client_roots(ctx: Context[Any]) -> tuple[Path, ...]:
    """The folders the client shares as MCP roots (file:// only), when it offers roots; else none."""
    capabilities = ctx.client_capabilities
    if capabilities is None or capabilities.roots is None:
        return ()
    try:
        with anyio.fail_after(5), warnings.catch_warnings():
            # Deprecated in 2026-07-28 (no back channel there), still what handshake-era clients use for roots.
            warnings.simplefilter("ignore", MCPDeprecationWarning)
            result = await ctx.session.list_roots()
    except Exception:  # roots are optional: never fail a submit on them
        return ()
    folders = []
    for root in result.roots:
        uri = str(root.uri)
        if uri.startswith("file:"):
            folders.append(Path(url2pathname(unquote(urlsplit(uri).path))))
    return tuple(folders)


def task_result(view: TaskView, sheet: bytes | None = None, meta: dict[str, Any] | None = None) -> CallToolResult:
    """A TaskView as structured content, links to the job resource and the local file, and a contact sheet."""
    content: list[Any] = [TextContent(type="text", text=view.model_dump_json(exclude_none=True))]
    if sheet is not None:
        content.append(ImageContent(type="image", data=base64.b64encode(sheet).decode(), mime_type="image/jpeg"))
    content.append(
        ResourceLink(type="resource_link", uri=f"wan://tasks/{view.task_id or view.handle}", name="job record")
    )
    if view.local_path:
        content.append(
            ResourceLink(
                type="resource_link",
                uri=Path(view.local_path).as_uri(),
                name=Path(view.local_path).name,
                mime_type="video/mp4",
                size=view.size_bytes,
            )
        )
    return CallToolResult(content=content, structured_content=view.model_dump(mode="json"), _meta=meta)


# -- the tools ------------------------------------------------------------------------------------------------


async def list_modes(
    ctx: Context[Any],
    mode: Annotated[
        Literal["t2v", "i2v", "kf2v", "r2v", "vace", "s2v", "animate"] | None, Field(description="only this mode")
    ] = None,
    region: Annotated[
        str | None, Field(description="beijing, singapore, virginia or frankfurt (default: the configured one)")
    ] = None,
) -> ModesView:
    """Every mode with its models and all their limits: sizes and resolutions, durations, sound, prompt limits,
    required and optional inputs, media limits, regions (and the model's name there), submit and concurrency
    limits, typical wait, price per second where known, the default model, and when to use each mode."""
    settings = runtime(ctx).service.settings
    return modes_view(region_id(region) if region else settings.region, mode)


async def submit_video(ctx: Context[Any], **arguments: Any) -> SubmitView:
    dry_run = bool(arguments.pop("dry_run", False))
    wait_seconds = int(arguments.pop("wait_seconds", 0) or 0)
    allow_duplicate = bool(arguments.pop("allow_duplicate", False))
    given = {k: v for k, v in arguments.items() if v is not None}
    run, tenant = runtime(ctx), current_tenant()
    view = await run.service.submit(
        given,
        dry_run=dry_run,
        wait_seconds=wait_seconds,
        progress=progress_of(ctx),
        allow_duplicate=allow_duplicate,
        extra_allowed=await client_roots(ctx),
        tenant=tenant,
    )
    return view.model_copy(update={"task": run.with_link(view.task, tenant)}) if view.task else view


async def poll_task(
    ctx: Context[Any],
    task_id: Annotated[str, Field(description="the task_id (or wan-… handle) from submit_video")],
    wait_seconds: Annotated[
        int, Field(ge=0, le=MAX_WAIT_SECONDS, description="hold up to this long (with progress) for it to finish")
    ] = 0,
) -> Annotated[CallToolResult, TaskView]:
    """Status of a video job: PENDING, RUNNING, SUCCEEDED, FAILED, CANCELED or UNKNOWN, elapsed time, the usual
    wait and when to ask again. On success: the local file (downloaded, size and SHA-256 verified), the URL and
    when it expires, the actual prompt and billed seconds. On failure: error {code, message, retryable, charged,
    fix}. With wait_seconds (≤ 50) it holds the call, sending progress, and returns early when done. Safe to
    call again after a client timeout: never resubmit a job to check on it."""
    run = runtime(ctx)
    key = task_id.strip()
    tenant = current_tenant()
    sheet = None
    if await run.runner.find(key, tenant) is not None:
        view = await run.runner.view(await run.runner.wait(key, wait_seconds, progress_of(ctx)))
    else:
        view = await run.service.poll(key, wait_seconds=wait_seconds, progress=progress_of(ctx), tenant=tenant)
        view, sheet = await run.studio.look(view)
    meta = await player.result_meta(run, view, tenant) if client_supports_apps(ctx) else None
    return task_result(run.with_link(view, tenant), sheet, meta)


async def list_tasks(
    ctx: Context[Any],
    status: Annotated[
        str | None,
        Field(
            description="filter: a DashScope status (PENDING, RUNNING, SUCCEEDED, FAILED, CANCELED, UNKNOWN) or "
            "a journal state (delivered, unconfirmed, expired, rejected…)"
        ),
    ] = None,
    since_hours: Annotated[float | None, Field(gt=0, description="only jobs created in the last N hours")] = None,
    limit: Annotated[int, Field(ge=1, le=200, description="at most this many, newest first")] = 20,
) -> TaskList:
    """Jobs this wan-mcp has submitted (from its local journal), newest first, with status and files."""
    return await runtime(ctx).service.list(status=status, since_hours=since_hours, limit=limit, tenant=current_tenant())


async def cancel_task(
    ctx: Context[Any],
    task_id: Annotated[str, Field(description="the task_id (or wan-… handle) to cancel")],
) -> CancelView:
    """Cancel a job that is still PENDING (queued): nothing is billed. A RUNNING job cannot be cancelled; it
    finishes and is billed only if it succeeds."""
    return await runtime(ctx).service.cancel(task_id, tenant=current_tenant())


async def extract_frame(
    ctx: Context[Any],
    source: Annotated[str, Field(description="task id, wan-… handle, or a local video path")],
    at: Annotated[str, Field(description="'first', 'last', or a time in seconds such as '2.5'")] = "last",
) -> FrameView:
    try:
        when: str | float = at if at in ("first", "last") else float(at)
    except ValueError:
        raise RequestInvalid(
            Problem("at", "invalid_value", f"{at!r} is not a time", "give 'first', 'last' or a number of seconds")
        ) from None
    return await runtime(ctx).studio.extract_frame(source, when, await client_roots(ctx))


async def merge_media(
    ctx: Context[Any],
    videos: Annotated[list[str], Field(description="task ids, handles or local video paths, in order")],
    audio: Annotated[str | None, Field(description="a local WAV/MP3/M4A to lay over the video")] = None,
    audio_mode: Annotated[
        Literal["replace", "mix"], Field(description="replace the videos' sound, or mix")
    ] = "replace",
    trim: Annotated[
        Literal["video", "audio"], Field(description="the result lasts as long as the video or the audio")
    ] = "video",
) -> MergeView:
    return await runtime(ctx).studio.merge(
        videos, audio=audio, audio_mode=audio_mode, trim=trim, extra_allowed=await client_roots(ctx)
    )


class Shot(BaseModel):
    """One shot of a long video."""

    prompt: str = Field(description="what happens in this shot")
    duration: int = Field(5, description="seconds (billed)")


async def make_long_video(
    ctx: Context[Any],
    *,
    shots: Annotated[list[Shot], Field(description="the shots in order: {prompt, duration}")],
    image: Annotated[str | None, Field(description="start from this image (i2v) instead of text")] = None,
    resolution: Annotated[str | None, Field(description="480P, 720P or 1080P (default 720P)")] = None,
    aspect_ratio: Annotated[str | None, Field(description="first shot from text: 16:9, 9:16, 1:1, 4:3, 3:4")] = None,
    negative_prompt: Annotated[str | None, Field(description="what to avoid in every shot")] = None,
    seed: Annotated[int | None, Field(description="0–2147483647 for repeatable shots")] = None,
    generate_audio: Annotated[bool | None, Field(description="sound on/off where the model has a switch")] = None,
    t2v_model: Annotated[str | None, Field(description="model for a first shot from text")] = None,
    i2v_model: Annotated[str | None, Field(description="model for shots from a frame")] = None,
    dry_run: Annotated[bool, Field(description="plan and price only; nothing is sent or paid")] = False,
    wait_seconds: Annotated[int, Field(ge=0, le=MAX_WAIT_SECONDS, description="hold up to this long")] = 0,
) -> TaskView:
    spec = chains.ChainSpec(
        kind="long",
        shots=tuple(chains.Shot(s.prompt, s.duration) for s in shots),
        image=image,
        aspect_ratio=aspect_ratio,
        t2v_model=t2v_model,
        i2v_model=i2v_model,
        common={
            "resolution": resolution,
            "negative_prompt": negative_prompt,
            "seed": seed,
            "generate_audio": generate_audio,
        },
    )
    return await runtime(ctx).runner.start(
        spec, dry_run=dry_run, wait_seconds=wait_seconds, progress=progress_of(ctx), tenant=current_tenant()
    )


async def extend_video(
    ctx: Context[Any],
    *,
    source: Annotated[str, Field(description="task id, wan-… handle, or a local video path")],
    prompt: Annotated[str, Field(description="what happens next")],
    duration: Annotated[int, Field(description="seconds to add (billed)")] = 5,
    resolution: Annotated[str | None, Field(description="480P, 720P or 1080P (default 720P)")] = None,
    negative_prompt: Annotated[str | None, Field(description="what to avoid")] = None,
    seed: Annotated[int | None, Field(description="0–2147483647")] = None,
    generate_audio: Annotated[bool | None, Field(description="sound on/off where the model has a switch")] = None,
    model: Annotated[str | None, Field(description="the i2v model (default: the region's i2v default)")] = None,
    method: Annotated[
        Literal["i2v", "vace"],
        Field(description="i2v: from the last frame; vace: continue the last clip of up to 3 s (adds about 2 s)"),
    ] = "i2v",
    dry_run: Annotated[bool, Field(description="plan and price only; nothing is sent or paid")] = False,
    wait_seconds: Annotated[int, Field(ge=0, le=MAX_WAIT_SECONDS, description="hold up to this long")] = 0,
) -> TaskView:
    run = runtime(ctx)
    spec = await run.studio.extension_spec(
        source,
        prompt=prompt,
        duration=duration,
        model=model,
        common={
            "resolution": resolution,
            "negative_prompt": negative_prompt,
            "seed": seed,
            "generate_audio": generate_audio,
        },
        method=method,
        extra_allowed=await client_roots(ctx),
    )
    return await run.runner.start(
        spec, dry_run=dry_run, wait_seconds=wait_seconds, progress=progress_of(ctx), tenant=current_tenant()
    )
