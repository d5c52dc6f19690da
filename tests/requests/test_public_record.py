"""What the 2026 sweep of the public record changed in planned requests: bodies, transport and billed seconds."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

import mediafiles
from cases import AUDIO, IMAGE, IMAGE_2, VIDEO, ok, refused

PNG_URI = "data:image/png;base64," + base64.b64encode(mediafiles.png(640, 640)).decode()


def test_videoedit_keeps_the_input_aspect_and_takes_no_prompt() -> None:
    """wan2.7-videoedit: without ratio the output keeps the input's aspect, and prompt is optional
    (bailian:wan27-videoedit-api 2026-04+): no ratio is sent and no prompt is required."""
    plan = ok({"mode": "vace", "model": "wan2.7-videoedit", "video": VIDEO})
    assert plan.request.body["parameters"] == {"resolution": "720P"}
    assert plan.request.body["input"] == {"media": [{"type": "video", "url": VIDEO}]}
    assert any("follows the input video" in n for n in plan.notes)
    chosen = ok({"mode": "vace", "model": "wan2.7-videoedit", "video": VIDEO, "aspect_ratio": "9:16"})
    assert chosen.request.body["parameters"]["ratio"] == "9:16"


def test_videoedit_bills_the_input_video_and_the_output(tmp_path: Path) -> None:
    """wan2.7-videoedit bills input + output seconds (bailian:wan27-videoedit-api: duration = input + output)."""
    video = mediafiles.write(tmp_path / "in.mp4", mediafiles.mp4(6.0, 1280, 720))
    plan = ok({"mode": "vace", "model": "wan2.7-videoedit", "video": str(video)})
    assert plan.estimate.output_seconds == pytest.approx(6.0)
    assert plan.estimate.billed_seconds == pytest.approx(12.0)
    cut = ok({"mode": "vace", "model": "wan2.7-videoedit", "video": str(video), "duration": 4})
    assert cut.estimate.billed_seconds == pytest.approx(10.0)
    unknown = ok({"mode": "vace", "model": "wan2.7-videoedit", "video": VIDEO})
    assert unknown.estimate.billed_seconds is None


def test_wan26_reference_videos_share_5_s_with_every_reference(tmp_path: Path) -> None:
    """wan2.6 r2v bills each reference video up to 5 s ÷ (images + videos); images are free (bailian:r2v-guide)."""
    clips = [str(mediafiles.write(tmp_path / f"{i}.mp4", mediafiles.mp4(3.0, 640, 640))) for i in range(2)]
    plan = ok({"mode": "r2v", "prompt": "character1", "references": [IMAGE, *clips], "resolution": "720P"})
    assert plan.estimate.billed_seconds == pytest.approx(5 + 2 * 1.65)
    assert any("shared by all references" in n for n in plan.notes)


def test_wan27_reference_videos_share_5_s_among_videos_only(tmp_path: Path) -> None:
    """wan2.7 r2v bills each reference video up to 5 s ÷ reference videos, images not counted (bailian:r2v-guide)."""
    clips = [str(mediafiles.write(tmp_path / f"{i}.mp4", mediafiles.mp4(3.0, 640, 640))) for i in range(2)]
    args = {"mode": "r2v", "model": "wan2.7-r2v", "prompt": "video 1", "references": [IMAGE, *clips]}
    assert ok(args).estimate.billed_seconds == pytest.approx(5 + 2 * 2.5)
    unknown = ok({**args, "references": [VIDEO]})
    assert unknown.estimate.billed_seconds == pytest.approx(10.0)
    assert any("counted at their share" in n for n in unknown.notes)


def test_wan27_reference_voices_ride_on_their_references() -> None:
    """media[i].reference_voice carries a voice for an image or video reference (bailian:wan27-r2v-api 2026-04+)."""
    voiced = {"references": [IMAGE, VIDEO], "reference_voices": [AUDIO, None]}
    plan = ok({"mode": "r2v", "model": "wan2.7-r2v", "prompt": "image 1 talks to video 1", **voiced})
    assert plan.request.body["input"]["media"] == [
        {"type": "reference_image", "url": IMAGE, "reference_voice": AUDIO},
        {"type": "reference_video", "url": VIDEO},
    ]
    assert refused({"mode": "r2v", "references": [IMAGE], "reference_voices": [AUDIO], "prompt": "c"})[0].field == (
        "reference_voices"
    )


def test_wan27_and_wan3_images_go_inline_as_data_uris() -> None:
    """wan2.7 (bailian:wan27-i2v-api) and Wan 3.0 (mstudio:wan3-api) take base64 images: sent inline, not uploaded."""
    for args in (
        {"mode": "i2v", "model": "wan2.7-i2v", "image": PNG_URI},
        {"mode": "i2v", "model": "wan3.0-video", "image": PNG_URI},
        {"mode": "r2v", "model": "wan2.7-r2v", "prompt": "image 1", "references": [PNG_URI]},
    ):
        plan = ok(args, "singapore")
        assert not plan.uploads and plan.request.body["input"]["media"][0]["url"] == PNG_URI


def test_local_images_for_wan3_go_inline_where_no_storage_exists(tmp_path: Path) -> None:
    """In Virginia (no temporary storage: mstudio:temp-url) a small local image for Wan 3.0 is sent inline."""
    image = mediafiles.write(tmp_path / "cat.png", mediafiles.png(640, 480))
    plan = ok({"mode": "i2v", "model": "wan3.0-video", "image": str(image)}, "virginia")
    assert plan.request.body["input"]["media"][0]["url"].startswith("data:image/png;base64,") and not plan.uploads


def test_singapore_uploads_local_files(tmp_path: Path) -> None:
    """Singapore has temporary storage (mstudio:temp-url 2026-10-27); the older Beijing-only copy is a caution."""
    video = mediafiles.write(tmp_path / "clip.mp4", mediafiles.mp4(3, 640, 640))
    plan = ok({"mode": "r2v", "prompt": "character1", "references": [str(video)]}, "singapore")
    assert [u.pointer for u in plan.uploads] == [("input", "reference_urls", 0)]
    assert plan.request.headers["X-DashScope-OssResourceResolve"] == "enable"
    assert any("Uploads in Singapore" in n for n in plan.notes)


def test_wan27_i2v_clip_continuation_body() -> None:
    """first_clip + last_frame is a legal wan2.7-i2v combination (bailian:wan27-i2v-api 2026-04+)."""
    plan = ok({"mode": "i2v", "model": "wan2.7-i2v", "first_clip": VIDEO, "last_frame": IMAGE_2})
    assert plan.request.body["input"]["media"] == [
        {"type": "last_frame", "url": IMAGE_2},
        {"type": "first_clip", "url": VIDEO},
    ]


def test_wan3_text_needs_a_prompt_a_file_or_a_link() -> None:
    """Wan 3.0 text-to-video needs a prompt unless a file or link stands in for it (ref:wan3, from ali-bailian-mcp)."""
    assert (
        ok({"mode": "t2v", "model": "wan3.0-video", "reference_link": "https://example.com/a"}).model == "wan3.0-video"
    )
    problems = refused({"mode": "t2v", "model": "wan3.0-video"})
    assert [(p.field, p.code) for p in problems] == [("prompt", "missing_argument")]


def test_a_dated_snapshot_is_planned_under_its_own_name() -> None:
    """wan2.7-i2v-2026-04-25 (the model of the official examples, bailian:wan27-i2v-api) plans like wan2.7-i2v."""
    plan = ok({"mode": "i2v", "model": "wan2.7-i2v-2026-04-25", "image": IMAGE})
    assert plan.request.body["model"] == plan.model == "wan2.7-i2v-2026-04-25"
    assert plan.request.body["input"]["media"] == [{"type": "first_frame", "url": IMAGE}]
