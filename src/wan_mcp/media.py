"""Local media work on finished videos: probe, compare with the request, contact sheet, frames, last clip, merge.

PyAV (the optional `media` extra: pip install 'wan-mcp[media]') does all decoding, encoding and muxing. It is
imported inside the functions that use it, so `import wan_mcp.media` works without it; `available()` says whether
it is installed and `require(feature)` raises MediaUnavailable naming the feature when it is not.

Every file is written to `<dest>.part` and renamed to `dest` only when complete (and, for merges, verified);
PyAV/FFmpeg and OS errors come out as MediaError with a fix.

Merging joins the videos without re-encoding when they are stream-compatible (same video codec, size, pixel
format, time base and codec extradata, and the same audio layout or none): packets are remuxed with their
timestamps shifted by the running offset. Otherwise everything is re-encoded to H.264 + AAC at the first video's
size and frame rate (others are scaled to fit, with black bars). A soundtrack replaces or is mixed with the videos'
own sound; with trim="video" it is cut or padded with silence to the video's length, with trim="audio" the result
lasts as long as the soundtrack: a longer video is cut there, a shorter one holds its last frame.
"""

from __future__ import annotations

import dataclasses
import heapq
import importlib
import importlib.util
import logging
import math
from collections.abc import Generator, Iterator
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from wan_mcp import extras
from wan_mcp.errors import Problem, RequestInvalid, WanMcpError

if TYPE_CHECKING:
    from av.audio.fifo import AudioFifo
    from av.audio.frame import AudioFrame
    from av.audio.stream import AudioStream
    from av.container import InputContainer, OutputContainer
    from av.filter.context import FilterContext
    from av.filter.graph import Graph
    from av.packet import Packet
    from av.stream import Stream
    from av.video.codeccontext import VideoCodecContext
    from av.video.frame import VideoFrame
    from av.video.stream import VideoStream

    Frames = Generator[tuple[float, VideoFrame], None, None]  # (seconds, frame) in decoding order
    Sound = Generator[AudioFrame, None, None]  # fltp samples at AUDIO_RATE
    Timed = Iterator[tuple[float, Packet[Stream]]]  # (decoding time in seconds, packet) ready to mux

log = logging.getLogger("wan_mcp.media")

MEDIA_EXTRA_FIX = "install the media extra: pip install 'wan-mcp[media]'"
READ_FIX = "check that the file exists and is a complete video; download or export it again if it is damaged"
WRITE_FIX = "check that the destination folder is writable and has free space"
MERGE_FIX = (
    "check that every input plays to its end (re-download or re-export a damaged one) and that the folder is writable"
)
TRUNCATED_FIX = "download or export that video again: its end is missing or damaged"

DURATION_TOLERANCE = 0.5  # seconds a video may differ from the requested duration
ASPECT_TOLERANCE = 0.02  # relative difference from the requested aspect ratio
MERGE_TOLERANCE = 0.1  # seconds per input that a merge may differ from the sum of its inputs
LAST_FRAME_LOOKBACK = 2.0  # "last" seeks this far before the end, then decodes to the very end
AUDIO_RATE = 48_000
AUDIO_CHUNK = 1024  # samples per AAC frame
AUDIO_BIT_RATE = 160_000
X264_OPTIONS = {"preset": "veryfast", "crf": "18"}
JPEG_QUALITIES = (2, 3, 4, 5, 6, 8, 10, 13, 16, 20, 25, 31)  # mjpeg quantiser, best first
AUDIO_MODES = ("replace", "mix")
TRIMS = ("video", "audio")
_SEEK_SLACK = 0.001  # seconds a seek may land after its target and still count as on time


class MediaUnavailable(WanMcpError):
    """PyAV (the media extra) is not installed, so local media features cannot run."""

    code = "media_extra_missing"

    def __init__(self, message: str, *, fix: str = MEDIA_EXTRA_FIX, code: str | None = None) -> None:
        super().__init__(message, fix=fix, code=code)


class MediaError(WanMcpError):
    """A media file could not be read, written or verified."""

    code = "media_error"


def available() -> bool:
    """Whether PyAV is installed (the media extra), found without importing it."""
    return extras.media_installed()


def require(feature: str) -> ModuleType:
    """The `av` module, or MediaUnavailable naming `feature` when PyAV is not installed."""
    try:
        return importlib.import_module("av")
    except ImportError as exc:
        raise MediaUnavailable(f"{feature} needs PyAV (the media extra), which is not installed") from exc


@contextmanager
def _media_errors(doing: str, fix: str) -> Iterator[None]:
    """PyAV/FFmpeg and OS errors raised inside become MediaError("could not <doing>: <error>", fix)."""
    import av  # noqa: PLC0415 (the media extra is optional: imported only when used)

    try:
        yield
    except (av.error.FFmpegError, OSError) as exc:
        raise MediaError(f"could not {doing}: {exc}", fix=fix) from exc


