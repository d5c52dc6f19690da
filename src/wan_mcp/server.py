"""The MCP surface: tools, resources and instructions over `WanService` (thin: no business logic here).

Tool descriptions and argument documentation are generated from the catalog and the request model, so they
cannot drift from what validation enforces.
"""

from __future__ import annotations

import base64
import functools
import hmac
import inspect
import json
import logging
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import anyio
from mcp.server import MCPServer
from mcp.server.apps import client_supports_apps
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from mcp.shared.exceptions import MCPDeprecationWarning
from mcp.types import CallToolResult, ImageContent, ResourceLink, TextContent, ToolAnnotations
from pydantic import AnyHttpUrl, BaseModel, Field

from wan_mcp import __version__, catalog, media, player, skill
from wan_mcp.catalog import MODES
from wan_mcp.config import Settings, load_settings, redact
from wan_mcp.errors import RequestInvalid, WanMcpError
from wan_mcp.longvideo import ChainRunner
from wan_mcp.requests import VideoRequest, arguments_used
from wan_mcp.service import MAX_WAIT_SECONDS, WanService, modes_view
from wan_mcp.studio import FrameView, MergeView, Studio
from wan_mcp.views import CancelView, ModesView, SubmitView, TaskList, TaskView

log = logging.getLogger("wan_mcp.server")

INSTRUCTIONS = """\
wan-mcp makes videos with Alibaba's Wan models (DashScope). Workflow:
1. Pick a mode (list_modes, or the wan://modes resource): t2v text, i2v one image, kf2v first+last frame,
   r2v reference characters, vace edit a video, s2v talking portrait, animate a character.
2. Call submit_video with dry_run=true and tell the user the cost and the expected wait; submit after they agree.
3. Every job takes 1–10 minutes: call poll_task with the task_id and wait_seconds (≤ 50) until it is done. If a
   call times out, poll the same task_id again: never resubmit (that pays twice).
4. When done, poll_task gives the local file (downloaded and SHA-256 verified); result URLs die after 24 hours.
Failed tasks are not billed; errors say what to do. kf2v and VACE are silent."""

ARGUMENT_HELP: dict[str, str] = {
    "mode": "What to make: t2v text→video, i2v animate one image, kf2v transition from first_frame to last_frame, "
    "r2v keep reference characters consistent, vace edit a video, s2v a portrait speaks an audio, animate a "
    "character follows a video.",
    "prompt": "What happens: subject, scene, motion, camera, lighting, style. Multi-shot: 'Shot 1 [0-3s]: …'.",
    "model": "A Wan model id (see list_modes); omit for the mode's default in your region.",
    "negative_prompt": "What to avoid (e.g. 'blurry, text, watermark').",
    "size": "Exact frame size W*H (size-style models, e.g. 1280*720). Or give resolution + aspect_ratio.",
    "resolution": "Quality tier: 480P, 720P or 1080P (default 720P: cheaper and faster than DashScope's 1080P).",
    "aspect_ratio": "16:9, 9:16, 1:1, 4:3, 3:4 (Wan 3.0 also 21:9, adaptive). i2v/kf2v follow the image instead.",
    "duration": "Output seconds; every second is billed (default 5).",
    "shot_type": "'multi' for several shots in one video (wan2.6 only; turns prompt_extend on).",
    "prompt_extend": "Let DashScope rewrite the prompt for richer detail (default on); false keeps your wording.",
    "audio": "Your soundtrack (WAV/MP3, 3–30 s, ≤ 15 MB): URL or local path. Cut if longer than the video, silence "
    "after it if shorter. For s2v: the speech or song that drives the portrait.",
    "generate_audio": "Sound on/off for models with a switch (wan2.6-i2v-flash, wan2.6-r2v-flash, Wan 3.0).",
    "seed": "0–2147483647 for repeatable results; omit for random.",
    "watermark": "Add the 'AI生成' watermark (default false).",
    "image": "The image to animate (i2v first frame; s2v/animate the person): https URL, oss://, data: URI (i2v) "
    "or local path.",
    "first_frame": "kf2v (and VACE extension): the first frame image.",
    "last_frame": "kf2v: the last frame image.",
    "references": "r2v: 1–5 reference images/videos (≤ 3 videos), named character1, character2… in the prompt. "
    "Wan 3.0 also takes audio references.",
    "template": "Effect template name (wanx2.1 i2v/kf2v models, e.g. 'flying', 'hanfu-1'); replaces the prompt.",
    "function": "VACE: image_reference, video_repainting, video_edit, video_extension or video_outpainting.",
    "video": "VACE/animate/videoedit: the input video (MP4).",
    "mask_image": "VACE video_edit: mask image (white = edit, black = keep).",
    "mask_frame_id": "VACE video_edit: which frame mask_image belongs to (1 = first).",
    "mask_video": "VACE video_edit: a mask video instead of mask_image.",
    "ref_images": "VACE: reference images (image_reference 1–3; other functions 1).",
    "obj_or_bg": "VACE image_reference: for each ref image 'obj' (subject) or 'bg' (background, at most one).",
    "control_condition": "VACE: posebodyface, posebody, depth or scribble (repainting); '', posebodyface, depth.",
    "strength": "VACE video_repainting: 0–1 (default 1).",
    "mask_type": "VACE video_edit: tracking (default) or fixed.",
    "expand_ratio": "VACE video_edit: grow the mask by 0–1 (default 0.05).",
    "expand_mode": "VACE video_edit: hull (default), bbox or original.",
    "first_clip": "VACE extension (≤ 3 s with last_clip) or wan2.7-i2v: the clip to continue.",
    "last_clip": "VACE video_extension: the clip to lead into.",
    "top_scale": "VACE outpainting: 1.0–2.0.",
    "bottom_scale": "VACE outpainting: 1.0–2.0.",
    "left_scale": "VACE outpainting: 1.0–2.0.",
    "right_scale": "VACE outpainting: 1.0–2.0.",
    "quality": "animate: std (cheaper, default) or pro.",
    "check_image": "animate: pre-check the image (default true).",
    "audio_setting": "wan2.7-videoedit: auto (new sound) or origin (keep the input's sound).",
    "reference_file": "Wan 3.0: a document as reference (needs prompt_extend).",
    "reference_link": "Wan 3.0: a web page URL as reference (needs prompt_extend).",
}


