"""Request cases over the whole catalog: minimal valid arguments for every model, mode, function and region."""

from __future__ import annotations

from typing import Any

import pytest

from wan_mcp import catalog
from wan_mcp.catalog import Mode, Model, RegionId
from wan_mcp.errors import Problem, RequestInvalid
from wan_mcp.requests import Plan, plan_request

IMAGE = "https://example.com/media/cat.png"
IMAGE_2 = "https://example.com/media/dog.jpg"
VIDEO = "https://example.com/media/clip.mp4"
AUDIO = "https://example.com/media/song.mp3"

VACE_MINIMAL: dict[str, dict[str, Any]] = {
    "image_reference": {"ref_images": [IMAGE]},
    "video_repainting": {"video": VIDEO, "control_condition": "depth"},
    "video_edit": {"video": VIDEO, "mask_image": IMAGE},
    "video_extension": {"first_clip": VIDEO},
    "video_outpainting": {"video": VIDEO},
}


def minimal_args(model: Model, mode: Mode, function: str | None = None, region: RegionId = "beijing") -> dict[str, Any]:
    """The smallest argument set that makes a valid request for this model, mode (and VACE function) in a region."""
    args: dict[str, Any] = {"mode": mode, "model": model.id}
    if model.prompt != "none":
        args["prompt"] = "character1 walks through a misty forest at dawn"
    if mode == "i2v":
        args["image"] = IMAGE
    elif mode == "kf2v":
        args |= {"first_frame": IMAGE, "last_frame": IMAGE_2}
    elif mode == "r2v":
        offer = model.regions.get(region)
        video_only = offer is not None and offer.reference_kinds == ("video",)
        args["references"] = [VIDEO if video_only or model.image is None else IMAGE]
    elif mode == "vace":
        if function is not None:
            args |= {"function": function, **VACE_MINIMAL[function]}
        else:
            args["video"] = VIDEO
    elif mode == "s2v":
        args |= {"image": IMAGE, "audio": AUDIO}
    elif mode == "animate":
        args |= {"image": IMAGE, "video": VIDEO}
    return args


def all_cases() -> list[tuple[Model, Mode, str | None, RegionId]]:
    """Every (model, mode, function, region) the catalog offers for generation."""
    cases = []
    for model in catalog.MODELS:
        if model.kind != "generation":
            continue
        for mode, spec in model.modes.items():
            functions = list(spec.functions) if spec.functions else [None]
            for function in functions:
                for region in model.regions:
                    cases.append((model, mode, function, region))
    return cases


def first_cases() -> list[tuple[Model, Mode, str | None, RegionId]]:
    """One case per model (its first mode and function, in its first region)."""
    seen: set[str] = set()
    out = []
    for case in all_cases():
        if case[0].id not in seen:
            seen.add(case[0].id)
            out.append(case)
    return out


def case_id(case: tuple[Model, Mode, str | None, RegionId]) -> str:
    model, mode, function, region = case
    return "-".join(p for p in (model.id, mode, function, region) if p)


def ok(args: dict[str, Any], region: RegionId = "beijing", **kwargs: Any) -> Plan:
    """Plan a request that must be valid."""
    try:
        return plan_request(args, region=region, **kwargs)
    except RequestInvalid as exc:  # pragma: no cover - the message is the point
        pytest.fail(f"unexpectedly refused: {exc}")


def refused(args: dict[str, Any], region: RegionId = "beijing", **kwargs: Any) -> list[Problem]:
    """Plan a request that must be refused; every problem must name a field, say why and say how to fix it."""
    with pytest.raises(RequestInvalid) as info:
        plan_request(args, region=region, **kwargs)
    problems = info.value.problems
    for problem in problems:
        assert problem.field and problem.code and problem.message and problem.fix, problem
    return problems


def fields(problems: list[Problem]) -> set[str]:
    return {p.field for p in problems}
