"""What DashScope does with a create request: refuse it (HTTP 4xx), or accept it and what the task will produce.

Which mistakes are refused at submit and which surface later as a FAILED task is not documented per field
(reference §8, §13.4). The emulator decides as follows, following the reference where it has evidence, and reading
every limit from the same catalog fields as the planner (so what the planner accepts, the emulator accepts):

- no or unknown key → 401 InvalidApiKey;
- no `X-DashScope-Async: enable` on a create call → 403 AccessDenied ("does not support synchronous calls");
- malformed JSON, no model, no input → 400 InvalidParameter / BadRequest.EmptyModel / BadRequest.EmptyInput;
- a model unknown in this region → 400 InvalidParameter "Model not exist.";
- a model on the wrong endpoint → 400 InvalidParameter "url error, please check url！";
- an unusable URL (a scheme it does not take; `data:` where the catalog's limits take none; `oss://` without the
  resolve header, not uploaded here, uploaded for another model, or expired) → 400 InvalidParameter(.DataInspection);
- a required input missing (what no mode of the model can do without) → 400 "Field required: …";
- media-protocol bodies that fit no mode of the model (a media type it does not take, a documented illegal
  combination, a type twice, too many references) → 400 InvalidParameter;
- out-of-range resolution, ratio, duration, seed, booleans and numeric parameters; VACE obj_or_bg length → 400;
- a `size` the model does not offer → accepted, then FAILED "The size is not match …" (the docs' own example);
- a prompt over the model's limit → accepted and silently truncated (as documented);
- `audio: false` beside an `audio_url` → accepted, silent (the switch wins); multi-shot without prompt_extend →
  accepted (a single shot).

Unknown fields are ignored, including the official SDK's `input.extend_prompt` and `input.function:
"video-synthesis"`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from wan_mcp import catalog
from wan_mcp.catalog import ARGUMENT_RANGES, Endpoint, Model, ModeSpec, RegionId
from wan_mcp.emulator.outputs import Submission, VideoSpec, submission
from wan_mcp.emulator.wire import WireItem, limits_of, present_slots, slot_of, targets, wire_items
from wan_mcp.inputs import MediaInfo, probe_file

__all__ = ["ApiRefusal", "Submission", "VideoSpec", "check_create", "face_check", "invalid_body", "read_path_info"]

GENERIC_RANGE = (
    "The request is missing required parameters or the parameters are out of the specified range, please check the "
    "parameters that you send."
)
BAD_URL = "The provided URL does not appear to be valid. Ensure it is correctly formatted."
OSS_NO_HEADER = "The media format is not supported or incorrect for the data inspection."
OSS_MISSING = "Failed to find the requested media resource during the data inspection process."
UNREACHABLE = "Unable to download the media resource during the data inspection process."


class ApiRefusal(Exception):
    """An HTTP-level error answer."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


MediaResolver = Callable[[str, str], "MediaInfo | None"]  # (oss/data url, model name) → info, or raise ApiRefusal


def invalid_body() -> ApiRefusal:
    """DashScope's answer to a request body that is not a JSON object."""
    return ApiRefusal(400, "InvalidParameter", "Required body invalid, please check the request body format.")


def _range() -> ApiRefusal:
    return ApiRefusal(400, "InvalidParameter", GENERIC_RANGE)


def _missing(label: str) -> ApiRefusal:
    return ApiRefusal(400, "InvalidParameter", f"Field required: {label}")


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
        raise _range()
    model = model_in_region(str(name), region)
    if model is None or model.kind != "generation":
        raise ApiRefusal(400, "InvalidParameter", "Model not exist.")
    if model.endpoint != endpoint:
        raise ApiRefusal(400, "InvalidParameter", "url error, please check url！")
    items = _check_urls(model, wire_items(model, inp), oss_header=oss_header, resolve=resolve, name=str(name))
    _check_inputs(model, inp, params, items)
    _check_parameters(model, params, region, items)
    return submission(model, str(name), inp=inp, params=params, items=items, region=region, seed=seed)


def model_in_region(name: str, region: RegionId) -> Model | None:
    """The model whose name in this region is `name`."""
    model = catalog.find_model(name)
    if model is None or region not in model.regions or model.regions[region].name != name:
        return None
    return model


