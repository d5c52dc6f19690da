"""Media headers: the format from magic bytes, image dimensions and PNG alpha, and the duration of MP4/MOV (the
`mvhd` box), WAV (`fmt `/`data` chunks), MP3 (Xing/Info header or the constant bit rate) and AVI (`avih`).

Only headers are read: nothing here decodes media or loads a whole file.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO, Literal

Format = Literal[
    "jpeg",
    "png",
    "bmp",
    "webp",
    "tiff",
    "gif",
    "mp4",
    "mov",
    "avi",
    "webm",
    "wav",
    "mp3",
    "aac",
    "m4a",
    "flac",
    "ogg",
]

FORMAT_KIND: dict[str, Literal["image", "video", "audio"]] = {
    "jpeg": "image",
    "png": "image",
    "bmp": "image",
    "webp": "image",
    "tiff": "image",
    "gif": "image",
    "mp4": "video",
    "mov": "video",
    "avi": "video",
    "webm": "video",
    "wav": "audio",
    "mp3": "audio",
    "aac": "audio",
    "m4a": "audio",
    "flac": "audio",
    "ogg": "audio",
}
EXTENSION_FORMAT: dict[str, str] = {
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".png": "png",
    ".bmp": "bmp",
    ".webp": "webp",
    ".tif": "tiff",
    ".tiff": "tiff",
    ".gif": "gif",
    ".mp4": "mp4",
    ".mov": "mov",
    ".avi": "avi",
    ".webm": "webm",
    ".mkv": "webm",
    ".wav": "wav",
    ".mp3": "mp3",
    ".aac": "aac",
    ".m4a": "m4a",
    ".flac": "flac",
    ".ogg": "ogg",
}
MIME_FORMAT: dict[str, str] = {
    "image/jpeg": "jpeg",
    "image/jpg": "jpeg",
    "image/png": "png",
    "image/bmp": "bmp",
    "image/webp": "webp",
    "image/tiff": "tiff",
    "image/gif": "gif",
    "video/mp4": "mp4",
    "video/quicktime": "mov",
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
}
HEAD_BYTES = 64 * 1024  # enough for every image header we parse


@dataclass(frozen=True)
class MediaInfo:
    """What the headers of a file tell: format, size, dimensions, duration, alpha, sound."""

    format: str | None
    size_bytes: int | None = None
    width: int | None = None
    height: int | None = None
    seconds: float | None = None
    seconds_estimated: bool = False
    has_alpha: bool | None = None
    has_audio: bool | None = None
    video_codec: str | None = None  # the MP4 sample entry: avc1, hev1…
    audio_codec: str | None = None  # mp4a…
    document: str | None = None  # for a file that is no media: the document type its content shows (pdf, docx…)

    @property
    def kind(self) -> Literal["image", "video", "audio"] | None:
        return FORMAT_KIND.get(self.format or "")


def probe_file(path: Path) -> MediaInfo:
    """Read a file's headers (never the whole file) and say what it is."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        return probe_handle(handle, size)


def probe_handle(handle: BinaryIO, size: int) -> MediaInfo:
    """Read the headers of an open file (from its start, never the whole file) and say what it is."""
    handle.seek(0)
    head = handle.read(HEAD_BYTES)
    info = replace(probe_head(head), size_bytes=size)
    if info.format in ("mp4", "mov", "m4a"):
        info = _probe_mp4(handle, size, info)
    elif info.format == "mp3":
        info = _probe_mp3(head, size, info)
    return info


def probe_head(head: bytes) -> MediaInfo:
    """Format (and image size, WAV/AVI duration) from a file's first bytes."""
    fmt = sniff(head)
    if fmt == "png":
        return _png(head)
    if fmt == "jpeg":
        return _jpeg(head)
    if fmt == "bmp" and len(head) >= 26:
        width, height = struct.unpack_from("<ii", head, 18)
        return MediaInfo("bmp", width=abs(width), height=abs(height))
    if fmt == "webp":
        return _webp(head)
    if fmt == "wav":
        return _wav(head)
    if fmt == "avi":
        return _avi(head)
    return MediaInfo(fmt)


