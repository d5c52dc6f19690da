"""The catalog as `list_modes` shows it (an overview of every mode, or one model in full) and as the `wan://modes`
resource serves it (all of it); pure, derived from the catalog."""

from __future__ import annotations

import functools
from typing import Any

from wan_mcp import catalog
from wan_mcp.catalog import MODE_TITLES, MODE_USE_WHEN, MODES, REGIONS, Mode, Model, ModeSpec, RegionId
from wan_mcp.errors import Problem, RequestInvalid
from wan_mcp.requests import wait_text
from wan_mcp.views import ModelLimits, ModelView, ModesOverview, ModeSummary, ModesView, ModeView

GUARDRAILS = [
    "Every generation is billed per second of output video; failed tasks are not billed.",
    "Tell the user the cost and the expected wait before submitting (submit_video with dry_run returns both).",
    "Jobs take 1–10 minutes: submit, then poll_task with wait_seconds (≤ 50) until it is done.",
    "After a client timeout, poll the task id (or handle) again: never resubmit, that would pay twice.",
    "kf2v and VACE make silent videos; add sound afterwards by merging a soundtrack.",
    "Result URLs and task ids expire after 24 hours; wan-mcp downloads every result as soon as it exists.",
]


def region_id(name: str) -> RegionId:
    """A region by any of its spellings; a refusal naming the choices otherwise."""
    found = catalog.find_region(name)
    if found is None:
        raise RequestInvalid(
            Problem("region", "invalid_value", f"unknown region {name!r}", f"use one of {', '.join(REGIONS)}")
        )
    return found.id


def modes_view(region: RegionId, mode: str | None = None) -> ModesView:
    """The catalog for a region, optionally one mode only (list_modes and wan://modes)."""
    if mode is not None and mode not in MODES:
        raise RequestInvalid(
            Problem("mode", "invalid_value", f"unknown mode {mode!r}", f"use one of {', '.join(MODES)}")
        )
    views = []
    for mode_id in MODES if mode is None else tuple(m for m in MODES if m == mode):
        default = catalog.default_model(mode_id, region)
        models = [m for m in catalog.MODELS if m.kind == "generation" and mode_id in m.modes]
        views.append(
            ModeView(
                mode=mode_id,
                title=MODE_TITLES[mode_id],
                use_when=MODE_USE_WHEN[mode_id],
                default_model=default.id if default else None,
                models=[model_view(m, mode_id, region, default) for m in models],
            )
        )
    return ModesView(region=region, modes=views, guardrails=GUARDRAILS)


def media_limits(model: Model) -> dict[str, str]:
    """Each kind of input media the model takes → its formats, size, sides and length in one line."""
    limits = {}
    for name, media in (("image", model.image), ("video", model.video), ("audio", model.audio_input)):
        if media is None:
            continue
        parts = ["/".join(f.upper() for f in media.formats), f"≤ {media.max_mb:g} MB"]
        if media.min_px or media.max_px:
            parts.append(f"sides {media.min_px}–{media.max_px} px")
        if media.min_seconds or media.max_seconds:
            parts.append(f"{media.min_seconds or 0:g}–{media.max_seconds or '∞'} s")
        if media.data_uri:
            parts.append("data: URI accepted")
        limits[name] = ", ".join(parts)
    return limits


def _limit_fields(model: Model, region: RegionId) -> dict[str, Any]:
    """A model's limits in a region as both the catalog resource (`ModelView`) and list_modes with model
    (`ModelLimits`) show them: frames, lengths, prompts, media, rate limits, wait and price."""
    offer = model.regions.get(region)
    durations = model.durations_in(region)
    price = model.price.get(REGIONS[region].currency)
    low, high = catalog.typical_wait(model, 5, "720P")
    return {
        "id": model.id,
        "summary": model.summary,
        "preview": model.preview,
        "parameter_style": model.param_style,
        "sizes": list(model.sizes),
        "resolutions": list(model.tiers),
        "aspect_ratios": list(model.ratios),
        "durations": durations.describe() if durations else "the length of the input media",
        "soundtrack": model.custom_audio,
        "multi_shot": model.shot_type,
        "prompt": model.prompt,
        "prompt_max_chars": model.prompt_max,
        "negative_prompt_max_chars": model.negative_prompt_max,
        "media_limits": media_limits(model),
        "submit_rps": offer.rps if offer else None,
        "concurrent_tasks": offer.concurrency if offer else None,
        "typical_wait": f"{wait_text(low, high)} for 5 s at 720P",
        "price_per_second": dict(price.per_second) if price else None,
        "price_currency": price.currency if price else None,
        "price_is_estimate": not price.official if price else True,
        "notes": list(model.notes),
    }


def model_view(model: Model, mode: Mode, region: RegionId, default: Model | None) -> ModelView:
    """A catalog model as the wan://modes resource shows it."""
    spec = model.modes[mode]
    offer = model.regions.get(region)
    durations = model.durations_in(region)
    return ModelView(
        **_limit_fields(model, region),
        name_in_region=offer.name if offer else None,
        offered_in_region=offer is not None,
        regions={r: o.name for r, o in model.regions.items()},
        default_for_mode=default is not None and default.id == model.id,
        duration_min=durations.min if durations else None,
        duration_max=durations.max if durations else None,
        duration_choices=list(durations.choices) if durations and durations.choices else None,
        sound=model.audio,
        required=list(spec.required),
        optional=list(spec.optional),
        functions={name: f.summary for name, f in spec.functions.items()} if spec.functions else None,
    )


