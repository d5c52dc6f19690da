"""Which arguments a model uses in a mode, and how to say why one it does not use is refused (all from the catalog)."""

from __future__ import annotations

from collections.abc import Callable

from wan_mcp import catalog
from wan_mcp.catalog import MODES, Mode, Model, RegionId
from wan_mcp.requests.draft import Draft

ALWAYS = frozenset({"mode", "model", "generate_audio"})
FRAME_ARGS = frozenset({"size", "resolution", "aspect_ratio"})
_STYLE_ARGS = {
    "size": FRAME_ARGS,
    "resolution": frozenset({"resolution"}),
    "resolution+ratio": frozenset({"resolution", "aspect_ratio"}),
}


def arguments_used(model: Model, mode: Mode, function: str | None = None) -> frozenset[str]:
    """The public arguments a model uses in a mode (and VACE function): anything else is refused."""
    spec = model.modes[mode]
    accepted = set(ALWAYS) | set(spec.required) | set(spec.optional)
    flags = {
        "prompt": model.prompt != "none",
        "negative_prompt": model.negative_prompt_max is not None,
        "prompt_extend": model.prompt_extend,
        "shot_type": model.shot_type,
        "audio": model.custom_audio and model.protocol == "legacy",
        "duration": model.durations is not None,
        "seed": model.protocol in ("legacy", "media"),
        "watermark": model.protocol in ("legacy", "media", "animate"),
    }
    accepted |= {name for name, used in flags.items() if used}
    accepted |= _STYLE_ARGS.get(model.param_style, frozenset())
    if spec.functions is not None:
        accepted.add("function")
        fspec = spec.functions.get(function or "")
        if fspec is not None:
            accepted |= {*fspec.required, *fspec.optional}
            if not fspec.sends_size and "size" not in fspec.optional:
                accepted -= FRAME_ARGS
    return frozenset(accepted)


# -- models to suggest instead (computed, so a new model appears in the advice by itself) -------------------


def default_models_where(region: RegionId, trait: Callable[[Model], bool]) -> list[tuple[Mode, str]]:
    """(mode, model id) of the modes whose default model in a region has a trait."""
    found: list[tuple[Mode, str]] = []
    for mode in MODES:
        model = catalog.default_model(mode, region)
        if model is not None and trait(model) and model.id not in (m for _, m in found):
            found.append((mode, model.id))
    return found


def soundtrack_models(region: RegionId) -> list[str]:
    """The default models that take a soundtrack file (e.g. for t2v and i2v)."""
    return [m for _, m in default_models_where(region, lambda m: m.custom_audio and m.audio != "driven")]


def switch_models(region: RegionId) -> list[str]:
    """The default models with a sound on/off switch, with their mode: 'x (i2v)'."""
    return [f"{m} ({mode})" for mode, m in default_models_where(region, lambda m: m.audio == "switch")]


def silent_model(mode: Mode, region: RegionId) -> str | None:
    """A silent model for this mode in this region, if there is one."""
    return next((m.id for m in catalog.models_for(mode, region) if m.audio == "silent" and m.snapshot_of is None), None)


def _ids(predicate: Callable[[Model], bool]) -> list[str]:
    return [m.id for m in catalog.MODELS if m.kind == "generation" and m.snapshot_of is None and predicate(m)]


def _or(names: list[str]) -> str:
    return " or ".join(names) if len(names) < 3 else ", ".join(names[:-1]) + " or " + names[-1]


# -- why an argument is refused ------------------------------------------------------------------------------

Reason = tuple[str, str]  # (message, fix)


def _audio(draft: Draft) -> Reason:
    model = draft.model
    sound = _or(soundtrack_models(draft.region))
    if model.audio == "silent":
        return (
            f"{model.id} makes silent video and takes no soundtrack",
            f"for sound use a model with audio ({sound}), or generate the video silent and merge your "
            "soundtrack into it afterwards",
        )
    if model.max_reference_audios and any("references" in s.optional for s in model.modes.values()):
        return (
            f"{model.id} takes no soundtrack argument",
            "pass the audio file in references (r2v) and refer to it as 'audio 1' in the prompt",
        )
    return (
        f"{model.id} makes its own sound but takes no soundtrack file",
        f"for your own soundtrack use {sound}, or merge it into the finished video afterwards",
    )