@contextmanager
def _atomic(dest: Path) -> Iterator[Path]:
    """A `<dest>.part` path to write to; renamed to `dest` when the block succeeds, removed when it fails."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    try:
        yield part
        part.replace(dest)
    finally:
        part.unlink(missing_ok=True)


def _invalid(field: str, message: str, fix: str) -> RequestInvalid:
    return RequestInvalid(Problem(field, "invalid_value", message, fix))


# -- probe and compare ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    """Facts about a video file, read from its container and stream headers (nothing is decoded)."""

    path: str
    duration: float  # seconds, from the container (the longest stream)
    width: int
    height: int
    fps: float  # 0.0 when the file does not say
    frames: int | None  # None when the container does not say
    video_codec: str
    audio_codec: str | None
    has_audio: bool
    audio_duration: float | None  # seconds
    size_bytes: int

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def probe(path: Path) -> Probe:
    """Container and stream facts of a video file."""
    require("probing a video")
    import av  # noqa: PLC0415 (the media extra is optional: imported only when used)

    with _media_errors(f"read {path}", READ_FIX), av.open(str(path)) as container:
        return _probe_container(path, container)


def _probe_container(path: Path, container: InputContainer) -> Probe:
    video = _video_stream(container, path)
    audio = container.streams.audio[0] if container.streams.audio else None
    rate = _frame_rate(video)
    return Probe(
        path=str(path),
        duration=_container_seconds(container),
        width=video.codec_context.width,
        height=video.codec_context.height,
        fps=float(rate) if rate else 0.0,
        frames=video.frames or None,
        video_codec=video.codec_context.name,
        audio_codec=audio.codec_context.name if audio is not None else None,
        has_audio=audio is not None,
        audio_duration=_stream_seconds(audio) if audio is not None else None,
        size_bytes=path.stat().st_size,
    )


def _video_stream(container: InputContainer, path: Path) -> VideoStream:
    if not container.streams.video:
        raise MediaError(f"{path} has no video stream", fix="give a video file (MP4 or MOV)")
    return container.streams.video[0]


def _frame_rate(stream: VideoStream) -> Fraction | None:
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    return Fraction(rate) if rate else None


def _stream_seconds(stream: Stream) -> float | None:
    if stream.duration is None or stream.time_base is None:
        return None
    return float(stream.duration * stream.time_base)


def _container_seconds(container: InputContainer) -> float:
    """The container's duration; else the longest stream's; else 0."""
    if container.duration is not None:
        return container.duration / 1_000_000  # AV_TIME_BASE
    lengths = [seconds for stream in container.streams if (seconds := _stream_seconds(stream)) is not None]
    return max(lengths, default=0.0)


def _container_start(container: InputContainer) -> float:
    return container.start_time / 1_000_000 if container.start_time is not None else 0.0


def compare(
    probe: Probe,
    *,
    seconds: float | None,
    size: str | None = None,
    aspect_ratio: str | None = None,
    sound: bool | None = None,
) -> list[str]:
    """One sentence per way the video differs from what was asked for; an empty list when it matches."""
    mismatches: list[str] = []
    if seconds is not None and abs(probe.duration - seconds) > DURATION_TOLERANCE:
        mismatches.append(f"it lasts {probe.duration:.2f} s instead of the {seconds:g} s asked for")
    if size is not None:
        width, height = _parse_size(size)
        if (probe.width, probe.height) != (width, height):
            mismatches.append(f"its frame is {probe.width}*{probe.height} instead of the {width}*{height} asked for")
    elif aspect_ratio is not None and probe.height:
        wanted = _parse_aspect_ratio(aspect_ratio)
        actual = probe.width / probe.height
        if abs(actual / wanted - 1) > ASPECT_TOLERANCE:
            mismatches.append(
                f"its frame is {probe.width}*{probe.height} ({actual:.3f}:1) instead of the {aspect_ratio} "
                f"({wanted:.3f}:1) asked for"
            )
    if sound and not probe.has_audio:
        mismatches.append("it has no audio stream although sound was asked for")
    elif sound is False and probe.has_audio:
        mismatches.append("it has an audio stream although no sound was asked for")
    return mismatches


def _parse_size(size: str) -> tuple[int, int]:
    """ "1280*720" (or 1280x720) as (width, height)."""
    parts = size.lower().replace("x", "*").replace("×", "*").split("*")
    if len(parts) == 2 and all(part.strip().isdigit() for part in parts):
        return int(parts[0]), int(parts[1])
    raise _invalid("size", f"size {size!r} is not WIDTH*HEIGHT", "give the size as WIDTH*HEIGHT, e.g. 1280*720")


def _parse_aspect_ratio(ratio: str) -> float:
    """ "16:9" as 16/9."""
    parts = ratio.split(":")
    try:
        width, height = (float(part) for part in parts)
    except ValueError:
        width = height = 0.0
    if len(parts) != 2 or width <= 0 or height <= 0:
        raise _invalid("aspect_ratio", f"aspect ratio {ratio!r} is not W:H", "give the ratio as W:H, e.g. 16:9")
    return width / height


# -- decoding frames ------------------------------------------------------------------------------------------


def _frames_from(path: Path, start: float) -> Frames:
    """(seconds, frame) from the last keyframe at or before `start` to the end of the video.

    The seek is checked, not trusted: if it lands after `start` (or on nothing), decoding starts over from the
    beginning of the file.
    """
    import av  # noqa: PLC0415 (the media extra is optional: imported only when used)

    if start > 0:
        with av.open(str(path)) as container:
            stream = _video_stream(container, path)
            if _seek(container, stream, start):
                frames = _decoded(container, stream, path)
                first = next(frames, None)
                if first is not None and first[0] <= start + _SEEK_SLACK:
                    yield first
                    yield from frames
                    return
            log.debug("seeking %s to %.3f s missed; decoding from the start", path, start)
    with av.open(str(path)) as container:
        yield from _decoded(container, _video_stream(container, path), path)


def _seek(container: InputContainer, stream: VideoStream, seconds: float) -> bool:
    """Seek to the keyframe at or before `seconds`; False if the file cannot seek."""
    import av  # noqa: PLC0415 (the media extra is optional: imported only when used)

    if stream.time_base is None:
        return False
    try:
        container.seek(math.floor(seconds / stream.time_base), stream=stream)
    except av.error.FFmpegError:
        return False
    return True


def _decoded(container: InputContainer, stream: VideoStream, path: Path) -> Frames:
    """(seconds, frame) in order; a decoding error becomes MediaError naming `path`, the file that is damaged."""
    import av  # noqa: PLC0415 (the media extra is optional: imported only when used)

    stream.thread_type = "AUTO"
    step = 1 / float(_frame_rate(stream) or 30)
    seconds = -step
    try:
        for frame in container.decode(stream):
            seconds = frame.time if frame.time is not None else seconds + step
            yield seconds, frame
    except av.error.FFmpegError as exc:
        raise MediaError(f"{path} could not be decoded after {max(seconds, 0.0):.2f} s: {exc}", fix=READ_FIX) from exc


def _pick(frames: Frames, seconds: float) -> tuple[float, VideoFrame] | None:
    """The frame on screen at `seconds`: the last one that starts no later (or the first, if all start later)."""
    chosen: tuple[float, VideoFrame] | None = None
    with closing(frames):
        for when, frame in frames:
            if chosen is not None and when > seconds + 1e-6:
                break
            chosen = when, frame
    return chosen


def _frame_at(path: Path, seconds: float, *, decode_from: float | None = None) -> tuple[float, VideoFrame]:
    """The frame on screen at `seconds`, decoding from the keyframe before `decode_from` (default: `seconds`)."""
    found = _pick(_frames_from(path, seconds if decode_from is None else decode_from), seconds)
    if found is None:
        raise MediaError(f"{path} has no decodable video frame", fix=READ_FIX)
    return found


def _last_frame(path: Path, duration: float) -> tuple[float, VideoFrame]:
    """The true last frame: decoded through to the end of the file, from a keyframe shortly before the end."""
    return _frame_at(path, math.inf, decode_from=max(0.0, duration - LAST_FRAME_LOOKBACK))


# -- extract_frame and contact_sheet --------------------------------------------------------------------------


def extract_frame(source: Path, dest: Path, *, at: str | float = "last") -> tuple[Path, float]:
    """Save one frame ("first", "last" or the one shown at a time in seconds) as an RGB PNG; (dest, its time)."""
    require("extracting a frame")
    video = _describe(source)
    with _media_errors(f"extract a frame of {source}", READ_FIX):
        when, frame = _chosen_frame(video, at)
        png = _png(frame)
    with _media_errors(f"write {dest}", WRITE_FIX), _atomic(dest) as part:
        part.write_bytes(png)
    log.info("saved the frame of %s at %.3f s as %s", source, when, dest)
    return dest, when


def _chosen_frame(video: _Source, at: str | float) -> tuple[float, VideoFrame]:
    duration = video.probe.duration
    if at == "first":
        return _frame_at(video.path, 0.0)
    if at == "last":
        when, frame = _last_frame(video.path, duration)
        _check_complete(video, when - video.video_start + 1 / float(video.rate), cut=False)
        return when, frame
    seconds = _seconds(at)
    if not 0 <= seconds <= duration:
        raise MediaError(
            f"{video.path} lasts {duration:.2f} s: there is no frame at {seconds:g} s",
            fix=f"give a time between 0 and {duration:.2f} seconds, or 'first' or 'last'",
        )
    return _frame_at(video.path, seconds)


def _seconds(at: str | float) -> float:
    try:
        seconds = float(at)
    except (TypeError, ValueError):
        seconds = math.nan
    if isinstance(at, bool) or not math.isfinite(seconds):
        raise _invalid("at", f"at={at!r} is not 'first', 'last' or a time", "give 'first', 'last' or seconds, e.g. 2.5")
    return seconds


def _png(frame: VideoFrame) -> bytes:

    rgb = frame.reformat(format="rgb24")
    encoder = _video_encoder("png")
    encoder.width, encoder.height, encoder.pix_fmt = rgb.width, rgb.height, "rgb24"
    encoder.time_base = Fraction(1, 1)
    rgb.pts = None
    return b"".join(bytes(packet) for packet in [*encoder.encode(rgb), *encoder.encode(None)])


def contact_sheet(path: Path, *, frames: int = 4, width: int = 640, max_bytes: int = 200_000) -> bytes:
    """A JPEG grid (2x2 for 4) of frames spread evenly from the start to the end, `width` pixels wide."""
    require("making a contact sheet")
    if frames < 1 or width < 16:
        raise _invalid("frames", "a contact sheet needs at least 1 frame and 16 pixels", "ask for 4 frames, 640 wide")
    facts = probe(path)
    columns = math.ceil(math.sqrt(frames))
    rows = math.ceil(frames / columns)
    tile_width = width // columns
    tile_height = max(1, round(tile_width * facts.height / max(facts.width, 1)))
    with _media_errors(f"make a contact sheet of {path}", READ_FIX):
        tiles = [
            _frame_at(path, seconds)[1].reformat(tile_width, tile_height, "rgb24", interpolation="AREA")
            for seconds in _spread(facts, frames)
        ]
        sheet = _grid(tiles, columns, width, rows * tile_height)
        return _jpeg_within(sheet, max_bytes)


def _spread(facts: Probe, count: int) -> list[float]:
    """`count` times from 0 to the start of the last frame, evenly spaced."""
    last = max(0.0, facts.duration - (1 / facts.fps if facts.fps else 0.0))
    return [last * index / (count - 1) for index in range(count)] if count > 1 else [0.0]


def _grid(tiles: list[VideoFrame], columns: int, width: int, height: int) -> VideoFrame:
    """The tiles (rgb24, all one size) laid out row by row on a black frame."""
    import av  # noqa: PLC0415 (the media extra is optional: imported only when used)

    sheet = av.VideoFrame(width, height, "rgb24")
    stride = sheet.planes[0].line_size
    canvas = bytearray(sheet.planes[0].buffer_size)
    for index, tile in enumerate(tiles):
        row, column = divmod(index, columns)
        plane = tile.planes[0]
        pixels = memoryview(plane)
        row_bytes = tile.width * 3
        for y in range(tile.height):
            target = (row * tile.height + y) * stride + column * row_bytes
            canvas[target : target + row_bytes] = pixels[y * plane.line_size : y * plane.line_size + row_bytes]
    sheet.planes[0].update(bytes(canvas))
    return sheet


def _jpeg_within(sheet: VideoFrame, max_bytes: int) -> bytes:
    """The sheet as a JPEG at the best quality that fits in `max_bytes`."""
    yuv = sheet.reformat(format="yuv420p", dst_color_range="JPEG")
    size = 0
    for quantiser in JPEG_QUALITIES:
        data = _jpeg(yuv, quantiser)
        if len(data) <= max_bytes:
            return data
        size = len(data)
    raise MediaError(
        f"the contact sheet takes {size} bytes even at the lowest JPEG quality (limit {max_bytes})",
        fix="ask for a narrower sheet or fewer frames",
    )


def _video_encoder(name: str) -> VideoCodecContext:
    """An image/video encoder context (narrowed by isinstance: av < 18 types `create` as the base class)."""
    import av  # noqa: PLC0415 (the media extra is optional: imported only when used)
    from av.video.codeccontext import VideoCodecContext  # noqa: PLC0415

    encoder = av.CodecContext.create(name, "w")
    if not isinstance(encoder, VideoCodecContext):
        raise MediaError(f"FFmpeg's {name} encoder is not a video encoder here", fix="reinstall the media extra")
    return encoder


def _jpeg(frame: VideoFrame, quantiser: int) -> bytes:

    encoder = _video_encoder("mjpeg")
    encoder.width, encoder.height, encoder.pix_fmt = frame.width, frame.height, "yuv420p"
    encoder.color_range = 2  # AVCOL_RANGE_JPEG: full-range samples, as JPEG expects
    encoder.time_base = Fraction(1, 1)
    encoder.qmin = encoder.qmax = quantiser
    return b"".join(bytes(packet) for packet in [*encoder.encode(frame), *encoder.encode(None)])


# -- input videos, last_clip ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Source:
    """What cutting and merging need to know about one input video."""

    path: Path
    probe: Probe
    start: float  # the container's start time, seconds
    video_start: float  # the video stream's first timestamp, seconds
    video_seconds: float  # the video stream's own duration
    rate: Fraction
    video_key: tuple[object, ...]  # equal keys can be stream-copied into one file
    audio_key: tuple[object, ...] | None
    audio_channels: int
    b_frames: bool
    colour: tuple[int, int, int, int]  # range, primaries, transfer, matrix: kept when re-encoding

    @property
    def size(self) -> tuple[int, int]:
        return self.probe.width, self.probe.height


def _describe(path: Path) -> _Source:
    """Probe facts plus what decides whether videos can be joined by copying, from one read of the headers."""
    import av  # noqa: PLC0415 (the media extra is optional: imported only when used)

    with _media_errors(f"read {path}", READ_FIX), av.open(str(path)) as container:
        facts = _probe_container(path, container)
        video = _video_stream(container, path)
        audio = container.streams.audio[0] if container.streams.audio else None
        rate = _frame_rate(video)
        if rate is None:
            raise MediaError(f"{path} does not say its frame rate", fix=READ_FIX)
        context = video.codec_context
        return _Source(
            path=path,
            probe=facts,
            start=_container_start(container),
            video_start=float(video.start_time * video.time_base) if video.start_time and video.time_base else 0.0,
            video_seconds=_stream_seconds(video) or facts.duration,
            rate=rate,
            video_key=(
                context.name,
                context.width,
                context.height,
                context.pix_fmt,
                video.time_base,
                context.extradata,
            ),
            audio_key=_audio_key(audio) if audio is not None else None,
            audio_channels=audio.codec_context.channels if audio is not None else 0,
            b_frames=bool(context.has_b_frames),
            colour=(context.color_range, context.color_primaries, context.color_trc, context.colorspace),
        )


def _audio_key(stream: AudioStream) -> tuple[object, ...]:
    context = stream.codec_context
    return (context.name, context.sample_rate, context.layout.name, stream.time_base, context.extradata)


def last_clip(source: Path, dest: Path, *, seconds: float = 3.0) -> Path:
    """The last `seconds` of a video (or all of it, if shorter) as a new H.264 MP4 without sound."""
    require("cutting the end of a video")
    import av  # noqa: PLC0415 (the media extra is optional: imported only when used)

    if not seconds > 0:
        raise _invalid("seconds", f"seconds must be positive, got {seconds}", "give the clip length, e.g. 3")
    video = _describe(source)
    cut = video.video_start + max(0.0, video.video_seconds - seconds)
    half_frame = 0.5 / float(video.rate)
    with _media_errors(f"cut the end of {source} into {dest}", MERGE_FIX), _atomic(dest) as part:
        with av.open(str(part), "w", format="mp4") as output, closing(_frames_from(source, cut)) as frames:
            stream = _h264_stream(output, video)
            count = 0
            for when, frame in frames:
                if when >= cut - half_frame:
                    output.mux(_encode(stream, frame, count, video.rate))
                    count += 1
            output.mux(stream.encode(None))
        _verify_length(part, min(seconds, video.video_seconds), 1 / float(video.rate) + 0.001)
    log.info("saved the last %.2f s of %s (%d frames) as %s", seconds, source, count, dest)
    return dest


def _h264_stream(output: OutputContainer, like: _Source) -> VideoStream:
    """An H.264 stream at the size, rate and colour description of `like`."""
    stream = output.add_stream("libx264", rate=like.rate, options=dict(X264_OPTIONS))
    stream.width, stream.height = like.size
    stream.pix_fmt = "yuv420p"
    context = stream.codec_context
    context.color_range, context.color_primaries, context.color_trc, context.colorspace = like.colour
    return stream


def _encode(stream: VideoStream, frame: VideoFrame, index: int, rate: Fraction) -> list[Packet[Stream]]:
    """Encode `frame` as the `index`-th frame of a stream at `rate` (yuv420p, encoder-chosen frame type)."""
    if frame.format.name != "yuv420p":
        frame = frame.reformat(format="yuv420p")
    frame.pts = index
    frame.time_base = 1 / rate
    frame.pict_type = 0  # AV_PICTURE_TYPE_NONE: do not force the decoder's I/P types on the encoder
    return stream.encode(frame)


def _verify_length(path: Path, expected: float, tolerance: float) -> Probe:
    facts = probe(path)
    if abs(facts.duration - expected) > tolerance:
        raise MediaError(
            f"the new video lasts {facts.duration:.3f} s instead of {expected:.3f} s",
            fix="check that the source plays to its end; download or export it again if it is damaged",
        )
    return facts


# -- merge ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MergeResult:
    """A verified merge: the file, its length against its inputs', and how it was made."""

    path: str
    duration: float  # seconds, measured on the written file
    inputs_duration: float  # the sum of the inputs' durations
    reencoded: bool
    has_audio: bool
    size_bytes: int

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class _Soundtrack:
    """The audio file laid over a merge."""

    path: Path
    seconds: float
    channels: int


