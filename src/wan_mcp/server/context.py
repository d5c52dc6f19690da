"""What every tool and resource reads from a request: the running service (the lifespan's `Runtime`, which opens
in the background as the server starts) and the tenant the request speaks for."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio
import anyio.abc
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.mcpserver import Context

from wan_mcp.states import JobState

if TYPE_CHECKING:
    from wan_mcp.config import Settings
    from wan_mcp.server.http import DownloadLinks
    from wan_mcp.service import WanService
    from wan_mcp.service.chains import ChainRunner
    from wan_mcp.service.studio import Studio
    from wan_mcp.views import TaskView

# How long after start the runtime opens when no request asks for it sooner (the first request after initialize does):
# the tracker then follows any unfinished job from an earlier run even if no tool is called.
OPEN_ANYWAY_SECONDS = 1.0
# How long after that first request it waits, unless a call needs it sooner: its imports hold the event loop (one
# thread imports, so no module is ever seen half made), and the answer that asked for it goes out first.
AFTER_ANSWER_SECONDS = 0.3


@dataclass(frozen=True)
class Runtime:
    """What the tools work with: jobs (service), chains of jobs (runner), local video work (studio) and, when served
    over HTTP, signed download links."""

    service: WanService
    runner: ChainRunner
    studio: Studio
    links: DownloadLinks | None = None

    def with_link(self, view: TaskView, tenant: str) -> TaskView:
        """The view with a download link when the video is delivered and the server is reached over HTTP."""
        if self.links is None or view.state != JobState.DELIVERED or not view.local_path:
            return view
        return view.model_copy(update={"download_url": self.links.url_for(tenant, view.handle)})


class Starting:
    """The lifespan's context: the runtime, opened in the background so that initialize and tools/list answer without
    waiting for the journal, the tracker and the modules behind them. It opens shortly after the first request after
    initialize (or OPEN_ANYWAY_SECONDS after start), at once for a call that needs it, which waits for it."""

    def __init__(self, opener: Callable[[], AbstractAsyncContextManager[Runtime]]) -> None:
        self._opener = opener
        self._wanted = anyio.Event()
        self._needed = anyio.Event()
        self._ready = anyio.Event()
        self._stopping = anyio.Event()
        self._runtime: Runtime | None = None

    def want(self) -> None:
        """Open soon (a request came that may need it): AFTER_ANSWER_SECONDS on, or at once when a call needs it."""
        self._wanted.set()

    def stop(self) -> None:
        """Close the runtime (the server is stopping): `run` returns once it is closed, or at once if never opened."""
        self._stopping.set()
        self._wanted.set()
        self._needed.set()

    async def get(self) -> Runtime:
        """The runtime, once open (opening it now if it was not)."""
        self._wanted.set()
        self._needed.set()
        await self._ready.wait()
        assert self._runtime is not None
        return self._runtime

    async def run(self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Open the runtime when wanted and keep it open until `stop` (a failure to open ends the server, as a
        failure before the first answer did); it closes as it always did, not by cancellation."""
        task_status.started()
        with anyio.move_on_after(OPEN_ANYWAY_SECONDS):
            await self._wanted.wait()
        with anyio.move_on_after(AFTER_ANSWER_SECONDS):
            await self._needed.wait()
        if self._stopping.is_set():
            return
        async with self._opener() as runtime:
            self._runtime = runtime
            self._ready.set()
            try:
                await self._stopping.wait()
            finally:
                self._runtime = None


async def runtime(ctx: Context[Any]) -> Runtime:
    """The running service of this request's server (waiting while it opens)."""
    starting: Starting = ctx.request_context.lifespan_context
    return await starting.get()


def current_tenant() -> str:
    """The tenant a request speaks for: the one its bearer token selected in hosted mode, else "" (the single
    user). Every job read or written through a tool is scoped to it."""
    token = get_access_token()
    if token is None or not token.client_id.startswith("tenant:"):
        return ""
    return token.client_id.removeprefix("tenant:")


@asynccontextmanager
async def running(settings: Settings, *, http_url: str | None = None) -> AsyncIterator[Runtime]:
    """The service, its chains and its studio (and over HTTP, download links), running as long as the server does."""
    from wan_mcp.server.http import DownloadLinks  # noqa: PLC0415 (the service's modules load as it opens)
    from wan_mcp.service import WanService  # noqa: PLC0415
    from wan_mcp.service.chains import ChainRunner  # noqa: PLC0415
    from wan_mcp.service.studio import Studio  # noqa: PLC0415

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
