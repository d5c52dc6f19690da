"""The use-cases in plain Python: plan, submit, poll and wait, list, cancel, resume, and download exactly once.

`WanService` owns the journal and the DashScope client. Long-lived work (tracking every job until it ends,
downloading each result as soon as it exists) runs in the service's own task group, started by `run()`, so that
a tool call that gives up cancels only its wait, never the job or its download.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import math
import os
import re
import secrets
import tempfile
import time
import unicodedata
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import anyio
import anyio.abc
from pydantic import SecretStr

from wan_mcp import catalog
from wan_mcp.catalog import MODE_TITLES, MODE_USE_WHEN, MODES, REGIONS, Mode, Model, RegionId
from wan_mcp.config import Settings
from wan_mcp.dashscope import DashScopeClient, TaskInfo
from wan_mcp.errors import (
    ApiError,
    ConfigError,
    DownloadFailed,
    Problem,
    RequestInvalid,
    ResultExpired,
    SubmitOutcomeUnknown,
    TransportError,
    WanMcpError,
    classify,
)
from wan_mcp.inputs import CheckedFile, InputError, open_for_upload
from wan_mcp.journal import ACTIVE_STATES, Journal, TaskRecord, new_handle
from wan_mcp.polling import PollClock, PollState, poll_until_done, schedule_for
from wan_mcp.requests import PendingUpload, Plan, plan_request, wait_text
from wan_mcp.views import (
    CancelView,
    ErrorView,
    EstimateView,
    ModelView,
    ModesView,
    ModeView,
    SubmitView,
    TaskList,
    TaskView,
)

log = logging.getLogger("wan_mcp.service")

ProgressFn = Callable[[float, float | None, str], Awaitable[None]]
DAY = float(catalog.RESULT_TTL_SECONDS)
HEARTBEAT_SECONDS = 4.0
DUPLICATE_WINDOW_SECONDS = 3600.0
DUPLICATE_STATES = frozenset({"submitting", "submitted", "unconfirmed", "downloading", "delivered"})
UPLOAD_MARGIN_SECONDS = 3600.0  # re-upload an hour before the 48 h temporary file would expire
RECONCILE_BEFORE_SECONDS = 60.0  # a listed task may carry a creation time this much before our send…
RECONCILE_AFTER_SECONDS = 600.0  # …or this much after it (clock skew, slow gateways)
RECONCILE_GRACE_SECONDS = 120.0  # an empty list proves nothing was created only after this long
RECONCILE_EVERY_SECONDS = 15.0
MAX_WAIT_SECONDS = 50
GUARDRAILS = [
    "Every generation is billed per second of output video; failed tasks are not billed.",
    "Tell the user the cost and the expected wait before submitting (submit_video with dry_run returns both).",
    "Jobs take 1–10 minutes: submit, then poll_task with wait_seconds (≤ 50) until it is done.",
    "After a client timeout, poll the task id (or handle) again: never resubmit, that would pay twice.",
    "kf2v and VACE make silent videos; add sound afterwards by merging a soundtrack.",
    "Result URLs and task ids expire after 24 hours; wan-mcp downloads every result as soon as it exists.",
]


class WanService:
    """Plan, submit, track and deliver Wan video jobs."""

    def __init__(
        self,
        settings: Settings,
        *,
        journal: Journal | None = None,
        client: DashScopeClient | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.journal = journal or Journal(settings.journal_path)
        self._client = client
        self.clock = clock
        self.owner = f"{os.getpid()}-{secrets.token_hex(3)}"
        self._group: anyio.abc.TaskGroup | None = None
        self._tracked: set[str] = set()
        self._deliveries: dict[str, anyio.Event] = {}
        speed = settings.poll_speed
        # Poll schedules run on this clock; poll_speed > 1 only makes sense against the emulator run as fast.
        self.poll_clock = PollClock(now=lambda: self.clock() * speed, sleep=lambda s: anyio.sleep(s / speed))

    def _scaled(self, moment: float | None) -> float | None:
        return None if moment is None else moment * self.settings.poll_speed

    # -- lifecycle
    @property
    def client(self) -> DashScopeClient:
        """The DashScope client (created on first use: listing modes and planning need no key)."""
        if self._client is None:
            key: SecretStr | None = self.settings.api_key
            if key is None:
                raise ConfigError(
                    "DASHSCOPE_API_KEY is not set",
                    fix="set DASHSCOPE_API_KEY to a Model Studio key of your region (DASHSCOPE_REGION), "
                    "or run `wan-mcp demo` to try everything on the local emulator",
                    code="missing_api_key",
                )
            self._client = DashScopeClient(
                base_url=self.settings.base_url,
                api_key=key,
                region=self.settings.region,
                workspace=self.settings.workspace,
                query_qps=self.settings.query_qps,
            )
        return self._client

    async def run(self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Track every unfinished job until cancelled (the server's lifespan runs this)."""
        async with anyio.create_task_group() as group:
            self._group = group
            task_status.started()
            try:
                self.verify_deliveries()
                self.resume()
                await anyio.sleep_forever()
            finally:
                self._group = None

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
        self.journal.close()

    def resume(self) -> None:
        """Pick up every job younger than 24 h that has not ended (after a restart or crash)."""
        for record in self.journal.list(states=tuple(ACTIVE_STATES), since=self.clock() - DAY - 3600, limit=1000):
            if record.state == "submitting":
                # The process died before or while sending: whether a task exists is unknown. Never resend.
                self.journal.update(record.handle, state="unconfirmed", detail="found in 'submitting' after a restart")
            elif record.state == "downloading" and not _owner_alive(record.claim_owner):
                self.journal.update(
                    record.handle, state="submitted", claim_owner=None, detail="download resumed: its owner is gone"
                )
            self.track(record.handle)

    def verify_deliveries(self) -> None:
        """Re-check files delivered in the last two days; a damaged one is downloaded again while its URL lives."""
        for record in self.journal.list(states=("delivered",), since=self.clock() - 2 * DAY, limit=1000):
            path = Path(record.local_path or "")
            if not path.exists():
                continue  # moved or deleted by the user: not ours to restore
            if path.stat().st_size == record.size_bytes and sha256_file(path) == record.sha256:
                continue
            log.warning("delivered file %s is damaged; downloading it again", path)
            path.unlink()
            self.journal.update(record.handle, state="submitted", detail="delivered file damaged; downloading again")
            self.track(record.handle)

    def track(self, handle: str) -> None:
        """Follow a job in the background until it ends and its video is delivered."""
        if self._group is None or handle in self._tracked:
            return
        self._tracked.add(handle)
        self._group.start_soon(self._track, handle)

    async def _track(self, handle: str) -> None:
        try:
            record = self.journal.get(handle)
            if record is None or record.final:
                return
            while record.state == "unconfirmed":
                try:
                    record = await self.reconcile(handle)
                except TransportError as exc:
                    log.info("reconciling %s: %s; retrying", handle, exc.message)
                if record.state == "unconfirmed":
                    await self.poll_clock.sleep(RECONCILE_EVERY_SECONDS)
            if record.final or record.task_id is None:
                return
            if record.status == "SUCCEEDED":
                await self.deliver_soon(handle, math.inf)
                return
            schedule = self.schedule(record, attentive=False)
            state = PollState(running_since=self._scaled(record.submitted_at) if record.status == "RUNNING" else None)
            await poll_until_done(
                lambda: self._refresh_status(handle),
                schedule,
                clock=self.poll_clock,
                state=state,
                started=self._scaled(record.submitted_at),
                check_now=record.status is not None,
            )
        except WanMcpError as exc:
            log.warning("tracking %s stopped: %s", handle, exc)
        except Exception:
            log.exception("tracking %s failed", handle)
        finally:
            self._tracked.discard(handle)

    async def _refresh_status(self, handle: str) -> str:
        record = await self.refresh(handle)
        if record.final:
            return "UNKNOWN" if record.status is None else record.status
        if record.status == "SUCCEEDED":
            await self.deliver_soon(handle, math.inf)
            return "SUCCEEDED"
        return record.status or "PENDING"

    # -- catalog
    def modes(self, mode: str | None = None, region: str | None = None) -> ModesView:
        """The catalog for a region (default: the configured one), optionally one mode only."""
        return modes_view(_region(region) if region else self.settings.region, mode)

    def plan(self, arguments: dict[str, Any], extra_allowed: tuple[Path, ...] = ()) -> Plan:
        """Validate a request; local files may come from the allowed folders, `extra_allowed` (MCP roots) and the
        folders of wan-mcp's own files (videos, frames, chain clips), whatever WAN_MCP_ALLOWED_DIRS says."""
        settings = self.settings
        own = (settings.output_dir, settings.data_dir / "frames", settings.data_dir / "chains")
        return plan_request(
            arguments,
            region=settings.region,
            input_dir=settings.input_dir,
            allowed_dirs=(*settings.allowed_dirs, *extra_allowed, *own),
        )

    # -- submit
    async def submit(
        self,
        arguments: dict[str, Any],
        *,
        dry_run: bool = False,
        wait_seconds: int = 0,
        progress: ProgressFn | None = None,
        allow_duplicate: bool = False,
        extra_allowed: tuple[Path, ...] = (),
    ) -> SubmitView:
        """Validate, refuse duplicates, record, upload, send, and optionally wait (with progress)."""
        plan = self.plan(arguments, extra_allowed)
        estimate = estimate_view(plan)
        fingerprint = request_hash(plan, [_content_hash(u) for u in plan.uploads])
        duplicate = None if allow_duplicate else self.duplicate_of(fingerprint)
        if dry_run:
            note = f" An identical job exists ({duplicate.task_id or duplicate.handle})." if duplicate else ""
            return SubmitView(
                dry_run=True,
                mode=plan.mode,
                model=plan.model,
                request=plan.request.to_dict(),
                estimate=estimate,
                notes=list(plan.notes),
                message=(
                    f"Dry run: nothing was sent. {_cost_sentence(estimate)} It would take {estimate.wait_text}.{note}"
                ),
            )
        if duplicate is not None:
            view = self.view(duplicate)
            return SubmitView(
                dry_run=False,
                mode=plan.mode,
                model=plan.model,
                request=duplicate.request,
                estimate=estimate,
                notes=[*plan.notes, "Duplicate: an identical request was submitted within the last hour."],
                task=view,
                message=f"Not submitted again: an identical job ({duplicate.task_id or duplicate.handle}) is already "
                f"{view.status or view.state}, so this would pay twice. {view.message} "
                "To make a second one on purpose, pass allow_duplicate: true.",
            )
        client = self.client
        record = TaskRecord(
            handle=new_handle(),
            state="submitting",
            mode=plan.mode,
            model=plan.model,
            model_name=plan.model_name,
            region=plan.region,
            function=plan.function,
            prompt=arguments.get("prompt"),
            request_json=json.dumps(plan.request.to_dict(), ensure_ascii=False),
            request_hash=fingerprint,
            estimate_json=estimate.model_dump_json(),
            notes_json=json.dumps(list(plan.notes), ensure_ascii=False),
            created_at=self.clock(),
            updated_at=self.clock(),
        )
        self.journal.create(record, detail="recorded before sending")
        try:
            body = await self.upload_inputs(plan)
        except WanMcpError as exc:
            self.journal.update(
                record.handle, state="rejected", finished_at=self.clock(), error_json=_error_json(exc), detail="upload"
            )
            raise
        sent = type(plan.request)(plan.request.method, plan.request.path, plan.request.headers, body)
        self.journal.update(
            record.handle,
            request_json=json.dumps(sent.to_dict(), ensure_ascii=False),
            submitted_at=self.clock(),
            detail="sending",
        )
        try:
            created = await client.submit(sent, model=plan.model)
        except SubmitOutcomeUnknown as exc:
            self.journal.update(record.handle, state="unconfirmed", error_json=_error_json(exc), detail=exc.message)
            self.track(record.handle)
        except (ApiError, TransportError) as exc:
            self.journal.update(
                record.handle,
                state="rejected",
                finished_at=self.clock(),
                error_json=_error_json(exc),
                detail=f"refused: {exc.code}",
            )
            raise
        else:
            self.journal.update(
                record.handle,
                task_id=created.task_id,
                request_id=created.request_id,
                state="submitted",
                status=created.status,
                detail="accepted",
            )
            self.track(record.handle)
        task = await self.poll(record.handle, wait_seconds=wait_seconds, progress=progress, refresh_first=False)
        return SubmitView(
            dry_run=False,
            mode=plan.mode,
            model=plan.model,
            request=json.loads(self.journal.get(record.handle).request_json),  # type: ignore[union-attr]
            estimate=estimate,
            notes=list(plan.notes),
            task=task,
            message=task.message,
        )

    def duplicate_of(self, fingerprint: str) -> TaskRecord | None:
        """An identical job that is pending, running, or succeeded within the last hour."""
        for record in self.journal.list(request_hash=fingerprint, since=self.clock() - DUPLICATE_WINDOW_SECONDS):
            if record.state in DUPLICATE_STATES:
                return record
        return None

    async def upload_inputs(self, plan: Plan) -> dict[str, Any]:
        """The body with every local file (and data: URI the API takes no inline) replaced by its oss:// URL.

        Each local file is opened once (checked again on the descriptor: the path, size and content the plan saw)
        and hashed and uploaded from that descriptor; a file swapped or rewritten since the plan is refused."""
        body: dict[str, Any] = json.loads(json.dumps(plan.request.body))
        for upload in plan.uploads:
            with _open_upload(upload) as file:
                digest = await anyio.to_thread.run_sync(file.sha256)
                url = self.journal.known_upload(
                    digest,
                    plan.model_name,
                    plan.region,
                    younger_than=catalog.UPLOAD_TTL_SECONDS - UPLOAD_MARGIN_SECONDS,
                )
                if url is None:
                    try:
                        url = await self.client.upload(file, model=plan.model_name, content_type=_mime(file.path))
                    except InputError as exc:
                        raise _upload_refused(upload, exc) from None
                    self.journal.remember_upload(digest, plan.model_name, plan.region, url)
            _set(body, upload.pointer, url)
        return body

    # -- reconciliation
    async def reconcile(self, handle: str) -> TaskRecord:
        """Find the task an unconfirmed submit created in DashScope's task list, or prove that it created none."""
        record = self.journal.get(handle)
        assert record is not None
        if record.state != "unconfirmed":
            return record
        sent = record.submitted_at or record.created_at
        now = self.clock()
        # The list's time strings are read as Beijing time; a 9 h margin covers UTC too. Matching is on gmt_create
        # (epoch ms, unambiguous) and the model.
        start = datetime.fromtimestamp(sent - 9 * 3600 - 60, timezone.utc)
        end = datetime.fromtimestamp(now + 9 * 3600, timezone.utc)
        known = self.journal.task_ids()
        best: tuple[float, str, str] | None = None
        async for listed in self.client.iter_tasks(start=start, end=end, model=record.model_name):
            if listed.task_id in known or listed.created_ms is None:
                continue
            offset = listed.created_ms / 1000 - sent
            if -RECONCILE_BEFORE_SECONDS <= offset <= RECONCILE_AFTER_SECONDS and (
                best is None or abs(offset) < best[0]
            ):
                best = (abs(offset), listed.task_id, listed.status)
        if best is not None:
            _, task_id, status = best
            status = status if status in ("PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELED") else "PENDING"
            record = self.journal.update(
                handle,
                task_id=task_id,
                state="submitted",
                status="PENDING" if status == "SUCCEEDED" else status,
                error_json=None,
                detail="reconciled through DashScope's task list",
            )
            if status != "PENDING":
                record = await self.refresh(handle)
            return record
        if now - sent >= RECONCILE_GRACE_SECONDS / self.settings.poll_speed:
            return self.journal.update(
                handle,
                state="rejected",
                finished_at=now,
                error_json=error_json(
                    "NotCreated",
                    "DashScope's task list shows no task from this submit: nothing was created or billed",
                    "it is safe to submit the request again",
                    retryable=True,
                ),
                detail="the task list proves no task was created",
            )
        return record

    # -- poll and wait
    async def poll(
        self,
        key: str,
        *,
        wait_seconds: int = 0,
        progress: ProgressFn | None = None,
        refresh_first: bool = True,
    ) -> TaskView:
        """The job's state now (asking DashScope when it is not final), or after waiting up to wait_seconds."""
        record = self.find(key)
        wait_seconds = max(0, min(MAX_WAIT_SECONDS, wait_seconds))
        if record.state == "unconfirmed":
            try:
                record = await self.reconcile(record.handle)
            except TransportError as exc:
                log.info("reconciling %s: %s", record.handle, exc.message)
        if refresh_first and not record.final and record.task_id is not None:
            record = await self.refresh(record.handle)
            if record.status == "SUCCEEDED" and record.state != "delivered":
                record = await self.deliver_soon(record.handle, wait_seconds)
        if wait_seconds > 0 and not record.final:
            record = await self.wait(record.handle, wait_seconds, progress)
        self.track(record.handle)
        return self.view(record)

    async def wait(self, handle: str, seconds: float, progress: ProgressFn | None) -> TaskRecord:
        """Hold for up to `seconds`, checking densely and reporting progress every few seconds."""
        deadline = self.clock() + seconds
        record = self.journal.get(handle)
        assert record is not None
        if record.task_id is None:
            return record
        schedule = self.schedule(record, attentive=True)

        async def heartbeat() -> None:
            while True:
                current = self.journal.get(handle)
                if current is not None and progress is not None:
                    elapsed = self.clock() - (current.submitted_at or current.created_at)
                    await progress(max(elapsed, 0.0), float(schedule.high), _progress_text(current, elapsed))
                await anyio.sleep(HEARTBEAT_SECONDS)

        async def check() -> str:
            current = await self.refresh(handle)
            if current.status == "SUCCEEDED" and current.state != "delivered":
                current = await self.deliver_soon(handle, max(0.0, deadline - self.clock()))
                return "SUCCEEDED" if current.state in ("delivered", "expired") else "RUNNING"
            return current.status or "PENDING"

        async with anyio.create_task_group() as group:
            group.start_soon(heartbeat)
            state = PollState(running_since=self._scaled(record.submitted_at) if record.status == "RUNNING" else None)
            await poll_until_done(
                check,
                schedule,
                deadline=self._scaled(deadline),
                clock=self.poll_clock,
                state=state,
                started=self._scaled(record.submitted_at),
            )
            group.cancel_scope.cancel()
        final = self.journal.get(handle)
        assert final is not None
        return final

    async def refresh(self, handle: str) -> TaskRecord:
        """Ask DashScope once and record what changed."""
        record = self.journal.get(handle)
        assert record is not None
        if record.final or record.task_id is None or record.status == "SUCCEEDED":
            return record
        info = await self.client.get_task(record.task_id)
        return self.apply(record, info)

    def apply(self, record: TaskRecord, info: TaskInfo) -> TaskRecord:
        """Record a status answer (exhaustively by status)."""
        now = self.clock()
        if info.status == record.status and info.status in ("PENDING", "RUNNING"):
            return record
        if info.status in ("PENDING", "RUNNING"):
            return self.journal.update(record.handle, status=info.status, state="submitted")
        if info.status == "SUCCEEDED":
            usage = info.usage.model_dump(by_alias=True, exclude_none=True) if info.usage else None
            return self.journal.update(
                record.handle,
                status="SUCCEEDED",
                video_url=info.video_url,
                url_expires_at=url_expiry(info.video_url, now),
                orig_prompt=info.orig_prompt,
                actual_prompt=info.actual_prompt,
                usage_json=json.dumps(usage) if usage else None,
                finished_at=now,
                detail="succeeded",
            )
        if info.status == "FAILED":
            meaning = classify(info.code, info.message or "")
            return self.journal.update(
                record.handle,
                status="FAILED",
                state="failed",
                error_json=error_json(
                    info.code or "TaskFailed",
                    info.message or "the task failed",
                    meaning.fix,
                    retryable=meaning.retryable,
                ),
                finished_at=now,
                detail=f"failed: {info.code}",
            )
        if info.status == "CANCELED":
            return self.journal.update(record.handle, status="CANCELED", state="canceled", finished_at=now)
        unknown = error_json(
            "TaskUnknown",
            "DashScope no longer knows this task id (ids live 24 hours)",
            "the job is gone from DashScope; submit it again only if it never succeeded",
            retryable=False,
        )
        return self.journal.update(
            record.handle, status="UNKNOWN", state="unknown", error_json=unknown, finished_at=now
        )

    # -- delivery
    async def deliver_soon(self, handle: str, within: float) -> TaskRecord:
        """Start the download in the background (once) and wait for it at most `within` seconds."""
        event = self._deliveries.get(handle)
        if event is None:
            event = anyio.Event()
            self._deliveries[handle] = event
            if self._group is not None:
                self._group.start_soon(self._deliver_and_signal, handle, event)
            else:
                await self._deliver_and_signal(handle, event)
        with anyio.move_on_after(within):
            await event.wait()
        record = self.journal.get(handle)
        assert record is not None
        return record

    async def _deliver_and_signal(self, handle: str, event: anyio.Event) -> None:
        try:
            await self.deliver(handle)
        except Exception:
            log.exception("delivering %s failed", handle)
        finally:
            event.set()
            self._deliveries.pop(handle, None)

    async def deliver(self, handle: str) -> TaskRecord:
        """Download a succeeded job's video exactly once (across processes), verified, to the output folder."""
        record = self.journal.get(handle)
        assert record is not None
        if record.state in ("delivered", "expired") or not record.video_url:
            return record
        if record.url_expires_at is not None and self.clock() >= record.url_expires_at:
            return self._expired(record)
        if not self.journal.claim(
            handle, self.owner, from_states=("submitted",), to_state="downloading", stale_after=900
        ):
            return record
        destination = self.destination(record)
        try:
            result = await self.client.download(record.video_url, destination)
        except ResultExpired:
            return self._expired(record)
        except (DownloadFailed, TransportError) as exc:
            log.warning("download of %s failed: %s", handle, exc)
            return self.journal.update(
                handle, state="submitted", claim_owner=None, detail=f"download failed: {exc.code}"
            )
        return self.journal.update(
            handle,
            state="delivered",
            local_path=str(result.path),
            size_bytes=result.size_bytes,
            sha256=result.sha256,
            claim_owner=None,
            detail=f"downloaded ({result.size_bytes} bytes); {result.verification.summary}",
        )

    def _expired(self, record: TaskRecord) -> TaskRecord:
        expired = error_json(
            "ResultExpired",
            "the video finished but its URL expired before it could be downloaded",
            "generate it again if it is still needed",
            retryable=False,
            charged=True,
        )
        return self.journal.update(record.handle, state="expired", error_json=expired, detail="expired, not downloaded")

    def destination(self, record: TaskRecord) -> Path:
        """`{date}-{mode}-{short id}-{slug}.mp4` in the output folder; never an existing file."""
        day = datetime.fromtimestamp(record.created_at, timezone.utc).strftime("%Y%m%d")
        short = (record.task_id or record.handle).replace("wan-", "")[:8]
        return unique_path(
            self.settings.output_dir, f"{day}-{record.mode}-{short}-{slug(record.prompt or record.model)}"
        )

    # -- list, cancel
    def find(self, key: str) -> TaskRecord:
        record = self.journal.get(key.strip())
        if record is None:
            raise RequestInvalid(
                _problem(
                    "task_id",
                    f"no job {key!r} in this wan-mcp's journal",
                    "use the task_id or handle that submit_video returned (list_tasks shows them)",
                )
            )
        return record

    def list(self, *, status: str | None = None, since_hours: float | None = None, limit: int = 20) -> TaskList:
        statuses = states = None
        if status:
            value = status.strip()
            if value.upper() in ("PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELED", "UNKNOWN"):
                statuses = (value.upper(),)
            else:
                states = (value.lower(),)
        since = self.clock() - since_hours * 3600 if since_hours else None
        records = self.journal.list(states=states, statuses=statuses, since=since, limit=max(1, min(limit, 200)))
        views = [self.view(r) for r in records]
        return TaskList(tasks=views, count=len(views))

    async def cancel(self, key: str) -> CancelView:
        record = self.find(key)
        if record.task_id is None:
            raise RequestInvalid(
                _problem("task_id", "this job has no DashScope task id yet", "poll it first; only PENDING tasks cancel")
            )
        record = await self.refresh(record.handle)
        if record.status != "PENDING":
            raise ApiError(
                f"task {record.task_id} is {record.status}: only a PENDING task can be cancelled",
                code="UnsupportedOperation",
                fix="a running task finishes and is billed only if it succeeds; nothing to do",
            )
        await self.client.cancel_task(str(record.task_id))
        record = self.journal.update(
            record.handle, status="CANCELED", state="canceled", finished_at=self.clock(), detail="cancelled by request"
        )
        return CancelView(
            handle=record.handle,
            task_id=record.task_id,
            canceled=True,
            status="CANCELED",
            message="Cancelled before it started: nothing is billed.",
        )

    # -- views
    def schedule(self, record: TaskRecord, *, attentive: bool) -> Any:
        model = catalog.find_model(record.model)
        assert model is not None
        estimate = record.estimate
        return schedule_for(model, estimate.get("output_seconds"), estimate.get("resolution"), attentive=attentive)

    def view(self, record: TaskRecord) -> TaskView:
        """What a tool returns about a job."""
        now = self.clock()
        estimate = record.estimate
        low, high = estimate.get("wait_low_seconds", 60), estimate.get("wait_high_seconds", 300)
        started = record.submitted_at or record.created_at
        elapsed = int(now - started) if not record.final else int((record.finished_at or now) - started)
        error = (
            ErrorView(**record.error)
            if record.error and record.state in ("failed", "rejected", "unknown", "expired", "unconfirmed")
            else None
        )
        usage = record.usage
        billed = None
        if usage:
            for name in ("duration", "video_duration", "output_video_duration"):
                if usage.get(name) is not None:
                    billed = float(usage[name])
                    break
        active = not record.final
        next_poll = None
        if active:
            next_poll = (
                15
                if record.status in (None, "PENDING")
                else max(5, min(60, int(low - elapsed) if elapsed < low else 15))
            )
        return TaskView(
            handle=record.handle,
            task_id=record.task_id,
            status=record.status,
            state=record.state,
            mode=record.mode,
            model=record.model,
            prompt=record.prompt,
            created_at=iso_time(record.created_at),
            elapsed_seconds=elapsed,
            expected_wait_text=wait_text(int(low), int(high)),
            eta_seconds=max(0, int(high - elapsed)) if active else None,
            next_poll_after_seconds=next_poll,
            task_id_valid_until=iso_time(started + DAY) if record.task_id else None,
            video_url=record.video_url if record.state != "expired" else None,
            video_url_expires_at=iso_time(record.url_expires_at) if record.url_expires_at else None,
            local_path=record.local_path,
            size_bytes=record.size_bytes,
            sha256=record.sha256,
            actual_prompt=record.actual_prompt,
            billed_seconds=billed,
            usage=usage,
            error=error,
            message=_message(record, elapsed, low, high),
        )


