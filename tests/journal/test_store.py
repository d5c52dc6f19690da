"""One suite, every store (SQLite and PostgreSQL): what the service may rely on from a journal, method by method."""

from __future__ import annotations

import math

import anyio
import pytest
from store_cases import chain, estimate, record, reserving

from conftest import Clock, OpenStore
from wan_mcp.journal import DailyBudget, OverDailyBudget, SpendRow, Store, TaskFilter, wait_for_query_turn
from wan_mcp.journal.store import rate_within
from wan_mcp.states import ChainState, JobState
from wan_mcp.views import ErrorView

pytestmark = pytest.mark.anyio
CONCURRENT = 40  # concurrent calls in the race tests, spread over several connections
CONNECTIONS = 4


async def test_create_update_and_history(store: Store, clock: Clock) -> None:
    """A job is found by handle and by task id; every change of state or status is an event, stamped by the clock."""
    created, made = await store.create_task(record(), detail="recorded before sending")
    assert made
    clock.now = 2001.0
    await store.update_task(created.handle, task_id="task-1", state=JobState.SUBMITTED, status="PENDING", detail="ok")
    clock.now = 2002.0
    updated = await store.update_task(created.handle, status="RUNNING")
    await store.update_task(created.handle, prompt="quiet change, no event")
    assert updated.status == "RUNNING" and updated.updated_at == 2002.0 and updated.task_id == "task-1"
    found = await store.get_task("task-1", with_events=True)
    assert found is not None and found.handle == created.handle and found.prompt == "quiet change, no event"
    assert [(e.at, e.state, e.status, e.detail) for e in found.events] == [
        (2000.0, JobState.SUBMITTING, None, "recorded before sending"),
        (2001.0, JobState.SUBMITTED, "PENDING", "ok"),
        (2002.0, JobState.SUBMITTED, "RUNNING", None),
    ]
    assert (await store.get_task(created.handle)).events == []  # type: ignore[union-attr]
    assert await store.get_task("task-unknown") is None


async def test_update_refuses_unknown_fields_and_handles(store: Store) -> None:
    """An update names journal fields only (ValueError otherwise) and an existing handle (KeyError otherwise)."""
    created, _ = await store.create_task(record(), detail="")
    with pytest.raises(ValueError, match="not a journal field: api_key"):
        await store.update_task(created.handle, api_key="sk-x")
    with pytest.raises(KeyError):
        await store.update_task("wan-nope", state=JobState.FAILED)


async def test_every_field_round_trips(store: Store) -> None:
    """Every field of a record comes back as it was written: JSON, floats, integers, the quote and the error."""
    full = record(
        state=JobState.DELIVERED,
        tenant="acme",
        task_id="task-full",
        status="SUCCEEDED",
        function="image_reference",
        prompt="a fox, 狐狸",
        request={"body": {"input": {"prompt": "a fox"}, "parameters": {"duration": 5}}},
        notes=["resized", "priced at list price"],
        estimate=estimate(cost=3.5, currency="USD"),
        submitted_at=1001.25,
        finished_at=1100.5,
        request_id="req-1",
        video_url="https://example.invalid/v.mp4",
        url_expires_at=87400.0,
        orig_prompt="a fox",
        actual_prompt="a red fox",
        usage={"video_duration": 5, "video_ratio": "1280*720"},
        billed_seconds=5.0,
        cost=3.5,
        local_path="/videos/fox.mp4",
        size_bytes=12_345_678_901,
        sha256="ab" * 32,
        verified="size and sha256",
        error=ErrorView(code="x", message="m", retryable=False, charged=False, fix="f"),
        lease_owner="replica-1",
        lease_until=1500.0,
    )
    await store.create_task(full, detail="")
    assert await store.get_task("task-full") == full


