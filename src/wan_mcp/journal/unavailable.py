"""The journal that could not be opened: every call says why, so the tools that need no journal still work."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, NoReturn

from wan_mcp.journal.store import JournalUnavailable


class UnavailableStore:
    """Stands in for a journal that cannot be opened (a folder that cannot be written, a database that is down):
    every store call raises `JournalUnavailable` naming the reason."""

    recovery_note: str | None = None

    def __init__(self, reason: str) -> None:
        self.reason = reason

    async def close(self) -> None:
        return None

    def __getattr__(self, name: str) -> Callable[..., Awaitable[NoReturn]]:
        async def refuse(*_: Any, **__: Any) -> NoReturn:
            raise JournalUnavailable(f"the journal cannot be opened: {self.reason}; nothing was sent or paid")

        return refuse
