"""The strict-arguments middleware: publishes every tool's closed input schema in `tools/list`, refuses a
`tools/call` whose raw arguments break it before anything runs (see `arguments`), passes on the arguments without
the nulls that mean "not given", and keeps the SDK's own error texts (pydantic's report, a bare "Error executing tool
X") from reaching the agent."""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from mcp.server import MCPServer
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.types import CallToolResult, Implementation, TextContent
from mcp_types import SERVER_INFO_META_KEY
from mcp_types.methods import serialize_server_result
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from wan_mcp.config import redact
from wan_mcp.errors import Problem
from wan_mcp.server.arguments import (
    PYDANTIC_REPORT,
    ToolSchema,
    echo,
    field_name,
    nearest_names,
    refusal_text,
    unique,
)


class StrictArguments:
    """Server middleware: publishes every tool's closed input schema in `tools/list`, refuses a `tools/call` whose
    arguments break it before anything runs, drops the nulls given for optional arguments (read as not given), and
    keeps the SDK's own error texts from reaching the agent."""

    def __init__(self, server: MCPServer[Any], secrets: tuple[str, ...] = ()) -> None:
        self._server = server
        self._secrets = secrets
        self._tools: dict[str, ToolSchema] = {}

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        params = ctx.params
        if ctx.request_id is not None and ctx.method == "tools/list":
            return await self._publish(await call_next(ctx))
        if ctx.request_id is None or ctx.method != "tools/call" or not isinstance(params, Mapping):
            return await call_next(ctx)
        name, arguments = params.get("name"), params.get("arguments")
        if not isinstance(name, str):
            return await call_next(ctx)
        tool, given = await self.tool(name), {} if arguments is None else arguments
        problems = [self._unknown_tool(name)] if tool is None else tool.problems(given)
        if problems:
            return self._refusal(ctx, refusal_text(problems))
        if tool is not None and isinstance(given, dict):
            passed = tool.without_optional_nulls(given)
            if len(passed) < len(given):  # the tool runs as if those arguments were not given
                given, ctx = passed, dataclasses.replace(ctx, params={**params, "arguments": passed})
        return self._without_library_text(name, given, await call_next(ctx))

    async def tool(self, name: str) -> ToolSchema | None:
        """The closed schema of the tool `name` as published (None when there is no such tool)."""
        if name not in self._tools:
            listed = await self._server.list_tools()
            self._tools = {t.name: ToolSchema.of(t.name, t.input_schema) for t in listed}
        return self._tools.get(name)

    async def _publish(self, result: HandlerResult) -> HandlerResult:
        """The tools/list answer with each tool's input schema closed: the very schema calls are checked against."""
        if not isinstance(result, dict) or not isinstance(result.get("tools"), list):
            return result
        tools = []
        for listed in result["tools"]:
            tool = await self.tool(listed.get("name", "")) if isinstance(listed, dict) else None
            tools.append({**listed, "inputSchema": copy.deepcopy(tool.schema)} if tool is not None else listed)
        return {**result, "tools": tools}

    def _unknown_tool(self, name: str) -> Problem:
        nearest = nearest_names(name, list(self._tools))
        fix = f"did you mean `{nearest[0]}`?" if nearest else "call tools/list for the tools this server has."
        return Problem("name", "unknown_tool", f"this server has no tool `{echo(name)}`.", fix)

    def _refusal(self, ctx: ServerRequestContext[Any, Any], text: str) -> dict[str, Any]:
        """An error result in the wire shape of this connection's protocol era: answering without the handler, the
        middleware owns the envelope (the SDK's per-version sieve, and the serverInfo stamp of 2026-era results)."""
        result = CallToolResult(content=[TextContent(type="text", text=redact(text, self._secrets))], is_error=True)
        dumped = result.model_dump(by_alias=True, mode="json", exclude_none=True)
        version = ctx.protocol_version
        with contextlib.suppress(KeyError, ValueError):  # an unknown version keeps the plain dump
            dumped = serialize_server_result("tools/call", version, dumped)
        if version in MODERN_PROTOCOL_VERSIONS:
            fields = ("name", "version", "title", "description", "website_url", "icons")
            info = Implementation(**{key: getattr(self._server, key) for key in fields})
            stamp = {SERVER_INFO_META_KEY: info.model_dump(by_alias=True, mode="json", exclude_none=True)}
            dumped = {"resultType": "complete", **dumped, "_meta": {**dumped.get("_meta", {}), **stamp}}
        return dumped

    def _without_library_text(self, name: str, arguments: dict[str, Any], result: HandlerResult) -> HandlerResult:
        """The tool's answer, with the SDK's own error texts (pydantic's report when its validation still fails,
        a bare "Error executing tool X" for a crash, that prefix before our own errors) replaced by ours."""
        if not isinstance(result, dict) or not result.get("isError"):
            return result
        content = result.get("content")
        if not isinstance(content, list) or not content or not isinstance(content[0], dict):
            return result
        text = content[0].get("text")
        replacement = self._replacement(name, arguments, text) if isinstance(text, str) else None
        if replacement is None:
            return result
        first = {**content[0], "text": redact(replacement, self._secrets)}
        return {**result, "content": [first, *content[1:]]}

    def _replacement(self, name: str, arguments: dict[str, Any], text: str) -> str | None:
        prefix = f"Error executing tool {name}"
        report = text.removeprefix(prefix + ": ")
        if text.startswith(prefix + ": ") and PYDANTIC_REPORT.match(report):
            return refusal_text(self._pydantic_problems(name, arguments, report))
        if text == prefix or "errors.pydantic.dev" in text or PYDANTIC_REPORT.search(text):
            return (
                f"internal_error ({name}): wan-mcp failed unexpectedly; the details are in its log. Fix: check the "
                "values given (a path or id that cannot exist?); before calling a paid tool again, call list_tasks: a "
                "job may have started."
            )
        if text.startswith(prefix + ": "):
            return report  # our own refusal or error, without the SDK's "Error executing tool X: " before it
        return None

    def _pydantic_problems(self, name: str, arguments: dict[str, Any], report: str) -> list[Problem]:
        """The fields the SDK's validation refused (its report's unindented lines), described by the schema; a text
        that is itself a JSON array or object was decoded by the SDK (it does so for every non-`str` parameter)."""
        tool, problems = self._tools.get(name), []
        for line in (line.strip() for line in report.splitlines()[1:] if line and not line[0].isspace()):
            parts = [int(p) if p.isdigit() else p for p in line.split(".")]
            accepted = tool.describe(tool.schema.get("properties", {}).get(parts[0])) if tool else "another value"
            message, fix = f"the value does not fit this argument; accepted {accepted}.", "give a value of that kind."
            problem = Problem(field_name(parts), "invalid_value", message, fix)
            if len(parts) == 1 and _json_container(arguments.get(line)):
                message = "this text is itself a JSON array or object, which the MCP SDK decodes before use."
                problem = Problem(problem.field, "json_text", message, "put a word before it, e.g. 'Scene: …'.")
            problems.append(problem)
        fallback = Problem("arguments", "invalid_value", "they do not fit the tool.", "check them against tools/list.")
        return unique(problems) or [fallback]


def _json_container(value: Any) -> bool:
    """Whether `value` is a text holding a JSON array or object."""
    with contextlib.suppress(ValueError, RecursionError):
        return isinstance(value, str) and isinstance(json.loads(value), list | dict)
    return False