async def test_list_filters_newest_first(store: Store) -> None:
    """list_tasks filters by state, status, time, request hash and tenant, newest first, up to a limit."""
    old = (await store.create_task(record(created_at=100.0, state=JobState.DELIVERED, status="SUCCEEDED"), detail=""))[
        0
    ]
    new = record(created_at=200.0, state=JobState.SUBMITTED, status="RUNNING", request_hash="h2", tenant="acme")
    await store.create_task(new, detail="")

    async def handles(**where: object) -> list[str]:
        return [r.handle for r in await store.list_tasks(TaskFilter(**where))]  # type: ignore[arg-type]

    assert await handles() == [new.handle, old.handle]
    assert await handles(limit=1) == [new.handle]
    assert await handles(states=(JobState.DELIVERED,)) == [old.handle]
    assert await handles(states=(JobState.DELIVERED, JobState.SUBMITTED)) == [new.handle, old.handle]
    assert await handles(statuses=("RUNNING",)) == [new.handle]
    assert await handles(since=150.0) == [new.handle]
    assert await handles(request_hash="h2") == [new.handle]
    assert await handles(tenant="") == [old.handle]
    assert await handles(tenant="acme", states=(JobState.DELIVERED,)) == []
    assert await store.known_task_ids() == set()
    await store.update_task(old.handle, task_id="task-old")
    assert await store.known_task_ids() == {"task-old"}


async def test_another_tenants_job_answers_like_an_unknown_one(store: Store) -> None:
    """With a tenant given, another tenant's job or chain is not found (None, as for an id nobody has)."""
    theirs, _ = await store.create_task(record(tenant="acme", task_id="task-acme"), detail="")
    await store.save_chain(chain(tenant="acme"))
    for key in ("task-acme", theirs.handle):
        assert await store.get_task(key, tenant="other") is None
        assert await store.get_task(key, tenant="") is None
        assert (await store.get_task(key, tenant="acme")) is not None
        assert (await store.get_task(key)) is not None  # the server's own work sees every tenant
    assert await store.get_chain("chain-1", tenant="other") is None
    assert (await store.get_chain("chain-1", tenant="acme")) is not None


async def test_duplicate_check_returns_the_paid_job(store: Store) -> None:
    """With duplicate_since, a paid or paying job of the same request and tenant since then is returned, unwritten;
    a refused one, an older one or another tenant's is not a duplicate."""
    first, made = await store.create_task(record(created_at=1000.0), detail="", duplicate_since=900.0)
    again, made_again = await store.create_task(record(created_at=1010.0), detail="", duplicate_since=900.0)
    assert made and not made_again and again.handle == first.handle
    assert [r.handle for r in await store.list_tasks(TaskFilter(request_hash="h1"))] == [first.handle]
    _, later = await store.create_task(record(created_at=1020.0), detail="", duplicate_since=1005.0)
    _, other_tenant = await store.create_task(record(created_at=1030.0, tenant="acme"), detail="", duplicate_since=0)
    await store.create_task(record(request_hash="h2", state=JobState.REJECTED), detail="")
    _, after_refusal = await store.create_task(record(request_hash="h2"), detail="", duplicate_since=0)
    assert later and other_tenant and after_refusal


async def test_concurrent_creates_of_one_request_make_one_record(open_store: OpenStore) -> None:
    """Many creates of one request at once, over several connections, write exactly one record; all see it."""
    stores = [await open_store() for _ in range(CONNECTIONS)]
    results: list[tuple[str, bool]] = []

    async def create(index: int) -> None:
        created, made = await stores[index % CONNECTIONS].create_task(record(), detail="", duplicate_since=0)
        results.append((created.handle, made))

    async with anyio.create_task_group() as group:
        for index in range(CONCURRENT):
            group.start_soon(create, index)
    assert len(results) == CONCURRENT and sum(made for _, made in results) == 1
    assert len({handle for handle, _ in results}) == 1
    assert len(await stores[0].list_tasks(TaskFilter(request_hash="h1"))) == 1


def day(tenant: str, limit: float, cost: float = 1.0) -> DailyBudget:
    """A CNY budget of `limit` for the day [0, 4000) of `tenant`, for a new quote of `cost`."""
    return DailyBudget(tenant, "CNY", since=0.0, until=4000.0, limit=limit, cost=cost)


async def test_a_chain_is_created_once_per_tenant_and_spec(store: Store) -> None:
    """create_chain writes a chain unless its tenant already has one with its spec hash: then it returns that one,
    unwritten (and refuses nothing over the budget, which it would not spend); another tenant gets its own."""
    made, written = await store.create_chain(chain())
    assert written and await store.get_chain("chain-1") == made
    again, written = await store.create_chain(chain(id="chain-2"), budget=day("", 0.0))
    assert not written and again == made and await store.get_chain("chain-2") is None
    other, written = await store.create_chain(chain(id="chain-3", tenant="acme"))
    assert written and other.id == "chain-3" and await store.get_chain("spec-1", tenant="acme") == other


