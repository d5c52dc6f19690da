"""Bodies built from the inputs of the official examples equal the examples' own request bodies."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

import pytest

import mediafiles
from cases import ok, refused
from wan_mcp.catalog import Mode

EXAMPLES = Path(__file__).parent / "fixtures" / "dashscope-examples"

INPUT_ARGS = {
    "prompt": "prompt",
    "negative_prompt": "negative_prompt",
    "img_url": "image",
    "image_url": "image",
    "first_frame_url": "first_frame",
    "last_frame_url": "last_frame",
    "reference_urls": "references",
    "audio_url": "audio",
    "template": "template",
    "function": "function",
    "video_url": "video",
    "mask_image_url": "mask_image",
    "mask_frame_id": "mask_frame_id",
    "mask_video_url": "mask_video",
    "ref_images_url": "ref_images",
    "first_clip_url": "first_clip",
    "last_clip_url": "last_clip",
    "watermark": "watermark",
}
PARAMETER_ARGS = {
    "size": "size",
    "resolution": "resolution",
    "ratio": "aspect_ratio",
    "duration": "duration",
    "shot_type": "shot_type",
    "prompt_extend": "prompt_extend",
    "audio": "generate_audio",
    "seed": "seed",
    "watermark": "watermark",
    "obj_or_bg": "obj_or_bg",
    "control_condition": "control_condition",
    "strength": "strength",
    "mask_type": "mask_type",
    "expand_ratio": "expand_ratio",
    "expand_mode": "expand_mode",
    "top_scale": "top_scale",
    "bottom_scale": "bottom_scale",
    "left_scale": "left_scale",
    "right_scale": "right_scale",
    "check_image": "check_image",
}
MEDIA_ARGS = {
    "first_frame": "image",
    "last_frame": "last_frame",
    "driving_audio": "audio",
    "first_clip": "first_clip",
}


def arguments_from_body(body: dict[str, Any], mode: Mode) -> dict[str, Any]:
    """The wan-mcp arguments a user would give to obtain this DashScope body."""
    args: dict[str, Any] = {"mode": mode, "model": body["model"]}
    for key, value in body.get("input", {}).items():
        if key == "media":
            for item in value:
                kind = item["type"]
                if kind.startswith("reference_"):
                    args.setdefault("references", []).append(item["url"])
                else:
                    args[MEDIA_ARGS[kind]] = item["url"]
        else:
            args[INPUT_ARGS[key]] = value
    for key, value in body.get("parameters", {}).items():
        if key == "mode":
            args["quality"] = value.removeprefix("wan-")
        else:
            args[PARAMETER_ARGS[key]] = value
    return args


def canonical(body: dict[str, Any]) -> bytes:
    """The JSON bytes of a body with sorted keys: equal bytes mean equal values of equal types (5 is not 5.0)."""
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    return data


def _cases() -> list[tuple[str, Mode, dict[str, Any], str | None]]:
    """(label, mode, official body, the official path or None)."""
    t2v = load("t2v_wan2.6-t2v_submit_pending.json")
    i2v = load("i2v_wan2.6-i2v-flash_task_succeeded.json")
    kf2v = load("kf2v_wan2.2-kf2v-flash_task_succeeded.json")
    r2v = load("r2v_wan2.6-r2v_task_succeeded.json")
    vace = load("vace_wanx2.1-vace-plus_image_reference_task_succeeded.json")
    mix = load("animate-mix_wan2.2-animate-mix_task_succeeded_and_failed.json")
    cases: list[tuple[str, Mode, dict[str, Any], str | None]] = [
        ("doc-t2v-multishot-audio", "t2v", t2v["request_body"], t2v["http"]["url"]),
        ("doc-i2v-flash-multishot", "i2v", i2v["request_body"], i2v["http"]["url"]),
        ("doc-kf2v-flash", "kf2v", kf2v["request_body"], kf2v["http"]["url"]),
        ("doc-kf2v-template", "kf2v", kf2v["other_request_bodies"]["template_effect"], None),
        ("doc-r2v", "r2v", r2v["request_body"], r2v["http"]["url"]),
        ("doc-r2v-flash-mixed", "r2v", r2v["other_request_bodies"]["r2v-flash_images_and_videos"], None),
        ("doc-r2v-flash-silent", "r2v", r2v["other_request_bodies"]["r2v-flash_silent"], None),
        ("doc-vace-image-reference", "vace", vace["request_body"], vace["http"]["url"]),
        ("doc-animate-mix", "animate", mix["request_body"], mix["http"]["url"]),
    ]
    for function, body in vace["other_request_bodies"].items():
        cases.append((f"doc-vace-{function}", "vace", body, None))
    sdk = load("common_task-management_uploads_and_errors.json")["sdk_captured_requests"]
    sdk_modes: dict[str, Mode] = {
        "t2v": "t2v",
        "i2v": "i2v",
        "kf2v": "kf2v",
        "vace_via_extra_input": "vace",
        "r2v": "r2v",
        "wan2.7-i2v_media": "i2v",
        "wan2.7-t2v": "t2v",
    }
    for key, mode in sdk_modes.items():
        body = copy.deepcopy(sdk[key]["body"])
        # The official SDK injects these two fields into every call; DashScope ignores them (reference §11).
        body["input"].pop("extend_prompt")
        if body["input"].get("function") == "video-synthesis":
            body["input"].pop("function")
        cases.append((f"sdk-{key}", mode, body, "https://dashscope.aliyuncs.com" + sdk[key]["path"]))
    return cases


CASES = _cases()


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_body_equals_official_example(case: tuple[str, Mode, dict[str, Any], str | None]) -> None:
    """Planning the example's own inputs reproduces its body byte for byte, keys sorted (and its endpoint)."""
    _, mode, body, url = case
    plan = ok(arguments_from_body(body, mode))
    assert canonical(plan.request.body) == canonical(body)
    if url is not None:
        assert url.endswith(plan.request.path)


def test_kf2v_base64_example_with_real_images() -> None:
    """The doc's base64 kf2v example, with real PNG payloads (the doc truncates them), is sent as data: URIs."""
    body = copy.deepcopy(load("kf2v_wan2.2-kf2v-flash_task_succeeded.json")["other_request_bodies"]["base64_wanx2.1"])
    for key in ("first_frame_url", "last_frame_url"):
        body["input"][key] = "data:image/png;base64," + base64.b64encode(mediafiles.png(640, 480)).decode()
    plan = ok(arguments_from_body(body, "kf2v"))
    assert plan.request.body == body
    assert not plan.uploads


def test_kf2v_base64_example_as_printed_is_refused() -> None:
    """The doc's truncated base64 payloads ('……') are not valid base64 and are refused before sending."""
    body = load("kf2v_wan2.2-kf2v-flash_task_succeeded.json")["other_request_bodies"]["base64_wanx2.1"]
    problems = refused(arguments_from_body(body, "kf2v"))
    assert {p.code for p in problems} == {"invalid_data_uri"}
    assert {p.field for p in problems} == {"first_frame", "last_frame"}