@dataclass(frozen=True)
class _MergePlan:
    """How the inputs become one file: every length on the result's timeline, in seconds."""

    sources: tuple[_Source, ...]
    segments: tuple[float, ...]  # each input's share of the timeline
    target: float  # the result's length
    copy_video: bool
    copy_audio: bool  # the inputs' own audio packets are copied as they are
    own_sound: bool  # the inputs' own sound is decoded into the encoded audio
    soundtrack: _Soundtrack | None
    layout: str  # of the encoded audio: "mono" or "stereo"
    rate: Fraction
    size: tuple[int, int]

    @property
    def inputs_duration(self) -> float:
        return sum(source.probe.duration for source in self.sources)

    @property
    def encodes_audio(self) -> bool:
        return self.soundtrack is not None or self.own_sound


def merge(
    videos: list[Path],
    dest: Path,
    *,
    audio: Path | None = None,
    audio_mode: str = "replace",
    trim: str = "video",
) -> MergeResult:
    """Join videos in order, optionally under a soundtrack, and verify that the result lasts what it should.

    Packets are copied when the inputs are stream-compatible, else everything is re-encoded (H.264 + AAC at the
    first video's size and rate). audio_mode "replace" drops the videos' own sound, "mix" adds the soundtrack to it
    (inputs without sound count as silence). trim "video" cuts the soundtrack at the video's end or pads it with
    silence; trim "audio" makes the result as long as the soundtrack: a longer video is cut there, a shorter one
    holds its last frame. Without a soundtrack, audio_mode and trim change nothing.
    """
    require("merging videos")
    import av  # noqa: PLC0415 (the media extra is optional: imported only when used)

    _check_merge_arguments(videos, audio_mode, trim)
    sources = tuple(_describe(path) for path in videos)
    soundtrack = _describe_soundtrack(audio) if audio is not None else None
    plan = _plan_merge(sources, soundtrack, mix=audio_mode == "mix", trim_to_audio=trim == "audio")
    with _media_errors(f"merge {len(videos)} videos into {dest}", MERGE_FIX), _atomic(dest) as part:
        try:
            _write_merge(plan, part)
        except av.error.FFmpegError as exc:
            if not plan.copy_video:
                raise
            log.warning("joining %s without re-encoding failed (%s): re-encoding", dest, exc)
            plan = _plan_merge(sources, soundtrack, mix=audio_mode == "mix", trim_to_audio=trim == "audio", copy=False)
            _write_merge(plan, part)
        facts = _verify_merge(plan, part)
    log.info(
        "merged %d videos into %s (%.2f s, %s)",
        len(videos),
        dest,
        facts.duration,
        "copied" if plan.copy_video else "re-encoded",
    )
    return MergeResult(
        path=str(dest),
        duration=facts.duration,
        inputs_duration=plan.inputs_duration,
        reencoded=not plan.copy_video,
        has_audio=facts.has_audio,
        size_bytes=facts.size_bytes,
    )


