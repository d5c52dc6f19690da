"""What DashScope does with a create request: refuse it (HTTP 4xx), or accept it and what the task will produce.

Which mistakes are refused at submit and which surface later as a FAILED task is not documented per field
(reference §8, §13.4). The emulator decides as follows, following the reference where it has evidence:

- no or unknown key → 401 InvalidApiKey;
- no `X-DashScope-Async: enable` on a create call → 403 AccessDenied ("does not support synchronous calls");
- malformed JSON, no model, no input → 400 InvalidParameter / BadRequest.EmptyModel / BadRequest.EmptyInput;
- a model unknown in this region → 400 InvalidParameter "Model not exist.";
- a model on the wrong endpoint → 400 InvalidParameter "url error, please check url！";
- a required input missing (image, frames, references, function, control_condition…) → 400 "Field required: …";
- an unusable URL (a scheme it does not take; `data:` where not taken; `oss://` without the resolve header, not
  uploaded here, uploaded for another model, or expired) → 400 InvalidParameter(.DataInspection);
- out-of-range resolution, ratio, duration, seed, booleans and enums; VACE obj_or_bg length → 400 InvalidParameter;
- a `size` the model does not offer → accepted, then FAILED "The size is not match …" (the docs' own example);
- a prompt over the model's limit → accepted and silently truncated (as documented);
- `audio: false` beside an `audio_url` → accepted, silent (the switch wins); multi-shot without prompt_extend →
  accepted (a single shot).

Unknown fields are ignored, including the official SDK's `input.extend_prompt` and `input.function:
"video-synthesis"`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wan_mcp import catalog
from wan_mcp.catalog import SIZES_BY_TIER, Endpoint, Model, RegionId
from wan_mcp.inputs import MediaInfo, probe_file

GENERIC_RANGE = (
    "The request is missing required parameters or the parameters are out of the specified range, please check the "
    "parameters that you send."
)
BAD_URL = "The provided URL does not appear to be valid. Ensure it is correctly formatted."
OSS_NO_HEADER = "The media format is not supported or incorrect for the data inspection."
OSS_MISSING = "Failed to find the requested media resource during the data inspection process."
URL_FIELDS = (
    "img_url",
    "image_url",
    "first_frame_url",
    "last_frame_url",
    "audio_url",
    "video_url",
    "mask_image_url",
    "mask_video_url",
    "first_clip_url",
    "last_clip_url",
)
LIST_URL_FIELDS = ("reference_urls", "reference_video_urls", "ref_images_url")
DATA_URI_FIELDS = ("img_url", "first_frame_url", "last_frame_url")


class ApiRefusal(Exception):
    """An HTTP-level error answer."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


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


MediaResolver = Callable[[str, str], "MediaInfo | None"]  # (oss/data url, model name) → info, or raise ApiRefusal


def invalid_body() -> ApiRefusal:
    """DashScope's answer to a request body that is not a JSON object."""
    return ApiRefusal(400, "InvalidParameter", "Required body invalid, please check the request body format.")


def check_create(
    endpoint: Endpoint,
    body: Any,
    *,
    region: RegionId,
    oss_header: bool,
    resolve: MediaResolver,
    seed: int,
) -> Submission:
    """Validate a create request as DashScope would; raise ApiRefusal or return what the task will make."""
    if not isinstance(body, dict):
        raise invalid_body()
    name = body.get("model")
    if not name:
        raise ApiRefusal(400, "BadRequest.EmptyModel", 'Required parameter "model" missing from request.')
    inp = body.get("input")
    if not isinstance(inp, dict):
        raise ApiRefusal(400, "BadRequest.EmptyInput", "Required input parameter missing from request.")
    params = body.get("parameters") or {}
    if not isinstance(params, dict):
        raise ApiRefusal(400, "InvalidParameter", GENERIC_RANGE)
    model = model_in_region(str(name), region)
    if model is None or model.kind != "generation":
        raise ApiRefusal(400, "InvalidParameter", "Model not exist.")
    if model.endpoint != endpoint:
        raise ApiRefusal(400, "InvalidParameter", "url error, please check url！")
    media = _check_urls(model, inp, oss_header=oss_header, resolve=resolve, name=str(name))
    _check_required(model, inp, params)
    _check_parameters(model, inp, params, region)
    return _shape(model, str(name), inp=inp, params=params, media=media, region=region, seed=seed)


