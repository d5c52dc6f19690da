"""Local media work with PyAV on the emulator's real MP4s: probe, compare, contact sheet, frames, last clip, merge."""

from __future__ import annotations

import io
import math
import struct
import subprocess
import sys
import wave
from array import array
from dataclasses import dataclass
from pathlib import Path

import av
import pytest

from wan_mcp import media
from wan_mcp.emulator.mp4 import write_mp4
from wan_mcp.errors import RequestInvalid

FPS = 30


@dataclass(frozen=True)
class Clips:
    """Videos written once for the whole module."""

    a: Path  # 320x180, 2 s, silent AAC
    b: Path  # same, another seed
    c: Path  # same, another seed
    mute: Path  # same size, no audio
    large: Path  # 480x360, 2 s, no audio
    five: Path  # 320x180, 5 s, a keyframe (new picture) every second
    quarters: Path  # 320x180, 2 s, a new picture every 0.5 s


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Clips:
    """The module's test videos."""
    folder = tmp_path_factory.mktemp("clips")

    def clip(
        name: str,
        *,
        seed: int,
        size: tuple[int, int] = (320, 180),
        seconds: float = 2,
        audio: bool = True,
        keyframe_seconds: float | None = None,
    ) -> Path:
        path = folder / name
        width, height = size
        write_mp4(
            path,
            width=width,
            height=height,
            seconds=seconds,
            fps=FPS,
            audio=audio,
            seed=seed,
            keyframe_seconds=keyframe_seconds,
        )
        return path

    return Clips(
        a=clip("a.mp4", seed=1),
        b=clip("b.mp4", seed=2),
        c=clip("c.mp4", seed=3),
        mute=clip("mute.mp4", seed=4, audio=False),
        large=clip("large.mp4", seed=5, size=(480, 360), audio=False),
        five=clip("five.mp4", seed=6, seconds=5, keyframe_seconds=1.0),
        quarters=clip("quarters.mp4", seed=7, keyframe_seconds=0.5),
    )


def write_wav(path: Path, seconds: float, *, tone: bool = True, channels: int = 1, rate: int = 44_100) -> Path:
    """A 16-bit PCM WAV: a 440 Hz sine (or silence) lasting exactly `seconds`."""
    count = round(seconds * rate)
    samples = array("h", (round(8000 * math.sin(2 * math.pi * 440 * i / rate)) if tone else 0 for i in range(count)))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(struct.pack("<h", s) * channels for s in samples) if channels > 1 else samples)
    return path


def video_frames(path: Path) -> int:
    """How many video packets (frames) the file holds."""
    with av.open(str(path)) as container:
        return sum(1 for packet in container.demux(container.streams.video[0]) if packet.size)