# -- list_modes: the overview and one model -------------------------------------------------------------------

SOUND_WORDS = {"silent": "silent", "auto": "with sound", "switch": "sound on/off", "driven": "audio-driven"}


@functools.cache
def modes_overview(region: RegionId, mode: str | None = None) -> ModesOverview:
    """Every mode of a region (or one): when to use it, its default model, and each model in one line (built once
    per region and mode: the catalog does not change while the server runs)."""
    chosen = [m for m in MODES if mode is None or m == mode]
    if not chosen:
        raise RequestInvalid(
            Problem("mode", "invalid_value", f"unknown mode {mode!r}", f"use one of {', '.join(MODES)}")
        )
    summaries: list[ModeSummary] = []
    lines: dict[str, str] = {}  # model id → its line, or "as <model>" for the same limits as one said before
    for mode_id in chosen:
        models = catalog.models_for(mode_id, region)
        default = catalog.default_model(mode_id, region)
        summaries.append(
            ModeSummary(
                mode=mode_id,
                use_when=MODE_USE_WHEN[mode_id],
                default_model=default.id if default else None,
                models=[m.id for m in models],
            )
        )
        for model in models:
            if model.id not in lines:
                line = model_line(model, region)
                twin = next((other for other, said in lines.items() if said == line), None)
                lines[model.id] = f"as {twin}" if twin else line
    return ModesOverview(
        message=f"{len(summaries)} mode{'s' if len(summaries) > 1 else ''} in {region}, each model with its key "
        "limits. list_modes with model gives one model's full limits and their sources.",
        region=region,
        modes=summaries,
        models=lines,
    )


def model_line(model: Model, region: RegionId) -> str:
    """A model's key limits in one line: name here, length, frame, sound, shots, prompt, price, wait."""
    offer = model.regions[region]
    durations = model.durations_in(region)
    frame = "/".join(model.tiers) or "/".join(sorted({t for s in model.sizes if (t := catalog.tier_of_size(s))}))
    parts = [
        f"called {offer.name} here" if offer.name != model.id else "",
        "preview" if model.preview else "",
        durations.describe() if durations else "the input's length",
        frame,
        SOUND_WORDS[model.audio] + (", own soundtrack" if model.custom_audio else ""),
        "multi-shot" if model.shot_type else "",
        f"prompt ≤ {model.prompt_max}" if model.prompt_max else "",
        price_text(model, region),
        wait_text(*catalog.typical_wait(model, 5, "720P")),
    ]
    return "; ".join(p for p in parts if p)


def price_text(model: Model, region: RegionId) -> str:
    """`0.6–1.0 CNY/s est.`, or "" when no price is known in the region's currency."""
    price = model.price.get(REGIONS[region].currency)
    if price is None or not price.per_second:
        return ""
    rates = sorted(set(price.per_second.values()))
    span = f"{rates[0]:g}" if len(rates) == 1 else f"{rates[0]:g}–{rates[-1]:g}"
    return f"{span} {price.currency}/s" + ("" if price.official else " est.")


@functools.cache
def model_limits(name: str, region: RegionId) -> ModelLimits:
    """One model's full limits in a region (list_modes with model), with where each number comes from (built once
    per model and region)."""
    model = catalog.find_model(name)
    if model is None or model.kind != "generation":
        ids = ", ".join(m.id for m in catalog.MODELS if m.kind == "generation")
        raise RequestInvalid(Problem("model", "invalid_value", f"unknown model {name!r}", f"use one of {ids}"))
    offer = model.regions.get(region)
    where = f"in {region}" if offer else f"not offered in {region} (offered in {', '.join(model.regions)})"
    return ModelLimits(
        **_limit_fields(model, region),
        message=f"{model.id} {where}: its full limits; sources says where each number comes from.",
        name_in_region=offer.name if offer and offer.name != model.id else None,
        regions=list(model.regions),
        names={r: o.name for r, o in model.regions.items() if o.name != model.id},
        modes={mode: _mode_inputs(spec) for mode, spec in model.modes.items()},
        default_for=[
            m for m in model.modes if (d := catalog.default_model(m, region)) is not None and d.id == model.id
        ],
        sound=SOUND_WORDS[model.audio],
        references=_reference_limits(model),
        sources=fact_sources(model),
    )


def _mode_inputs(spec: ModeSpec) -> dict[str, Any] | str:
    """A mode's required and optional media arguments (VACE: per function)."""
    if not (spec.required or spec.optional or spec.functions):
        return "no media inputs"
    inputs: dict[str, Any] = {"required": list(spec.required), "optional": list(spec.optional)}
    if spec.functions:
        inputs["functions"] = {
            name: {"summary": f.summary, "required": list(f.required), "optional": list(f.optional)}
            for name, f in spec.functions.items()
        }
    return inputs


def _reference_limits(model: Model) -> dict[str, int]:
    counts = {
        "references": model.max_references,
        "videos": model.max_reference_videos,
        "images": model.max_reference_images,
        "audios": model.max_reference_audios,
    }
    return {k: v for k, v in counts.items() if v is not None}


def fact_sources(model: Model) -> dict[str, str]:
    """Where each of a model's facts comes from (the catalog's citations), facts with the same source named together
    so that no citation is sent twice."""
    by_source: dict[str, list[str]] = {}
    for fact, source in catalog.fact_sources(model).items():
        by_source.setdefault(source, []).append(fact)
    return {", ".join(facts): source for source, facts in by_source.items()}
