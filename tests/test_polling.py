"""The poll schedule is ETA-shaped and the poll loop honours statuses and deadlines (on a fake clock)."""

from __future__ import annotations

import itertools

import pytest

from wan_mcp import catalog
from wan_mcp.polling import (
    ATTENTIVE_LONGEST,
    ATTENTIVE_RAMP,
    PollClock,
    PollState,
    Schedule,
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
    """Longer, higher-resolution outputs and slower models get later windows; attentive is denser."""
    t2v = catalog.find_model("wan2.6-t2v")
    vace = catalog.find_model("wanx2.1-vace-plus")
    assert t2v is not None and vace is not None
    short, long = schedule_for(t2v, 5, "720P"), schedule_for(t2v, 15, "1080P")
    assert long.low > short.low and long.high > short.high
    assert schedule_for(vace, 5, "720P").low > short.low
    attentive = schedule_for(t2v, 5, "720P", attentive=True)
    assert attentive.interval(100) < short.interval(100) / 2


def test_attentive_schedule_sees_an_end_anywhere_soon() -> None:
    """While an agent waits, checks are at most ATTENTIVE_LONGEST apart from the window on, far past it too; before
    the window they grow by a share of the time elapsed instead of jumping to it (an 8 s job is not first seen at
    the window's 45 s), a few checks only; the background schedule still goes straight to the window."""
    model = catalog.find_model("wan2.6-i2v-flash")
    assert model is not None
    attentive, background = schedule_for(model, 5, "720P", attentive=True), schedule_for(model, 5, "720P")
    checks, elapsed = [], 0.0
    while elapsed < 3000:
        elapsed += attentive.delay("RUNNING", elapsed)
        checks.append(elapsed)
    gaps = list(itertools.pairwise(checks))
    assert all(later - earlier <= ATTENTIVE_LONGEST for earlier, later in gaps if earlier >= attentive.low)
    early = [(earlier, later) for earlier, later in gaps if later <= attentive.low]
    assert all(later - earlier <= max(attentive.shortest, ATTENTIVE_RAMP * earlier) for earlier, later in early)
    assert next(c for c in checks if c >= 8) <= 8 + 0.75 * 8 and len(early) <= 8
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
