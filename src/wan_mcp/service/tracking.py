"""One watcher per job: it asks DashScope on one schedule, reconciles a lost submit once, saves the video once, and
wakes every waiting call the moment the job changes.

A process follows a job only while it holds the job's lease (renewed as it goes; a dead process's jobs are taken
over when their lease lapses), so on a shared journal every unfinished job is followed by exactly one process.
The schedule is dense while a tool call waits (it wants the answer now) and sparse and ETA-shaped otherwise; no two
status queries for one job are closer than `MIN_GAP` seconds, whoever asks.
"""

from __future__ import annotations

import contextlib
import logging
import math
from dataclasses import dataclass, field

import anyio
import anyio.abc

from wan_mcp import catalog
from wan_mcp.errors import TransportError, WanMcpError
from wan_mcp.journal.records import TaskRecord
from wan_mcp.journal.store import JournalUnavailable, TaskFilter
from wan_mcp.polling import Schedule, attentive_delay, schedule_for
from wan_mcp.present import elapsed_of, progress_text
from wan_mcp.service import delivery, reconcile
from wan_mcp.service.base import LEASE_SECONDS, Deps, ProgressFn
from wan_mcp.service.status import apply_status, move
from wan_mcp.states import ACTIVE_STATES, JobState

log = logging.getLogger("wan_mcp.tracking")

MIN_GAP = 1.0  # seconds between two status queries of one job
HEARTBEAT_SECONDS = 4.0  # progress to a waiting client at least this often (clients drop calls silent for long)
OBSERVE_SECONDS = 1.0  # how often a job followed by another process is re-read while someone waits here
ADOPT_SECONDS = 5.0  # how often unfinished jobs without a live owner are looked for
SAVE_RETRY_SECONDS = 30.0
RETRY_AFTER_FAILURE_SECONDS = 30.0
DAY = float(catalog.RESULT_TTL_SECONDS)


def schedule(record: TaskRecord) -> Schedule:
    """The job's background schedule (its model, length and tier)."""
    model = catalog.find_model(record.model)
    assert model is not None
    return schedule_for(model, record.estimate.output_seconds, record.estimate.resolution)


@dataclass
class Watch:
    """What this process knows of one job, shared by its watcher and every call waiting on it."""

    record: TaskRecord
    changed: anyio.Event = field(default_factory=anyio.Event)
    wake: anyio.Event = field(default_factory=anyio.Event)
    waiters: int = 0
    last_query: float = -math.inf  # monotonic task time
    origin: float | None = None  # task time of the submit's answer: where the attentive grid starts
    running_since: float | None = None  # task time when RUNNING was first seen
    lock: anyio.Lock = field(default_factory=anyio.Lock)

    def publish(self, record: TaskRecord) -> None:
        """A newer record: every waiter wakes."""
        self.record = record
        self.changed.set()
        self.changed = anyio.Event()


