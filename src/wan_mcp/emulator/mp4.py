"""Synthesizes real, playable MP4 files (H.264 video, optional silent AAC audio) with the standard library only.

Encoding notes:

- Video is H.264 Constrained Baseline (CAVLC, pic_order_cnt_type 2, one reference frame, no deblocking).
  Keyframes are IDR slices whose every macroblock is I_PCM: raw 8-bit samples, so no transform or entropy coder
  is needed and every keyframe of a given size has the same, known byte count. Every other frame is a P slice with
  one mb_skip_run covering the picture: an exact copy of the previous frame, a few bytes each. All P frames are
  reference frames because pic_order_cnt_type 2 forbids two non-reference pictures in a row.
- Sizes that are not multiples of 16 are coded up to the next macroblock and cropped in the SPS.
- Picture content is a gradient background, a vertical bar and a horizontal band whose colours and positions come
  from `seed` and the keyframe index; every sample stays in 16..240, so sample bytes never form a start code and
  the only emulation-prevention work is on the few header bytes.
- Audio is AAC-LC, mono, 48 kHz: each access unit is a 4-byte raw_data_block (one SCE with max_sfb 0, then END).
- The container is faststart (ftyp, moov, mdat). Because every sample size is known before any picture is built,
  the moov is computed first and the mdat is then streamed to the file one keyframe picture at a time.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import math
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

__all__ = ["write_mp4"]

_AUDIO_RATE = 48_000
_AUDIO_FRAME_SAMPLES = 1024
_MOVIE_TIMESCALE = 1000
_VIDEO_TICKS_PER_FRAME = 1000  # the video timescale is fps * 1000
_MAX_LOG2_MAX_FRAME_NUM = 16  # frame_num wraps modulo 2**16 only in keyframe intervals longer than that

_PROFILE_BASELINE = 66
_CONSTRAINT_FLAGS = 0xC0  # constraint_set0 + constraint_set1: Constrained Baseline
_MB_TYPE_I_PCM = 25
_SLICE_TYPE_P = 5  # 5 and 7: every slice of the picture has this type
_SLICE_TYPE_I = 7
_NAL_SLICE = 1
_NAL_IDR = 5
_NAL_SPS = 7
_NAL_PPS = 8
_MB_PREFIX = b"\x0d\x00"  # ue(25) then pcm_alignment_zero_bits, for every I_PCM macroblock that starts byte-aligned
_SAMPLE_MIN = 16
_SAMPLE_MAX = 240
_SILENT_GLOBAL_GAIN = 100
_MAX_UINT32 = 0xFFFFFFFF

# level_idc, MaxMBPS, MaxFS, MaxBR (kbit/s), MaxCPB (kbit); H.264 Table A-1.
_LEVELS: tuple[tuple[int, int, int, int, int], ...] = (
    (10, 1_485, 99, 64, 175),
    (11, 3_000, 396, 192, 500),
    (12, 6_000, 396, 384, 1_000),
    (13, 11_880, 396, 768, 2_000),
    (20, 11_880, 396, 2_000, 2_000),
    (21, 19_800, 792, 4_000, 4_000),
    (22, 20_250, 1_620, 4_000, 4_000),
    (30, 40_500, 1_620, 10_000, 10_000),
    (31, 108_000, 3_600, 14_000, 14_000),
    (32, 216_000, 5_120, 20_000, 20_000),
    (40, 245_760, 8_192, 20_000, 25_000),
    (41, 245_760, 8_192, 50_000, 62_500),
    (42, 522_240, 8_704, 50_000, 62_500),
    (50, 589_824, 22_080, 135_000, 135_000),
    (51, 983_040, 36_864, 240_000, 240_000),
    (52, 2_073_600, 36_864, 240_000, 240_000),
    (60, 4_177_920, 139_264, 240_000, 240_000),
    (61, 8_355_840, 139_264, 480_000, 480_000),
    (62, 16_711_680, 139_264, 800_000, 800_000),
)

_IDENTITY_MATRIX = struct.pack(">9I", 0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000)


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
) -> int:
    """Write an MP4 to `path` (atomically is not needed); return its size in bytes."""
    _check_arguments(width, height, seconds, fps, keyframe_seconds)
    frame_count = round(seconds * fps)
    keyframes = _keyframe_frames(frame_count, fps, keyframe_seconds)
    video = _plan_video(width, height, fps, frame_count, keyframes)
    audio_frames = _audio_frame_count(frame_count, fps) if audio else 0
    layout = _plan_layout(video, audio_frames)
    head = _ftyp() + _moov(video, layout) + _mdat_header(layout.mdat_payload)
    with path.open("wb") as out:
        out.write(head)
        for chunk in layout.chunks:
            _write_video_samples(out, video, range(chunk.video_first, chunk.video_first + chunk.video_count), seed)
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
# Bits and NAL units


class _BitWriter:
    """Big-endian bit writer with the H.264 Exp-Golomb codes."""

    def __init__(self) -> None:
        self._value = 0
        self._length = 0

    def u(self, bits: int, value: int) -> None:
        self._value = (self._value << bits) | (value & ((1 << bits) - 1))
        self._length += bits

    def ue(self, value: int) -> None:
        code = value + 1
        self.u(2 * code.bit_length() - 1, code)

    def se(self, value: int) -> None:
        self.ue(2 * value - 1 if value > 0 else -2 * value)

    def align_zero(self) -> None:
        self.u(-self._length % 8, 0)

    def trailing_bits(self) -> None:
        self.u(1, 1)
        self.align_zero()

    def to_bytes(self) -> bytes:
        if self._length % 8:
            raise ValueError("bit string is not byte-aligned")
        return self._value.to_bytes(self._length // 8, "big")


def _escape(rbsp: bytes) -> bytes:
    """Insert emulation-prevention bytes: 00 00 0x (x <= 3) becomes 00 00 03 0x."""
    out = bytearray()
    zeros = 0
    for byte in rbsp:
        if zeros >= 2 and byte <= 3:
            out.append(3)
            zeros = 0
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


def _nal(ref_idc: int, unit_type: int, rbsp: bytes) -> bytes:
    return bytes([(ref_idc << 5) | unit_type]) + _escape(rbsp)


# ---------------------------------------------------------------------------------------------------------------
# H.264 parameter sets and slices


@dataclass(frozen=True)
class _VideoPlan:
    width: int
    height: int
    fps: int
    frame_count: int
    keyframes: tuple[int, ...]
    mb_width: int
    mb_height: int
    log2_max_frame_num: int
    level_idc: int
    sps: bytes
    pps: bytes
    headers: tuple[bytes, ...]  # per frame: the NAL header and everything before the keyframe picture body
    sizes: tuple[int, ...]  # per frame: sample size in the mdat, length prefix included

    def keyframe_number(self, frame: int) -> int | None:
        """Which keyframe `frame` is (0 for the first), or None for a P frame."""
        number = bisect.bisect_left(self.keyframes, frame)
        return number if number < len(self.keyframes) and self.keyframes[number] == frame else None

    @property
    def timescale(self) -> int:
        return self.fps * _VIDEO_TICKS_PER_FRAME


def _pcm_body_size(mb_count: int) -> int:
    """Bytes of an I_PCM picture after its first macroblock's mb_type: samples, later mb_types, trailing byte."""
    return 384 * mb_count + len(_MB_PREFIX) * (mb_count - 1) + 1


