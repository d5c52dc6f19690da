"""One test per planning rule, named after it; each docstring cites the public source the rule encodes.

Source keys are those of `catalog.SOURCES` (docs/catalog-sweep.md lists them with their addresses).
"""

from __future__ import annotations

import sys
from pathlib import Path

import mediafiles
from cases import AUDIO, IMAGE, IMAGE_2, VIDEO, fields, ok, refused
from wan_mcp.requests.rules import RULES

T2V = {"mode": "t2v", "prompt": "A kitten running in the moonlight"}
I2V27 = {"mode": "i2v", "model": "wan2.7-i2v"}
R2V27 = {"mode": "r2v", "model": "wan2.7-r2v", "prompt": "image 1 waves"}
EDIT27 = {"mode": "vace", "model": "wan2.7-videoedit", "video": VIDEO}
WAN3_R2V = {"mode": "r2v", "model": "wan3.0-video", "prompt": "image 1 sings"}
VACE = {"mode": "vace", "prompt": "a lion"}


def only(problems: list, field: str, code: str) -> None:  # type: ignore[type-arg]
    """The refusal names exactly this field, with this code."""
    assert [(p.field, p.code) for p in problems] == [(field, code)], problems


def test_every_rule_has_its_test() -> None:
    """Each rule in RULES has a test in this module whose name starts with test_<rule>."""
    names = {name for name in vars(sys.modules[__name__]) if name.startswith("test_")}
    for rule in RULES:
        assert any(name.startswith(f"test_{rule.__name__}") for name in names), rule.__name__


def test_arguments_used_refuses_what_the_model_does_not_use() -> None:
    """An argument the model ignores is refused (wan-mcp's promise; the catalog's mode specs, ref:wan-api §4)."""
    only(refused({**T2V, "function": "video_edit"}), "function", "not_supported")


def test_required_arguments_names_the_missing_input() -> None:
    """img_url is required for first-frame image-to-video (bailian:legacy-i2v-api 2025-09+)."""
    only(refused({"mode": "i2v"}), "image", "missing_argument")


def test_one_of_arguments_needs_a_frame_or_a_clip() -> None:
    """wan2.7-i2v needs first_frame or first_clip: only the listed combinations are legal (bailian:wan27-i2v-api)."""
    only(refused({**I2V27, "prompt": "p"}), "image", "missing_argument")


def test_exclusive_arguments_refuses_frame_and_clip_together() -> None:
    """first_frame with first_clip is not a legal wan2.7-i2v combination (bailian:wan27-i2v-api 2026-04+)."""
    only(refused({**I2V27, "image": IMAGE, "first_clip": VIDEO}), "first_clip", "conflicting_arguments")


def test_prompt_not_empty_where_a_prompt_is_required() -> None:
    """t2v requires a prompt (mstudio:legacy-t2v-api 2026-10-12: input.prompt 必选); blank is refused."""
    only(refused({**T2V, "prompt": "   "}), "prompt", "missing_argument")


def test_prompt_length_is_5000_for_wan27_image_to_video() -> None:
    """wan2.7-i2v takes up to 5,000 characters, cut silently beyond (bailian:wan27-i2v-api 2026-04+)."""
    ok({**I2V27, "image": IMAGE, "prompt": "字" * 5000})
    only(refused({**I2V27, "image": IMAGE, "prompt": "字" * 5001}), "prompt", "too_long")


def test_negative_prompt_length_is_500() -> None:
    """negative_prompt is at most 500 characters (every Wan API reference, e.g. bailian:wan27-r2v-api)."""
    ok({**R2V27, "references": [IMAGE], "negative_prompt": "n" * 500})
    only(refused({**R2V27, "references": [IMAGE], "negative_prompt": "n" * 501}), "negative_prompt", "too_long")


def test_reference_link_is_web_page() -> None:
    """A Wan 3.0 link reference is a public web page (ref:wan3 2026-11, from the official page via ali-bailian-mcp)."""
    only(refused({**WAN3_R2V, "reference_link": "ftp://example.com/a"}), "reference_link", "invalid_value")