def _check_merge_arguments(videos: list[Path], audio_mode: str, trim: str) -> None:
    if not videos:
        raise RequestInvalid(Problem("videos", "missing_argument", "no videos to merge", "give 1 or more videos"))
    if audio_mode not in AUDIO_MODES:
        raise _invalid("audio_mode", f"audio_mode {audio_mode!r} is not 'replace' or 'mix'", "use 'replace' or 'mix'")
    if trim not in TRIMS:
        raise _invalid("trim", f"trim {trim!r} is not 'video' or 'audio'", "use 'video' or 'audio'")


def _describe_soundtrack(path: Path) -> _Soundtrack:
    import av  # noqa: PLC0415 (the media extra is optional: imported only when used)

    with _media_errors(f"read {path}", READ_FIX), av.open(str(path)) as container:
        if not container.streams.audio:
            raise MediaError(f"{path} has no audio stream", fix="give a WAV, MP3 or M4A file")
        stream = container.streams.audio[0]
        seconds = _stream_seconds(stream) or _container_seconds(container)
        return _Soundtrack(path, seconds, stream.codec_context.channels)


def _plan_merge(
    sources: tuple[_Source, ...], soundtrack: _Soundtrack | None, *, mix: bool, trim_to_audio: bool, copy: bool = True
) -> _MergePlan:
    """How to merge: stream copy if `copy` allows and the inputs are compatible, else a re-encode."""
    first = sources[0]
    has_sound = any(source.audio_key is not None for source in sources)
    keeps_sound = has_sound and (soundtrack is None or mix)
    durations = tuple(source.probe.duration for source in sources)
    obstacle = _copy_obstacle(sources, with_audio=soundtrack is None) if copy else "copying failed"
    if obstacle is None and soundtrack is not None and trim_to_audio and soundtrack.seconds < sum(durations):
        obstacle = "the video must be cut short and it has B-frames" if any(s.b_frames for s in sources) else None
    if obstacle is None:
        segments = durations
    else:
        log.info("re-encoding the merge: %s", obstacle)
        segments = tuple(max(1, round(seconds * first.rate)) / float(first.rate) for seconds in durations)
    channels = [source.audio_channels for source in sources if keeps_sound and source.audio_key is not None]
    channels += [soundtrack.channels] if soundtrack is not None else []
    return _MergePlan(
        sources=sources,
        segments=segments,
        target=soundtrack.seconds if soundtrack is not None and trim_to_audio else sum(segments),
        copy_video=obstacle is None,
        copy_audio=keeps_sound and obstacle is None and soundtrack is None,
        own_sound=keeps_sound and (obstacle is not None or soundtrack is not None),
        soundtrack=soundtrack,
        layout="mono" if max(channels, default=1) == 1 else "stereo",
        rate=first.rate,
        size=first.size,
    )


