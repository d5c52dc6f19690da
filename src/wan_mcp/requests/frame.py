"""Step 3 of planning: the output's tier, size, ratio, duration, quality and prompt_extend (defaults said aloud)."""

from __future__ import annotations

from wan_mcp import catalog
from wan_mcp.catalog import SIZES_BY_TIER, Tier
from wan_mcp.requests.draft import Draft


def choose_frame(draft: Draft) -> None:
    """Set the draft's tier, size and ratio (None where the model takes none or the input video decides)."""
    model = draft.model
    if model.param_style == "quality":
        _choose_quality(draft)
        return
    if model.param_style == "none" or not ({"size", "resolution"} & draft.accepted):
        return
    framed = {"size", "resolution", "aspect_ratio"} & set(draft.given)
    spec = draft.function_spec
    if spec is not None and not spec.sends_size and not framed:
        return  # the output follows the input video
    resolution = _tier(draft, draft.given.get("resolution")) if "resolution" in draft.accepted else None
    ratio = draft.given.get("aspect_ratio") if "aspect_ratio" in draft.accepted else None
    if model.param_style == "size":
        _choose_size(draft, resolution, ratio)
        return
    draft.tier = resolution or _default_tier(draft)
    if ratio is not None and ratio not in model.ratios:
        draft.problems.append(
            draft.problem(
                "aspect_ratio",
                "invalid_value",
                f"{model.id} takes aspect_ratio {', '.join(model.ratios)}, not {ratio!r}",
                f"use one of {', '.join(model.ratios)}",
            )
        )
        return
    if model.param_style == "resolution+ratio" and ratio is None:
        ratio = _default_ratio(draft)
    draft.ratio = ratio


def _choose_quality(draft: Draft) -> None:
    raw = draft.given.get("quality")
    quality = (raw or "std").strip().lower().removeprefix("wan-")
    if quality not in ("std", "pro"):
        draft.problems.append(
            draft.problem("quality", "invalid_value", f"quality {raw!r} is not offered", "use 'std' (cheaper) or 'pro'")
        )
        return
    if raw is None:
        draft.notes.append("quality: std (wan-std, the cheaper one); pass quality 'pro' for wan-pro.")
    draft.quality = quality


def _tier(draft: Draft, value: str | None) -> Tier | None:
    if value is None:
        return None
    text = value.strip().upper()
    text = text if text.endswith("P") else text + "P"
    for tier in draft.model.tiers:
        if tier == text:
            return tier
    offered = ", ".join(draft.model.tiers)
    draft.problems.append(
        draft.problem(
            "resolution",
            "invalid_value",
            f"{draft.model.id} offers resolution {offered}, not {value!r}",
            f"use one of {offered}",
        )
    )
    return None


def _default_tier(draft: Draft) -> Tier | None:
    """720P where offered (cheaper and faster than DashScope's usual 1080P), else the tier nearest to it."""
    model = draft.model
    api_default = model.default_tier
    if api_default is None or not model.tiers:
        return None
    if catalog.TIERS.index(api_default) <= catalog.TIERS.index("720P"):
        chosen: Tier = api_default
    else:
        chosen = min(model.tiers, key=lambda t: (abs(int(t[:-1]) - 720), int(t[:-1])))
    if model.param_style != "size":
        costlier = f"; DashScope's own default, {api_default}, costs more" if chosen != api_default else ""
        draft.notes.append(f"resolution: {chosen} (the default here{costlier}). Pass resolution to choose.")
    return chosen


def _default_ratio(draft: Draft) -> str | None:
    model = draft.model
    if any(name in draft.given for name in model.ratio_ignored_with):
        draft.notes.append("aspect_ratio: follows the first frame (DashScope ignores a ratio beside it).")
        return None
    if model.default_ratio is None:
        draft.notes.append("aspect_ratio: follows the input video. Pass aspect_ratio to change it.")
        return None
    ratio = "16:9" if draft.mode == "t2v" and "16:9" in model.ratios else model.default_ratio
    meaning = " (follows the input media)" if ratio == "adaptive" else ""
    draft.notes.append(f"aspect_ratio: {ratio}{meaning}, the default here. Pass aspect_ratio to choose.")
    return ratio


