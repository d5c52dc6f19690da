"""What every tool and resource reads from a request: the running service (the lifespan's `Runtime`) and the tenant
the request speaks for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.mcpserver import Context

from wan_mcp.server.http import DownloadLinks
from wan_mcp.service import WanService
from wan_mcp.service.chains import ChainRunner
from wan_mcp.service.studio import Studio
from wan_mcp.states import JobState
from wan_mcp.views import TaskView


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


def runtime(ctx: Context[Any]) -> Runtime:
    found: Runtime = ctx.request_context.lifespan_context
    return found


def current_tenant() -> str:
    """The tenant a request speaks for: the one its bearer token selected in hosted mode, else "" (the single
    user). Every job read or written through a tool is scoped to it."""
    token = get_access_token()
    if token is None or not token.client_id.startswith("tenant:"):
        return ""
    return token.client_id.removeprefix("tenant:")
