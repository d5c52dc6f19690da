"""Media inputs are classified correctly and their headers read without reading whole files."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

import mediafiles
from wan_mcp import inputs
from wan_mcp.inputs import InputError, classify, probe_file


@pytest.mark.parametrize(
    ("data", "fmt", "width", "height"),
    [
        (mediafiles.png(321, 123), "png", 321, 123),
        (mediafiles.jpeg_header(1920, 1080), "jpeg", 1920, 1080),
        (mediafiles.bmp_header(640, -480), "bmp", 640, 480),
        (mediafiles.webp_vp8x(5000, 300), "webp", 5000, 300),
    ],
)
def test_image_dimensions(tmp_path: Path, data: bytes, fmt: str, width: int, height: int) -> None:
    """PNG, JPEG, BMP and WEBP headers give the format and the pixel size."""
    info = probe_file(mediafiles.write(tmp_path / "img", data))
    assert (info.format, info.width, info.height) == (fmt, width, height)
    assert info.size_bytes == len(data)


def test_alpha_detection(tmp_path: Path) -> None:
    """PNG alpha (RGBA or tRNS) and WEBP alpha are seen; JPEG never has alpha."""
    assert probe_file(mediafiles.write(tmp_path / "a", mediafiles.png(8, 8, alpha=True))).has_alpha is True
    assert probe_file(mediafiles.write(tmp_path / "b", mediafiles.png(8, 8, trns=True))).has_alpha is True
    assert probe_file(mediafiles.write(tmp_path / "c", mediafiles.png(8, 8))).has_alpha is False
    assert probe_file(mediafiles.write(tmp_path / "d", mediafiles.webp_vp8x(8, 8, alpha=True))).has_alpha is True


@pytest.mark.parametrize("seconds", [0.5, 3.0, 29.75])
def test_wav_duration(tmp_path: Path, seconds: float) -> None:
    """WAV duration comes from the data chunk size and the byte rate."""
    info = probe_file(mediafiles.write(tmp_path / "a.wav", mediafiles.wav(seconds)))
    assert info.format == "wav" and info.seconds == pytest.approx(seconds)


def test_mp3_duration_estimate(tmp_path: Path) -> None:
    """A constant-bit-rate MP3's duration is estimated from its bit rate and size."""
    info = probe_file(mediafiles.write(tmp_path / "a.mp3", mediafiles.mp3_cbr(10)))
    assert info.format == "mp3" and info.seconds == pytest.approx(10, abs=0.05) and info.seconds_estimated


def test_mp3_with_id3_tag(tmp_path: Path) -> None:
    """An ID3v2 tag is skipped before the first frame."""
    tag = b"ID3\x04\x00\x00\x00\x00\x00\x0a" + b"\0" * 10
    info = probe_file(mediafiles.write(tmp_path / "a.mp3", tag + mediafiles.mp3_cbr(4)))
    assert info.format == "mp3" and info.seconds == pytest.approx(4, abs=0.1)


def test_mp4_duration_size_and_audio(tmp_path: Path) -> None:
    """The MP4 moov box gives duration, the video track's size, and whether a sound track exists."""
    info = probe_file(mediafiles.write(tmp_path / "a.mp4", mediafiles.mp4(4.25, 832, 480, audio=True)))
    assert (info.format, info.seconds, info.width, info.height, info.has_audio) == (
        "mp4",
        4.25,
        832,
        480,
        True,
    )
    silent = probe_file(mediafiles.write(tmp_path / "b.mp4", mediafiles.mp4(2, audio=False)))
    assert silent.has_audio is False


def test_avi_duration(tmp_path: Path) -> None:
    """The AVI main header gives frames × frame time and the size."""
    info = probe_file(mediafiles.write(tmp_path / "a.avi", mediafiles.avi_header(6, 640, 360)))
    assert (info.format, info.seconds, info.width, info.height) == ("avi", pytest.approx(6), 640, 360)


