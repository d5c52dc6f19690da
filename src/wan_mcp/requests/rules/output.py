"""Rules about the output: its length, framing, sound and prompt rewriting, and the model's own traps."""

from __future__ import annotations

from wan_mcp.errors import Problem
from wan_mcp.requests.draft import Draft
from wan_mcp.requests.support import silent_model, soundtrack_models, switch_models


def duration_allowed(draft: Draft) -> list[Problem]:
    """A requested duration is one the model offers in this region (longer ones get the chaining recipe)."""
    spec, requested = draft.model.durations_in(draft.region), draft.request.duration
    if spec is None or requested is None or spec.allows(requested) or "duration" not in draft.accepted:
        return []
    where = f" in {draft.region_title}" if spec is not draft.model.durations else ""
    fix = f"remove duration ({draft.model.id} always makes {spec.min} s)" if spec.fixed else f"use {spec.describe()}"
    if requested > spec.max:
        fix += "; for a longer video, chain segments through their last frame and join them"
    message = f"{draft.model.id} offers {spec.describe()}{where}, not {requested} s"
    return [draft.problem("duration", "invalid_value", message, fix)]


def duration_cautions(draft: Draft) -> list[Problem]:
    """A duration between the newest docs' range and an older, stricter set is accepted with a note."""
    spec, duration = draft.model.durations_in(draft.region), draft.duration
    if spec is None or duration is None or duration in spec.special:
        return []
    if spec.caution is not None and duration not in spec.caution:
        draft.cautions.append(
            f"duration {duration} s: the newest docs allow {spec.min}–{spec.max} s, older docs only "
            f"{'/'.join(map(str, spec.caution))} s; if DashScope refuses it, use one of those."
        )
    older = draft.offer.caution_durations
    if older is not None and not older.allows(duration):
        draft.cautions.append(
            f"duration {duration} s: accepted in {draft.region_title} by the API reference, but the guide's region "
            f"table gives {older.describe()} there; if DashScope refuses it, use one of those."
        )
    return []


def reference_video_duration(draft: Draft) -> list[Problem]:
    """With a video among the references, the duration stays under the model's lower maximum (e.g. 10 s)."""
    cap, duration = draft.model.reference_video_duration_max, draft.duration
    if cap is None or duration is None or duration <= cap or not draft.references_of("video"):
        return []
    message = f"{draft.model.id} makes at most {cap} s when a reference is a video"
    return [draft.problem("duration", "invalid_value", message, f"use duration ≤ {cap}, or image references only")]


def ratio_with_first_frame(draft: Draft) -> list[Problem]:
    """An aspect ratio beside a first frame is refused where DashScope would ignore it."""
    given = [name for name in draft.model.ratio_ignored_with if name in draft.given]
    if not given or "aspect_ratio" not in draft.given or "aspect_ratio" not in draft.accepted:
        return []
    message = f"{draft.model.id} ignores aspect_ratio when a first frame is given: the output follows the {given[0]}"
    return [
        draft.problem("aspect_ratio", "conflicting_arguments", message, "remove aspect_ratio, or crop the first frame")
    ]


def sound_switch(draft: Draft) -> list[Problem]:
    """generate_audio asks only for what the model can do: sound from silent models, silence from sound ones."""
    model, generate = draft.model, draft.request.generate_audio
    if generate is None:
        return []
    if model.audio == "silent" and generate:
        sound = " or ".join(soundtrack_models(draft.region))
        fix = f"for sound use {sound}, or merge a soundtrack into the finished video"
        return [draft.problem("generate_audio", "not_supported", f"{model.id} makes silent video", fix)]
    if model.audio == "auto" and not generate:
        silent = silent_model(draft.mode, draft.region)
        fix = f"for a silent video use {' or '.join(switch_models(draft.region))} with generate_audio false"
        fix += f", or a silent model such as {silent}" if silent else ""
        message = f"{model.id} always adds sound and has no switch to turn it off"
        return [draft.problem("generate_audio", "not_supported", message, fix)]
    if model.audio == "driven" and not generate:
        message = f"{model.id} is driven by its audio"
        return [draft.problem("generate_audio", "not_supported", message, "remove generate_audio")]
    return []


def soundtrack_with_sound_off(draft: Draft) -> list[Problem]:
    """generate_audio false beside a soundtrack is refused: the switch wins and the soundtrack is dropped."""
    if draft.model.audio != "switch" or draft.request.generate_audio is not False or "audio" not in draft.given:
        return []
    return [
        draft.problem(
            "audio",
            "conflicting_arguments",
            "generate_audio false would silently drop the soundtrack (the result is silent)",
            "remove audio for a silent video, or remove generate_audio to use the soundtrack",
        )
    ]


def prompt_extend_needed(draft: Draft) -> list[Problem]:
    """prompt_extend false is refused where multi-shot or a reference file/link needs it on."""
    model, request = draft.model, draft.request
    if request.prompt_extend is not False or not model.prompt_extend:
        return []
    problems = []
    if request.shot_type == "multi" and model.shot_type:
        message = "multi-shot only works with prompt_extend on (DashScope ignores shot_type otherwise)"
        fix = "remove prompt_extend (or set it true), or use shot_type 'single'"
        problems.append(draft.problem("prompt_extend", "conflicting_arguments", message, fix))
    if any(draft.given.get(name) for name in model.needs_prompt_extend):
        message = "a reference file or link only works with prompt_extend on"
        fix = "remove prompt_extend, or remove the file/link"
        problems.append(draft.problem("prompt_extend", "conflicting_arguments", message, fix))
    return problems


def template_replaces_prompt(draft: Draft) -> list[Problem]:
    """An effect template beside a prompt is refused (DashScope ignores the prompt); template names get a caution."""
    if not draft.uses("template"):
        return []
    draft.cautions.append(
        f"template {draft.request.template!r}: template names differ per model (see the effects list); an unknown "
        "one fails the task unbilled."
    )
    if not (draft.request.prompt or "").strip():
        return []
    message = "an effect template replaces the prompt (DashScope ignores the prompt)"
    fix = "remove prompt to use the template, or remove template to use the prompt"
    return [draft.problem("prompt", "conflicting_arguments", message, fix)]


def offer_caution(draft: Draft) -> list[Problem]:
    """A model whose offer in this region is uncertain is accepted with a note saying so."""
    if draft.offer.caution:
        draft.cautions.append(f"{draft.model.id} in {draft.region_title}: {draft.offer.caution}")
    return []