def stream_seconds(path: Path, kind: str) -> float:
    """The duration of the first stream of `kind` ("video" or "audio"), in seconds."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0] if kind == "video" else container.streams.audio[0]
        assert stream.duration is not None and stream.time_base is not None
        return float(stream.duration * stream.time_base)


def audio_peak(path: Path) -> int:
    """The loudest 16-bit sample of the first audio stream (0 for silence)."""
    resampler = av.AudioResampler(format="s16", layout="mono", rate=48_000)
    peak = 0
    with av.open(str(path)) as container:
        for frame in container.decode(container.streams.audio[0]):
            for converted in resampler.resample(frame):
                samples = array("h", bytes(converted.planes[0])[: converted.samples * 2])
                peak = max(peak, max(map(abs, samples), default=0))
    return peak


def only_frame(path: Path) -> av.VideoFrame:
    """The one picture of an image file, as rgb24."""
    with av.open(str(path)) as container:
        frame = next(container.decode(container.streams.video[0]))
    return frame.reformat(format="rgb24")


def mean_rgb(frame: av.VideoFrame, left: int, top: int, width: int, height: int) -> tuple[float, float, float]:
    """The average colour of a rectangle of an rgb24 frame."""
    plane = frame.planes[0]
    data = bytes(plane)
    sums = [0, 0, 0]
    for y in range(top, top + height):
        row = data[y * plane.line_size + left * 3 : y * plane.line_size + (left + width) * 3]
        for channel in range(3):
            sums[channel] += sum(row[channel::3])
    count = width * height
    return sums[0] / count, sums[1] / count, sums[2] / count


def pixels(frame: av.VideoFrame, plane_format: str) -> bytes:
    """The visible samples of the first plane of `frame` in `plane_format` ("rgb24" or "yuv420p"), no padding."""
    converted = frame if frame.format.name == plane_format else frame.reformat(format=plane_format)
    plane = converted.planes[0]
    data = bytes(plane)
    width = converted.width * (3 if plane_format == "rgb24" else 1)
    return b"".join(data[y * plane.line_size : y * plane.line_size + width] for y in range(converted.height))


def luma_distance(first: av.VideoFrame, second: av.VideoFrame) -> float:
    """Mean absolute difference of the luma samples of two same-size frames."""
    one, two = pixels(first, "yuv420p"), pixels(second, "yuv420p")
    return sum(abs(p - q) for p, q in zip(one, two, strict=True)) / len(one)


def nth_frame(path: Path, index: int) -> av.VideoFrame:
    """The index-th decoded frame of a video."""
    with av.open(str(path)) as container:
        for number, frame in enumerate(container.decode(container.streams.video[0])):
            if number == index:
                return frame
    raise AssertionError(f"{path} has fewer than {index + 1} frames")


# -- availability ---------------------------------------------------------------------------------------------


def test_require_raises_media_unavailable_without_pyav(monkeypatch: pytest.MonkeyPatch, clips: Clips) -> None:
    """Without PyAV, require() and every feature raise MediaUnavailable naming the feature and the extra."""
    monkeypatch.setitem(sys.modules, "av", None)

    with pytest.raises(media.MediaUnavailable) as raised:
        media.require("merge_media")
    with pytest.raises(media.MediaUnavailable):
        media.probe(clips.a)

    assert media.available() is False
    assert raised.value.code == "media_extra_missing"
    assert "merge_media" in raised.value.message
    assert raised.value.fix == "install the media extra: pip install 'wan-mcp[media]'"


def test_module_imports_without_pyav() -> None:
    """`import wan_mcp.media` does not import av; available() is True once PyAV is importable."""
    code = "import sys; sys.modules['av'] = None; import wan_mcp.media as m; print(m.available())"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert result.stdout.strip() == "False"
    assert media.available() is True


# -- probe and compare ----------------------------------------------------------------------------------------


def test_probe_reports_container_and_stream_facts(clips: Clips) -> None:
    """probe() reads duration, size, rate, frame count, codecs, audio and file size from the headers."""
    facts = media.probe(clips.a)

    assert facts.duration == pytest.approx(2.0, abs=0.03)
    assert (facts.width, facts.height, facts.fps, facts.frames) == (320, 180, 30.0, 60)
    assert (facts.video_codec, facts.audio_codec, facts.has_audio) == ("h264", "aac", True)
    assert facts.audio_duration == pytest.approx(2.0, abs=0.03)
    assert facts.size_bytes == clips.a.stat().st_size
    assert facts.to_dict()["path"] == str(clips.a)


def test_probe_of_a_video_without_sound(clips: Clips) -> None:
    """A video without an audio stream has has_audio False and no audio codec or duration."""
    facts = media.probe(clips.large)

    assert (facts.width, facts.height) == (480, 360)
    assert (facts.has_audio, facts.audio_codec, facts.audio_duration) == (False, None, None)


def test_probe_of_a_file_that_is_not_a_video_raises_media_error(tmp_path: Path) -> None:
    """Garbage is a MediaError with a fix, not an FFmpeg exception."""
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00" * 1000 + b"not a video")

    with pytest.raises(media.MediaError) as raised:
        media.probe(junk)

    assert raised.value.code == "media_error" and raised.value.fix


def test_compare_passes_a_matching_video(clips: Clips) -> None:
    """A video that is what was asked for has no mismatches."""
    facts = media.probe(clips.a)

    assert media.compare(facts, seconds=2, size="320*180", sound=True) == []
    assert media.compare(facts, seconds=2.4, aspect_ratio="16:9", sound=True) == []
    assert media.compare(media.probe(clips.large), seconds=2, aspect_ratio="4:3", sound=False) == []


@dataclass(frozen=True)
class Asked:
    """What a request asked for, as compare() takes it."""

    seconds: float = 2
    size: str | None = None
    aspect_ratio: str | None = None
    sound: bool | None = None


@pytest.mark.parametrize(
    ("asked", "phrase"),
    [
        pytest.param(Asked(seconds=5), "lasts 2.", id="duration"),
        pytest.param(Asked(size="1280*720"), "1280*720", id="size"),
        pytest.param(Asked(aspect_ratio="9:16"), "9:16", id="aspect-ratio"),
        pytest.param(Asked(aspect_ratio="1.7:1"), "1.7:1", id="aspect-ratio-over-2-percent"),
        pytest.param(Asked(sound=False), "no sound was asked", id="unexpected-sound"),
    ],
)
def test_compare_names_each_mismatch(clips: Clips, asked: Asked, phrase: str) -> None:
    """Each kind of difference from the request gives exactly one sentence that names it."""
    facts = media.probe(clips.a)
    mismatches = media.compare(
        facts, seconds=asked.seconds, size=asked.size, aspect_ratio=asked.aspect_ratio, sound=asked.sound
    )

    assert len(mismatches) == 1 and phrase in mismatches[0]


def test_compare_flags_missing_sound_and_ignores_ratio_when_size_is_given(clips: Clips) -> None:
    """Sound asked for but no audio stream is a mismatch; the aspect ratio is only checked without a size."""
    mismatches = media.compare(media.probe(clips.large), seconds=2, size="480*360", aspect_ratio="16:9", sound=True)

    assert mismatches == ["it has no audio stream although sound was asked for"]


# -- contact sheet and frames ---------------------------------------------------------------------------------


def test_contact_sheet_is_a_small_jpeg_of_four_different_frames(clips: Clips) -> None:
    """The sheet is a JPEG ≤ 200 KB that decodes to a 640-wide 2x2 grid of four different moments."""
    sheet = media.contact_sheet(clips.quarters)

    assert sheet[:2] == b"\xff\xd8" and len(sheet) <= 200_000
    with av.open(io.BytesIO(sheet)) as container:
        assert container.streams.video[0].codec_context.name == "mjpeg"
        picture = next(container.decode(video=0)).reformat(format="rgb24")
    assert (picture.width, picture.height) == (640, 360)
    quadrants = [mean_rgb(picture, left + 60, top + 40, 200, 100) for top in (0, 180) for left in (0, 320)]
    assert len({tuple(round(c) for c in q) for q in quadrants}) == 4


def test_contact_sheet_lowers_quality_to_fit(clips: Clips) -> None:
    """A tighter byte budget gives a smaller JPEG; an impossible one is a MediaError."""
    roomy = media.contact_sheet(clips.quarters)
    tight = media.contact_sheet(clips.quarters, max_bytes=len(roomy) - 1)

    assert tight[:2] == b"\xff\xd8" and len(tight) < len(roomy)
    with pytest.raises(media.MediaError):
        media.contact_sheet(clips.quarters, max_bytes=500)


def test_extract_frame_first_last_and_time(clips: Clips, tmp_path: Path) -> None:
    """PNG frames at the video's size; first at 0, last at duration − 1/fps, a time at that time; first ≠ last."""
    first, first_at = media.extract_frame(clips.five, tmp_path / "first.png", at="first")
    last, last_at = media.extract_frame(clips.five, tmp_path / "last.png")
    middle, middle_at = media.extract_frame(clips.five, tmp_path / "middle.png", at=2.5)
    text, text_at = media.extract_frame(clips.five, tmp_path / "text.png", at="1.0")

    assert (first_at, middle_at, text_at) == (0.0, 2.5, 1.0)
    assert last_at == pytest.approx(media.probe(clips.five).duration - 1 / FPS, abs=1e-6)
    for path in (first, last, middle, text):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        picture = only_frame(path)
        assert (picture.width, picture.height) == (320, 180)
    assert first.read_bytes() != last.read_bytes()
    assert pixels(only_frame(last), "rgb24") == pixels(nth_frame(clips.five, 149), "rgb24")
    assert not list(tmp_path.glob("*.part"))


