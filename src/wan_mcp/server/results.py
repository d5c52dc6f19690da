"""Tool results as the agent reads them: one compact JSON text that leads with the message to relay, without null
or empty fields, each fact once; plus a delivered job's contact sheet and a link to its full record.

What is left out is not lost: a job's full record (request, actual prompt, usage, URLs, history) is the resource
`wan://tasks/{id}`. Rules: a text the message already says is not sent again as a field (numbers stay, as the
machine form of what the message rounds); facts derived from others (usage, a count, an echo of the caller's own
prompt) are not sent; a delivered job is its local file, not its expiring URL.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from typing import Any

from mcp.types import CallToolResult, ContentBlock, ImageContent, ResourceLink, TextContent
from pydantic import BaseModel

from wan_mcp.views import CancelView, EstimateView, SubmitView, TaskList, TaskView

_ECHOES = ("prompt", "created_at")  # what the caller gave or knows; kept in lists, where they tell jobs apart
_NEVER = ("expected_wait_text", "task_id_valid_until", "verified", "actual_prompt", "usage")
_VIDEO_FACTS = ("duration", "width", "height", "fps", "has_audio")
_CHAIN_MODES = ("long", "extend")


def compact(value: Any) -> Any:
    """The value without None, empty strings, lists or objects, at any depth (False and 0 are kept)."""
    if isinstance(value, dict):
        kept = {k: compact(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v is not None and v not in ("", [], {})}
    if isinstance(value, list):
        return [compact(v) for v in value]
    return value


def text_result(
    data: dict[str, Any], extra: Iterable[ContentBlock] = (), meta: dict[str, Any] | None = None
) -> CallToolResult:
    """A result whose text is `data` as compact JSON, its message first (`meta`: for the host, not the model)."""
    ordered = {"message": data["message"], **data} if "message" in data else data
    text = json.dumps(compact(ordered), ensure_ascii=False, separators=(",", ":"))
    return CallToolResult(content=[TextContent(type="text", text=text), *extra], _meta=meta)


def model_result(view: BaseModel) -> CallToolResult:
    """A view as it is (frames, merges, modes): already one fact per field."""
    return text_result(view.model_dump(mode="json"))


def task_brief(view: TaskView, *, listed: bool = False) -> dict[str, Any]:
    """A job's facts for a tool result (in a list, also its prompt and creation time)."""
    data = view.model_dump(mode="json", exclude={*_NEVER, *(() if listed else _ECHOES)})
    data = {"message": data.pop("message"), **data}
    if view.cost is None:
        data.pop("currency")  # of no amount
    if view.local_path:  # delivered: the file, not the URL that dies in 24 h
        data.pop("video_url", None)
        data.pop("video_url_expires_at", None)
    if view.error is not None:
        data["error"] = {
            k: v for k, v in data["error"].items() if k not in ("message", "fix") or str(v) not in view.message
        }
    if view.video is not None:
        data["video"] = {k: view.video[k] for k in _VIDEO_FACTS if k in view.video}
    if view.segments is not None:
        data["segments"] = [{k: v for k, v in s.items() if k not in ("index", "prompt")} for s in view.segments]
    return data


def task_result(view: TaskView, sheet: bytes | None = None, meta: dict[str, Any] | None = None) -> CallToolResult:
    """poll_task, make_long_video, extend_video: the job, its contact sheet once delivered, a link to its record
    (`meta`: what an MCP Apps player shows beside it)."""
    extra: list[ContentBlock] = []
    if sheet is not None:
        extra.append(ImageContent(type="image", data=base64.b64encode(sheet).decode(), mime_type="image/jpeg"))
    if view.mode not in _CHAIN_MODES:  # a single job has a record; a chain's parts each have theirs
        extra.append(
            ResourceLink(type="resource_link", uri=f"wan://tasks/{view.task_id or view.handle}", name="job record")
        )
    return text_result(task_brief(view), extra, meta)


def estimate_brief(estimate: EstimateView) -> dict[str, Any]:
    """A quote's numbers (its wait and cost in words are the message's)."""
    data = estimate.model_dump(mode="json", exclude={"wait_text", "price_source"})
    if estimate.output_seconds == estimate.billed_seconds:
        data.pop("output_seconds")
    if estimate.size:
        data.pop("resolution")  # the size says it
    return data


def submit_result(view: SubmitView, meta: dict[str, Any] | None = None) -> CallToolResult:
    """submit_video: the plan (and for a dry run the exact request), then the job it started."""
    data: dict[str, Any] = {
        "message": view.message,
        "dry_run": view.dry_run or None,
        "mode": view.mode,
        "model": view.model,
        "estimate": estimate_brief(view.estimate),
        "notes": view.notes,
        "request": view.request if view.dry_run else None,  # once sent, it is in the job's record
    }
    if view.task is not None:
        task = task_brief(view.task)
        for said in ("message", "mode", "model"):
            task.pop(said, None)
        data["task"] = task
    return text_result(data, meta=meta)


def list_result(listing: TaskList) -> CallToolResult:
    """list_tasks: how many, then each job with its prompt and creation time."""
    count = len(listing.tasks)
    message = f"{count} job{'' if count == 1 else 's'}, newest first." + (f" {listing.note}." if listing.note else "")
    return text_result({"message": message, "tasks": [task_brief(t, listed=True) for t in listing.tasks]})


def cancel_result(view: CancelView) -> CallToolResult:
    """cancel_task: the job and its status (a cancellation that fails is an error, so this one succeeded)."""
    return text_result(view.model_dump(mode="json", exclude={"canceled"}))
