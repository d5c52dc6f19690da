"""`plan_request`: the planning steps in order, from raw arguments to a `Plan` (or one refusal naming every problem)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from wan_mcp import catalog
from wan_mcp.catalog import RegionId
from wan_mcp.errors import RequestInvalid
from wan_mcp.requests.arguments import VideoRequest, parse_arguments
from wan_mcp.requests.choose import choose_function, choose_model_and_mode
from wan_mcp.requests.draft import Draft
from wan_mcp.requests.estimate import estimate
from wan_mcp.requests.frame import choose_duration, choose_frame, choose_prompt_extend
from wan_mcp.requests.media import collect_media
from wan_mcp.requests.notes import plan_notes
from wan_mcp.requests.plan import HttpRequest, PendingUpload, Plan
from wan_mcp.requests.rules import run_rules
from wan_mcp.requests.support import arguments_used
from wan_mcp.requests.transport import decide_transport
from wan_mcp.requests.wire import Pointer, build_body, headers_for


def plan_request(
    args: Mapping[str, Any] | VideoRequest,
    *,
    region: RegionId = catalog.DEFAULT_REGION,
    input_dir: Path | None = None,
    allowed_dirs: tuple[Path, ...] | None = None,
) -> Plan:
    """Validate a request for a region and build the exact DashScope request; raise RequestInvalid if doomed.

    `allowed_dirs` limits which local files may be read (None: any).
    """
    request = args if isinstance(args, VideoRequest) else parse_arguments(args)
    draft = _draft(request, region, input_dir, allowed_dirs)
    collect_media(draft)
    choose_frame(draft)
    choose_duration(draft)
    choose_prompt_extend(draft)
    run_rules(draft)
    decide_transport(draft)
    if draft.problems:
        raise RequestInvalid(draft.problems)
    return _plan(draft)


def _draft(
    request: VideoRequest, region: RegionId, input_dir: Path | None, allowed_dirs: tuple[Path, ...] | None
) -> Draft:
    notes: list[str] = []
    model, mode = choose_model_and_mode(request, region, notes)
    function = choose_function(model, mode, request)
    draft = Draft(
        request,
        region,
        model,
        mode,
        function,
        arguments_used(model, mode, function),
        input_dir=input_dir,
        allowed_dirs=allowed_dirs,
    )
    draft.notes.extend(notes)
    return draft


def _plan(draft: Draft) -> Plan:
    body, pointers = build_body(draft)
    uploads = _uploads(draft, pointers)
    path = catalog.API_PREFIX + catalog.ENDPOINT_PATHS[draft.model.endpoint]
    estimated = estimate(draft)
    return Plan(
        mode=draft.mode,
        model=draft.model.id,
        model_name=draft.offer.name,
        region=draft.region,
        function=draft.function,
        request=HttpRequest("POST", path, headers_for(draft, len(uploads)), body),
        uploads=uploads,
        estimate=estimated,
        notes=tuple(plan_notes(draft, estimated, len(uploads))),
        arguments=_effective_arguments(draft),
    )


def _uploads(draft: Draft, pointers: dict[str, Pointer]) -> tuple[PendingUpload, ...]:
    uploads = []
    for name, source in draft.sources.items():
        if name not in draft.to_upload:
            continue
        size = source.info.size_bytes if source.info else None
        data_uri = source.raw if source.kind == "data" else None
        uploads.append(PendingUpload(name.split("[")[0], pointers[name], source.path, size, data_uri=data_uri))
    return tuple(uploads)


def _effective_arguments(draft: Draft) -> dict[str, Any]:
    args = dict(draft.given)
    args |= {"mode": draft.mode, "model": draft.model.id}
    chosen = {
        "size": draft.size,
        "resolution": draft.tier,
        "aspect_ratio": draft.ratio if draft.model.param_style != "size" else None,
        "duration": draft.duration,
        "prompt_extend": draft.prompt_extend,
        "quality": draft.quality,
    }
    args |= {name: value for name, value in chosen.items() if value is not None}
    return args