def argument_modes() -> dict[str, list[str]]:
    """For each argument, the modes in which some model uses it (from the catalog)."""
    used: dict[str, set[str]] = {name: set() for name in VideoRequest.model_fields}
    for model in catalog.MODELS:
        if model.kind != "generation":
            continue
        for mode, spec in model.modes.items():
            for function in spec.functions or [None]:
                for name in arguments_used(model, mode, function):
                    used.setdefault(name, set()).add(mode)
    return {name: [m for m in MODES if m in modes] for name, modes in used.items()}


def argument_description(name: str, modes: list[str]) -> str:
    return f"{ARGUMENT_HELP.get(name, name)} [modes: {', '.join(modes)}]"


def submit_description() -> str:
    """The submit_video description, with limits taken from the catalog's default models."""
    lines = [
        "Submit a Wan video job (or, with dry_run=true, only validate it and return the exact request, the cost "
        "and the wait: nothing is sent). Billed per second of output video; failed tasks are not billed. Tell the "
        "user the cost and the expected wait before submitting. Requests that would fail or be silently changed "
        "(prompt too long, audio on a silent model, wrong size…) are refused before anything is spent, naming the "
        "argument and the fix.",
        "",
        "Defaults per mode (Beijing; list_modes shows every model and region):",
    ]
    for mode in MODES:
        model = catalog.default_model(mode, catalog.DEFAULT_REGION)
        if model is None:
            continue
        durations = model.durations_in(catalog.DEFAULT_REGION)
        length = durations.describe() if durations else "the input's length"
        sound = {"silent": "silent", "auto": "with sound", "switch": "sound on/off", "driven": "audio-driven"}[
            model.audio
        ]
        limit = f", prompt ≤ {model.prompt_max} chars" if model.prompt_max else ""
        lines.append(f"- {mode}: {model.id} — {length}, {sound}{limit}")
    lines += [
        "",
        f"wait_seconds (0–{MAX_WAIT_SECONDS}) holds the call with progress updates; the job continues either way. "
        "Result URLs and task ids die after 24 h: the video is downloaded as soon as it exists. After a client "
        "timeout, poll the task id: never resubmit.",
    ]
    return "\n".join(lines)


