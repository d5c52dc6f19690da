"""Step 1 of planning: the arguments a video request can carry, type-checked into a `VideoRequest`."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from wan_mcp.catalog import MODES
from wan_mcp.errors import Problem, RequestInvalid

# Media arguments, in the order they are checked and reported.
MEDIA_ARGS = (
    "image",
    "first_frame",
    "last_frame",
    "references",
    "reference_voices",
    "audio",
    "video",
    "mask_image",
    "mask_video",
    "ref_images",
    "first_clip",
    "last_clip",
)
LIST_ARGS = ("references", "reference_voices", "ref_images")


class VideoRequest(BaseModel):
    """Every argument a video request can carry, for every mode; which ones apply depends on mode and model."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Literal["t2v", "i2v", "kf2v", "r2v", "vace", "s2v", "animate"] | None = None
    prompt: str | None = None
    model: str | None = None
    negative_prompt: str | None = None
    size: str | None = None
    resolution: str | None = None
    aspect_ratio: str | None = None
    duration: int | None = None
    shot_type: Literal["single", "multi"] | None = None
    prompt_extend: bool | None = None
    audio: str | None = None
    generate_audio: bool | None = None
    seed: int | None = None
    watermark: bool | None = None
    image: str | None = None
    first_frame: str | None = None
    last_frame: str | None = None
    references: list[str] | None = None
    reference_voices: list[str | None] | None = None
    template: str | None = None
    function: str | None = None
    video: str | None = None
    mask_image: str | None = None
    mask_frame_id: int | None = None
    mask_video: str | None = None
    ref_images: list[str] | None = None
    obj_or_bg: list[str] | None = None
    control_condition: str | None = None
    strength: float | None = None
    mask_type: str | None = None
    expand_ratio: float | None = None
    expand_mode: str | None = None
    first_clip: str | None = None
    last_clip: str | None = None
    top_scale: float | None = None
    bottom_scale: float | None = None
    left_scale: float | None = None
    right_scale: float | None = None
    quality: str | None = None
    check_image: bool | None = None
    audio_setting: Literal["auto", "origin"] | None = None
    reference_file: str | None = None
    reference_link: str | None = None

    def given(self) -> dict[str, Any]:
        """The arguments the caller actually set."""
        return {name: value for name, value in self.model_dump().items() if value is not None}


ARGUMENT_NAMES: tuple[str, ...] = tuple(VideoRequest.model_fields)

# DashScope's wire names, mapped to the argument a user of wan-mcp should give instead.
_WIRE_NAME_HINTS = {
    "img_url": "image",
    "image_url": "image",
    "first_frame_url": "first_frame",
    "last_frame_url": "last_frame",
    "reference_urls": "references",
    "reference_video_urls": "references",
    "reference_voice": "reference_voices",
    "audio_url": "audio",
    "video_url": "video",
    "mask_image_url": "mask_image",
    "mask_video_url": "mask_video",
    "ref_images_url": "ref_images",
    "first_clip_url": "first_clip",
    "last_clip_url": "last_clip",
    "ratio": "aspect_ratio",
    "media": "image / first_frame / last_frame / references",
}
_EXPECTED = {
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "bool_parsing": "true or false",
    "string_type": "a string",
    "list_type": "a list",
    "float_parsing": "a number",
}


def parse_arguments(args: Mapping[str, Any]) -> VideoRequest:
    """Type-check raw arguments; unknown names and wrong types become Problems naming the argument."""
    if not isinstance(args, Mapping):
        raise RequestInvalid(Problem("arguments", "invalid_value", "the arguments must be a JSON object", "pass {...}"))
    cleaned = {k: v for k, v in args.items() if v is not None}
    try:
        return VideoRequest.model_validate(cleaned)
    except ValidationError as exc:
        raise RequestInvalid([_pydantic_problem(err) for err in exc.errors()]) from None


def _pydantic_problem(err: Mapping[str, Any]) -> Problem:
    loc = err.get("loc") or ("arguments",)
    name = str(loc[0])
    where = ".".join(str(p) for p in loc)
    if err.get("type") == "extra_forbidden":
        close = difflib.get_close_matches(name, ARGUMENT_NAMES, n=1, cutoff=0.6)
        hint = _WIRE_NAME_HINTS.get(name) or (close[0] if close else None)
        fix = f"use {hint!r} instead" if hint else "remove it (see list_modes for the arguments each mode takes)"
        return Problem(name, "unknown_argument", f"{name!r} is not an argument of a video request", fix)
    if name == "mode":
        return Problem(
            "mode", "invalid_value", f"mode must be one of {', '.join(MODES)}", "pick the mode that fits (list_modes)"
        )
    if name == "shot_type":
        return Problem("shot_type", "invalid_value", "shot_type must be 'single' or 'multi'", "use 'single' or 'multi'")
    message = str(err.get("msg", "invalid value"))
    expected = _EXPECTED.get(str(err.get("type")), "a valid value")
    return Problem(where, "invalid_value", f"{where}: {message}", f"give {expected}")