def test_extract_frame_beyond_the_end_raises_with_a_fix(clips: Clips, tmp_path: Path) -> None:
    """A time after the video's end is a MediaError whose fix gives the valid range; nothing is written."""
    dest = tmp_path / "late.png"

    with pytest.raises(media.MediaError) as raised:
        media.extract_frame(clips.a, dest, at=9.0)

    assert "between 0 and 2" in raised.value.fix
    assert not dest.exists() and not list(tmp_path.iterdir())


def test_extract_frame_rejects_a_malformed_time(clips: Clips, tmp_path: Path) -> None:
    """`at` must be first, last or seconds."""
    with pytest.raises(RequestInvalid):
        media.extract_frame(clips.a, tmp_path / "x.png", at="middle")


# -- last clip ------------------------------------------------------------------------------------------------


def test_last_clip_is_the_final_three_seconds(clips: Clips, tmp_path: Path) -> None:
    """3 s of a 5 s video: 90 frames at 30 fps, no sound, starting exactly at 2.0 s (not a frame earlier)."""
    clip = media.last_clip(clips.five, tmp_path / "end.mp4")

    facts = media.probe(clip)
    assert facts.duration == pytest.approx(3.0, abs=1 / FPS)
    assert video_frames(clip) == 90
    assert (facts.width, facts.height, facts.fps, facts.has_audio) == (320, 180, 30.0, False)
    opening, source_opening = nth_frame(clip, 0), nth_frame(clips.five, 60)
    assert luma_distance(opening, source_opening) < 2 < luma_distance(opening, nth_frame(clips.five, 59))
    tags = ("color_range", "colorspace", "color_primaries", "color_trc")
    assert [getattr(opening, tag) for tag in tags] == [getattr(source_opening, tag) for tag in tags]


