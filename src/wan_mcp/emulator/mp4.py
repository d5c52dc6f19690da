"""Synthesizes real, playable MP4 files (H.264 video, optional silent AAC audio) with the standard library only.

What a person sees: the request's caption (mode, model, the start of the prompt) and a running time code over a
background that changes at each keyframe (picture.py). How it is coded (h264.py):

- Keyframes are IDR pictures whose every macroblock is I_PCM, so every keyframe of a given size has a known byte
  count. A frame where the time code's second changes is a P slice that re-codes only the macroblocks whose samples
  changed (a few digits) as I_PCM and skips the rest; every other frame is a P slice with one mb_skip_run, a copy of
  the previous frame in a few bytes. All P frames are reference frames (pic_order_cnt_type 2 forbids two
  non-reference pictures in a row), so each update carries over to the frames after it.
- Sizes that are not multiples of 16 are coded up to the next macroblock and cropped in the SPS.
- Audio is AAC-LC, mono, 48 kHz: each access unit is a 4-byte raw_data_block (one SCE with max_sfb 0, then END).
- The container is faststart (ftyp, moov, mdat). Every sample size is known before any keyframe picture is built
  (the time code's changes are small and rendered while planning), so the moov is computed first and the mdat is
  then streamed to the file one keyframe picture at a time.
"""

from __future__ import annotations

import itertools
import math
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from wan_mcp.emulator import boxes, h264
from wan_mcp.emulator.picture import Caption, Overlay, look_of, picture_body

__all__ = ["Caption", "write_mp4"]

_AUDIO_RATE = 48_000
_AUDIO_FRAME_SAMPLES = 1024
_VIDEO_TICKS_PER_FRAME = 1000  # the video timescale is fps * 1000
_SILENT_GLOBAL_GAIN = 100


def write_mp4(
    path: Path,
    *,
    width: int,
    height: int,
    seconds: float,
    fps: int = 30,
    audio: bool = False,
    seed: int = 0,
    keyframe_seconds: float | None = None,
    caption: Caption | None = None,
) -> int:
    """Write an MP4 to `path` (atomically is not needed); return its size in bytes.

    caption: what the video answers (prompt, model, mode), shown in its top-left corner; the running time code
    is shown in any case where the picture is wide enough.
    """
    _check_arguments(width, height, seconds, fps, keyframe_seconds)
    frame_count = round(seconds * fps)
    keyframes = _keyframe_frames(frame_count, fps, keyframe_seconds)
    overlay = Overlay(width, height, frame_count / fps, caption)
    video = _plan_video(width, height, fps, frame_count=frame_count, keyframes=keyframes, overlay=overlay)
    audio_frames = _audio_frame_count(frame_count, fps) if audio else 0
    layout = _plan_layout(video, audio_frames)
    head = boxes.ftyp() + _moov(video, layout) + boxes.mdat_header(layout.mdat_payload)
    with path.open("wb") as out:
        out.write(head)
        for chunk in layout.chunks:
            frames = range(chunk.video_first, chunk.video_first + chunk.video_count)
            _write_video_samples(out, video, frames, seed, overlay)
            out.write(_SILENT_AAC_FRAME * chunk.audio_count)
    return len(head) + layout.mdat_payload


