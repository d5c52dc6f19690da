"""The ledger: billed cost on success, nothing for failures, running quotes apart; today and this month, by model,
by tenant when hosted; through `wan://spend`, `wan-mcp spend` and each job's cost in `list_tasks`."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import ElicitRequestParams, ElicitResult

from conftest import CANARY_KEY, LiveEmulator, result_data
from test_hosted import free_port
from wan_mcp.cli import main
from wan_mcp.config import load_settings
from wan_mcp.server import build_server
from wan_mcp.service import WanService
from wan_mcp.service.ledger import ledger, ledger_text

T2V = {"mode": "t2v", "resolution": "720P", "duration": 3}  # 1.80 CNY (estimate)
SLOW = 100_000
TOKENS = {"alice": "tok-alice-ledger", "bob": "tok-bob-ledger"}
OPERATOR = "tok-operator-ledger"


def job(prompt: str) -> dict[str, Any]:
    return {**T2V, "prompt": prompt}


async def settle(service: WanService, handle: str, state: str) -> None:
    with anyio.fail_after(30):
        while (record := await service.store.get_task(handle)) is None or record.state.value != state:
            await anyio.sleep(0.05)


async def three_jobs(service: WanService, emulator: LiveEmulator) -> None:
    """One delivered (billed 1.80 CNY), one failed (nothing), one still running (quoted 1.80 CNY)."""
    delivered = await service.submit(job("delivered"), wait_seconds=30)
    emulator.faults(fail_tasks=[{"code": "DataInspectionFailed", "message": "no", "count": 1}])
    failed = await service.submit(job("failed"))
    assert delivered.task is not None and failed.task is not None
    await settle(service, delivered.task.handle, "delivered")
    await settle(service, failed.task.handle, "failed")
    emulator.faults(processing_seconds=SLOW)
    await service.submit(job("running"))


@pytest.mark.anyio
async def test_the_ledger_adds_billed_and_running_apart(emulator: LiveEmulator, tmp_path: Path) -> None:
    """Billed seconds × the quoted price for the delivered job, nothing for the failed one, the running one's quote
    apart; today, this month and by model; the budget with what is left today; and a text for people."""
    settings = load_settings(emulator.server_env(tmp_path, WAN_MCP_DAILY_BUDGET="5", WAN_MCP_MAX_COST_PER_JOB="2"))
    async with WanService.open(settings) as service:
        await three_jobs(service, emulator)
        book = await ledger(service.budgets, "")
    for period in (book.today, book.month):
        [line] = period
        assert (line.currency, line.spent, line.jobs, line.billed_seconds) == ("CNY", pytest.approx(1.8), 1, 3)
        assert (line.running, line.running_jobs, line.unpriced_jobs) == (pytest.approx(1.8), 1, 0)
    assert [(m.model, m.jobs) for m in book.by_model] == [("wan2.6-t2v", 1)] and book.by_tenant is None
    assert book.budget is not None and book.budget.left_today == pytest.approx(1.4)
    text = ledger_text(book)
    assert "1.80 CNY on 1 video(s) (3 s billed); 1.80 CNY more if 1 running job(s) succeed." in text
    assert "Budget: 5.00 CNY a day (1.40 CNY left today); at most 2.00 CNY per job." in text


@pytest.mark.anyio
async def test_list_tasks_and_the_spend_resource(emulator: LiveEmulator, tmp_path: Path) -> None:
    """list_tasks shows each job's cost (billed, or 0 for a failure, null while it runs); wan://spend the ledger."""
    settings = load_settings(emulator.server_env(tmp_path))
    async with WanService.open(settings) as service:
        await three_jobs(service, emulator)
    async with Client(build_server(settings)) as client:
        listed = result_data(await client.call_tool("list_tasks", {}))
        contents = (await client.read_resource("wan://spend")).contents[0]
    assert listed is not None
    costs = {t["prompt"]: (t.get("cost"), t.get("currency")) for t in listed["tasks"]}
    assert costs == {"delivered": (pytest.approx(1.8), "CNY"), "failed": (0, "CNY"), "running": (None, None)}
    spend = json.loads(contents.text)  # type: ignore[union-attr]
    assert spend["today"][0]["spent"] == pytest.approx(1.8) and spend["today"][0]["running_jobs"] == 1
    assert spend["by_model"][0]["model"] == "wan2.6-t2v" and "by_tenant" not in spend