def test_last_clip_of_a_shorter_video_is_all_of_it(clips: Clips, tmp_path: Path) -> None:
    """Asking for more seconds than the video has gives the whole video."""
    clip = media.last_clip(clips.a, tmp_path / "all.mp4", seconds=3.0)

    assert video_frames(clip) == 60
    assert media.probe(clip).duration == pytest.approx(2.0, abs=1 / FPS)


# -- merge ----------------------------------------------------------------------------------------------------


def test_merge_of_compatible_clips_copies_packets(clips: Clips, tmp_path: Path) -> None:
    """Three same-format clips are joined without re-encoding: frames and durations add up, sound is kept."""
    parts = [clips.a, clips.b, clips.c]

    result = media.merge(parts, tmp_path / "joined.mp4")

    inputs = sum(media.probe(p).duration for p in parts)
    assert result.reencoded is False and result.has_audio is True
    assert video_frames(Path(result.path)) == 3 * 60
    assert result.inputs_duration == pytest.approx(inputs)
    assert result.duration == pytest.approx(inputs, abs=0.1 * 3)
    assert stream_seconds(Path(result.path), "audio") == pytest.approx(inputs, abs=0.1 * 3)
    assert result.size_bytes == Path(result.path).stat().st_size
    assert not list(tmp_path.glob("*.part"))


def test_merge_of_different_sizes_reencodes_at_the_first_size(clips: Clips, tmp_path: Path) -> None:
    """A clip of another size (and one without sound) forces H.264 + AAC at the first clip's size and rate."""
    result = media.merge([clips.a, clips.large, clips.b], tmp_path / "mixed.mp4")

    facts = media.probe(Path(result.path))
    assert result.reencoded is True and result.has_audio is True
    assert (facts.width, facts.height, facts.fps, facts.video_codec, facts.audio_codec) == (320, 180, 30, "h264", "aac")
    assert video_frames(Path(result.path)) == 3 * 60
    assert result.duration == pytest.approx(6.0, abs=0.1 * 3)
    assert stream_seconds(Path(result.path), "audio") == pytest.approx(6.0, abs=0.1 * 3)


