"""The emulator accepts what the planner accepts, and refuses from the same catalog facts (in-process, no HTTP)."""

from __future__ import annotations

import base64
import copy
from typing import Any

import pytest

import mediafiles
from cases import IMAGE, VIDEO, all_cases, case_id, minimal_args, ok
from wan_mcp.catalog import Mode, Model, RegionId
from wan_mcp.emulator.rules import ApiRefusal, Submission, check_create
from wan_mcp.requests import Plan

ALL = all_cases()


def submit(plan: Plan, body: dict[str, Any] | None = None) -> Submission:
    """The emulator's decision on a planned request (or on a changed body for the same plan)."""
    headers = plan.request.headers
    return check_create(
        _endpoint(plan),
        plan.request.body if body is None else body,
        region=plan.region,
        oss_header=headers.get("X-DashScope-OssResourceResolve") == "enable",
        resolve=lambda _url, _name: None,
        seed=7,
    )


def _endpoint(plan: Plan) -> Any:
    return "image2video" if "image2video" in plan.request.path else "video-generation"


def refusal(plan: Plan, body: dict[str, Any]) -> tuple[int, str]:
    with pytest.raises(ApiRefusal) as info:
        submit(plan, body)
    return info.value.status, info.value.code


def _variants(model: Model, mode: Mode, function: str | None, region: RegionId) -> list[dict[str, Any]]:
    """The minimal request, and the same at each end of its duration range."""
    base = minimal_args(model, mode, function, region)
    spec = model.durations_in(region)
    variants = [base]
    if spec is not None and not spec.fixed and "duration" not in model.modes[mode].required:
        ends = list(spec.choices) if spec.choices else [spec.min, spec.max]
        variants += [{**base, "duration": seconds} for seconds in [*ends, *spec.special]]
    return variants


@pytest.mark.parametrize("case", ALL, ids=case_id)
def test_every_planned_request_is_accepted(case: tuple[Model, Mode, str | None, RegionId]) -> None:
    """For every model, mode, function and region, the planned request (defaults and duration ends) is accepted."""
    model, mode, function, region = case
    for args in _variants(model, mode, function, region):
        submission = submit(ok(args, region))
        assert submission.model is model and submission.video.seconds > 0


@pytest.mark.parametrize(
    "case", [c for c in ALL if c[0].durations is not None and not c[0].durations.fixed], ids=case_id
)
def test_durations_past_the_catalog_range_are_refused(case: tuple[Model, Mode, str | None, RegionId]) -> None:
    """One second past the model's maximum is a 400 InvalidParameter at submit."""
    model, mode, function, region = case
    plan = ok(minimal_args(model, mode, function, region), region)
    body = copy.deepcopy(plan.request.body)
    spec = model.durations_in(region)
    assert spec is not None
    body.setdefault("parameters", {})["duration"] = spec.max + 1
    assert refusal(plan, body) == (400, "InvalidParameter")


def test_media_bodies_that_fit_no_mode_are_refused() -> None:
    """Documented illegal media combinations are 400s: Wan 3.0 frame + references, wan2.7-i2v clip + driving audio."""
    wan3 = ok({"mode": "i2v", "model": "wan3.0-video", "image": IMAGE})
    body = copy.deepcopy(wan3.request.body)
    body["input"]["media"].append({"type": "reference_image", "url": IMAGE})
    assert refusal(wan3, body) == (400, "InvalidParameter")
    clip = ok({"mode": "i2v", "model": "wan2.7-i2v", "first_clip": VIDEO})
    body = copy.deepcopy(clip.request.body)
    body["input"]["media"].append({"type": "driving_audio", "url": "https://example.com/a.mp3"})
    assert refusal(clip, body) == (400, "InvalidParameter")


def test_reference_video_caps_the_duration_at_submit() -> None:
    """wan2.7-r2v with a reference video refuses 11 s (2–10 s), as the planner does."""
    plan = ok({"mode": "r2v", "model": "wan2.7-r2v", "prompt": "video 1", "references": [VIDEO], "duration": 10})
    body = copy.deepcopy(plan.request.body)
    body["parameters"]["duration"] = 11
    assert refusal(plan, body) == (400, "InvalidParameter")


def test_data_uris_only_where_the_catalog_takes_them() -> None:
    """A data: image is accepted for wan2.7-i2v (base64 documented) and refused for wan2.6 r2v (not documented)."""
    uri = "data:image/png;base64," + base64.b64encode(mediafiles.png(640, 480)).decode()
    plan = ok({"mode": "i2v", "model": "wan2.7-i2v", "image": uri})
    assert submit(plan).model.id == "wan2.7-i2v"
    r2v = ok({"mode": "r2v", "prompt": "character1", "references": [IMAGE]})
    body = copy.deepcopy(r2v.request.body)
    body["input"]["reference_urls"] = [uri]
    assert refusal(r2v, body) == (400, "InvalidParameter")


def test_videoedit_usage_bills_input_and_output() -> None:
    """wan2.7-videoedit's usage: duration = input_video_duration + output_video_duration; no ratio unless asked."""
    plan = ok({"mode": "vace", "model": "wan2.7-videoedit", "video": VIDEO, "duration": 4})
    usage = submit(plan).usage
    assert usage["output_video_duration"] == 4 and usage["duration"] == usage["input_video_duration"] + 4
    assert "ratio" not in usage


def test_reference_voices_are_accepted() -> None:
    """A reference_voice on a wan2.7-r2v reference is read as an audio input and accepted."""
    plan = ok(
        {
            "mode": "r2v",
            "model": "wan2.7-r2v",
            "prompt": "image 1",
            "references": [IMAGE],
            "reference_voices": ["https://example.com/v.mp3"],
        }
    )
    assert "https://example.com/v.mp3" in submit(plan).inputs


def test_deprecated_reference_video_urls_still_count_as_references() -> None:
    """wan2.6 r2v still takes the deprecated reference_video_urls in place of reference_urls (ref:wan-api D-R2V)."""
    plan = ok({"mode": "r2v", "model": "wan2.6-r2v", "prompt": "character1", "references": [VIDEO]})
    body = copy.deepcopy(plan.request.body)
    body["input"]["reference_video_urls"] = body["input"].pop("reference_urls")
    assert submit(plan, body).inputs == [VIDEO]
