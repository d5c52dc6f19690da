"""The H.264 bitstream of the emulator's videos: bits, NAL units, parameter sets and the three kinds of slice.

Constrained Baseline (CAVLC, pic_order_cnt_type 2, one reference frame, no deblocking). The three slices:

- a keyframe: an IDR slice whose every macroblock is I_PCM (raw 8-bit samples, so no transform or entropy coder);
- a copy: a P slice with one mb_skip_run over the whole picture, a few bytes;
- an update: a P slice that skips everything except a few I_PCM macroblocks (where the time code changed).

Samples always lie in 16..240, so they never form a start code: only the header bits around them need
emulation prevention, and those are escaped on their own (a sample byte on each side never joins an escape).
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["MACROBLOCK_BYTES", "SAMPLE_MAX", "SAMPLE_MIN", "BitWriter"]

SAMPLE_MIN = 16
SAMPLE_MAX = 240
MACROBLOCK_BYTES = 384  # 16x16 luma + two 8x8 chroma planes, 8 bits each
MAX_LOG2_MAX_FRAME_NUM = 16  # frame_num wraps modulo 2**16 only in keyframe intervals longer than that

_PROFILE_BASELINE = 66
_CONSTRAINT_FLAGS = 0xC0  # constraint_set0 + constraint_set1: Constrained Baseline
_MB_TYPE_I_PCM = 25  # in an I slice
_MB_TYPE_I_PCM_IN_P = 5 + _MB_TYPE_I_PCM  # P slices number the intra types after their five inter types
_SLICE_TYPE_P = 5  # 5 and 7: every slice of the picture has this type
_SLICE_TYPE_I = 7
_NAL_SLICE = 1
_NAL_IDR = 5
_NAL_SPS = 7
_NAL_PPS = 8
MB_PREFIX = b"\x0d\x00"  # ue(25) then pcm_alignment_zero_bits, for every I_PCM macroblock that starts byte-aligned

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


class BitWriter:
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


def escape(rbsp: bytes) -> bytes:
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


def nal(ref_idc: int, unit_type: int, rbsp: bytes) -> bytes:
    return bytes([(ref_idc << 5) | unit_type]) + escape(rbsp)


def pcm_body_size(mb_count: int) -> int:
    """Bytes of an I_PCM picture after its first macroblock's mb_type: samples, later mb_types, trailing byte."""
    return MACROBLOCK_BYTES * mb_count + len(MB_PREFIX) * (mb_count - 1) + 1


def choose_level(frame_mbs: int, mbs_per_second: int, largest_frame_bits: int, bitrate: float) -> int:
    """The lowest level whose frame size, macroblock rate, CPB and bit rate limits admit the stream."""
    for level_idc, max_mbps, max_fs, max_br, max_cpb in _LEVELS:
        fits_picture = frame_mbs <= max_fs and mbs_per_second <= max_mbps
        if fits_picture and largest_frame_bits <= max_cpb * 1000 and bitrate <= max_br * 1000:
            return level_idc
    return _LEVELS[-1][0]


def sps(
    *, width: int, height: int, fps: int, mb_width: int, mb_height: int, log2_max_frame_num: int, level: int
) -> bytes:
    bits = BitWriter()
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
    return nal(3, _NAL_SPS, bits.to_bytes())


def _vui(bits: BitWriter, fps: int) -> None:
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


def pps() -> bytes:
    bits = BitWriter()
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
    return nal(3, _NAL_PPS, bits.to_bytes())


def idr_slice_head(idr_pic_id: int, log2_max_frame_num: int) -> bytes:
    """Slice header of an all-I_PCM IDR picture plus the first macroblock's mb_type and alignment.

    The bytes that follow are samples in 16..240 joined by 0D 00 macroblock prefixes, so no 00 00 0x (x <= 3)
    can start in or reach into them: escaping the head alone escapes the whole NAL unit.
    """
    bits = BitWriter()
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
    return nal(3, _NAL_IDR, bits.to_bytes())


def _p_slice_header(frame_num: int, log2_max_frame_num: int) -> BitWriter:
    bits = BitWriter()
    bits.ue(0)  # first_mb_in_slice
    bits.ue(_SLICE_TYPE_P)
    bits.ue(0)  # pic_parameter_set_id
    bits.u(log2_max_frame_num, frame_num)
    bits.u(1, 0)  # num_ref_idx_active_override_flag
    bits.u(1, 0)  # ref_pic_list_modification_flag_l0
    bits.u(1, 0)  # adaptive_ref_pic_marking_mode_flag: sliding window
    bits.se(0)  # slice_qp_delta
    bits.ue(1)  # disable_deblocking_filter_idc: off
    return bits


def skip_slice(frame_num: int, mb_count: int, log2_max_frame_num: int) -> bytes:
    """A whole P slice whose every macroblock is skipped: a copy of the previous frame."""
    bits = _p_slice_header(frame_num, log2_max_frame_num)
    bits.ue(mb_count)  # mb_skip_run
    bits.trailing_bits()
    return nal(2, _NAL_SLICE, bits.to_bytes())


def update_slice_parts(frame_num: int, mb_count: int, log2_max_frame_num: int, addresses: Sequence[int]) -> list[bytes]:
    """A P slice that re-codes the macroblocks at `addresses` (ascending) as I_PCM and skips all the others.

    Returns the escaped bytes that go before each macroblock's samples, then the slice's tail: the caller
    interleaves them with the samples (part, samples, part, samples, …, tail).
    """
    parts: list[bytes] = []
    bits = _p_slice_header(frame_num, log2_max_frame_num)
    coded_up_to = 0
    for address in addresses:
        bits.ue(address - coded_up_to)  # mb_skip_run before this macroblock (0 when adjacent)
        bits.ue(_MB_TYPE_I_PCM_IN_P)
        bits.align_zero()  # pcm_alignment_zero_bit
        parts.append(nal(2, _NAL_SLICE, bits.to_bytes()) if not parts else escape(bits.to_bytes()))
        bits = BitWriter()
        coded_up_to = address + 1
    if coded_up_to < mb_count:
        bits.ue(mb_count - coded_up_to)
    bits.trailing_bits()
    parts.append(nal(2, _NAL_SLICE, bits.to_bytes()) if not parts else escape(bits.to_bytes()))
    return parts