async def test_chains_started_at_once_make_one(open_store: OpenStore) -> None:
    """The same chain created at once over several connections (processes or replicas starting one long video):
    one is written, and every caller gets that one."""
    stores = [await open_store() for _ in range(CONNECTIONS)]
    got: list[tuple[str, bool]] = []

    async def create(index: int) -> None:
        made, written = await stores[index % CONNECTIONS].create_chain(chain(id=f"chain-{index}"))
        got.append((made.id, written))

    async with anyio.create_task_group() as group:
        for index in range(CONCURRENT):
            group.start_soon(create, index)
    assert sum(written for _, written in got) == 1 and len({made for made, _ in got}) == 1, got


async def test_a_chain_lease_has_one_owner(store: Store) -> None:
    """A chain's lease is taken when free, renewed by its owner, refused to anyone else until it lapses, kept by
    save_chain, and released only by its owner."""
    await store.save_chain(chain())
    assert await store.take_chain_lease("chain-1", "a", until=1030.0, now=1000.0)
    assert not await store.take_chain_lease("chain-1", "b", until=1040.0, now=1010.0)
    assert await store.take_chain_lease("chain-1", "a", until=1050.0, now=1020.0)  # renewed
    await store.save_chain(chain(state=ChainState.DELIVERED))
    assert not await store.take_chain_lease("chain-1", "b", until=1060.0, now=1040.0)  # the save kept it
    await store.release_chain_lease("chain-1", "b")  # not b's: nothing happens
    assert not await store.take_chain_lease("chain-1", "b", until=1060.0, now=1040.0)
    assert await store.take_chain_lease("chain-1", "b", until=1090.0, now=1051.0)  # lapsed: taken over
    await store.release_chain_lease("chain-1", "b")
    assert await store.take_chain_lease("chain-1", "a", until=1100.0, now=1060.0)
    assert not await store.take_chain_lease("chain-nope", "a", until=1100.0, now=1060.0)


async def test_a_budget_refuses_inside_the_write(store: Store) -> None:
    """With a day's budget, a job or chain is written only when what the tenant's day commits (billed, running, and
    reserved by its running chains' unsent segments) plus its quote fits; else OverDailyBudget says what the day
    commits and nothing is written. A duplicate is still found first; without a budget nothing is refused."""
    await store.create_task(record(tenant="acme", state=JobState.DELIVERED, status="SUCCEEDED", cost=0.5), detail="")
    await store.create_task(record(tenant="acme", request_hash="h2"), detail="")  # running, quoted 1.0
    await store.create_task(record(tenant="acme", request_hash="h3", state=JobState.FAILED), detail="")  # free
    await store.create_task(record(tenant="acme", request_hash="h4", created_at=5000.0), detail="")  # another day
    await store.create_task(record(tenant="beta", request_hash="h5"), detail="")  # another tenant
    await store.save_chain(reserving("chain-a", "acme", 1.0), budget=day("acme", 2.5))  # 1.5 committed: fits
    with pytest.raises(OverDailyBudget) as over:
        await store.create_task(record(tenant="acme", request_hash="h6"), detail="", budget=day("acme", 3.0))
    assert over.value.committed == pytest.approx(2.5)
    assert await store.list_tasks(TaskFilter(request_hash="h6")) == []
    with pytest.raises(OverDailyBudget):
        await store.save_chain(reserving("chain-b", "acme", 1.0), budget=day("acme", 3.0))
    assert await store.get_chain("chain-b") is None
    made, fresh = await store.create_task(record(tenant="acme", request_hash="h6"), detail="", budget=day("acme", 3.5))
    again, written = await store.create_task(
        record(tenant="acme", request_hash="h6"), detail="", duplicate_since=0.0, budget=day("acme", 3.5)
    )
    assert fresh and not written and again.handle == made.handle
    _, unbudgeted = await store.create_task(record(tenant="acme", request_hash="h7"), detail="")
    assert unbudgeted


