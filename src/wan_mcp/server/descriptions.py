"""What the agent reads about the tools: the server's instructions, argument help, and descriptions generated from
the catalog so they cannot drift from what validation enforces."""

from __future__ import annotations

import inspect
from typing import Annotated, Any

from mcp.server.mcpserver import Context
from pydantic import Field

from wan_mcp import catalog
from wan_mcp.catalog import MODES
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

ARGUMENT_HELP: dict[str, str] = {
    "mode": "What to make: t2v text→video, i2v animate one image, kf2v transition from first_frame to last_frame, "
    "r2v keep reference characters consistent, vace edit a video, s2v a portrait speaks an audio, animate a "
    "character follows a video.",
    "prompt": "What happens: subject, scene, motion, camera, lighting, style. Multi-shot: 'Shot 1 [0-3s]: …'.",
    "model": "A Wan model id (see list_modes); omit for the mode's default in your region.",
    "negative_prompt": "What to avoid (e.g. 'blurry, text, watermark').",
    "size": "Exact frame size W*H (size-style models, e.g. 1280*720). Or give resolution + aspect_ratio.",
    "resolution": "Quality tier: 480P, 720P or 1080P (default 720P: cheaper and faster than DashScope's 1080P).",
    "aspect_ratio": "16:9, 9:16, 1:1, 4:3, 3:4 (Wan 3.0 also 21:9, adaptive). i2v/kf2v follow the image instead.",
    "duration": "Output seconds; every second is billed (default 5).",
    "shot_type": "'multi' for several shots in one video (wan2.6 only; turns prompt_extend on).",
    "prompt_extend": "Let DashScope rewrite the prompt for richer detail (default on); false keeps your wording.",
    "audio": "Your soundtrack (WAV/MP3, 3–30 s, ≤ 15 MB): URL or local path. Cut if longer than the video, silence "
    "after it if shorter. For s2v: the speech or song that drives the portrait.",
    "generate_audio": f"Sound on/off for models with a switch ({', '.join(catalog.model_ids(audio='switch'))}).",
    "seed": "0–2147483647 for repeatable results; omit for random.",
    "watermark": "Add the 'AI生成' watermark (default false).",
    "image": "The image to animate (i2v first frame; s2v/animate the person): https URL, oss://, data: URI (i2v) "
    "or local path.",
    "first_frame": "kf2v (and VACE extension): the first frame image.",
    "last_frame": "kf2v: the last frame image.",
    "references": "r2v: 1–5 reference images/videos (≤ 3 videos), named character1, character2… in the prompt. "
    "Wan 3.0 also takes audio references.",
    "template": "Effect template name (wanx2.1 i2v/kf2v models, e.g. 'flying', 'hanfu-1'); replaces the prompt.",
    "function": "VACE: image_reference, video_repainting, video_edit, video_extension or video_outpainting.",
    "video": "VACE/animate/videoedit: the input video (MP4).",
    "mask_image": "VACE video_edit: mask image (white = edit, black = keep).",
    "mask_frame_id": "VACE video_edit: which frame mask_image belongs to (1 = first).",
    "mask_video": "VACE video_edit: a mask video instead of mask_image.",
    "ref_images": "VACE: reference images (image_reference 1–3; other functions 1).",
    "obj_or_bg": "VACE image_reference: for each ref image 'obj' (subject) or 'bg' (background, at most one).",
    "control_condition": "VACE: posebodyface, posebody, depth or scribble (repainting); '', posebodyface, depth.",
    "strength": "VACE video_repainting: 0–1 (default 1).",
    "mask_type": "VACE video_edit: tracking (default) or fixed.",
    "expand_ratio": "VACE video_edit: grow the mask by 0–1 (default 0.05).",
    "expand_mode": "VACE video_edit: hull (default), bbox or original.",
    "first_clip": f"VACE extension (≤ 3 s with last_clip) or {', '.join(catalog.takes('first_clip', 'i2v'))}: the clip "
    "to continue.",
    "last_clip": "VACE video_extension: the clip to lead into.",
    "top_scale": "VACE outpainting: 1.0–2.0.",
    "bottom_scale": "VACE outpainting: 1.0–2.0.",
    "left_scale": "VACE outpainting: 1.0–2.0.",
    "right_scale": "VACE outpainting: 1.0–2.0.",
    "quality": "animate: std (cheaper, default) or pro.",
    "check_image": "animate: pre-check the image (default true).",
    "audio_setting": f"{', '.join(catalog.takes('audio_setting'))}: auto (new sound) or origin (keep the input's "
    "sound).",
    "reference_voices": "r2v: a voice (WAV/MP3 URL or path) per reference, in the order of references; null for none.",
    "reference_file": "Wan 3.0: a document as reference (needs prompt_extend).",
    "reference_link": "Wan 3.0: a web page URL as reference (needs prompt_extend).",
}


