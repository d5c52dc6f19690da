"""Rules about which arguments go together, and about the values of plain arguments (prompts, seed, VACE's)."""

from __future__ import annotations

from wan_mcp import catalog
from wan_mcp.catalog import ARGUMENT_RANGES, ARGUMENT_VALUES
from wan_mcp.errors import Problem
from wan_mcp.requests.draft import Draft
from wan_mcp.requests.support import unsupported

_REQUIRED_FIX = {
    "image": "give the image: an https URL, a local path, or a data: URI where the model takes one",
    "first_frame": "give the first frame image",
    "last_frame": "give the last frame image (for one image only, use mode i2v)",
    "references": "give 1–5 reference images or videos; name them in the prompt as the model expects",
    "audio": "give the speech or song recording (WAV/MP3)",
    "video": "give the input video (MP4)",
    "ref_images": "give the reference images",
    "control_condition": "give one of posebodyface, posebody, depth, scribble",
    "prompt": "describe the video in prompt",
}


def _required(draft: Draft) -> tuple[list[str], list[tuple[str, ...]]]:
    spec, fspec = draft.spec, draft.function_spec
    required = [*spec.required, *(fspec.required if fspec else ())]
    groups = [*spec.one_of, *(fspec.one_of if fspec else ())]
    if draft.model.prompt == "required":
        required.append("prompt")
    return [name for name in required if name != "function"], groups


def arguments_used(draft: Draft) -> list[Problem]:
    """Every argument given is one this model, mode and function use (a default 'single' shot passes)."""
    problems = []
    for name, value in draft.given.items():
        if name in draft.accepted or (name == "shot_type" and value == "single"):
            continue
        problems.append(draft.problem(name, "not_supported", *unsupported(draft, name)))
    return problems


def required_arguments(draft: Draft) -> list[Problem]:
    """Every argument the mode (and VACE function) requires is given."""
    required, _ = _required(draft)
    return [
        draft.problem(
            name, "missing_argument", f"{draft.describe()} needs {name}", _REQUIRED_FIX.get(name, f"give {name}")
        )
        for name in required
        if name not in draft.given
    ]


def one_of_arguments(draft: Draft) -> list[Problem]:
    """Where one of several arguments is required (image or first_clip…), at least one is given."""
    _, groups = _required(draft)
    problems = []
    for group in groups:
        if not any(name in draft.given for name in group):
            names = " or ".join(group)
            problems.append(
                draft.problem(group[0], "missing_argument", f"{draft.describe()} needs {names}", f"give {names}")
            )
    return problems


def exclusive_arguments(draft: Draft) -> list[Problem]:
    """Arguments the catalog marks as exclusive are not given together."""
    fspec = draft.function_spec
    problems = []
    for rule in (*draft.spec.exclusive, *(fspec.exclusive if fspec else ())):
        if rule.first in draft.given and rule.second in draft.given:
            why = f"{rule.reason}, not both" if rule.reason else f"give {rule.first} or {rule.second}, not both"
            problems.append(
                draft.problem(rule.second, "conflicting_arguments", why, f"remove {rule.second} or {rule.first}")
            )
    return problems


def prompt_not_empty(draft: Draft) -> list[Problem]:
    """A prompt that is given where one is required says something."""
    prompt = draft.request.prompt
    if prompt is None or prompt.strip() or draft.model.prompt != "required":
        return []
    return [draft.problem("prompt", "missing_argument", "the prompt is empty", "describe the video in prompt")]


def _too_long(draft: Draft, name: str, text: str | None, limit: int | None) -> list[Problem]:
    if text is None or limit is None or len(text) <= limit or name not in draft.accepted:
        return []
    what = "prompt" if name == "prompt" else "negative prompt"
    return [
        draft.problem(
            name,
            "too_long",
            f"the {what} has {len(text):,} characters; {draft.model.id} takes at most {limit:,} and DashScope would "
            "silently drop the rest",
            f"shorten it by at least {len(text) - limit:,} characters",
        )
    ]