# -- helpers -----------------------------------------------------------------------------------------------


def modes_view(region: RegionId, mode: str | None = None) -> ModesView:
    """The catalog for a region, optionally one mode only (list_modes and wan://modes)."""
    if mode is not None and mode not in MODES:
        raise RequestInvalid(_problem("mode", f"unknown mode {mode!r}", f"use one of {', '.join(MODES)}"))
    views = []
    for mode_id in MODES if mode is None else tuple(m for m in MODES if m == mode):
        default = catalog.default_model(mode_id, region)
        models = [m for m in catalog.MODELS if m.kind == "generation" and mode_id in m.modes]
        views.append(
            ModeView(
                mode=mode_id,
                title=MODE_TITLES[mode_id],
                use_when=MODE_USE_WHEN[mode_id],
                default_model=default.id if default else None,
                models=[model_view(m, mode_id, region, default) for m in models],
            )
        )
    return ModesView(region=region, modes=views, guardrails=GUARDRAILS)


def model_view(model: Model, mode: Mode, region: RegionId, default: Model | None) -> ModelView:
    """A catalog model as list_modes shows it."""
    spec = model.modes[mode]
    offer = model.regions.get(region)
    durations = model.durations_in(region)
    price = model.price.get(REGIONS[region].currency)
    limits = {}
    for name, media in (("image", model.image), ("video", model.video), ("audio", model.audio_input)):
        if media is None:
            continue
        parts = ["/".join(f.upper() for f in media.formats), f"≤ {media.max_mb:g} MB"]
        if media.min_px or media.max_px:
            parts.append(f"sides {media.min_px}–{media.max_px} px")
        if media.min_seconds or media.max_seconds:
            parts.append(f"{media.min_seconds or 0:g}–{media.max_seconds or '∞'} s")
        if media.data_uri:
            parts.append("data: URI accepted")
        limits[name] = ", ".join(parts)
    low, high = catalog.typical_wait(model, 5, "720P")
    return ModelView(
        id=model.id,
        name_in_region=offer.name if offer else None,
        offered_in_region=offer is not None,
        regions={r: o.name for r, o in model.regions.items()},
        summary=model.summary,
        default_for_mode=default is not None and default.id == model.id,
        preview=model.preview,
        parameter_style=model.param_style,
        sizes=list(model.sizes),
        resolutions=list(model.tiers),
        aspect_ratios=list(model.ratios),
        durations=durations.describe() if durations else "the length of the input media",
        duration_min=durations.min if durations else None,
        duration_max=durations.max if durations else None,
        duration_choices=list(durations.choices) if durations and durations.choices else None,
        sound=model.audio,
        soundtrack=model.custom_audio,
        multi_shot=model.shot_type,
        prompt=model.prompt,
        prompt_max_chars=model.prompt_max,
        negative_prompt_max_chars=model.negative_prompt_max,
        required=list(spec.required),
        optional=list(spec.optional),
        functions={name: f.summary for name, f in spec.functions.items()} if spec.functions else None,
        media_limits=limits,
        submit_rps=offer.rps if offer else None,
        concurrent_tasks=offer.concurrency if offer else None,
        typical_wait=f"{wait_text(low, high)} for 5 s at 720P",
        price_per_second=dict(price.per_second) if price else None,
        price_currency=price.currency if price else None,
        price_is_estimate=not price.official if price else True,
        notes=list(model.notes),
    )


