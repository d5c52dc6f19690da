"""The tool list as published, built once per installed version: a start answers initialize and tools/list from it
without importing the tools, the planner or the service, and each tool is built for real at its first call.

Building the tools (nine argument models and their schemas) and importing what they need costs more than the rest of
a start together. What they publish depends only on the code (the catalog is code) and on whether the media extra is
installed, so it is kept in the data folder under a fingerprint of exactly that: the package's files (path, size,
modification time), the Python, pydantic and MCP SDK in use, and the extra. Any change builds it again.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import mcp
import pydantic
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata
from mcp.types import ToolAnnotations
from pydantic import PrivateAttr

import wan_mcp
from wan_mcp import extras

if TYPE_CHECKING:
    from mcp.server.mcpserver.context import Context

log = logging.getLogger("wan_mcp.server")

FORMAT = 1  # of the cache file; a change of what is stored bumps it
CACHE_NAME = "published-tools.json"


class _NoArguments(ArgModelBase):
    """The placeholder argument model of a tool not built yet (its real one checks the call)."""


_PLACEHOLDER = FuncMetadata(arg_model=_NoArguments)


class DeferredTool(Tool):
    """A published tool whose function and argument model are built at its first call, then run as built."""

    _built: Callable[[], dict[str, Tool]] = PrivateAttr()

    async def run(self, arguments: dict[str, Any], context: Context[Any, Any], convert_result: bool = False) -> Any:
        return await self._built()[self.name].run(arguments, context, convert_result)


@dataclass(frozen=True)
class Published:
    """What the server publishes: its instructions and each tool as tools/list shows it (before strict closing)."""

    instructions: str
    tools: list[dict[str, Any]]

    def deferred(self, build: Callable[[], list[Tool]]) -> list[Tool]:
        """The published tools, each running the tool `build` makes (called once, at the first call)."""
        built = functools.cache(lambda: {tool.name: tool for tool in build()})
        listed: list[Tool] = []
        for entry in self.tools:
            annotations = entry.get("annotations")
            tool = DeferredTool(
                fn=_never_called,
                name=entry["name"],
                title=entry.get("title"),
                description=entry["description"],
                parameters=entry["parameters"],
                fn_metadata=_PLACEHOLDER,
                is_async=True,
                annotations=ToolAnnotations.model_validate(annotations) if annotations is not None else None,
                meta=entry.get("meta"),
            )
            tool._built = built
            listed.append(tool)
        return listed


async def _never_called(**_: Any) -> None:
    raise AssertionError("a deferred tool runs the tool it builds")


def of_tools(instructions: str, tools: list[Tool]) -> Published:
    """What these built tools publish."""
    entries = [
        {
            "name": tool.name,
            "title": tool.title,
            "description": tool.description,
            "parameters": tool.parameters,
            "annotations": tool.annotations.model_dump(mode="json") if tool.annotations is not None else None,
            "meta": tool.meta,
        }
        for tool in tools
    ]
    return Published(instructions, entries)


def fingerprint() -> str:
    """What the published tools depend on: the package's files, the Python, pydantic and MCP SDK, the media extra."""
    package = Path(wan_mcp.__file__).parent
    digest = hashlib.sha256(repr((FORMAT, sys.version, pydantic.VERSION, extras.media_installed())).encode())
    sdk = Path(mcp.__file__)
    for path in [sdk, *sorted(package.rglob("*"))]:
        if path.suffix in (".py", ".html", ".md", ".json") and "__pycache__" not in path.parts:
            found = path.stat()
            digest.update(f"{path}\0{found.st_size}\0{found.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def load(folder: Path, build: Callable[[], Published]) -> Published:
    """The published tools kept in `folder` when they match this installation, else built and kept there (a folder
    that cannot be written only means building again at the next start)."""
    path, key = folder / CACHE_NAME, fingerprint()
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        kept = json.loads(path.read_text(encoding="utf-8"))
        if kept["fingerprint"] == key:
            return Published(kept["instructions"], kept["tools"])
    published = build()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{CACHE_NAME}.{os.getpid()}.partial")
        record = {"fingerprint": key, "instructions": published.instructions, "tools": published.tools}
        partial.write_text(json.dumps(record, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        os.replace(partial, path)  # whole or not at all, also with several servers starting at once
    except OSError as exc:
        log.info("the published tools cannot be kept in %s (%s); they are built at each start", folder, exc)
    return published
