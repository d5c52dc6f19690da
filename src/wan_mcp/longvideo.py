"""Longer than one clip: chains of paid jobs (long videos, extensions) joined into one verified file.

A chain is planned whole first (every segment validated, the total cost and wait known; `dry_run` stops there),
then each segment is an ordinary journaled job, the next one starting from the previous one's last frame (i2v).
`advance()` is an idempotent step: it submits the next segment, waits for running ones, and joins the files when
all are delivered. Asking for the same chain again resumes it: delivered segments are kept (never paid twice), and
segments that failed are submitted again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import struct
import tempfile
import zlib
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import anyio

from wan_mcp import media
from wan_mcp.errors import Problem, RequestInvalid, WanMcpError
from wan_mcp.journal import ChainRecord
from wan_mcp.requests import wait_text
from wan_mcp.service import ProgressFn, WanService, error_json, iso_time, sha256_file, slug, unique_path
from wan_mcp.views import ErrorView, TaskView

log = logging.getLogger("wan_mcp.longvideo")

MAX_SHOTS = 12
COMMON_ARGS = ("resolution", "negative_prompt", "seed", "prompt_extend", "watermark", "generate_audio")
FINAL_FAILURES = frozenset({"failed", "rejected", "canceled", "unknown", "expired"})


class ChainRunner:
    """Plans, runs, resumes and joins chains of video jobs."""

    def __init__(self, service: WanService) -> None:
        self.service = service
        self.journal = service.journal

    # -- planning
    def shot_arguments(self, spec: dict[str, Any], index: int, frame: Path | None) -> dict[str, Any]:
        """The submit_video arguments of segment `index` (its first frame: `frame`, the previous one's last)."""
        shot = spec["shots"][index]
        common = {k: v for k, v in spec.get("common", {}).items() if k in COMMON_ARGS and v is not None}
        if spec.get("method") == "vace":  # continue the source's last clip (VACE output: 5 s including the clip)
            kept = {k: v for k, v in common.items() if k in ("seed", "watermark")}
            clip = {"first_clip": spec["clip"], "prompt_extend": False}
            return {**kept, "mode": "vace", "function": "video_extension", "prompt": shot["prompt"], **clip}
        args: dict[str, Any] = {**common, "prompt": shot["prompt"], "duration": shot["duration"]}
        start = frame if index > 0 or spec["kind"] == "extend" else None
        image = str(start) if start is not None else spec.get("image")
        if image:
            args |= {"mode": "i2v", "image": image}
            if spec.get("i2v_model"):
                args["model"] = spec["i2v_model"]
        else:
            args |= {"mode": "t2v"}
            if spec.get("t2v_model"):
                args["model"] = spec["t2v_model"]
            if spec.get("aspect_ratio"):
                args["aspect_ratio"] = spec["aspect_ratio"]
        return args

    def plan(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Validate every segment (later ones with a stand-in first frame) and add up seconds, cost and wait."""
        with tempfile.TemporaryDirectory(prefix="wan-mcp-plan-") as folder:
            stand_in = Path(folder) / "frame.png"
            stand_in.write_bytes(_gray_png(1280, 720))
            plans, problems = [], []
            for index in range(len(spec["shots"])):
                frame = stand_in if index > 0 or spec["kind"] == "extend" else None
                args = self.shot_arguments(spec, index, frame)
                try:
                    plans.append(self.service.plan(args, (Path(folder),)))
                except RequestInvalid as exc:
                    problems += [
                        Problem(f"shots[{index}].{p.field}", p.code, f"shot {index + 1}: {p.message}", p.fix)
                        for p in exc.problems
                    ]
            if problems:
                raise RequestInvalid(problems)
        seconds = sum(p.estimate.billed_seconds or 0 for p in plans)
        costs = [p.estimate.cost for p in plans]
        currency = next((p.estimate.currency for p in plans if p.estimate.currency), None)
        low = sum(p.estimate.wait_low_seconds for p in plans)
        high = sum(p.estimate.wait_high_seconds for p in plans)
        return {
            "segments": [
                {
                    "index": i,
                    "mode": p.mode,
                    "model": p.model,
                    "prompt": spec["shots"][i]["prompt"],
                    "duration": spec["shots"][i]["duration"],
                    "billed_seconds": p.estimate.billed_seconds,
                    "cost": p.estimate.cost,
                    "sound": p.estimate.sound,
                }
                for i, p in enumerate(plans)
            ],
            "billed_seconds": seconds,
            "cost": round(sum(c for c in costs if c is not None), 4) if all(c is not None for c in costs) else None,
            "currency": currency,
            "wait_low_seconds": low,
            "wait_high_seconds": high,
            "wait_text": wait_text(low, high),
        }

    # -- starting and resuming
    async def start(
        self, spec: dict[str, Any], *, dry_run: bool, wait_seconds: int, progress: ProgressFn | None
    ) -> TaskView:
        """Plan a chain; unless dry_run, create (or resume) it and run it, waiting up to wait_seconds."""
        if not spec["shots"] or len(spec["shots"]) > MAX_SHOTS:
            raise RequestInvalid(
                Problem("shots", "invalid_value", f"give 1–{MAX_SHOTS} shots", "split the film into up to 12 shots")
            )
        if spec["kind"] == "extend" or len(spec["shots"]) > 1:
            media.require("long videos")
        totals = self.plan(spec)
        if dry_run:
            return self.dry_view(spec, totals)
        fingerprint = chain_hash(spec)
        chain = self.journal.get_chain(fingerprint)
        if chain is None:
            now = self.service.clock()
            prefix = "wan-long-" if spec["kind"] == "long" else "wan-ext-"
            chain = ChainRecord(
                id=prefix + hashlib.sha256(f"{fingerprint}{now}".encode()).hexdigest()[:10],
                spec_hash=fingerprint,
                kind=spec["kind"],
                spec_json=json.dumps({**spec, "totals": totals}, ensure_ascii=False),
                state="running",
                segments_json=json.dumps([{"index": i, "handle": None} for i in range(len(spec["shots"]))]),
                created_at=now,
                updated_at=now,
            )
            self.journal.save_chain(chain)
        elif chain.state == "failed":
            chain = self.retry_failed(chain)
        chain = await self.advance(chain.id)
        if wait_seconds > 0 and chain.state not in ("delivered", "failed"):
            chain = await self.wait(chain.id, wait_seconds, progress)
        return self.view(chain)

    def retry_failed(self, chain: ChainRecord) -> ChainRecord:
        """Forget the segments whose job failed (delivered ones stay: they are paid for) and run again."""
        segments = chain.segments
        for segment in segments:
            record = self.journal.get(segment["handle"]) if segment.get("handle") else None
            if record is not None and record.state in FINAL_FAILURES:
                segment["handle"] = None
        chain.segments_json = json.dumps(segments)
        chain.state, chain.error_json = "running", None
        return self.journal.save_chain(chain)

    # -- running
    async def advance(self, chain_id: str) -> ChainRecord:
        """Move a chain on as far as it can go now (idempotent)."""
        chain = self.journal.get_chain(chain_id)
        if chain is None or chain.state in ("delivered", "failed"):
            return chain  # type: ignore[return-value]
        spec, segments = chain.spec, chain.segments
        frame: Path | None = Path(spec["source_frame"]) if spec.get("source_frame") else None
        for index, segment in enumerate(segments):
            handle = segment.get("handle")
            if handle is None:
                args = self.shot_arguments(spec, index, frame)
                try:
                    view = await self.service.submit(args, extra_allowed=(self.folder(chain),))
                except WanMcpError as exc:
                    return self.fail(chain, f"segment {index + 1} was refused: {exc.message}", exc.fix)
                assert view.task is not None
                segment["handle"] = view.task.handle
                chain.segments_json = json.dumps(segments)
                self.journal.save_chain(chain)
                return chain
            record = self.journal.get(handle)
            if record is None or record.state in FINAL_FAILURES:
                error = (record.error or {}) if record else {}
                return self.fail(
                    chain,
                    f"segment {index + 1} ended {record.state if record else 'missing'}: {error.get('message', '')}",
                    "call make_long_video again with the same shots: finished segments are kept, failed ones re-run",
                )
            if record.state != "delivered":
                self.service.track(handle)
                return chain
            frame = self.folder(chain) / f"segment-{index + 1}-last.png"
            if not frame.exists() and index + 1 < len(segments):
                await anyio.to_thread.run_sync(media.extract_frame, Path(record.local_path or ""), frame)
        return await self.join(chain)

    async def join(self, chain: ChainRecord) -> ChainRecord:
        """Concatenate the delivered segments (after the source video, for an extension) and verify the result."""
        spec = chain.spec
        files = [Path(spec["source"])] if spec.get("source") else []
        for segment in chain.segments:
            record = self.journal.get(segment["handle"])
            assert record is not None and record.local_path
            made = Path(record.local_path)
            if spec.get("method") == "vace":  # the segment repeats the clip it continues: keep only what is new
                tail = self.folder(chain) / f"segment-{segment['index'] + 1}-new.mp4"
                length = (await anyio.to_thread.run_sync(media.probe, made)).duration - float(spec["clip_seconds"])
                await anyio.to_thread.run_sync(_cut_tail, made, tail, length)
                made = tail
            files.append(made)
        day = datetime.fromtimestamp(chain.created_at, timezone.utc).strftime("%Y%m%d")
        stem = f"{day}-{chain.kind}-{chain.id.split('-')[-1][:8]}-{slug(spec['shots'][0]['prompt'])}"
        dest = unique_path(self.service.settings.output_dir, stem)
        try:
            result = await anyio.to_thread.run_sync(lambda: media.merge(files, dest))
        except WanMcpError as exc:
            return self.fail(chain, f"joining the segments failed: {exc.message}", exc.fix)
        chain.state, chain.output_path, chain.size_bytes = "delivered", result.path, result.size_bytes
        chain.sha256 = sha256_file(Path(result.path))
        return self.journal.save_chain(chain)

    def fail(self, chain: ChainRecord, message: str, fix: str) -> ChainRecord:
        chain.state = "failed"
        chain.error_json = error_json("ChainFailed", message, fix, retryable=True)
        return self.journal.save_chain(chain)

    def folder(self, chain: ChainRecord) -> Path:
        path = self.service.settings.data_dir / "chains" / chain.id
        path.mkdir(parents=True, exist_ok=True)
        return path

    async def wait(self, chain_id: str, seconds: float, progress: ProgressFn | None) -> ChainRecord:
        """Advance a chain until it is done or `seconds` pass, reporting progress."""
        deadline = anyio.current_time() + seconds
        chain = self.journal.get_chain(chain_id)
        assert chain is not None
        while chain.state not in ("delivered", "failed") and anyio.current_time() < deadline:
            current = next((s for s in chain.segments if s.get("handle")), None)
            done = sum(1 for s in chain.segments if self._delivered(s))
            if current is not None:
                remaining = max(0.0, deadline - anyio.current_time())
                pending = next((s for s in chain.segments if s.get("handle") and not self._delivered(s)), None)
                if pending is not None:
                    await self.service.poll(pending["handle"], wait_seconds=int(min(remaining, 10)))
            if progress is not None:
                await progress(float(done), float(len(chain.segments)), f"{done}/{len(chain.segments)} segments done")
            chain = await self.advance(chain_id)
            await anyio.sleep(0.05)
        return chain

    def _delivered(self, segment: dict[str, Any]) -> bool:
        record = self.journal.get(segment["handle"]) if segment.get("handle") else None
        return record is not None and record.state == "delivered"

    async def run(self, *, task_status: Any = anyio.TASK_STATUS_IGNORED) -> None:
        """Advance every running chain in the background until cancelled."""
        task_status.started()
        while True:
            for chain in self.journal.chains(states=("running", "merging")):
                try:
                    await self.advance(chain.id)
                except Exception:
                    log.exception("advancing %s failed", chain.id)
            await self.service.poll_clock.sleep(5.0)

    # -- views
    def dry_view(self, spec: dict[str, Any], totals: dict[str, Any]) -> TaskView:
        cost = totals["cost"]
        price = f"about {cost:.2f} {totals['currency']}" if cost is not None else "a price not known for every part"
        return TaskView(
            handle="(dry run)",
            state="planned",
            mode=spec["kind"],
            model=", ".join(sorted({s["model"] for s in totals["segments"]})),
            prompt=spec["shots"][0]["prompt"],
            created_at=iso_time(self.service.clock()) or "",
            expected_wait_text=totals["wait_text"],
            billed_seconds=totals["billed_seconds"],
            segments=totals["segments"],
            message=f"Dry run: nothing was sent. {len(spec['shots'])} segment(s), {totals['billed_seconds']:g} s "
            f"billed, {price}; {totals['wait_text']} in all (one after another).",
        )

    def view(self, chain: ChainRecord) -> TaskView:
        spec = chain.spec
        totals = spec.get("totals", {})
        segments = []
        for segment, shot in zip(chain.segments, spec["shots"], strict=True):
            record = self.journal.get(segment["handle"]) if segment.get("handle") else None
            segments.append(
                {
                    "index": segment["index"],
                    "prompt": shot["prompt"],
                    "duration": shot["duration"],
                    "handle": record.handle if record else None,
                    "task_id": record.task_id if record else None,
                    "state": record.state if record else "waiting",
                    "local_path": record.local_path if record else None,
                }
            )
        done = sum(1 for s in segments if s["state"] == "delivered")
        error = json.loads(chain.error_json) if chain.error_json else None
        status = {"delivered": "SUCCEEDED", "failed": "FAILED"}.get(chain.state, "RUNNING")
        if chain.state == "delivered":
            message = f"Done: the joined video is at {chain.output_path} ({(chain.size_bytes or 0) / 1e6:.1f} MB)."
        elif chain.state == "failed":
            message = f"Stopped: {error['message']} {error['fix']}." if error else "Stopped."
        else:
            message = (
                f"{done} of {len(segments)} segments done; {totals.get('wait_text', '')} in all. Poll {chain.id} "
                "again with wait_seconds (the chain goes on by itself)."
            )
        return TaskView(
            handle=chain.id,
            status=status,
            state=chain.state,
            mode=chain.kind,
            model=", ".join(sorted({s["model"] for s in totals.get("segments", [])})) or "",
            prompt=spec["shots"][0]["prompt"],
            created_at=iso_time(chain.created_at) or "",
            expected_wait_text=totals.get("wait_text"),
            billed_seconds=totals.get("billed_seconds"),
            local_path=chain.output_path,
            size_bytes=chain.size_bytes,
            sha256=chain.sha256,
            error=ErrorView(**error) if error else None,
            segments=segments,
            message=message,
        )


def chain_hash(spec: dict[str, Any]) -> str:
    """What makes two chain requests the same chain (shots, settings, and the content of the start files)."""
    content = dict(spec)
    for key in ("source", "image"):
        value = content.get(key)
        if value and Path(value).is_file():
            content[key] = sha256_file(Path(value))
    content.pop("source_frame", None)
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _cut_tail(source: Path, dest: Path, seconds: float) -> None:
    media.last_clip(source, dest, seconds=seconds)


def _gray_png(width: int, height: int) -> bytes:
    """A plain gray PNG (a stand-in first frame when planning segments that start from a frame not made yet)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