def estimate_view(plan: Plan) -> EstimateView:
    e = plan.estimate
    return EstimateView(
        output_seconds=e.output_seconds,
        billed_seconds=e.billed_seconds,
        resolution=e.tier,
        size=e.size,
        sound=e.sound,
        cost=e.cost,
        currency=e.currency,
        price_per_second=e.price_per_second,
        price_is_estimate=not e.price_official,
        price_source=e.price_source,
        wait_low_seconds=e.wait_low_seconds,
        wait_high_seconds=e.wait_high_seconds,
        wait_text=e.wait_text,
    )


def request_hash(plan: Plan, file_hashes: list[str] | None = None) -> str:
    """What makes two requests the same job: region, model, endpoint, body, and the content of local files."""
    canonical = json.dumps(
        {"region": plan.region, "path": plan.request.path, "body": plan.request.body, "files": file_hashes or []},
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _content_hash(upload: PendingUpload) -> str:
    if upload.path is not None:
        with _open_upload(upload) as file:
            return file.sha256()
    return hashlib.sha256((upload.data_uri or "").encode()).hexdigest()


@contextmanager
def _open_upload(upload: PendingUpload) -> Iterator[CheckedFile]:
    """The upload's file, opened and checked once (a data: URI is decoded into a private temporary file first)."""
    with tempfile.TemporaryDirectory(prefix="wan-mcp-") as folder:
        path, size = upload.path, upload.size_bytes
        if path is None:
            assert upload.data_uri is not None
            header, _, payload = upload.data_uri.partition(",")
            mime = header[5:].split(";")[0] or "application/octet-stream"
            suffix = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp", "image/bmp": ".bmp"}
            path = Path(folder) / f"{upload.argument}{suffix.get(mime, '')}"
            path.write_bytes(base64.b64decode(payload))
            size = None
        try:
            file = open_for_upload(path, size=size)
        except InputError as exc:
            raise _upload_refused(upload, exc) from None
        with file:
            yield file


def _upload_refused(upload: PendingUpload, exc: InputError) -> RequestInvalid:
    return RequestInvalid(Problem(upload.argument, exc.code, exc.message, exc.fix))


def url_expiry(url: str | None, now: float) -> float:
    """When a signed result URL stops working: its Expires parameter, else 24 h from now."""
    if url:
        values = parse_qs(urlsplit(url).query).get("Expires")
        if values and values[0].isdigit():
            return float(values[0])
    return now + DAY


def unique_path(folder: Path, stem: str, suffix: str = ".mp4") -> Path:
    """`folder/stem{suffix}`, or `stem-2`, `stem-3`… when taken: results never overwrite a file."""
    folder.mkdir(parents=True, exist_ok=True)
    candidate, counter = folder / f"{stem}{suffix}", 2
    while candidate.exists():
        candidate, counter = folder / f"{stem}-{counter}{suffix}", counter + 1
    return candidate


def slug(text: str, limit: int = 40) -> str:
    """A short, filesystem-safe version of a prompt."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-zA-Z0-9]+", "-", ascii_text.lower()).strip("-")
    return words[:limit].rstrip("-") or "video"


def _owner_alive(owner: str | None) -> bool:
    """Whether the process that claimed a download (`{pid}-{random}`, this machine) still runs."""
    if not owner:
        return False
    try:
        os.kill(int(owner.split("-")[0]), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file, read in 1 MiB pieces."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _set(body: dict[str, Any], pointer: tuple[str | int, ...], value: str) -> None:
    target: Any = body
    for part in pointer[:-1]:
        target = target[part]
    target[pointer[-1]] = value


def _mime(path: Path) -> str:
    return {
        ".png": "image/png",
        ".jpg": "image/jpeg",
        ".jpeg": "image/jpeg",
        ".webp": "image/webp",
        ".bmp": "image/bmp",
        ".mp4": "video/mp4",
        ".mov": "video/quicktime",
        ".wav": "audio/wav",
        ".mp3": "audio/mpeg",
    }.get(path.suffix.lower(), "application/octet-stream")


def error_json(code: str, message: str, fix: str, *, retryable: bool, charged: bool = False) -> str:
    """A journal error record: {code, message, retryable, charged, fix} (what ErrorView shows)."""
    return json.dumps({"code": code, "message": message, "retryable": retryable, "charged": charged, "fix": fix})


def _error_json(exc: WanMcpError) -> str:
    return error_json(exc.code, exc.message, exc.fix, retryable=exc.retryable)


def _problem(field: str, message: str, fix: str) -> Problem:
    return Problem(field, "invalid_value", message, fix)


def _region(name: str) -> RegionId:
    found = catalog.find_region(name)
    if found is None:
        raise RequestInvalid(_problem("region", f"unknown region {name!r}", f"use one of {', '.join(REGIONS)}"))
    return found.id


def iso_time(epoch: float | None) -> str | None:
    """An epoch time as ISO 8601 UTC (None stays None)."""
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="seconds")


def _clock_text(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def _progress_text(record: TaskRecord, elapsed: float) -> str:
    estimate = record.estimate
    usual = wait_text(int(estimate.get("wait_low_seconds", 60)), int(estimate.get("wait_high_seconds", 300)))
    if record.state == "downloading":
        return f"downloading the video ({_clock_text(elapsed)})"
    return f"{record.status or 'SUBMITTING'} {_clock_text(elapsed)}, {usual}"


def _cost_sentence(estimate: EstimateView) -> str:
    seconds = f"{estimate.billed_seconds:g} s" if estimate.billed_seconds is not None else "its length"
    if estimate.cost is None:
        return f"Billed per second of output ({seconds}; no reliable price known: see the console)."
    kind = "estimate" if estimate.price_is_estimate else "official price"
    return f"It costs about {estimate.cost:.2f} {estimate.currency} ({seconds}, {kind})."


def _message(record: TaskRecord, elapsed: float, low: float, high: float) -> str:
    state, status = record.state, record.status
    usual = wait_text(int(low), int(high))
    ident = record.task_id or record.handle
    if state == "delivered":
        size = f"{(record.size_bytes or 0) / 1e6:.1f} MB"
        return f"Done: the video is saved at {record.local_path} ({size}, SHA-256 verified)."
    if state == "expired":
        return "Finished, but the result URL expired before it could be downloaded: expired, not downloaded."
    if state == "failed":
        error = record.error or {}
        return f"Failed: {error.get('message')} ({error.get('code')}). Not charged. What to do: {error.get('fix')}."
    if state == "rejected":
        error = record.error or {}
        return f"DashScope refused the request, nothing was charged: {error.get('message')}. Fix: {error.get('fix')}."
    if state == "canceled":
        return "Cancelled before it started: nothing is billed."
    if state == "unknown":
        return "DashScope no longer knows this task (task ids live 24 hours)."
    if state == "unconfirmed":
        return (
            f"The request was sent but no answer arrived: a task may exist and may be billed. Do NOT resubmit; "
            f"poll {ident} again — wan-mcp reconciles it with DashScope's task list."
        )
    if status == "SUCCEEDED" or state == "downloading":
        return "The video is ready and is being downloaded; poll again in a few seconds."
    if status == "PENDING":
        return (
            f"Queued at DashScope ({_clock_text(elapsed)} so far; generation usually takes {usual}). "
            f"Poll {ident} again."
        )
    if status == "RUNNING":
        late = " It is taking longer than usual." if elapsed > high else ""
        return f"Generating: {_clock_text(elapsed)} so far, {usual}.{late} Poll {ident} again with wait_seconds."
    return f"Submitting ({ident})."