def _choose_size(draft: Draft, resolution: Tier | None, ratio: str | None) -> None:
    model = draft.model
    raw = draft.given.get("size")
    if raw is not None:
        _given_size(draft, raw, resolution, ratio)
        return
    if ratio is not None and ratio not in SIZES_BY_TIER["720P"]:
        draft.problems.append(
            draft.problem(
                "aspect_ratio",
                "invalid_value",
                f"aspect_ratio {ratio!r} is not offered",
                "use 16:9, 9:16, 1:1, 4:3 or 3:4",
            )
        )
        return
    tier = resolution or _default_tier(draft)
    if tier is None:
        return
    chosen_ratio = ratio or "16:9"
    size = SIZES_BY_TIER[tier].get(chosen_ratio)
    if size is None or size not in model.sizes:
        ratios = [r for r, s in SIZES_BY_TIER[tier].items() if s in model.sizes]
        draft.problems.append(
            draft.problem(
                "aspect_ratio",
                "invalid_value",
                f"{model.id} has no {tier} size with aspect ratio {chosen_ratio}",
                f"at {tier} use {', '.join(ratios)}",
            )
        )
        return
    if resolution is not None or ratio is not None:
        draft.notes.append(f"size: {size} ({tier} {chosen_ratio}).")
    else:
        costlier = f"; DashScope's own default, {model.default_size}, costs more" if size != model.default_size else ""
        draft.notes.append(
            f"size: {size} ({tier} {chosen_ratio}, the default here{costlier}). "
            "Pass size, or resolution and aspect_ratio, to choose."
        )
    draft.tier, draft.size, draft.ratio = tier, size, chosen_ratio


def _given_size(draft: Draft, raw: str, resolution: Tier | None, ratio: str | None) -> None:
    model = draft.model
    size = raw.strip().replace("x", "*").replace("X", "*").replace("×", "*")
    if size not in model.sizes:
        hint = (
            f"use one of {', '.join(model.sizes)}"
            if "*" in size
            else "size is width*height such as 1280*720; for a tier and a ratio use resolution and aspect_ratio"
        )
        draft.problems.append(draft.problem("size", "invalid_value", f"{model.id} does not offer size {raw!r}", hint))
        return
    tier, size_ratio = catalog.tier_of_size(size), catalog.ratio_of_size(size)
    if (resolution is not None and resolution != tier) or (ratio is not None and ratio != size_ratio):
        draft.problems.append(
            draft.problem(
                "size",
                "conflicting_arguments",
                f"size {size} is {tier} {size_ratio}, which contradicts resolution/aspect_ratio",
                "give either size, or resolution and aspect_ratio",
            )
        )
    draft.tier, draft.size, draft.ratio = tier, size, size_ratio


def choose_duration(draft: Draft) -> None:
    """The duration to send (None: the model's own, or the input decides); a bad value is refused in the rules."""
    model = draft.model
    spec = model.durations_in(draft.region)
    if spec is None:
        return
    requested = draft.request.duration
    if requested is not None:
        draft.duration = requested if spec.allows(requested) else None
        return
    if spec.fixed:
        draft.duration = spec.min
    elif spec.default in spec.special:
        draft.notes.append(f"duration: {spec.special[spec.default]} (the default).")
    else:
        draft.notes.append(
            f"duration: {spec.default} s (the default; {model.id} offers {spec.describe()}). Every second is billed."
        )
        draft.duration = spec.default


def choose_prompt_extend(draft: Draft) -> None:
    """prompt_extend as given, turned on where multi-shot or a reference file/link needs it (and said so)."""
    model, request = draft.model, draft.request
    value = request.prompt_extend if model.prompt_extend else None
    needs: list[str] = []
    if request.shot_type == "multi" and model.shot_type and model.prompt_extend:
        needs.append("multi-shot")
    needs += [name.replace("_", " ") for name in model.needs_prompt_extend if draft.given.get(name)]
    if needs and value is None:
        draft.notes.append(f"prompt_extend: turned on, because {' and '.join(needs)} needs it.")
        value = True
    draft.prompt_extend = value