def _shot_type(draft: Draft) -> Reason:
    multi = _ids(lambda m: m.shot_type and draft.mode in m.modes) or _ids(lambda m: m.shot_type)
    return (
        f"{draft.model.id} has no multi-shot mode",
        f"use a multi-shot model ({_or(multi)}), or write the shots into the prompt ('Shot 1 [0-3s]: …')",
    )


def _size(draft: Draft) -> Reason:
    model = draft.model
    if draft.function is not None:
        return (f"{draft.describe()} keeps the size of the input video", "remove size")
    if model.param_style == "resolution":
        return (
            f"{model.id} takes resolution (a tier), not size; the aspect ratio follows the input image",
            f"use resolution: one of {', '.join(model.tiers)}",
        )
    return (
        f"{model.id} takes resolution and aspect_ratio, not size",
        f"use resolution ({', '.join(model.tiers)}) and aspect_ratio ({', '.join(model.ratios)})",
    )


def _aspect_ratio(draft: Draft) -> Reason:
    if draft.function is not None:
        return (f"{draft.describe()} keeps the aspect ratio of the input video", "remove aspect_ratio")
    return (
        f"{draft.model.id} takes its aspect ratio from the input image",
        "crop the image to the aspect ratio you want, and remove aspect_ratio",
    )


def _prompt_like(name: str) -> Callable[[Draft], Reason]:
    def reason(draft: Draft) -> Reason:
        model = draft.model
        if model.prompt == "none":
            driven = f"the {model.follows_input or 'input'}"
            return (f"{model.id} takes no prompt: the motion comes from {driven}", f"remove {name}")
        if name == "prompt_extend":
            return (f"{model.id} has no prompt_extend parameter", "remove prompt_extend")
        return (f"{model.id} takes no negative prompt", "say what to avoid inside the prompt instead")

    return reason


def _duration(draft: Draft) -> Reason:
    return (
        f"with {draft.model.id} the video lasts as long as the input {draft.model.follows_input or 'media'}",
        "trim the input instead; remove duration",
    )


def _template(draft: Draft) -> Reason:
    where = [f"{m.id} ({', '.join(m.modes)})" for m in catalog.MODELS if m.templates]
    return (f"{draft.model.id} has no effect templates", f"templates exist on {', '.join(where)}")


def _function(draft: Draft) -> Reason:
    editors = _ids(lambda m: any(s.functions for s in m.modes.values()))
    return (
        f"function is only for VACE editing (mode vace with {_or(editors)}), not for {draft.model.id}",
        "remove function",
    )


def _voices(draft: Draft) -> Reason:
    voiced = _ids(lambda m: m.voice_input is not None)
    return (f"{draft.model.id} takes no reference voices", f"a voice per reference works with {_or(voiced)}")


def _resolution(draft: Draft) -> Reason:
    if draft.function is not None:
        return (f"{draft.describe()} keeps the resolution of the input video (≤ 720P)", "remove resolution")
    return _generic("resolution")(draft)


def _plain(name: str) -> Callable[[Draft], Reason]:
    return lambda draft: (f"{draft.model.id} has no {name} parameter", f"remove {name}")


def _generic(name: str) -> Callable[[Draft], Reason]:
    def reason(draft: Draft) -> Reason:
        used = sorted(draft.accepted - ALWAYS)
        return (f"{name} is not used by {draft.describe()}", f"remove it; this request uses: {', '.join(used)}")

    return reason


REASONS: dict[str, Callable[[Draft], Reason]] = {
    "audio": _audio,
    "shot_type": _shot_type,
    "size": _size,
    "aspect_ratio": _aspect_ratio,
    "resolution": _resolution,
    "prompt": _prompt_like("prompt"),
    "negative_prompt": _prompt_like("negative_prompt"),
    "prompt_extend": _prompt_like("prompt_extend"),
    "duration": _duration,
    "template": _template,
    "function": _function,
    "reference_voices": _voices,
    "seed": _plain("seed"),
    "watermark": _plain("watermark"),
}


def unsupported(draft: Draft, name: str) -> Reason:
    """(message, fix) for an argument this model/mode/function does not use."""
    return REASONS.get(name, _generic(name))(draft)