async def test_concurrent_budgeted_writes_make_only_what_fits(open_store: OpenStore) -> None:
    """Many jobs and chains written at once under one tenant's budget, over several connections (as processes or
    replicas are): exactly as many as the budget covers are written, the rest refused; another tenant is not held."""
    stores = [await open_store() for _ in range(CONNECTIONS)]
    written: list[int] = []
    refused: list[float] = []

    async def write(index: int) -> None:
        store = stores[index % CONNECTIONS]
        try:
            if index % 2:
                await store.save_chain(reserving(f"chain-{index}", "acme", 1.0), budget=day("acme", 3.0))
            else:
                await store.create_task(
                    record(tenant="acme", request_hash=f"h{index}"), detail="", budget=day("acme", 3.0)
                )
            written.append(index)
        except OverDailyBudget as exc:
            refused.append(exc.committed)

    async with anyio.create_task_group() as group:
        for index in range(CONCURRENT):
            group.start_soon(write, index)
    assert len(written) == 3 and refused == pytest.approx([3.0] * (CONCURRENT - 3))
    jobs = await stores[0].list_tasks(TaskFilter(tenant="acme"))
    assert len(jobs) + len(await stores[0].list_chains([ChainState.RUNNING])) == 3
    _, made = await stores[1].create_task(record(tenant="beta"), detail="", budget=day("beta", 1.0))
    assert made


@pytest.mark.parametrize("claim", [False, True], ids=["tracking", "download"])
async def test_one_lease_taker_at_a_time(open_store: OpenStore, claim: bool) -> None:
    """Of many replicas taking one job's lease at once, exactly one gets it (tracking it, or claiming its download:
    moving it to downloading, with an event)."""
    stores = [await open_store() for _ in range(CONNECTIONS)]
    job, _ = await stores[0].create_task(record(state=JobState.SUBMITTED, status="SUCCEEDED"), detail="")
    moves = {"to_state": JobState.DOWNLOADING, "from_states": (JobState.SUBMITTED,)} if claim else {}
    takers: list[str] = []

    async def take(index: int) -> None:
        owner = f"replica-{index}"
        taken = await stores[index % CONNECTIONS].take_lease(job.handle, owner, until=1060.0, now=1000.0, **moves)
        if taken is not None:
            assert taken.lease_owner == owner and taken.state is moves.get("to_state", JobState.SUBMITTED)
            takers.append(owner)

    async with anyio.create_task_group() as group:
        for index in range(CONCURRENT):
            group.start_soon(take, index)
    assert len(takers) == 1
    found = await stores[0].get_task(job.handle, with_events=True)
    assert found is not None and found.lease_owner == takers[0] and found.lease_until == 1060.0
    last = (JobState.DOWNLOADING, f"taken by {takers[0]}") if claim else (JobState.SUBMITTED, None)
    assert [(e.state, e.detail) for e in found.events][-1] == last


async def test_lease_expiry_renewal_and_release(store: Store) -> None:
    """A lease holds until it expires; its owner renews it; a release frees it at once; from_states is respected."""
    job, _ = await store.create_task(record(state=JobState.SUBMITTED), detail="")
    taken = await store.take_lease(job.handle, "a", until=1030.0, now=1000.0)
    assert taken is not None and taken.state is JobState.SUBMITTED and taken.updated_at == 1000.0
    assert await store.take_lease(job.handle, "b", until=1050.0, now=1020.0) is None
    renewed = await store.take_lease(job.handle, "a", until=1060.0, now=1025.0)
    assert renewed is not None and renewed.lease_until == 1060.0
    assert await store.take_lease(job.handle, "b", until=1070.0, now=1040.0) is None  # renewed: not expired at 1040
    expired = await store.take_lease(job.handle, "b", until=1100.0, now=1061.0)
    assert expired is not None and expired.lease_owner == "b"
    await store.release_lease(job.handle, "a")  # not a's any more: nothing changes
    assert (await store.get_task(job.handle)).lease_owner == "b"  # type: ignore[union-attr]
    await store.release_lease(job.handle, "b")
    freed = await store.get_task(job.handle)
    assert freed is not None and freed.lease_owner is None and freed.lease_until is None
    wrong_state = await store.take_lease(job.handle, "c", until=1200.0, now=1070.0, from_states=(JobState.DOWNLOADING,))
    assert wrong_state is None
    assert await store.take_lease("wan-nope", "c", until=1200.0, now=1070.0) is None
    events = (await store.get_task(job.handle, with_events=True)).events  # type: ignore[union-attr]
    assert len(events) == 1  # leases without a change of state log nothing


