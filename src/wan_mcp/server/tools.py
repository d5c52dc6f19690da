"""The tools: plain module-level functions over the service (registered by `build_server`).

Each reads the running service from the request's lifespan context, calls one use-case, and returns its view as
a lean result (`results.py`). A `WanMcpError` becomes the client's tool error in the registration loop, once for
all tools.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import anyio
from mcp.server.apps import client_supports_apps
from mcp.server.mcpserver import Context
from mcp.shared.exceptions import MCPDeprecationWarning
from mcp.types import CallToolResult
from pydantic import BaseModel, Field

from wan_mcp.catalog_views import model_limits, modes_overview, region_id
from wan_mcp.errors import Problem, RequestInvalid
from wan_mcp.server import player
from wan_mcp.server.context import current_tenant, runtime
from wan_mcp.server.descriptions import DRY_RUN_HELP, WAIT_HELP
from wan_mcp.server.results import cancel_result, list_result, model_result, submit_result, task_result
from wan_mcp.service import MAX_WAIT_SECONDS, ProgressFn, chain_specs
from wan_mcp.views import SubmitView, TaskView


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


async def present_chain(ctx: Context[Any], view: TaskView) -> CallToolResult:
    """make_long_video and extend_video: the chain (or its plan), with the player's facts for an Apps client."""
    meta = await player.result_meta(await runtime(ctx), view, current_tenant()) if client_supports_apps(ctx) else None
    return task_result(view, meta=meta)


# -- the tools ------------------------------------------------------------------------------------------------


async def list_modes(
    ctx: Context[Any],
    mode: Annotated[
        Literal["t2v", "i2v", "kf2v", "r2v", "vace", "s2v", "animate"] | None, Field(description="only this mode")
    ] = None,
    model: Annotated[str | None, Field(description="a model id")] = None,
    region: Annotated[str | None, Field(description="default: the configured region")] = None,
) -> CallToolResult:
    """Every mode in the region: when to use it, its default model, each model in one line with its key limits.
    With model: that model's full limits and where each number comes from."""
    where = region_id(region) if region else (await runtime(ctx)).service.settings.region
    if model is not None:
        return model_result(model_limits(model, where))
    return model_result(modes_overview(where, mode))


async def submit_video(ctx: Context[Any], **arguments: Any) -> SubmitView:
    dry_run = bool(arguments.pop("dry_run", False))
    wait_seconds = int(arguments.pop("wait_seconds", 0) or 0)
    allow_duplicate = bool(arguments.pop("allow_duplicate", False))
    given = {k: v for k, v in arguments.items() if v is not None}
    run, tenant = await runtime(ctx), current_tenant()
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


async def present_submit(ctx: Context[Any], view: SubmitView) -> CallToolResult:
    """submit_video's result: one compact JSON text, with the player's facts for an Apps client."""
    meta = None
    if client_supports_apps(ctx):
        run, tenant = await runtime(ctx), current_tenant()
        meta = await player.result_meta(run, view.task, tenant) if view.task else player.plan_meta(view)
    return submit_result(view, meta)


async def poll_task(
    ctx: Context[Any],
    task_id: Annotated[str, Field(description="the task_id or wan-… handle")],
    wait_seconds: Annotated[int, Field(ge=0, le=MAX_WAIT_SECONDS, description=WAIT_HELP)] = 0,
) -> CallToolResult:
    """A job's status and the message to relay; once done, the local file (verified) and a contact sheet; on
    failure, what to do. After a client timeout call it again: never resubmit. Full record: wan://tasks/{id}."""
    run = await runtime(ctx)
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
    status: Annotated[str | None, Field(description="a DashScope status or a journal state")] = None,
    since_hours: Annotated[float | None, Field(gt=0, description="only jobs of the last N hours")] = None,
    limit: Annotated[int, Field(ge=1, le=200)] = 20,
) -> CallToolResult:
    """Jobs this wan-mcp has submitted (from its local journal), newest first, with status and files."""
    listing = await (await runtime(ctx)).service.list(
        status=status, since_hours=since_hours, limit=limit, tenant=current_tenant()
    )
    return list_result(listing)