@dataclass(frozen=True)
class Runtime:
    """What the tools work with: jobs (service), chains of jobs (runner) and local video work (studio)."""

    service: WanService
    runner: ChainRunner
    studio: Studio


@asynccontextmanager
async def lifespan_for(settings: Settings) -> AsyncIterator[Runtime]:
    service = WanService(settings)
    runtime = Runtime(service, ChainRunner(service), Studio(service))
    try:
        async with anyio.create_task_group() as group:
            await group.start(service.run)
            await group.start(runtime.runner.run)
            try:
                yield runtime
            finally:
                group.cancel_scope.cancel()
    finally:
        await service.aclose()


class StaticTokenVerifier:
    """Accepts exactly one bearer token (WAN_MCP_HTTP_TOKEN), compared in constant time."""

    def __init__(self, token: str) -> None:
        self._token = token

    async def verify_token(self, token: str) -> AccessToken | None:
        if hmac.compare_digest(token.encode(), self._token.encode()):
            return AccessToken(token="***", client_id="wan-mcp-user", scopes=[])
        return None


def build_server(settings: Settings | None = None, *, http_url: str | None = None) -> MCPServer:
    """The wan-mcp MCP server for these settings (default: from the environment).

    With `http_url` (streamable HTTP) and WAN_MCP_HTTP_TOKEN set, every request must carry that bearer token.
    """
    settings = settings or load_settings()
    auth: dict[str, Any] = {}
    if http_url is not None and settings.http_token is not None:
        auth = {
            "token_verifier": StaticTokenVerifier(settings.http_token.get_secret_value()),
            "auth": AuthSettings(issuer_url=AnyHttpUrl(http_url), resource_server_url=AnyHttpUrl(http_url + "/mcp")),
        }

    @asynccontextmanager
    async def lifespan(_: MCPServer[Any]) -> AsyncIterator[Runtime]:
        async with lifespan_for(settings) as runtime:
            yield runtime

    mcp: MCPServer[Runtime] = MCPServer(
        "wan-mcp",
        title="Wan video generation",
        instructions=INSTRUCTIONS,
        version=__version__,
        lifespan=lifespan,
        extensions=[player.apps_extension()],
        log_level=settings.log_level if settings.log_level in ("DEBUG", "INFO", "WARNING", "ERROR") else "INFO",  # type: ignore[arg-type]
        **auth,
    )
    secrets = settings.secrets

    def tool(**options: Any) -> Callable[[Any], Any]:
        """Register a tool: its description is its docstring without the source indentation, and a WanMcpError it
        raises reaches the client as a ToolError with the code, the message and the fix (the key redacted)."""

        def register(fn: Callable[..., Awaitable[Any]]) -> Any:
            options.setdefault("description", inspect.cleandoc(fn.__doc__ or ""))

            @functools.wraps(fn)
            async def call(*args: Any, **kwargs: Any) -> Any:
                try:
                    return await fn(*args, **kwargs)
                except WanMcpError as exc:
                    raise tool_error(exc) from None

            return mcp.tool(**options)(call)

        return register

    def runtime_of(ctx: Context[Any]) -> Runtime:
        runtime: Runtime = ctx.request_context.lifespan_context
        return runtime

    def service_of(ctx: Context[Any]) -> WanService:
        return runtime_of(ctx).service

    def tool_error(exc: WanMcpError) -> ToolError:
        if isinstance(exc, RequestInvalid):
            lines = [f"{p.code} ({p.field}): {p.message} Fix: {p.fix}" for p in exc.problems]
            return ToolError(redact("Refused before anything was sent or paid:\n" + "\n".join(lines), secrets))
        return ToolError(redact(f"{exc.code}: {exc.message} Fix: {exc.fix}", secrets))

    def progress_of(ctx: Context[Any]) -> Callable[[float, float | None, str], Awaitable[None]]:
        async def report(progress: float, total: float | None, message: str) -> None:
            await ctx.report_progress(progress, total, message)

        return report

    @tool(
        title="List Wan modes and models",
        annotations=ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False),
    )
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
        return service_of(ctx).modes(mode, region)

    async def submit_video(ctx: Context[Any], **arguments: Any) -> SubmitView:
        dry_run = bool(arguments.pop("dry_run", False))
        wait_seconds = int(arguments.pop("wait_seconds", 0) or 0)
        allow_duplicate = bool(arguments.pop("allow_duplicate", False))
        given = {k: v for k, v in arguments.items() if v is not None}
        return await service_of(ctx).submit(
            given,
            dry_run=dry_run,
            wait_seconds=wait_seconds,
            progress=progress_of(ctx),
            allow_duplicate=allow_duplicate,
            extra_allowed=await client_roots(ctx),
        )

    submit_video.__signature__ = submit_signature()  # type: ignore[attr-defined]
    tool(
        title="Submit a Wan video job",
        description=submit_description(),
        meta=player.TOOL_META,
        annotations=ToolAnnotations(
            read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True
        ),
    )(submit_video)

    @tool(
        title="Check (and wait for) a video job",
        meta=player.TOOL_META,
        annotations=ToolAnnotations(
            read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=True
        ),
    )
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
        runtime = runtime_of(ctx)
        if runtime.service.journal.get_chain(task_id.strip()) is not None:
            chain = await runtime.runner.wait(task_id.strip(), wait_seconds, progress_of(ctx))
            view, sheet = runtime.runner.view(chain), None
        else:
            view = await runtime.service.poll(task_id, wait_seconds=wait_seconds, progress=progress_of(ctx))
            view, sheet = await runtime.studio.look(view)
        meta = player.result_meta(runtime.service.journal, view) if client_supports_apps(ctx) else None
        return task_result(view, sheet, meta)

    @tool(
        title="List video jobs",
        annotations=ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False),
    )
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
        return service_of(ctx).list(status=status, since_hours=since_hours, limit=limit)

    @tool(
        title="Cancel a queued video job",
        annotations=ToolAnnotations(
            read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=True
        ),
    )
    async def cancel_task(
        ctx: Context[Any],
        task_id: Annotated[str, Field(description="the task_id (or wan-… handle) to cancel")],
    ) -> CancelView:
        """Cancel a job that is still PENDING (queued): nothing is billed. A RUNNING job cannot be cancelled; it
        finishes and is billed only if it succeeds."""
        return await service_of(ctx).cancel(task_id)

    media_note = "" if media.available() else " Needs the media extra: pip install 'wan-mcp[media]'."

    @tool(
        title="Take a frame from a video",
        annotations=ToolAnnotations(
            read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False
        ),
        description="Save a frame of a video as a PNG in the output folder, ready to pass as `image` (i2v) or "
        "`first_frame`/`last_frame` (kf2v): the first, the last (for chaining), or the one at a time in seconds. The "
        "source is a task id or handle of a finished job, or a local video file." + media_note,
    )
    async def extract_frame(
        ctx: Context[Any],
        source: Annotated[str, Field(description="task id, wan-… handle, or a local video path")],
        at: Annotated[str, Field(description="'first', 'last', or a time in seconds such as '2.5'")] = "last",
    ) -> FrameView:
        try:
            when: str | float = at if at in ("first", "last") else float(at)
        except ValueError:
            raise ToolError("invalid_value (at): give 'first', 'last' or a number of seconds") from None
        return await runtime_of(ctx).studio.extract_frame(source, when, await client_roots(ctx))

    @tool(
        title="Join videos, add a soundtrack",
        annotations=ToolAnnotations(
            read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False
        ),
        description="Concatenate videos in order into one MP4 in the output folder (streams copied without "
        "re-encoding when they match, re-encoded when they do not), optionally laying a soundtrack over it: "
        "audio_mode 'replace' or 'mix', trimmed to the video or to the audio. The result's duration is verified "
        "against the inputs. Also the way to add sound to a silent kf2v or VACE video." + media_note,
    )
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
        return await runtime_of(ctx).studio.merge(
            videos, audio=audio, audio_mode=audio_mode, trim=trim, extra_allowed=await client_roots(ctx)
        )

    @tool(
        title="Make a video longer than one clip",
        meta=player.TOOL_META,
        annotations=ToolAnnotations(
            read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True
        ),
        description="Generate a film of several shots: the first from text (t2v) or from `image` (i2v), each next one "
        "from the previous shot's last frame (i2v), then join them into one verified MP4. Planned whole first: "
        "dry_run=true returns every segment, the total billed seconds, cost and wait without spending. Each segment is "
        "a paid job; calling again with the same shots resumes (finished segments are never paid twice). Poll the "
        "returned handle with poll_task. For up to 30 s in one job, Wan 3.0 (submit_video, model wan3.0-video) is an "
        "alternative." + media_note,
    )
    async def make_long_video(
        ctx: Context[Any],
        *,
        shots: Annotated[list[Shot], Field(description="the shots in order: {prompt, duration}")],
        image: Annotated[str | None, Field(description="start from this image (i2v) instead of text")] = None,
        resolution: Annotated[str | None, Field(description="480P, 720P or 1080P (default 720P)")] = None,
        aspect_ratio: Annotated[
            str | None, Field(description="first shot from text: 16:9, 9:16, 1:1, 4:3, 3:4")
        ] = None,
        negative_prompt: Annotated[str | None, Field(description="what to avoid in every shot")] = None,
        seed: Annotated[int | None, Field(description="0–2147483647 for repeatable shots")] = None,
        generate_audio: Annotated[bool | None, Field(description="sound on/off where the model has a switch")] = None,
        t2v_model: Annotated[str | None, Field(description="model for a first shot from text")] = None,
        i2v_model: Annotated[str | None, Field(description="model for shots from a frame")] = None,
        dry_run: Annotated[bool, Field(description="plan and price only; nothing is sent or paid")] = False,
        wait_seconds: Annotated[int, Field(ge=0, le=MAX_WAIT_SECONDS, description="hold up to this long")] = 0,
    ) -> TaskView:
        spec = {
            "kind": "long",
            "shots": [s.model_dump() for s in shots],
            "image": image,
            "aspect_ratio": aspect_ratio,
            "t2v_model": t2v_model,
            "i2v_model": i2v_model,
            "common": {
                "resolution": resolution,
                "negative_prompt": negative_prompt,
                "seed": seed,
                "generate_audio": generate_audio,
            },
        }
        return await runtime_of(ctx).runner.start(
            spec, dry_run=dry_run, wait_seconds=wait_seconds, progress=progress_of(ctx)
        )

    @tool(
        title="Extend a video",
        meta=player.TOOL_META,
        annotations=ToolAnnotations(
            read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True
        ),
        description="Continue a finished video (a task id, handle or local file): generate the next segment from "
        "its last frame (i2v), or continue its last clip of up to 3 s with VACE (method vace), and join the new part "
        "to the original into one verified MP4. A paid job; dry_run=true prices it. "
        "Poll the returned handle with poll_task." + media_note,
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
        runtime = runtime_of(ctx)
        spec = await runtime.studio.extension_spec(
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
        return await runtime.runner.start(spec, dry_run=dry_run, wait_seconds=wait_seconds, progress=progress_of(ctx))

    @mcp.resource("wan://modes", name="modes", title="Wan modes and models", mime_type="application/json")
    def modes_resource() -> str:
        """The catalog (every mode, model and limit) for the configured region, as JSON."""
        return modes_view(settings.region).model_dump_json(indent=1)

    @mcp.resource("wan://tasks/{task_id}", name="task", title="A video job", mime_type="application/json")
    def task_resource(task_id: str, ctx: Context[Any]) -> str:
        """A job's journal record: request (no key), status history, result, local file, error."""
        service = service_of(ctx)
        record = service.journal.get(task_id, with_events=True)
        if record is None:
            raise ResourceNotFoundError(f"no job {task_id!r}")
        data = service.view(record).model_dump()
        data["request"] = record.request
        data["history"] = record.events
        data["notes"] = record.notes
        return json.dumps(data, ensure_ascii=False, indent=1)

    player.add_video_resource(mcp, lambda ctx: service_of(ctx).journal)

    @mcp.resource("wan://skill", name="skill", title="The wan-video skill", mime_type="text/markdown")
    def skill_resource() -> str:
        """How to choose a mode, write prompts, and get past the API's limits (the wan-video Agent Skill)."""
        return (skill.skill_dir() / "SKILL.md").read_text(encoding="utf-8")

    @mcp.resource(
        "wan://skill/{reference}",
        name="skill-reference",
        title="A wan-video skill reference",
        mime_type="text/markdown",
    )
    def skill_reference(reference: str) -> str:
        """One reference of the wan-video skill (models, recipes, prompting, vace, errors…)."""
        found = skill.references().get(reference.removesuffix(".md"))
        if found is None:
            raise ResourceNotFoundError(f"no skill reference {reference!r}; there are {', '.join(skill.references())}")
        return found.read_text(encoding="utf-8")

    @mcp.prompt(title="Choose a Wan mode")
    def choose_mode(goal: str) -> str:
        """Pick the mode, model and arguments for what the user wants, then plan it with a dry run."""
        return (
            f"The user wants: {goal}\n\n"
            "Choose the Wan mode and model for this with the table below (list_modes has every model). Ask for any "
            "image, video or audio the mode needs (a URL or a local file path: chat attachments do not reach this "
            "server). Then call submit_video with dry_run=true, tell the user the cost and the expected wait, and "
            "submit only once they agree.\n\n" + _section(skill.skill_dir() / "SKILL.md", "decisions")
        )

    @mcp.prompt(title="Plan a long video")
    def plan_long_video(description: str, total_seconds: int = 30) -> str:
        """Plan a video longer than one clip: shots, the chain of segments, total cost and wait, then assembly."""
        recipes = skill.references().get("recipes")
        text = recipes.read_text(encoding="utf-8") if recipes else ""
        return (
            f"Plan a video of about {total_seconds} s: {description}\n\n"
            "Split it into shots, choose per shot the mode and duration, add up the billed seconds and the cost "
            "(submit_video with dry_run=true for each shot), tell the user the total and the wait, then generate "
            "shot after shot, polling each with poll_task. Never resubmit a shot whose call timed out: poll it.\n\n"
            + text
        )

    @mcp.prompt(title="Write a video prompt")
    def write_video_prompt(idea: str, mode: str = "t2v") -> str:
        """Turn an idea into a Wan prompt (subject, scene, motion, camera, lighting, style) within the limits."""
        prompting = skill.references().get("prompting")
        text = prompting.read_text(encoding="utf-8") if prompting else ""
        return f"Write a {mode} prompt for: {idea}\n\nKeep within the model's prompt limit (list_modes).\n\n{text}"

    return mcp


def _section(path: Path, name: str) -> str:
    """A generated section of a skill file (the catalog table), or the whole file when it has none."""
    text = path.read_text(encoding="utf-8")
    start, end = f"<!-- BEGIN generated: {name} -->", f"<!-- END generated: {name} -->"
    if start in text and end in text:
        return text.split(start, 1)[1].split(end, 1)[0].strip()
    return text


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


class Shot(BaseModel):
    """One shot of a long video."""

    prompt: str = Field(description="what happens in this shot")
    duration: int = Field(5, description="seconds (billed)")


def task_result(view: TaskView, sheet: bytes | None = None, meta: dict[str, Any] | None = None) -> CallToolResult:
    """A TaskView as structured content, links to the job resource and the local file, a contact sheet, and the
    player's `_meta` (for clients with MCP Apps)."""
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


def submit_signature() -> inspect.Signature:
    """submit_video's parameters: every request argument (documented from the catalog), dry_run, wait_seconds."""
    modes = argument_modes()
    parameters = [inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context[Any])]
    for name, info in VideoRequest.model_fields.items():
        annotation = Annotated[info.annotation, Field(description=argument_description(name, modes.get(name, [])))]  # type: ignore[name-defined]
        parameters.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation))
    parameters.append(
        inspect.Parameter(
            "dry_run",
            inspect.Parameter.KEYWORD_ONLY,
            default=False,
            annotation=Annotated[bool, Field(description="validate and price only; nothing is sent or paid")],
        )
    )
    parameters.append(
        inspect.Parameter(
            "allow_duplicate",
            inspect.Parameter.KEYWORD_ONLY,
            default=False,
            annotation=Annotated[
                bool,
                Field(
                    description="submit even if an identical job is pending, running or done within the last hour "
                    "(by default that job is returned instead of paying twice)"
                ),
            ],
        )
    )
    parameters.append(
        inspect.Parameter(
            "wait_seconds",
            inspect.Parameter.KEYWORD_ONLY,
            default=0,
            annotation=Annotated[
                int, Field(ge=0, le=MAX_WAIT_SECONDS, description="hold up to this long for the result, with progress")
            ],
        )
    )
    return inspect.Signature(parameters, return_annotation=SubmitView)
