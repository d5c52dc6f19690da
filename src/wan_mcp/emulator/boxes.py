"""ISO base media file format (MP4) boxes, written whole: the generic ones the emulator's files are made of."""

from __future__ import annotations

import struct
from collections.abc import Sequence

MAX_UINT32 = 0xFFFFFFFF  # past this, offsets, sizes and durations take their 64-bit forms
MOVIE_TIMESCALE = 1000

_IDENTITY_MATRIX = struct.pack(">9I", 0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000)


def box(kind: bytes, *payload: bytes) -> bytes:
    body = b"".join(payload)
    return struct.pack(">I", 8 + len(body)) + kind + body


def full_box(kind: bytes, version: int, flags: int, *payload: bytes) -> bytes:
    return box(kind, struct.pack(">I", (version << 24) | flags), *payload)


def ftyp() -> bytes:
    return box(b"ftyp", b"isom", struct.pack(">I", 0x200), b"isom", b"iso2", b"avc1", b"mp41")


def mdat_header(payload: int) -> bytes:
    if payload + 8 <= MAX_UINT32:
        return struct.pack(">I", payload + 8) + b"mdat"
    return struct.pack(">I", 1) + b"mdat" + struct.pack(">Q", payload + 16)


def timed_fields(duration: int, *fields: int) -> tuple[int, bytes]:
    """Box version and packed creation/modification times, `fields`, duration: version 1 (64-bit) only if needed."""
    if duration <= MAX_UINT32:
        return 0, struct.pack(f">II{len(fields)}II", 0, 0, *fields, duration)
    return 1, struct.pack(f">QQ{len(fields)}IQ", 0, 0, *fields, duration)


def mvhd(duration_ms: int, next_track_id: int) -> bytes:
    version, times = timed_fields(duration_ms, MOVIE_TIMESCALE)
    rest = struct.pack(">IH10x", 0x00010000, 0x0100) + _IDENTITY_MATRIX + bytes(24) + struct.pack(">I", next_track_id)
    return full_box(b"mvhd", version, 0, times, rest)


def tkhd(track_id: int, duration_ms: int, *, volume: int, width: int, height: int) -> bytes:
    version, times = timed_fields(duration_ms, track_id, 0)  # track_ID, reserved
    rest = struct.pack(">8xhhH2x", 0, 0, volume) + _IDENTITY_MATRIX + struct.pack(">II", width << 16, height << 16)
    return full_box(b"tkhd", version, 0x000003, times, rest)  # track_enabled | track_in_movie


def mdhd(timescale: int, duration: int) -> bytes:
    version, times = timed_fields(duration, timescale)
    return full_box(b"mdhd", version, 0, times, struct.pack(">HH", 0x55C4, 0))  # language 'und'


def hdlr(handler: bytes, name: str) -> bytes:
    return full_box(b"hdlr", 0, 0, struct.pack(">I", 0), handler, bytes(12), name.encode() + b"\x00")


def dinf() -> bytes:
    return box(b"dinf", full_box(b"dref", 0, 0, struct.pack(">I", 1), full_box(b"url ", 0, 1)))


def stts(count: int, delta: int) -> bytes:
    return full_box(b"stts", 0, 0, struct.pack(">III", 1, count, delta))


def stss(keyframes: Sequence[int]) -> bytes:
    numbers = [frame + 1 for frame in keyframes]  # sample numbers are 1-based
    return full_box(b"stss", 0, 0, struct.pack(f">I{len(numbers)}I", len(numbers), *numbers))


def stsc(samples_per_chunk: Sequence[int]) -> bytes:
    """Sample-to-chunk runs; chunks without samples of this track are simply absent from its chunk list."""
    runs: list[tuple[int, int]] = []
    for number, count in enumerate(samples_per_chunk, start=1):
        if not runs or runs[-1][1] != count:
            runs.append((number, count))
    entries = b"".join(struct.pack(">III", first, count, 1) for first, count in runs)
    return full_box(b"stsc", 0, 0, struct.pack(">I", len(runs)), entries)


def stsz_varied(sizes: Sequence[int]) -> bytes:
    return full_box(b"stsz", 0, 0, struct.pack(f">II{len(sizes)}I", 0, len(sizes), *sizes))


def stsz_constant(size: int, count: int) -> bytes:
    return full_box(b"stsz", 0, 0, struct.pack(">II", size, count))


def chunk_offsets(offsets: Sequence[int], large: bool) -> bytes:
    if large:
        return full_box(b"co64", 0, 0, struct.pack(f">I{len(offsets)}Q", len(offsets), *offsets))
    return full_box(b"stco", 0, 0, struct.pack(f">I{len(offsets)}I", len(offsets), *offsets))


def descriptor(tag: int, *payload: bytes) -> bytes:
    body = b"".join(payload)
    return bytes([tag, len(body)]) + body
