"""The MCP surface: `build_server()` publishes the tools (`toolset.py`, kept built by `published.py`), the resources
and prompts (`resources.py`), over a `WanService` that opens in the background (`context.py`; thin: no business logic
here)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import anyio
from mcp.server import MCPServer
from mcp.server.auth.settings import AuthSettings
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from pydantic import AnyHttpUrl
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from wan_mcp import __version__
from wan_mcp.config import Settings, load_settings
from wan_mcp.server import player, published
from wan_mcp.server.context import Starting, running
from wan_mcp.server.resources import register_resources
from wan_mcp.server.strict import StrictArguments


def published_tools(settings: Settings) -> published.Published:
    """The instructions and tools to publish, kept built in the data folder."""

    def build() -> published.Published:
        from wan_mcp.server import toolset  # noqa: PLC0415 (only a first start, or a changed installation, builds)

        return toolset.published(settings.secrets)

    return published.load(settings.data_dir, build)


def built_tools(settings: Settings) -> list[Any]:
    from wan_mcp.server import toolset  # noqa: PLC0415 (at a tool's first call)

    return toolset.build_tools(settings.secrets)


async def open_at_first_request(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
    """Middleware: the first request after initialize (tools/list, a call…) starts opening the runtime once it is
    answered (a call that needs the runtime asks for it itself)."""
    result = await call_next(ctx)
    if ctx.request_id is not None and ctx.method != "initialize" and isinstance(ctx.lifespan_context, Starting):
        ctx.lifespan_context.want()
    return result


def build_server(settings: Settings | None = None, *, http_url: str | None = None) -> MCPServer[Any]:
    """The wan-mcp MCP server for these settings (default: from the environment).

    With `http_url` (streamable HTTP): every request must carry a bearer token when WAN_MCP_HTTP_TOKEN or tenants are
    set, and delivered videos get signed download links served at `/files/…`.
    """
    settings = settings or load_settings()
    auth: dict[str, Any] = {}
    if http_url is not None and (settings.http_token is not None or settings.tenants):
        from wan_mcp.server.http import TokenVerifier  # noqa: PLC0415 (HTTP only)

        auth = {
            "token_verifier": TokenVerifier(settings),
            "auth": AuthSettings(issuer_url=AnyHttpUrl(http_url), resource_server_url=AnyHttpUrl(http_url + "/mcp")),
        }
    live: dict[str, Starting] = {}

    @asynccontextmanager
    async def lifespan(_: MCPServer[Any]) -> AsyncIterator[Starting]:
        starting = Starting(lambda: running(settings, http_url=http_url))
        if http_url is not None:  # a long-running HTTP server opens at once: only a spawned stdio one races a client
            starting.want()
        async with anyio.create_task_group() as group:
            await group.start(starting.run)
            live["starting"] = starting
            try:
                yield starting
            finally:
                live.clear()
                starting.stop()  # the runtime closes as it always did; the task group waits for it

    level = settings.log_level if settings.log_level in ("DEBUG", "INFO", "WARNING", "ERROR") else "INFO"
    publishing = published_tools(settings)
    mcp: MCPServer[Starting] = MCPServer(
        "wan-mcp",
        title="Wan video generation",
        instructions=publishing.instructions,
        version=__version__,
        lifespan=lifespan,
        log_level=level,  # type: ignore[arg-type]
        tools=publishing.deferred(lambda: built_tools(settings)),
        extensions=[player.apps_extension()],
        **auth,
    )
    register_resources(mcp, settings, lambda: live.get("starting"))
    player.add_video_resource(mcp)
    mcp.middleware.append(open_at_first_request)
    mcp.middleware.append(StrictArguments(mcp, settings.secrets))  # closed input schemas, strict arguments
    if http_url is not None:
        mcp.custom_route("/files/{token}", methods=["GET", "HEAD"], name="files")(file_route(live))
    return mcp


def file_route(live: dict[str, Starting]) -> Callable[[Request], Awaitable[Response]]:
    """GET /files/{token}: the verified file of a delivered job or chain, for the tenant the link was signed for."""

    async def send_file(request: Request) -> Response:
        starting = live.get("starting")
        runtime = await starting.get() if starting is not None else None
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

    from wan_mcp.server.http import refuse_tokens_in_urls, security_for  # noqa: PLC0415

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


__all__ = ["build_server", "serve_http"]
