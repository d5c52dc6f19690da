"""The poll schedule is ETA-shaped and the poll loop honours statuses and deadlines (on a fake clock)."""

from __future__ import annotations

import itertools

import pytest

from wan_mcp import catalog
from wan_mcp.polling import (
    ATTENTIVE_EVERY,
    PollClock,
    PollState,
    Schedule,
    attentive_delay,
    poll_until_done,
    schedule_for,
)

pytestmark = pytest.mark.anyio


class FakeClock(PollClock):
    def __init__(self) -> None:
        self.t = 0.0
        self.sleeps: list[float] = []
        super().__init__(now=lambda: self.t, sleep=self._sleep)

    async def _sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.t += seconds


def task(finish_at: float, clock: FakeClock, queued: float = 0.0):  # type: ignore[no-untyped-def]
    """A task that is PENDING until `queued`, RUNNING until `finish_at`, then SUCCEEDED."""

    async def check() -> str:
        if clock.t < queued:
            return "PENDING"
        return "RUNNING" if clock.t < finish_at else "SUCCEEDED"

    return check


def test_schedule_shape() -> None:
    """Early check, then the window's start, checks closing in towards its end, apart again past it, bounded."""
    s = Schedule(low=60, high=300, first=5)
    assert s.delay("RUNNING", 0) == 5
    assert s.delay("RUNNING", 10) == 50  # straight to the start of the window
    inside = [s.delay("RUNNING", t) for t in (60, 120, 180, 240, 300)]
    assert inside == sorted(inside, reverse=True) and inside[0] > inside[-1]
    assert s.interval(300) < s.delay("RUNNING", 400) < s.delay("RUNNING", 4000)
    assert s.delay("PENDING", 0) == 10
    for elapsed in range(0, 5000, 7):
        assert s.shortest <= s.delay("RUNNING", elapsed) <= s.longest or elapsed < s.first


def test_schedule_for_uses_the_catalog() -> None:
    """Longer, higher-resolution outputs and slower models get later windows."""
    t2v = catalog.find_model("wan2.6-t2v")
    vace = catalog.find_model("wanx2.1-vace-plus")
    assert t2v is not None and vace is not None
    short, long = schedule_for(t2v, 5, "720P"), schedule_for(t2v, 15, "1080P")
    assert long.low > short.low and long.high > short.high
    assert schedule_for(vace, 5, "720P").low > short.low


def test_the_attentive_grid_is_a_fixed_pollers() -> None:
    """While an agent waits, checks fall on the grid a fixed poller uses from the submit's answer, whenever the one
    before came (a late answer, a call arriving between two points): never two in one step, never a step skipped.
    The background schedule still goes straight to the usual window."""
    checks, at = [], 0.0
    for late in itertools.islice(itertools.cycle([0.0, 0.4, 1.3, 0.05]), 200):
        at += attentive_delay(at)
        checks.append(at)
        at += late  # the answer (or the waiting call) came this much after the grid point
    assert checks == pytest.approx([ATTENTIVE_EVERY * (i + 1) for i in range(200)])
    assert attentive_delay(-3.0) == ATTENTIVE_EVERY  # a clock read just before the answer was recorded
    model = catalog.find_model("wan2.6-i2v-flash")
    assert model is not None
    background = schedule_for(model, 5, "720P")
    assert background.delay("RUNNING", 10) == background.low - 10


@pytest.mark.parametrize("finish", [3, 45, 180, 420, 1500])
async def test_poll_until_done_detects_completion(finish: float) -> None:
    """Every task is seen finished, within one delay of when it finished."""
    clock = FakeClock()
    schedule = Schedule(low=60, high=300, first=5)
    state = await poll_until_done(task(finish, clock), schedule, clock=clock)
    assert state.status == "SUCCEEDED"
    assert finish <= clock.t <= finish + max(clock.sleeps)


async def test_deadline_returns_the_last_status() -> None:
    """With a deadline before completion, the loop returns at the deadline with the current status."""
    clock = FakeClock()
    state = await poll_until_done(task(500, clock), Schedule(low=60, high=300), clock=clock, deadline=40)
    assert state.status == "RUNNING" and clock.t == 40


async def test_terminal_statuses_stop_at_once() -> None:
    """FAILED, CANCELED and UNKNOWN end the loop after one check."""
    for status in ("FAILED", "CANCELED", "UNKNOWN"):
        clock = FakeClock()

        async def check(value: str = status) -> str:
            return value

        state = await poll_until_done(check, Schedule(low=60, high=300), clock=clock)
        assert state.status == status and state.checks == 1 and clock.t == 0


async def test_queue_time_does_not_count_as_processing() -> None:
    """Time spent PENDING shifts the window: processing is counted from the first RUNNING."""
    clock = FakeClock()
    state = PollState()
    await poll_until_done(
        task(10_000, clock, queued=100), Schedule(low=60, high=300), clock=clock, state=state, deadline=140
    )
    assert state.running_since is not None and 90 <= state.running_since <= 100


async def test_check_later_waits_for_the_early_check() -> None:
    """After a fresh submit, the first check waits for the schedule's early check."""
    clock = FakeClock()
    state = await poll_until_done(task(2, clock), Schedule(low=60, high=300, first=5), clock=clock, check_now=False)
    assert state.status == "SUCCEEDED" and clock.sleeps[0] == 5 and state.checks == 1