def test_reference_file_is_a_document_refuses_an_image(tmp_path: Path) -> None:
    """Wan 3.0 reads documents as a file reference: PDF, Office, Markdown/text (ref:wan3 2026-11, ali-bailian-mcp);
    an image sent as one is refused by its content, a PDF accepted."""
    picture = mediafiles.write(tmp_path / "notes.pdf", mediafiles.png(640, 480))
    only(refused({**WAN3_R2V, "reference_file": str(picture)}), "reference_file", "invalid_format")
    brief = mediafiles.write(tmp_path / "brief.pdf", b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    ok({**WAN3_R2V, "reference_file": str(brief)})


def test_media_urls_ascii_for_vace() -> None:
    """VACE URLs must not contain Chinese characters (ref:wan-api 2026-11, D-VACE)."""
    args = {**VACE, "function": "video_outpainting", "video": "https://example.com/视频.mp4"}
    only(refused(args), "video", "invalid_url")


def test_media_formats_refuses_a_gif(tmp_path: Path) -> None:
    """Images are JPEG/PNG/BMP/WEBP (bailian:legacy-i2v-api 2025-09+); a GIF is refused by its content."""
    gif = mediafiles.write(tmp_path / "a.gif", b"GIF89a" + b"\0" * 20)
    only(refused({"mode": "i2v", "image": str(gif)}), "image", "invalid_format")


def test_media_file_sizes_20_mb_for_wan27_images(tmp_path: Path) -> None:
    """wan2.7 images are at most 20 MB (bailian:wan27-i2v-api 2026-04+)."""
    header = mediafiles.png(640, 640)
    ok({**I2V27, "image": str(mediafiles.write(tmp_path / "ok.png", header, size=20_000_000))})
    big = mediafiles.write(tmp_path / "big.png", header, size=20_000_001)
    only(refused({**I2V27, "image": str(big)}), "image", "file_too_large")


def test_png_transparency_is_refused(tmp_path: Path) -> None:
    """PNG without transparency only (bailian:wan27-i2v-api 2026-04+: PNG（不支持透明通道）)."""
    path = mediafiles.write(tmp_path / "rgba.png", mediafiles.png(640, 640, alpha=True))
    only(refused({**I2V27, "image": str(path)}), "image", "invalid_format")


def test_media_pixels_240_to_8000(tmp_path: Path) -> None:
    """wan2.7 image sides are 240–8000 px (bailian:wan27-i2v-api 2026-04+)."""
    ok({**I2V27, "image": str(mediafiles.write(tmp_path / "ok.png", mediafiles.png(240, 240)))})
    small = mediafiles.write(tmp_path / "small.png", mediafiles.png(239, 300))
    only(refused({**I2V27, "image": str(small)}), "image", "invalid_dimensions")


def test_media_aspect_ratios_1_to_8(tmp_path: Path) -> None:
    """wan2.7 images are 1:8 to 8:1 (bailian:wan27-i2v-api 2026-04+)."""
    ok({**I2V27, "image": str(mediafiles.write(tmp_path / "ok.png", mediafiles.png(2400, 300)))})
    wide = mediafiles.write(tmp_path / "wide.png", mediafiles.png(2500, 300))
    only(refused({**I2V27, "image": str(wide)}), "image", "invalid_dimensions")


def test_media_seconds_reference_voice_1_to_10_s(tmp_path: Path) -> None:
    """A wan2.7-r2v reference_voice lasts 1–10 s (bailian:wan27-r2v-api 2026-04+)."""
    voice = mediafiles.write(tmp_path / "v.wav", mediafiles.wav(10))
    ok({**R2V27, "references": [IMAGE], "reference_voices": [str(voice)]})
    long = mediafiles.write(tmp_path / "long.wav", mediafiles.wav(10.3))
    only(
        refused({**R2V27, "references": [IMAGE], "reference_voices": [str(long)]}),
        "reference_voices[0]",
        "invalid_duration",
    )


def test_list_lengths_four_reference_images_for_videoedit() -> None:
    """wan2.7-videoedit takes at most 4 reference images (bailian:wan27-videoedit-api 2026-04+)."""
    ok({**EDIT27, "ref_images": [IMAGE] * 4})
    only(refused({**EDIT27, "ref_images": [IMAGE] * 5}), "ref_images", "too_many")


def test_item_labels_obj_or_bg_per_reference_image() -> None:
    """obj_or_bg has one entry per reference image (ref:wan-api D-ERR: 'ref_images_url and obj_or_bg must be the same
    length')."""
    args = {**VACE, "function": "image_reference", "ref_images": [IMAGE, IMAGE_2], "obj_or_bg": ["obj"]}
    only(refused(args), "obj_or_bg", "invalid_value")


def test_reference_counts_five_references() -> None:
    """wan2.7-r2v takes at most 5 reference images and videos together (bailian:wan27-r2v-api 2026-04+)."""
    ok({**R2V27, "references": [IMAGE] * 3 + [VIDEO] * 2})
    only(refused({**R2V27, "references": [IMAGE] * 6}), "references", "too_many")


def test_reference_voices_match_their_references() -> None:
    """A voice belongs to a reference by position (bailian:wan27-r2v-api: media[i].reference_voice)."""
    only(refused({**R2V27, "references": [IMAGE], "reference_voices": [AUDIO, AUDIO]}), "reference_voices", "too_many")


def test_reference_totals_15_s_of_video_for_wan3(tmp_path: Path) -> None:
    """Wan 3.0 video references last at most 15 s together (3p:gateways, Comfy; kept as the safe bound)."""
    clips = [str(mediafiles.write(tmp_path / f"{i}.mp4", mediafiles.mp4(8, 640, 640))) for i in range(2)]
    only(refused({**WAN3_R2V, "references": clips}), "references", "invalid_duration")


def test_regional_reference_kinds_caution_in_virginia() -> None:
    """Virginia wan2.6-r2v: images accepted per the API reference (mstudio:legacy-r2v-api 2026-02-11), with the guide's
    video-only table (bailian:r2v-guide 2026-06+) as a caution."""
    plan = ok({"mode": "r2v", "model": "wan2.6-r2v", "prompt": "character1", "references": [IMAGE]}, "virginia")
    assert any("image references are accepted" in n for n in plan.notes)


def test_clips_total_seconds_for_vace_extension(tmp_path: Path) -> None:
    """video_extension clips last at most 3 s together (ref:wan-api 2026-11, D-VACE)."""
    two = str(mediafiles.write(tmp_path / "two.mp4", mediafiles.mp4(2.0, 1280, 720)))
    args = {**VACE, "function": "video_extension", "first_clip": two, "last_clip": two}
    only(refused(args), "first_clip", "invalid_duration")


def test_duration_allowed_up_to_15_s_for_wan26_t2v() -> None:
    """wan2.6-t2v takes 2–15 s (mstudio:legacy-t2v-api 2026-10-12); 16 s is refused with the chaining recipe."""
    problems = refused({**T2V, "duration": 16})
    only(problems, "duration", "invalid_value")
    assert "chain segments" in problems[0].fix


def test_duration_cautions_between_old_and_new_docs() -> None:
    """7 s is accepted for wan2.6-t2v (2–15 s, mstudio:legacy-t2v-api) with a note naming the older 5/10/15 rule."""
    assert any("5/10/15" in n for n in ok({**T2V, "duration": 7}).notes)


def test_reference_video_duration_10_s_with_a_video_reference() -> None:
    """wan2.7-r2v: 2–10 s with a reference video, 2–15 s without (bailian:wan27-r2v-api 2026-04+)."""
    ok({**R2V27, "references": [IMAGE], "duration": 15})
    only(refused({**R2V27, "references": [VIDEO], "duration": 11}), "duration", "invalid_value")


def test_ratio_with_first_frame_is_refused_for_wan27_r2v() -> None:
    """With a first frame, wan2.7-r2v ignores ratio (bailian:wan27-r2v-api 2026-04+: 自动忽略 ratio)."""
    args = {**R2V27, "references": [IMAGE_2], "image": IMAGE}
    assert "ratio" not in ok(args).request.body["parameters"]
    only(refused({**args, "aspect_ratio": "9:16"}), "aspect_ratio", "conflicting_arguments")


def test_sound_switch_refuses_sound_from_a_silent_model() -> None:
    """wan2.2 and wanx2.1 make silent video (mstudio:legacy-t2v-api 2026-10-12)."""
    args = {"mode": "t2v", "model": "wan2.2-t2v-plus", "prompt": "p", "generate_audio": True}
    only(refused(args), "generate_audio", "not_supported")


def test_soundtrack_with_sound_off_is_refused() -> None:
    """audio false beats audio_url on wan2.6-i2v-flash (bailian:legacy-i2v-api: audio > audio_url), so it is refused."""
    only(
        refused({"mode": "i2v", "image": IMAGE, "audio": AUDIO, "generate_audio": False}),
        "audio",
        "conflicting_arguments",
    )


def test_prompt_extend_needed_for_multi_shot() -> None:
    """shot_type only works with prompt_extend true (mstudio:legacy-t2v-api 2026-10-12)."""
    args = {**T2V, "shot_type": "multi", "prompt_extend": False}
    only(refused(args), "prompt_extend", "conflicting_arguments")


def test_seed_range_0_to_2147483647() -> None:
    """seed is in [0, 2147483647] (every Wan API reference, e.g. bailian:wan27-i2v-api)."""
    ok({**T2V, "seed": 2147483647})
    only(refused({**T2V, "seed": 2147483648}), "seed", "out_of_range")


def test_argument_values_mask_type() -> None:
    """mask_type is tracking or fixed (ref:wan-api 2026-11, D-VACE)."""
    args = {**VACE, "function": "video_edit", "video": VIDEO, "mask_image": IMAGE, "mask_type": "blur"}
    only(refused(args), "mask_type", "invalid_value")


def test_argument_ranges_strength_0_to_1() -> None:
    """video_repainting strength is within [0, 1] (ref:wan-api 2026-11, D-VACE)."""
    args = {**VACE, "function": "video_repainting", "video": VIDEO, "control_condition": "depth", "strength": 1.01}
    only(refused(args), "strength", "out_of_range")


def test_control_condition_value_per_function() -> None:
    """video_repainting takes posebodyface/posebody/depth/scribble (ref:wan-api 2026-11, D-VACE)."""
    args = {**VACE, "function": "video_repainting", "video": VIDEO, "control_condition": "canny"}
    only(refused(args), "control_condition", "invalid_value")


def test_required_with_motion_video_needs_control_condition() -> None:
    """video_extension with video_url needs control_condition (ref:wan-api 2026-11, D-VACE)."""
    args = {**VACE, "function": "video_extension", "first_clip": VIDEO, "video": VIDEO}
    only(refused(args), "control_condition", "missing_argument")


def test_only_with_mask_frame_id_needs_mask_image() -> None:
    """mask_frame_id says which frame mask_image belongs to (ref:wan-api 2026-11, D-VACE); alone it is refused."""
    args = {**VACE, "function": "video_edit", "video": VIDEO, "mask_video": VIDEO, "mask_frame_id": 2}
    only(refused(args), "mask_frame_id", "not_supported")


def test_template_replaces_prompt() -> None:
    """With a template the prompt is ignored (bailian:legacy-i2v-api 2025-09+: template 不为空时 prompt 无效)."""
    args = {"mode": "i2v", "model": "wanx2.1-i2v-turbo", "image": IMAGE, "template": "flying", "prompt": "p"}
    only(refused(args), "prompt", "conflicting_arguments")


def test_offer_caution_for_wan27_i2v_in_virginia() -> None:
    """wan2.7-i2v in Virginia: the guide links a console there (mstudio:wan27-i2v-guide 2026-04-17), the API reference
    lists only Beijing and Singapore: accepted when named, with a caution, and never a default."""
    plan = ok({**I2V27, "image": IMAGE}, "virginia")
    assert any("Model not exist" in n for n in plan.notes)
    assert ok({"mode": "i2v", "image": IMAGE}, "virginia").model != "wan2.7-i2v"
    assert fields(refused({**I2V27, "image": IMAGE}, "frankfurt")) == {"model"}
