"""Budgets the server enforces before anything is sent: per job, per local day (billed, running and reserved by
chains), per tenant, a chain checked whole, unknown prices refused under a budget, parallel calls serialised."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest

from conftest import LiveEmulator
from wan_mcp.config import Settings, load_settings
from wan_mcp.errors import ConfigError, OverBudget
from wan_mcp.journal import TaskFilter
from wan_mcp.service import WanService
from wan_mcp.service.chain_specs import ChainSpec, Shot
from wan_mcp.service.chains import ChainRunner
from wan_mcp.service.money import committed_today, day_start
from wan_mcp.states import ChainState

pytestmark = pytest.mark.anyio
T2V = {"mode": "t2v", "resolution": "720P", "duration": 3}  # 3 s × 0.60 CNY = 1.80 CNY (estimate)
SLOW = 100_000  # emulator seconds: a job that stays RUNNING for the whole test unless told otherwise
TRIALS = 10  # rounds of the cross-process race, each on a budget of its own (a tenant per round)


def job(prompt: str, **extra: Any) -> dict[str, Any]:
    return {**T2V, "prompt": prompt, **extra}


def settings_for(live: LiveEmulator, tmp_path: Path, **env: str) -> Settings:
    return load_settings(live.server_env(tmp_path, **env))


@asynccontextmanager
async def service_for(live: LiveEmulator, tmp_path: Path, **env: str) -> AsyncIterator[WanService]:
    async with WanService.open(settings_for(live, tmp_path, **env)) as service:
        yield service


async def wait_state(service: WanService, handle: str, state: str) -> None:
    with anyio.fail_after(20):
        while (record := await service.store.get_task(handle)) is None or record.state.value != state:
            await anyio.sleep(0.05)


def test_settings_read_the_policy_and_the_limits(tmp_path: Path) -> None:
    """WAN_MCP_CONFIRM is paid, over:<amount> or off; limits are amounts ≥ 0; anything else is a clear error."""
    assert load_settings({}).confirm == "paid" and load_settings({}).daily_budget is None
    over = load_settings({"WAN_MCP_CONFIRM": "over:2.5", "WAN_MCP_MAX_COST_PER_JOB": "5", "WAN_MCP_DAILY_BUDGET": "0"})
    assert (over.confirm, over.confirm_over, over.max_cost_per_job, over.daily_budget) == ("over", 2.5, 5.0, 0.0)
    assert load_settings({"WAN_MCP_CONFIRM": "OFF"}).confirm == "off"
    for env in ({"WAN_MCP_CONFIRM": "sometimes"}, {"WAN_MCP_DAILY_BUDGET": "-1"}, {"WAN_MCP_MAX_COST_PER_JOB": "nan"}):
        with pytest.raises(ConfigError) as refused:
            load_settings(env)
        assert refused.value.fix
    tenants = tmp_path / "tenants.toml"
    tenants.write_text(f'[tenants.acme]\ntoken_sha256 = "{"0" * 64}"\ndaily_budget = "lots"\n')
    with pytest.raises(ConfigError, match=r"acme\.daily_budget"):
        load_settings({"WAN_MCP_TENANTS": str(tenants)})


async def test_per_job_limit_refuses_before_the_record_or_the_request(emulator: LiveEmulator, tmp_path: Path) -> None:
    """A job over WAN_MCP_MAX_COST_PER_JOB is refused with the limit and the fix; nothing is written or sent. Its dry
    run says it would be refused, without raising."""
    async with service_for(emulator, tmp_path, WAN_MCP_MAX_COST_PER_JOB="1.5") as service:
        dry = await service.submit(job("a fox"), dry_run=True)
        with pytest.raises(OverBudget) as refused:
            await service.submit(job("a fox"))
        assert not await service.store.list_tasks(TaskFilter())
    assert "It would be refused" in dry.message and "1.50 CNY per job" in dry.message
    assert refused.value.code == "over_max_cost_per_job" and "WAN_MCP_MAX_COST_PER_JOB" in refused.value.fix
    assert not emulator.requests("submit")


async def test_daily_budget_counts_billed_and_running_jobs_not_failed_ones(
    emulator: LiveEmulator, tmp_path: Path
) -> None:
    """Today's budget holds what was billed and the quotes of jobs still running; a failed job costs nothing."""
    async with service_for(emulator, tmp_path, WAN_MCP_DAILY_BUDGET="4") as service:
        delivered = await service.submit(job("delivered"), wait_seconds=30)
        emulator.faults(fail_tasks=[{"code": "DataInspectionFailed", "message": "no", "count": 1}])
        failed = await service.submit(job("failed"))
        assert delivered.task is not None and failed.task is not None
        await wait_state(service, delivered.task.handle, "delivered")
        await wait_state(service, failed.task.handle, "failed")
        emulator.faults(processing_seconds=SLOW)
        await service.submit(job("running"))
        with pytest.raises(OverBudget) as refused:
            await service.submit(job("one too many"))
    assert refused.value.code == "over_daily_budget"
    assert "only 0.40 CNY is left of today's budget of 4.00 CNY (3.60 spent or running today" in refused.value.message
    assert len(emulator.requests("submit")) == 3


