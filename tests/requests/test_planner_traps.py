"""The traps of the Wan API: each combination DashScope would reject or silently ignore is refused with a fix."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

import mediafiles
from cases import AUDIO, IMAGE, IMAGE_2, VIDEO, fields, ok, refused
from wan_mcp.errors import RequestInvalid
from wan_mcp.requests import parse_arguments, plan_request

T2V = {"mode": "t2v", "prompt": "A kitten running in the moonlight"}


def test_defaults_are_720p_and_5s_and_said() -> None:
    """Without size or duration, t2v asks for 1280*720 and 5 s (not DashScope's 1080P) and says so."""
    plan = ok(T2V)
    assert plan.model == "wan2.6-t2v"
    assert plan.request.body == {
        "model": "wan2.6-t2v",
        "input": {"prompt": "A kitten running in the moonlight"},
        "parameters": {"size": "1280*720", "duration": 5},
    }
    text = " ".join(plan.notes)
    assert "model: wan2.6-t2v (the default for t2v)" in text
    assert "size: 1280*720" in text and "1920*1080" in text
    assert "duration: 5 s" in text
    assert plan.estimate.billed_seconds == 5 and plan.estimate.cost == pytest.approx(3.0)
    assert plan.estimate.currency == "CNY" and plan.to_dict()["estimate"]["cost"]["estimate"] is True


@pytest.mark.parametrize(
    ("resolution", "ratio", "size"),
    [
        ("720P", "16:9", "1280*720"),
        ("1080P", "9:16", "1080*1920"),
        ("720p", "4:3", "1088*832"),
        ("1080", "1:1", "1440*1440"),
    ],
)
def test_resolution_and_aspect_ratio_become_size(resolution: str, ratio: str, size: str) -> None:
    """For size-style models, resolution + aspect_ratio map to the exact W*H string."""
    plan = ok({**T2V, "resolution": resolution, "aspect_ratio": ratio})
    assert plan.request.body["parameters"]["size"] == size


def test_480p_has_no_4_3_size() -> None:
    """A tier/ratio pair that has no size is refused, listing the ratios that exist at that tier."""
    problems = refused({**T2V, "model": "wan2.5-t2v-preview", "resolution": "480P", "aspect_ratio": "4:3"})
    assert fields(problems) == {"aspect_ratio"} and "16:9, 9:16, 1:1" in problems[0].fix


def test_size_accepts_x_separator() -> None:
    """'1280x720' is read as 1280*720."""
    assert ok({**T2V, "size": "1280x720"}).request.body["parameters"]["size"] == "1280*720"


def test_size_written_as_tier_is_explained() -> None:
    """size '720P' is refused with a pointer to resolution + aspect_ratio."""
    problems = refused({**T2V, "size": "720P"})
    assert fields(problems) == {"size"} and "resolution and aspect_ratio" in problems[0].fix


@pytest.mark.parametrize(
    ("args", "field", "fix_words"),
    [
        ({"mode": "kf2v", "first_frame": IMAGE, "last_frame": IMAGE_2, "audio": AUDIO}, "audio", "merge"),
        (
            {"mode": "vace", "function": "video_outpainting", "prompt": "p", "video": VIDEO, "audio": AUDIO},
            "audio",
            "merge",
        ),
        (
            {"mode": "t2v", "model": "wan2.2-t2v-plus", "prompt": "p", "generate_audio": True},
            "generate_audio",
            "merge",
        ),
        ({**T2V, "generate_audio": False}, "generate_audio", "wan2.6-i2v-flash"),
        (
            {"mode": "r2v", "prompt": "character1 sings", "references": [IMAGE], "audio": AUDIO},
            "audio",
            "wan2.6-t2v",
        ),
        (
            {"mode": "t2v", "model": "wan2.5-t2v-preview", "prompt": "p", "shot_type": "multi"},
            "shot_type",
            "wan2.6",
        ),
        ({"mode": "t2v", "model": "wan2.7-t2v", "prompt": "p", "shot_type": "multi"}, "shot_type", "Shot 1"),
        ({**T2V, "shot_type": "multi", "prompt_extend": False}, "prompt_extend", "remove prompt_extend"),
        ({"mode": "i2v", "image": IMAGE, "size": "1280*720"}, "size", "resolution"),
        ({"mode": "i2v", "image": IMAGE, "aspect_ratio": "16:9"}, "aspect_ratio", "crop"),
        (
            {"mode": "r2v", "prompt": "character1", "references": [IMAGE], "prompt_extend": True},
            "prompt_extend",
            "remove",
        ),
        ({"mode": "animate", "image": IMAGE, "video": VIDEO, "prompt": "dance"}, "prompt", "remove"),
        ({"mode": "s2v", "image": IMAGE, "audio": AUDIO, "duration": 5}, "duration", "trim"),
        ({"mode": "i2v", "image": IMAGE, "template": "flying"}, "template", "wanx2.1-i2v-turbo"),
        ({**T2V, "function": "video_edit"}, "function", "remove"),
        (
            {
                "mode": "vace",
                "function": "image_reference",
                "prompt": "p",
                "ref_images": [IMAGE],
                "top_scale": 1.5,
            },
            "top_scale",
            "remove",
        ),
        (
            {
                "mode": "vace",
                "function": "video_repainting",
                "prompt": "p",
                "video": VIDEO,
                "control_condition": "depth",
                "size": "1280*720",
            },
            "size",
            "remove",
        ),
        (
            {
                "mode": "vace",
                "function": "image_reference",
                "prompt": "p",
                "ref_images": [IMAGE],
                "negative_prompt": "x",
            },
            "negative_prompt",
            "inside the prompt",
        ),
        ({"mode": "animate", "image": IMAGE, "video": VIDEO, "seed": 3}, "seed", "remove"),
    ],
)
def test_combinations_the_api_would_reject_or_ignore(args: dict[str, object], field: str, fix_words: str) -> None:
    """Each is refused, naming the argument, with a fix a person can act on."""
    problems = refused(dict(args))
    assert field in fields(problems), problems
    problem = next(p for p in problems if p.field == field)
    assert fix_words in problem.fix, problem


def test_multishot_turns_prompt_extend_on_and_says_so() -> None:
    """shot_type multi without prompt_extend sends prompt_extend true, with a note."""
    plan = ok({**T2V, "shot_type": "multi"})
    assert plan.request.body["parameters"]["prompt_extend"] is True
    assert any("multi-shot needs it" in n for n in plan.notes)


def test_r2v_multishot_sends_no_prompt_extend() -> None:
    """r2v has no prompt_extend parameter; multi-shot goes without it, as in the official example."""
    plan = ok({"mode": "r2v", "prompt": "character1 dances", "references": [VIDEO], "shot_type": "multi"})
    assert "prompt_extend" not in plan.request.body["parameters"]


def test_switch_models_send_the_audio_switch_and_price_silence() -> None:
    """generate_audio on wan2.6-r2v-flash becomes parameters.audio; silent is priced at the silent rate."""
    args = {"mode": "r2v", "prompt": "character1 dances", "references": [IMAGE], "resolution": "720P"}
    loud, quiet = ok(args), ok({**args, "generate_audio": False})
    assert "audio" not in loud.request.body["parameters"]
    assert quiet.request.body["parameters"]["audio"] is False
    assert loud.estimate.cost == pytest.approx(5 * 0.3) and quiet.estimate.cost == pytest.approx(5 * 0.15)
    assert not quiet.estimate.sound and any(n.startswith("Silent output") for n in quiet.notes)


def test_soundtrack_with_audio_off_is_refused() -> None:
    """On wan2.6-i2v-flash, generate_audio false silently beats a soundtrack: refused."""
    problems = refused({"mode": "i2v", "image": IMAGE, "audio": AUDIO, "generate_audio": False})
    assert fields(problems) == {"audio"}


def test_soundtrack_truncation_is_explained() -> None:
    """A soundtrack request says what happens when it is longer or shorter than the video."""
    plan = ok({**T2V, "audio": AUDIO, "duration": 10})
    assert plan.request.body["input"]["audio_url"] == AUDIO
    assert any("cut at 10 s" in n for n in plan.notes)


def test_duration_caution_when_sources_conflict() -> None:
    """wan2.6-t2v 7 s is accepted (newest docs) with a note naming the older 5/10/15 rule."""
    plan = ok({**T2V, "duration": 7})
    assert plan.request.body["parameters"]["duration"] == 7
    assert any("5/10/15" in n for n in plan.notes)
    assert not any("5/10/15" in n for n in ok({**T2V, "duration": 10}).notes)


def test_duration_past_15s_suggests_chaining() -> None:
    """A 20 s t2v request is refused with the chaining recipe."""
    problems = refused({**T2V, "duration": 20})
    assert "chain segments" in problems[0].fix


def test_mode_and_model_resolution() -> None:
    """Mode is inferred from a single-mode model; multi-mode models and a missing mode are refused clearly."""
    assert ok({"model": "wan2.2-kf2v-flash", "first_frame": IMAGE, "last_frame": IMAGE_2}).mode == "kf2v"
    assert fields(refused({"model": "wan3.0-video", "prompt": "p"})) == {"mode"}
    assert fields(refused({"prompt": "p"})) == {"mode"}
    problems = refused({"mode": "t2v", "model": "wan2.2-kf2v-flash", "prompt": "p"})
    assert fields(problems) == {"model"} and "wan2.6-t2v" in problems[0].fix
    problems = refused({"mode": "t2v", "model": "wan2.6-tv2", "prompt": "p"})
    assert problems[0].code == "unknown_model" and "wan2.6-t2v" in problems[0].fix
    assert fields(refused({"mode": "s2v", "model": "wan2.2-s2v-detect", "image": IMAGE})) == {"model"}


def test_default_model_falls_back_per_region() -> None:
    """When the default model is not offered in a region, the next one is used and the note says why."""
    plan = ok({"mode": "i2v", "image": IMAGE}, "virginia")
    assert plan.model == "wan2.6-i2v"
    assert any("wan2.6-i2v-flash" in n and "not offered" in n for n in plan.notes)
    problems = refused({"mode": "vace", "function": "video_outpainting", "prompt": "p", "video": VIDEO}, "virginia")
    assert problems[0].code == "not_in_region" and "beijing" in problems[0].fix


def test_unknown_argument_names_suggest_the_right_one() -> None:
    """DashScope wire names and typos are refused with the wan-mcp argument to use."""
    with pytest.raises(RequestInvalid) as info:
        parse_arguments({**T2V, "img_url": IMAGE, "negativ_prompt": "x"})
    fixes = {p.field: p.fix for p in info.value.problems}
    assert "'image'" in fixes["img_url"] and "'negative_prompt'" in fixes["negativ_prompt"]


def test_wrong_types_are_refused_with_the_expected_type() -> None:
    """duration 'five' or 5.5 is refused as not a whole number; mode 'movie' lists the modes."""
    for value in ("five", 5.5):
        problems = refused({**T2V, "duration": value})
        assert problems[0].field == "duration" and "whole number" in problems[0].fix
    assert "t2v" in refused({"mode": "movie", "prompt": "p"})[0].message


def test_r2v_reference_counts() -> None:
    """r2v takes 5 references, of which at most 3 videos."""
    base = {"mode": "r2v", "prompt": "character1 and character2"}
    ok({**base, "references": [VIDEO] * 3 + [IMAGE] * 2})
    assert fields(refused({**base, "references": [IMAGE] * 6})) == {"references"}
    problems = refused({**base, "references": [VIDEO] * 4})
    assert "4 video references" in problems[0].message


def test_r2v_in_virginia_accepts_images_and_2_to_10_s_with_cautions() -> None:
    """wan2.6-r2v in Virginia: 2–10 s and images (API reference); the guide's 5/10 s video-only rule: a caution."""
    base = {"mode": "r2v", "model": "wan2.6-r2v", "prompt": "character1"}
    assert not [n for n in ok({**base, "references": [VIDEO]}, "virginia").notes if "region table" in n]
    image = ok({**base, "references": [IMAGE], "duration": 7}, "virginia")
    cautions = [n for n in image.notes if "region table" in n]
    assert len(cautions) == 2 and any("video" in n for n in cautions) and any("5/10 s" in n for n in cautions)
    assert image.request.body["parameters"]["duration"] == 7


def test_reference_of_unknown_kind_is_refused() -> None:
    """A reference URL with no telling extension cannot be counted as image or video: refused."""
    problems = refused({"mode": "r2v", "prompt": "character1", "references": ["https://example.com/ref?id=1"]})
    assert problems[0].code == "unknown_media_kind"


def test_data_uri_only_where_the_api_takes_one() -> None:
    """i2v sends a data: URI inline; wan2.6 r2v (no base64) uploads it where storage exists, else refuses it."""
    uri = "data:image/png;base64," + base64.b64encode(mediafiles.png(640, 640)).decode()
    plan = ok({"mode": "i2v", "image": uri})
    assert plan.request.body["input"]["img_url"] == uri and not plan.uploads
    assert "X-DashScope-OssResourceResolve" not in plan.request.headers
    r2v = {"mode": "r2v", "prompt": "character1", "references": [uri]}
    uploaded = ok(r2v)
    assert [(u.argument, u.data_uri is not None) for u in uploaded.uploads] == [("references", True)]
    assert uploaded.request.headers["X-DashScope-OssResourceResolve"] == "enable"
    problems = refused({**r2v, "model": "wan2.6-r2v"}, "virginia")
    assert problems[0].code == "no_upload_in_region" and "https URL" in problems[0].fix
    singapore = ok(r2v, "singapore")
    assert singapore.uploads and any("older copy" in n for n in singapore.notes)


def test_local_images_go_inline_where_no_upload_exists(tmp_path: Path) -> None:
    """Where no temporary storage exists (Virginia), a small local i2v image goes inline; a local video is refused."""
    image = mediafiles.write(tmp_path / "cat.png", mediafiles.png(640, 480))
    plan = ok({"mode": "i2v", "model": "wan2.6-i2v", "image": str(image)}, "virginia")
    assert plan.request.body["input"]["img_url"].startswith("data:image/png;base64,") and not plan.uploads
    video = mediafiles.write(tmp_path / "ref.mp4", mediafiles.mp4(3, 640, 480))
    problems = refused({"mode": "r2v", "prompt": "character1", "references": [str(video)]}, "virginia")
    assert problems[0].code == "no_upload_in_region"


def test_paths_outside_allowed_folders_are_refused(tmp_path: Path) -> None:
    """A file outside the allowed folders, or a symlink pointing outside them, is refused; /dev and /proc too."""
    inside, outside = tmp_path / "inside", tmp_path / "outside"
    inside.mkdir()
    outside.mkdir()
    good = mediafiles.write(inside / "cat.png", mediafiles.png(640, 480))
    secret = mediafiles.write(outside / "secret.png", mediafiles.png(640, 480))
    link = inside / "link.png"
    link.symlink_to(secret)
    allowed = (inside,)
    assert plan_request({"mode": "i2v", "image": str(good)}, allowed_dirs=allowed).uploads
    for path in (secret, link):
        problems = refused({"mode": "i2v", "image": str(path)}, allowed_dirs=allowed)
        assert problems[0].code == "outside_allowed_dirs" and "WAN_MCP_ALLOWED_DIRS" in problems[0].fix
        assert "PNG" not in problems[0].message
    for special in ("/dev/zero", "/proc/self/environ"):
        assert refused({"mode": "i2v", "image": special})[0].code == "not_a_file"


def test_png_with_alpha_is_refused(tmp_path: Path) -> None:
    """A transparent PNG is refused for i2v (the API takes PNG without alpha)."""
    for name, data in (
        ("rgba.png", mediafiles.png(640, 640, alpha=True)),
        ("trns.png", mediafiles.png(640, 640, trns=True)),
    ):
        path = mediafiles.write(tmp_path / name, data)
        problems = refused({"mode": "i2v", "image": str(path)})
        assert "transparency" in problems[0].message


def test_wrong_format_is_refused_by_content_not_name(tmp_path: Path) -> None:
    """A WAV renamed .png is refused as WAV; a GIF is refused listing the formats."""
    path = mediafiles.write(tmp_path / "sound.png", mediafiles.wav(4))
    problems = refused({"mode": "i2v", "image": str(path)})
    assert problems[0].code == "invalid_format" and "WAV" in problems[0].message
    gif = mediafiles.write(tmp_path / "a.gif", b"GIF89a" + b"\0" * 20)
    assert "JPEG, PNG, BMP, WEBP" in refused({"mode": "i2v", "image": str(gif)})[0].message


def test_local_files_are_marked_for_upload(tmp_path: Path) -> None:
    """A local image becomes a file:// URI in the body, listed as an upload at its body field."""
    path = mediafiles.write(tmp_path / "cat.png", mediafiles.png(800, 600))
    plan = ok({"mode": "i2v", "image": str(path)})
    assert plan.request.body["input"]["img_url"] == path.as_uri()
    assert [(u.argument, u.pointer, u.path) for u in plan.uploads] == [("image", ("input", "img_url"), path)]
    assert plan.request.headers["X-DashScope-OssResourceResolve"] == "enable"
    refs = [str(path), IMAGE, str(path)]
    plan = ok({"mode": "r2v", "prompt": "character1", "references": refs})
    assert [u.pointer for u in plan.uploads] == [
        ("input", "reference_urls", 0),
        ("input", "reference_urls", 2),
    ]


def test_relative_paths_resolve_in_the_input_dir(tmp_path: Path) -> None:
    """A relative path is looked up in the input directory; a missing file is refused, naming where it looked."""
    mediafiles.write(tmp_path / "cat.jpg", mediafiles.jpeg_header(1024, 768))
    plan = plan_request({"mode": "i2v", "image": "cat.jpg"}, input_dir=tmp_path)
    assert plan.uploads[0].path == tmp_path / "cat.jpg"
    problems = refused({"mode": "i2v", "image": "dog.jpg"}, input_dir=tmp_path)
    assert problems[0].code == "file_not_found" and str(tmp_path) in problems[0].message


def test_oss_urls_need_the_resolve_header() -> None:
    """An oss:// input adds X-DashScope-OssResourceResolve: enable."""
    plan = ok({"mode": "i2v", "image": "oss://dashscope-instant/abc/2025-07-12/x/cat.png"})
    assert plan.request.headers["X-DashScope-OssResourceResolve"] == "enable"


def test_vace_rules() -> None:
    """VACE: obj_or_bg matches ref_images with ≤1 bg; control_condition values; ranges; one mask kind."""
    ref = {"mode": "vace", "function": "image_reference", "prompt": "a girl walks out of the forest"}
    ok({**ref, "ref_images": [IMAGE, IMAGE_2], "obj_or_bg": ["obj", "bg"]})
    ok({**ref, "ref_images": [IMAGE]})
    assert fields(refused({**ref, "ref_images": [IMAGE, IMAGE_2]})) == {"obj_or_bg"}
    assert fields(refused({**ref, "ref_images": [IMAGE, IMAGE_2], "obj_or_bg": ["obj"]})) == {"obj_or_bg"}
    assert fields(refused({**ref, "ref_images": [IMAGE, IMAGE_2], "obj_or_bg": ["bg", "bg"]})) == {"obj_or_bg"}
    assert fields(refused({**ref, "ref_images": [IMAGE] * 4, "obj_or_bg": ["obj"] * 4})) == {"ref_images"}
    paint = {"mode": "vace", "function": "video_repainting", "prompt": "steampunk", "video": VIDEO}
    assert fields(refused(paint)) == {"control_condition"}
    assert fields(refused({**paint, "control_condition": "canny"})) == {"control_condition"}
    ok({**paint, "control_condition": "scribble", "strength": 0.0})
    ok({**paint, "control_condition": "scribble", "strength": 1.0})
    assert fields(refused({**paint, "control_condition": "depth", "strength": 1.01})) == {"strength"}
    edit = {"mode": "vace", "function": "video_edit", "prompt": "a lion", "video": VIDEO}
    assert fields(refused(edit)) == {"mask_image"}
    assert fields(refused({**edit, "mask_image": IMAGE, "mask_video": VIDEO})) == {"mask_video"}
    assert fields(refused({**edit, "mask_video": VIDEO, "mask_frame_id": 2})) == {"mask_frame_id"}
    assert fields(refused({**edit, "mask_image": IMAGE, "mask_frame_id": 0})) == {"mask_frame_id"}
    assert fields(refused({**edit, "mask_image": IMAGE, "expand_ratio": -0.1})) == {"expand_ratio"}
    assert fields(refused({**edit, "mask_image": IMAGE, "control_condition": "scribble"})) == {"control_condition"}
    out = {"mode": "vace", "function": "video_outpainting", "prompt": "an orchestra", "video": VIDEO}
    ok({**out, "top_scale": 1.0, "left_scale": 2.0})
    assert fields(refused({**out, "bottom_scale": 2.01})) == {"bottom_scale"}
    assert fields(refused({**out, "right_scale": 0.99})) == {"right_scale"}
    ext = {"mode": "vace", "function": "video_extension", "prompt": "the dog skates on"}
    assert fields(refused(ext)) == {"first_frame"}
    assert fields(refused({**ext, "first_clip": VIDEO, "video": VIDEO})) == {"control_condition"}


def test_vace_clips_at_most_3_seconds(tmp_path: Path) -> None:
    """video_extension clips of 3 s are accepted; 3.2 s (or 2 + 2 s together) are refused before upload."""
    ext = {"mode": "vace", "function": "video_extension", "prompt": "the dog skates on"}
    three = mediafiles.write(tmp_path / "three.mp4", mediafiles.mp4(3.0, 1280, 720))
    ok({**ext, "first_clip": str(three)})
    long = mediafiles.write(tmp_path / "long.mp4", mediafiles.mp4(3.2, 1280, 720))
    assert refused({**ext, "first_clip": str(long)})[0].code == "invalid_duration"
    two = mediafiles.write(tmp_path / "two.mp4", mediafiles.mp4(2.0, 1280, 720))
    assert refused({**ext, "first_clip": str(two), "last_clip": str(two)})[0].code == "invalid_duration"
    plan = ok({**ext, "first_clip": VIDEO})
    assert any("3 s or less" in n for n in plan.notes)


def test_vace_urls_must_be_ascii() -> None:
    """VACE refuses URLs with Chinese characters, with the fix to percent-encode."""
    problems = refused(
        {
            "mode": "vace",
            "function": "video_outpainting",
            "prompt": "p",
            "video": "https://example.com/视频.mp4",
        }
    )
    assert problems[0].code == "invalid_url" and "percent-encode" in problems[0].fix


def test_kf2v_template_needs_no_last_frame_and_no_prompt() -> None:
    """wanx2.1-kf2v-plus with a template takes the first frame only; a prompt beside it is refused."""
    base = {"mode": "kf2v", "model": "wanx2.1-kf2v-plus", "first_frame": IMAGE, "template": "hanfu-1"}
    ok(base)
    assert fields(refused({**base, "prompt": "p"})) == {"prompt"}
    assert fields(refused({**base, "last_frame": IMAGE_2})) == {"last_frame"}
    assert fields(refused({"mode": "kf2v", "model": "wanx2.1-kf2v-plus", "first_frame": IMAGE})) == {"last_frame"}


def test_media_protocol_models() -> None:
    """wan2.7 and wan3.0 requests use input.media with typed items and resolution + ratio."""
    plan = ok({"mode": "kf2v", "model": "wan2.7-i2v", "first_frame": IMAGE, "last_frame": IMAGE_2, "prompt": "p"})
    assert plan.request.body["input"]["media"] == [
        {"type": "first_frame", "url": IMAGE},
        {"type": "last_frame", "url": IMAGE_2},
    ]
    clip = ok({"mode": "i2v", "model": "wan2.7-i2v", "first_clip": VIDEO})
    assert clip.request.body["input"]["media"] == [{"type": "first_clip", "url": VIDEO}]
    assert fields(refused({"mode": "i2v", "model": "wan2.7-i2v", "first_clip": VIDEO, "audio": AUDIO})) == {"audio"}
    wan3 = ok(
        {
            "mode": "r2v",
            "model": "wan3.0-video",
            "prompt": "image 1 sings audio 1",
            "references": [IMAGE, AUDIO],
        }
    )
    assert wan3.request.body["input"]["media"] == [
        {"type": "reference_image", "url": IMAGE},
        {"type": "reference_audio", "url": AUDIO},
    ]
    assert wan3.request.body["parameters"] == {"resolution": "720P", "ratio": "adaptive", "duration": 5}
    t2v = ok(
        {
            "mode": "t2v",
            "model": "wan3.0-video",
            "prompt": "a 20 s film",
            "duration": 20,
            "generate_audio": False,
        }
    )
    assert t2v.request.body["parameters"] == {
        "resolution": "720P",
        "ratio": "16:9",
        "duration": 20,
        "audio": False,
    }
    assert any("preview" in n for n in t2v.notes)


def test_wan3_rules() -> None:
    """Wan 3.0: a link needs prompt_extend (turned on), file and link exclude each other, -1 lets it decide."""
    base = {"mode": "r2v", "model": "wan3.0-video", "prompt": "summarise the page"}
    plan = ok({**base, "reference_link": "https://example.com/article"})
    assert plan.request.body["parameters"]["prompt_extend"] is True
    assert plan.request.body["input"]["media"] == [{"type": "link", "url": "https://example.com/article"}]
    problems = refused({**base, "reference_link": "https://example.com/a", "prompt_extend": False})
    assert fields(problems) == {"prompt_extend"}
    problems = refused(
        {**base, "reference_link": "https://example.com/a", "reference_file": "https://example.com/a.pdf"}
    )
    assert "reference_link" in fields(problems)
    auto = ok({"mode": "t2v", "model": "wan3.0-video", "prompt": "p", "duration": -1})
    assert auto.request.body["parameters"]["duration"] == -1 and auto.estimate.billed_seconds == 30
    assert fields(refused({"mode": "i2v", "model": "wan3.0-video", "image": IMAGE, "references": [IMAGE]})) == {
        "references"
    }
    problems = refused({"mode": "i2v", "model": "wan3.0-video", "image": IMAGE, "audio": AUDIO})
    assert "references" in problems[0].fix


def test_animate_quality_and_watermark_in_input() -> None:
    """Animate defaults to wan-std (noted), maps quality 'pro', and puts watermark in input."""
    base = {"mode": "animate", "image": IMAGE, "video": VIDEO}
    plan = ok(base)
    assert plan.request.body == {
        "model": "wan2.2-animate-move",
        "input": {"image_url": IMAGE, "video_url": VIDEO},
        "parameters": {"mode": "wan-std"},
    }
    assert any("quality: std" in n for n in plan.notes)
    pro = ok({**base, "quality": "wan-pro", "watermark": True, "model": "wan2.2-animate-mix"})
    assert pro.request.body["parameters"] == {"mode": "wan-pro"} and pro.request.body["input"]["watermark"] is True
    assert fields(refused({**base, "quality": "ultra"})) == {"quality"}


def test_animate_billing_follows_the_local_video(tmp_path: Path) -> None:
    """For animate, billed seconds are the input video's length when it can be read."""
    video = mediafiles.write(tmp_path / "dance.mp4", mediafiles.mp4(7.5, 720, 1280))
    plan = ok({"mode": "animate", "image": IMAGE, "video": str(video), "quality": "pro"})
    assert plan.estimate.billed_seconds == pytest.approx(7.5)
    assert plan.estimate.cost == pytest.approx(7.5 * 0.6)


def test_s2v_defaults_to_480p_and_refuses_a_prompt() -> None:
    """s2v keeps its own cheaper default (480P) and takes no prompt."""
    plan = ok({"mode": "s2v", "image": IMAGE, "audio": AUDIO})
    assert plan.request.body == {
        "model": "wan2.2-s2v",
        "input": {"image_url": IMAGE, "audio_url": AUDIO},
        "parameters": {"resolution": "480P"},
    }
    assert fields(refused({"mode": "s2v", "image": IMAGE, "audio": AUDIO}, "singapore")) == {"mode"}


def test_all_problems_are_reported_together() -> None:
    """One refusal lists every problem, not just the first."""
    problems = refused(
        {
            "mode": "kf2v",
            "first_frame": IMAGE,
            "audio": AUDIO,
            "duration": 10,
            "seed": -5,
            "prompt": "p" * 801,
        }
    )
    assert fields(problems) == {"audio", "last_frame", "duration", "seed", "prompt"}
