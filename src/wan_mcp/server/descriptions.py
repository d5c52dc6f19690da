"""What the agent reads about the tools: the server's instructions, argument help, and descriptions generated from
the catalog so they cannot drift from what validation enforces."""

from __future__ import annotations

import inspect
from typing import Annotated, Any

from mcp.server.mcpserver import Context
from pydantic import Field

from wan_mcp import catalog
from wan_mcp.catalog import MODES
from wan_mcp.catalog_views import SOUND_WORDS
from wan_mcp.requests import VideoRequest, arguments_used
from wan_mcp.service import MAX_WAIT_SECONDS
from wan_mcp.views import SubmitView

INSTRUCTIONS = """\
wan-mcp makes videos with Alibaba's Wan models (DashScope). Workflow:
1. Pick a mode (list_modes, or the wan://modes resource): t2v text, i2v one image, kf2v first+last frame,
   r2v reference characters, vace edit a video, s2v talking portrait, animate a character.
2. Call submit_video with dry_run=true and tell the user the cost and the expected wait; submit after they agree.
3. Every job takes 1–10 minutes: call poll_task with the task_id and wait_seconds (≤ 50) until it is done. If a
   call times out, poll the same task_id again: never resubmit (that pays twice).
4. When done, poll_task gives the local file (downloaded and SHA-256 verified); result URLs die after 24 hours.
Failed tasks are not billed; errors say what to do. kf2v and VACE are silent."""

WAIT_HELP = "hold the call up to this long, with progress"
DRY_RUN_HELP = "price only: nothing is sent or paid"

ARGUMENT_HELP: dict[str, str] = {
    "mode": "t2v text, i2v one image, kf2v first+last frame, r2v reference characters, vace edit a video, s2v "
    "talking portrait, animate a character moves like a video.",
    "prompt": "Subject, scene, motion, camera, lighting, style. Multi-shot: 'Shot 1 [0-3s]: …'.",
    "model": "A model id from list_modes; default: the mode's default in your region.",
    "negative_prompt": "What to avoid.",
    "size": "Exact W*H (size-style models); or give resolution and aspect_ratio.",
    "resolution": "Default 720P (cheaper, faster than DashScope's 1080P).",
    "aspect_ratio": "21:9, adaptive: Wan 3.0 only. From an image its ratio is kept.",
    "duration": "Seconds, each billed (default 5).",
    "shot_type": "multi: several shots in one video (wan2.6; turns prompt_extend on).",
    "prompt_extend": "DashScope enriches the prompt (default on); false keeps your wording.",
    "audio": "Your soundtrack (WAV/MP3, 3–30 s, ≤ 15 MB; URL or local path), cut to the video or padded with "
    "silence. s2v: the speech or song.",
    "generate_audio": "Sound on/off where the model has a switch.",
    "seed": "0–2147483647 for repeatable results.",
    "watermark": "Add the 'AI生成' watermark (default false).",
    "image": "i2v: the first frame; s2v/animate: the person. URL, oss://, data: URI (i2v) or local path.",
    "first_frame": "The first frame image.",
    "last_frame": "The last frame image.",
    "references": "1–5 images/videos (≤ 3 videos), called character1, character2… in the prompt (Wan 3.0: also audio).",
    "template": "Effect template (wanx2.1, e.g. 'flying'); replaces the prompt.",
    "function": f"The VACE function (required for {', '.join(catalog.takes('function'))}).",
    "video": "The input video (MP4).",
    "mask_image": "video_edit: the mask (white = edit, black = keep).",
    "mask_frame_id": "video_edit: the frame mask_image is for (1 = first).",
    "mask_video": "video_edit: a mask video instead of mask_image.",
    "ref_images": "Reference images (image_reference 1–3, other functions 1).",
    "obj_or_bg": "image_reference: per ref image, subject (obj) or background (bg, at most one).",
    "control_condition": "video_repainting: any but ''; video_edit, video_extension: '', posebodyface or depth.",
    "strength": "video_repainting: 0–1 (default 1).",
    "mask_type": "video_edit (default tracking).",
    "expand_ratio": "video_edit: grow the mask by 0–1 (default 0.05).",
    "expand_mode": "video_edit (default hull).",
    "first_clip": "The clip to continue (VACE: ≤ 3 s with last_clip).",
    "last_clip": "video_extension: the clip to lead into.",
    "top_scale": "video_outpainting: 1.0–2.0.",
    "bottom_scale": "video_outpainting: 1.0–2.0.",
    "left_scale": "video_outpainting: 1.0–2.0.",
    "right_scale": "video_outpainting: 1.0–2.0.",
    "quality": "Default std (cheaper).",
    "check_image": "Pre-check the image (default true).",
    "audio_setting": f"{', '.join(catalog.takes('audio_setting'))}: auto makes new sound, origin keeps the input's.",
    "reference_voices": "A voice (WAV/MP3 URL or path) per reference, in their order; null for none.",
    "reference_file": "Wan 3.0: a document as reference (needs prompt_extend).",
    "reference_link": "Wan 3.0: a web page as reference (needs prompt_extend).",
}