def model_in_region(name: str, region: RegionId) -> Model | None:
    """The model whose name in this region is `name`."""
    model = catalog.find_model(name)
    if model is None or region not in model.regions or model.regions[region].name != name:
        return None
    return model


# -- URLs ------------------------------------------------------------------------------------------------


def _urls(model: Model, inp: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(field, url) for every media URL in the input."""
    found: list[tuple[str, str]] = []
    for name in URL_FIELDS:
        if isinstance(inp.get(name), str):
            found.append((name, inp[name]))
    for name in LIST_URL_FIELDS:
        value = inp.get(name)
        if isinstance(value, list):
            found.extend((name, v) for v in value if isinstance(v, str))
    media = inp.get("media")
    if model.protocol == "media" and isinstance(media, list):
        for item in media:
            if isinstance(item, dict) and isinstance(item.get("url"), str) and item.get("type") != "link":
                found.append((f"media.{item.get('type')}", item["url"]))
    return found


def _check_urls(
    model: Model, inp: Mapping[str, Any], *, oss_header: bool, resolve: MediaResolver, name: str
) -> dict[str, MediaInfo]:
    infos: dict[str, MediaInfo] = {}
    for field_name, url in _urls(model, inp):
        lowered = url.lower()
        if lowered.startswith(("http://", "https://")):
            if (
                (model.family == "wanx2.1" and "vace" in model.id) or model.protocol == "animate"
            ) and not url.isascii():
                raise ApiRefusal(
                    400,
                    "InvalidParameter.DataInspection",
                    "Unable to download the media resource during the data inspection process.",
                )
            continue
        if lowered.startswith("data:"):
            if field_name not in DATA_URI_FIELDS or model.protocol != "legacy":
                raise ApiRefusal(400, "InvalidParameter", BAD_URL)
        elif lowered.startswith("oss://"):
            if not oss_header:
                raise ApiRefusal(400, "InvalidParameter.DataInspection", OSS_NO_HEADER)
        else:
            raise ApiRefusal(400, "InvalidParameter", BAD_URL)
        info = resolve(url, name)
        if info is not None:
            infos.setdefault(field_name, info)
    return infos


# -- required inputs --------------------------------------------------------------------------------------


def _missing(path: str) -> ApiRefusal:
    return ApiRefusal(400, "InvalidParameter", f"Field required: {path}")


def _check_required(model: Model, inp: Mapping[str, Any], params: Mapping[str, Any]) -> None:
    modes = set(model.modes)
    prompt = inp.get("prompt")
    if model.protocol == "media":
        _check_media_protocol(model, inp)
        return
    if model.protocol == "animate":
        for key in ("image_url", "video_url"):
            if not inp.get(key):
                raise _missing(f"input.{key}")
        if not params:
            raise ApiRefusal(400, "BadRequest.EmptyParameters", 'Required parameter "parameters" missing from request.')
        if params.get("mode") not in ("wan-std", "wan-pro"):
            raise ApiRefusal(400, "InvalidParameter", GENERIC_RANGE)
        return
    if model.protocol == "s2v":
        for key in ("image_url", "audio_url"):
            if not inp.get(key):
                raise _missing(f"input.{key}")
        return
    if "i2v" in modes and not inp.get("img_url"):
        raise _missing("input.img_url")
    if "kf2v" in modes and not inp.get("first_frame_url"):
        raise _missing("input.first_frame_url")
    if "r2v" in modes and not (inp.get("reference_urls") or inp.get("reference_video_urls")):
        raise _missing("input.reference_urls")
    if "vace" in modes:
        _check_vace(inp, params)
    if model.prompt == "required" and not (isinstance(prompt, str) and prompt.strip()):
        raise _missing("input.prompt")


def _check_vace(inp: Mapping[str, Any], params: Mapping[str, Any]) -> None:
    function = inp.get("function")
    if function not in catalog.VACE_FUNCTIONS:
        raise (
            _missing("input.function")
            if not function or function == "video-synthesis"
            else ApiRefusal(400, "InvalidParameter", GENERIC_RANGE)
        )
    spec = catalog.VACE_FUNCTIONS[str(function)]
    wire = {"ref_images": "ref_images_url", "video": "video_url"}
    for arg in spec.required:
        if arg == "control_condition":
            if "control_condition" not in params:
                raise _missing("parameters.control_condition")
        elif not inp.get(wire.get(arg, arg)):
            raise _missing(f"input.{wire.get(arg, arg)}")
    if function == "video_edit" and not (inp.get("mask_image_url") or inp.get("mask_video_url")):
        raise _missing("input.mask_image_url")
    if function == "video_extension" and not any(
        inp.get(k) for k in ("first_frame_url", "last_frame_url", "first_clip_url", "last_clip_url")
    ):
        raise _missing("input.first_clip_url")
    condition = params.get("control_condition")
    if condition is not None and condition not in spec.control_conditions:
        raise ApiRefusal(400, "InvalidParameter", GENERIC_RANGE)
    if function == "image_reference":
        refs = inp.get("ref_images_url") or []
        obj_or_bg = params.get("obj_or_bg")
        if (obj_or_bg is None and len(refs) > 1) or (obj_or_bg is not None and len(obj_or_bg) != len(refs)):
            raise ApiRefusal(400, "InvalidParameter", "ref_images_url and obj_or_bg must be the same length.")


def _check_media_protocol(model: Model, inp: Mapping[str, Any]) -> None:
    media = inp.get("media") or []
    if not isinstance(media, list) or not all(isinstance(m, dict) and m.get("type") and m.get("url") for m in media):
        raise ApiRefusal(400, "InvalidParameter", GENERIC_RANGE)
    types = [m["type"] for m in media]
    prompt = inp.get("prompt")
    if model.id == "wan2.7-i2v" and not {"first_frame", "first_clip"} & set(types):
        raise _missing("input.media.first_frame")
    if model.id == "wan2.7-r2v" and not any(t.startswith("reference_") for t in types):
        raise _missing("input.media.reference_image")
    if model.id == "wan2.7-videoedit" and "video" not in types:
        raise _missing("input.media.video")
    if model.family == "wan3.0":
        frames = {"first_frame", "last_frame"} & set(types)
        others = [t for t in types if t not in ("first_frame", "last_frame")]
        if (frames and others) or ("last_frame" in types and "first_frame" not in types):
            raise ApiRefusal(400, "InvalidParameter", GENERIC_RANGE)
        limits = {"first_frame": 1, "last_frame": 1, "reference_image": 10, "reference_video": 5, "reference_audio": 5}
        limits |= {"file": 1, "link": 1}
        if any(types.count(t) > limits.get(t, 0) for t in set(types)) or ("file" in types and "link" in types):
            raise ApiRefusal(400, "InvalidParameter", GENERIC_RANGE)
        if not media and not (isinstance(prompt, str) and prompt.strip()):
            raise _missing("input.prompt")
    elif model.prompt == "required" and not (isinstance(prompt, str) and prompt.strip()):
        raise _missing("input.prompt")


# -- parameters -------------------------------------------------------------------------------------------


def _check_parameters(model: Model, inp: Mapping[str, Any], params: Mapping[str, Any], region: RegionId) -> None:
    def refuse() -> ApiRefusal:
        return ApiRefusal(400, "InvalidParameter", GENERIC_RANGE)

    if "resolution" in params and str(params["resolution"]).upper() not in model.tiers:
        raise refuse()
    if "ratio" in params and params["ratio"] not in model.ratios:
        raise refuse()
    spec = model.durations_in(region)
    if "duration" in params:
        duration = params["duration"]
        if not isinstance(duration, int) or isinstance(duration, bool):
            raise refuse()
        if spec is not None and not spec.allows(duration):
            raise refuse()
    seed = params.get("seed")
    if seed is not None and (not isinstance(seed, int) or not 0 <= seed <= catalog.SEED_MAX):
        raise refuse()
    for flag in ("prompt_extend", "watermark", "audio", "check_image"):
        if flag in params and not isinstance(params[flag], bool):
            raise refuse()
    if params.get("shot_type") not in (None, "single", "multi"):
        raise refuse()
    for scale in ("top_scale", "bottom_scale", "left_scale", "right_scale"):
        value = params.get(scale)
        if value is not None and not (isinstance(value, (int, float)) and 1.0 <= value <= 2.0):
            raise refuse()
    for unit in ("strength", "expand_ratio"):
        value = params.get(unit)
        if value is not None and not (isinstance(value, (int, float)) and 0.0 <= value <= 1.0):
            raise refuse()
    fixed = model.durations.min if model.durations is not None and model.durations.fixed else None
    if fixed is not None and "duration" in params and params["duration"] != fixed:
        raise refuse()
    refs = inp.get("reference_urls") or []
    if model.max_references is not None and len(refs) > model.max_references:
        raise refuse()


# -- what the task produces -------------------------------------------------------------------------------


def _shape(
    model: Model,
    name: str,
    *,
    inp: Mapping[str, Any],
    params: Mapping[str, Any],
    media: Mapping[str, MediaInfo],
    region: RegionId,
    seed: int,
) -> Submission:
    failure: tuple[str, str] | None = None
    tier: str | None = None
    size = params.get("size")
    frames = ("img_url", "first_frame_url", "image_url", "media.first_frame")
    image_info = next((media[k] for k in frames if k in media), None)
    video_info = next((media[k] for k in ("video_url", "media.video") if k in media), None)
    if model.param_style == "size":
        if size is None:
            size = model.default_size
            if model.modes.get("vace") and inp.get("function") not in ("image_reference", None):
                size = _video_size(video_info) or model.default_size
        elif size not in model.sizes:
            failure = ("InvalidParameter", f"The size is not match {size}")
            size = model.default_size
        tier = catalog.tier_of_size(str(size)) or "720P"
        width, height = (int(v) for v in str(size).split("*"))
    elif model.param_style in ("resolution", "resolution+ratio"):
        tier = str(params.get("resolution") or model.default_tier or "720P").upper()
        ratio = params.get("ratio") or model.default_ratio
        aspect = _aspect(image_info) if ratio in (None, "adaptive") else _ratio_value(str(ratio))
        width, height = frame_for(tier, aspect or 16 / 9)
    else:
        width, height = _video_size_tuple(video_info) or (1280, 720)
    seconds = _seconds(model, params, media, region)
    sound = {"silent": False, "auto": True, "driven": True}.get(model.audio, bool(params.get("audio", True)))
    prompt = inp.get("prompt") if isinstance(inp.get("prompt"), str) else None
    output: dict[str, Any] = {}
    if prompt is not None and model.prompt != "none":
        prompt = prompt[: model.prompt_max] if model.prompt_max else prompt
        output["orig_prompt"] = prompt
        extend = params.get("prompt_extend", True) if model.prompt_extend else False
        if extend and model.family != "wan2.6":
            output["actual_prompt"] = prompt + " Cinematic lighting, rich detail, smooth camera movement."
    input_video = sum(
        (info.seconds or 0)
        for key, info in media.items()
        if key.startswith(("reference_urls", "media.reference_video"))
    )
    usage = usage_for(
        model,
        seconds,
        width=width,
        height=height,
        tier=tier,
        sound=sound,
        input_video=min(input_video, 5.0),
        params=params,
    )
    return Submission(
        model,
        name,
        VideoSpec(width, height, seconds, sound, seed),
        output,
        usage,
        failure,
        tier,
        [url for _, url in _urls(model, inp)],
    )


def _seconds(model: Model, params: Mapping[str, Any], media: Mapping[str, MediaInfo], region: RegionId) -> float:
    spec = model.durations_in(region)
    if model.protocol == "s2v":
        info = media.get("audio_url")
        return float(info.seconds) if info and info.seconds else 5.0
    if model.protocol == "animate" or (model.id == "wan2.7-videoedit" and not params.get("duration")):
        info = media.get("video_url") or media.get("media.video")
        return float(min(info.seconds, 30.0)) if info and info.seconds else 5.0
    if spec is None:
        return 5.0
    if "vace" in model.modes:
        info = media.get("video_url")
        return float(min(info.seconds, 5.0)) if info and info.seconds else 5.0
    duration = params.get("duration", spec.default)
    if spec.fixed:
        return float(spec.min)
    if duration == -1:
        return 10.0
    return float(duration)


def _video_size(info: MediaInfo | None) -> str | None:
    dims = _video_size_tuple(info)
    return f"{dims[0]}*{dims[1]}" if dims else None


def _video_size_tuple(info: MediaInfo | None) -> tuple[int, int] | None:
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


def frame_for(tier: str, aspect: float) -> tuple[int, int]:
    """Output frame size for a tier and aspect ratio (the table's size when the ratio is a listed one)."""
    table = SIZES_BY_TIER.get(tier)  # type: ignore[call-overload]
    if table:
        for ratio, size in table.items():
            if abs(_ratio_value(ratio) - aspect) < 0.01:  # type: ignore[operator]
                w, h = size.split("*")
                return int(w), int(h)
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
    """The `usage` object of a SUCCEEDED task, in the shape this model family returns (reference §6.4)."""
    whole = int(seconds) if float(seconds).is_integer() else seconds
    sr = int(tier[:-1]) if tier else 720
    size = f"{width}*{height}"
    if model.protocol == "animate":
        return {
            "video_duration": float(seconds),
            "video_ratio": "pro" if params.get("mode") == "wan-pro" else "standard",
        }
    if model.protocol == "s2v":
        return {"video_duration": float(seconds)}
    if model.family == "wan3.0":
        ratio = f"{width}:{height}"
        return {
            "duration": whole,
            "output_video_duration": whole,
            "video_count": 1,
            "SR": sr,
            "fps": 30,
            "ratio": ratio,
        }
    if "vace" in model.modes or model.family == "wanx2.1":
        return {"video_duration": whole, "video_ratio": "standard", "video_count": 1}
    if "kf2v" in model.modes and model.family == "wan2.2":
        return {"video_duration": whole, "video_count": 1, "SR": sr}
    if model.family in ("wan2.6", "wan2.7"):
        usage: dict[str, Any] = {"duration": whole}
        if "t2v" in model.modes or "r2v" in model.modes:
            usage["size"] = size
        usage |= {"input_video_duration": input_video if "r2v" in model.modes else 0}
        usage |= {"output_video_duration": whole, "video_count": 1, "SR": sr}
        if "r2v" in model.modes:
            usage["duration"] = float(seconds + input_video)
        if model.audio == "switch":
            usage["audio"] = sound
        return usage
    if "t2v" in model.modes:
        return {"video_duration": whole, "video_ratio": size, "video_count": 1}
    return {"duration": whole, "SR": sr, "video_count": 1}


def processing_seconds(
    model: Model, video: VideoSpec, tier: str | None, draw: Callable[[float, float], float]
) -> float:
    """How long the task runs, drawn from the catalog's typical range for this output."""
    low, high = catalog.typical_wait(model, video.seconds, tier)
    return draw(float(low), float(high))


def face_check(body: Any) -> dict[str, Any]:
    """The synchronous face pre-check's answer (always passes unless a fault says otherwise)."""
    if not isinstance(body, dict) or not isinstance(body.get("input"), dict) or not body["input"].get("image_url"):
        raise _missing("input.image_url")
    return {"check_pass": True, "humanoid": True}


def read_path_info(path: Path) -> MediaInfo | None:
    """Header facts about an uploaded file (never fails)."""
    try:
        return probe_file(path)
    except OSError:
        return None