async def test_a_change_from_a_state_the_job_left_is_not_written(store: Store) -> None:
    """A change computed from an older view (a status answer read while another process delivered the job) does not
    move the job back: nothing is written, no event logged, and the job as it is now comes back."""
    job, _ = await store.create_task(record(state=JobState.SUBMITTED, status="RUNNING"), detail="")
    delivered = await store.update_task(job.handle, from_state=JobState.SUBMITTED, state=JobState.DELIVERED, detail="x")
    assert delivered.state is JobState.DELIVERED
    stale = await store.update_task(
        job.handle, from_state=JobState.SUBMITTED, state=JobState.SUBMITTED, status="SUCCEEDED", detail="succeeded"
    )
    assert stale.state is JobState.DELIVERED and stale.status == "RUNNING"
    events = (await store.get_task(job.handle, with_events=True)).events  # type: ignore[union-attr]
    assert [e.detail for e in events][-1] == "x"
    with pytest.raises(KeyError):
        await store.update_task("wan-nope", from_state=JobState.SUBMITTED, status="FAILED")


async def test_a_finished_job_holds_no_lease(store: Store) -> None:
    """The update that finishes a job frees its lease in the same write, and a finished job cannot be leased again
    (a renewal that arrives after the job ended takes nothing)."""
    job, _ = await store.create_task(record(state=JobState.DOWNLOADING), detail="")
    assert await store.take_lease(job.handle, "a", until=1030.0, now=1000.0) is not None
    saving = await store.update_task(job.handle, detail="bytes written", size_bytes=10)
    assert saving.lease_owner == "a"  # an update that does not finish the job leaves the lease alone
    done = await store.update_task(job.handle, state=JobState.DELIVERED, detail="saved")
    assert done.lease_owner is None and done.lease_until is None
    assert await store.take_lease(job.handle, "a", until=1060.0, now=1010.0) is None
    assert (await store.get_task(job.handle)).lease_owner is None  # type: ignore[union-attr]


async def test_uploads_are_remembered_per_model_and_region(store: Store) -> None:
    """An upload is found for its file, model and region while younger than `since`; a new upload replaces it."""
    await store.remember_upload("s1", "wan2.6-i2v", "beijing", "oss://one", at=1000.0)
    assert await store.known_upload("s1", "wan2.6-i2v", "beijing", since=900.0) == "oss://one"
    assert await store.known_upload("s1", "wan2.6-i2v", "beijing", since=1000.0) is None
    assert await store.known_upload("s1", "wan2.6-i2v", "singapore", since=0.0) is None
    assert await store.known_upload("s1", "wan2.6-r2v", "beijing", since=0.0) is None
    await store.remember_upload("s1", "wan2.6-i2v", "beijing", "oss://two", at=2000.0)
    assert await store.known_upload("s1", "wan2.6-i2v", "beijing", since=1500.0) == "oss://two"


async def test_chains_saved_found_and_listed(store: Store, clock: Clock) -> None:
    """A chain is saved (stamped by the clock), found by id or spec hash (newest), replaced, and listed by state."""
    saved = await store.save_chain(chain())
    assert saved.updated_at == 2000.0 and await store.get_chain("chain-1") == saved
    newer = await store.save_chain(chain(id="chain-2", created_at=1100.0, kind="extend"))
    assert await store.get_chain("spec-1") == newer
    done = chain(state=ChainState.DELIVERED, output_path="/v/long.mp4", size_bytes=99, sha256="cd" * 32)
    done.segments[1].handle = "wan-bbbb"
    await store.save_chain(done)
    assert await store.get_chain("chain-1") == done
    assert [c.id for c in await store.list_chains([ChainState.RUNNING])] == ["chain-2"]
    assert {c.id for c in await store.list_chains([ChainState.RUNNING, ChainState.DELIVERED])} == {"chain-1", "chain-2"}
    assert await store.list_chains([ChainState.FAILED]) == []
    assert await store.get_chain("chain-nope") is None


