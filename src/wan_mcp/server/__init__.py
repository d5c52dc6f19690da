"""The MCP surface: `build_server()` registers the tools (`tools.py`), their descriptions (`descriptions.py`), the
resources and prompts (`resources.py`) over a running `WanService` (thin: no business logic here)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import anyio
from mcp.server import MCPServer
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.types import ToolAnnotations
from pydantic import AnyHttpUrl
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from wan_mcp import __version__, catalog, media
from wan_mcp.config import Settings, load_settings, redact
from wan_mcp.errors import RequestInvalid, WanMcpError
from wan_mcp.server import confirm, player, tools
from wan_mcp.server.context import Runtime
from wan_mcp.server.descriptions import INSTRUCTIONS, submit_description, submit_signature
from wan_mcp.server.http import DownloadLinks, TokenVerifier, refuse_tokens_in_urls, security_for
from wan_mcp.server.resources import register_resources
from wan_mcp.server.schemas import lean_schema
from wan_mcp.server.strict import StrictArguments
from wan_mcp.service import WanService
from wan_mcp.service.chains import ChainRunner
from wan_mcp.service.studio import Studio

# Hints equal to the spec's defaults (readOnly false, destructive true, idempotent false, openWorld true) are left
# out; every tool still says readOnlyHint or destructiveHint outright (directories look for one of them).
_READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)
_PAID = ToolAnnotations(destructive_hint=False)
_PLAYER = {"meta": player.TOOL_META}  # hosts with MCP Apps show the player beside these tools' results
_LOCAL = ToolAnnotations(destructive_hint=False, open_world_hint=False)


@dataclass(frozen=True)
class ToolSpec:
    """A tool as registered: its function, title, annotations and (when not its docstring) description."""

    fn: Callable[..., Awaitable[Any]]
    title: str
    annotations: ToolAnnotations
    description: str | None = None
    media: bool = False  # needs the media extra
    options: dict[str, Any] = field(default_factory=dict)
    present: Callable[[Any, Any], Awaitable[Any]] | None = None  # the function's view → the tool's result


def _media_note() -> str:
    return "" if media.available() else " Needs: pip install 'wan-mcp[media]'."


def tool_specs() -> list[ToolSpec]:
    """Every tool, in the order clients list them."""
    tools.submit_video.__signature__ = submit_signature()  # type: ignore[attr-defined]
    return [
        ToolSpec(tools.list_modes, "List Wan modes and models", _READ_ONLY),
        ToolSpec(
            tools.submit_video,
            "Submit a Wan video job",
            _PAID,
            submit_description(),
            options=_PLAYER,
            present=tools.present_submit,
        ),
        ToolSpec(
            tools.poll_task,
            "Check (and wait for) a video job",
            ToolAnnotations(destructive_hint=False, idempotent_hint=True),
            options=_PLAYER,
        ),
        ToolSpec(tools.list_tasks, "List video jobs", _READ_ONLY),
        ToolSpec(
            tools.cancel_task,
            "Cancel a queued video job",
            ToolAnnotations(destructive_hint=True, idempotent_hint=True),
        ),
        ToolSpec(
            tools.extract_frame,
            "Take a frame from a video",
            ToolAnnotations(destructive_hint=False, idempotent_hint=True, open_world_hint=False),
            "Save the first, the last (for chaining) or the frame at a time of a finished job's video or a local "
            "video as a PNG, ready to pass as image (i2v) or first_frame/last_frame (kf2v).",
            media=True,
        ),
        ToolSpec(
            tools.merge_media,
            "Join videos, add a soundtrack",
            _LOCAL,
            "Join videos in order into one MP4 (streams copied when they match, else re-encoded), optionally with a "
            "soundtrack; its duration is verified against the inputs. The way to add sound to a silent kf2v or VACE "
            "video.",
            media=True,
        ),
        ToolSpec(
            tools.make_long_video,
            "Make a video longer than one clip",
            _PAID,
            "A film of several shots, each a paid job (the first from text or image, each next from the last frame "
            "before it) joined into one verified MP4. dry_run=true prices it all. Calling again with the same shots "
            "resumes without paying twice. Poll the handle with poll_task. Up to 30 s in one job: submit_video with "
            f"{catalog.longest_model('t2v').id}.",
            media=True,
            options=_PLAYER,
            present=tools.present_chain,
        ),
        ToolSpec(
            tools.extend_video,
            "Extend a video",
            _PAID,
            "Continue a finished video (task id, handle or local file) from its last frame (i2v) or its last clip "
            "(VACE), joined to it in one verified MP4. A paid job: dry_run=true prices it; poll the handle with "
            "poll_task.",
            media=True,
            options=_PLAYER,
            present=tools.present_chain,
        ),
    ]


def tool_error(exc: WanMcpError, secrets: tuple[str, ...]) -> ToolError:
    """The client's tool error for one of ours: every problem with its field and fix (the key redacted)."""
    if isinstance(exc, RequestInvalid):
        lines = [f"{p.code} ({p.field}): {p.message} Fix: {p.fix}" for p in exc.problems]
        return ToolError(redact("Refused before anything was sent or paid:\n" + "\n".join(lines), secrets))
    return ToolError(redact(f"{exc.code}: {exc.message} Fix: {exc.fix}", secrets))


