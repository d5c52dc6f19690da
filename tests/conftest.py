"""Shared fixtures: a live DashScope emulator on loopback, the anyio backend, and a PostgreSQL database."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx2
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal

from wan_mcp.emulator.app import Emulator, EmulatorConfig
from wan_mcp.journal import Store
from wan_mcp.journal.sqlite import SqliteStore

CANARY_KEY = "sk-canary-7f3e9a1c5b2d4e6f8a0b"
TOOLS = frozenset(
    {
        "list_modes",
        "submit_video",
        "poll_task",
        "list_tasks",
        "cancel_task",
        "extract_frame",
        "merge_media",
        "make_long_video",
        "extend_video",
    }
)


@dataclass
class LiveEmulator:
    """An emulator serving on 127.0.0.1 in a background thread."""

    emulator: Emulator
    port: int
    portal: BlockingPortal

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return self.root + "/api/v1"

    def admin(self, action: str, body: dict[str, Any] | None = None) -> Any:
        """Call the emulator's admin API (faults, state, log, task actions)."""
        url = f"{self.root}/__emulator__/{action}"
        with httpx2.Client(timeout=10) as http:
            response = http.post(url, json=body or {}) if body is not None else http.get(url)
        response.raise_for_status()
        return response.json()

    def server_env(self, tmp_path: Path, *, inherit: bool = False, **extra: str) -> dict[str, str]:
        """The environment of a wan-mcp that talks to this emulator with the canary key, keeps its journal and videos
        under `tmp_path` (its HOME too) and polls at the emulator's speed; `extra` adds or overrides variables.

        inherit: start from this process's environment without its DASHSCOPE_* and WAN_MCP_* (for a subprocess).
        """
        inherited = os.environ.items() if inherit else ()
        return {
            **{k: v for k, v in inherited if not k.startswith(("DASHSCOPE_", "WAN_MCP_"))},
            "DASHSCOPE_API_KEY": CANARY_KEY,
            "DASHSCOPE_BASE_URL": self.base_url,
            "WAN_MCP_DATA_DIR": str(tmp_path / "data"),
            "WAN_MCP_OUTPUT_DIR": str(tmp_path / "videos"),
            "WAN_MCP_POLL_SPEED": str(self.emulator.config.speed),
            "HOME": str(tmp_path),
            **extra,
        }

    def faults(self, **faults: Any) -> None:
        self.admin("faults", faults)

    def requests(self, route: str | None = None) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = self.admin("log")["requests"]
        return [e for e in entries if route is None or e.get("route") == route]


def result_data(result: Any) -> dict[str, Any]:
    """A successful tool result's facts: its one text block, parsed (results carry no structured copy)."""
    assert not result.is_error, result.content[0].text if result.content else result
    assert result.structured_content is None
    data: dict[str, Any] = json.loads(result.content[0].text)
    return data


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def make_emulator() -> Iterator[Callable[..., LiveEmulator]]:
    """Start emulators with a given config; each is stopped after the test."""
    started: list[tuple[Any, LiveEmulator, Any]] = []

    def start(**config: Any) -> LiveEmulator:
        config.setdefault("api_key", CANARY_KEY)
        config.setdefault("speed", 1000.0)
        emulator = Emulator(EmulatorConfig(**config))
        context = start_blocking_portal()
        portal = context.__enter__()
        future, port = portal.start_task(emulator.serve)
        live = LiveEmulator(emulator, port, portal)
        started.append((context, live, future))
        return live

    yield start
    for context, live, future in started:
        future.cancel()
        context.__exit__(None, None, None)
        live.emulator.close()


@pytest.fixture
def emulator(make_emulator: Callable[..., LiveEmulator]) -> LiveEmulator:
    """A fast emulator (×1000) that accepts only the canary key."""
    return make_emulator()


# -- PostgreSQL for the journal's store suite and the hosted tests ------------------------------------------------
# The server is the first of: WAN_MCP_TEST_DATABASE_URL; a server on 127.0.0.1:5432 (user postgres, trust auth).
# Each test session gets a fresh database (random name), dropped at the end; each test a fresh schema in it. With no
# server, the PostgreSQL tests are skipped with the reason, except under CI (CI=true), where they fail.
POSTGRES_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def _postgres_missing(reason: str) -> NoReturn:
    if os.environ.get("CI", "").strip().lower() in ("true", "1", "yes"):
        pytest.fail(f"PostgreSQL is required under CI and {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL tests skipped: {reason} (set WAN_MCP_TEST_DATABASE_URL or run one on 127.0.0.1:5432)")


def _postgres_url(server: str, database: str, schema: str | None = None) -> str:
    """The server's URL pointed at another database (and with a search_path, when a schema is given)."""
    parts = urlsplit(server)
    query = parse_qsl(parts.query) + ([("options", f"-csearch_path={schema}")] if schema else [])
    return urlunsplit(parts._replace(path=f"/{database}", query=urlencode(query)))


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """The URL of a fresh database on the test PostgreSQL server, for this test session only (dropped after)."""
    try:
        import psycopg
        from psycopg import sql
    except ImportError:
        _postgres_missing("psycopg is not installed (pip install -e '.[test]')")
    server = os.environ.get("WAN_MCP_TEST_DATABASE_URL", "").strip() or POSTGRES_SERVER_URL
    parts = urlsplit(server)
    shown = f"{parts.hostname}:{parts.port or 5432}"  # never the user's password
    try:
        admin = psycopg.connect(server, autocommit=True, connect_timeout=3)
    except psycopg.Error as exc:
        _postgres_missing(f"no server answered at {shown} ({type(exc).__name__})")
    name = f"wan_mcp_test_{secrets.token_hex(4)}"
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield _postgres_url(server, name)
    finally:
        with psycopg.connect(server, autocommit=True, connect_timeout=3) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def postgres_url(postgres_database: str) -> Iterator[str]:
    """A PostgreSQL URL of this test's own: a fresh schema (its search_path) in the session's database."""
    import psycopg
    from psycopg import sql

    schema = f"test_{secrets.token_hex(4)}"
    with psycopg.connect(postgres_database, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    yield _postgres_url(postgres_database, urlsplit(postgres_database).path.lstrip("/"), schema)
    with psycopg.connect(postgres_database, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


class Clock:
    """Wall time that a test sets (the stores stamp records with it)."""

    def __init__(self, now: float = 2000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


OpenStore = Callable[..., Awaitable[Store]]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["sqlite", "postgres"])
def store_kind(request: pytest.FixtureRequest) -> str:
    """Each store in turn: the store suite runs once per kind."""
    return str(request.param)


@pytest.fixture
async def open_store(
    store_kind: str, request: pytest.FixtureRequest, tmp_path: Path, clock: Clock
) -> AsyncIterator[OpenStore]:
    """Open stores on one journal of the kind under test; each call is a new connection (as another process is).
    Keywords: `timeout` (how long the store waits for a lock or the server) and the store's own options."""
    opened: list[Store] = []
    url = request.getfixturevalue("postgres_url") if store_kind == "postgres" else ""

    async def open_(*, timeout: float = 10.0, **options: Any) -> Store:
        options.setdefault("clock", clock)
        store: Store
        if store_kind == "postgres":
            from wan_mcp.journal.postgres import PostgresStore

            store = await PostgresStore.connect(url, timeout=timeout, **options)
        else:
            store = SqliteStore(tmp_path / "journal.sqlite3", busy_seconds=timeout, **options)
        opened.append(store)
        return store

    yield open_
    for store in opened:
        await store.close()


@pytest.fixture
async def store(open_store: OpenStore) -> Store:
    """A journal of the kind under test."""
    return await open_store()