def sniff(head: bytes) -> str | None:
    """The format from magic bytes, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"GIF8"):
        return "gif"
    if head.startswith(b"BM") and len(head) >= 26:
        return "bmp"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if head[:4] == b"RIFF" and len(head) >= 12:
        return {b"WEBP": "webp", b"WAVE": "wav", b"AVI ": "avi"}.get(head[8:12])
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand == b"qt  ":
            return "mov"
        if brand in (b"M4A ", b"M4B "):
            return "m4a"
        return "mp4"
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip"):
        return "mov"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm"
    if head.startswith(b"fLaC"):
        return "flac"
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"ID3"):
        return "mp3"
    if len(head) >= 2 and head[0] == 0xFF:
        if head[1] & 0xF6 == 0xF0:
            return "aac"
        if head[1] & 0xE0 == 0xE0:
            return "mp3"
    return None


def _png(head: bytes) -> MediaInfo:
    if len(head) < 29 or head[12:16] != b"IHDR":
        return MediaInfo("png")
    width, height = struct.unpack_from(">II", head, 16)
    alpha = head[25] in (4, 6)
    offset = 8
    while not alpha and offset + 8 <= len(head):
        length, ctype = struct.unpack_from(">I4s", head, offset)
        if ctype == b"tRNS":
            alpha = True
        if ctype in (b"IDAT", b"IEND"):
            break
        offset += 12 + length
    return MediaInfo("png", width=width, height=height, has_alpha=alpha)


def _jpeg(head: bytes) -> MediaInfo:
    offset = 2
    while offset + 9 < len(head):
        if head[offset] != 0xFF:
            offset += 1
            continue
        marker = head[offset + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
            offset += 1 if marker == 0xFF else 2
            continue
        (length,) = struct.unpack_from(">H", head, offset + 2)
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            height, width = struct.unpack_from(">HH", head, offset + 5)
            return MediaInfo("jpeg", width=width, height=height, has_alpha=False)
        offset += 2 + length
    return MediaInfo("jpeg", has_alpha=False)


def _webp(head: bytes) -> MediaInfo:
    chunk = head[12:16]
    if chunk == b"VP8 " and len(head) >= 30:
        width, height = struct.unpack_from("<HH", head, 26)
        return MediaInfo("webp", width=width & 0x3FFF, height=height & 0x3FFF, has_alpha=False)
    if chunk == b"VP8L" and len(head) >= 25:
        (bits,) = struct.unpack_from("<I", head, 21)
        return MediaInfo(
            "webp",
            width=(bits & 0x3FFF) + 1,
            height=((bits >> 14) & 0x3FFF) + 1,
            has_alpha=bool(bits >> 28 & 1),
        )
    if chunk == b"VP8X" and len(head) >= 30:
        flags = head[20]
        width = int.from_bytes(head[24:27], "little") + 1
        height = int.from_bytes(head[27:30], "little") + 1
        return MediaInfo("webp", width=width, height=height, has_alpha=bool(flags & 0x10))
    return MediaInfo("webp")


def _riff_chunks(head: bytes, start: int = 12) -> list[tuple[bytes, int, int]]:
    """(id, data offset, declared size) for the RIFF chunks that start within `head`."""
    chunks: list[tuple[bytes, int, int]] = []
    offset = start
    while offset + 8 <= len(head):
        cid, size = struct.unpack_from("<4sI", head, offset)
        chunks.append((cid, offset + 8, size))
        offset += 8 + size + (size & 1)
    return chunks


def _wav(head: bytes) -> MediaInfo:
    byte_rate = 0
    for cid, offset, size in _riff_chunks(head):
        if cid == b"fmt " and offset + 12 <= len(head):
            (byte_rate,) = struct.unpack_from("<I", head, offset + 8)
        elif cid == b"data" and byte_rate:
            return MediaInfo("wav", seconds=size / byte_rate)
    return MediaInfo("wav")


def _avi(head: bytes) -> MediaInfo:
    index = head.find(b"avih")
    if index < 0 or index + 48 > len(head):
        return MediaInfo("avi")
    usec_per_frame, _, _, _, frames = struct.unpack_from("<5I", head, index + 8)
    width, height = struct.unpack_from("<II", head, index + 8 + 32)
    seconds = frames * usec_per_frame / 1e6 if usec_per_frame and frames else None
    return MediaInfo("avi", width=width, height=height, seconds=seconds)


# MP4 / QuickTime ---------------------------------------------------------------------------------------

_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts"}


def _boxes(handle: BinaryIO, start: int, end: int) -> list[tuple[bytes, int, int]]:
    """(type, payload offset, payload end) of the boxes between start and end, reading only their headers."""
    found: list[tuple[bytes, int, int]] = []
    offset = start
    while offset + 8 <= end:
        handle.seek(offset)
        header = handle.read(16)
        if len(header) < 8:
            break
        size, btype = struct.unpack_from(">I4s", header)
        payload = offset + 8
        if size == 1 and len(header) >= 16:
            (size,) = struct.unpack_from(">Q", header, 8)
            payload = offset + 16
        elif size == 0:
            size = end - offset
        if size < 8:
            break
        found.append((btype, payload, min(offset + size, end)))
        offset += size
    return found


def _probe_mp4(handle: BinaryIO, size: int, info: MediaInfo) -> MediaInfo:
    seconds: float | None = None
    width = height = None
    has_audio = False
    codecs: dict[bytes, str] = {}
    moov = [b for b in _boxes(handle, 0, size) if b[0] == b"moov"]
    if not moov:
        return info
    for btype, start, end in _boxes(handle, moov[0][1], moov[0][2]):
        if btype == b"mvhd":
            handle.seek(start)
            data = handle.read(32)
            if data and data[0] == 1 and len(data) >= 32:
                timescale, duration = struct.unpack_from(">IQ", data, 20)
            elif len(data) >= 20:
                timescale, duration = struct.unpack_from(">II", data, 12)
            else:
                continue
            seconds = duration / timescale if timescale else None
        elif btype == b"trak":
            kind, dims, codec = _track(handle, start, end)
            if kind is not None and codec is not None:
                codecs.setdefault(kind, codec)
            if kind == b"soun":
                has_audio = True
            elif kind == b"vide" and dims is not None and width is None:
                width, height = dims
    return replace(
        info,
        seconds=seconds,
        width=width,
        height=height,
        has_audio=has_audio,
        video_codec=codecs.get(b"vide"),
        audio_codec=codecs.get(b"soun"),
    )


def _track(handle: BinaryIO, start: int, end: int) -> tuple[bytes | None, tuple[int, int] | None, str | None]:
    handler: bytes | None = None
    dims: tuple[int, int] | None = None
    codec: str | None = None
    stack = [(start, end)]
    while stack:
        box_start, box_end = stack.pop()
        for btype, payload, stop in _boxes(handle, box_start, box_end):
            if btype == b"tkhd":
                handle.seek(payload)
                data = handle.read(96)
                at = 88 if data[:1] == b"\x01" else 76
                if len(data) >= at + 8:
                    w, h = struct.unpack_from(">II", data, at)
                    if w and h:
                        dims = (w >> 16, h >> 16)
            elif btype == b"hdlr":
                handle.seek(payload + 8)
                handler = handle.read(4)
            elif btype == b"stsd":
                handle.seek(payload + 12)
                codec = handle.read(4).decode("latin-1").strip() or None
            elif btype in _CONTAINERS:
                stack.append((payload, stop))
    return handler, dims, codec


# MP3 ---------------------------------------------------------------------------------------------------

_MP3_BITRATES = {
    (1, 1): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (1, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (1, 3): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (2, 1): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (2, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_MP3_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def _probe_mp3(head: bytes, size: int, info: MediaInfo) -> MediaInfo:
    offset = 0
    if head.startswith(b"ID3") and len(head) >= 10:
        tag = head[6:10]
        offset = 10 + ((tag[0] & 0x7F) << 21 | (tag[1] & 0x7F) << 14 | (tag[2] & 0x7F) << 7 | (tag[3] & 0x7F))
    while offset + 4 <= len(head) and not (head[offset] == 0xFF and head[offset + 1] & 0xE0 == 0xE0):
        offset += 1
    if offset + 4 > len(head):
        return info
    b1, b2, b3 = head[offset + 1], head[offset + 2], head[offset + 3]
    version_bits, layer_bits = (b1 >> 3) & 3, (b1 >> 1) & 3
    if version_bits == 1 or layer_bits == 0:
        return info
    layer = 4 - layer_bits
    version = 1 if version_bits == 3 else 2
    bitrate_index, rate_index = b2 >> 4, (b2 >> 2) & 3
    if rate_index == 3 or bitrate_index in (0, 15):
        return info
    sample_rate = _MP3_RATES[version_bits][rate_index]
    bitrate = _MP3_BITRATES[(version, min(layer, 2) if version == 2 else layer)][bitrate_index] * 1000
    samples = 384 if layer == 1 else (1152 if layer == 2 or version == 1 else 576)
    mono = (b3 >> 6) == 3
    side = (17 if mono else 32) if version == 1 else (9 if mono else 17)
    xing = offset + 4 + side
    if head[xing : xing + 4] in (b"Xing", b"Info") and len(head) >= xing + 12:
        (flags,) = struct.unpack_from(">I", head, xing + 4)
        if flags & 1:
            (frames,) = struct.unpack_from(">I", head, xing + 8)
            return replace(info, seconds=frames * samples / sample_rate)
    return replace(info, seconds=(size - offset) * 8 / bitrate, seconds_estimated=True)