def _copy_obstacle(sources: tuple[_Source, ...], *, with_audio: bool) -> str | None:
    """Why the inputs cannot be joined by copying packets, or None when they can."""
    first = sources[0]
    for source in sources[1:]:
        if source.video_key != first.video_key:
            return f"{source.path.name} differs from {first.path.name} in video codec, size, format or time base"
        if with_audio and source.audio_key != first.audio_key:
            return f"{source.path.name} differs from {first.path.name} in its sound (codec, layout, or none)"
    return None


def _write_merge(plan: _MergePlan, part: Path) -> None:
    """Mux the plan's video and audio packets, interleaved by time, into `part`."""
    import av  # noqa: PLC0415 (the media extra is optional: imported only when used)

    with ExitStack() as stack:
        template = stack.enter_context(av.open(str(plan.sources[0].path))) if plan.copy_video else None
        output = stack.enter_context(av.open(str(part), "w", format="mp4"))
        streams: list[Timed] = []
        if template is not None:
            video_out = output.add_stream_from_template(template.streams.video[0])
            audio_out = output.add_stream_from_template(template.streams.audio[0]) if plan.copy_audio else None
            streams.append(stack.enter_context(closing(_copied_packets(plan, video_out, audio_out))))
        else:
            streams.append(stack.enter_context(closing(_encoded_video(plan, _h264_stream(output, plan.sources[0])))))
        if plan.encodes_audio:
            streams.append(stack.enter_context(closing(_encoded_audio(plan, _aac_stream(output, plan.layout)))))
        for _, packet in heapq.merge(*streams, key=lambda timed: timed[0]):
            output.mux_one(packet)


