"""Media inputs are classified correctly and their headers read without reading whole files."""

from __future__ import annotations

import base64
import io
import struct
import zipfile
from pathlib import Path
from typing import Any

import pytest

import mediafiles
from conftest import CANARY_KEY
from wan_mcp import inputs
from wan_mcp import localfiles as inputs_localfiles
from wan_mcp.documents import OLE_MAGIC
from wan_mcp.errors import RequestInvalid
from wan_mcp.inputs import InputError, check_document, classify, probe_file
from wan_mcp.requests import plan_request


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


# -- secrets, documents and paths (issue 11, point 5) ------------------------------------------------------------

WAN3_FILE = {"mode": "t2v", "model": "wan3.0-video", "prompt": "a launch film from the brief"}


def plan_refusal(arguments: dict[str, Any], allowed: tuple[Path, ...]) -> RequestInvalid:
    with pytest.raises(RequestInvalid) as err:
        plan_request(arguments, allowed_dirs=allowed)
    return err.value


def test_dashscope_key_file_as_reference_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression: ~/.dashscope/api_key (where the official SDK keeps the key) inside the allowed home is refused."""
    monkeypatch.setenv("HOME", str(tmp_path))
    key_file = mediafiles.write(tmp_path / ".dashscope" / "api_key", CANARY_KEY.encode() + b"\n")
    err = plan_refusal({**WAN3_FILE, "reference_file": str(key_file)}, (tmp_path,))
    assert err.problems[0].code == "secret_file" and err.field == "reference_file"
    assert CANARY_KEY not in str(err)


def test_env_file_as_reference_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression: a project's .env file is refused even inside an allowed folder, in our format."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    env_file = mediafiles.write(tmp_path / "project" / ".env", b"DASHSCOPE_API_KEY=" + CANARY_KEY.encode() + b"\n")
    err = plan_refusal({**WAN3_FILE, "reference_file": str(env_file)}, (tmp_path,))
    assert err.problems[0].code == "secret_file" and ".env" in err.problems[0].message and err.problems[0].fix


def test_key_inside_an_innocent_name_is_refused(tmp_path: Path) -> None:
    """A document whose text holds an API key is refused by its content, whatever its name."""
    brief = mediafiles.write(tmp_path / "brief.md", b"# Brief\nUse key " + CANARY_KEY.encode() + b"\n")
    with pytest.raises(InputError) as err:
        classify(str(brief), allowed=(tmp_path,), home=tmp_path / "home")
    assert err.value.code == "secret_file" and "line 2" in err.value.message


def test_a_300_byte_path_gives_our_error(tmp_path: Path) -> None:
    """Regression: a path with a 300-byte name is refused as path_too_long in our format, never a bare OSError."""
    long_path = str(tmp_path / ("x" * 296 + ".png"))
    with pytest.raises(InputError) as err:
        classify(long_path)
    assert err.value.code == "path_too_long"
    refused = plan_refusal({"mode": "i2v", "image": long_path}, (tmp_path,))
    assert refused.problems[0].code == "path_too_long" and refused.field == "image"


def test_unreadable_file_gives_our_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file the OS will not open (EACCES) is refused as permission_denied with a fix."""
    path = mediafiles.write(tmp_path / "a.png", mediafiles.png(8, 8))

    def denied(*_: Any, **__: Any) -> int:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(inputs_localfiles.os, "open", denied)
    with pytest.raises(InputError) as err:
        classify(str(path))
    assert err.value.code == "permission_denied" and "readable" in err.value.fix


def _zip(names: list[str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return buffer.getvalue()


def _ole(stream: str) -> bytes:
    """A minimal compound file whose first directory sector names `stream`."""
    header = bytearray(512)
    header[:8] = OLE_MAGIC
    struct.pack_into("<H", header, 30, 9)
    struct.pack_into("<I", header, 48, 0)
    directory = bytearray(512)
    for index, name in enumerate(["Root Entry", stream]):
        encoded = (name + "\0").encode("utf-16-le")
        directory[index * 128 : index * 128 + len(encoded)] = encoded
        struct.pack_into("<H", directory, index * 128 + 64, len(encoded))
    return bytes(header + directory)


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "pdf"),
        (_zip(["[Content_Types].xml", "word/document.xml"]), "docx"),
        (_zip(["[Content_Types].xml", "ppt/presentation.xml"]), "pptx"),
        (_zip(["[Content_Types].xml", "xl/workbook.xml"]), "xlsx"),
        (_ole("WordDocument"), "doc"),
        (_ole("PowerPoint Document"), "ppt"),
        (_ole("Workbook"), "xls"),
        ("# Plan\n\nA café scene — 30 s.\n".encode(), "markdown"),
    ],
)
def test_reference_documents_are_sniffed_from_content(tmp_path: Path, data: bytes, kind: str) -> None:
    """PDF, Office (OOXML and 97–2003) and Markdown are told apart by content, whatever the file is named."""
    source = classify(str(mediafiles.write(tmp_path / "upload.bin", data)))
    assert source.info is not None and source.info.document == kind
    assert check_document(source) == kind


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (mediafiles.png(8, 8), "PNG media"),
        (_zip(["Index/Document.iwa"]), "Keynote"),
        (_zip(["mimetype", "content.xml"]), "OpenDocument"),
        (_zip(["a.txt"]), "ZIP"),
        (_ole("Contents"), "not Word"),
        (b"\x00\x01\x02binary", "no document"),
    ],
)
def test_other_files_are_not_reference_documents(tmp_path: Path, data: bytes, words: str) -> None:
    """Media, iWork, OpenDocument, archives and unknown binaries are refused with what to do instead."""
    source = classify(str(mediafiles.write(tmp_path / "brief.pdf", data)))
    with pytest.raises(InputError) as err:
        check_document(source)
    assert words in err.value.message and err.value.fix


def test_reference_document_size_and_urls(tmp_path: Path) -> None:
    """A document over 100 MB is refused; a URL is judged by its extension when it has one."""
    big = classify(str(mediafiles.write(tmp_path / "big.pdf", b"%PDF-1.4\n", size=100_000_001)))
    with pytest.raises(InputError) as err:
        check_document(big)
    assert err.value.code == "file_too_large"
    assert check_document(classify("https://example.com/brief.pdf")) == "url"
    assert check_document(classify("https://example.com/brief")) == "url"
    with pytest.raises(InputError):
        check_document(classify("https://example.com/photo.png"))


def test_document_data_uris_are_sniffed_and_screened() -> None:
    """A data: URI document is sniffed from its decoded bytes; one holding a key is refused."""
    pdf = base64.b64encode(b"%PDF-1.4\n").decode()
    assert check_document(classify(f"data:application/pdf;base64,{pdf}")) == "pdf"
    secret = base64.b64encode(b"key: " + CANARY_KEY.encode()).decode()
    with pytest.raises(InputError) as err:
        classify(f"data:text/plain;base64,{secret}")
    assert err.value.code == "secret_file"