@pytest.mark.parametrize("mode", ["replace", "mix"])
def test_merge_with_a_soundtrack_trimmed_to_the_video(clips: Clips, tmp_path: Path, mode: str) -> None:
    """A longer WAV is cut at the video's end, a shorter one padded; the video itself is still copied."""
    for seconds in (9.0, 3.0):
        track = write_wav(tmp_path / f"{seconds}.wav", seconds)
        result = media.merge([clips.a, clips.b, clips.c], tmp_path / f"{mode}.mp4", audio=track, audio_mode=mode)

        path = Path(result.path)
        assert result.reencoded is False and result.has_audio is True
        assert result.duration == pytest.approx(6.0, abs=0.1 * 3)
        assert stream_seconds(path, "audio") == pytest.approx(stream_seconds(path, "video"), abs=0.05)
        assert audio_peak(path) > 4000  # the tone, not the clips' silent AAC


@pytest.mark.parametrize("mode", ["replace", "mix"])
def test_merge_trimmed_to_the_soundtrack(clips: Clips, tmp_path: Path, mode: str) -> None:
    """With trim="audio" the result lasts as long as the WAV: a shorter one cuts the video, a longer one holds it."""
    for seconds in (3.5, 8.0):
        track = write_wav(tmp_path / f"{seconds}.wav", seconds, channels=2)
        result = media.merge(
            [clips.a, clips.b, clips.c], tmp_path / f"{mode}-{seconds}.mp4", audio=track, audio_mode=mode, trim="audio"
        )

        path = Path(result.path)
        assert result.duration == pytest.approx(seconds, abs=0.1)
        assert stream_seconds(path, "audio") == pytest.approx(seconds, abs=0.05)
        assert stream_seconds(path, "video") == pytest.approx(seconds, abs=0.1)


def test_mix_keeps_the_videos_sound_and_replace_drops_it(clips: Clips, tmp_path: Path) -> None:
    """Under a silent soundtrack, "mix" still has the video's tone and "replace" is silent; a mute clip is silence."""
    toned = media.merge([clips.a], tmp_path / "toned.mp4", audio=write_wav(tmp_path / "tone.wav", 2.0)).path
    silent = write_wav(tmp_path / "silent.wav", 4.0, tone=False)

    mixed = media.merge([Path(toned), clips.mute], tmp_path / "mixed.mp4", audio=silent, audio_mode="mix")
    replaced = media.merge([Path(toned), clips.mute], tmp_path / "replaced.mp4", audio=silent)

    assert audio_peak(Path(toned)) > 4000
    assert audio_peak(Path(mixed.path)) > 4000
    assert audio_peak(Path(replaced.path)) == 0
    assert mixed.duration == pytest.approx(4.0, abs=0.2)


def test_merge_of_a_truncated_clip_raises_and_leaves_nothing(clips: Clips, tmp_path: Path) -> None:
    """A clip cut short on disk is never merged silently: MediaError with a fix, no output, no .part file."""
    data = clips.b.read_bytes()
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(data[: len(data) * 6 // 10])
    dest = tmp_path / "out.mp4"

    for videos in ([clips.a, truncated, clips.c], [clips.a, truncated, clips.large]):
        with pytest.raises(media.MediaError) as raised:
            media.merge(videos, dest)
        assert "truncated.mp4" in raised.value.message and raised.value.fix

    assert sorted(p.name for p in tmp_path.iterdir()) == ["truncated.mp4"]


def test_merge_refuses_bad_arguments(clips: Clips, tmp_path: Path) -> None:
    """No videos, an unknown audio_mode or trim are refused before anything is read."""
    with pytest.raises(RequestInvalid):
        media.merge([], tmp_path / "x.mp4")
    with pytest.raises(RequestInvalid):
        media.merge([clips.a], tmp_path / "x.mp4", audio_mode="blend")
    with pytest.raises(RequestInvalid):
        media.merge([clips.a], tmp_path / "x.mp4", trim="both")