def prompt_length(draft: Draft) -> list[Problem]:
    """The prompt fits the model's character limit (DashScope would cut the rest silently)."""
    return _too_long(draft, "prompt", draft.request.prompt, draft.model.prompt_max)


def negative_prompt_length(draft: Draft) -> list[Problem]:
    """The negative prompt fits the model's character limit."""
    return _too_long(draft, "negative_prompt", draft.request.negative_prompt, draft.model.negative_prompt_max)


def reference_link_is_web_page(draft: Draft) -> list[Problem]:
    """A reference link is a public http(s) page."""
    link = draft.given.get("reference_link")
    if link is None or not draft.uses("reference_link") or str(link).lower().startswith(("https://", "http://")):
        return []
    return [
        draft.problem(
            "reference_link", "invalid_value", "reference_link must be a public http(s) web page", "give its URL"
        )
    ]


def seed_range(draft: Draft) -> list[Problem]:
    """The seed is within 0–2147483647."""
    seed = draft.request.seed
    if seed is None or 0 <= seed <= catalog.SEED_MAX:
        return []
    return [
        draft.problem(
            "seed",
            "out_of_range",
            f"seed {seed} is outside 0–{catalog.SEED_MAX}",
            "use a whole number in that range, or omit seed for a random one",
        )
    ]


def argument_values(draft: Draft) -> list[Problem]:
    """Enumerated arguments (mask_type, expand_mode, obj_or_bg) hold only their documented values."""
    problems = []
    for name, allowed in ARGUMENT_VALUES.items():
        value = draft.given.get(name)
        if value is None or not draft.uses(name):
            continue
        bad = [v for v in (value if isinstance(value, list) else [value]) if v not in allowed]
        if bad:
            listed = ", ".join(repr(v) for v in allowed)
            problems.append(draft.problem(name, "invalid_value", f"{name} is {listed}, not {bad}", f"use {listed}"))
    return problems


def argument_ranges(draft: Draft) -> list[Problem]:
    """Numeric arguments (strength, expand_ratio, the outpainting scales, mask_frame_id) are within range."""
    problems = []
    for name, (low, high) in ARGUMENT_RANGES.items():
        value = draft.given.get(name)
        if value is None or not draft.uses(name) or (low <= value and (high is None or value <= high)):
            continue
        span = f"{low:g}–{high:g}" if high is not None else f"at least {low:g}"
        problems.append(draft.problem(name, "out_of_range", f"{name} {value} is outside {span}", f"use {span}"))
    return problems


def control_condition_value(draft: Draft) -> list[Problem]:
    """control_condition is one the VACE function takes."""
    fspec, condition = draft.function_spec, draft.given.get("control_condition")
    if fspec is None or condition is None or condition in fspec.control_conditions:
        return []
    allowed = ", ".join(repr(c) for c in fspec.control_conditions)
    message = f"{draft.function} takes control_condition {allowed}"
    return [draft.problem("control_condition", "invalid_value", message, f"use one of {allowed}")]


def required_with(draft: Draft) -> list[Problem]:
    """An argument that needs a companion has it (video_extension with a video needs control_condition)."""
    fspec = draft.function_spec
    problems = []
    for name, companions in (fspec.required_with if fspec else {}).items():
        for companion in companions:
            if name in draft.given and companion not in draft.given:
                message = f"{draft.function} with {name} needs {companion}"
                fix = f"give {companion}" + (
                    f": one of {fspec.control_conditions}" if fspec and companion == "control_condition" else ""
                )
                problems.append(draft.problem(companion, "missing_argument", message, fix))
    return problems


def only_with(draft: Draft) -> list[Problem]:
    """An argument that means nothing alone is not given alone (mask_frame_id without mask_image)."""
    fspec = draft.function_spec
    return [
        draft.problem(
            name,
            "not_supported",
            f"{name} goes with {partner}; without it, it is not used",
            f"remove {name}",
        )
        for name, partner in (fspec.only_with if fspec else {}).items()
        if name in draft.given and partner not in draft.given
    ]