def argument_modes() -> dict[str, list[str]]:
    """For each argument, the modes in which some model uses it (from the catalog)."""
    used: dict[str, set[str]] = {name: set() for name in VideoRequest.model_fields}
    for model in catalog.MODELS:
        if model.kind != "generation":
            continue
        for mode, spec in model.modes.items():
            for function in spec.functions or [None]:
                for name in arguments_used(model, mode, function):
                    used.setdefault(name, set()).add(mode)
    return {name: [m for m in MODES if m in modes] for name, modes in used.items()}


def argument_description(name: str, modes: list[str]) -> str:
    return f"{ARGUMENT_HELP.get(name, name)} [modes: {', '.join(modes)}]"


def submit_description() -> str:
    """The submit_video description, with limits taken from the catalog's default models."""
    lines = [
        "Submit a Wan video job (or, with dry_run=true, only validate it and return the exact request, the cost "
        "and the wait: nothing is sent). Billed per second of output video; failed tasks are not billed. Tell the "
        "user the cost and the expected wait before submitting. Requests that would fail or be silently changed "
        "(prompt too long, audio on a silent model, wrong size…) are refused before anything is spent, naming the "
        "argument and the fix.",
        "",
        "Defaults per mode (Beijing; list_modes shows every model and region):",
    ]
    for mode in MODES:
        model = catalog.default_model(mode, catalog.DEFAULT_REGION)
        if model is None:
            continue
        durations = model.durations_in(catalog.DEFAULT_REGION)
        length = durations.describe() if durations else "the input's length"
        sound = {"silent": "silent", "auto": "with sound", "switch": "sound on/off", "driven": "audio-driven"}[
            model.audio
        ]
        limit = f", prompt ≤ {model.prompt_max} chars" if model.prompt_max else ""
        lines.append(f"- {mode}: {model.id} — {length}, {sound}{limit}")
    lines += [
        "",
        f"wait_seconds (0–{MAX_WAIT_SECONDS}) holds the call with progress updates; the job continues either way. "
        "Result URLs and task ids die after 24 h: the video is downloaded as soon as it exists. After a client "
        "timeout, poll the task id: never resubmit.",
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
            annotation=Annotated[bool, Field(description="validate and price only; nothing is sent or paid")],
        )
    )
    parameters.append(
        inspect.Parameter(
            "allow_duplicate",
            inspect.Parameter.KEYWORD_ONLY,
            default=False,
            annotation=Annotated[
                bool,
                Field(
                    description="submit even if an identical job is pending, running or done within the last hour "
                    "(by default that job is returned instead of paying twice)"
                ),
            ],
        )
    )
    parameters.append(
        inspect.Parameter(
            "wait_seconds",
            inspect.Parameter.KEYWORD_ONLY,
            default=0,
            annotation=Annotated[
                int, Field(ge=0, le=MAX_WAIT_SECONDS, description="hold up to this long for the result, with progress")
            ],
        )
    )
    return inspect.Signature(parameters, return_annotation=SubmitView)
