"""A user's video request → validated against the catalog → the exact DashScope HTTP request (pure, no network).

`plan_request(args, region=…)` returns a `Plan` (method, path, headers, JSON body, pending uploads, estimate,
guardrail notes) or raises `RequestInvalid` listing every problem with the argument it concerns and the fix.
It refuses whatever DashScope would reject, and whatever it would silently ignore, truncate or change, because
each of those costs the user money for a video they did not ask for.
"""

from __future__ import annotations

import base64
import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from wan_mcp import catalog
from wan_mcp.catalog import (
    MODES,
    REGIONS,
    SIZES_BY_TIER,
    VACE_CLIP_MAX_SECONDS,
    DurationSpec,
    MediaLimits,
    Mode,
    Model,
    RegionId,
    Tier,
)
from wan_mcp.errors import Problem, RequestInvalid
from wan_mcp.inputs import InputError, MediaSource, classify

INLINE_MAX_BYTES = 10 * 1000 * 1000  # local images sent as data: URIs where a region has no uploads
MEDIA_ARGS = (
    "image",
    "first_frame",
    "last_frame",
    "references",
    "audio",
    "video",
    "mask_image",
    "mask_video",
    "ref_images",
    "first_clip",
    "last_clip",
)


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


@dataclass(frozen=True)
class HttpRequest:
    """The DashScope request as it will be sent (without the Authorization header, which the client adds)."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "path": self.path, "headers": dict(self.headers), "body": self.body}


@dataclass(frozen=True)
class PendingUpload:
    """A local file (or a data: URI the API takes no inline) to upload to temporary storage before the submit."""

    argument: str
    pointer: tuple[str | int, ...]  # where its oss:// URL goes in the body, e.g. ("input", "img_url")
    path: Path | None
    size_bytes: int | None
    data_uri: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "argument": self.argument,
            "body_field": ".".join(str(p) for p in self.pointer),
            "path": str(self.path) if self.path else "(data: URI)",
            "size_bytes": self.size_bytes,
        }


@dataclass(frozen=True)
class Estimate:
    """What the job will probably cost and how long it will probably take."""

    output_seconds: float | None
    billed_seconds: float | None
    tier: str | None
    size: str | None
    sound: bool
    cost: float | None
    currency: str | None
    price_per_second: float | None
    price_source: str | None
    price_official: bool
    wait_low_seconds: int
    wait_high_seconds: int

    @property
    def wait_text(self) -> str:
        return wait_text(self.wait_low_seconds, self.wait_high_seconds)

    def to_dict(self) -> dict[str, Any]:
        return {
            "output_seconds": self.output_seconds,
            "billed_seconds": self.billed_seconds,
            "tier": self.tier,
            "size": self.size,
            "sound": self.sound,
            "cost": None
            if self.cost is None
            else {
                "amount": self.cost,
                "currency": self.currency,
                "per_second": self.price_per_second,
                "estimate": not self.price_official,
                "source": self.price_source,
            },
            "wait_seconds": {"low": self.wait_low_seconds, "high": self.wait_high_seconds},
            "wait_text": self.wait_text,
        }


@dataclass(frozen=True)
class Plan:
    """A validated request: what to send, what to upload first, what it costs, what to tell the user."""

    mode: Mode
    model: str  # canonical catalog id
    model_name: str  # the name sent in this region
    region: RegionId
    function: str | None
    request: HttpRequest
    uploads: tuple[PendingUpload, ...]
    estimate: Estimate
    notes: tuple[str, ...]
    arguments: dict[str, Any] = field(default_factory=dict)  # the effective arguments after defaults

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "mode": self.mode,
            "model": self.model,
            "region": self.region,
            "request": self.request.to_dict(),
            "estimate": self.estimate.to_dict(),
            "notes": list(self.notes),
        }
        if self.function:
            data["function"] = self.function
        if self.uploads:
            data["uploads"] = [u.to_dict() for u in self.uploads]
        return data


# -- entry point -----------------------------------------------------------------------------------------


def plan_request(
    args: Mapping[str, Any] | VideoRequest,
    *,
    region: RegionId = catalog.DEFAULT_REGION,
    input_dir: Path | None = None,
    allowed_dirs: tuple[Path, ...] | None = None,
) -> Plan:
    """Validate a request for a region and build the exact DashScope request; raise RequestInvalid if doomed.

    `allowed_dirs` limits which local files may be read (None: any).
    """
    request = args if isinstance(args, VideoRequest) else parse_arguments(args)
    return _Planner(request, region, input_dir, allowed_dirs).plan()


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
        alias = _WIRE_NAME_HINTS.get(name)
        hint = alias or (close[0] if close else None)
        fix = f"use {hint!r} instead" if hint else "remove it (see list_modes for the arguments each mode takes)"
        return Problem(name, "unknown_argument", f"{name!r} is not an argument of a video request", fix)
    if name == "mode":
        return Problem(
            "mode",
            "invalid_value",
            f"mode must be one of {', '.join(MODES)}",
            "pick the mode that fits (list_modes)",
        )
    if name == "shot_type":
        return Problem("shot_type", "invalid_value", "shot_type must be 'single' or 'multi'", "use 'single' or 'multi'")
    message = str(err.get("msg", "invalid value"))
    expected = {
        "int_parsing": "a whole number",
        "int_from_float": "a whole number",
        "bool_parsing": "true or false",
        "string_type": "a string",
        "list_type": "a list",
        "float_parsing": "a number",
    }.get(str(err.get("type")), "a valid value")
    return Problem(where, "invalid_value", f"{where}: {message}", f"give {expected}")


# DashScope's wire names, mapped to the argument a user of wan-mcp should give instead.
_WIRE_NAME_HINTS = {
    "img_url": "image",
    "image_url": "image",
    "first_frame_url": "first_frame",
    "last_frame_url": "last_frame",
    "reference_urls": "references",
    "reference_video_urls": "references",
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


# -- the planner -----------------------------------------------------------------------------------------

_ALWAYS = frozenset({"mode", "model", "generate_audio"})
_SCALES = ("top_scale", "bottom_scale", "left_scale", "right_scale")


class _Planner:
    """Holds one request while it is checked and built; collects every problem before raising."""

    def __init__(
        self, request: VideoRequest, region: RegionId, input_dir: Path | None, allowed_dirs: tuple[Path, ...] | None
    ) -> None:
        self.allowed_dirs = allowed_dirs
        self.req = request
        self.given = request.given()
        self.region = region
        self.input_dir = input_dir
        self.problems: list[Problem] = []
        self.notes: list[str] = []
        self.cautions: list[str] = []
        self.sources: dict[str, MediaSource] = {}
        self.reference_sources: list[MediaSource] = []
        self.pointers: dict[str, tuple[str | int, ...]] = {}  # argument (e.g. "references[1]") → body field
        self.data_uri_ok: dict[str, bool] = {}  # argument → the API takes it inline as base64
        self.to_upload: set[str] = set()  # arguments uploaded to temporary storage before the submit
        self.to_inline: set[str] = set()  # local files sent inline as data: URIs (regions without uploads)
        self.effective: dict[str, Any] = {}
        self.accepted: frozenset[str] = frozenset()

    # -- helpers
    def problem(self, name: str, code: str, message: str, fix: str) -> None:
        self.problems.append(Problem(name, code, message, fix))

    def fail_now(self) -> None:
        if self.problems:
            raise RequestInvalid(self.problems)

    # -- main
    def plan(self) -> Plan:
        model, mode = self.resolve_model_and_mode()
        self.model, self.mode = model, mode
        self.function = self.resolve_function()
        self.accepted = frozenset(self.accepted_arguments())
        self.check_accepted_arguments()
        self.check_required_arguments()
        self.check_prompt()
        self.check_media()
        self.tier, self.size, self.ratio = self.resolve_frame()
        self.duration = self.resolve_duration()
        self.check_audio()
        self.prompt_extend = self.resolve_prompt_extend()
        self.check_seed()
        self.check_mode_rules()
        self.decide_transport()
        self.fail_now()
        body = self.build_body()
        uploads = tuple(
            PendingUpload(
                name.split("[")[0],
                self.pointers[name],
                self.sources[name].path,
                self.sources[name].info.size_bytes if self.sources[name].info else None,  # type: ignore[union-attr]
                data_uri=self.sources[name].raw if self.sources[name].kind == "data" else None,
            )
            for name in self.sources
            if name in self.to_upload
        )
        estimate = self.estimate()
        headers = {"Content-Type": "application/json", "X-DashScope-Async": "enable"}
        if uploads or any(s.kind == "oss" for s in self.sources.values()):
            headers["X-DashScope-OssResourceResolve"] = "enable"
        path = catalog.API_PREFIX + catalog.ENDPOINT_PATHS[model.endpoint]
        notes = self.guardrail_notes(estimate, len(uploads))
        return Plan(
            mode=mode,
            model=model.id,
            model_name=model.regions[self.region].name,
            region=self.region,
            function=self.function,
            request=HttpRequest("POST", path, headers, body),
            uploads=uploads,
            estimate=estimate,
            notes=tuple(notes),
            arguments=self.effective_arguments(),
        )

    # -- model, mode, function
    def resolve_model_and_mode(self) -> tuple[Model, Mode]:
        req = self.req
        mode: Mode | None = req.mode
        model: Model | None = None
        if req.model is not None:
            model = catalog.find_model(req.model)
            if model is None:
                close = difflib.get_close_matches(
                    req.model.strip(), [a for m in catalog.MODELS for a in m.aliases], n=3
                )
                choices = ", ".join(m.id for m in catalog.models_for(mode)) if mode else ""
                fix = f"did you mean {', '.join(close)}?" if close else ""
                fix = (fix + " " if fix else "") + (
                    f"models for {mode}: {choices}" if choices else "list_modes shows every model by mode"
                )
                raise RequestInvalid(Problem("model", "unknown_model", f"there is no Wan model {req.model!r}", fix))
            if model.kind != "generation":
                raise RequestInvalid(
                    Problem(
                        "model",
                        "not_supported",
                        f"{model.id} is a pre-check, not a video model",
                        "use wan2.2-s2v (mode s2v) to make the video",
                    )
                )
            if mode is None:
                if len(model.modes) == 1:
                    mode = next(iter(model.modes))
                    self.notes.append(f"mode: {mode} (the only mode {model.id} serves).")
                else:
                    raise RequestInvalid(
                        Problem(
                            "mode",
                            "missing_argument",
                            f"{model.id} serves several modes ({', '.join(model.modes)})",
                            "say which one with mode",
                        )
                    )
            elif mode not in model.modes:
                alternatives = ", ".join(m.id for m in catalog.models_for(mode, self.region)[:4])
                raise RequestInvalid(
                    Problem(
                        "model",
                        "not_supported",
                        f"{model.id} does not do {mode}; it serves {', '.join(model.modes)}",
                        f"for {mode} use {alternatives}" if alternatives else f"choose another mode than {mode}",
                    )
                )
        if mode is None:
            raise RequestInvalid(
                Problem(
                    "mode",
                    "missing_argument",
                    "mode is required",
                    "give mode: t2v (text), i2v (one image), kf2v (first+last image), r2v (references), "
                    "vace (edit a video), s2v (talking portrait) or animate (character animation)",
                )
            )
        region = REGIONS[self.region]
        if model is None:
            model = catalog.default_model(mode, self.region)
            if model is None:
                where = sorted({r for m in catalog.models_for(mode) for r in m.regions})
                raise RequestInvalid(
                    Problem(
                        "mode",
                        "not_in_region",
                        f"no {mode} model is offered in {region.title}",
                        f"{mode} is offered in {', '.join(where)}: set DASHSCOPE_REGION (with a key of that region)",
                    )
                )
            preferred = catalog.DEFAULT_MODELS[mode][0]
            if model.id == preferred:
                self.notes.append(f"model: {model.id} (the default for {mode}).")
            else:
                self.notes.append(
                    f"model: {model.id} ({preferred}, the usual default for {mode}, is not offered in {region.title})."
                )
        elif self.region not in model.regions:
            offered = ", ".join(REGIONS[r].title for r in model.regions)
            here = ", ".join(m.id for m in catalog.models_for(mode, self.region)[:4])
            regions = " or ".join(model.regions)
            fix = f"set DASHSCOPE_REGION to {regions} (with a key from that region)"
            if here:
                fix += f", or use a {mode} model offered in {region.title}: {here}"
            raise RequestInvalid(
                Problem(
                    "model",
                    "not_in_region",
                    f"{model.id} is not offered in {region.title}; it is offered in {offered}",
                    fix,
                )
            )
        sent = model.regions[self.region].name
        if req.model is not None and req.model.strip() != sent:
            self.notes.append(f"model name sent as {sent!r}, its name in {region.title}.")
        return model, mode

    def resolve_function(self) -> str | None:
        spec = self.model.modes[self.mode]
        if spec.functions is None:
            return None
        function = self.req.function
        names = ", ".join(spec.functions)
        if function is None:
            self.problem("function", "missing_argument", f"{self.model.id} needs a function", f"give one of {names}")
            self.fail_now()
        elif function not in spec.functions:
            self.problem("function", "invalid_value", f"{function!r} is not a VACE function", f"use one of {names}")
            self.fail_now()
        return function

    # -- which arguments apply
    def accepted_arguments(self) -> set[str]:
        return set(arguments_used(self.model, self.mode, self.function))

    def check_accepted_arguments(self) -> None:
        accepted = self.accepted
        for name in self.given:
            if name in accepted:
                continue
            if name == "shot_type" and self.given[name] == "single":
                continue  # the default everywhere: nothing to send, nothing ignored
            self.problem(name, "not_supported", *self.unsupported(name))

    def unsupported(self, name: str) -> tuple[str, str]:
        """(message, fix) for an argument this model/mode/function does not use."""
        model, mode = self.model, self.mode
        what = f"{model.id} ({mode}{', ' + self.function if self.function else ''})"
        sound_models = "wan2.6-t2v or wan2.6-i2v-flash"
        if name == "audio":
            if model.audio == "silent":
                return (
                    f"{model.id} makes silent video and takes no soundtrack",
                    f"for sound use a model with audio ({sound_models}), or generate the video silent and merge "
                    "your soundtrack into it afterwards",
                )
            if model.family == "wan3.0":
                return (
                    f"{model.id} takes no soundtrack argument",
                    "pass the audio file in references (r2v) and refer to it as 'audio 1' in the prompt",
                )
            return (
                f"{model.id} makes its own sound but takes no soundtrack file",
                f"for your own soundtrack use {sound_models}, or merge it into the finished video afterwards",
            )
        if name == "shot_type":
            return (
                f"{model.id} has no multi-shot mode (only wan2.6 models do)",
                "use wan2.6-t2v / wan2.6-i2v / wan2.6-r2v, or write the shots into the prompt "
                "('Shot 1 [0-3s]: …') for wan2.7 and wan3.0",
            )
        if name == "size":
            if self.function is not None:
                return (f"{what} keeps the size of the input video", "remove size")
            if model.param_style == "resolution":
                return (
                    f"{model.id} takes resolution (a tier), not size; the aspect ratio follows the input image",
                    f"use resolution: one of {', '.join(model.tiers)}",
                )
            return (
                f"{model.id} takes resolution and aspect_ratio, not size",
                f"use resolution ({', '.join(model.tiers)}) and aspect_ratio ({', '.join(model.ratios)})",
            )
        if name == "aspect_ratio":
            if self.function is not None:
                return (f"{what} keeps the aspect ratio of the input video", "remove aspect_ratio")
            return (
                f"{model.id} takes its aspect ratio from the input image",
                "crop the image to the aspect ratio you want, and remove aspect_ratio",
            )
        if name == "resolution" and self.function is not None:
            return (f"{what} keeps the resolution of the input video (≤ 720P)", "remove resolution")
        if name == "prompt_extend" and model.prompt != "none":
            return (f"{model.id} has no prompt_extend parameter", "remove prompt_extend")
        if name in ("prompt", "negative_prompt", "prompt_extend"):
            if model.prompt == "none":
                driven = "the audio" if mode == "s2v" else "the video"
                return (f"{model.id} takes no prompt: the motion comes from {driven}", f"remove {name}")
            return (f"{model.id} takes no negative prompt", "say what to avoid inside the prompt instead")
        if name == "duration":
            driven = "input audio" if mode == "s2v" else "input video"
            return (
                f"with {model.id} the video lasts as long as the {driven}",
                "trim the input instead; remove duration",
            )
        if name == "template":
            return (
                f"{model.id} has no effect templates",
                "templates exist on wanx2.1-i2v-turbo, wanx2.1-i2v-plus (i2v) and wanx2.1-kf2v-plus (kf2v)",
            )
        if name == "function":
            return (
                "function is only for VACE editing (mode vace with wanx2.1-vace-plus)",
                "remove function",
            )
        if name in ("seed", "watermark"):
            return (f"{model.id} has no {name} parameter", f"remove {name}")
        used = sorted(self.accepted - _ALWAYS)
        return (f"{name} is not used by {what}", f"remove it; this request uses: {', '.join(used)}")

    def check_required_arguments(self) -> None:
        spec = self.model.modes[self.mode]
        required = list(spec.required)
        groups = list(spec.one_of)
        if self.function is not None and spec.functions is not None:
            fspec = spec.functions[self.function]
            required += list(fspec.required)
            groups += list(fspec.one_of)
        for name in required:
            if name not in self.given and name != "function":
                self.problem(
                    name,
                    "missing_argument",
                    f"{self.describe_call()} needs {name}",
                    _REQUIRED_FIX.get(name, f"give {name}"),
                )
        for group in groups:
            if not any(name in self.given for name in group):
                names = " or ".join(group)
                self.problem(group[0], "missing_argument", f"{self.describe_call()} needs {names}", f"give {names}")
        if self.mode == "t2v" and self.model.prompt != "none" and not (self.req.prompt or "").strip():
            if not any(self.given.get(n) for n in ("reference_file", "reference_link")):
                self.problem(
                    "prompt",
                    "missing_argument",
                    "text-to-video needs a prompt",
                    "describe the video in prompt",
                )
        elif self.model.prompt == "required" and "prompt" not in self.given:
            self.problem(
                "prompt",
                "missing_argument",
                f"{self.describe_call()} needs a prompt",
                "describe the video in prompt",
            )

    def describe_call(self) -> str:
        suffix = f" {self.function}" if self.function else ""
        return f"{self.model.id} ({self.mode}{suffix})"

    # -- prompt
    def check_prompt(self) -> None:
        model = self.model
        prompt = self.req.prompt
        if prompt is not None and "prompt" in self.accepted:
            if not prompt.strip() and model.prompt == "required":
                self.problem("prompt", "missing_argument", "the prompt is empty", "describe the video in prompt")
            limit = model.prompt_max
            if limit is not None and len(prompt) > limit:
                self.problem(
                    "prompt",
                    "too_long",
                    f"the prompt has {len(prompt):,} characters; {model.id} takes at most {limit:,} and DashScope "
                    "would silently drop the rest",
                    f"shorten it by at least {len(prompt) - limit:,} characters",
                )
        negative = self.req.negative_prompt
        limit = model.negative_prompt_max
        if negative is not None and limit is not None and len(negative) > limit:
            self.problem(
                "negative_prompt",
                "too_long",
                f"the negative prompt has {len(negative):,} characters; {model.id} takes at most {limit:,} and "
                "DashScope would silently drop the rest",
                f"shorten it by at least {len(negative) - limit:,} characters",
            )

    # -- media
    def limits_for(self, name: str) -> MediaLimits | None:
        model = self.model
        if name in ("image", "first_frame", "last_frame", "mask_image", "ref_images"):
            return model.image
        if name in ("video", "mask_video", "first_clip", "last_clip"):
            return model.video
        if name == "audio":
            return model.audio_input
        return None

    def check_media(self) -> None:
        accepted = self.accepted
        for name in (*MEDIA_ARGS, "reference_file"):
            value = self.given.get(name)
            if value is None or name not in accepted:
                continue
            if name in ("references", "ref_images"):
                self.check_media_list(name, value)
                continue
            source = self.source(name, value)
            if source is not None:
                self.sources[name] = source
                limits = self.limits_for(name)
                if limits is not None:
                    self.check_limits(name, source, limits)
        link = self.given.get("reference_link")
        if (
            link is not None
            and "reference_link" in accepted
            and not str(link).lower().startswith(("https://", "http://"))
        ):
            self.problem(
                "reference_link",
                "invalid_value",
                "reference_link must be a public http(s) web page",
                "give its URL",
            )

    def check_media_list(self, name: str, values: list[str]) -> None:
        model = self.model
        if not values:
            self.problem(name, "missing_argument", f"{name} is empty", f"give at least one {name[:-1]}")
            return
        for index, value in enumerate(values):
            source = self.source(f"{name}[{index}]", value)
            if source is None:
                continue
            if name == "references":
                self.reference_sources.append(source)
            self.sources[f"{name}[{index}]"] = source
            if name == "ref_images":
                if model.image is not None:
                    self.check_limits(f"{name}[{index}]", source, model.image)
                continue
            kind = source.media_kind
            limits = {"image": model.image, "video": model.video, "audio": model.audio_input}.get(kind or "")
            if kind is None:
                self.problem(
                    f"{name}[{index}]",
                    "unknown_media_kind",
                    f"cannot tell whether {source.raw[:80]!r} is an image, a video or an audio file",
                    "use a URL whose path ends in .png/.jpg/.webp/.mp4/.mov/.wav/.mp3, or a local file",
                )
            elif limits is None:
                self.problem(
                    f"{name}[{index}]",
                    "not_supported",
                    f"{model.id} takes no {kind} references",
                    f"references for {model.id} are {self.reference_kinds_text()}",
                )
            else:
                self.check_limits(f"{name}[{index}]", source, limits)

    def reference_kinds_text(self) -> str:
        model = self.model
        kinds = [
            k for k, lim in (("images", model.image), ("videos", model.video), ("audio", model.audio_input)) if lim
        ]
        return " and ".join(kinds) or "none"

    def source(self, name: str, value: str) -> MediaSource | None:
        try:
            source = classify(value, input_dir=self.input_dir, allowed=self.allowed_dirs)
        except InputError as exc:
            self.problem(name, exc.code, f"{name}: {exc.message}", exc.fix)
            return None
        return source

    def check_limits(self, name: str, source: MediaSource, limits: MediaLimits) -> None:
        model = self.model
        self.data_uri_ok[name] = limits.data_uri and model.protocol == "legacy"
        if source.kind in ("url", "oss") and limits.ascii_url and not source.raw.isascii():
            self.problem(
                name,
                "invalid_url",
                f"{model.id} refuses URLs with non-ASCII characters (such as Chinese)",
                "percent-encode the URL's path (e.g. with urllib.parse.quote), or pass a local file",
            )
        fmt = source.guessed_format
        allowed = ", ".join(f.upper() for f in limits.formats)
        if fmt is not None and fmt not in limits.formats:
            self.problem(
                name,
                "invalid_format",
                f"{name} is {fmt.upper()}; {model.id} takes {allowed} for its {limits.kind} input",
                f"convert it to {limits.formats[0].upper()}",
            )
            return
        info = source.info
        if info is None:
            return
        if info.format is None:
            self.problem(
                name,
                "invalid_format",
                f"{name} is not a recognisable {limits.kind} file",
                f"use {allowed}",
            )
            return
        label = f"{name} ({source.path or 'data: URI'})" if source.kind == "local" else name
        size_mb = (info.size_bytes or 0) / 1_000_000
        if info.size_bytes is not None and size_mb > limits.max_mb:
            self.problem(
                name,
                "file_too_large",
                f"{label} is {size_mb:.1f} MB; {model.id} takes at most {limits.max_mb:g} MB",
                "compress or downscale it",
            )
        elif limits.caution_max_mb is not None and size_mb > limits.caution_max_mb:
            self.cautions.append(
                f"{name} is {size_mb:.1f} MB: accepted (the newest docs allow {limits.max_mb:g} MB), but older docs "
                f"say {limits.caution_max_mb:g} MB; if DashScope refuses it, compress it."
            )
        if info.format == "png" and info.has_alpha and not limits.png_alpha:
            self.problem(
                name,
                "invalid_format",
                f"{label} is a PNG with transparency, which {model.id} does not accept",
                "flatten it onto a background or save it as JPEG",
            )
        self.check_pixels(name, label, info.width, info.height, limits)
        self.check_seconds(name, label, info.seconds, limits)

    def check_pixels(self, name: str, label: str, width: int | None, height: int | None, limits: MediaLimits) -> None:
        if not width or not height:
            return
        low, high = limits.min_px, limits.max_px
        if (low is not None and min(width, height) < low) or (high is not None and max(width, height) > high):
            self.problem(
                name,
                "invalid_dimensions",
                f"{label} is {width}×{height} px; {self.model.id} takes sides of {low}–{high} px",
                "resize it",
            )
            return
        c_low, c_high = limits.caution_min_px, limits.caution_max_px
        if (c_low is not None and min(width, height) < c_low) or (c_high is not None and max(width, height) > c_high):
            self.cautions.append(
                f"{name} is {width}×{height} px: accepted by the newest docs ({low}–{high} px), but older docs say "
                f"{c_low}–{c_high} px; if DashScope refuses it, resize it."
            )
        aspect = width / height
        if (
            limits.min_aspect is not None
            and limits.max_aspect is not None
            and not (limits.min_aspect - 1e-9 <= aspect <= limits.max_aspect + 1e-9)
        ):
            self.problem(
                name,
                "invalid_dimensions",
                f"{label} has an aspect ratio of {aspect:.2f}; {self.model.id} takes "
                f"{_ratio_text(limits.min_aspect)} to {_ratio_text(limits.max_aspect)}",
                "crop it",
            )

    def check_seconds(self, name: str, label: str, seconds: float | None, limits: MediaLimits) -> None:
        if seconds is None:
            return
        if limits.min_seconds is not None and seconds < limits.min_seconds - 0.05:
            self.problem(
                name,
                "invalid_duration",
                f"{label} lasts {seconds:.1f} s; {self.model.id} needs at least {limits.min_seconds:g} s",
                "use a longer file",
            )
        elif limits.max_seconds is not None and seconds > limits.max_seconds + 0.05:
            if limits.kind == "audio" and self.model.audio in ("auto", "switch"):
                self.problem(
                    name,
                    "invalid_duration",
                    f"{label} lasts {seconds:.1f} s; {self.model.id} takes at most {limits.max_seconds:g} s of audio",
                    f"trim it to {limits.max_seconds:g} s or less",
                )
            else:
                self.problem(
                    name,
                    "invalid_duration",
                    f"{label} lasts {seconds:.1f} s; {self.model.id} takes at most {limits.max_seconds:g} s "
                    "(DashScope would cut or refuse the rest)",
                    f"trim it to {limits.max_seconds:g} s or less",
                )
        elif limits.caution_min_seconds is not None and seconds < limits.caution_min_seconds:
            self.cautions.append(
                f"{name} lasts {seconds:.1f} s: accepted ({limits.min_seconds:g} s minimum), but other docs say "
                f"{limits.caution_min_seconds:g} s; if DashScope refuses it, use a longer file."
            )
        elif limits.caution_max_seconds is not None and seconds > limits.caution_max_seconds:
            self.cautions.append(
                f"{name} lasts {seconds:.1f} s: some docs give {limits.caution_max_seconds:g} s as the maximum; "
                "if DashScope refuses it, trim it."
            )

    # -- size, resolution, ratio
    def resolve_frame(self) -> tuple[Tier | None, str | None, str | None]:
        """(tier, size, ratio) to send; None where the model takes none or the input video decides."""
        model, given = self.model, self.given
        resolution = self.normalise_tier(given.get("resolution")) if "resolution" in self.accepted else None
        ratio = given.get("aspect_ratio") if "aspect_ratio" in self.accepted else None
        if model.param_style == "quality":
            self.resolve_quality()
            return None, None, None
        if model.param_style == "none" or not ({"size", "resolution"} & self.accepted):
            return None, None, None
        framed = {"size", "resolution", "aspect_ratio"} & set(given)
        if self.function is not None and not self.function_spec_sends_size() and not framed:
            return None, None, None  # the output follows the input video
        if model.param_style == "size":
            return self.resolve_size(resolution, ratio)
        tier = resolution or self.default_tier()
        if ratio is not None and ratio not in model.ratios:
            self.problem(
                "aspect_ratio",
                "invalid_value",
                f"{model.id} takes aspect_ratio {', '.join(model.ratios)}, not {ratio!r}",
                f"use one of {', '.join(model.ratios)}",
            )
        if model.param_style == "resolution+ratio" and ratio is None:
            ratio = self.default_ratio()
        return tier, None, ratio

    def function_spec_sends_size(self) -> bool:
        functions = self.model.modes[self.mode].functions
        return bool(functions and self.function and functions[self.function].sends_size)

    def resolve_quality(self) -> None:
        raw = self.given.get("quality")
        quality = (raw or "std").strip().lower().removeprefix("wan-")
        if quality not in ("std", "pro"):
            self.problem("quality", "invalid_value", f"quality {raw!r} is not offered", "use 'std' (cheaper) or 'pro'")
            return
        if raw is None:
            self.notes.append("quality: std (wan-std, the cheaper one); pass quality 'pro' for wan-pro.")
        self.effective["quality"] = quality

    def normalise_tier(self, value: str | None) -> Tier | None:
        if value is None:
            return None
        text = value.strip().upper()
        text = text if text.endswith("P") else text + "P"
        for tier in self.model.tiers:
            if tier == text:
                return tier
        offered = ", ".join(self.model.tiers)
        self.problem(
            "resolution",
            "invalid_value",
            f"{self.model.id} offers resolution {offered}, not {value!r}",
            f"use one of {offered}",
        )
        return None

    def default_tier(self) -> Tier | None:
        """720P where offered (cheaper and faster than DashScope's usual 1080P), else the tier nearest to it."""
        model = self.model
        api_default = model.default_tier
        if api_default is None or not model.tiers:
            return None
        if catalog.TIERS.index(api_default) <= catalog.TIERS.index("720P"):
            chosen: Tier = api_default
        else:
            chosen = min(model.tiers, key=lambda t: (abs(int(t[:-1]) - 720), int(t[:-1])))
        if model.param_style != "size":
            costlier = f"; DashScope's own default, {api_default}, costs more" if chosen != api_default else ""
            self.notes.append(f"resolution: {chosen} (the default here{costlier}). Pass resolution to choose.")
        return chosen

    def default_ratio(self) -> str | None:
        model = self.model
        ratio = "16:9" if self.mode == "t2v" and "16:9" in model.ratios else model.default_ratio
        meaning = " (follows the input media)" if ratio == "adaptive" else ""
        self.notes.append(f"aspect_ratio: {ratio}{meaning}, the default here. Pass aspect_ratio to choose.")
        return ratio

    def resolve_size(self, resolution: Tier | None, ratio: str | None) -> tuple[Tier | None, str | None, str | None]:
        model, given = self.model, self.given
        raw = given.get("size")
        if raw is not None:
            size = raw.strip().replace("x", "*").replace("X", "*").replace("×", "*")
            if size not in model.sizes:
                hint = (
                    f"use one of {', '.join(model.sizes)}"
                    if "*" in size
                    else "size is width*height such as 1280*720; for a tier and a ratio use resolution and aspect_ratio"
                )
                self.problem("size", "invalid_value", f"{model.id} does not offer size {raw!r}", hint)
                return None, None, None
            tier, size_ratio = catalog.tier_of_size(size), catalog.ratio_of_size(size)
            if (resolution is not None and resolution != tier) or (ratio is not None and ratio != size_ratio):
                self.problem(
                    "size",
                    "conflicting_arguments",
                    f"size {size} is {tier} {size_ratio}, which contradicts resolution/aspect_ratio",
                    "give either size, or resolution and aspect_ratio",
                )
            return tier, size, size_ratio
        if ratio is not None and ratio not in SIZES_BY_TIER["720P"]:
            self.problem(
                "aspect_ratio",
                "invalid_value",
                f"aspect_ratio {ratio!r} is not offered",
                "use 16:9, 9:16, 1:1, 4:3 or 3:4",
            )
            return None, None, None
        tier = resolution or self.default_tier()
        if tier is None:
            return None, None, None
        chosen_ratio = ratio or "16:9"
        size = SIZES_BY_TIER[tier].get(chosen_ratio)
        if size is None or size not in model.sizes:
            ratios = [r for r, s in SIZES_BY_TIER[tier].items() if s in model.sizes]
            self.problem(
                "aspect_ratio",
                "invalid_value",
                f"{model.id} has no {tier} size with aspect ratio {chosen_ratio}",
                f"at {tier} use {', '.join(ratios)}",
            )
            return None, None, None
        if resolution is not None or ratio is not None:
            self.notes.append(f"size: {size} ({tier} {chosen_ratio}).")
        else:
            costlier = (
                f"; DashScope's own default, {model.default_size}, costs more" if size != model.default_size else ""
            )
            self.notes.append(
                f"size: {size} ({tier} {chosen_ratio}, the default here{costlier}). "
                "Pass size, or resolution and aspect_ratio, to choose."
            )
        return tier, size, chosen_ratio

    # -- duration
    def resolve_duration(self) -> int | None:
        model = self.model
        spec: DurationSpec | None = model.durations_in(self.region)
        if spec is None:
            return None
        requested = self.req.duration
        if requested is None:
            if spec.fixed:
                return spec.min
            if spec.default in spec.special:
                self.notes.append(f"duration: {spec.special[spec.default]} (the default).")
                return None
            self.notes.append(
                f"duration: {spec.default} s (the default; {model.id} offers {spec.describe()}). "
                "Every second is billed."
            )
            return spec.default
        if not spec.allows(requested):
            where = f" in {REGIONS[self.region].title}" if spec is not model.durations else ""
            fix = f"remove duration ({model.id} always makes {spec.min} s)" if spec.fixed else f"use {spec.describe()}"
            if requested > spec.max:
                fix += "; for a longer video, chain segments through their last frame and join them"
            self.problem(
                "duration",
                "invalid_value",
                f"{model.id} offers {spec.describe()}{where}, not {requested} s",
                fix,
            )
            return None
        if spec.caution is not None and requested not in spec.caution and requested not in spec.special:
            self.cautions.append(
                f"duration {requested} s: the newest docs allow {spec.min}–{spec.max} s, older docs only "
                f"{'/'.join(map(str, spec.caution))} s; if DashScope refuses it, use one of those."
            )
        return requested

    # -- sound
    def check_audio(self) -> None:
        model = self.model
        generate = self.req.generate_audio
        if generate is None:
            return
        if model.audio == "silent" and generate:
            self.problem(
                "generate_audio",
                "not_supported",
                f"{model.id} makes silent video",
                "for sound use wan2.6-t2v or wan2.6-i2v-flash, or merge a soundtrack into the finished video",
            )
        elif model.audio == "auto" and not generate:
            self.problem(
                "generate_audio",
                "not_supported",
                f"{model.id} always adds sound and has no switch to turn it off",
                "for a silent video use wan2.6-i2v-flash (i2v) or wan2.6-r2v-flash (r2v) with generate_audio false, "
                "or a silent model such as wan2.2-t2v-plus",
            )
        elif model.audio == "driven" and not generate:
            self.problem(
                "generate_audio",
                "not_supported",
                f"{model.id} is driven by its audio",
                "remove generate_audio",
            )
        if model.audio == "switch" and generate is False and "audio" in self.given:
            self.problem(
                "audio",
                "conflicting_arguments",
                "generate_audio false would silently drop the soundtrack (the result is silent)",
                "remove audio for a silent video, or remove generate_audio to use the soundtrack",
            )

    def sound(self) -> bool:
        model = self.model
        if model.audio == "switch":
            return self.req.generate_audio is not False
        return model.audio in ("auto", "driven")

    # -- prompt_extend and multi-shot
    def resolve_prompt_extend(self) -> bool | None:
        model, req = self.model, self.req
        value = req.prompt_extend if model.prompt_extend else None
        if req.shot_type == "multi" and model.shot_type and model.prompt_extend:
            if value is False:
                self.problem(
                    "prompt_extend",
                    "conflicting_arguments",
                    "multi-shot only works with prompt_extend on (DashScope ignores shot_type otherwise)",
                    "remove prompt_extend (or set it true), or use shot_type 'single'",
                )
            elif value is None:
                self.notes.append("prompt_extend: turned on, because multi-shot needs it.")
                value = True
        needs_extend = any(self.given.get(n) for n in ("reference_file", "reference_link"))
        if needs_extend and model.family == "wan3.0":
            if value is False:
                self.problem(
                    "prompt_extend",
                    "conflicting_arguments",
                    "a reference file or link only works with prompt_extend on",
                    "remove prompt_extend, or remove the file/link",
                )
            elif value is None:
                self.notes.append("prompt_extend: turned on, because a reference file or link needs it.")
                value = True
        return value

    def check_seed(self) -> None:
        seed = self.req.seed
        if seed is not None and not 0 <= seed <= catalog.SEED_MAX:
            self.problem(
                "seed",
                "out_of_range",
                f"seed {seed} is outside 0–{catalog.SEED_MAX}",
                "use a whole number in that range, or omit seed for a random one",
            )

    # -- rules of one mode or function
    def check_mode_rules(self) -> None:
        if self.function is not None:
            self.check_vace()
        if self.mode == "r2v":
            self.check_references()
        model = self.model
        if model.id == "wan2.7-i2v":
            if "image" in self.given and "first_clip" in self.given:
                self.problem("first_clip", "conflicting_arguments", "give image or first_clip, not both", "remove one")
            if "first_clip" in self.given and "audio" in self.given:
                self.problem(
                    "audio",
                    "conflicting_arguments",
                    "a driving audio goes with a first frame, not a first clip",
                    "remove audio",
                )
        if model.family == "wan3.0" and self.given.get("reference_file") and self.given.get("reference_link"):
            self.problem(
                "reference_link",
                "conflicting_arguments",
                "give a reference file or a link, not both",
                "remove one",
            )
        if "template" in self.given and "template" in self.accepted:
            if (self.req.prompt or "").strip():
                self.problem(
                    "prompt",
                    "conflicting_arguments",
                    "an effect template replaces the prompt (DashScope ignores the prompt)",
                    "remove prompt to use the template, or remove template to use the prompt",
                )
            if self.mode == "kf2v" and "last_frame" in self.given:
                self.problem(
                    "last_frame",
                    "conflicting_arguments",
                    "an effect template uses the first frame only",
                    "remove last_frame, or remove template",
                )
            self.cautions.append(
                f"template {self.req.template!r}: template names differ per model (e.g. 'flying' for "
                "wanx2.1-i2v-turbo, 'hanfu-1' for wanx2.1-kf2v-plus); an unknown one fails the task unbilled."
            )

    def check_references(self) -> None:
        model = self.model
        sources = self.reference_sources
        kinds = [s.media_kind for s in sources]
        counts = {k: kinds.count(k) for k in ("image", "video", "audio")}
        offer = model.regions[self.region]
        if model.max_references is not None and len(sources) > model.max_references:
            self.problem(
                "references",
                "too_many",
                f"{len(sources)} references; {model.id} takes at most {model.max_references}",
                "drop some; each reference should be one subject",
            )
        for kind, limit in (
            ("video", model.max_reference_videos),
            ("image", model.max_reference_images),
            ("audio", model.max_reference_audios),
        ):
            if limit is not None and counts[kind] > limit:
                self.problem(
                    "references",
                    "too_many",
                    f"{counts[kind]} {kind} references; {model.id} takes at most {limit}",
                    f"drop {counts[kind] - limit} {kind} reference(s)",
                )
        if offer.reference_kinds is not None:
            for index, found in enumerate(kinds):
                if found is not None and found not in offer.reference_kinds:
                    self.problem(
                        f"references[{index}]",
                        "not_supported",
                        f"in {REGIONS[self.region].title}, {model.id} takes only "
                        f"{'/'.join(offer.reference_kinds)} references",
                        "use video references, or another region",
                    )
        if model.family == "wan3.0":
            for kind, cap in (("video", 15.0), ("audio", 15.0)):
                of_kind = [s for s in sources if s.media_kind == kind and s.info]
                total = sum(s.info.seconds or 0 for s in of_kind if s.info)
                if len(of_kind) > 1 and total > cap + 0.05:
                    self.problem(
                        "references",
                        "invalid_duration",
                        f"the {kind} references last {total:.1f} s together; {model.id} takes at most {cap:g} s",
                        "trim them",
                    )
        if model.id == "wan2.7-r2v" and counts["video"] and self.duration is not None and self.duration > 10:
            self.problem(
                "duration",
                "invalid_value",
                f"{model.id} makes at most 10 s when a reference is a video",
                "use duration ≤ 10, or image references only",
            )

    def check_vace(self) -> None:
        given, function = self.given, self.function
        ref_images = given.get("ref_images") or []
        if function == "image_reference":
            if len(ref_images) > 3:
                self.problem(
                    "ref_images",
                    "too_many",
                    f"{len(ref_images)} reference images; image_reference uses at most 3 (DashScope ignores the rest)",
                    "keep the 3 that matter",
                )
            obj_or_bg = given.get("obj_or_bg")
            if obj_or_bg is None and len(ref_images) > 1:
                self.problem(
                    "obj_or_bg",
                    "missing_argument",
                    "with several reference images, obj_or_bg must say what each one is",
                    f"give {len(ref_images)} entries, each 'obj' (a subject) or 'bg' (the background); "
                    "one 'bg' at most",
                )
            elif obj_or_bg is not None:
                bad = [v for v in obj_or_bg if v not in ("obj", "bg")]
                if bad:
                    self.problem("obj_or_bg", "invalid_value", f"obj_or_bg holds {bad}", "use only 'obj' and 'bg'")
                if len(obj_or_bg) != len(ref_images):
                    self.problem(
                        "obj_or_bg",
                        "invalid_value",
                        f"obj_or_bg has {len(obj_or_bg)} entries for {len(ref_images)} reference images "
                        "(DashScope: 'ref_images_url and obj_or_bg must be the same length')",
                        "give one entry per reference image",
                    )
                if obj_or_bg.count("bg") > 1:
                    self.problem(
                        "obj_or_bg",
                        "invalid_value",
                        "at most one reference image can be 'bg'",
                        "mark the others 'obj'",
                    )
        elif ref_images and len(ref_images) > 1:
            self.problem("ref_images", "too_many", f"{function} takes exactly one reference image", "keep one")
        spec = self.model.modes[self.mode].functions[function] if function else None  # type: ignore[index]
        condition = given.get("control_condition")
        if spec is not None and condition is not None and condition not in spec.control_conditions:
            allowed = ", ".join(repr(c) for c in spec.control_conditions)
            self.problem(
                "control_condition",
                "invalid_value",
                f"{function} takes control_condition {allowed}",
                f"use one of {allowed}",
            )
        if function == "video_extension" and "video" in given and condition is None:
            self.problem(
                "control_condition",
                "missing_argument",
                "video_extension with a motion video needs control_condition",
                "give '' (none), 'posebodyface' or 'depth'",
            )
        if function == "video_edit":
            if "mask_image" in given and "mask_video" in given:
                self.problem(
                    "mask_video",
                    "conflicting_arguments",
                    "give mask_image or mask_video, not both",
                    "remove one",
                )
            if "mask_frame_id" in given and "mask_image" not in given:
                self.problem(
                    "mask_frame_id",
                    "not_supported",
                    "mask_frame_id says which frame mask_image belongs to; it is not used with mask_video",
                    "remove mask_frame_id",
                )
            frame = given.get("mask_frame_id")
            if frame is not None and frame < 1:
                self.problem("mask_frame_id", "out_of_range", "mask_frame_id starts at 1", "use 1 for the first frame")
            if given.get("mask_type") not in (None, "tracking", "fixed"):
                self.problem("mask_type", "invalid_value", "mask_type is 'tracking' or 'fixed'", "use one of those")
            if given.get("expand_mode") not in (None, "hull", "bbox", "original"):
                self.problem(
                    "expand_mode",
                    "invalid_value",
                    "expand_mode is 'hull', 'bbox' or 'original'",
                    "use one of those",
                )
        for name, low, high in (
            ("strength", 0.0, 1.0),
            ("expand_ratio", 0.0, 1.0),
            *((s, 1.0, 2.0) for s in _SCALES),
        ):
            value = given.get(name)
            if value is not None and not low <= value <= high:
                self.problem(
                    name,
                    "out_of_range",
                    f"{name} {value} is outside {low:g}–{high:g}",
                    f"use {low:g}–{high:g}",
                )
        clips = [name for name in ("first_clip", "last_clip") if name in given]
        known = [seconds for seconds in map(self.seconds_of, clips) if seconds is not None]
        if sum(known) > VACE_CLIP_MAX_SECONDS + 0.05:
            self.problem(
                clips[0],
                "invalid_duration",
                f"the clips last {sum(known):.1f} s together; video_extension takes at most "
                f"{VACE_CLIP_MAX_SECONDS:g} s of clips",
                "cut them: keep the last 3 s of a first_clip, the first 3 s of a last_clip",
            )
        elif len(known) < len(clips):
            self.cautions.append("video_extension: the clips must last 3 s or less together (not checked for URLs).")
        if function != "image_reference" and self.req.prompt_extend is None:
            self.notes.append(
                "prompt_extend: DashScope turns it on by default; for functions that take a video, false keeps the "
                "edit closer to your words."
            )

    # -- the body
    def build_body(self) -> dict[str, Any]:
        model = self.model
        body: dict[str, Any] = {"model": model.regions[self.region].name}
        if model.protocol == "media":
            inp, params = self.media_body()
        else:
            inp, params = self.legacy_body()
        body["input"] = inp
        if params:
            body["parameters"] = params
        return body

    def common_parameters(self) -> dict[str, Any]:
        params: dict[str, Any] = {}
        model, req = self.model, self.req
        if self.size is not None:
            params["size"] = self.size
        elif self.tier is not None:
            params["resolution"] = self.tier
            if self.ratio is not None:
                params["ratio"] = self.ratio
        spec = model.durations_in(self.region)
        if self.duration is not None and spec is not None and not spec.fixed:
            params["duration"] = self.duration
        if self.prompt_extend is not None:
            params["prompt_extend"] = self.prompt_extend
        if req.shot_type is not None and model.shot_type:
            params["shot_type"] = req.shot_type
        if model.audio == "switch" and req.generate_audio is not None:
            params["audio"] = req.generate_audio
        if req.watermark is not None and model.protocol != "animate":
            params["watermark"] = req.watermark
        if req.seed is not None:
            params["seed"] = req.seed
        return params

    def legacy_body(self) -> tuple[dict[str, Any], dict[str, Any]]:
        model, given = self.model, self.given
        inp: dict[str, Any] = {}
        if self.function is not None:
            inp["function"] = self.function
        for name in ("prompt", "negative_prompt", "template"):
            if name in given and name in self.accepted:
                inp[name] = given[name]
        for name in MEDIA_ARGS:
            if name not in given:
                continue
            wire = _legacy_wire(model, name)
            if isinstance(given[name], list):
                inp[wire] = [self.wire_value(f"{name}[{i}]") for i in range(len(given[name]))]
                self.pointers.update({f"{name}[{i}]": ("input", wire, i) for i in range(len(given[name]))})
            else:
                inp[wire] = self.wire_value(name)
                self.pointers[name] = ("input", wire)
        if "mask_frame_id" in given:
            inp["mask_frame_id"] = given["mask_frame_id"]
        params = self.common_parameters()
        if model.protocol == "animate":
            params = {"mode": f"wan-{self.effective.get('quality', 'std')}"}
            if "check_image" in given:
                params["check_image"] = given["check_image"]
            if "watermark" in given:
                inp["watermark"] = given["watermark"]
        for name in (
            "obj_or_bg",
            "control_condition",
            "strength",
            "mask_type",
            "expand_ratio",
            "expand_mode",
            *_SCALES,
        ):
            if name in given:
                params[name] = given[name]
        return inp, params

    def media_body(self) -> tuple[dict[str, Any], dict[str, Any]]:
        model, given = self.model, self.given
        inp: dict[str, Any] = {}
        for name in ("prompt", "negative_prompt"):
            if name in given:
                inp[name] = given[name]
        media: list[dict[str, str]] = []

        def add(kind: str, name: str) -> None:
            self.pointers[name] = ("input", "media", len(media), "url")
            media.append({"type": kind, "url": self.wire_value(name)})

        frame_arg = "image" if "image" in given else "first_frame"
        if frame_arg in given:
            add("first_frame", frame_arg)
        if "last_frame" in given:
            add("last_frame", "last_frame")
        if "first_clip" in given:
            add("first_clip", "first_clip")
        if "audio" in given:
            if model.id == "wan2.7-t2v":
                inp["audio_url"] = self.wire_value("audio")
                self.pointers["audio"] = ("input", "audio_url")
            else:
                add("driving_audio", "audio")
        if "video" in given:
            add("video", "video")
        for index, _ in enumerate(given.get("ref_images") or []):
            add("reference_image", f"ref_images[{index}]")
        for index, source in enumerate(self.reference_sources):
            add(f"reference_{source.media_kind}", f"references[{index}]")
        if "reference_file" in given:
            add("file", "reference_file")
        if "reference_link" in given:
            media.append({"type": "link", "url": given["reference_link"]})
        if media:
            inp["media"] = media
        params = self.common_parameters()
        if "audio_setting" in given:
            params["audio_setting"] = given["audio_setting"]
        return inp, params

    def decide_transport(self) -> None:
        """How each local file and data: URI reaches DashScope: inline, or uploaded to temporary storage first."""
        region = REGIONS[self.region]
        for name, source in self.sources.items():
            inline_ok = self.data_uri_ok.get(name, False)
            if source.kind == "data" and inline_ok:
                continue
            if source.kind not in ("data", "local"):
                continue
            if region.uploads:
                self.to_upload.add(name)
                continue
            size = source.info.size_bytes if source.info else None
            if source.kind == "local" and inline_ok and size is not None and size <= INLINE_MAX_BYTES:
                self.to_inline.add(name)
                continue
            self.problem(
                name,
                "no_upload_in_region",
                f"{region.title} offers no temporary storage for files, and {self.model.id} takes no inline "
                f"{'data: URI' if source.kind == 'data' else 'file'} for {name.split('[', maxsplit=1)[0]}",
                "give a public https URL to the file (or use a Beijing key and DASHSCOPE_REGION=beijing)",
            )

    def seconds_of(self, name: str) -> float | None:
        """The duration of a local or data: media argument, when its headers tell."""
        source = self.sources.get(name)
        return source.info.seconds if source is not None and source.info is not None else None

    def wire_value(self, name: str) -> str:
        """The string sent for a media argument: as given, or a file:// URI for a local file (to be uploaded)."""
        source = self.sources.get(name)
        if source is not None and source.kind == "local" and source.path is not None:
            if name in self.to_inline:
                fmt = source.info.format if source.info else "png"
                encoded = base64.b64encode(source.path.read_bytes()).decode()
                return f"data:image/{fmt};base64,{encoded}"
            return source.path.as_uri()
        base, _, rest = name.partition("[")
        value = self.given[base]
        return str(value[int(rest[:-1])] if rest else value)

    # -- estimate and notes
    def estimate(self) -> Estimate:
        model = self.model
        seconds: float | None
        if self.duration is not None and self.duration > 0:
            seconds = float(self.duration)
        elif self.duration == -1:
            seconds = float(model.durations.max) if model.durations else None
        elif self.mode in ("s2v", "animate") or (self.mode == "vace" and model.id == "wan2.7-videoedit"):
            source = self.sources.get("audio" if self.mode == "s2v" else "video")
            seconds = source.info.seconds if source and source.info else None
        else:
            seconds = None
        billed = seconds
        if billed is not None and self.mode == "r2v" and model.protocol == "legacy":
            ref_video = sum(s.info.seconds or 0 for s in self.reference_sources if s.media_kind == "video" and s.info)
            billed += min(5.0, ref_video)
        region = REGIONS[self.region]
        price = model.price.get(region.currency)
        key = self.effective.get("quality") if model.param_style == "quality" else (self.tier or "*")
        sound = self.sound()
        rate = price.rate(str(key), sound=sound) if price else None
        cost = round(rate * billed, 4) if rate is not None and billed is not None else None
        low, high = self.wait_range(seconds)
        return Estimate(
            output_seconds=seconds,
            billed_seconds=billed,
            tier=self.tier,
            size=self.size,
            sound=sound,
            cost=cost,
            currency=price.currency if price and rate is not None else None,
            price_per_second=rate,
            price_source=price.source if price and rate is not None else None,
            price_official=bool(price and price.official),
            wait_low_seconds=low,
            wait_high_seconds=high,
        )

    def wait_range(self, seconds: float | None) -> tuple[int, int]:
        return catalog.typical_wait(self.model, seconds, self.tier)

    def guardrail_notes(self, estimate: Estimate, uploads: int) -> list[str]:
        model = self.model
        notes = list(self.notes)
        billed = estimate.billed_seconds
        length = f"{billed:g} s" if billed is not None else "the output's length"
        where = f" at {estimate.tier}" if estimate.tier else ""
        if estimate.cost is not None:
            kind = "official price" if estimate.price_official else "unofficial price estimate; check the console"
            notes.append(
                f"Billed per second of output: {length}{where} ≈ {estimate.cost:.2f} {estimate.currency} "
                f"({estimate.price_per_second:g} {estimate.currency}/s, {kind})."
            )
        else:
            notes.append(
                f"Billed per second of output ({length}{where}); no reliable price is known for {model.id} in "
                f"{REGIONS[self.region].title}: check the Model Studio console."
            )
        if self.duration == -1:
            notes.append("duration -1: the model picks the length (up to 30 s); the cost above assumes 30 s.")
        if (
            self.mode == "r2v"
            and model.protocol == "legacy"
            and any(s.media_kind == "video" for s in self.reference_sources)
        ):
            notes.append("Reference videos add up to 5 s to the billed seconds.")
        notes.append(f"Tell the user the expected wait before submitting: {estimate.wait_text}.")
        if not estimate.sound:
            notes.append(
                f"Silent output: {model.id} makes no sound. To add sound, merge a soundtrack into the finished video."
            )
        if "audio" in self.given and model.audio in ("auto", "switch") and self.duration:
            notes.append(
                f"The soundtrack is cut at {self.duration} s if longer; if shorter, the rest of the video is silent."
            )
        if self.mode in ("i2v", "kf2v") and model.protocol == "legacy":
            notes.append("The output's aspect ratio follows the input image.")
        notes.append("The result URL and the task id are valid for 24 hours: download the video before then.")
        if uploads:
            notes.append(
                f"{uploads} local file(s) are uploaded to DashScope's temporary storage (kept 48 h, "
                "bound to this model) before submitting."
            )
        if model.preview:
            notes.append(f"{model.id} is a preview model: behaviour and limits may change.")
        notes.extend(self.cautions)
        return notes

    def effective_arguments(self) -> dict[str, Any]:
        args = dict(self.given)
        args["mode"] = self.mode
        args["model"] = self.model.id
        if self.size is not None:
            args["size"] = self.size
        if self.tier is not None:
            args["resolution"] = self.tier
        if self.ratio is not None and self.model.param_style != "size":
            args["aspect_ratio"] = self.ratio
        if self.duration is not None:
            args["duration"] = self.duration
        if self.prompt_extend is not None:
            args["prompt_extend"] = self.prompt_extend
        args.update(self.effective)
        return args


_REQUIRED_FIX = {
    "image": "give the image: an https URL, a local path, or (for i2v) a data: URI",
    "first_frame": "give the first frame image",
    "last_frame": "give the last frame image (for one image only, use mode i2v)",
    "references": "give 1–5 reference images or videos; name them character1, character2… in the prompt",
    "audio": "give the speech or song recording (WAV/MP3)",
    "video": "give the input video (MP4)",
    "ref_images": "give 1–3 reference images",
    "control_condition": "give one of posebodyface, posebody, depth, scribble",
    "function": "give one of image_reference, video_repainting, video_edit, video_extension, video_outpainting",
}


def arguments_used(model: Model, mode: Mode, function: str | None = None) -> frozenset[str]:
    """The public arguments a model uses in a mode (and VACE function): anything else is refused."""
    spec = model.modes[mode]
    accepted = set(_ALWAYS) | set(spec.required) | set(spec.optional)
    if model.prompt != "none":
        accepted.add("prompt")
    if model.negative_prompt_max is not None:
        accepted.add("negative_prompt")
    if model.prompt_extend:
        accepted.add("prompt_extend")
    if model.shot_type:
        accepted.add("shot_type")
    if model.custom_audio and model.protocol == "legacy":
        accepted.add("audio")
    if model.durations is not None:
        accepted.add("duration")
    if model.protocol in ("legacy", "media"):
        accepted |= {"seed", "watermark"}
    if model.protocol == "animate":
        accepted.add("watermark")
    style = model.param_style
    if style == "size":
        accepted |= {"size", "resolution", "aspect_ratio"}
    elif style == "resolution":
        accepted.add("resolution")
    elif style == "resolution+ratio":
        accepted |= {"resolution", "aspect_ratio"}
    if function is not None and spec.functions is not None and function in spec.functions:
        fspec = spec.functions[function]
        accepted |= {"function", *fspec.required, *fspec.optional}
        if not fspec.sends_size and "size" not in fspec.optional:
            accepted -= {"size", "resolution", "aspect_ratio"}
    elif spec.functions is not None:
        accepted.add("function")
    return frozenset(accepted)


def _legacy_wire(model: Model, name: str) -> str:
    """The `input` field an argument is sent as, for legacy, animate and s2v models."""
    if name == "image":
        return "image_url" if model.protocol in ("animate", "s2v", "detect") else "img_url"
    return {
        "first_frame": "first_frame_url",
        "last_frame": "last_frame_url",
        "references": "reference_urls",
        "audio": "audio_url",
        "video": "video_url",
        "mask_image": "mask_image_url",
        "mask_video": "mask_video_url",
        "ref_images": "ref_images_url",
        "first_clip": "first_clip_url",
        "last_clip": "last_clip_url",
    }.get(name, name)


def wait_text(low: int, high: int) -> str:
    """'usually 1–5 min' style text for a wait range in seconds."""

    def minutes(seconds: int) -> str:
        value = seconds / 60
        return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"

    if low >= 60:
        return f"usually {minutes(low)}–{minutes(high)} min"
    return f"usually {low} s–{minutes(high)} min"


def _ratio_text(value: float) -> str:
    return f"1:{round(1 / value)}" if value < 1 else f"{round(value)}:1"
