"""The emulator's MP4 synthesizer writes real H.264 (+ AAC) files that FFmpeg, through PyAV, decodes cleanly."""

from __future__ import annotations

import itertools
import struct
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import av
import av.logging
import pytest

from wan_mcp.emulator import boxes, h264
from wan_mcp.emulator.font import GLYPH_ROWS, GLYPH_WIDTH, GLYPHS, printable
from wan_mcp.emulator.mp4 import Caption, write_mp4
from wan_mcp.emulator.picture import Overlay

FOX = Caption(prompt="A red fox trotting through fresh snow at sunrise", model="wan2.6-t2v", mode="t2v")


@dataclass
class Decoded:
    """What decoding a whole file showed."""

    codec: str
    width: int
    height: int
    container_seconds: float
    frame_sizes: set[tuple[int, int]] = field(default_factory=set)
    frames: int = 0
    keyframes: list[int] = field(default_factory=list)
    first_luma: bytes = b""
    last_luma: bytes = b""
    audio_codec: str | None = None
    audio_seconds: float = 0.0
    libav_messages: list[str] = field(default_factory=list)


@pytest.fixture(autouse=True)
def libav_warnings() -> Iterator[None]:
    """Route FFmpeg's warnings and errors to PyAV's log capture for the duration of each test."""
    previous = av.logging.get_level()
    av.logging.set_level(av.logging.WARNING)
    yield
    av.logging.set_level(previous)


def luma(frame: av.VideoFrame) -> bytes:
    """The visible luma samples of a decoded frame, without line padding."""
    plane = frame.planes[0]
    data = bytes(plane)
    stride = plane.line_size
    return b"".join(data[row * stride : row * stride + frame.width] for row in range(frame.height))


def mean(samples: bytes) -> float:
    """The average sample value."""
    return sum(samples) / len(samples)


def decode(path: Path) -> Decoded:
    """Demux and decode every packet of every stream, recording what a player would see."""
    with av.logging.Capture() as logs, av.open(str(path)) as container:
        video = container.streams.video[0]
        result = Decoded(
            codec=video.codec_context.name,
            width=video.codec_context.width,
            height=video.codec_context.height,
            container_seconds=(container.duration or 0) / av.time_base,
        )
        audio_samples = 0
        audio_rate = 1
        for packet in container.demux():
            for frame in packet.decode():
                if isinstance(frame, av.VideoFrame):
                    if frame.key_frame:
                        result.keyframes.append(result.frames)
                    result.frames += 1
                    result.frame_sizes.add((frame.width, frame.height))
                    if result.frames == 1:
                        result.first_luma = luma(frame)
                    last_frame = frame
                elif isinstance(frame, av.AudioFrame):
                    audio_samples += frame.samples
                    audio_rate = frame.sample_rate
        if result.frames:
            result.last_luma = luma(last_frame)
        if container.streams.audio:
            result.audio_codec = container.streams.audio[0].codec_context.name
            result.audio_seconds = audio_samples / audio_rate
    result.libav_messages = [f"{name}: {message.strip()}" for _level, name, message in logs]
    return result


def sync_samples(data: bytes) -> list[int]:
    """The 1-based sample numbers listed in the (only) stss box."""
    start = data.index(b"stss") + 8
    (count,) = struct.unpack_from(">I", data, start)
    return list(struct.unpack_from(f">{count}I", data, start + 4))


def top_level_boxes(data: bytes) -> list[tuple[bytes, int]]:
    """(type, size) of each top-level box, following 64-bit sizes."""
    boxes = []
    offset = 0
    while offset < len(data):
        size, kind = struct.unpack_from(">I4s", data, offset)
        if size == 1:
            (size,) = struct.unpack_from(">Q", data, offset + 8)
        boxes.append((kind, size))
        offset += size
    return boxes


