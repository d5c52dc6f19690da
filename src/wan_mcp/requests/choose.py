"""Step 2 of planning: which model, mode and VACE function serve the request (refused at once when none can)."""

from __future__ import annotations

import difflib

from wan_mcp import catalog
from wan_mcp.catalog import REGIONS, Mode, Model, RegionId
from wan_mcp.errors import Problem, RequestInvalid
from wan_mcp.requests.arguments import VideoRequest

_MODE_HELP = (
    "give mode: t2v (text), i2v (one image), kf2v (first+last image), r2v (references), "
    "vace (edit a video), s2v (talking portrait) or animate (character animation)"
)


def choose_model_and_mode(request: VideoRequest, region: RegionId, notes: list[str]) -> tuple[Model, Mode]:
    """The model and mode to plan for; notes say what was chosen for the caller."""
    model = _named_model(request) if request.model is not None else None
    mode = _mode(request, model, region, notes)
    if model is None:
        model = _default_model(mode, region, notes)
    else:
        _check_offered(model, mode, region)
    sent = model.regions[region].name
    if request.model is not None and request.model.strip() != sent:
        notes.append(f"model name sent as {sent!r}, its name in {REGIONS[region].title}.")
    return model, mode


def _named_model(request: VideoRequest) -> Model:
    name = (request.model or "").strip()
    model = catalog.find_model(name)
    if model is None:
        close = difflib.get_close_matches(name, [a for m in catalog.MODELS for a in m.aliases], n=3)
        mode = request.mode
        choices = ", ".join(m.id for m in catalog.models_for(mode)) if mode else ""
        fix = f"did you mean {', '.join(close)}? " if close else ""
        fix += f"models for {mode}: {choices}" if choices else "list_modes shows every model by mode"
        raise RequestInvalid(Problem("model", "unknown_model", f"there is no Wan model {request.model!r}", fix))
    if model.kind != "generation":
        makers = [m.id for mode in model.modes for m in catalog.models_for(mode)]
        raise RequestInvalid(
            Problem(
                "model",
                "not_supported",
                f"{model.id} is a pre-check, not a video model",
                f"use {makers[0]} (mode {next(iter(model.modes))}) to make the video",
            )
        )
    return model


def _mode(request: VideoRequest, model: Model | None, region: RegionId, notes: list[str]) -> Mode:
    mode: Mode | None = request.mode
    if mode is None and model is not None:
        if len(model.modes) > 1:
            raise RequestInvalid(
                Problem(
                    "mode",
                    "missing_argument",
                    f"{model.id} serves several modes ({', '.join(model.modes)})",
                    "say which one with mode",
                )
            )
        mode = next(iter(model.modes))
        notes.append(f"mode: {mode} (the only mode {model.id} serves).")
    if mode is None:
        raise RequestInvalid(Problem("mode", "missing_argument", "mode is required", _MODE_HELP))
    if model is not None and mode not in model.modes:
        alternatives = ", ".join(m.id for m in catalog.models_for(mode, region)[:4])
        raise RequestInvalid(
            Problem(
                "model",
                "not_supported",
                f"{model.id} does not do {mode}; it serves {', '.join(model.modes)}",
                f"for {mode} use {alternatives}" if alternatives else f"choose another mode than {mode}",
            )
        )
    return mode


def _default_model(mode: Mode, region: RegionId, notes: list[str]) -> Model:
    title = REGIONS[region].title
    model = catalog.default_model(mode, region)
    if model is None:
        where = sorted({r for m in catalog.models_for(mode) for r, o in m.regions.items() if not o.caution})
        raise RequestInvalid(
            Problem(
                "mode",
                "not_in_region",
                f"no {mode} model is offered in {title}",
                f"{mode} is offered in {', '.join(where)}: set DASHSCOPE_REGION (with a key of that region)",
            )
        )
    preferred = catalog.DEFAULT_MODELS[mode][0]
    if model.id == preferred:
        notes.append(f"model: {model.id} (the default for {mode}).")
    else:
        notes.append(f"model: {model.id} ({preferred}, the usual default for {mode}, is not offered in {title}).")
    return model


def _check_offered(model: Model, mode: Mode, region: RegionId) -> None:
    if region in model.regions:
        return
    title = REGIONS[region].title
    offered = ", ".join(REGIONS[r].title for r in model.regions)
    here = ", ".join(m.id for m in catalog.models_for(mode, region)[:4])
    fix = f"set DASHSCOPE_REGION to {' or '.join(model.regions)} (with a key from that region)"
    if here:
        fix += f", or use a {mode} model offered in {title}: {here}"
    raise RequestInvalid(
        Problem("model", "not_in_region", f"{model.id} is not offered in {title}; it is offered in {offered}", fix)
    )


def choose_function(model: Model, mode: Mode, request: VideoRequest) -> str | None:
    """The VACE function, for models that have functions; refused at once when missing or unknown."""
    functions = model.modes[mode].functions
    if functions is None:
        return None
    names = ", ".join(functions)
    function = request.function
    if function is None:
        raise RequestInvalid(
            Problem("function", "missing_argument", f"{model.id} needs a function", f"give one of {names}")
        )
    if function not in functions:
        raise RequestInvalid(
            Problem("function", "invalid_value", f"{function!r} is not a VACE function", f"use one of {names}")
        )
    return function