async def cancel_task(
    ctx: Context[Any],
    task_id: Annotated[str, Field(description="the task_id or wan-… handle")],
) -> CallToolResult:
    """Cancel a job still PENDING (queued): nothing is billed. A RUNNING job cannot be cancelled; it is billed only
    if it succeeds."""
    return cancel_result(await (await runtime(ctx)).service.cancel(task_id, tenant=current_tenant()))


async def extract_frame(
    ctx: Context[Any],
    source: Annotated[str, Field(description="task id, handle or local video path")],
    at: Annotated[str, Field(description="'first', 'last', or seconds such as '2.5'")] = "last",
) -> CallToolResult:
    try:
        when: str | float = at if at in ("first", "last") else float(at)
    except ValueError:
        raise RequestInvalid(
            Problem("at", "invalid_value", f"{at!r} is not a time", "give 'first', 'last' or a number of seconds")
        ) from None
    return model_result(await (await runtime(ctx)).studio.extract_frame(source, when, await client_roots(ctx)))


async def merge_media(
    ctx: Context[Any],
    videos: Annotated[list[str], Field(description="task ids, handles or local paths, in order")],
    audio: Annotated[str | None, Field(description="a local WAV/MP3/M4A to lay over the video")] = None,
    audio_mode: Annotated[
        Literal["replace", "mix"], Field(description="replace the videos' sound, or mix")
    ] = "replace",
    trim: Annotated[Literal["video", "audio"], Field(description="the result lasts as long as which")] = "video",
) -> CallToolResult:
    merged = await (await runtime(ctx)).studio.merge(
        videos, audio=audio, audio_mode=audio_mode, trim=trim, extra_allowed=await client_roots(ctx)
    )
    return model_result(merged)


class Shot(BaseModel):
    """One shot of a long video."""

    prompt: str
    duration: int = Field(5, description="seconds (billed)")


async def make_long_video(
    ctx: Context[Any],
    *,
    shots: Annotated[list[Shot], Field(description="in order")],
    image: Annotated[str | None, Field(description="start from this image (i2v) instead of text")] = None,
    resolution: Annotated[str | None, Field(description="default 720P")] = None,
    aspect_ratio: Annotated[str | None, Field(description="of a first shot from text")] = None,
    negative_prompt: Annotated[str | None, Field(description="what to avoid")] = None,
    seed: Annotated[int | None, Field(description="0–2147483647")] = None,
    generate_audio: Annotated[bool | None, Field(description="sound on/off where the model has a switch")] = None,
    t2v_model: Annotated[str | None, Field(description="model of a first shot from text")] = None,
    i2v_model: Annotated[str | None, Field(description="model of shots from a frame")] = None,
    dry_run: Annotated[bool, Field(description=DRY_RUN_HELP)] = False,
    wait_seconds: Annotated[int, Field(ge=0, le=MAX_WAIT_SECONDS, description=WAIT_HELP)] = 0,
) -> TaskView:
    spec = chain_specs.ChainSpec(
        kind="long",
        shots=tuple(chain_specs.Shot(s.prompt, s.duration) for s in shots),
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
    return await (await runtime(ctx)).runner.start(
        spec, dry_run=dry_run, wait_seconds=wait_seconds, progress=progress_of(ctx), tenant=current_tenant()
    )


async def extend_video(
    ctx: Context[Any],
    *,
    source: Annotated[str, Field(description="task id, handle or local video path")],
    prompt: Annotated[str, Field(description="what happens next")],
    duration: Annotated[int, Field(description="seconds to add (billed)")] = 5,
    resolution: Annotated[str | None, Field(description="default 720P")] = None,
    negative_prompt: Annotated[str | None, Field(description="what to avoid")] = None,
    seed: Annotated[int | None, Field(description="0–2147483647")] = None,
    generate_audio: Annotated[bool | None, Field(description="sound on/off where the model has a switch")] = None,
    model: Annotated[str | None, Field(description="the i2v model (default: the region's default)")] = None,
    method: Annotated[
        Literal["i2v", "vace"],
        Field(description="i2v: from the last frame; vace: continue its last clip of ≤ 3 s (adds about 2 s)"),
    ] = "i2v",
    dry_run: Annotated[bool, Field(description=DRY_RUN_HELP)] = False,
    wait_seconds: Annotated[int, Field(ge=0, le=MAX_WAIT_SECONDS, description=WAIT_HELP)] = 0,
) -> TaskView:
    run = await runtime(ctx)
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