# -- URLs ------------------------------------------------------------------------------------------------


def _check_urls(
    model: Model, items: list[WireItem], *, oss_header: bool, resolve: MediaResolver, name: str
) -> list[WireItem]:
    """Refuse unusable URLs; return the items with the header facts of data: and oss:// inputs."""
    checked = []
    for item in items:
        limits = limits_of(model, item)
        lowered = item.url.lower()
        info = None
        if lowered.startswith(("http://", "https://")):
            if limits is not None and limits.ascii_url and not item.url.isascii():
                raise ApiRefusal(400, "InvalidParameter.DataInspection", UNREACHABLE)
        elif lowered.startswith("data:"):
            if limits is None or not limits.data_uri:
                raise ApiRefusal(400, "InvalidParameter", BAD_URL)
            info = resolve(item.url, name)
        elif lowered.startswith("oss://"):
            if not oss_header:
                raise ApiRefusal(400, "InvalidParameter.DataInspection", OSS_NO_HEADER)
            info = resolve(item.url, name)
        else:
            raise ApiRefusal(400, "InvalidParameter", BAD_URL)
        checked.append(WireItem(item.target, item.arguments, item.url, item.kind, info))
    return checked


# -- required inputs and media combinations ------------------------------------------------------------------


def _check_inputs(model: Model, inp: Mapping[str, Any], params: Mapping[str, Any], items: list[WireItem]) -> None:
    specs = list(model.modes.values())
    if specs[0].functions is not None:
        _check_function(model, inp, params, items)
    elif not any(_fits(model, spec, inp, items) for spec in specs):
        raise _why_not(model, specs, inp, items)
    if model.protocol == "animate":
        if not params:
            raise ApiRefusal(400, "BadRequest.EmptyParameters", 'Required parameter "parameters" missing from request.')
        if params.get("mode") not in ("wan-std", "wan-pro"):
            raise _range()
    if model.prompt == "required" and "input:prompt" not in present_slots(items, inp):
        raise _missing("input.prompt")
    _check_counts(model, items)


def _serves(model: Model, argument: str, present: set[str]) -> bool:
    slots = [slot for slot, arguments in targets(model).items() if argument in arguments] or [f"input:{argument}"]
    return any(slot in present for slot in slots)


def _fits(model: Model, spec: ModeSpec, inp: Mapping[str, Any], items: list[WireItem]) -> bool:
    """The body meets this mode's requirements (and, for media bodies, uses only what the mode takes)."""
    present = present_slots(items, inp)
    required = spec.api_required if spec.api_required is not None else spec.required
    groups = spec.api_one_of if spec.api_one_of is not None else spec.one_of
    if not all(_serves(model, a, present) for a in required) or not all(
        any(_serves(model, a, present) for a in group) for group in groups
    ):
        return False
    if model.protocol != "media":
        return True
    allowed = {*spec.required, *spec.optional, "reference_voices"}
    if any(not set(item.arguments) & allowed for item in items if item.target != "voice"):
        return False
    return not any(_serves(model, r.first, present) and _serves(model, r.second, present) for r in spec.exclusive)


def _why_not(model: Model, specs: list[ModeSpec], inp: Mapping[str, Any], items: list[WireItem]) -> ApiRefusal:
    present = present_slots(items, inp)
    spec = specs[0]
    required = spec.api_required if spec.api_required is not None else spec.required
    groups = spec.api_one_of if spec.api_one_of is not None else spec.one_of
    for argument in (*required, *(group[0] for group in groups if not any(_serves(model, a, present) for a in group))):
        if not _serves(model, argument, present):
            return _missing("input." + slot_of(model, argument).replace(":", ".", 1).removeprefix("input."))
    return _range()


