"""Local work on finished videos: look at them, take frames, join them, and lay sound over them (via `media`).

These use-cases sit beside `WanService`: they resolve a source (a job's handle or task id, a chain id, or a local
path inside the allowed folders), run the PyAV work in a worker thread, and write every result into the output
folder without overwriting anything.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import anyio
from pydantic import BaseModel, Field

from wan_mcp import media
from wan_mcp.errors import Problem, RequestInvalid, WanMcpError
from wan_mcp.files import safe_stem, sha256_file, unique_path
from wan_mcp.inputs import InputError, classify
from wan_mcp.service.chain_specs import ChainSpec, Shot
from wan_mcp.service.jobs import WanService
from wan_mcp.states import JobState
from wan_mcp.views import TaskView

log = logging.getLogger("wan_mcp.studio")


class FrameView(BaseModel):
    """A frame taken from a video, ready to feed i2v or kf2v."""

    path: str
    time_seconds: float
    width: int
    height: int
    source: str
    message: str


class MergeView(BaseModel):
    """A joined (and possibly re-scored) video, verified against its inputs."""

    path: str
    duration: float
    inputs_duration: float
    reencoded: bool = Field(description="false when the streams were copied without re-encoding")
    has_audio: bool
    size_bytes: int
    message: str


class Studio:
    """Frames, contact sheets, probes and merges for a WanService's videos and the user's own files."""

    def __init__(self, service: WanService) -> None:
        self.service = service

    async def video_path(self, source: str, extra_allowed: tuple[Path, ...] = (), tenant: str | None = None) -> Path:
        """A local video from a job (handle, task id or chain id) or a path inside the allowed folders."""
        key = source.strip()
        record = await self.service.store.get_task(key, tenant=tenant) if key else None
        if record is not None:
            if record.state is not JobState.DELIVERED or not record.local_path:
                raise RequestInvalid(
                    Problem("source", "not_ready", f"job {key} has no video yet ({record.state})", "poll it until done")
                )
            return Path(record.local_path)
        chain = await self.service.store.get_chain(key, tenant=tenant) if key else None
        if chain is not None and chain.output_path:
            return Path(chain.output_path)
        return self.local_file(key, "source", extra_allowed)

    def local_file(self, value: str, field: str, extra_allowed: tuple[Path, ...] = ()) -> Path:
        """A local file inside the allowed folders (symlinks resolved), else a refusal naming the argument."""
        settings = self.service.settings
        try:
            allowed = (*settings.allowed_dirs, *extra_allowed, *self.service.own_folders())
            found = classify(value, input_dir=settings.input_dir, allowed=allowed)
        except InputError as exc:
            raise RequestInvalid(Problem(field, exc.code, exc.message, exc.fix)) from None
        if found.kind != "local" or found.path is None:
            raise RequestInvalid(
                Problem(field, "invalid_value", f"{field} must be a task id, a handle or a local file", "download it")
            )
        return found.path

    def output(self, stem: str, suffix: str) -> Path:
        """A new file in the output folder (never an existing one)."""
        return unique_path(self.service.settings.output_dir, safe_stem(stem), suffix)

    async def extract_frame(self, source: str, at: str | float, extra_allowed: tuple[Path, ...] = ()) -> FrameView:
        media.require("extract_frame")
        video = await self.video_path(source, extra_allowed)
        label = at if isinstance(at, str) else f"{at:g}s"
        dest = self.output(f"{video.stem}-{label}", ".png")
        path, when = await anyio.to_thread.run_sync(lambda: media.extract_frame(video, dest, at=at))
        facts = await anyio.to_thread.run_sync(lambda: media.probe(video))
        return FrameView(
            path=str(path),
            time_seconds=when,
            width=facts.width,
            height=facts.height,
            source=str(video),
            message=f"Saved the frame at {when:.2f} s: pass its path as image (i2v), or as first_frame or last_frame "
            "(kf2v).",
        )

    async def merge(
        self,
        videos: list[str],
        *,
        audio: str | None = None,
        audio_mode: str = "replace",
        trim: str = "video",
        extra_allowed: tuple[Path, ...] = (),
    ) -> MergeView:
        media.require("merge_media")
        if not videos:
            raise RequestInvalid(Problem("videos", "missing_argument", "no videos to merge", "give 1 or more videos"))
        if audio_mode not in ("replace", "mix") or trim not in ("video", "audio"):
            raise RequestInvalid(
                Problem("audio_mode", "invalid_value", "audio_mode is replace|mix, trim is video|audio", "fix them")
            )
        paths = [await self.video_path(v, extra_allowed) for v in videos]
        track = self.local_file(audio, "audio", extra_allowed) if audio else None
        dest = self.output(f"{paths[0].stem}-merged", ".mp4")
        result = await anyio.to_thread.run_sync(
            lambda: media.merge(paths, dest, audio=track, audio_mode=audio_mode, trim=trim)
        )
        how = "re-encoded" if result.reencoded else "joined without re-encoding"
        return MergeView(
            path=result.path,
            duration=result.duration,
            inputs_duration=result.inputs_duration,
            reencoded=result.reencoded,
            has_audio=result.has_audio,
            size_bytes=result.size_bytes,
            message=f"Saved {len(paths)} video(s) {how} into one MP4{' with sound' if result.has_audio else ''}, its "
            "length verified against the inputs'.",
        )

    async def extension_spec(
        self,
        source: str,
        *,
        prompt: str,
        duration: int,
        model: str | None,
        common: dict[str, Any],
        method: str = "i2v",
        extra_allowed: tuple[Path, ...] = (),
    ) -> ChainSpec:
        """The chain spec of an extension: the source video and one new segment, from its last frame (i2v) or
        continuing its last clip of at most 3 s (VACE video_extension, which adds about 2 s of new video)."""
        media.require("extend_video")
        video = await self.video_path(source, extra_allowed)
        digest = (await anyio.to_thread.run_sync(lambda: sha256_file(video)))[:16]
        folder = self.service.settings.data_dir / "frames"
        folder.mkdir(parents=True, exist_ok=True)
        if method == "vace":
            clip = folder / f"{digest}-clip.mp4"
            if not clip.exists():
                length = min(3.0, (await anyio.to_thread.run_sync(media.probe, video)).duration)
                await anyio.to_thread.run_sync(lambda: media.last_clip(video, clip, seconds=length))
            clip_seconds = (await anyio.to_thread.run_sync(media.probe, clip)).duration
            return ChainSpec(
                kind="extend",
                method="vace",
                source=str(video),
                clip=str(clip),
                clip_seconds=clip_seconds,
                shots=(Shot(prompt, 5),),
                common=common,
            )
        frame = folder / f"{digest}-last.png"
        if not frame.exists():
            await anyio.to_thread.run_sync(lambda: media.extract_frame(video, frame, at="last"))
        return ChainSpec(
            kind="extend",
            source=str(video),
            source_frame=str(frame),
            shots=(Shot(prompt, duration),),
            i2v_model=model,
            common=common,
        )

    async def look(self, view: TaskView) -> tuple[TaskView, bytes | None]:
        """A delivered job's probed facts, mismatches with the request, and a contact sheet (JPEG); else as is.

        Looking is a bonus: when it fails, the delivered video is still reported, with a note."""
        if (
            view.state != JobState.DELIVERED
            or not view.local_path
            or not media.available()
            or view.mode in ("long", "extend")
        ):
            return view, None
        try:
            return await self._look(view)
        except (WanMcpError, OSError) as exc:
            log.warning("looking at %s failed: %s", view.local_path, exc)
            note = f" (No contact sheet: {getattr(exc, 'message', None) or exc}.)"
            return view.model_copy(update={"message": view.message + note}), None

    async def _look(self, view: TaskView) -> tuple[TaskView, bytes | None]:
        record = await self.service.store.get_task(view.handle)
        video = Path(view.local_path or "")
        if record is None or not video.exists():
            return view, None
        facts = await anyio.to_thread.run_sync(lambda: media.probe(video))
        estimate = record.estimate
        ratio = (record.request.get("body", {}).get("parameters") or {}).get("ratio")
        mismatches = media.compare(
            facts,
            seconds=estimate.output_seconds,
            size=estimate.size,
            aspect_ratio=ratio if ratio and ratio != "adaptive" else None,
            sound=estimate.sound,
        )
        sheet_path = self.service.settings.data_dir / "sheets" / f"{record.handle}.jpg"
        if not sheet_path.exists():
            sheet = await anyio.to_thread.run_sync(lambda: media.contact_sheet(video))
            sheet_path.parent.mkdir(parents=True, exist_ok=True)
            sheet_path.write_bytes(sheet)
        facts_dict: dict[str, Any] = facts.to_dict()
        facts_dict.pop("path", None)
        note = f" The video differs from the request: {'; '.join(mismatches)}" if mismatches else ""
        enriched = view.model_copy(
            update={"video": facts_dict, "mismatches": mismatches, "message": view.message + note}
        )
        return enriched, sheet_path.read_bytes()