async def test_parallel_calls_cannot_share_the_last_of_a_budget(emulator: LiveEmulator, tmp_path: Path) -> None:
    """Five parallel 1.80 CNY submits under a 4.00 CNY day: exactly two are sent, three refused."""
    emulator.faults(processing_seconds=SLOW)
    outcomes: list[str] = []
    async with service_for(emulator, tmp_path, WAN_MCP_DAILY_BUDGET="4") as service:

        async def submit(index: int) -> None:
            try:
                await service.submit(job(f"fox number {index}"))
                outcomes.append("sent")
            except OverBudget:
                outcomes.append("refused")

        async with anyio.create_task_group() as group:
            for index in range(5):
                group.start_soon(submit, index)
    assert sorted(outcomes) == ["refused"] * 3 + ["sent"] * 2
    assert len(emulator.requests("submit")) == 2


RACER = textwrap.dedent(
    """
    import anyio, json, sys
    from wan_mcp.config import load_settings
    from wan_mcp.errors import OverBudget
    from wan_mcp.service import WanService

    async def main() -> None:
        job, submits = json.loads(sys.argv[1]), int(sys.argv[2])
        async with WanService.open(load_settings(), adopt=False) as service:
            print("ready", flush=True)
            while tenant := (await anyio.to_thread.run_sync(sys.stdin.readline)).strip():  # one line per trial
                outcomes = []

                async def one(index: int) -> None:
                    try:
                        await service.submit({**job, "prompt": f"{tenant} {service.deps.owner} {index}"}, tenant=tenant)
                        outcomes.append("sent")
                    except OverBudget as exc:
                        outcomes.append(exc.code + ": " + exc.message)

                async with anyio.create_task_group() as group:
                    for index in range(submits):
                        group.start_soon(one, index)
                print(json.dumps(outcomes), flush=True)

    anyio.run(main)
    """
)


def racing(racers: list[subprocess.Popen[str]], line: str) -> list[str]:
    """Give every racer the same line at once; what each of their submits ended with."""
    for racer in racers:
        assert racer.stdin is not None
        racer.stdin.write(line + "\n")
        racer.stdin.flush()
    outcomes = []
    for racer in racers:
        assert racer.stdout is not None
        outcomes += json.loads(racer.stdout.readline())
    return outcomes


