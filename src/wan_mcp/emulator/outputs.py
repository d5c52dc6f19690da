"""What an accepted create request produces: the video's frame, length and sound, the output fields and `usage`."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from wan_mcp import catalog
from wan_mcp.catalog import RATIO_FRAMES_27, SIZES_BY_TIER, Model, RegionId
from wan_mcp.emulator.wire import WireItem, kind_of
from wan_mcp.inputs import MediaInfo

_ACTUAL_PROMPT_TAIL = " Cinematic lighting, rich detail, smooth camera movement."


@dataclass(frozen=True)
class VideoSpec:
    """The video a task produces."""

    width: int
    height: int
    seconds: float
    audio: bool
    seed: int
    keyframe_seconds: float | None = None  # more keyframes make bigger files (used by benchmarks)


@dataclass
class Submission:
    """An accepted create request, and what its task will produce."""

    model: Model
    name: str
    video: VideoSpec
    output: dict[str, Any]  # orig_prompt, actual_prompt
    usage: dict[str, Any]
    failure: tuple[str, str] | None = None  # an asynchronous failure decided at submit (code, message)
    tier: str | None = None
    inputs: list[str] = field(default_factory=list)  # the media URLs given


def _info(items: list[WireItem], *arguments: str) -> MediaInfo | None:
    return next((i.info for i in items if i.info is not None and set(i.arguments) & set(arguments)), None)


def submission(
    model: Model,
    name: str,
    *,
    inp: Mapping[str, Any],
    params: Mapping[str, Any],
    items: list[WireItem],
    region: RegionId,
    seed: int,
) -> Submission:
    """What an accepted request makes: its video, output fields and usage (or a failure decided at submit)."""
    failure, tier, (width, height) = _frame(model, inp, params, items)
    seconds = _seconds(model, params, items, region)
    sound = {"silent": False, "auto": True, "driven": True}.get(model.audio, bool(params.get("audio", True)))
    usage = usage_for(
        model,
        seconds,
        width=width,
        height=height,
        tier=tier,
        sound=sound,
        input_video=_input_video(model, items, seconds),
        params=params,
    )
    return Submission(
        model,
        name,
        VideoSpec(width, height, seconds, sound, seed),
        _output(model, inp, params),
        usage,
        failure,
        tier,
        [item.url for item in items],
    )


def _output(model: Model, inp: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    prompt = inp.get("prompt")
    if not isinstance(prompt, str) or model.prompt == "none":
        return {}
    prompt = prompt[: model.prompt_max] if model.prompt_max else prompt
    output = {"orig_prompt": prompt}
    extend = params.get("prompt_extend", True) if model.prompt_extend else False
    if extend and model.returns_actual_prompt:
        output["actual_prompt"] = prompt + _ACTUAL_PROMPT_TAIL
    return output


def _frame(
    model: Model, inp: Mapping[str, Any], params: Mapping[str, Any], items: list[WireItem]
) -> tuple[tuple[str, str] | None, str | None, tuple[int, int]]:
    """(a failure decided now, the tier, (width, height))."""
    image, video = _info(items, "image", "first_frame"), _info(items, "video")
    if model.param_style == "size":
        return _sized_frame(model, inp, params, video)
    if model.param_style in ("resolution", "resolution+ratio"):
        tier = str(params.get("resolution") or model.default_tier or "720P").upper()
        ratio = params.get("ratio")
        if ratio is None and not any(set(i.arguments) & set(model.ratio_ignored_with) for i in items):
            ratio = model.default_ratio
        aspect = (_aspect(image) or _aspect(video)) if ratio in (None, "adaptive") else _ratio_value(str(ratio))
        table = RATIO_FRAMES_27 if model.protocol == "media" else SIZES_BY_TIER
        return None, tier, frame_for(tier, aspect or 16 / 9, table)
    return None, None, _video_size(video) or (1280, 720)


def _sized_frame(
    model: Model, inp: Mapping[str, Any], params: Mapping[str, Any], video: MediaInfo | None
) -> tuple[tuple[str, str] | None, str | None, tuple[int, int]]:
    failure = None
    size = params.get("size")
    functions = next(iter(model.modes.values())).functions or {}
    follows_video = inp.get("function") in functions and not functions[str(inp.get("function"))].sends_size
    if size is None:
        frame = _video_size(video) if follows_video else None
        size = f"{frame[0]}*{frame[1]}" if frame else model.default_size
    elif size not in model.sizes:
        failure = ("InvalidParameter", f"The size is not match {size}")
        size = model.default_size
    width, height = (int(v) for v in str(size).split("*"))
    return failure, catalog.tier_of_size(str(size)) or "720P", (width, height)


def _seconds(model: Model, params: Mapping[str, Any], items: list[WireItem], region: RegionId) -> float:
    spec = model.durations_in(region)
    follows = model.follows_input
    if follows is not None and not params.get("duration"):
        info = _info(items, follows)
        limits = model.audio_input if follows == "audio" else model.video
        cap = limits.max_seconds if limits and limits.max_seconds else math.inf
        return float(min(info.seconds, cap)) if info and info.seconds else 5.0
    if spec is None:
        return 5.0
    if spec.fixed:
        info = _info(items, "video")
        return float(min(info.seconds, spec.min)) if info and info.seconds else float(spec.min)
    duration = params.get("duration", spec.default)
    return 10.0 if duration == -1 else float(duration)


def _input_video(model: Model, items: list[WireItem], output: float) -> float:
    """The input-video seconds billed beside the output (reference videos capped and shared; an edited video)."""
    billing = model.input_billing
    if billing is None:
        return 0.0
    if billing.kind == "edit_video":
        info = _info(items, "video")
        return float(info.seconds) if info and info.seconds else output
    references = [i for i in items if "references" in i.arguments]
    lengths = [i.info.seconds if i.info else None for i in references if kind_of(i) == "video"]
    return billing.reference_seconds(lengths, len(references)) if lengths else 0.0


def _video_size(info: MediaInfo | None) -> tuple[int, int] | None:
    if info is None or not info.width or not info.height:
        return None
    width, height = info.width, info.height
    scale = min(1.0, math.sqrt(1280 * 720 / (width * height)))
    return _even(width * scale), _even(height * scale)


def _aspect(info: MediaInfo | None) -> float | None:
    if info is None or not info.width or not info.height:
        return None
    return info.width / info.height


def _ratio_value(ratio: str) -> float | None:
    left, _, right = ratio.partition(":")
    try:
        return float(left) / float(right)
    except (ValueError, ZeroDivisionError):
        return None


def _even(value: float) -> int:
    return max(16, round(value / 2) * 2)


def frame_for(tier: str, aspect: float, table: Mapping[Any, Mapping[str, str]] = SIZES_BY_TIER) -> tuple[int, int]:
    """Output frame size for a tier and aspect ratio (the table's size when the ratio is a listed one)."""
    for ratio, size in (table.get(tier) or {}).items():
        value = _ratio_value(ratio)
        if value is not None and abs(value - aspect) < 0.01:
            listed_width, listed_height = size.split("*")
            return int(listed_width), int(listed_height)
    area = {"480P": 832 * 480, "720P": 1280 * 720, "1080P": 1920 * 1080}.get(tier, 1280 * 720)
    width = math.sqrt(area * aspect)
    return round(width / 16) * 16, round(width / aspect / 16) * 16


def usage_for(
    model: Model,
    seconds: float,
    *,
    width: int,
    height: int,
    tier: str | None,
    sound: bool,
    input_video: float,
    params: Mapping[str, Any],
) -> dict[str, Any]:
    """The `usage` object of a SUCCEEDED task, in the shape the catalog gives this model (reference §6.4)."""
    whole = int(seconds) if float(seconds).is_integer() else seconds
    sr = int(tier[:-1]) if tier else 720
    shapes: dict[str, Callable[[], dict[str, Any]]] = {
        "animate": lambda: {
            "video_duration": float(seconds),
            "video_ratio": "pro" if params.get("mode") == "wan-pro" else "standard",
        },
        "portrait": lambda: {"video_duration": float(seconds)},
        "wan3": lambda: {
            "duration": whole,
            "output_video_duration": whole,
            "video_count": 1,
            "SR": sr,
            "fps": 30,
            "ratio": f"{width}:{height}",
        },
        "standard": lambda: {"video_duration": whole, "video_ratio": "standard", "video_count": 1},
        "sr_only": lambda: {"video_duration": whole, "video_count": 1, "SR": sr},
        "t2v_ratio": lambda: {"video_duration": whole, "video_ratio": f"{width}*{height}", "video_count": 1},
        "sr_duration": lambda: {"duration": whole, "SR": sr, "video_count": 1},
        "v26": lambda: _usage_v26(
            model,
            whole=whole,
            seconds=seconds,
            sr=sr,
            size=f"{width}*{height}",
            sound=sound,
            input_video=input_video,
            params=params,
        ),
    }
    return shapes[model.usage]()


def _usage_v26(
    model: Model,
    *,
    whole: float,
    seconds: float,
    sr: int,
    size: str,
    sound: bool,
    input_video: float,
    params: Mapping[str, Any],
) -> dict[str, Any]:
    usage: dict[str, Any] = {"duration": whole}
    if model.param_style == "size":
        usage["size"] = size
    usage |= {"input_video_duration": input_video, "output_video_duration": whole, "video_count": 1, "SR": sr}
    if model.input_billing is not None:
        usage["duration"] = float(seconds + input_video)
    ratio = params.get("ratio") or model.default_ratio
    if model.param_style == "resolution+ratio" and ratio:
        usage["ratio"] = ratio
    if model.audio == "switch":
        usage["audio"] = sound
    return usage


def processing_seconds(
    model: Model, video: VideoSpec, tier: str | None, draw: Callable[[float, float], float]
) -> float:
    """How long the task runs, drawn from the catalog's typical range for this output."""
    low, high = catalog.typical_wait(model, video.seconds, tier)
    return draw(float(low), float(high))
