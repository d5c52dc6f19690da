"""The use-cases: plan, submit (record first, never twice), poll and wait, list, cancel — in plain Python types."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, nullcontext
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import anyio.abc

from wan_mcp.config import Settings
from wan_mcp.errors import (
    ApiError,
    DashScopeError,
    OverBudget,
    Problem,
    RequestInvalid,
    SubmitOutcomeUnknown,
    TransportError,
    WanMcpError,
)
from wan_mcp.journal.budget import DailyBudget
from wan_mcp.journal.records import TaskRecord, new_handle
from wan_mcp.journal.store import JournalUnavailable, Store, TaskFilter
from wan_mcp.polling import Clock
from wan_mcp.present import cost_sentence, estimate_view, task_view
from wan_mcp.requests import Plan, plan_request
from wan_mcp.service import manage, recovery
from wan_mcp.service.base import LEASE_SECONDS, MAX_WAIT_SECONDS, Deps, ProgressFn, renew_lease, while_renewing
from wan_mcp.service.money import Budgets, Quote
from wan_mcp.service.status import error_of, move
from wan_mcp.service.tracking import Tracker, schedule
from wan_mcp.service.uploads import content_hash, upload_inputs
from wan_mcp.states import JobState, task_status, transition
from wan_mcp.views import CancelView, SubmitView, TaskList, TaskView

log = logging.getLogger("wan_mcp.service")

DUPLICATE_WINDOW_SECONDS = 3600.0
HELD_RETRY_SECONDS = 2.0


def request_hash(plan: Plan, file_hashes: list[str] | None = None) -> str:
    """What makes two requests the same job: region, model, endpoint, body, and the content of local files."""
    canonical = json.dumps(
        {"region": plan.region, "path": plan.request.path, "body": plan.request.body, "files": file_hashes or []},
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _unknown_job(key: str) -> RequestInvalid:
    return RequestInvalid(
        Problem(
            "task_id",
            "not_found",
            f"no job {key!r} in this wan-mcp's journal",
            "use the task_id or handle that submit_video returned (list_tasks shows them)",
        )
    )


class WanService:
    """Plan, submit, track and deliver Wan video jobs."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.settings: Settings = deps.settings
        self.store: Store = deps.store
        self.clock: Clock = deps.clock
        self.tracker = Tracker(deps)
        self.budgets = Budgets(deps.settings, deps.store, deps.clock)
        self.held: dict[str, TaskRecord] = {}  # created at DashScope, not yet written: the journal was busy
        self.group: anyio.abc.TaskGroup | None = None

    @classmethod
    @asynccontextmanager
    async def open(
        cls, settings: Settings, *, adopt: bool = True, store: Store | None = None, clock: Clock | None = None
    ) -> AsyncIterator[WanService]:
        """A running service: the journal open, its jobs followed (with `adopt`, every unfinished one)."""
        deps = Deps(settings, store or await recovery.open_journal(settings), clock or Clock(speed=settings.poll_speed))
        service = cls(deps)
        failure: BaseException | None = None
        try:
            async with anyio.create_task_group() as group:
                service.group = group
                await group.start(lambda task_status: service.tracker.run(adopt=adopt, task_status=task_status))
                if adopt:
                    await service.recheck_deliveries()
                    group.start_soon(service.rebuild_if_damaged)
                try:
                    yield service
                except BaseException as exc:  # the caller's own error: raised as it is once the group is closed
                    failure = exc
                finally:
                    group.cancel_scope.cancel()
        finally:
            with anyio.CancelScope(shield=True):
                await deps.aclose()
        if failure is not None:
            raise failure

    async def recheck_deliveries(self) -> None:
        """After a start: videos delivered lately whose file was damaged are downloaded again."""
        try:
            for record in await recovery.damaged_deliveries(self.deps):
                self.tracker.watch(record)
        except WanMcpError as exc:
            log.warning("re-checking deliveries: %s", exc)

    async def rebuild_if_damaged(self) -> None:
        """After a start on a damaged journal: rebuild its last day from DashScope's task list."""
        if not self.store.recovery_note:
            return
        try:
            await recovery.rebuild(self.deps)
        except WanMcpError as exc:
            log.error("rebuilding the journal: %s", exc)

    # -- plan and submit
    def own_folders(self) -> tuple[Path, ...]:
        """The folders of wan-mcp's own files (videos, frames, chain clips): always readable by it."""
        settings = self.settings
        return (settings.output_dir, settings.data_dir / "frames", settings.data_dir / "chains")

    def plan(self, arguments: dict[str, Any], extra_allowed: tuple[Path, ...] = ()) -> Plan:
        """Validate a request; local files may come from the allowed folders, `extra_allowed` (MCP roots) and the
        folders of wan-mcp's own files, whatever WAN_MCP_ALLOWED_DIRS says."""
        return plan_request(
            arguments,
            region=self.settings.region,
            input_dir=self.settings.input_dir,
            allowed_dirs=(*self.settings.allowed_dirs, *extra_allowed, *self.own_folders()),
        )

    async def submit(
        self,
        arguments: dict[str, Any],
        *,
        dry_run: bool = False,
        wait_seconds: int = 0,
        progress: ProgressFn | None = None,
        allow_duplicate: bool = False,
        extra_allowed: tuple[Path, ...] = (),
        tenant: str = "",
        budgeted: bool = False,
    ) -> SubmitView:
        """Validate, refuse duplicates (atomically with the record) and calls over a budget, upload, send, and
        optionally wait. `budgeted`: a chain's segment, admitted with its chain."""
        plan = self.plan(arguments, extra_allowed)
        estimate = estimate_view(plan)
        quote = Quote.of(estimate, plan.model)
        fingerprint = request_hash(plan, [content_hash(u) for u in plan.uploads])
        base = {"mode": plan.mode, "model": plan.model, "estimate": estimate, "notes": list(plan.notes)}
        if dry_run:
            try:
                duplicate = await self._duplicate(fingerprint, tenant) if not allow_duplicate else None
            except JournalUnavailable:
                duplicate = None  # a dry run needs no journal
            note = (
                f" An identical job exists ({duplicate.key})." if duplicate else await self.budgets.note(quote, tenant)
            )
            return SubmitView(
                dry_run=True,
                request=plan.request.to_dict(),
                task=self.view(duplicate) if duplicate else None,  # what the call would return instead of paying
                message=f"Dry run: nothing was sent. {cost_sentence(estimate)} It would take {estimate.wait_text}."
                + note,
                **base,
            )
        self.deps.client(tenant)  # no key: say so before anything is recorded
        handle = new_handle()
        self.deps.sending.add(handle)  # before the record exists: no watcher may take it for a crashed submit
        created = False
        try:
            async with self.budgets.admit(quote, tenant) if not budgeted else nullcontext() as budget:
                record, created = await self._record(
                    plan, arguments, fingerprint, handle, tenant, allow_duplicate, budget=budget
                )
        except OverBudget:  # an identical job already made is still the better answer than a refusal
            duplicate = await self._duplicate(fingerprint, tenant) if not allow_duplicate else None
            if duplicate is None:
                raise
            record, created = duplicate, False
        finally:
            if not created:
                self.deps.sending.discard(handle)
        if not created:
            view = self.view(record)
            return SubmitView(
                dry_run=False,
                request=record.request,
                task=view,
                message=f"Not submitted again: an identical job ({record.key}) is already {view.status or view.state}, "
                f"so this would pay twice. {view.message} To make a second one on purpose, pass allow_duplicate: true.",
                **{**base, "notes": [*plan.notes, "Duplicate: an identical request was submitted within the hour."]},
            )
        try:
            record = await self._send_holding_lease(record, plan)
        finally:
            self.deps.sending.discard(record.handle)
        task = await self.poll(record.handle, wait_seconds=wait_seconds, progress=progress, tenant=tenant)
        return SubmitView(dry_run=False, request=record.request, task=task, message=task.message, **base)

    async def _record(  # noqa: PLR0917 (one call site, the submit above)
        self,
        plan: Plan,
        arguments: dict[str, Any],
        fingerprint: str,
        handle: str,
        tenant: str,
        allow_duplicate: bool,
        *,
        budget: DailyBudget | None,
    ) -> tuple[TaskRecord, bool]:
        """Write the job before anything is sent, or find the identical one, or refuse it over the day's budget (one
        atomic step in the store)."""
        now = self.clock.now()
        return await self.store.create_task(
            TaskRecord(
                handle=handle,
                state=JobState.SUBMITTING,
                mode=plan.mode,
                model=plan.model,
                model_name=plan.model_name,
                region=plan.region,
                tenant=tenant,
                function=plan.function,
                prompt=arguments.get("prompt"),
                request=plan.request.to_dict(),
                request_hash=fingerprint,
                estimate=estimate_view(plan),
                notes=list(plan.notes),
                created_at=now,
                updated_at=now,
                lease_owner=self.deps.owner,  # held while this call sends: a restart after a crash reconciles it
                lease_until=now + LEASE_SECONDS,
            ),
            detail="recorded before sending",
            duplicate_since=None if allow_duplicate else now - DUPLICATE_WINDOW_SECONDS,
            budget=budget,
        )

    async def _duplicate(self, fingerprint: str, tenant: str) -> TaskRecord | None:
        since = self.clock.now() - DUPLICATE_WINDOW_SECONDS
        found = await self.store.list_tasks(TaskFilter(request_hash=fingerprint, tenant=tenant, since=since, limit=5))
        return next((r for r in found if r.state not in (JobState.REJECTED, JobState.FAILED, JobState.CANCELED)), None)

    async def _send_holding_lease(self, record: TaskRecord, plan: Plan) -> TaskRecord:
        """Send while renewing the job's lease; a refusal is raised as it is."""
        return await while_renewing(partial(renew_lease, self.deps, record.handle), partial(self._send, record, plan))

    async def _send(self, record: TaskRecord, plan: Plan) -> TaskRecord:
        """Upload, send once, and record the outcome (held in memory if the journal cannot take it yet)."""
        try:
            body = await upload_inputs(self.deps, plan, record.tenant)
        except WanMcpError as exc:
            await move(self.deps, record, "refused", finished_at=self.clock.now(), error=error_of(exc), detail="upload")
            raise
        sent = dict(record.request, body=body)
        record = await self.store.update_task(
            record.handle, request=sent, submitted_at=self.clock.now(), detail="sending"
        )
        request = dataclasses.replace(plan.request, body=body)
        try:
            created = await self.deps.client(record.tenant).submit(request, model=plan.model)
        except SubmitOutcomeUnknown as exc:
            return await self._outcome(record, "no_answer", error=error_of(exc), detail=exc.message)
        except (ApiError, TransportError) as exc:
            await move(
                self.deps,
                record,
                "refused",
                finished_at=self.clock.now(),
                error=error_of(exc),
                detail=f"refused: {exc.code}",
            )
            raise
        return await self._outcome(
            record,
            "accepted",
            task_id=created.task_id,
            request_id=created.request_id,
            status=task_status(created.status) or "PENDING",
            detail="accepted",
        )

    async def _outcome(self, record: TaskRecord, event: Any, **changes: Any) -> TaskRecord:
        """Record what the submit did; when the journal is busy, hold it in memory and write it when it answers."""
        detail = changes.pop("detail", "")
        try:
            written = await self.store.update_task(
                record.handle, state=transition(record.state, event), detail=detail, **changes
            )
        except JournalUnavailable as exc:
            log.error("%s: %s; holding it in memory until the journal answers", record.handle, exc.message)
            held = dataclasses.replace(record, state=transition(record.state, event), **changes)
            self.held[record.handle] = held
            if self.group is not None:
                self.group.start_soon(self._write_held, held, detail)
            return held
        self.tracker.watch(written, answered=written.task_id is not None)  # the submit's answer was a status query
        return written

    async def _write_held(self, held: TaskRecord, detail: str) -> None:
        changes = {name: getattr(held, name) for name in ("state", "task_id", "request_id", "status", "error")}
        while True:
            try:
                written = await self.store.update_task(held.handle, detail=detail + " (written late)", **changes)
            except JournalUnavailable:
                await anyio.sleep(HELD_RETRY_SECONDS)
                continue
            self.held.pop(held.handle, None)
            self.tracker.watch(written)
            return

    # -- poll and wait
    async def find(self, key: str, tenant: str | None = None) -> TaskRecord:
        """A job by task id or handle (only the tenant's own when `tenant` is given)."""
        key = key.strip()
        for held in self.held.values():
            if key in (held.handle, held.task_id) and (tenant is None or held.tenant == tenant):
                return held
        record = await self.store.get_task(key, tenant=tenant) if key else None
        if record is None:
            raise _unknown_job(key)
        return record

    async def poll(
        self, key: str, *, wait_seconds: int = 0, progress: ProgressFn | None = None, tenant: str | None = None
    ) -> TaskView:
        """The job now (asking DashScope when useful), or once it ends within `wait_seconds`."""
        record = await self.find(key, tenant)
        if record.handle in self.held:
            return self._held_view(record)
        outage = ""
        try:
            record = await self.tracker.check(record)
            wait = max(0, min(MAX_WAIT_SECONDS, wait_seconds))
            if wait > 0 and not record.final:
                record = await self.tracker.wait(record, wait, progress)
        except DashScopeError as exc:
            outage = f" DashScope is not answering right now ({exc.code}: {exc.message}); this is the last known state."
        view = self.view(record)
        return view.model_copy(update={"message": view.message + outage}) if outage else view

    def _held_view(self, record: TaskRecord) -> TaskView:
        view = self.view(record)
        return view.model_copy(
            update={
                "message": f"The job was created at DashScope (task {record.key}) but the journal is busy: it is held "
                f"in memory and written as soon as the journal answers. Poll {record.key} again; do not resubmit."
            }
        )

    async def history(self, key: str, tenant: str | None = None) -> TaskRecord | None:
        """A job's record with its events (None when unknown to this tenant)."""
        return await self.store.get_task(key.strip(), tenant=tenant, with_events=True) if key.strip() else None

    async def delivered(self, key: str, tenant: str | None) -> manage.DeliveredFile | None:
        """The recorded file of a delivered job or chain (see manage.delivered_file)."""
        return await manage.delivered_file(self, key, tenant)

    async def record(self, key: str, tenant: str | None = None) -> TaskRecord | None:
        """A job's record by task id or handle (only the tenant's own when `tenant` is given)."""
        return await self.store.get_task(key.strip(), tenant=tenant) if key.strip() else None

    async def signing_key(self, name: str) -> bytes:
        """A secret shared by every process on this journal (e.g. the key of download links)."""
        return await self.store.shared_secret(name)

    def view(self, record: TaskRecord) -> TaskView:
        """What a tool returns about a job."""
        return task_view(record, schedule(record), self.clock.now())

    # -- list and cancel (service/manage.py)
    async def list(
        self, *, status: str | None = None, since_hours: float | None = None, limit: int = 20, tenant: str | None = None
    ) -> TaskList:
        """Jobs from the journal, newest first, by status or state and age."""
        return await manage.list_jobs(self, status=status, since_hours=since_hours, limit=limit, tenant=tenant)

    async def cancel(self, key: str, tenant: str | None = None) -> CancelView:
        """Cancel a job still queued (PENDING): nothing is billed."""
        return await manage.cancel_job(self, key, tenant)
