"""The tools as registered: each tool function with its title, annotations and description (`tool_specs`), built into
the SDK's tools with lean input schemas, our error format and the confirmation gate (`build_tools`). Imported only
when the tools are built: at the first start of an installation, then at a tool's first call (see `published`)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.types import ToolAnnotations

from wan_mcp import catalog, extras
from wan_mcp.config import redact
from wan_mcp.errors import RequestInvalid, WanMcpError
from wan_mcp.server import confirm, player, tools
from wan_mcp.server.descriptions import INSTRUCTIONS, submit_description, submit_signature
from wan_mcp.server.published import Published, of_tools
from wan_mcp.server.schemas import lean_schema

# Hints equal to the spec's defaults (readOnly false, destructive true, idempotent false, openWorld true) are left
# out; every tool still says readOnlyHint or destructiveHint outright (directories look for one of them).
_READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)
_PAID = ToolAnnotations(destructive_hint=False)
_PLAYER = {"meta": player.TOOL_META}  # hosts with MCP Apps show the player beside these tools' results
_LOCAL = ToolAnnotations(destructive_hint=False, open_world_hint=False)


@dataclass(frozen=True)
class ToolSpec:
    """A tool as registered: its function, title, annotations and (when not its docstring) description."""

    fn: Callable[..., Awaitable[Any]]
    title: str
    annotations: ToolAnnotations
    description: str | None = None
    media: bool = False  # needs the media extra
    options: dict[str, Any] = field(default_factory=dict)
    present: Callable[[Any, Any], Awaitable[Any]] | None = None  # the function's view → the tool's result


def _media_note() -> str:
    return "" if extras.media_installed() else " Needs: pip install 'wan-mcp[media]'."


def tool_specs() -> list[ToolSpec]:
    """Every tool, in the order clients list them."""
    tools.submit_video.__signature__ = submit_signature()  # type: ignore[attr-defined]
    return [
        ToolSpec(tools.list_modes, "List Wan modes and models", _READ_ONLY),
        ToolSpec(
            tools.submit_video,
            "Submit a Wan video job",
            _PAID,
            submit_description(),
            options=_PLAYER,
            present=tools.present_submit,
        ),
        ToolSpec(
            tools.poll_task,
            "Check (and wait for) a video job",
            ToolAnnotations(destructive_hint=False, idempotent_hint=True),
            options=_PLAYER,
        ),
        ToolSpec(tools.list_tasks, "List video jobs", _READ_ONLY),
        ToolSpec(
            tools.cancel_task,
            "Cancel a queued video job",
            ToolAnnotations(destructive_hint=True, idempotent_hint=True),
        ),
        ToolSpec(
            tools.extract_frame,
            "Take a frame from a video",
            ToolAnnotations(destructive_hint=False, idempotent_hint=True, open_world_hint=False),
            "Save the first, the last (for chaining) or the frame at a time of a finished job's video or a local "
            "video as a PNG, ready to pass as image (i2v) or first_frame/last_frame (kf2v).",
            media=True,
        ),
        ToolSpec(
            tools.merge_media,
            "Join videos, add a soundtrack",
            _LOCAL,
            "Join videos in order into one MP4 (streams copied when they match, else re-encoded), optionally with a "
            "soundtrack; its duration is verified against the inputs. The way to add sound to a silent kf2v or VACE "
            "video.",
            media=True,
        ),
        ToolSpec(
            tools.make_long_video,
            "Make a video longer than one clip",
            _PAID,
            "A film of several shots, each a paid job (the first from text or image, each next from the last frame "
            "before it) joined into one verified MP4. dry_run=true prices it all. Calling again with the same shots "
            "resumes without paying twice. Poll the handle with poll_task. Up to 30 s in one job: submit_video with "
            f"{catalog.longest_model('t2v').id}.",
            media=True,
            options=_PLAYER,
            present=tools.present_chain,
        ),
        ToolSpec(
            tools.extend_video,
            "Extend a video",
            _PAID,
            "Continue a finished video (task id, handle or local file) from its last frame (i2v) or its last clip "
            "(VACE), joined to it in one verified MP4. A paid job: dry_run=true prices it; poll the handle with "
            "poll_task.",
            media=True,
            options=_PLAYER,
            present=tools.present_chain,
        ),
    ]


def tool_error(exc: WanMcpError, secrets: tuple[str, ...]) -> ToolError:
    """The client's tool error for one of ours: every problem with its field and fix (the key redacted)."""
    if isinstance(exc, RequestInvalid):
        lines = [f"{p.code} ({p.field}): {p.message} Fix: {p.fix}" for p in exc.problems]
        return ToolError(redact("Refused before anything was sent or paid:\n" + "\n".join(lines), secrets))
    return ToolError(redact(f"{exc.code}: {exc.message} Fix: {exc.fix}", secrets))


def guarded(fn: Callable[..., Awaitable[Any]], secrets: tuple[str, ...]) -> Callable[..., Awaitable[Any]]:
    """The tool function, with a WanMcpError it raises turned into the client's ToolError in our format."""

    @functools.wraps(fn)
    async def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return await fn(*args, **kwargs)
        except WanMcpError as exc:
            raise tool_error(exc, secrets) from None

    return call


def presented(
    fn: Callable[..., Awaitable[Any]], present: Callable[[Any, Any], Awaitable[Any]]
) -> Callable[..., Awaitable[Any]]:
    """The tool function whose view (after any confirmation gate) becomes the tool's result through `present`."""

    @functools.wraps(fn)
    async def call(*args: Any, **kwargs: Any) -> Any:
        return await present(kwargs["ctx"], await fn(*args, **kwargs))

    return call


def build_tools(secrets: tuple[str, ...]) -> list[Tool]:
    """Every tool as published: its lean input schema (closed sets as enums) and no output schema (a result is one
    compact JSON text, see `results.py`)."""
    built = []
    for spec in tool_specs():
        description = spec.description or inspect.cleandoc(spec.fn.__doc__ or "")
        fn = confirm.gate_tool(spec.fn) if spec.fn.__name__ in confirm.PAID_TOOLS else spec.fn
        fn = presented(fn, spec.present) if spec.present is not None else fn
        tool = Tool.from_function(
            guarded(fn, secrets),
            title=spec.title,
            description=description + (_media_note() if spec.media else ""),
            annotations=spec.annotations,
            structured_output=False,
            **spec.options,
        )
        tool.parameters = lean_schema(tool.parameters)
        built.append(tool)
    return built


def published(secrets: tuple[str, ...]) -> Published:
    """What the server publishes, built from the tools."""
    return of_tools(INSTRUCTIONS, build_tools(secrets))
