"""Step 9 of planning: what to tell the user with the plan — cost, wait, sound, expiry, and every caution."""

from __future__ import annotations

from wan_mcp.requests.draft import Draft
from wan_mcp.requests.plan import Estimate


def plan_notes(draft: Draft, estimate: Estimate, uploads: int) -> list[str]:
    """The plan's notes: the choices made, then the guardrails, then the cautions."""
    return [*draft.notes, *_cost(draft, estimate), *_guardrails(draft, estimate, uploads), *draft.cautions]


def _cost(draft: Draft, estimate: Estimate) -> list[str]:
    billed = estimate.billed_seconds
    length = f"{billed:g} s" if billed is not None else "the output's length"
    where = f" at {estimate.tier}" if estimate.tier else ""
    if estimate.cost is not None:
        kind = "official price" if estimate.price_official else "unofficial price estimate; check the console"
        notes = [
            f"Billed per second of output: {length}{where} ≈ {estimate.cost:.2f} {estimate.currency} "
            f"({estimate.price_per_second:g} {estimate.currency}/s, {kind})."
        ]
    else:
        notes = [
            f"Billed per second of output ({length}{where}); no reliable price is known for {draft.model.id} in "
            f"{draft.region_title}: check the Model Studio console."
        ]
    if draft.duration == -1:
        notes.append("duration -1: the model picks the length (up to 30 s); the cost above assumes 30 s.")
    return notes + _input_billing(draft)


def _input_billing(draft: Draft) -> list[str]:
    billing = draft.model.input_billing
    if billing is None:
        return []
    if billing.kind == "edit_video":
        return ["The input video's seconds are billed too (billed = input + output)."]
    videos = draft.references_of("video")
    if not videos:
        return []
    shared = "all references" if billing.split_over == "references" else "the reference videos"
    unread = " (lengths not readable from URLs are counted at their share)" if any(not v.info for v in videos) else ""
    return [f"Reference videos add up to {billing.cap_seconds:g} s to the billed seconds, shared by {shared}{unread}."]


def _guardrails(draft: Draft, estimate: Estimate, uploads: int) -> list[str]:
    model = draft.model
    notes = [f"Tell the user the expected wait before submitting: {estimate.wait_text}."]
    if not estimate.sound:
        notes.append(
            f"Silent output: {model.id} makes no sound. To add sound, merge a soundtrack into the finished video."
        )
    if "audio" in draft.given and model.audio in ("auto", "switch") and draft.duration:
        notes.append(
            f"The soundtrack is cut at {draft.duration} s if longer; if shorter, the rest of the video is silent."
        )
    if draft.mode in ("i2v", "kf2v") and model.param_style == "resolution":
        notes.append("The output's aspect ratio follows the input image.")
    fspec = draft.function_spec
    if fspec is not None and "video" in (*fspec.required, *fspec.optional) and draft.request.prompt_extend is None:
        notes.append(
            "prompt_extend: DashScope turns it on by default; for functions that take a video, false keeps the "
            "edit closer to your words."
        )
    notes.append("The result URL and the task id are valid for 24 hours: download the video before then.")
    if uploads:
        notes.append(
            f"{uploads} local file(s) are uploaded to DashScope's temporary storage (kept 48 h, bound to this model) "
            "before submitting."
        )
    if model.preview:
        notes.append(f"{model.id} is a preview model: behaviour and limits may change.")
    return notes
