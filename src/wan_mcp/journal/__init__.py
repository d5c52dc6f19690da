"""The task journal: durable, typed records of every job, written before a submit is sent.

`open_store(settings)` picks the store: SQLite in the data folder (the default, embedded, nothing to install) or
PostgreSQL when `WAN_MCP_DATABASE_URL` is a `postgresql://` URL (several replicas sharing one journal).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from wan_mcp.errors import ConfigError
from wan_mcp.journal.budget import DailyBudget, OverDailyBudget
from wan_mcp.journal.records import ChainRecord, ChainSegment, SpendRow, TaskEvent, TaskRecord, new_handle
from wan_mcp.journal.store import JournalUnavailable, Store, TaskFilter, wait_for_query_turn

if TYPE_CHECKING:
    from wan_mcp.config import Settings


async def open_store(settings: Settings) -> Store:
    """The journal these settings name: WAN_MCP_DATABASE_URL, else SQLite in the data folder."""
    url = settings.database_url
    if url is None:
        from wan_mcp.journal.sqlite import SqliteStore

        return SqliteStore(settings.journal_path)
    if url.startswith("sqlite:///"):
        from wan_mcp.journal.sqlite import SqliteStore

        return SqliteStore(Path(url.removeprefix("sqlite:///")).expanduser())
    if url.startswith(("postgresql://", "postgres://")):
        from wan_mcp.journal.postgres import PostgresStore

        return await PostgresStore.connect(url)
    raise ConfigError(
        f"WAN_MCP_DATABASE_URL={url.split('@')[-1]!r} is neither sqlite:/// nor postgresql://",
        fix="use sqlite:///path/to/journal.sqlite3 or postgresql://user@host:5432/db, or leave it unset",
        code="invalid_database_url",
    )


__all__ = [
    "ChainRecord",
    "ChainSegment",
    "DailyBudget",
    "JournalUnavailable",
    "OverDailyBudget",
    "SpendRow",
    "Store",
    "TaskEvent",
    "TaskFilter",
    "TaskRecord",
    "new_handle",
    "open_store",
    "wait_for_query_turn",
]
