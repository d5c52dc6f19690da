"""What every part of the service shares: the settings, the journal, the clock, the process identity, the client."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

import anyio
from pydantic import SecretStr

from wan_mcp.config import Settings
from wan_mcp.dashscope import DashScopeClient
from wan_mcp.errors import ConfigError
from wan_mcp.journal.store import Store, rate_within, wait_for_query_turn
from wan_mcp.polling import Clock

T = TypeVar("T")
ProgressFn = Callable[[float, float | None, str], Awaitable[None]]
MAX_WAIT_SECONDS = 50
LEASE_SECONDS = 20.0  # a job's owner renews its lease well within this; a dead owner's jobs are taken after it


def process_identity() -> str:
    """A name for this process that no other process (on any machine) shares: host, pid and a random part."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(4)}"


@dataclass
class Deps:
    """The shared parts; the client is made on first use (listing modes and planning need no key)."""

    settings: Settings
    store: Store
    clock: Clock
    owner: str = field(default_factory=process_identity)
    clients: dict[str, DashScopeClient] = field(default_factory=dict)
    sending: set[str] = field(default_factory=set)  # jobs whose submit call runs in this process right now

    def client(self, tenant: str = "") -> DashScopeClient:
        """The DashScope client for a tenant's key and region (the configured key for the single user)."""
        found = self.clients.get(tenant)
        if found is not None:
            return found
        key, region, base_url = self.settings.account_for(tenant)
        if key is None:
            raise ConfigError(
                "DASHSCOPE_API_KEY is not set",
                fix="set DASHSCOPE_API_KEY to a Model Studio key of your region (DASHSCOPE_REGION), "
                "or run `wan-mcp demo` to try everything on the local emulator",
                code="missing_api_key",
            )
        client = DashScopeClient(
            base_url=base_url,
            api_key=SecretStr(key.get_secret_value()),
            region=region,
            workspace=self.settings.workspace,
            query_qps=self.settings.query_qps,
            query_turn=lambda: wait_for_query_turn(self.store, per_second=self.settings.query_qps),
            submit_turn=lambda model, rate: wait_for_query_turn(
                self.store, per_second=rate_within(rate), send_clock=f"submit {region} {model}"
            ),
        )
        self.clients[tenant] = client
        return client

    async def aclose(self) -> None:
        for client in self.clients.values():
            await client.aclose()
        await self.store.close()


async def renew_lease(deps: Deps, handle: str) -> None:
    """Renew this process's lease on a job."""
    now = deps.clock.now()
    await deps.store.take_lease(handle, deps.owner, until=now + LEASE_SECONDS, now=now)


async def while_renewing(renew: Callable[[], Awaitable[object]], work: Callable[[], Awaitable[T]]) -> T:
    """`work()`, with `renew()` called every LEASE_SECONDS / 3 beside it: a lease kept through a long upload, send,
    download or join. What `work` raises comes out as it is (not wrapped by a task group)."""

    async def renewing() -> None:
        while True:
            await anyio.sleep(LEASE_SECONDS / 3)
            await renew()

    failure: BaseException | None = None
    async with anyio.create_task_group() as group:
        group.start_soon(renewing)
        try:
            result = await work()
        except BaseException as exc:  # re-raised below, once the renewing has stopped
            failure = exc
        finally:
            group.cancel_scope.cancel()
    if failure is not None:
        raise failure
    return result