def guarded(fn: Callable[..., Awaitable[Any]], secrets: tuple[str, ...]) -> Callable[..., Awaitable[Any]]:
    """The tool function, with a WanMcpError it raises turned into the client's ToolError in our format."""

    @functools.wraps(fn)
    async def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return await fn(*args, **kwargs)
        except WanMcpError as exc:
            raise tool_error(exc, secrets) from None

    return call


def presented(
    fn: Callable[..., Awaitable[Any]], present: Callable[[Any, Any], Awaitable[Any]]
) -> Callable[..., Awaitable[Any]]:
    """The tool function whose view (after any confirmation gate) becomes the tool's result through `present`."""

    @functools.wraps(fn)
    async def call(*args: Any, **kwargs: Any) -> Any:
        return await present(kwargs["ctx"], await fn(*args, **kwargs))

    return call


def build_tools(secrets: tuple[str, ...]) -> list[Tool]:
    """Every tool as published: its lean input schema (closed sets as enums) and no output schema (a result is one
    compact JSON text, see `results.py`)."""
    built = []
    for spec in tool_specs():
        description = spec.description or inspect.cleandoc(spec.fn.__doc__ or "")
        fn = confirm.gate_tool(spec.fn) if spec.fn.__name__ in confirm.PAID_TOOLS else spec.fn
        fn = presented(fn, spec.present) if spec.present is not None else fn
        tool = Tool.from_function(
            guarded(fn, secrets),
            title=spec.title,
            description=description + (_media_note() if spec.media else ""),
            annotations=spec.annotations,
            structured_output=False,
            **spec.options,
        )
        tool.parameters = lean_schema(tool.parameters)
        built.append(tool)
    return built


@asynccontextmanager
async def running(settings: Settings, *, http_url: str | None = None) -> AsyncIterator[Runtime]:
    """The service, its chains and its studio (and over HTTP, download links), running as long as the server does."""
    async with WanService.open(settings) as service:
        links = None
        if http_url is not None:
            secret = await service.signing_key("download-links")
            links = DownloadLinks(secret, settings.public_url or http_url, settings.download_url_ttl)
        runtime = Runtime(service, ChainRunner(service), Studio(service), links)
        async with anyio.create_task_group() as group:
            await group.start(runtime.runner.run)
            try:
                yield runtime
            finally:
                group.cancel_scope.cancel()


