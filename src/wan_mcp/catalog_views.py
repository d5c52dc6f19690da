"""The catalog as `list_modes` and the `wan://modes` resource show it (pure: derived from the catalog)."""

from __future__ import annotations

from wan_mcp import catalog
from wan_mcp.catalog import MODE_TITLES, MODE_USE_WHEN, MODES, REGIONS, Mode, Model, RegionId
from wan_mcp.errors import Problem, RequestInvalid
from wan_mcp.requests import wait_text
from wan_mcp.views import ModelView, ModesView, ModeView

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


def model_view(model: Model, mode: Mode, region: RegionId, default: Model | None) -> ModelView:
    """A catalog model as list_modes shows it."""
    spec = model.modes[mode]
    offer = model.regions.get(region)
    durations = model.durations_in(region)
    price = model.price.get(REGIONS[region].currency)
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
    low, high = catalog.typical_wait(model, 5, "720P")
    return ModelView(
        id=model.id,
        name_in_region=offer.name if offer else None,
        offered_in_region=offer is not None,
        regions={r: o.name for r, o in model.regions.items()},
        summary=model.summary,
        default_for_mode=default is not None and default.id == model.id,
        preview=model.preview,
        parameter_style=model.param_style,
        sizes=list(model.sizes),
        resolutions=list(model.tiers),
        aspect_ratios=list(model.ratios),
        durations=durations.describe() if durations else "the length of the input media",
        duration_min=durations.min if durations else None,
        duration_max=durations.max if durations else None,
        duration_choices=list(durations.choices) if durations and durations.choices else None,
        sound=model.audio,
        soundtrack=model.custom_audio,
        multi_shot=model.shot_type,
        prompt=model.prompt,
        prompt_max_chars=model.prompt_max,
        negative_prompt_max_chars=model.negative_prompt_max,
        required=list(spec.required),
        optional=list(spec.optional),
        functions={name: f.summary for name, f in spec.functions.items()} if spec.functions else None,
        media_limits=limits,
        submit_rps=offer.rps if offer else None,
        concurrent_tasks=offer.concurrency if offer else None,
        typical_wait=f"{wait_text(low, high)} for 5 s at 720P",
        price_per_second=dict(price.per_second) if price else None,
        price_currency=price.currency if price else None,
        price_is_estimate=not price.official if price else True,
        notes=list(model.notes),
    )
