"""What a delivered video is checked against: the server's CRC-64, and its MP4 structure down to the last sample.

CRC-64: Alibaba OSS sends `x-oss-hash-crc64ecma` (a decimal) with every GET; it is CRC-64/XZ: the ECMA-182
polynomial 0x42F0E1EBA9EA3693, reflected, initial value and final XOR all ones (OSS's documentation gives it as
boost `crc_optimal<64, 0x42F0E1EBA9EA3693, ~0, ~0, true, true>` and crcmod `mkCrcFun(0x142F0E1EBA9EA3693,
initCrc=0, xorOut=0xffffffffffffffff, rev=True)`; check value 0x995DC9BBDF1939FA for b"123456789"). It is computed
with `anycrc` (C, GB/s); when that module is missing, `Crc64.available` is False and the CRC is reported as not
checked, never as checked.

MP4: the top-level boxes must tile the file exactly (none cut short or running past the end), with one `moov`
and at least one `mdat`; in every track the sample tables (`stsz`, `stsc`, `stco`/`co64`) must agree on the sample
count, and every chunk, down to the one that holds the last sample, must lie inside an `mdat`. A fragmented MP4
(`mvex`) is checked at the box level only. This proves the file is whole and consistent, not that every byte is
right: that is the CRC's job.
"""

from __future__ import annotations

import itertools
import struct
from dataclasses import dataclass
from typing import Any, BinaryIO

try:
    import anycrc  # type: ignore[import-untyped]
except ImportError:  # pragma: no cover - a platform without the wheel
    anycrc = None

CRC64_CHECK = 0x995DC9BBDF1939FA  # CRC-64/XZ of b"123456789"


class Crc64:
    """CRC-64/XZ over data given in pieces (`value` is None when anycrc is missing)."""

    def __init__(self) -> None:
        self._model: Any = anycrc.Model("CRC64-XZ") if anycrc is not None else None
        self._value: int | None = None

    @property
    def available(self) -> bool:
        return self._model is not None

    def update(self, data: bytes) -> None:
        if self._model is not None:
            self._value = self._model.calc(data) if self._value is None else self._model.calc(data, self._value)

    @property
    def value(self) -> int | None:
        if self._model is None:
            return None
        return self._value if self._value is not None else int(self._model.calc(b""))


def crc64(data: bytes) -> int | None:
    """The CRC-64/XZ of `data` (None when anycrc is missing)."""
    crc = Crc64()
    crc.update(data)
    return crc.value


class Mp4Damaged(ValueError):
    """The file is not a complete, consistent MP4; the message says where."""


@dataclass(frozen=True)
class Mp4Check:
    """What the structure check saw."""

    tracks: int  # tracks whose samples were walked
    samples: int  # samples in those tracks
    fragmented: bool


@dataclass(frozen=True)
class _Box:
    kind: bytes
    start: int
    payload: int
    end: int


def check_mp4(handle: BinaryIO, size: int) -> Mp4Check:
    """Check an MP4's boxes and sample tables (see the module docstring); raises Mp4Damaged."""
    handle.seek(0)
    if handle.read(8)[4:8] != b"ftyp":
        raise Mp4Damaged("no ftyp box at the start: not an MP4")
    top = _boxes(handle, 0, size, "the file")
    kinds = [box.kind for box in top]
    moov = [box for box in top if box.kind == b"moov"]
    mdats = [(box.payload, box.end) for box in top if box.kind == b"mdat"]
    if len(moov) != 1 or not mdats:
        raise Mp4Damaged(f"{len(moov)} movie boxes and {len(mdats)} media data boxes (need 1 and at least 1)")
    inside = _boxes(handle, moov[0].payload, moov[0].end, "moov")
    fragmented = any(box.kind == b"mvex" for box in inside)
    tracks = samples = 0
    for trak in (box for box in inside if box.kind == b"trak"):
        count = _check_track(handle, trak, mdats, tracks + 1)
        if count:
            tracks, samples = tracks + 1, samples + count
    if fragmented:
        if b"moof" not in kinds:
            raise Mp4Damaged("a fragmented MP4 without any fragment")
    elif samples == 0:
        raise Mp4Damaged("no track has any sample")
    return Mp4Check(tracks, samples, fragmented)