def test_probe_reads_only_headers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Probing a 200 MB MP4 (moov at the end) reads well under 100 KB of it."""
    data = mediafiles.mp4(12, 1920, 1080)
    path = tmp_path / "big.mp4"
    moov_at = data.index(b"moov") - 4
    path.write_bytes(data[:moov_at])
    with path.open("r+b") as handle:
        handle.seek(200_000_000)
        handle.write(b"")
    # rebuild: ftyp, a huge mdat, then moov
    head = data[: data.index(b"mdat") - 4]
    mdat_size = 200_000_000
    with path.open("wb") as handle:
        handle.write(head)
        handle.write(mdat_size.to_bytes(4, "big") + b"mdat")
        handle.truncate(len(head) + mdat_size)
        handle.seek(len(head) + mdat_size)
        handle.write(data[moov_at:])
    read = 0
    real_open = Path.open

    def counting_open(self: Path, *args: Any, **kwargs: Any) -> Any:
        handle = real_open(self, *args, **kwargs)
        original = handle.read

        def read_counted(n: int = -1) -> bytes:
            nonlocal read
            chunk: bytes = original(n)
            read += len(chunk)
            return chunk

        handle.read = read_counted
        return handle

    monkeypatch.setattr(Path, "open", counting_open)
    info = probe_file(path)
    assert info.seconds == 12 and info.width == 1920
    assert read < 100_000


def test_classify_urls_and_oss() -> None:
    """http(s) and oss:// are taken as they are; the URL's extension suggests the media kind."""
    source = classify("https://example.com/a/b.MP4?sig=1")
    assert (source.kind, source.guessed_format, source.media_kind) == ("url", "mp4", "video")
    assert classify("oss://dashscope-instant/x/y.png").kind == "oss"
    assert classify("https://example.com/ref").media_kind is None
    with pytest.raises(InputError, match="not a valid URL"):
        classify("https://exa mple.com/a.png")


def test_classify_data_uri() -> None:
    """A base64 data: URI is decoded enough to know its format, size and dimensions; a lying MIME is refused."""
    png = mediafiles.png(100, 50)
    info = classify("data:image/png;base64," + base64.b64encode(png).decode()).info
    assert info is not None and (info.format, info.width, info.height, info.size_bytes) == (
        "png",
        100,
        50,
        len(png),
    )
    with pytest.raises(InputError) as err:
        classify("data:image/jpeg;base64," + base64.b64encode(png).decode())
    assert err.value.code == "invalid_data_uri"
    with pytest.raises(InputError):
        classify("data:image/png,notbase64")
    with pytest.raises(InputError):
        classify("data:image/png;base64,@@@@")


def test_classify_local_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Absolute, ~, file:// and input-dir-relative paths resolve; missing files, folders and devices are refused."""
    path = mediafiles.write(tmp_path / "cat.png", mediafiles.png(10, 10))
    assert classify(str(path)).path == path
    assert classify(path.as_uri()).path == path
    assert classify("cat.png", input_dir=tmp_path).path == path
    monkeypatch.setenv("HOME", str(tmp_path))
    assert classify("~/cat.png").path == path
    for value, code in [
        (str(tmp_path / "no.png"), "file_not_found"),
        (str(tmp_path), "not_a_file"),
        ("/dev/null", "not_a_file"),
    ]:
        with pytest.raises(InputError) as err:
            classify(value)
        assert err.value.code == code
    with pytest.raises(InputError) as err:
        classify("ftp://example.com/a.png")
    assert err.value.code == "unsupported_source"


def test_windows_drive_paths_only_on_windows() -> None:
    """C:\\… is a local path when running on Windows (and not taken for a URL scheme elsewhere)."""
    with pytest.raises(InputError) as err:
        classify("C:\\Users\\me\\cat.png", windows=True)
    assert err.value.code == "file_not_found"
    with pytest.raises(InputError) as err:
        classify("C:\\Users\\me\\cat.png", windows=False)
    assert err.value.code == "file_not_found"


@pytest.mark.parametrize(
    ("head", "fmt"),
    [
        (b"GIF89a", "gif"),
        (b"II*\x00", "tiff"),
        (b"\x00\x00\x00\x14ftypqt  ", "mov"),
        (b"\x00\x00\x00\x14ftypM4A ", "m4a"),
        (b"RIFF\x00\x00\x00\x00AVI ", "avi"),
        (b"\x1a\x45\xdf\xa3", "webm"),
        (b"fLaC", "flac"),
        (b"OggS", "ogg"),
        (b"\xff\xf1\x50\x80", "aac"),
        (b"hello world", None),
    ],
)
def test_sniff(head: bytes, fmt: str | None) -> None:
    """Magic bytes name the format."""
    assert inputs.sniff(head) == fmt