def _keyframe_frames(frame_count: int, fps: int, keyframe_seconds: float | None) -> list[int]:
    """Indices of the keyframes: 0, then every keyframe_seconds, or else the first frame of the second half."""
    if keyframe_seconds is None:
        return [0, frame_count // 2] if frame_count >= 2 else [0]
    if keyframe_seconds * fps <= 1:
        return list(range(frame_count))
    frames: set[int] = set()
    index = 0
    while (frame := round(index * keyframe_seconds * fps)) < frame_count:
        frames.add(frame)
        index += 1
    return sorted(frames)


def _check_arguments(width: int, height: int, seconds: float, fps: int, keyframe_seconds: float | None) -> None:
    if width < 16 or height < 16 or width % 2 or height % 2:
        raise ValueError(f"width and height must be even and at least 16, got {width}x{height}")
    if fps < 1:
        raise ValueError(f"fps must be at least 1, got {fps}")
    if not math.isfinite(seconds) or round(seconds * fps) < 1:
        raise ValueError(f"seconds must give at least one frame at {fps} fps, got {seconds}")
    if keyframe_seconds is not None and not (math.isfinite(keyframe_seconds) and keyframe_seconds > 0):
        raise ValueError(f"keyframe_seconds must be positive, got {keyframe_seconds}")


# ---------------------------------------------------------------------------------------------------------------
# The video track: every frame's coded bytes, planned before any picture is built


@dataclass(frozen=True)
class _Frame:
    """One coded frame: a keyframe's slice head (its picture is built when written), a copy of the previous frame,
    or an update (`parts` with the samples of `macroblocks` between them)."""

    parts: tuple[bytes, ...]
    macroblocks: tuple[bytes, ...] = ()
    keyframe: int | None = None  # which keyframe it is (0 for the first)
    second: int = 0  # the whole second of the video it is shown in


@dataclass(frozen=True)
class _VideoPlan:
    width: int
    height: int
    fps: int
    frame_count: int
    keyframes: tuple[int, ...]
    mb_width: int
    mb_height: int
    sps: bytes
    pps: bytes
    frames: tuple[_Frame, ...]
    sizes: tuple[int, ...]  # per frame: sample size in the mdat, length prefix included

    @property
    def timescale(self) -> int:
        return self.fps * _VIDEO_TICKS_PER_FRAME


def _plan_video(
    width: int, height: int, fps: int, *, frame_count: int, keyframes: Sequence[int], overlay: Overlay
) -> _VideoPlan:
    """Parameter sets, level, every frame's coded bytes and every sample size: all known before any picture exists."""
    mb_width, mb_height = overlay.mb_width, overlay.mb_height
    mb_count = mb_width * mb_height
    longest_gop = max(end - start for start, end in itertools.pairwise([*keyframes, frame_count]))
    log2_max_frame_num = min(h264.MAX_LOG2_MAX_FRAME_NUM, max(4, longest_gop.bit_length()))
    frames = tuple(
        _code_frames(
            frame_count, fps, keyframes, mb_count=mb_count, log2_max_frame_num=log2_max_frame_num, overlay=overlay
        )
    )
    picture = h264.pcm_body_size(mb_count)
    sizes = tuple(
        4 + sum(map(len, f.parts)) + sum(map(len, f.macroblocks)) + (picture if f.keyframe is not None else 0)
        for f in frames
    )
    level = h264.choose_level(mb_count, mb_count * fps, 8 * max(sizes), 8 * sum(sizes) * fps / frame_count)
    return _VideoPlan(
        width=width,
        height=height,
        fps=fps,
        frame_count=frame_count,
        keyframes=tuple(keyframes),
        mb_width=mb_width,
        mb_height=mb_height,
        sps=h264.sps(
            width=width,
            height=height,
            fps=fps,
            mb_width=mb_width,
            mb_height=mb_height,
            log2_max_frame_num=log2_max_frame_num,
            level=level,
        ),
        pps=h264.pps(),
        frames=frames,
        sizes=sizes,
    )


def _code_frames(
    frame_count: int, fps: int, keyframes: Sequence[int], *, mb_count: int, log2_max_frame_num: int, overlay: Overlay
) -> Iterator[_Frame]:
    """Per frame: a keyframe, an update where the time code's second changes, or else a copy of the frame before."""
    keyframe_numbers = {frame: number for number, frame in enumerate(keyframes)}
    frame_num = 0
    for index in range(frame_count):
        second = index // fps
        number = keyframe_numbers.get(index)
        if number is not None:
            frame_num = 0
            yield _Frame((h264.idr_slice_head(number % 65536, log2_max_frame_num),), keyframe=number, second=second)
            continue
        frame_num = (frame_num + 1) % (1 << log2_max_frame_num)
        changes = overlay.changes(second) if index % fps == 0 else {}
        if changes:
            parts = h264.update_slice_parts(frame_num, mb_count, log2_max_frame_num, list(changes))
            yield _Frame(tuple(parts), tuple(changes.values()), second=second)
        else:
            yield _Frame((h264.skip_slice(frame_num, mb_count, log2_max_frame_num),), second=second)


def _write_video_samples(out: BinaryIO, video: _VideoPlan, frames: range, seed: int, overlay: Overlay) -> None:
    """Stream frames as length-prefixed NAL units, building each keyframe picture only when it is written."""
    for index in frames:
        frame = video.frames[index]
        out.write(struct.pack(">I", video.sizes[index] - 4))
        if frame.keyframe is not None:
            out.write(frame.parts[0])
            look = look_of(seed, frame.keyframe, video.mb_width, video.mb_height)
            out.write(picture_body(look, video.mb_width, video.mb_height, overlay.at(frame.second)))
            continue
        for part, samples in itertools.zip_longest(frame.parts, frame.macroblocks, fillvalue=b""):
            out.write(part)
            out.write(samples)


# ---------------------------------------------------------------------------------------------------------------
# Audio


def _silent_aac_frame() -> bytes:
    """raw_data_block: SCE(tag 0, global_gain, ics_info with max_sfb 0, no pulse/tns/gain control), END, align."""
    bits = h264.BitWriter()
    bits.u(3, 0)  # id_syn_ele: ID_SCE
    bits.u(4, 0)  # element_instance_tag
    bits.u(8, _SILENT_GLOBAL_GAIN)
    bits.u(1, 0)  # ics_reserved_bit
    bits.u(2, 0)  # window_sequence: ONLY_LONG_SEQUENCE
    bits.u(1, 0)  # window_shape
    bits.u(6, 0)  # max_sfb: no bands, so no section, scale factor or spectral data
    bits.u(1, 0)  # predictor_data_present
    bits.u(1, 0)  # pulse_data_present
    bits.u(1, 0)  # tns_data_present
    bits.u(1, 0)  # gain_control_data_present
    bits.u(3, 7)  # id_syn_ele: ID_END
    bits.align_zero()
    return bits.to_bytes()


_SILENT_AAC_FRAME = _silent_aac_frame()
_AUDIO_SPECIFIC_CONFIG = bytes([0x11, 0x88])  # AAC-LC (2), 48000 Hz (index 3), mono (1), 1024-sample frames


def _audio_frame_count(frame_count: int, fps: int) -> int:
    """The whole number of AAC frames nearest the video's duration: the tracks end within 512 samples (10.7 ms)."""
    frames, remainder = divmod(frame_count * _AUDIO_RATE, fps * _AUDIO_FRAME_SAMPLES)
    return max(1, frames + (2 * remainder >= fps * _AUDIO_FRAME_SAMPLES))


# ---------------------------------------------------------------------------------------------------------------
# Layout: chunks and offsets


@dataclass(frozen=True)
class _Chunk:
    video_first: int
    video_count: int
    video_offset: int
    audio_first: int
    audio_count: int
    audio_offset: int


@dataclass(frozen=True)
class _Layout:
    chunks: tuple[_Chunk, ...]
    audio_frames: int
    mdat_payload: int
    large_offsets: bool


def _plan_layout(video: _VideoPlan, audio_frames: int) -> _Layout:
    """One chunk per second of video, each followed by the audio for that second; offsets need the moov size."""
    spans = _chunk_spans(video.frame_count, video.fps, audio_frames)
    payload = sum(video.sizes) + len(_SILENT_AAC_FRAME) * audio_frames
    large = False
    while True:
        draft = _Layout(_place_chunks(video, spans, 0), audio_frames, payload, large)
        start = len(boxes.ftyp()) + len(_moov(video, draft)) + len(boxes.mdat_header(payload))
        layout = _Layout(_place_chunks(video, spans, start), audio_frames, payload, large)
        if large or start + payload <= boxes.MAX_UINT32:  # every offset lies below start + payload
            return layout
        large = True


def _chunk_spans(frame_count: int, fps: int, audio_frames: int) -> list[tuple[int, int, int, int]]:
    """(first video frame, video frames, first audio frame, audio frames) per chunk; the last takes all the rest."""
    spans: list[tuple[int, int, int, int]] = []
    audio_done = 0
    for first in range(0, frame_count, fps):
        end = min(first + fps, frame_count)
        audio_end = audio_frames if end == frame_count else min(audio_frames, _audio_frames_before(end, fps))
        spans.append((first, end - first, audio_done, audio_end - audio_done))
        audio_done = audio_end
    return spans


def _audio_frames_before(video_frame: int, fps: int) -> int:
    """AAC frames that start no later than video frame `video_frame` does."""
    return video_frame * _AUDIO_RATE // (fps * _AUDIO_FRAME_SAMPLES)


def _place_chunks(video: _VideoPlan, spans: Sequence[tuple[int, int, int, int]], start: int) -> tuple[_Chunk, ...]:
    chunks: list[_Chunk] = []
    offset = start
    for video_first, video_count, audio_first, audio_count in spans:
        video_offset = offset
        offset += sum(video.sizes[video_first : video_first + video_count])
        chunks.append(_Chunk(video_first, video_count, video_offset, audio_first, audio_count, offset))
        offset += len(_SILENT_AAC_FRAME) * audio_count
    return tuple(chunks)


# ---------------------------------------------------------------------------------------------------------------
# The movie box


def _avcc(video: _VideoPlan) -> bytes:
    sps, pps = video.sps, video.pps
    return (
        bytes([1, sps[1], sps[2], sps[3], 0xFF, 0xE1])  # version, profile, compatibility, level, 4-byte lengths, 1 SPS
        + struct.pack(">H", len(sps))
        + sps
        + bytes([1])
        + struct.pack(">H", len(pps))
        + pps
    )


def _avc1(video: _VideoPlan) -> bytes:
    compressor = b"\x0bwan-mcp pcm".ljust(32, b"\x00")
    return boxes.box(
        b"avc1",
        bytes(6),
        struct.pack(">H", 1),  # data_reference_index
        bytes(16),  # pre_defined, reserved
        struct.pack(">HHII4xH", video.width, video.height, 0x00480000, 0x00480000, 1),
        compressor,
        struct.pack(">Hh", 0x0018, -1),
        boxes.box(b"avcC", _avcc(video)),
    )


def _mp4a() -> bytes:
    bitrate = len(_SILENT_AAC_FRAME) * 8 * _AUDIO_RATE // _AUDIO_FRAME_SAMPLES
    decoder_config = boxes.descriptor(
        0x04,
        bytes([0x40, 0x15]),  # MPEG-4 audio; audio stream, reserved bit
        struct.pack(">I", len(_SILENT_AAC_FRAME))[1:],  # bufferSizeDB (24 bits)
        struct.pack(">II", bitrate, bitrate),
        boxes.descriptor(0x05, _AUDIO_SPECIFIC_CONFIG),
    )
    es = boxes.descriptor(0x03, struct.pack(">HB", 2, 0), decoder_config, boxes.descriptor(0x06, b"\x02"))
    esds = boxes.full_box(b"esds", 0, 0, es)
    fields = struct.pack(">6xH8xHHHHI", 1, 1, 16, 0, 0, _AUDIO_RATE << 16)
    return boxes.box(b"mp4a", fields, esds)


def _video_trak(video: _VideoPlan, layout: _Layout) -> bytes:
    duration = video.frame_count * _VIDEO_TICKS_PER_FRAME
    stbl = boxes.box(
        b"stbl",
        boxes.full_box(b"stsd", 0, 0, struct.pack(">I", 1), _avc1(video)),
        boxes.stts(video.frame_count, _VIDEO_TICKS_PER_FRAME),
        boxes.stss(video.keyframes),
        boxes.stsc([c.video_count for c in layout.chunks]),
        boxes.stsz_varied(video.sizes),
        boxes.chunk_offsets([c.video_offset for c in layout.chunks], layout.large_offsets),
    )
    minf = boxes.box(b"minf", boxes.full_box(b"vmhd", 0, 1, bytes(8)), boxes.dinf(), stbl)
    mdia = boxes.box(b"mdia", boxes.mdhd(video.timescale, duration), boxes.hdlr(b"vide", "VideoHandler"), minf)
    tkhd = boxes.tkhd(1, _to_movie_time(duration, video.timescale), volume=0, width=video.width, height=video.height)
    return boxes.box(b"trak", tkhd, mdia)


def _audio_trak(layout: _Layout) -> bytes:
    duration = layout.audio_frames * _AUDIO_FRAME_SAMPLES
    audio_chunks = [c for c in layout.chunks if c.audio_count]
    stbl = boxes.box(
        b"stbl",
        boxes.full_box(b"stsd", 0, 0, struct.pack(">I", 1), _mp4a()),
        boxes.stts(layout.audio_frames, _AUDIO_FRAME_SAMPLES),
        boxes.stsc([c.audio_count for c in audio_chunks]),
        boxes.stsz_constant(len(_SILENT_AAC_FRAME), layout.audio_frames),
        boxes.chunk_offsets([c.audio_offset for c in audio_chunks], layout.large_offsets),
    )
    minf = boxes.box(b"minf", boxes.full_box(b"smhd", 0, 0, bytes(4)), boxes.dinf(), stbl)
    mdia = boxes.box(b"mdia", boxes.mdhd(_AUDIO_RATE, duration), boxes.hdlr(b"soun", "SoundHandler"), minf)
    tkhd = boxes.tkhd(2, _to_movie_time(duration, _AUDIO_RATE), volume=0x0100, width=0, height=0)
    return boxes.box(b"trak", tkhd, mdia)


def _to_movie_time(duration: int, timescale: int) -> int:
    return round(duration * boxes.MOVIE_TIMESCALE / timescale)


def _moov(video: _VideoPlan, layout: _Layout) -> bytes:
    video_ms = _to_movie_time(video.frame_count * _VIDEO_TICKS_PER_FRAME, video.timescale)
    tracks = [_video_trak(video, layout)]
    movie_ms = video_ms
    if layout.audio_frames:
        tracks.append(_audio_trak(layout))
        movie_ms = max(movie_ms, _to_movie_time(layout.audio_frames * _AUDIO_FRAME_SAMPLES, _AUDIO_RATE))
    return boxes.box(b"moov", boxes.mvhd(movie_ms, len(tracks) + 1), *tracks)
