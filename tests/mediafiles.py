"""Tiny media files with exact header facts (dimensions, durations, alpha), written for header-level checks."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(width: int, height: int, *, alpha: bool = False, trns: bool = False) -> bytes:
    """A real, decodable PNG of one gray (or gray+alpha) colour."""
    color_type = 6 if alpha else 0
    channels = 4 if alpha else 1
    ihdr = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    raw = b"".join(b"\x00" + b"\x80" * (width * channels) for _ in range(height)) if width * height <= 1 << 20 else b""
    extra = _chunk(b"tRNS", b"\x00\x00") if trns else b""
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + extra
        + _chunk(b"IDAT", zlib.compress(raw))
        + _chunk(b"IEND", b"")
    )


def jpeg_header(width: int, height: int) -> bytes:
    """The start of a baseline JPEG: SOI, an APP0 segment, then SOF0 with the dimensions."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof0 + b"\xff\xd9"


def bmp_header(width: int, height: int) -> bytes:
    return b"BM" + struct.pack("<IHHI", 54, 0, 0, 54) + struct.pack("<IiiHH", 40, width, height, 1, 24) + b"\0" * 24


def webp_vp8x(width: int, height: int, *, alpha: bool = False) -> bytes:
    payload = (
        bytes([0x10 if alpha else 0, 0, 0, 0]) + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    )
    chunk = b"VP8X" + struct.pack("<I", len(payload)) + payload
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def wav(seconds: float, *, rate: int = 8000) -> bytes:
    """A PCM WAV (mono, 8-bit) of silence lasting exactly `seconds`."""
    data = b"\x80" * round(seconds * rate)
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate, 1, 8)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def mp3_cbr(seconds: float) -> bytes:
    """Constant-bit-rate MPEG-1 layer III frames (128 kbit/s, 44.1 kHz) lasting about `seconds`."""
    frame_len = 144 * 128_000 // 44_100  # 417 bytes, no padding
    header = bytes([0xFF, 0xFB, 0x90, 0x64])
    frames = round(seconds * 44_100 / 1152)
    return (header + b"\0" * (frame_len - 4)) * frames


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def mp4(seconds: float, width: int = 1280, height: int = 720, *, audio: bool = False, timescale: int = 1000) -> bytes:
    """An MP4 whose moov says: this duration, one video track of this size, optionally an audio track."""
    mvhd = _box(b"mvhd", struct.pack(">B3xIIII", 0, 0, 0, timescale, round(seconds * timescale)) + b"\0" * 80)

    def track(handler: bytes, w: int, h: int) -> bytes:
        tkhd = _box(
            b"tkhd",
            struct.pack(">B3xIIIII", 0, 0, 0, 1, 0, 0)
            + b"\0" * 8
            + b"\0" * 8
            + b"\0" * 36
            + struct.pack(">II", w << 16, h << 16),
        )
        hdlr = _box(b"hdlr", b"\0" * 8 + handler + b"\0" * 13)
        return _box(b"trak", tkhd + _box(b"mdia", hdlr))

    tracks = track(b"vide", width, height) + (track(b"soun", 0, 0) if audio else b"")
    ftyp = _box(b"ftyp", b"isom\x00\x00\x02\x00isomiso2avc1mp41")
    return ftyp + _box(b"mdat", b"\0" * 64) + _box(b"moov", mvhd + tracks)


def avi_header(seconds: float, width: int = 640, height: int = 360, fps: int = 25) -> bytes:
    frames = round(seconds * fps)
    avih = struct.pack("<10I", 1_000_000 // fps, 0, 0, 0, frames, 0, 1, 0, width, height) + b"\0" * 16
    hdrl = b"LIST" + struct.pack("<I", 4 + 8 + len(avih)) + b"hdrl" + b"avih" + struct.pack("<I", len(avih)) + avih
    return b"RIFF" + struct.pack("<I", 4 + len(hdrl)) + b"AVI " + hdrl


def write(path: Path, data: bytes, *, size: int | None = None) -> Path:
    """Write `data` (making the folders), then extend the file (sparsely) to `size` bytes when given."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if size is not None:
        with path.open("r+b") as handle:
            handle.truncate(size)
    return path
