"""The CRC-64 is OSS's variant, and the MP4 check finds files that are cut short or inconsistent."""

from __future__ import annotations

import io
import os
import struct
from pathlib import Path

import pytest

from wan_mcp.emulator.mp4 import write_mp4
from wan_mcp.integrity import CRC64_CHECK, Crc64, Mp4Damaged, check_mp4, crc64


def reference_crc64_xz(data: bytes) -> int:
    """CRC-64/XZ bit by bit, as OSS documents it: reflected ECMA-182 polynomial, all-ones start and final XOR."""
    crc = 0xFFFFFFFFFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0xC96C5795D7870F42 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFFFFFFFFFF


def test_crc64_is_the_oss_variant() -> None:
    """The check value of b"123456789" and random data agree with a bitwise reference; pieces chain."""
    assert crc64(b"123456789") == CRC64_CHECK == reference_crc64_xz(b"123456789")
    data = os.urandom(5000)
    assert crc64(data) == reference_crc64_xz(data)
    pieces = Crc64()
    for start in range(0, len(data), 777):
        pieces.update(data[start : start + 777])
    assert pieces.value == crc64(data) and crc64(b"") == reference_crc64_xz(b"")


@pytest.fixture(scope="module")
def movie(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("mp4") / "v.mp4"
    write_mp4(path, width=320, height=240, seconds=2, audio=True, seed=1)
    return path.read_bytes()


def check(data: bytes) -> object:
    return check_mp4(io.BytesIO(data), len(data))


def test_a_whole_mp4_passes_to_its_last_sample(movie: bytes) -> None:
    """Both tracks are walked, every sample counted."""
    result = check_mp4(io.BytesIO(movie), len(movie))
    assert result.tracks == 2 and result.samples > 60 and not result.fragmented


@pytest.mark.parametrize("cut", [1, 100, 5000])
def test_a_file_cut_short_is_damaged(movie: bytes, cut: int) -> None:
    """Missing bytes at the end (the mdat cut short) are found."""
    with pytest.raises(Mp4Damaged, match="cut short"):
        check(movie[:-cut])


def test_trailing_bytes_are_damaged(movie: bytes) -> None:
    """Bytes after the last box are not a box: the file is not what the server made."""
    with pytest.raises(Mp4Damaged):
        check(movie + b"\0\0\0")
    with pytest.raises(Mp4Damaged):
        check(movie + b"\0" * 64)


def test_a_chunk_outside_the_media_data_is_damaged(movie: bytes) -> None:
    """A chunk offset pointing past the mdat (a damaged sample table) is found, naming the track and chunk."""
    at = movie.index(b"stco") + 4 + 8  # the first chunk offset of the first track
    (offset,) = struct.unpack_from(">I", movie, at)
    broken = movie[:at] + struct.pack(">I", offset + len(movie)) + movie[at + 4 :]
    with pytest.raises(Mp4Damaged, match="track 1: chunk 1"):
        check(broken)


def test_no_movie_box_or_not_an_mp4(movie: bytes, tmp_path: Path) -> None:
    """HTML, or an MP4 without its moov, is refused with the reason."""
    with pytest.raises(Mp4Damaged, match="ftyp"):
        check(b"<html>not a video</html>")
    moov = movie.index(b"moov") - 4
    (size,) = struct.unpack_from(">I", movie, moov)
    free = struct.pack(">I", size) + b"free" + movie[moov + 8 : moov + size]
    with pytest.raises(Mp4Damaged, match="0 movie boxes"):
        check(movie[:moov] + free + movie[moov + size :])