def build_server(settings: Settings | None = None, *, http_url: str | None = None) -> MCPServer[Any]:
    """The wan-mcp MCP server for these settings (default: from the environment).

    With `http_url` (streamable HTTP): every request must carry a bearer token when WAN_MCP_HTTP_TOKEN or tenants are
    set, and delivered videos get signed download links served at `/files/…`.
    """
    settings = settings or load_settings()
    auth: dict[str, Any] = {}
    if http_url is not None and (settings.http_token is not None or settings.tenants):
        auth = {
            "token_verifier": TokenVerifier(settings),
            "auth": AuthSettings(issuer_url=AnyHttpUrl(http_url), resource_server_url=AnyHttpUrl(http_url + "/mcp")),
        }
    live: dict[str, Runtime] = {}

    @asynccontextmanager
    async def lifespan(_: MCPServer[Any]) -> AsyncIterator[Runtime]:
        async with running(settings, http_url=http_url) as runtime:
            live["runtime"] = runtime
            try:
                yield runtime
            finally:
                live.clear()

    level = settings.log_level if settings.log_level in ("DEBUG", "INFO", "WARNING", "ERROR") else "INFO"
    mcp: MCPServer[Runtime] = MCPServer(
        "wan-mcp",
        title="Wan video generation",
        instructions=INSTRUCTIONS,
        version=__version__,
        lifespan=lifespan,
        log_level=level,  # type: ignore[arg-type]
        tools=build_tools(settings.secrets),
        extensions=[player.apps_extension()],
        **auth,
    )
    register_resources(mcp, settings, lambda: live.get("runtime"))
    player.add_video_resource(mcp)
    mcp.middleware.append(StrictArguments(mcp, settings.secrets))  # closed input schemas, strict arguments
    if http_url is not None:
        mcp.custom_route("/files/{token}", methods=["GET", "HEAD"], name="files")(file_route(live))
    return mcp


def file_route(live: dict[str, Runtime]) -> Callable[[Request], Awaitable[Response]]:
    """GET /files/{token}: the verified file of a delivered job or chain, for the tenant the link was signed for."""

    async def send_file(request: Request) -> Response:
        runtime = live.get("runtime")
        signed = runtime.links.verify(request.path_params["token"]) if runtime and runtime.links else None
        if runtime is None or signed is None:
            return JSONResponse({"error": "not_found", "message": "no such file, or the link expired"}, 404)
        tenant, handle = signed
        video = await runtime.service.delivered(handle, tenant)
        if video is None or not video.path.is_file():
            return JSONResponse(
                {"error": "not_found", "message": "the video is not (or no longer) on this server"}, 404
            )
        return FileResponse(video.path, media_type="video/mp4", filename=video.path.name)

    return send_file


def serve_http(settings: Settings, host: str, port: int) -> None:
    """Serve MCP over streamable HTTP with the download route (stateless when replicas share the journal)."""
    import uvicorn  # noqa: PLC0415 (only HTTP serving needs it: stdio start-up stays light)

    url = f"http://{host}:{port}" if ":" not in host else f"http://[{host}]:{port}"
    public_hosts = (urlsplit(settings.public_url).hostname or "",) if settings.public_url else ()
    server = build_server(settings, http_url=url)
    # Replicas sharing a PostgreSQL journal answer statelessly, so any replica serves any call (no sticky sessions);
    # one process keeps sessions, so handshake-era clients' capabilities (MCP Apps, elicitation) stay known.
    replicated = (settings.database_url or "").startswith(("postgresql://", "postgres://"))
    app = server.streamable_http_app(
        stateless_http=replicated, transport_security=security_for(host, port, public_hosts), host=host
    )
    level = settings.log_level.lower() if settings.log_level in ("DEBUG", "INFO", "WARNING", "ERROR") else "info"
    uvicorn.run(refuse_tokens_in_urls(app), host=host, port=port, access_log=False, log_level=level)


__all__ = ["build_server", "build_tools", "running", "serve_http", "tool_specs"]