def _boxes(handle: BinaryIO, start: int, end: int, where: str) -> list[_Box]:
    """The boxes that exactly tile [start, end); raises Mp4Damaged when one is cut short or overruns."""
    found: list[_Box] = []
    offset = start
    while offset < end:
        handle.seek(offset)
        header = handle.read(16)
        if end - offset < 8 or len(header) < 8:
            raise Mp4Damaged(f"{where} ends with {end - offset} stray bytes at offset {offset}")
        size, kind = struct.unpack_from(">I4s", header)
        payload = offset + 8
        if size == 1:
            if len(header) < 16:
                raise Mp4Damaged(f"the {kind!r} box at offset {offset} is cut short")
            (size,) = struct.unpack_from(">Q", header, 8)
            payload = offset + 16
        elif size == 0 and kind == b"mdat":  # "to the end of the file": only the media data does that
            size = end - offset
        if not all(0x20 <= c <= 0x7E for c in kind):
            raise Mp4Damaged(f"unreadable box type {kind!r} at offset {offset} (the file is damaged)")
        if size < payload - offset or offset + size > end:
            raise Mp4Damaged(
                f"the {kind.decode('latin-1')!r} box at offset {offset} claims {size} bytes; {where} has "
                f"{end - offset} from there (the file is cut short or damaged)"
            )
        found.append(_Box(kind, offset, payload, offset + size))
        offset += size
    return found


def _find(handle: BinaryIO, box: _Box, path: tuple[bytes, ...]) -> _Box | None:
    for kind in path:
        box_or_none = next((b for b in _boxes(handle, box.payload, box.end, kind.decode()) if b.kind == kind), None)
        if box_or_none is None:
            return None
        box = box_or_none
    return box


def _read(handle: BinaryIO, box: _Box) -> bytes:
    handle.seek(box.payload)
    return handle.read(box.end - box.payload)


def _check_track(handle: BinaryIO, trak: _Box, mdats: list[tuple[int, int]], number: int) -> int:
    """The number of samples of a track whose every chunk lies inside an mdat; raises Mp4Damaged."""
    stbl = _find(handle, trak, (b"mdia", b"minf", b"stbl"))
    if stbl is None:
        raise Mp4Damaged(f"track {number} has no sample table")
    tables = {box.kind: box for box in _boxes(handle, stbl.payload, stbl.end, "stbl")}
    sizes = _sample_sizes(_read(handle, tables[b"stsz"])) if b"stsz" in tables else None
    offsets = _chunk_offsets(handle, tables)
    if sizes is None or offsets is None or b"stsc" not in tables:
        raise Mp4Damaged(f"track {number} lacks its sample sizes, chunk offsets or sample-to-chunk table")
    if not sizes:
        return 0
    per_chunk = _samples_per_chunk(_read(handle, tables[b"stsc"]), len(offsets))
    if sum(per_chunk) != len(sizes):
        raise Mp4Damaged(f"track {number}: its chunks hold {sum(per_chunk)} samples, its size table {len(sizes)}")
    bounds = [0, *itertools.accumulate(per_chunk)]
    ends = [0, *itertools.accumulate(sizes)]
    for index, offset in enumerate(offsets):
        length = ends[bounds[index + 1]] - ends[bounds[index]]
        if not any(first <= offset and offset + length <= last for first, last in mdats):
            raise Mp4Damaged(
                f"track {number}: chunk {index + 1} of {len(offsets)} ({length} bytes at offset {offset}) lies outside "
                "the media data (the file is cut short or damaged)"
            )
    return len(sizes)


def _sample_sizes(data: bytes) -> list[int]:
    if len(data) < 12:
        raise Mp4Damaged("the sample size table is cut short")
    size, count = struct.unpack_from(">II", data, 4)
    if size:
        return [size] * count
    if len(data) < 12 + 4 * count:
        raise Mp4Damaged(f"the sample size table lists {count} samples but holds fewer")
    return list(struct.unpack_from(f">{count}I", data, 12))


def _chunk_offsets(handle: BinaryIO, tables: dict[bytes, _Box]) -> list[int] | None:
    box, width = (tables[b"stco"], "I") if b"stco" in tables else (tables.get(b"co64"), "Q")
    if box is None:
        return None
    data = _read(handle, box)
    (count,) = struct.unpack_from(">I", data, 4) if len(data) >= 8 else (0,)
    if len(data) < 8 + struct.calcsize(f">{count}{width}"):
        raise Mp4Damaged(f"the chunk offset table lists {count} chunks but holds fewer")
    return list(struct.unpack_from(f">{count}{width}", data, 8))


def _samples_per_chunk(data: bytes, chunks: int) -> list[int]:
    """Samples in each chunk, from the sample-to-chunk runs."""
    (count,) = struct.unpack_from(">I", data, 4) if len(data) >= 8 else (0,)
    if len(data) < 8 + 12 * count:
        raise Mp4Damaged("the sample-to-chunk table is cut short")
    runs = [struct.unpack_from(">II", data, 8 + 12 * i) for i in range(count)]
    per_chunk: list[int] = []
    for index, (first, samples) in enumerate(runs):
        stop = runs[index + 1][0] if index + 1 < len(runs) else chunks + 1
        if first < 1 or stop < first or stop > chunks + 1:
            raise Mp4Damaged("the sample-to-chunk table does not match the chunk offsets")
        per_chunk.extend([samples] * (stop - first))
    if len(per_chunk) != chunks:
        raise Mp4Damaged(f"the sample-to-chunk table covers {len(per_chunk)} of {chunks} chunks")
    return per_chunk