@pytest.mark.parametrize("store_kind", ["sqlite", "postgres"])
def test_processes_sharing_a_journal_cannot_share_the_last_of_a_budget(
    emulator: LiveEmulator, tmp_path: Path, store_kind: str, request: pytest.FixtureRequest
) -> None:
    """Two processes on one journal (one SQLite file, or one PostgreSQL database as replicas share), each submitting
    3 jobs at once under a day's budget that covers 2: in every trial exactly 2 are sent, across both processes, and
    the rest refused as over today's budget, in the usual words."""
    emulator.faults(processing_seconds=SLOW)
    database = {"WAN_MCP_DATABASE_URL": request.getfixturevalue("postgres_url")} if store_kind == "postgres" else {}
    env = emulator.server_env(tmp_path, inherit=True, WAN_MCP_DAILY_BUDGET="4", WAN_MCP_POLL_SPEED="1", **database)
    command = [sys.executable, "-c", RACER, json.dumps(T2V), "3"]
    racers = [
        subprocess.Popen(command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for _ in range(2)
    ]
    trials = []
    try:
        assert [racer.stdout.readline() if racer.stdout else "" for racer in racers] == ["ready\n"] * 2
        trials = [racing(racers, f"trial-{trial}") for trial in range(TRIALS)]  # each trial a tenant: a fresh budget
    finally:
        for racer in racers:
            racer.communicate("\n", timeout=60)
    sent = [outcomes.count("sent") for outcomes in trials]
    print(f"\nsent per trial ({store_kind}): {sent}")
    assert sent == [2] * TRIALS
    refusals = {outcome for outcomes in trials for outcome in outcomes if outcome != "sent"}
    assert all(r.startswith("over_daily_budget: ") and "of today's budget of 4.00 CNY (" in r for r in refusals)
    assert len([r for r in emulator.requests("submit") if r["status"] == 200]) == 2 * TRIALS  # (429s are retried)


async def test_unknown_price_is_refused_under_a_budget_and_allowed_without(
    emulator: LiveEmulator, tmp_path: Path
) -> None:
    """A model with no known price cannot slip past a budget; with no budget it is sent as before."""
    unpriced = job("an owl", model="wan2.7-t2v")
    async with service_for(emulator, tmp_path / "budget", WAN_MCP_DAILY_BUDGET="100") as service:
        with pytest.raises(OverBudget) as refused:
            await service.submit(unpriced)
    assert refused.value.code == "price_unknown_under_budget" and "wan2.7-t2v" in refused.value.message
    async with service_for(emulator, tmp_path / "free") as service:
        sent = await service.submit(unpriced)
    assert sent.task is not None and sent.estimate.cost is None
    assert len(emulator.requests("submit")) == 1


async def test_each_tenant_has_its_own_budget(emulator: LiveEmulator, tmp_path: Path) -> None:
    """A tenant's own daily_budget applies to it alone; a tenant without one gets the server's, counted apart."""
    tenants = tmp_path / "tenants.toml"
    digest = hashlib.sha256(b"t").hexdigest()
    tenants.write_text(
        f'[tenants.acme]\ntoken_sha256 = "{digest}"\ndaily_budget = 2\n\n[tenants.beta]\ntoken_sha256 = "{digest}"\n'
    )
    emulator.faults(processing_seconds=SLOW)
    env = {"WAN_MCP_TENANTS": str(tenants), "WAN_MCP_DAILY_BUDGET": "3"}
    async with service_for(emulator, tmp_path, **env) as service:
        await service.submit(job("acme one"), tenant="acme")
        with pytest.raises(OverBudget) as acme:
            await service.submit(job("acme two"), tenant="acme")
        await service.submit(job("beta one"), tenant="beta")
        with pytest.raises(OverBudget) as beta:
            await service.submit(job("beta two"), tenant="beta")
        await service.submit(job("single user"))
    assert "daily_budget of tenant acme in WAN_MCP_TENANTS" in acme.value.message
    assert "budget of 3.00 CNY (1.80 spent or running today; WAN_MCP_DAILY_BUDGET)" in beta.value.message
    assert len(emulator.requests("submit")) == 3


async def test_a_day_is_the_local_calendar_day(emulator: LiveEmulator, tmp_path: Path) -> None:
    """A job created before local midnight counts on its own day, not today's."""
    emulator.faults(processing_seconds=SLOW)
    async with service_for(emulator, tmp_path) as service:
        today = await service.submit(job("today"))
        yesterday = await service.submit(job("yesterday"))
        assert today.task is not None and yesterday.task is not None
        now = service.clock.now()
        await service.store.update_task(yesterday.task.handle, created_at=day_start(now) - 60)
        assert await committed_today(service.store, "", "CNY", now) == pytest.approx(1.8)


def chain(prompt: str) -> ChainSpec:
    """Two shots: 2 s from text (1.20 CNY) then 3 s from its last frame with wan2.6-i2v (1.80 CNY)."""
    shots = (Shot(f"{prompt} wakes up", 2), Shot(f"{prompt} runs", 3))
    return ChainSpec(kind="long", shots=shots, common={"resolution": "720P"}, i2v_model="wan2.6-i2v")


async def test_a_chain_is_checked_whole(emulator: LiveEmulator, tmp_path: Path) -> None:
    """A chain whose segments each fit the per-job limit but whose total does not is refused before any segment."""
    async with service_for(emulator, tmp_path, WAN_MCP_MAX_COST_PER_JOB="2") as service:
        runner = ChainRunner(service)
        with pytest.raises(OverBudget) as refused:
            await runner.start(chain("a fox"), dry_run=False, wait_seconds=0, progress=None)
        assert await service.store.list_chains(tuple(ChainState)) == []
    assert "≈ 3.00 CNY" in refused.value.message and not emulator.requests("submit")


async def test_a_running_chain_reserves_its_unsent_segments(emulator: LiveEmulator, tmp_path: Path) -> None:
    """While a chain runs, its segments not sent yet stay reserved: a job that would eat into them is refused, and
    the chain's own segments (admitted with it) are never refused for counting themselves twice."""
    async with service_for(emulator, tmp_path, WAN_MCP_DAILY_BUDGET="4") as service:
        runner = ChainRunner(service)
        emulator.faults(processing_seconds=SLOW)
        started = await runner.start(chain("a fox"), dry_run=False, wait_seconds=0, progress=None)
        with pytest.raises(OverBudget) as refused:  # 1.20 running + 1.80 reserved + 1.80 > 4.00
            await service.submit(job("a hare"))
        emulator.faults(processing_seconds=1)
        first = await service.store.list_tasks(TaskFilter())
        emulator.admin(f"tasks/{first[0].task_id}/complete")
        with anyio.fail_after(60):
            view = await runner.view(await runner.wait(started.handle, 50, None))
            while view.state not in ("delivered", "failed"):
                view = await runner.view(await runner.wait(started.handle, 50, None))
    assert "1.20 spent or running" not in refused.value.message and "3.00 spent or running" in refused.value.message
    assert view.state == "delivered" and len(emulator.requests("submit")) == 2


async def test_dry_run_of_a_chain_started_prices_only_what_is_new(emulator: LiveEmulator, tmp_path: Path) -> None:
    """Asking for a chain already running costs nothing new; once a segment failed, only it is priced again."""
    async with service_for(emulator, tmp_path) as service:
        runner = ChainRunner(service)
        emulator.faults(fail_tasks=[{"code": "InternalError.Algo", "message": "boom", "model": "wan2.6-i2v"}])
        started = await runner.start(chain("a fox"), dry_run=False, wait_seconds=0, progress=None)
        running = await runner.start(chain("a fox"), dry_run=True, wait_seconds=0, progress=None)
        with anyio.fail_after(60):
            while (await runner.view(await runner.wait(started.handle, 50, None))).state != "failed":
                pass
        failed = await runner.start(chain("a fox"), dry_run=True, wait_seconds=0, progress=None)
    assert running.cost == 0 and running.billed_seconds == 0 and "nothing new to pay" in running.message
    assert failed.cost == pytest.approx(1.8) and failed.billed_seconds == 3
    assert [s["kept"] for s in failed.segments or []] == [True, False] and "re-makes 1 of 2" in failed.message
