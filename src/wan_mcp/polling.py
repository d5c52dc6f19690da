"""Time, owned in one place: the clock (wall time for records, monotonic time for deadlines), when to ask DashScope
about a task next (an ETA-shaped schedule), and a poll loop with a monotonic deadline.

The schedule comes from the catalog's typical processing range [low, high] for the model, duration and tier:
one early check (a refused input fails within seconds), sparse checks while completion is unlikely, dense checks
from `low` to `high` where most tasks finish, then a slow back-off for stragglers. Time is counted from when the
task was first seen RUNNING (queue time is not processing time). While someone waits inside a tool call, a job is
checked on a fixed grid instead (`attentive_delay`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import anyio

from wan_mcp import catalog
from wan_mcp.catalog import Model
from wan_mcp.states import TERMINAL_STATUSES

TERMINAL: frozenset[str] = frozenset(TERMINAL_STATUSES)
# While an agent waits, a job is asked about every ATTENTIVE_EVERY seconds from the submit's answer: the instants a
# fixed poller started by that answer would use. Its end is then seen half of that later on average wherever it
# falls (inside its model's usual window or far outside it), and it never costs more queries than such a poller.
# Denser checks in the usual window could only be paid for with sparser ones elsewhere, which a job of unusual length
# would pay in lag (bench/polling.py measures both). The background schedule (nobody waiting) stays ETA-shaped and
# sparse.
ATTENTIVE_EVERY = 5.0


def attentive_delay(since_answer: float) -> float:
    """Seconds from a check `since_answer` seconds after the submit's answer to the next point of the attentive grid."""
    return ATTENTIVE_EVERY - max(0.0, since_answer) % ATTENTIVE_EVERY


@dataclass
class Clock:
    """The one clock: `now()` is wall time (for records), `monotonic()` for deadlines and waits.

    `speed` > 1 makes every wait that many times shorter (only against the emulator run as fast: demo, tests); the
    schedule still reasons in task time, which `task_clock()` gives.
    """

    wall: Callable[[], float] = time.time
    monotonic: Callable[[], float] = time.monotonic
    speed: float = 1.0
    sleeper: Callable[[float], Awaitable[None]] = field(default=anyio.sleep)

    def now(self) -> float:
        return self.wall()

    def deadline(self, seconds: float) -> float:
        """The monotonic moment `seconds` (real seconds: a client's patience) from now."""
        return self.monotonic() + seconds

    def left(self, deadline: float) -> float:
        """Real seconds until a deadline (0 when past)."""
        return max(0.0, deadline - self.monotonic())

    def real(self, task_seconds: float) -> float:
        """How long `task_seconds` of the schedule's time last here."""
        return max(0.0, task_seconds) / self.speed

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` of task time."""
        await self.sleeper(self.real(seconds))

    def task_clock(self) -> PollClock:
        """The schedule's clock: monotonic task time."""
        return PollClock(now=lambda: self.monotonic() * self.speed, sleep=self.sleep)

    def task_time_of(self, moment: float | None) -> float | None:
        """A wall-time moment on the schedule's clock (None stays None)."""
        if moment is None:
            return None
        return (self.monotonic() - (self.wall() - moment)) * self.speed


@dataclass(frozen=True)
class Schedule:
    """Delays between status checks for one task, in seconds of processing time.

    Completion is expected within [low, high] with a short tail past it. Checks are spaced by the square root of
    the time completion is still expected to take, Δ(t) = k·√(|high − t| + tail): far apart early in the window,
    closer together as its end nears, and apart again for a task that runs far past it. (Spacing inspections by
    1/√hazard is the classic near-optimal trade-off between the number of checks and the delay in noticing the
    change.) Before `low` the
    task is checked once early (fast failures) and then at the start of the window.
    """

    low: float
    high: float
    k: float = 0.75
    first: float = 5.0  # the early check
    pending: float = 10.0  # while the task waits in the queue
    shortest: float = 2.0
    longest: float = 120.0

    @property
    def tail(self) -> float:
        return max(5.0, (self.high - self.low) / 8)

    def interval(self, elapsed: float) -> float:
        """The spacing of checks at this point of processing."""
        distance = abs(self.high - elapsed)  # to the typical latest finish; overdue tasks are checked less often
        return min(self.longest, max(self.shortest, self.k * math.sqrt(distance + self.tail)))

    def delay(self, status: str, elapsed: float) -> float:
        """Seconds until the next check, given the last status and the seconds of processing seen so far."""
        if status == "PENDING":
            return self.pending
        if elapsed < self.first:
            return max(1.0, self.first - elapsed)
        if elapsed < self.low:
            return min(self.longest, max(self.shortest, self.low - elapsed))
        return self.interval(elapsed)


def schedule_for(model: Model, seconds: float | None, tier: str | None) -> Schedule:
    """The background schedule for a task of this model, output length and tier."""
    low, high = catalog.typical_wait(model, seconds, tier)
    return Schedule(low=float(low), high=float(high), k=0.75, first=min(10.0, max(3.0, low / 4)))


class PollClock:
    """Monotonic time and sleep, injectable for tests."""

    def __init__(
        self,
        now: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        self.now = now or anyio.current_time
        self.sleep = sleep or anyio.sleep


@dataclass
class PollState:
    """What the poll loop knows about a task."""

    status: str = "PENDING"
    running_since: float | None = None  # the earliest time processing can have started
    last_check: float | None = None
    checks: int = 0


async def poll_until_done(
    check: Callable[[], Awaitable[str]],
    schedule: Schedule,
    *,
    deadline: float | None = None,
    clock: PollClock | None = None,
    state: PollState | None = None,
    started: float | None = None,
    check_now: bool = True,
) -> PollState:
    """Check a task's status (via `check`) on the schedule until it is terminal or the deadline passes.

    `deadline` is an absolute time of `clock`; the last status is returned either way. `started` is when the task
    was submitted (processing cannot have begun earlier). With `check_now` false the first check waits for the
    schedule's early check.
    """
    clock = clock or PollClock()
    state = state or PollState()
    origin = clock.now() if started is None else started
    if not check_now and state.checks == 0:
        wait = origin + schedule.first - clock.now()
        if deadline is not None:
            wait = min(wait, deadline - clock.now())
        if wait > 0:
            await clock.sleep(wait)
    while True:
        state.status = await check()
        state.checks += 1
        now = clock.now()
        if state.status in TERMINAL:
            state.last_check = now
            return state
        if state.status == "RUNNING" and state.running_since is None:
            state.running_since = state.last_check if state.last_check is not None else origin
        state.last_check = now
        elapsed = now - state.running_since if state.running_since is not None else 0.0
        delay = schedule.delay(state.status, elapsed)
        if deadline is not None:
            if now >= deadline:
                return state
            delay = min(delay, deadline - now)
        await clock.sleep(delay)
