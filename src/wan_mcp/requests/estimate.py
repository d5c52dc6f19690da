"""Step 8 of planning: how many seconds will be billed, what they will probably cost, and how long it takes."""

from __future__ import annotations

from wan_mcp import catalog
from wan_mcp.catalog import REGIONS
from wan_mcp.requests.draft import Draft
from wan_mcp.requests.plan import Estimate


def output_seconds(draft: Draft) -> float | None:
    """The output's length: the duration, the model's maximum for 'the model decides', or the input it follows."""
    model, duration = draft.model, draft.duration
    if duration is not None and duration > 0:
        return float(duration)
    if duration == -1:
        return float(model.durations.max) if model.durations else None
    if model.follows_input is not None:
        return draft.seconds_of(model.follows_input)
    return None


def input_seconds(draft: Draft) -> tuple[float, bool]:
    """(billed input-video seconds, whether an unreadable length was counted at its cap)."""
    billing = draft.model.input_billing
    if billing is None:
        return 0.0, False
    if billing.kind == "edit_video":
        seconds = draft.seconds_of("video")
        return (seconds or 0.0), seconds is None
    lengths = [s.info.seconds if s.info else None for s in draft.references_of("video")]
    return billing.reference_seconds(lengths, len(draft.references())), None in lengths


def sound_on(draft: Draft) -> bool:
    """Whether the result has sound."""
    model = draft.model
    if model.audio == "switch":
        return draft.request.generate_audio is not False
    return model.audio in ("auto", "driven")


def estimate(draft: Draft) -> Estimate:
    """The seconds billed, the cost at the catalog's price for this region's currency, and the typical wait."""
    model = draft.model
    seconds = output_seconds(draft)
    billed = seconds
    if billed is not None and model.input_billing is not None:
        extra, unknown = input_seconds(draft)
        billed = None if unknown and model.input_billing.kind == "edit_video" else billed + extra
    price = model.price.get(REGIONS[draft.region].currency)
    key = draft.quality if model.param_style == "quality" else (draft.tier or "*")
    sound = sound_on(draft)
    rate = price.rate(str(key), sound=sound) if price else None
    cost = round(rate * billed, 4) if rate is not None and billed is not None else None
    low, high = catalog.typical_wait(model, seconds, draft.tier)
    return Estimate(
        output_seconds=seconds,
        billed_seconds=billed,
        tier=draft.tier,
        size=draft.size,
        sound=sound,
        cost=cost,
        currency=price.currency if price and rate is not None else None,
        price_per_second=rate,
        price_source=price.source if price and rate is not None else None,
        price_official=bool(price and price.official),
        wait_low_seconds=low,
        wait_high_seconds=high,
    )