async def test_spend_is_the_ledger(store: Store) -> None:
    """spend sums billed jobs per model, currency and tenant in a period; jobs not ended count as pending quotes."""
    jobs = [
        record(state=JobState.DELIVERED, status="SUCCEEDED", billed_seconds=5.0, cost=2.5),
        record(state=JobState.SUBMITTED, status="SUCCEEDED", billed_seconds=10.0, cost=None),  # unpriced
        record(state=JobState.SUBMITTED, status="RUNNING"),  # pending, quoted 1.0
        record(state=JobState.UNCONFIRMED, estimate=estimate(cost=None)),  # pending, unpriced
        record(state=JobState.FAILED, status="FAILED"),  # not charged
        record(state=JobState.DELIVERED, status="SUCCEEDED", billed_seconds=5.0, cost=2.0, tenant="acme"),
        record(state=JobState.DELIVERED, status="SUCCEEDED", billed_seconds=5.0, cost=9.0, created_at=5000.0),
        record(
            model="wan2.5-t2v",
            state=JobState.DELIVERED,
            status="SUCCEEDED",
            billed_seconds=4.0,
            cost=4.0,
            estimate=estimate(cost=4.0, currency="USD"),
        ),
    ]
    for job in jobs:
        await store.create_task(job, detail="")
    rows = sorted(await store.spend(since=0.0, until=4000.0), key=lambda r: (r.model, r.tenant))
    assert rows == [
        SpendRow("wan2.5-t2v", "USD", "", 1, 4.0, 4.0, 0, 0, 0.0, 0),
        SpendRow("wan2.6-t2v", "CNY", "", 2, 15.0, 2.5, 1, 2, 1.0, 1),
        SpendRow("wan2.6-t2v", "CNY", "acme", 1, 5.0, 2.0, 0, 0, 0.0, 0),
    ]
    assert await store.spend(since=0.0, until=4000.0, tenant="acme") == [rows[2]]
    assert await store.spend(since=4000.0, until=6000.0) == [SpendRow("wan2.6-t2v", "CNY", "", 1, 5.0, 9.0, 0, 0, 0, 0)]


async def test_reopened_journal_keeps_everything(open_store: OpenStore) -> None:
    """What one connection wrote is there, whole, after it closes and another opens the journal (a restart)."""
    first = await open_store()
    job, _ = await first.create_task(record(task_id="task-1"), detail="kept")
    await first.save_chain(chain())
    await first.remember_upload("s1", "m", "beijing", "oss://one", at=1000.0)
    await first.close()
    second = await open_store()
    found = await second.get_task("task-1", with_events=True)
    assert found is not None and found.handle == job.handle and [e.detail for e in found.events] == ["kept"]
    assert await second.get_chain("chain-1") is not None
    assert await second.known_upload("s1", "m", "beijing", since=0.0) == "oss://one"
    assert second.recovery_note is None


async def test_query_slot_is_never_negative(store: Store, store_kind: str) -> None:
    """query_slot answers seconds to wait, never negative; on one machine (SQLite) each process limits itself:
    always 0, and a query turn never sleeps."""
    waits = [await store.query_slot(per_second=15.0) for _ in range(3)]
    assert all(wait >= 0.0 for wait in waits)
    if store_kind == "sqlite":
        slept: list[float] = []

        async def sleep(seconds: float) -> None:
            slept.append(seconds)

        await wait_for_query_turn(store, per_second=15.0, sleep=sleep)
        assert waits == [0.0, 0.0, 0.0] and slept == []


def test_a_shared_rate_keeps_the_busiest_second_within_the_limit() -> None:
    """The rate a model's submissions are spaced at keeps floor(rate) + 1 (the busiest second of spaced sends) within
    its limit, with a fraction under one half; a limit of one a second is kept 2 s apart (a send half a slot late
    still leaves a second), for every limit the catalog has."""
    assert rate_within(1.0) == 0.5
    for limit in range(2, 21):
        rate = rate_within(float(limit))
        assert math.floor(rate) + 1 <= limit and rate - math.floor(rate) < 0.5 and rate >= limit / 2, limit