def _check_function(model: Model, inp: Mapping[str, Any], params: Mapping[str, Any], items: list[WireItem]) -> None:
    functions = next(iter(model.modes.values())).functions or {}
    function = inp.get("function")
    if function not in functions:
        raise _missing("input.function") if not function or function == "video-synthesis" else _range()
    spec = functions[str(function)]
    present = present_slots(items, inp)
    for argument in spec.required:
        if argument == "control_condition":
            if "control_condition" not in params:
                raise _missing("parameters.control_condition")
        elif not _serves(model, argument, present):
            raise _missing("input." + slot_of(model, argument).removeprefix("input:"))
    for group in spec.one_of:
        if not any(_serves(model, a, present) for a in group):
            raise _missing("input." + slot_of(model, group[0]).removeprefix("input:"))
    condition = params.get("control_condition")
    if condition is not None and condition not in spec.control_conditions:
        raise _range()
    if spec.labels_for is not None:
        items_field = slot_of(model, spec.labels_for[0]).removeprefix("input:")
        refs, labels = inp.get(items_field) or [], params.get(spec.labels_for[1])
        if (labels is None and len(refs) > 1) or (labels is not None and len(labels) != len(refs)):
            raise ApiRefusal(
                400, "InvalidParameter", f"{items_field} and {spec.labels_for[1]} must be the same length."
            )


def _check_counts(model: Model, items: list[WireItem]) -> None:
    """Each media type once (lists excepted), and references within the model's counts."""
    singles = [i.target for i in items if i.target != "voice" and not {"references", "ref_images"} & set(i.arguments)]
    if model.protocol == "media" and len(singles) != len(set(singles)):
        raise _range()
    references = [i for i in items if "references" in i.arguments]
    counts = {k: sum(1 for i in references if i.kind == k) for k in ("image", "video", "audio")}
    limits = {
        "image": model.max_reference_images,
        "video": model.max_reference_videos,
        "audio": model.max_reference_audios,
    }
    if any(limit is not None and counts[k] > limit for k, limit in limits.items()):
        raise _range()
    if model.max_references is not None and len(references) > model.max_references:
        raise _range()
    ref_images = [i for i in items if "ref_images" in i.arguments]
    most = max((s.max_items.get("ref_images", len(ref_images)) for s in model.modes.values()), default=len(ref_images))
    if len(ref_images) > most:
        raise _range()


# -- parameters -------------------------------------------------------------------------------------------


def _check_parameters(model: Model, params: Mapping[str, Any], region: RegionId, items: list[WireItem]) -> None:
    if "resolution" in params and str(params["resolution"]).upper() not in model.tiers:
        raise _range()
    if "ratio" in params and params["ratio"] not in model.ratios:
        raise _range()
    _check_duration(model, params, region, items)
    seed = params.get("seed")
    if seed is not None and (not isinstance(seed, int) or not 0 <= seed <= catalog.SEED_MAX):
        raise _range()
    for flag in ("prompt_extend", "watermark", "audio", "check_image"):
        if flag in params and not isinstance(params[flag], bool):
            raise _range()
    if params.get("shot_type") not in (None, "single", "multi"):
        raise _range()
    for name, (low, high) in ARGUMENT_RANGES.items():
        value = params.get(name)
        if value is None:
            continue
        if not isinstance(value, (int, float)) or value < low or (high is not None and value > high):
            raise _range()


def _check_duration(model: Model, params: Mapping[str, Any], region: RegionId, items: list[WireItem]) -> None:
    spec = model.durations_in(region)
    if "duration" not in params:
        return
    duration = params["duration"]
    if not isinstance(duration, int) or isinstance(duration, bool):
        raise _range()
    if spec is not None and not spec.allows(duration):
        raise _range()
    cap = model.reference_video_duration_max
    if cap is not None and duration > cap and any(i.kind == "video" for i in items if "references" in i.arguments):
        raise _range()


# -- the synchronous pre-check and uploaded files -----------------------------------------------------------------


def face_check(body: Any) -> dict[str, Any]:
    """The synchronous face pre-check's answer (always passes unless a fault says otherwise)."""
    if not isinstance(body, dict) or not isinstance(body.get("input"), dict) or not body["input"].get("image_url"):
        raise _missing("input.image_url")
    return {"check_pass": True, "humanoid": True}


def face_check_names(region: RegionId) -> set[str]:
    """The pre-check model's names in this region."""
    model = catalog.face_check_model()
    offer = model.regions.get(region)
    return {offer.name} if offer else set()


def read_path_info(path: Path) -> MediaInfo | None:
    """Header facts about an uploaded file (never fails)."""
    try:
        return probe_file(path)
    except OSError:
        return None