class Tracker:
    """Follows jobs in the background (in the service's task group) and lets calls wait for them."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.watches: dict[str, Watch] = {}
        self.group: anyio.abc.TaskGroup | None = None

    async def run(self, *, adopt: bool, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Follow jobs until cancelled; with `adopt`, also every unfinished job that no live process follows."""
        async with anyio.create_task_group() as group:
            self.group = group
            task_status.started()
            try:
                while adopt:
                    try:
                        await self.adopt()
                    except JournalUnavailable as exc:
                        log.warning("looking for unfinished jobs: %s", exc.message)
                    await anyio.sleep(ADOPT_SECONDS)
                await anyio.sleep_forever()
            finally:
                self.group = None

    async def adopt(self) -> None:
        """Watch every unfinished job younger than a day that this process does not already watch."""
        since = self.deps.clock.now() - DAY - 3600
        for record in await self.deps.store.list_tasks(TaskFilter(states=ACTIVE_STATES, since=since, limit=1000)):
            if record.handle not in self.watches and record.handle not in self.deps.sending and self._free(record):
                self.watch(record)

    def _free(self, record: TaskRecord) -> bool:
        now = self.deps.clock.now()
        return record.lease_owner in (None, self.deps.owner) or (record.lease_until or 0) < now

    def watch(self, record: TaskRecord, *, answered: bool = False) -> Watch:
        """The job's watch, starting its watcher when there is none in this process. `answered`: the record holds
        DashScope's answer of this moment (a submit's), which counts as a status query."""
        watch = self.watches.get(record.handle)
        new = watch is None
        if watch is None:
            watch = Watch(record)
        if answered:
            if not new:
                watch.publish(record)  # found while it was sending: the watcher sees the outcome
            watch.last_query = watch.origin = self._task_now()
        if new and not record.final and self.group is not None:
            self.watches[record.handle] = watch
            self.group.start_soon(self._follow, watch)
        return watch

    # -- what calls do
    async def check(self, record: TaskRecord, *, fresh: bool = False) -> TaskRecord:
        """The job now: asks DashScope unless the last answer is recent (younger than the attentive grid's step, or
        with `fresh`, than MIN_GAP); then the last answer stands."""
        watch = self.watch(record)
        if record.final or record.task_id is None or record.state is not JobState.SUBMITTED:
            watch.wake.set()
            return watch.record
        if fresh or self._task_now() >= self._next_query(watch, attentive=True):
            await self._query(watch)
        if watch.record.status == "SUCCEEDED":
            watch.wake.set()  # the watcher saves it now
        return watch.record

    async def wait(self, record: TaskRecord, seconds: float, progress: ProgressFn | None) -> TaskRecord:
        """Hold for up to `seconds`, returning as soon as the job ends, with progress meanwhile."""
        watch = self.watch(record)
        clock = self.deps.clock
        deadline = clock.deadline(seconds)
        watch.waiters += 1
        watch.wake.set()  # the watcher switches to the attentive schedule
        try:
            async with anyio.create_task_group() as group:
                if progress is not None:
                    group.start_soon(self._heartbeat, watch, progress)
                while not watch.record.final and clock.left(deadline) > 0:
                    changed = watch.changed
                    with anyio.move_on_after(min(clock.left(deadline), clock.real(OBSERVE_SECONDS))):
                        await changed.wait()
                    if record.handle not in self.watches and not watch.record.final:
                        watch.publish(await self._reread(watch))  # followed by another process: read its work
                group.cancel_scope.cancel()
        finally:
            watch.waiters -= 1
        return watch.record

    async def _heartbeat(self, watch: Watch, progress: ProgressFn) -> None:
        while True:
            record = watch.record
            now = self.deps.clock.now()
            total = float(record.estimate.wait_high_seconds)
            await progress(min(elapsed_of(record, now), total), total, progress_text(record, now))
            await anyio.sleep(HEARTBEAT_SECONDS)

    # -- the watcher
    async def _follow(self, watch: Watch) -> None:
        handle = watch.record.handle
        try:
            while not watch.record.final:
                watch.wake = anyio.Event()  # a call arriving during the step still wakes the rest after it
                try:
                    if not await self._hold_lease(watch):
                        break  # another process follows it; waiters here re-read the journal
                    delay = await self._step(watch)
                except JournalUnavailable as exc:
                    log.warning("following %s: %s; trying again", handle, exc.message)
                    delay = RETRY_AFTER_FAILURE_SECONDS
                except Exception:  # a paid job is never dropped for a bug: log it and try again later
                    log.exception("following %s failed; trying again", handle)
                    delay = RETRY_AFTER_FAILURE_SECONDS
                await self._rest(watch, delay)
        except WanMcpError as exc:
            log.warning("following %s stopped: %s", handle, exc)
        finally:
            self.watches.pop(handle, None)
            with anyio.CancelScope(shield=True):
                with contextlib.suppress(WanMcpError):
                    await self.deps.store.release_lease(handle, self.deps.owner)

    async def _rest(self, watch: Watch, delay: float) -> None:
        """Wait `delay` task seconds or until woken, renewing the lease meanwhile."""
        clock = self.deps.clock
        end = clock.deadline(clock.real(delay))
        while clock.left(end) > 0:
            with anyio.move_on_after(min(clock.left(end), LEASE_SECONDS / 3)):
                await watch.wake.wait()
            if watch.wake.is_set() or not await self._hold_lease(watch):
                return

    async def _hold_lease(self, watch: Watch) -> bool:
        now = self.deps.clock.now()
        if watch.record.lease_owner == self.deps.owner and (watch.record.lease_until or 0) > now + LEASE_SECONDS / 2:
            return True
        taken = await self.deps.store.take_lease(
            watch.record.handle, self.deps.owner, until=now + LEASE_SECONDS, now=now
        )
        if taken is None:
            return False
        watch.publish(taken)
        return True

    async def _step(self, watch: Watch) -> float:
        """Move the job on once; the task seconds until the next step."""
        record = watch.record
        attentive = watch.waiters > 0
        if record.state is JobState.UNCONFIRMED:
            try:
                watch.publish(await reconcile.reconcile(self.deps, record))
            except TransportError as exc:
                log.info("reconciling %s: %s; trying again", record.handle, exc.message)
            if watch.record.state is JobState.SUBMITTED:
                return 0.0  # found: ask its status now
            return 3.0 if attentive else reconcile.EVERY_SECONDS
        if record.status == "SUCCEEDED" or record.state in (JobState.DOWNLOADING, JobState.SAVE_FAILED):
            watch.publish(await delivery.deliver(self.deps, record))
            return SAVE_RETRY_SECONDS if watch.record.state is JobState.SAVE_FAILED else 1.0
        if record.state is JobState.SUBMITTING:
            if record.handle in self.deps.sending:
                return 1.0  # the call that recorded it is still sending it
            # Found mid-submit, its owner gone (a crash or kill): whether a task exists is unknown. Never resend.
            watch.publish(await move(self.deps, record, "restarted", detail="found mid-submit after a restart"))
            return 0.0
        if record.task_id is None:
            return 1.0
        due = self._next_query(watch, attentive) - self._task_now()
        if due > 0:
            return due  # woken (someone came to wait) before the schedule's next query: no extra one
        await self._query(watch)
        if watch.record.status == "SUCCEEDED":
            return 0.0
        return max(0.0, self._next_query(watch, attentive) - self._task_now())

    def _task_now(self) -> float:
        return self.deps.clock.task_clock().now()

    def _next_query(self, watch: Watch, attentive: bool) -> float:
        """The task time of the job's next status query: on the attentive grid from the submit's answer while someone
        waits (from the recorded send for a job found in the journal), else the background schedule's delay after the
        last query; never within MIN_GAP of it."""
        last, record = watch.last_query, watch.record
        if last == -math.inf:
            return last
        if attentive:
            origin = watch.origin
            if origin is None:
                origin = self.deps.clock.task_time_of(record.submitted_at or record.created_at)
            delay = attentive_delay(last - (origin if origin is not None else last))
        else:
            elapsed = last - watch.running_since if watch.running_since is not None else 0.0
            delay = schedule(record).delay(record.status or "PENDING", elapsed)
        return last + max(MIN_GAP, delay)

    async def _query(self, watch: Watch) -> None:
        """One status query, at most one per MIN_GAP for the job, whoever asks."""
        async with watch.lock:
            task_now = self.deps.clock.task_clock().now()
            if task_now - watch.last_query < MIN_GAP:
                return
            watch.last_query = task_now
            record = watch.record
            if record.final or record.status == "SUCCEEDED" or record.task_id is None:
                return
            info = await self.deps.client(record.tenant).get_task(record.task_id)
            if info.status == "RUNNING" and watch.running_since is None:
                watch.running_since = task_now
            watch.publish(await apply_status(self.deps, record, info))

    async def _reread(self, watch: Watch) -> TaskRecord:
        found = await self.deps.store.get_task(watch.record.handle)
        if found is not None and found.handle not in self.watches and self._free(found) and not found.final:
            self.watch(found)  # its owner is gone: follow it here
        return found or watch.record