SIZES = [(1280, 720), (720, 1280), (1920, 1080), (832, 480), (624, 624), (1088, 832)]
CASES = [
    *(
        pytest.param(size, seconds, 30, (n + m) % 2 == 0, id=f"{size[0]}x{size[1]}-{seconds}s-30fps")
        for n, size in enumerate(SIZES)
        for m, seconds in enumerate((2, 5, 15))
    ),
    pytest.param((832, 480), 5, 16, True, id="832x480-5s-16fps"),
    pytest.param((1280, 720), 5, 24, False, id="1280x720-5s-24fps"),
    pytest.param((624, 624), 3.3, 24, True, id="624x624-3.3s-24fps"),
]


@pytest.mark.parametrize(("size", "seconds", "fps", "audio"), CASES)
def test_file_decodes_completely_at_its_size_and_duration(
    tmp_path: Path, size: tuple[int, int], seconds: float, fps: int, audio: bool
) -> None:
    """Every frame decodes without a libav complaint at the size and duration asked for; first and last differ."""
    width, height = size
    path = tmp_path / "video.mp4"
    written = write_mp4(
        path, width=width, height=height, seconds=seconds, fps=fps, audio=audio, seed=width + height, caption=FOX
    )

    decoded = decode(path)

    assert written == path.stat().st_size
    assert decoded.libav_messages == []
    assert (decoded.codec, decoded.width, decoded.height) == ("h264", width, height)
    assert decoded.frame_sizes == {(width, height)}
    assert decoded.frames == round(seconds * fps)
    assert decoded.container_seconds == pytest.approx(seconds, abs=1 / fps)
    assert decoded.keyframes == [0, decoded.frames // 2]
    assert decoded.first_luma != decoded.last_luma
    assert abs(mean(decoded.first_luma) - mean(decoded.last_luma)) > 10
    if audio:
        assert decoded.audio_codec == "aac"
        assert decoded.audio_seconds == pytest.approx(seconds, abs=1 / fps)
    else:
        assert decoded.audio_codec is None


def bitstream_frame_sizes(path: Path) -> list[tuple[int, int]]:
    """Decode the H.264 stream with only avcC, so the size comes from the SPS (FFmpeg trusts tkhd/avc1 otherwise)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        codec = av.CodecContext.create("h264", "r")
        codec.extradata = stream.codec_context.extradata
        return [(frame.width, frame.height) for packet in container.demux(stream) for frame in codec.decode(packet)]


@pytest.mark.parametrize("size", [*SIZES, (1080, 1920), (850, 478)], ids=lambda size: f"{size[0]}x{size[1]}")
def test_sps_alone_carries_the_exact_size(tmp_path: Path, size: tuple[int, int]) -> None:
    """Sizes that are not multiples of 16 are cropped in the SPS itself, not only announced by the container."""
    width, height = size
    path = tmp_path / "video.mp4"
    write_mp4(path, width=width, height=height, seconds=0.5)

    assert bitstream_frame_sizes(path) == [size] * 15


class BitReader:
    """Reads the leading fields of an RBSP: fixed-width and Exp-Golomb codes."""

    def __init__(self, nal: bytes) -> None:
        self.bits = "".join(f"{byte:08b}" for byte in nal[1:].replace(b"\x00\x00\x03", b"\x00\x00"))
        self.position = 0

    def u(self, width: int) -> int:
        value = int(self.bits[self.position : self.position + width] or "0", 2)
        self.position += width
        return value

    def ue(self) -> int:
        zeros = self.bits.index("1", self.position) - self.position
        self.position += zeros
        return self.u(zeros + 1) - 1


def test_back_to_back_idr_pictures_have_different_idr_pic_ids(tmp_path: Path) -> None:
    """When every frame is a keyframe, consecutive IDR slices carry different idr_pic_id values (H.264 7.4.3)."""
    path = tmp_path / "video.mp4"
    write_mp4(path, width=32, height=32, seconds=1, fps=10, keyframe_seconds=0.01)

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        avcc = bytes(stream.codec_context.extradata or b"")
        sps = BitReader(avcc[8 : 8 + int.from_bytes(avcc[6:8], "big")])
        sps.u(24)  # profile, constraint flags, level
        sps.ue()  # seq_parameter_set_id
        log2_max_frame_num = sps.ue() + 4
        ids = []
        for packet in container.demux(stream):
            if packet.size:
                nal = bytes(packet)[4:]
                header = BitReader(nal)
                assert nal[0] & 0x1F == 5
                assert (header.ue(), header.ue(), header.ue(), header.u(log2_max_frame_num)) == (0, 7, 0, 0)
                ids.append(header.ue())

    assert len(ids) == 10
    assert all(a != b for a, b in itertools.pairwise(ids))


def test_different_seeds_give_different_first_frames(tmp_path: Path) -> None:
    """The seed changes the picture; the same arguments reproduce the very same file."""
    files = {}
    for name, seed in (("a", 1), ("b", 2), ("a-again", 1)):
        files[name] = tmp_path / f"{name}.mp4"
        write_mp4(files[name], width=320, height=240, seconds=1, seed=seed)

    assert decode(files["a"]).first_luma != decode(files["b"]).first_luma
    assert files["a"].read_bytes() == files["a-again"].read_bytes()


def test_keyframe_seconds_places_a_keyframe_every_interval(tmp_path: Path) -> None:
    """keyframe_seconds=1 over 5 s at 30 fps gives keyframes at frames 0, 30, 60, 90, 120, also in stss."""
    path = tmp_path / "video.mp4"
    write_mp4(path, width=640, height=360, seconds=5, keyframe_seconds=1)

    decoded = decode(path)
    with av.open(str(path)) as container:
        marked = [index for index, packet in enumerate(container.demux(video=0)) if packet.is_keyframe]

    assert decoded.libav_messages == []
    assert decoded.keyframes == [0, 30, 60, 90, 120]
    assert marked == decoded.keyframes
    assert sync_samples(path.read_bytes()) == [1, 31, 61, 91, 121]


def test_frames_between_keyframes_repeat_the_keyframe_exactly(tmp_path: Path) -> None:
    """With a keyframe at every new second, P frames are lossless copies and consecutive keyframes all differ."""
    path = tmp_path / "video.mp4"
    write_mp4(path, width=480, height=272, seconds=2, fps=10, keyframe_seconds=0.5, caption=FOX)

    pictures: list[bytes] = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            if frame.key_frame:
                pictures.append(luma(frame))
            else:
                assert luma(frame) == pictures[-1]

    assert len(pictures) == 4
    assert len(set(pictures)) == 4


def macroblock_luma(picture: bytes, width: int, address: int, mb_width: int) -> bytes:
    """The 16x16 luma samples of the macroblock at `address` in a decoded picture."""
    x, y = 16 * (address % mb_width), 16 * (address // mb_width)
    return b"".join(picture[(y + row) * width + x : (y + row) * width + x + 16] for row in range(16))


def changed_macroblocks(before: bytes, after: bytes, width: int, height: int) -> set[int]:
    """Addresses of the macroblocks whose luma differs between two decoded pictures."""
    mb_width = width // 16
    addresses = range(mb_width * (height // 16))
    return {
        a
        for a in addresses
        if macroblock_luma(before, width, a, mb_width) != macroblock_luma(after, width, a, mb_width)
    }


def test_only_the_time_code_changes_between_keyframes_once_a_second(tmp_path: Path) -> None:
    """Between keyframes a frame repeats the one before, except at each new second, where exactly the time code's
    changed macroblocks are redrawn (as the overlay planned them), and nothing else."""
    width, height, fps = 640, 368, 10
    path = tmp_path / "video.mp4"
    write_mp4(path, width=width, height=height, seconds=3, fps=fps, caption=FOX)
    overlay = Overlay(width, height, 3, FOX)

    with av.open(str(path)) as container:
        frames = [(frame.key_frame, luma(frame)) for frame in container.decode(video=0)]

    assert [index for index, (key, _) in enumerate(frames) if key] == [0, 15]
    for index in range(1, len(frames)):
        if index == 15:
            continue
        changed = changed_macroblocks(frames[index - 1][1], frames[index][1], width, height)
        expected = set(overlay.changes(index // fps)) if index % fps == 0 else set()
        assert changed == expected, index
    assert set(overlay.changes(1)) and set(overlay.changes(1)) <= set(overlay.at(1))
    for address, samples in overlay.at(2).items():
        assert macroblock_luma(frames[-1][1], width, address, width // 16) == samples[:256]


def test_time_code_updates_cost_a_few_macroblocks(tmp_path: Path) -> None:
    """A 5 s 720P video codes its 4 time code changes in under 2% of a keyframe each; the other P frames are tiny."""
    path = tmp_path / "video.mp4"
    write_mp4(path, width=1280, height=720, seconds=5, caption=FOX)

    with av.open(str(path)) as container:
        sizes = [packet.size for packet in container.demux(video=0) if packet.size]
    keyframe = max(sizes)
    updates = [sizes[frame] for frame in (30, 60, 90, 120)]
    copies = [size for frame, size in enumerate(sizes) if frame % 30 and frame != 75]

    assert sorted(sizes)[-2:] == sorted([sizes[0], sizes[75]])
    assert all(0 < size < keyframe // 50 for size in updates)
    assert max(copies) < 16


def test_caption_says_mode_model_and_the_start_of_the_prompt(tmp_path: Path) -> None:
    """The first frame's top-left box reads "mode · model" then the prompt, cut with … after two lines."""
    long_prompt = Caption(prompt="word " * 200, model="wan2.6-t2v", mode="t2v")
    overlay = Overlay(1280, 720, 5, long_prompt)
    path = tmp_path / "video.mp4"
    write_mp4(path, width=1280, height=720, seconds=1, caption=long_prompt)
    with av.open(str(path)) as container:
        first = luma(next(container.decode(video=0)))

    assert overlay.caption_box is not None
    heading, *prompt = overlay.caption_box.lines
    assert heading == "t2v · wan2.6-t2v"
    assert len(prompt) == 2 and prompt[0].startswith("word word") and prompt[1].endswith("…")
    assert overlay.caption_samples
    for address, samples in overlay.caption_samples.items():
        assert macroblock_luma(first, 1280, address, 80) == samples[:256]
    silent = Overlay(1280, 720, 5, Caption(None, "wan2.2-kf2v-flash", "kf2v")).caption_box
    assert silent is not None and silent.lines == ("kf2v · wan2.2-kf2v-flash", "(no prompt)")


def test_small_pictures_drop_what_does_not_fit(tmp_path: Path) -> None:
    """A 64x48 video keeps only a bare time code; a 32x32 one shows neither box; both decode cleanly."""
    small, tiny = Overlay(64, 48, 3, FOX), Overlay(32, 32, 1, FOX)
    for name, size in (("small", (64, 48)), ("tiny", (32, 32))):
        write_mp4(tmp_path / f"{name}.mp4", width=size[0], height=size[1], seconds=3, caption=FOX)
        assert decode(tmp_path / f"{name}.mp4").libav_messages == []

    assert small.caption_box is None and small.time_box is not None and small.time_box.lines == ("{now}",)
    assert tiny.caption_box is None and tiny.time_box is None


def test_font_draws_printable_ascii_and_boxes_the_rest() -> None:
    """Every printable ASCII character has a glyph within 5x9; accents drop, look-alikes map, others become □."""
    for code in range(32, 127):
        rows = GLYPHS[chr(code)]
        assert len(rows) == GLYPH_ROWS and all(0 <= x < GLYPH_WIDTH for row in rows for x in row)
        assert code == 32 or any(rows), chr(code)
    assert printable("Café  “naïve”\n—狐") == 'Cafe "naive" -□'


def test_frame_num_wraps_without_decoder_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With MaxFrameNum forced to 16, a 45-frame keyframe interval wraps frame_num and still decodes cleanly."""
    monkeypatch.setattr(h264, "MAX_LOG2_MAX_FRAME_NUM", 4)
    path = tmp_path / "video.mp4"
    write_mp4(path, width=64, height=48, seconds=3)

    decoded = decode(path)

    assert decoded.libav_messages == []
    assert decoded.frames == 90
    assert decoded.keyframes == [0, 45]


def test_64_bit_boxes_decode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The >4 GiB layout (mdat largesize, co64, version-1 mvhd/tkhd/mdhd) is valid, shown with a lowered limit."""
    monkeypatch.setattr(boxes, "MAX_UINT32", 1000)
    path = tmp_path / "video.mp4"
    size = write_mp4(path, width=96, height=64, seconds=2, audio=True)

    data = path.read_bytes()
    decoded = decode(path)

    assert size == len(data)
    assert data.count(b"co64") == 2 and b"stco" not in data
    assert data[data.index(b"mdat") - 4 : data.index(b"mdat")] == struct.pack(">I", 1)
    assert data[data.index(b"mvhd") + 4] == 1
    assert decoded.libav_messages == []
    assert (decoded.frames, decoded.audio_codec) == (60, "aac")
    assert decoded.container_seconds == pytest.approx(2, abs=1 / 30)


def test_file_is_faststart_with_the_expected_brands(tmp_path: Path) -> None:
    """Top-level boxes are ftyp, moov, mdat in that order; ftyp is isom with isom/iso2/avc1/mp41."""
    path = tmp_path / "video.mp4"
    write_mp4(path, width=160, height=96, seconds=1, audio=True)

    data = path.read_bytes()

    assert [kind for kind, _size in top_level_boxes(data)] == [b"ftyp", b"moov", b"mdat"]
    assert data[8:12] == b"isom"
    assert data[16:32] == b"isomiso2avc1mp41"


def test_large_file_is_streamed_not_held_in_memory(tmp_path: Path) -> None:
    """1920x1080, 30 s, a keyframe every 0.8 s (~120 MB) is written with a few MB of Python memory and demuxes fully."""
    path = tmp_path / "big.mp4"
    tracemalloc.start()
    try:
        size = write_mp4(path, width=1920, height=1080, seconds=30, keyframe_seconds=0.8, audio=True)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    try:
        assert size == path.stat().st_size > 100_000_000
        assert peak < 32_000_000
        with av.logging.Capture() as logs, av.open(str(path)) as container:
            packets = [p for p in container.demux(video=0) if p.size]
            assert container.duration == pytest.approx(30 * av.time_base, abs=av.time_base / 30)
        assert len(packets) == 900
        assert sum(p.is_keyframe for p in packets) == 38
        assert list(logs) == []
    finally:
        path.unlink()


@pytest.mark.parametrize(
    ("width", "height", "seconds", "keyframe_seconds"),
    [(15, 16, 1, None), (16, 17, 1, None), (14, 16, 1, None), (64, 64, 0, None), (64, 64, 1, 0.0)],
)
def test_rejects_arguments_that_cannot_make_a_video(
    tmp_path: Path, width: int, height: int, seconds: float, keyframe_seconds: float | None
) -> None:
    """Odd or tiny sizes, no frames and a non-positive keyframe interval raise ValueError and write nothing."""
    path = tmp_path / "video.mp4"
    with pytest.raises(ValueError, match="must"):
        write_mp4(path, width=width, height=height, seconds=seconds, keyframe_seconds=keyframe_seconds)
    assert not path.exists()