def _plan_video(width: int, height: int, fps: int, frame_count: int, keyframes: Sequence[int]) -> _VideoPlan:
    """Parameter sets, level, every frame's slice head and every sample size: all known before any picture exists."""
    mb_width, mb_height = -(-width // 16), -(-height // 16)
    mb_count = mb_width * mb_height
    bounds = [*keyframes, frame_count]
    longest_gop = max(end - start for start, end in itertools.pairwise(bounds))
    log2_max_frame_num = min(_MAX_LOG2_MAX_FRAME_NUM, max(4, longest_gop.bit_length()))
    keyframe_bits = 8 * (_pcm_body_size(mb_count) + 64)
    bitrate = keyframe_bits * len(keyframes) * fps / frame_count
    level_idc = _choose_level(mb_count, mb_count * fps, keyframe_bits, bitrate)
    headers = tuple(_slice_headers(frame_count, keyframes, mb_count, log2_max_frame_num))
    key_set = set(keyframes)
    body = _pcm_body_size(mb_count)
    sizes = tuple(4 + len(h) + (body if i in key_set else 0) for i, h in enumerate(headers))
    return _VideoPlan(
        width=width,
        height=height,
        fps=fps,
        frame_count=frame_count,
        keyframes=tuple(keyframes),
        mb_width=mb_width,
        mb_height=mb_height,
        log2_max_frame_num=log2_max_frame_num,
        level_idc=level_idc,
        sps=_sps(
            width=width,
            height=height,
            fps=fps,
            mb_width=mb_width,
            mb_height=mb_height,
            log2_max_frame_num=log2_max_frame_num,
            level=level_idc,
        ),
        pps=_pps(),
        headers=headers,
        sizes=sizes,
    )


def _choose_level(frame_mbs: int, mbs_per_second: int, keyframe_bits: int, bitrate: float) -> int:
    """The lowest level whose frame size, macroblock rate, CPB and bit rate limits admit the stream."""
    for level_idc, max_mbps, max_fs, max_br, max_cpb in _LEVELS:
        fits_picture = frame_mbs <= max_fs and mbs_per_second <= max_mbps
        if fits_picture and keyframe_bits <= max_cpb * 1000 and bitrate <= max_br * 1000:
            return level_idc
    return _LEVELS[-1][0]


def _sps(
    *, width: int, height: int, fps: int, mb_width: int, mb_height: int, log2_max_frame_num: int, level: int
) -> bytes:
    bits = _BitWriter()
    bits.u(8, _PROFILE_BASELINE)
    bits.u(8, _CONSTRAINT_FLAGS)
    bits.u(8, level)
    bits.ue(0)  # seq_parameter_set_id
    bits.ue(log2_max_frame_num - 4)
    bits.ue(2)  # pic_order_cnt_type: output order is decoding order
    bits.ue(1)  # max_num_ref_frames
    bits.u(1, 0)  # gaps_in_frame_num_value_allowed_flag
    bits.ue(mb_width - 1)
    bits.ue(mb_height - 1)
    bits.u(1, 1)  # frame_mbs_only_flag
    bits.u(1, 1)  # direct_8x8_inference_flag
    crop_right, crop_bottom = (16 * mb_width - width) // 2, (16 * mb_height - height) // 2  # in 4:2:0 crop units
    bits.u(1, 1 if crop_right or crop_bottom else 0)
    if crop_right or crop_bottom:
        for offset in (0, crop_right, 0, crop_bottom):
            bits.ue(offset)
    bits.u(1, 1)  # vui_parameters_present_flag
    _vui(bits, fps)
    bits.trailing_bits()
    return _nal(3, _NAL_SPS, bits.to_bytes())


def _vui(bits: _BitWriter, fps: int) -> None:
    bits.u(1, 0)  # aspect_ratio_info_present_flag
    bits.u(1, 0)  # overscan_info_present_flag
    bits.u(1, 1)  # video_signal_type_present_flag
    bits.u(3, 5)  # video_format: unspecified
    bits.u(1, 0)  # video_full_range_flag: limited range
    bits.u(1, 1)  # colour_description_present_flag
    bits.u(8, 1)  # colour_primaries: BT.709
    bits.u(8, 1)  # transfer_characteristics: BT.709
    bits.u(8, 1)  # matrix_coefficients: BT.709
    bits.u(1, 0)  # chroma_loc_info_present_flag
    bits.u(1, 1)  # timing_info_present_flag
    bits.u(32, 1)  # num_units_in_tick
    bits.u(32, 2 * fps)  # time_scale: two ticks per frame
    bits.u(1, 1)  # fixed_frame_rate_flag
    bits.u(1, 0)  # nal_hrd_parameters_present_flag
    bits.u(1, 0)  # vcl_hrd_parameters_present_flag
    bits.u(1, 0)  # pic_struct_present_flag
    bits.u(1, 1)  # bitstream_restriction_flag
    bits.u(1, 1)  # motion_vectors_over_pic_boundaries_flag
    bits.ue(0)  # max_bytes_per_pic_denom
    bits.ue(0)  # max_bits_per_mb_denom
    bits.ue(16)  # log2_max_mv_length_horizontal
    bits.ue(16)  # log2_max_mv_length_vertical
    bits.ue(0)  # max_num_reorder_frames: no delay before output
    bits.ue(1)  # max_dec_frame_buffering


def _pps() -> bytes:
    bits = _BitWriter()
    bits.ue(0)  # pic_parameter_set_id
    bits.ue(0)  # seq_parameter_set_id
    bits.u(1, 0)  # entropy_coding_mode_flag: CAVLC
    bits.u(1, 0)  # bottom_field_pic_order_in_frame_present_flag
    bits.ue(0)  # num_slice_groups_minus1
    bits.ue(0)  # num_ref_idx_l0_default_active_minus1
    bits.ue(0)  # num_ref_idx_l1_default_active_minus1
    bits.u(1, 0)  # weighted_pred_flag
    bits.u(2, 0)  # weighted_bipred_idc
    bits.se(0)  # pic_init_qp_minus26
    bits.se(0)  # pic_init_qs_minus26
    bits.se(0)  # chroma_qp_index_offset
    bits.u(1, 1)  # deblocking_filter_control_present_flag
    bits.u(1, 0)  # constrained_intra_pred_flag
    bits.u(1, 0)  # redundant_pic_cnt_present_flag
    bits.trailing_bits()
    return _nal(3, _NAL_PPS, bits.to_bytes())


def _slice_headers(
    frame_count: int, keyframes: Sequence[int], mb_count: int, log2_max_frame_num: int
) -> Iterator[bytes]:
    """Per frame: an IDR slice up to its first I_PCM sample, or a whole all-skip P slice."""
    key_set = set(keyframes)
    frame_num = 0
    idr_pic_id = 0
    for index in range(frame_count):
        if index in key_set:
            frame_num = 0
            yield _idr_slice_head(idr_pic_id, log2_max_frame_num)
            idr_pic_id = (idr_pic_id + 1) % 65536
        else:
            frame_num = (frame_num + 1) % (1 << log2_max_frame_num)
            yield _skip_slice(frame_num, mb_count, log2_max_frame_num)


def _idr_slice_head(idr_pic_id: int, log2_max_frame_num: int) -> bytes:
    """Slice header of an all-I_PCM IDR picture plus the first macroblock's mb_type and alignment.

    The bytes that follow are samples in 16..240 joined by 0D 00 macroblock prefixes, so no 00 00 0x (x <= 3)
    can start in or reach into them: escaping the head alone escapes the whole NAL unit.
    """
    bits = _BitWriter()
    bits.ue(0)  # first_mb_in_slice
    bits.ue(_SLICE_TYPE_I)
    bits.ue(0)  # pic_parameter_set_id
    bits.u(log2_max_frame_num, 0)  # frame_num
    bits.ue(idr_pic_id)
    bits.u(1, 0)  # no_output_of_prior_pics_flag
    bits.u(1, 0)  # long_term_reference_flag
    bits.se(0)  # slice_qp_delta
    bits.ue(1)  # disable_deblocking_filter_idc: off
    bits.ue(_MB_TYPE_I_PCM)
    bits.align_zero()  # pcm_alignment_zero_bit
    return _nal(3, _NAL_IDR, bits.to_bytes())


def _skip_slice(frame_num: int, mb_count: int, log2_max_frame_num: int) -> bytes:
    """A whole P slice whose every macroblock is skipped: a copy of the previous frame."""
    bits = _BitWriter()
    bits.ue(0)  # first_mb_in_slice
    bits.ue(_SLICE_TYPE_P)
    bits.ue(0)  # pic_parameter_set_id
    bits.u(log2_max_frame_num, frame_num)
    bits.u(1, 0)  # num_ref_idx_active_override_flag
    bits.u(1, 0)  # ref_pic_list_modification_flag_l0
    bits.u(1, 0)  # adaptive_ref_pic_marking_mode_flag: sliding window
    bits.se(0)  # slice_qp_delta
    bits.ue(1)  # disable_deblocking_filter_idc: off
    bits.ue(mb_count)  # mb_skip_run
    bits.trailing_bits()
    return _nal(2, _NAL_SLICE, bits.to_bytes())


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


# ---------------------------------------------------------------------------------------------------------------
# Pictures


@dataclass(frozen=True)
class _Look:
    """What one keyframe shows: a background gradient, a vertical bar and a horizontal band."""

    background: tuple[int, int, int, int]  # luma at the left edge, luma at the right edge, Cb, Cr
    bar: tuple[int, int, int]
    band: tuple[int, int, int]
    bar_columns: range
    band_rows: range


def _clamp(value: int) -> int:
    return max(_SAMPLE_MIN, min(_SAMPLE_MAX, value))


def _look(seed: int, keyframe: int, mb_width: int, mb_height: int) -> _Look:
    """The deterministic look of keyframe number `keyframe` of the video made with `seed`."""
    digest = hashlib.sha256(f"wan-mcp emulator mp4 {seed} {keyframe}".encode()).digest()
    bright = 90 if keyframe % 2 else 0  # consecutive keyframes differ in overall brightness
    left, right = _clamp(30 + bright + digest[0] % 50), _clamp(70 + bright + digest[1] % 60)
    background = (left, right, _clamp(64 + digest[2] % 128), _clamp(64 + digest[3] % 128))
    bar = (_clamp(255 - left), _clamp(255 - background[2]), _clamp(255 - background[3]))
    band = (_clamp(40 + digest[4] % 180), _clamp(40 + digest[5] % 180), _clamp(40 + digest[6] % 180))
    bar_width, band_height = max(1, mb_width // 8), max(1, mb_height // 8)
    bar_x = (digest[7] + 3 * keyframe * bar_width) % (mb_width - bar_width + 1)
    band_y = (digest[8] + 2 * keyframe * band_height) % (mb_height - band_height + 1)
    return _Look(background, bar, band, range(bar_x, bar_x + bar_width), range(band_y, band_y + band_height))


def _flat_macroblock(luma: int, cb: int, cr: int) -> bytes:
    return bytes([luma]) * 256 + bytes([cb]) * 64 + bytes([cr]) * 64


def _gradient_macroblock(mb_x: int, width: int, look: _Look) -> bytes:
    left, right, cb, cr = look.background
    span = max(1, 16 * width - 1)
    row = bytes(_clamp(left + (right - left) * (16 * mb_x + i) // span) for i in range(16))
    return row * 16 + bytes([cb]) * 64 + bytes([cr]) * 64


def _picture_body(look: _Look, mb_width: int, mb_height: int) -> bytes:
    """The I_PCM picture after the slice head: macroblock samples joined by mb_type prefixes, then trailing bits."""
    background = [_gradient_macroblock(x, mb_width, look) for x in range(mb_width)]
    bar = _flat_macroblock(*look.bar)
    band = _flat_macroblock(*look.band)
    plain_row = [bar if x in look.bar_columns else background[x] for x in range(mb_width)]
    band_row = [bar if x in look.bar_columns else band for x in range(mb_width)]
    rows = [band_row if y in look.band_rows else plain_row for y in range(mb_height)]
    return _MB_PREFIX.join(mb for row in rows for mb in row) + b"\x80"


def _write_video_samples(out: BinaryIO, video: _VideoPlan, frames: range, seed: int) -> None:
    """Stream frames as length-prefixed NAL units, building each keyframe picture only when it is written."""
    for frame in frames:
        out.write(struct.pack(">I", video.sizes[frame] - 4))
        out.write(video.headers[frame])
        keyframe = video.keyframe_number(frame)
        if keyframe is not None:
            look = _look(seed, keyframe, video.mb_width, video.mb_height)
            out.write(_picture_body(look, video.mb_width, video.mb_height))


# ---------------------------------------------------------------------------------------------------------------
# Audio


def _silent_aac_frame() -> bytes:
    """raw_data_block: SCE(tag 0, global_gain, ics_info with max_sfb 0, no pulse/tns/gain control), END, align."""
    bits = _BitWriter()
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
        start = len(_ftyp()) + len(_moov(video, draft)) + len(_mdat_header(payload))
        layout = _Layout(_place_chunks(video, spans, start), audio_frames, payload, large)
        if large or start + payload <= _MAX_UINT32:  # every offset lies below start + payload
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
# Boxes


def _box(kind: bytes, *payload: bytes) -> bytes:
    body = b"".join(payload)
    return struct.pack(">I", 8 + len(body)) + kind + body


def _full_box(kind: bytes, version: int, flags: int, *payload: bytes) -> bytes:
    return _box(kind, struct.pack(">I", (version << 24) | flags), *payload)


def _ftyp() -> bytes:
    return _box(b"ftyp", b"isom", struct.pack(">I", 0x200), b"isom", b"iso2", b"avc1", b"mp41")


def _mdat_header(payload: int) -> bytes:
    if payload + 8 <= _MAX_UINT32:
        return struct.pack(">I", payload + 8) + b"mdat"
    return struct.pack(">I", 1) + b"mdat" + struct.pack(">Q", payload + 16)


def _timed_fields(duration: int, *fields: int) -> tuple[int, bytes]:
    """Box version and packed creation/modification times, `fields`, duration: version 1 (64-bit) only if needed."""
    if duration <= _MAX_UINT32:
        return 0, struct.pack(f">II{len(fields)}II", 0, 0, *fields, duration)
    return 1, struct.pack(f">QQ{len(fields)}IQ", 0, 0, *fields, duration)


def _mvhd(duration_ms: int, next_track_id: int) -> bytes:
    version, times = _timed_fields(duration_ms, _MOVIE_TIMESCALE)
    rest = struct.pack(">IH10x", 0x00010000, 0x0100) + _IDENTITY_MATRIX + bytes(24) + struct.pack(">I", next_track_id)
    return _full_box(b"mvhd", version, 0, times, rest)


def _tkhd(track_id: int, duration_ms: int, *, volume: int, width: int, height: int) -> bytes:
    version, times = _timed_fields(duration_ms, track_id, 0)  # track_ID, reserved
    rest = struct.pack(">8xhhH2x", 0, 0, volume) + _IDENTITY_MATRIX + struct.pack(">II", width << 16, height << 16)
    return _full_box(b"tkhd", version, 0x000003, times, rest)  # track_enabled | track_in_movie


def _mdhd(timescale: int, duration: int) -> bytes:
    version, times = _timed_fields(duration, timescale)
    return _full_box(b"mdhd", version, 0, times, struct.pack(">HH", 0x55C4, 0))  # language 'und'


def _hdlr(handler: bytes, name: str) -> bytes:
    return _full_box(b"hdlr", 0, 0, struct.pack(">I", 0), handler, bytes(12), name.encode() + b"\x00")


def _dinf() -> bytes:
    return _box(b"dinf", _full_box(b"dref", 0, 0, struct.pack(">I", 1), _full_box(b"url ", 0, 1)))


def _stts(count: int, delta: int) -> bytes:
    return _full_box(b"stts", 0, 0, struct.pack(">III", 1, count, delta))


def _stss(keyframes: Sequence[int]) -> bytes:
    numbers = [frame + 1 for frame in keyframes]  # sample numbers are 1-based
    return _full_box(b"stss", 0, 0, struct.pack(f">I{len(numbers)}I", len(numbers), *numbers))


def _stsc(samples_per_chunk: Sequence[int]) -> bytes:
    """Sample-to-chunk runs; chunks without samples of this track are simply absent from its chunk list."""
    runs: list[tuple[int, int]] = []
    for number, count in enumerate(samples_per_chunk, start=1):
        if not runs or runs[-1][1] != count:
            runs.append((number, count))
    entries = b"".join(struct.pack(">III", first, count, 1) for first, count in runs)
    return _full_box(b"stsc", 0, 0, struct.pack(">I", len(runs)), entries)


def _stsz_varied(sizes: Sequence[int]) -> bytes:
    return _full_box(b"stsz", 0, 0, struct.pack(f">II{len(sizes)}I", 0, len(sizes), *sizes))


def _stsz_constant(size: int, count: int) -> bytes:
    return _full_box(b"stsz", 0, 0, struct.pack(">II", size, count))


def _chunk_offsets(offsets: Sequence[int], large: bool) -> bytes:
    if large:
        return _full_box(b"co64", 0, 0, struct.pack(f">I{len(offsets)}Q", len(offsets), *offsets))
    return _full_box(b"stco", 0, 0, struct.pack(f">I{len(offsets)}I", len(offsets), *offsets))


def _avc1(video: _VideoPlan) -> bytes:
    compressor = b"\x0bwan-mcp pcm".ljust(32, b"\x00")
    return _box(
        b"avc1",
        bytes(6),
        struct.pack(">H", 1),  # data_reference_index
        bytes(16),  # pre_defined, reserved
        struct.pack(">HHII4xH", video.width, video.height, 0x00480000, 0x00480000, 1),
        compressor,
        struct.pack(">Hh", 0x0018, -1),
        _box(b"avcC", _avcc(video)),
    )


def _descriptor(tag: int, *payload: bytes) -> bytes:
    body = b"".join(payload)
    return bytes([tag, len(body)]) + body


def _mp4a() -> bytes:
    bitrate = len(_SILENT_AAC_FRAME) * 8 * _AUDIO_RATE // _AUDIO_FRAME_SAMPLES
    decoder_config = _descriptor(
        0x04,
        bytes([0x40, 0x15]),  # MPEG-4 audio; audio stream, reserved bit
        struct.pack(">I", len(_SILENT_AAC_FRAME))[1:],  # bufferSizeDB (24 bits)
        struct.pack(">II", bitrate, bitrate),
        _descriptor(0x05, _AUDIO_SPECIFIC_CONFIG),
    )
    es = _descriptor(0x03, struct.pack(">HB", 2, 0), decoder_config, _descriptor(0x06, b"\x02"))
    esds = _full_box(b"esds", 0, 0, es)
    fields = struct.pack(">6xH8xHHHHI", 1, 1, 16, 0, 0, _AUDIO_RATE << 16)
    return _box(b"mp4a", fields, esds)


def _video_trak(video: _VideoPlan, layout: _Layout) -> bytes:
    duration = video.frame_count * _VIDEO_TICKS_PER_FRAME
    stbl = _box(
        b"stbl",
        _full_box(b"stsd", 0, 0, struct.pack(">I", 1), _avc1(video)),
        _stts(video.frame_count, _VIDEO_TICKS_PER_FRAME),
        _stss(video.keyframes),
        _stsc([c.video_count for c in layout.chunks]),
        _stsz_varied(video.sizes),
        _chunk_offsets([c.video_offset for c in layout.chunks], layout.large_offsets),
    )
    minf = _box(b"minf", _full_box(b"vmhd", 0, 1, bytes(8)), _dinf(), stbl)
    mdia = _box(b"mdia", _mdhd(video.timescale, duration), _hdlr(b"vide", "VideoHandler"), minf)
    tkhd = _tkhd(1, _to_movie_time(duration, video.timescale), volume=0, width=video.width, height=video.height)
    return _box(b"trak", tkhd, mdia)


def _audio_trak(layout: _Layout) -> bytes:
    duration = layout.audio_frames * _AUDIO_FRAME_SAMPLES
    audio_chunks = [c for c in layout.chunks if c.audio_count]
    stbl = _box(
        b"stbl",
        _full_box(b"stsd", 0, 0, struct.pack(">I", 1), _mp4a()),
        _stts(layout.audio_frames, _AUDIO_FRAME_SAMPLES),
        _stsc([c.audio_count for c in audio_chunks]),
        _stsz_constant(len(_SILENT_AAC_FRAME), layout.audio_frames),
        _chunk_offsets([c.audio_offset for c in audio_chunks], layout.large_offsets),
    )
    minf = _box(b"minf", _full_box(b"smhd", 0, 0, bytes(4)), _dinf(), stbl)
    mdia = _box(b"mdia", _mdhd(_AUDIO_RATE, duration), _hdlr(b"soun", "SoundHandler"), minf)
    tkhd = _tkhd(2, _to_movie_time(duration, _AUDIO_RATE), volume=0x0100, width=0, height=0)
    return _box(b"trak", tkhd, mdia)


def _to_movie_time(duration: int, timescale: int) -> int:
    return round(duration * _MOVIE_TIMESCALE / timescale)


def _moov(video: _VideoPlan, layout: _Layout) -> bytes:
    video_ms = _to_movie_time(video.frame_count * _VIDEO_TICKS_PER_FRAME, video.timescale)
    tracks = [_video_trak(video, layout)]
    movie_ms = video_ms
    if layout.audio_frames:
        tracks.append(_audio_trak(layout))
        movie_ms = max(movie_ms, _to_movie_time(layout.audio_frames * _AUDIO_FRAME_SAMPLES, _AUDIO_RATE))
    return _box(b"moov", _mvhd(movie_ms, len(tracks) + 1), *tracks)