def _copied_packets(
    plan: _MergePlan, video_out: VideoStream, audio_out: AudioStream | None
) -> Generator[tuple[float, Packet[Stream]], None, None]:
    """Every input's packets, shifted by the running offset; cut at, or held until, the plan's end."""
    offset = 0.0
    held: tuple[float, Packet[Stream]] | None = None
    video_end = 0.0
    for source, length in zip(plan.sources, plan.segments, strict=True):
        if offset >= plan.target - 1e-6:
            break
        for timed, end in _shifted(plan, source, offset, video_out, audio_out):
            if end is not None:
                if held is not None:
                    yield held
                held, video_end = timed, max(video_end, end)
            else:
                yield timed
        offset += length
    if held is not None:
        yield _held_until(held, plan.target, video_end) if plan.target > video_end else held


def _shifted(
    plan: _MergePlan, source: _Source, offset: float, video_out: VideoStream, audio_out: AudioStream | None
) -> Iterator[tuple[tuple[float, Packet[Stream]], float | None]]:
    """One input's packets moved to `offset`: ((dts seconds, packet), the end time of video packets or None)."""
    import av  # noqa: PLC0415 (the media extra is optional: imported only when used)

    with av.open(str(source.path)) as container:
        video = container.streams.video[0]
        streams: list[Stream] = [video]
        if audio_out is not None:
            streams.append(container.streams.audio[0])
        shift = offset - source.start
        clocks: dict[int, tuple[int, float]] = {}  # stream index: (the shift in ticks, seconds per tick)
        video_end = 0.0
        for packet in container.demux(streams):
            if packet.dts is None or packet.pts is None:
                continue  # the demuxer's end-of-stream marker
            index = packet.stream_index
            if index not in clocks:
                clocks[index] = round(shift / packet.time_base), float(packet.time_base)
            ticks, tick = clocks[index]
            start = (packet.pts + ticks) * tick
            if start >= plan.target - 1e-6:
                continue  # cut: this packet would start at or after the result's end (only without B-frames)
            packet.pts += ticks
            packet.dts += ticks
            is_video = index == video.index
            end = start + (packet.duration or 0) * tick
            if is_video:
                video_end = max(video_end, end)
            packet.stream = video_out if is_video or audio_out is None else audio_out
            yield (packet.dts * tick, packet), (end if is_video else None)
    _check_complete(source, video_end - offset, cut=offset + source.video_seconds > plan.target)


