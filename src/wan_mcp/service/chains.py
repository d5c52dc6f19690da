"""Longer than one clip: chains of paid jobs (long videos, extensions) joined into one verified file.

A chain is planned whole first (every segment validated, the total cost and wait known; `dry_run` stops there),
then each segment is an ordinary journaled job, the next one starting from the previous one's last frame (i2v).
`advance()` is an idempotent step: it submits the next segment, waits for running ones, and joins the files when
all are delivered. Asking for the same chain again resumes it: delivered segments are kept (never paid twice), and
segments that failed are submitted again.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import struct
import tempfile
import zlib
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any

import anyio

from wan_mcp import media
from wan_mcp.errors import OverBudget, Problem, RequestInvalid, WanMcpError
from wan_mcp.files import sha256_file, slug, unique_path
from wan_mcp.journal.budget import DailyBudget
from wan_mcp.journal.records import ChainRecord, ChainSegment
from wan_mcp.journal.store import JournalUnavailable
from wan_mcp.service.base import LEASE_SECONDS, ProgressFn, while_renewing
from wan_mcp.service.chain_specs import MAX_SHOTS, ChainSpec, chain_hash, chain_totals, shot_arguments
from wan_mcp.service.chain_views import chain_view, dry_view
from wan_mcp.service.jobs import WanService
from wan_mcp.service.money import Quote, chain_quote
from wan_mcp.service.status import error_view
from wan_mcp.states import ChainState, JobState
from wan_mcp.views import TaskView

log = logging.getLogger("wan_mcp.chains")

FAILED_JOBS = frozenset({JobState.FAILED, JobState.REJECTED, JobState.CANCELED, JobState.UNKNOWN, JobState.EXPIRED})


class ChainRunner:
    """Plans, runs, resumes and joins chains of video jobs."""

    def __init__(self, service: WanService) -> None:
        self.service = service
        self.store = service.store
        self.locks: dict[str, anyio.Lock] = {}

    async def find(self, key: str, tenant: str | None = None) -> ChainRecord | None:
        """A chain by id (or spec hash), only the tenant's own when `tenant` is given."""
        return await self.store.get_chain(key, tenant=tenant) if key else None

    def plan(self, spec: ChainSpec) -> dict[str, Any]:
        """Validate every segment (later ones with a stand-in first frame) and add up seconds, cost and wait."""
        with tempfile.TemporaryDirectory(prefix="wan-mcp-plan-") as folder:
            stand_in = Path(folder) / "frame.png"
            stand_in.write_bytes(_gray_png(1280, 720))
            plans, problems = [], []
            for index in range(len(spec.shots)):
                frame = stand_in if index > 0 or spec.kind == "extend" else None
                try:
                    plans.append(self.service.plan(shot_arguments(spec, index, frame), (Path(folder),)))
                except RequestInvalid as exc:
                    problems += [
                        Problem(f"shots[{index}].{p.field}", p.code, f"shot {index + 1}: {p.message}", p.fix)
                        for p in exc.problems
                    ]
            if problems:
                raise RequestInvalid(problems)
        return chain_totals(spec, plans)

    async def start(
        self, spec: ChainSpec, *, dry_run: bool, wait_seconds: int, progress: ProgressFn | None, tenant: str = ""
    ) -> TaskView:
        """Plan a chain; unless dry_run, create (or resume) it and run it, waiting up to wait_seconds. What this
        call newly pays for (a new chain whole, a failed one's failed segments) must fit the budgets first."""
        if not spec.shots or len(spec.shots) > MAX_SHOTS:
            raise RequestInvalid(
                Problem("shots", "invalid_value", f"give 1–{MAX_SHOTS} shots", "split the film into up to 12 shots")
            )
        if spec.image is not None and not spec.image.strip():
            raise RequestInvalid(
                Problem(
                    "image",
                    "missing_argument",
                    "image is empty",
                    "give the first shot's image (a URL or a local path), or leave image out to start from text",
                )
            )
        if spec.kind == "extend" or len(spec.shots) > 1:
            media.require("long videos")
        totals = self.plan(spec)
        fingerprint = chain_hash(spec)
        try:
            chain = await self.store.get_chain(fingerprint, tenant=tenant)
            due = await self.due(chain, len(spec.shots))
        except JournalUnavailable:
            if not dry_run:
                raise
            chain, due = None, list(range(len(spec.shots)))  # a dry run needs no journal
        quote = chain_quote(totals, due)
        if dry_run:
            view = dry_view(spec, totals, chain, due, self.service.clock.now())
            note = await self.service.budgets.note(quote, tenant) if due else ""
            return view.model_copy(update={"message": view.message + note})
        if chain is None:
            chain = await self.create(spec, totals, fingerprint, quote, tenant)
        elif chain.state is ChainState.FAILED:
            async with self.service.budgets.admit(quote, tenant) as budget:
                chain = await self.retry_failed(chain, budget)
        chain = await self.advance(chain.id)
        if wait_seconds > 0 and chain.state is ChainState.RUNNING:
            chain = await self.wait(chain.id, wait_seconds, progress)
        return await self.view(chain)

    async def create(
        self, spec: ChainSpec, totals: dict[str, Any], fingerprint: str, quote: Quote, tenant: str
    ) -> ChainRecord:
        """A new chain, admitted by the budgets; or the one another process started from the same spec meanwhile
        (one chain, paid once), even when this call's quote would no longer fit."""
        try:
            async with self.service.budgets.admit(quote, tenant) as budget:
                chain, _ = await self.store.create_chain(
                    self.new_chain(spec, totals, fingerprint, tenant), budget=budget
                )
        except OverBudget:
            found = await self.store.get_chain(fingerprint, tenant=tenant)
            if found is None:
                raise
            chain = found
        return chain

    def new_chain(self, spec: ChainSpec, totals: dict[str, Any], fingerprint: str, tenant: str) -> ChainRecord:
        now = self.service.clock.now()
        prefix = "wan-long-" if spec.kind == "long" else "wan-ext-"
        return ChainRecord(
            id=prefix + hashlib.sha256(f"{fingerprint}{now}".encode()).hexdigest()[:10],
            spec_hash=fingerprint,
            kind=spec.kind,
            spec={**spec.to_dict(), "totals": totals},
            state=ChainState.RUNNING,
            segments=[ChainSegment(i) for i in range(len(spec.shots))],
            created_at=now,
            updated_at=now,
            tenant=tenant,
        )

    async def due(self, chain: ChainRecord | None, count: int) -> list[int]:
        """The segments a call would newly pay for: all of a new chain, the failed or unsent ones of a failed chain,
        none of a chain running or done (those are paid or already admitted)."""
        if chain is None:
            return list(range(count))
        if chain.state is not ChainState.FAILED:
            return []
        due = []
        for segment in chain.segments:
            record = await self.store.get_task(segment.handle) if segment.handle else None
            if record is None or record.state in FAILED_JOBS:
                due.append(segment.index)
        return due

    async def retry_failed(self, chain: ChainRecord, budget: DailyBudget | None = None) -> ChainRecord:
        """Forget the segments whose job failed (delivered ones stay: they are paid for) and run again (once the
        store finds the re-made segments fit the day's `budget`)."""
        for segment in chain.segments:
            record = await self.store.get_task(segment.handle) if segment.handle else None
            if record is not None and record.state in FAILED_JOBS:
                segment.handle = None
        chain.state, chain.error = ChainState.RUNNING, None
        return await self.store.save_chain(chain, budget=budget)

    async def advance(self, chain_id: str) -> ChainRecord:
        """Move a chain on as far as it can go now (idempotent). One step at a time per chain: in this process a
        lock, across processes sharing the journal its lease; so a waiting call and the background runners never
        submit or join the same chain twice. A chain another process is moving on, or one that has ended (it needs
        no lease: nothing is written for it), is returned as it stands."""
        lock = self.locks.setdefault(chain_id, anyio.Lock())
        async with lock:
            standing = await self.store.get_chain(chain_id)
            assert standing is not None
            if standing.state is not ChainState.RUNNING or not await self._lease(chain_id):
                return standing
            try:
                return await while_renewing(partial(self._lease, chain_id), partial(self._advance, chain_id))
            finally:
                with anyio.CancelScope(shield=True), contextlib.suppress(WanMcpError):  # else it lapses
                    await self.store.release_chain_lease(chain_id, self.service.deps.owner)

    async def _lease(self, chain_id: str) -> bool:
        """Take or renew this process's lease on a chain: whether it holds it."""
        now = self.service.clock.now()
        return await self.store.take_chain_lease(chain_id, self.service.deps.owner, until=now + LEASE_SECONDS, now=now)

    async def _advance(self, chain_id: str) -> ChainRecord:
        chain = await self.store.get_chain(chain_id)
        assert chain is not None
        if chain.state is not ChainState.RUNNING:
            return chain
        spec = ChainSpec.from_dict(chain.spec)
        frame: Path | None = Path(spec.source_frame) if spec.source_frame else None
        for index, segment in enumerate(chain.segments):
            if segment.handle is None:
                return await self._submit_segment(chain, spec, index, frame)
            record = await self.store.get_task(segment.handle)
            if record is None or record.state in FAILED_JOBS:
                message = record.error.message if record and record.error else ""
                return await self.fail(
                    chain,
                    f"segment {index + 1} ended {record.state.value if record else 'missing'}: {message}",
                    "call make_long_video again with the same shots: finished segments are kept, failed ones re-run",
                )
            if record.state is not JobState.DELIVERED:
                self.service.tracker.watch(record)
                return chain
            frame = self.folder(chain) / f"segment-{index + 1}-last.png"
            if not frame.exists() and index + 1 < len(chain.segments):
                await anyio.to_thread.run_sync(media.extract_frame, Path(record.local_path or ""), frame)
        return await self.join(chain, spec)

    async def _submit_segment(self, chain: ChainRecord, spec: ChainSpec, index: int, frame: Path | None) -> ChainRecord:
        args = shot_arguments(spec, index, frame)
        try:
            view = await self.service.submit(args, tenant=chain.tenant, budgeted=True)
        except WanMcpError as exc:
            return await self.fail(chain, f"segment {index + 1} was refused: {exc.message}", exc.fix)
        assert view.task is not None
        chain.segments[index].handle = view.task.handle
        return await self.store.save_chain(chain)

    async def join(self, chain: ChainRecord, spec: ChainSpec) -> ChainRecord:
        """Concatenate the delivered segments (after the source video, for an extension) and verify the result."""
        files = [Path(spec.source)] if spec.source else []
        for segment in chain.segments:
            record = await self.store.get_task(segment.handle or "")
            assert record is not None and record.local_path
            made = Path(record.local_path)
            if spec.method == "vace":  # the segment repeats the clip it continues: keep only what is new
                tail = self.folder(chain) / f"segment-{segment.index + 1}-new.mp4"
                length = (await anyio.to_thread.run_sync(media.probe, made)).duration - float(spec.clip_seconds or 0)
                await anyio.to_thread.run_sync(_cut, made, tail, length)
                made = tail
            files.append(made)
        day = datetime.fromtimestamp(chain.created_at, timezone.utc).strftime("%Y%m%d")
        stem = f"{day}-{chain.kind}-{chain.id.split('-')[-1][:8]}-{slug(spec.shots[0].prompt)}"
        folder = self.service.settings.output_dir / chain.tenant if chain.tenant else self.service.settings.output_dir
        dest = unique_path(folder, stem)
        try:
            result = await anyio.to_thread.run_sync(lambda: media.merge(files, dest))
        except WanMcpError as exc:
            return await self.fail(chain, f"joining the segments failed: {exc.message}", exc.fix)
        chain.state, chain.output_path, chain.size_bytes = ChainState.DELIVERED, result.path, result.size_bytes
        chain.sha256 = await anyio.to_thread.run_sync(sha256_file, Path(result.path))
        return await self.store.save_chain(chain)

    async def fail(self, chain: ChainRecord, message: str, fix: str) -> ChainRecord:
        chain.state = ChainState.FAILED
        chain.error = error_view("ChainFailed", message, fix, retryable=True)
        return await self.store.save_chain(chain)

    def folder(self, chain: ChainRecord) -> Path:
        path = self.service.settings.data_dir / "chains" / chain.id
        path.mkdir(parents=True, exist_ok=True)
        return path

    async def wait(self, chain_id: str, seconds: float, progress: ProgressFn | None) -> ChainRecord:
        """Advance a chain until it is done or `seconds` pass, reporting progress."""
        clock = self.service.clock
        deadline = clock.deadline(seconds)
        chain = await self.advance(chain_id)
        while chain.state is ChainState.RUNNING and clock.left(deadline) > 0:
            done = 0
            pending = None
            for segment in chain.segments:
                record = await self.store.get_task(segment.handle) if segment.handle else None
                if record is not None and record.state is JobState.DELIVERED:
                    done += 1
                elif record is not None and pending is None:
                    pending = record
            if progress is not None:
                await progress(float(done), float(len(chain.segments)), f"{done}/{len(chain.segments)} segments done")
            if pending is not None:
                await self.service.tracker.wait(pending, min(clock.left(deadline), 10.0), None)
            chain = await self.advance(chain_id)
            await anyio.sleep(0.05)
        return chain

    async def run(self, *, task_status: Any = anyio.TASK_STATUS_IGNORED) -> None:
        """Advance every running chain in the background until cancelled."""
        task_status.started()
        while True:
            try:
                running = await self.store.list_chains((ChainState.RUNNING,))
            except WanMcpError as exc:
                log.warning("looking for running chains: %s", exc.message)
                running = []
            for chain in running:
                try:
                    await self.advance(chain.id)
                except Exception:
                    log.exception("advancing %s failed", chain.id)
            await self.service.clock.sleep(5.0)

    # -- views
    async def view(self, chain: ChainRecord) -> TaskView:
        return await chain_view(self.store, chain, ChainSpec.from_dict(chain.spec))


def _cut(source: Path, dest: Path, seconds: float) -> None:
    media.last_clip(source, dest, seconds=seconds)


def _gray_png(width: int, height: int) -> bytes:
    """A plain gray PNG (a stand-in first frame when planning segments that start from a frame not made yet)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
