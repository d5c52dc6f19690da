"""Step 7 of planning: the JSON body DashScope receives, in the legacy protocol or the media protocol.

Where each argument goes comes from the model's `wire` map in the catalog: `input:<field>` names an input field,
`media:<type>` an item of `input.media` (`reference_{kind}` takes the reference's kind). The map also gives the
place (the pointer) where an uploaded file's oss:// URL replaces its local path before the submit.
"""

from __future__ import annotations

import base64
from typing import Any

from wan_mcp.inputs import open_for_upload
from wan_mcp.requests.arguments import LIST_ARGS, MEDIA_ARGS
from wan_mcp.requests.draft import Draft

Pointer = tuple[str | int, ...]
# The order of items in input.media (the official examples put the first frame first).
MEDIA_ORDER = (
    "image",
    "first_frame",
    "last_frame",
    "first_clip",
    "audio",
    "video",
    "ref_images",
    "references",
    "reference_file",
    "reference_link",
)
# Plain parameters passed through under their own names (VACE's, and the media protocol's sound setting).
PASSTHROUGH = (
    "obj_or_bg",
    "control_condition",
    "strength",
    "mask_type",
    "expand_ratio",
    "expand_mode",
    "top_scale",
    "bottom_scale",
    "left_scale",
    "right_scale",
    "audio_setting",
)


def build_body(draft: Draft) -> tuple[dict[str, Any], dict[str, Pointer]]:
    """(the body, where each uploaded media argument's URL goes)."""
    pointers: dict[str, Pointer] = {}
    inp = _media_input(draft, pointers) if draft.model.protocol == "media" else _legacy_input(draft, pointers)
    params = _parameters(draft, inp)
    body: dict[str, Any] = {"model": draft.offer.name, "input": inp}
    if params:
        body["parameters"] = params
    return body, pointers


def _text_fields(draft: Draft, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: draft.given[name] for name in names if draft.uses(name)}


def _legacy_input(draft: Draft, pointers: dict[str, Pointer]) -> dict[str, Any]:
    inp: dict[str, Any] = {"function": draft.function} if draft.function else {}
    inp |= _text_fields(draft, ("prompt", "negative_prompt", "template"))
    for name in MEDIA_ARGS:
        if name not in draft.given:
            continue
        field = draft.model.wire[name].removeprefix("input:")
        if name in LIST_ARGS:
            count = len(draft.given[name])
            inp[field] = [wire_value(draft, f"{name}[{i}]") for i in range(count)]
            pointers |= {f"{name}[{i}]": ("input", field, i) for i in range(count)}
        else:
            inp[field] = wire_value(draft, name)
            pointers[name] = ("input", field)
    if "mask_frame_id" in draft.given:
        inp["mask_frame_id"] = draft.given["mask_frame_id"]
    return inp


def _media_input(draft: Draft, pointers: dict[str, Pointer]) -> dict[str, Any]:
    inp = _text_fields(draft, ("prompt", "negative_prompt"))
    media: list[dict[str, str]] = []
    for name in MEDIA_ORDER:
        if name not in draft.given:
            continue
        target = draft.model.wire[name]
        if target.startswith("input:"):
            inp[target.removeprefix("input:")] = wire_value(draft, name)
            pointers[name] = ("input", target.removeprefix("input:"))
        elif name == "reference_link":
            media.append({"type": "link", "url": draft.given[name]})
        elif name in LIST_ARGS:
            for index in range(len(draft.given[name])):
                _add_item(draft, media, pointers, target, f"{name}[{index}]")
        else:
            _add_item(draft, media, pointers, target, name)
    if media:
        inp["media"] = media
    return inp


def _add_item(draft: Draft, media: list[dict[str, str]], pointers: dict[str, Pointer], target: str, name: str) -> None:
    kind = draft.sources[name].media_kind if name in draft.sources else None
    pointers[name] = ("input", "media", len(media), "url")
    item = {"type": target.removeprefix("media:").format(kind=kind), "url": wire_value(draft, name)}
    voice = f"reference_voices[{name[len('references[') : -1]}]" if name.startswith("references[") else None
    if voice is not None and voice in draft.sources:
        pointers[voice] = ("input", "media", len(media), "reference_voice")
        item["reference_voice"] = wire_value(draft, voice)
    media.append(item)


def _parameters(draft: Draft, inp: dict[str, Any]) -> dict[str, Any]:
    model, given = draft.model, draft.given
    if model.protocol == "animate":
        if "watermark" in given:
            inp["watermark"] = given["watermark"]  # animate takes its watermark in input
        params: dict[str, Any] = {"mode": f"wan-{draft.quality or 'std'}"}
        if "check_image" in given:
            params["check_image"] = given["check_image"]
        return params
    params = _frame_parameters(draft)
    spec = model.durations_in(draft.region)
    if draft.duration is not None and spec is not None and not spec.fixed:
        params["duration"] = draft.duration
    if draft.prompt_extend is not None:
        params["prompt_extend"] = draft.prompt_extend
    if draft.request.shot_type is not None and model.shot_type:
        params["shot_type"] = draft.request.shot_type
    if model.audio == "switch" and draft.request.generate_audio is not None:
        params["audio"] = draft.request.generate_audio
    params |= {name: given[name] for name in ("watermark", "seed") if name in given}
    params |= {name: given[name] for name in PASSTHROUGH if name in given}
    return params


def _frame_parameters(draft: Draft) -> dict[str, Any]:
    if draft.size is not None:
        return {"size": draft.size}
    if draft.tier is None:
        return {}
    return {"resolution": draft.tier} | ({"ratio": draft.ratio} if draft.ratio is not None else {})


def wire_value(draft: Draft, name: str) -> str:
    """The string sent for a media argument: as given, inline base64, or a file:// URI (replaced by the upload)."""
    source = draft.sources.get(name)
    if source is not None and source.kind == "local" and source.path is not None:
        if name in draft.to_inline:
            fmt = source.info.format if source.info else "png"
            size = source.info.size_bytes if source.info else None
            with open_for_upload(source.path, size=size) as file, file.reader() as handle:  # the checked file only
                data = handle.read()
            return f"data:image/{fmt};base64,{base64.b64encode(data).decode()}"
        return source.path.as_uri()
    base, _, rest = name.partition("[")
    value = draft.given[base]
    return str(value[int(rest[:-1])] if rest else value)


def headers_for(draft: Draft, uploads: int) -> dict[str, str]:
    """The submit headers: async always; the oss:// resolve switch when a temporary URL is in the body."""
    headers = {"Content-Type": "application/json", "X-DashScope-Async": "enable"}
    if uploads or any(source.kind == "oss" for source in draft.sources.values()):
        headers["X-DashScope-OssResourceResolve"] = "enable"
    return headers