def _check_complete(source: _Source, reached: float, *, cut: bool) -> None:
    """A clip whose video stops well before its header says is damaged: never merge it silently."""
    if not cut and reached < source.video_seconds - MERGE_TOLERANCE:
        raise MediaError(
            f"{source.path} stops after {reached:.2f} s of video although it should last {source.video_seconds:.2f} s",
            fix=TRUNCATED_FIX,
        )


def _held_until(timed: tuple[float, Packet[Stream]], until: float, video_end: float) -> tuple[float, Packet[Stream]]:
    """The last video packet, lasting until `until` so the picture holds while the soundtrack plays on."""
    packet = timed[1]
    packet.duration = (packet.duration or 0) + round((until - video_end) / packet.time_base)
    return timed


def _encoded_video(plan: _MergePlan, stream: VideoStream) -> Generator[tuple[float, Packet[Stream]], None, None]:
    """Every input decoded, fitted to the plan's size and rate, encoded; cut at or held until the plan's end."""
    total = round(plan.target * plan.rate)
    index = 0
    last: VideoFrame | None = None
    for source, length in zip(plan.sources, plan.segments, strict=True):
        count = min(round(length * plan.rate), total - index)
        if count <= 0:
            break
        frames = _fitted(_frames_from(source.path, 0.0), plan.size)
        for frame in _constant_rate(frames, source, count, plan.rate, cut=count < round(length * plan.rate)):
            yield from _timed(_encode(stream, frame, index, plan.rate))
            index, last = index + 1, frame
    while last is not None and index < total:
        yield from _timed(_encode(stream, last, index, plan.rate))
        index += 1
    yield from _timed(stream.encode(None))


def _timed(packets: list[Packet[Stream]]) -> Iterator[tuple[float, Packet[Stream]]]:
    for packet in packets:
        ticks = packet.dts if packet.dts is not None else packet.pts or 0
        yield float(ticks * packet.time_base), packet


def _constant_rate(frames: Frames, source: _Source, count: int, rate: Fraction, *, cut: bool) -> Iterator[VideoFrame]:
    """Exactly `count` frames at `rate`: each slot shows the frame due at its time; the last frame fills the end."""
    period = 1 / float(rate)
    slot = 0
    current: VideoFrame | None = None
    reached = 0.0
    with closing(frames):
        for when, frame in frames:
            reached = when - source.video_start
            while current is not None and slot < count and (slot + 0.5) * period <= reached:
                yield current
                slot += 1
            if slot >= count:
                return
            current = frame
    if current is None:
        raise MediaError(f"{source.path} has no decodable video frame", fix=TRUNCATED_FIX)
    _check_complete(source, reached + period, cut=cut)
    for _ in range(slot, count):
        yield current


def _fitted(frames: Frames, size: tuple[int, int]) -> Frames:
    """Frames scaled to fit `size` (aspect ratio kept, black bars) in yuv420p; frames that already are pass."""
    import av  # noqa: PLC0415 (the media extra is optional: imported only when used)

    graph: Graph | None = None
    with closing(frames):
        for when, frame in frames:
            if (frame.width, frame.height) == size and frame.format.name == "yuv420p":
                yield when, frame
                continue
            graph = graph or _fit_graph(frame, size)
            graph.vpush(frame)  # scale, pad, setsar and format are one frame in, one frame out
            while True:
                try:
                    fitted = graph.vpull()
                except av.error.BlockingIOError:
                    break
                yield when, fitted


def _fit_graph(frame: VideoFrame, size: tuple[int, int]) -> Graph:
    import av  # noqa: PLC0415 (the media extra is optional: imported only when used)

    width, height = size
    graph = av.filter.Graph()
    time_base = frame.time_base or Fraction(1, 1000)
    source = graph.add_buffer(width=frame.width, height=frame.height, format=frame.format, time_base=time_base)
    graph.link_nodes(
        source,
        graph.add("scale", f"w={width}:h={height}:force_original_aspect_ratio=decrease:force_divisible_by=2"),
        graph.add("pad", f"w={width}:h={height}:x=(ow-iw)/2:y=(oh-ih)/2:color=black"),
        graph.add("setsar", "1"),
        graph.add("format", "yuv420p"),
        graph.add("buffersink"),
    ).configure()
    return graph


# -- merge: sound ---------------------------------------------------------------------------------------------


def _aac_stream(output: OutputContainer, layout: str) -> AudioStream:
    stream = output.add_stream("aac", rate=AUDIO_RATE)
    stream.layout = layout
    stream.bit_rate = AUDIO_BIT_RATE
    return stream


def _encoded_audio(plan: _MergePlan, stream: AudioStream) -> Generator[tuple[float, Packet[Stream]], None, None]:
    """The result's sound, exactly as long as the result: the soundtrack, the inputs' own sound, or both mixed."""
    samples = round(plan.target * AUDIO_RATE)
    parts: list[Sound] = []
    if plan.own_sound:
        parts.append(_exactly(_own_sound(plan), samples, plan.layout))
    if plan.soundtrack is not None:
        parts.append(_exactly(_decoded_sound(plan.soundtrack.path, plan.layout), samples, plan.layout))
    sound = parts[0] if len(parts) == 1 else _exactly(_mixed(parts[0], parts[1], plan.layout), samples, plan.layout)
    time_base = Fraction(1, AUDIO_RATE)
    position = 0
    with closing(sound):
        for frame in sound:
            frame.pts, frame.time_base = position, time_base
            position += frame.samples
            yield from _timed(stream.encode(frame))
    yield from _timed(stream.encode(None))