def test_spend_command(
    emulator: LiveEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`wan-mcp spend` prints the ledger for people (and as JSON with --json), from the journal alone."""
    settings = load_settings(emulator.server_env(tmp_path))

    async def record() -> None:
        async with WanService.open(settings) as service:
            await three_jobs(service, emulator)

    anyio.run(record)
    for name, value in emulator.server_env(tmp_path, WAN_MCP_DAILY_BUDGET="10").items():
        monkeypatch.setenv(name, value)
    assert main(["spend"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("Today (since ") and "wan2.6-t2v" in text and "(6.40 CNY left today)" in text
    assert main(["spend", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["month"][0]["spent"] == pytest.approx(1.8)


def tenants_file(tmp_path: Path) -> Path:
    """alice with her own daily budget of 2.00 CNY; bob with none (the server's default applies to him)."""
    lines = []
    for name, token in TOKENS.items():
        lines += [f"[tenants.{name}]", f'token_sha256 = "{hashlib.sha256(token.encode()).hexdigest()}"']
        lines += ["daily_budget = 2", ""] if name == "alice" else [""]
    path = tmp_path / "tenants.toml"
    path.write_text("\n".join(lines))
    return path


@pytest.fixture
def hosted(emulator: LiveEmulator, tmp_path: Path, postgres_url: str) -> Iterator[str]:
    """A hosted wan-mcp over (stateless) HTTP on a PostgreSQL journal, with two tenants and an operator token."""
    port = free_port()
    env = emulator.server_env(
        tmp_path,
        inherit=True,
        WAN_MCP_TENANTS=str(tenants_file(tmp_path)),
        WAN_MCP_HTTP_TOKEN=OPERATOR,
        WAN_MCP_DATABASE_URL=postgres_url,
    )
    command = [sys.executable, "-m", "wan_mcp", "serve", "--transport", "streamable-http", "--port", str(port)]
    with (tmp_path / "stderr.log").open("ab") as log:
        process = subprocess.Popen(command, env=env, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                httpx2.get(url + "/mcp", timeout=1)
                break
            except httpx2.TransportError:
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(10)
    assert CANARY_KEY.encode() not in (tmp_path / "stderr.log").read_bytes()


@asynccontextmanager
async def as_user(url: str, token: str, **options: Any) -> AsyncIterator[Client]:
    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60) as http,
        Client(streamable_http_client(url + "/mcp", http_client=http), **options) as client,
    ):
        yield client


async def spend_of(client: Client) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((await client.read_resource("wan://spend")).contents[0].text)  # type: ignore[union-attr]
    return data


def test_hosted_budgets_and_spend_by_tenant(hosted: str, emulator: LiveEmulator) -> None:
    """Over stateless HTTP: alice's own budget stops her second job; bob is asked (2026-07-28, input_required) and
    his yes sends his job, while a handshake-era client (stateless HTTP keeps no handshake) is told no one was asked;
    each tenant reads only its own spend, the operator reads it by tenant."""
    asked: list[str] = []

    async def yes(_: Any, params: ElicitRequestParams) -> ElicitResult:
        asked.append(params.message)
        return ElicitResult(action="accept", content={"confirm": True})

    async def scenario() -> tuple[Any, ...]:
        async with (
            as_user(hosted, TOKENS["alice"]) as alice,
            as_user(hosted, TOKENS["bob"], elicitation_callback=yes) as bob,
        ):
            first = result_data(await alice.call_tool("submit_video", job("alice one")))
            over = await alice.call_tool("submit_video", job("alice two"))
            bobs = result_data(await bob.call_tool("submit_video", job("bob one")))
            async with as_user(hosted, TOKENS["bob"], elicitation_callback=yes, mode="legacy") as handshake:
                unasked = result_data(await handshake.call_tool("submit_video", job("bob two")))
            return first, over, bobs, unasked, await spend_of(alice), await spend_of(bob)

    emulator.faults(processing_seconds=SLOW)
    first, over, bobs, unasked, alice_spend, bob_spend = anyio.run(scenario)
    assert first is not None and "No confirmation was asked" in first["message"]
    assert over.is_error and "daily_budget of tenant alice" in over.content[0].text
    assert bobs is not None and bobs["task"]["task_id"] and len(asked) == 1
    assert (
        unasked is not None and "this client cannot ask" in unasked["message"]
    )  # stateless: its handshake is not kept
    assert len(emulator.requests("submit")) == 3
    assert alice_spend["today"][0]["running"] == pytest.approx(1.8) and alice_spend["budget"]["left_today"] == 0.2
    assert "by_tenant" not in alice_spend and "budget" not in bob_spend

    async def operator() -> dict[str, Any]:
        async with as_user(hosted, OPERATOR) as client:
            return await spend_of(client)

    everyone = anyio.run(operator)
    assert [(t["tenant"], t["running_jobs"]) for t in everyone["by_tenant"]] == [("alice", 1), ("bob", 2)]