def argument_modes() -> dict[str, list[str]]:
    """For each argument, the modes in which some model uses it (from the catalog); generate_audio only where a
    model has a sound switch (elsewhere it is accepted and has nothing to change)."""
    used: dict[str, set[str]] = {name: set() for name in VideoRequest.model_fields}
    for model in catalog.MODELS:
        if model.kind != "generation":
            continue
        for mode, spec in model.modes.items():
            for function in spec.functions or [None]:
                for name in arguments_used(model, mode, function):
                    if name != "generate_audio" or model.audio == "switch":
                        used.setdefault(name, set()).add(mode)
    return {name: [m for m in MODES if m in modes] for name, modes in used.items()}


def argument_description(name: str, modes: list[str]) -> str:
    """The argument's help after the modes that use it: none named when every mode does (or the help names a VACE
    function), the modes that do not when they are fewer."""
    help_text = ARGUMENT_HELP.get(name, name)
    others = [m for m in MODES if m not in modes]
    if not others or (modes == ["vace"] and help_text.startswith(tuple(catalog.VACE_FUNCTIONS))):
        return help_text  # a VACE function's name says the mode
    return f"[not {' '.join(others)}] {help_text}" if len(others) < len(modes) else f"[{' '.join(modes)}] {help_text}"


def submit_description() -> str:
    """The submit_video description, with limits taken from the catalog's default models."""
    lines = [
        "Make a Wan video: a paid job, billed per second of output (failed tasks are not). First call it with "
        "dry_run=true (validates, returns the exact request, cost and wait, sends nothing), tell the user the cost "
        "and the wait, and submit once they agree. A request that would fail or be silently changed (prompt too "
        "long, audio on a silent model, wrong size…) is refused before anything is spent, with the fix.",
        "",
        "Default models (Beijing; list_modes has all):",
    ]
    for mode in MODES:
        model = catalog.default_model(mode, catalog.DEFAULT_REGION)
        if model is None:
            continue
        durations = model.durations_in(catalog.DEFAULT_REGION)
        length = durations.describe() if durations else "the input's length"
        sound = SOUND_WORDS[model.audio]
        limit = f", prompt ≤ {model.prompt_max}" if model.prompt_max else ""
        lines.append(f"- {mode}: {model.id} — {length}, {sound}{limit}")
    lines += [
        "",
        "wait_seconds holds the call with progress; the job goes on either way and its video is downloaded as soon "
        "as it exists (result URLs die after 24 h). After a client timeout, poll the task id: never resubmit.",
    ]
    return "\n".join(lines)


def submit_signature() -> inspect.Signature:
    """submit_video's parameters: every request argument (documented from the catalog), dry_run, wait_seconds."""
    modes = argument_modes()
    parameters = [inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context[Any])]
    for name, info in VideoRequest.model_fields.items():
        annotation = Annotated[info.annotation, Field(description=argument_description(name, modes.get(name, [])))]  # type: ignore[name-defined]
        parameters.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation))
    parameters.append(
        inspect.Parameter(
            "dry_run",
            inspect.Parameter.KEYWORD_ONLY,
            default=False,
            annotation=Annotated[bool, Field(description=DRY_RUN_HELP)],
        )
    )
    parameters.append(
        inspect.Parameter(
            "allow_duplicate",
            inspect.Parameter.KEYWORD_ONLY,
            default=False,
            annotation=Annotated[
                bool,
                Field(description="submit even if an identical job ran in the last hour"),
            ],
        )
    )
    parameters.append(
        inspect.Parameter(
            "wait_seconds",
            inspect.Parameter.KEYWORD_ONLY,
            default=0,
            annotation=Annotated[int, Field(ge=0, le=MAX_WAIT_SECONDS, description=WAIT_HELP)],
        )
    )
    return inspect.Signature(parameters, return_annotation=SubmitView)