def _own_sound(plan: _MergePlan) -> Sound:
    """The inputs' own sound one after another, each exactly as long as its segment (silence for silent inputs)."""
    start = 0.0
    for source, length in zip(plan.sources, plan.segments, strict=True):
        samples = round((start + length) * AUDIO_RATE) - round(start * AUDIO_RATE)
        sound = _decoded_sound(source.path, plan.layout) if source.audio_key is not None else _nothing()
        yield from _exactly(sound, samples, plan.layout)
        start += length


def _nothing() -> Sound:
    yield from ()


def _decoded_sound(path: Path, layout: str) -> Sound:
    """The first audio stream of `path`, resampled to fltp at AUDIO_RATE in `layout`."""
    import av  # noqa: PLC0415 (the media extra is optional: imported only when used)

    resampler = av.AudioResampler(format="fltp", layout=layout, rate=AUDIO_RATE)
    with av.open(str(path)) as container:
        for frame in container.decode(container.streams.audio[0]):
            yield from resampler.resample(frame)
        yield from resampler.resample(None)


def _exactly(sound: Sound, samples: int, layout: str) -> Sound:
    """Exactly `samples` samples of `sound` in AUDIO_CHUNK frames (the last may be shorter): cut or silence-padded."""
    import av  # noqa: PLC0415 (the media extra is optional: imported only when used)

    fifo = av.AudioFifo()
    remaining = samples
    with closing(sound):
        for frame in sound:
            if not remaining:
                break
            frame.pts = None  # the fifo checks continuity of timestamps; positions are counted here instead
            fifo.write(frame)
            while remaining and fifo.samples >= min(AUDIO_CHUNK, remaining):
                chunk = _read(fifo, min(AUDIO_CHUNK, remaining))
                remaining -= chunk.samples
                yield chunk
    while remaining:
        if fifo.samples < min(AUDIO_CHUNK, remaining):
            fifo.write(_silence(min(AUDIO_RATE, remaining - fifo.samples), layout))
        chunk = _read(fifo, min(AUDIO_CHUNK, remaining))
        remaining -= chunk.samples
        yield chunk


def _read(fifo: AudioFifo, samples: int) -> AudioFrame:
    frame: AudioFrame | None = fifo.read(samples)
    if frame is None:  # pragma: no cover - the caller checked fifo.samples
        raise MediaError("the audio buffer ran dry", fix="report this as a wan-mcp bug")
    return frame


def _silence(samples: int, layout: str) -> AudioFrame:
    import av  # noqa: PLC0415 (the media extra is optional: imported only when used)

    frame = av.AudioFrame(format="fltp", layout=layout, samples=samples)
    frame.sample_rate = AUDIO_RATE
    for plane in frame.planes:
        plane.update(bytes(plane.buffer_size))
    return frame


def _mixed(first: Sound, second: Sound, layout: str) -> Sound:
    """The sum of two sounds chunked alike (FFmpeg's amix, not normalised: each keeps its own level)."""
    import av  # noqa: PLC0415 (the media extra is optional: imported only when used)

    graph = av.filter.Graph()
    time_base = Fraction(1, AUDIO_RATE)
    inputs = [
        graph.add_abuffer(sample_rate=AUDIO_RATE, format="fltp", layout=layout, time_base=time_base) for _ in range(2)
    ]
    mix = graph.add("amix", "inputs=2:duration=longest:dropout_transition=0:normalize=0")
    sink = graph.add("abuffersink")
    for index, source in enumerate(inputs):
        source.link_to(mix, 0, index)
    mix.link_to(sink)
    graph.configure()
    position = 0
    with closing(first), closing(second):
        for one, two in zip(first, second, strict=True):
            for source, frame in zip(inputs, (one, two), strict=True):
                frame.pts, frame.time_base = position, time_base
                source.push(frame)
            position += one.samples
            yield from _pulled(sink)
    for source in inputs:
        source.push(None)
    yield from _pulled(sink)


def _pulled(sink: FilterContext) -> Sound:
    """Every frame the sink has ready (all that remain, once its inputs have ended)."""
    import av  # noqa: PLC0415 (the media extra is optional: imported only when used)

    while True:
        try:
            frame = sink.pull()
        except (av.error.BlockingIOError, av.error.EOFError):
            return
        if isinstance(frame, av.AudioFrame):
            yield frame


def _verify_merge(plan: _MergePlan, part: Path) -> Probe:
    """The written file lasts what the plan says (its video too): a dropped or shortened clip is an error."""
    import av  # noqa: PLC0415 (the media extra is optional: imported only when used)

    with av.open(str(part)) as container:
        facts = _probe_container(part, container)
        video_seconds = _stream_seconds(container.streams.video[0]) or facts.duration
    tolerance = MERGE_TOLERANCE * len(plan.sources)
    for what, seconds in (("the merged file", facts.duration), ("its video", video_seconds)):
        if abs(seconds - plan.target) > tolerance:
            raise MediaError(
                f"{what} lasts {seconds:.2f} s instead of {plan.target:.2f} s (inputs: {plan.inputs_duration:.2f} s): "
                "a clip was dropped or cut short",
                fix=MERGE_FIX,
            )
    return facts
