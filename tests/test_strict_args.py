"""Strict tool arguments: closing schemas, checking arguments against any published schema shape (enum, anyOf-null,
nested objects, arrays, $defs/$ref), the wording of refusals, and the middleware on a small MCP server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

import pytest
from mcp import Client
from mcp.server import MCPServer
from mcp.server.context import ServerRequestContext
from pydantic import AfterValidator, BaseModel, Field

from wan_mcp.errors import Problem
from wan_mcp.server.arguments import MAX_PROBLEM_LINES, REFUSED, ToolSchema, close_schema, nearest_names, refusal_text
from wan_mcp.server.strict import StrictArguments

MODES = ["t2v", "i2v", "kf2v"]
SHOT = {"type": "object", "properties": {"prompt": {"type": "string"}, "duration": {"type": "integer"}}}
# The shape pydantic publishes today (anyOf with null, $defs) and the slimmer one planned (enum, no null branch).
TODAY = {
    "type": "object",
    "properties": {
        "mode": {"anyOf": [{"enum": MODES, "type": "string"}, {"type": "null"}], "default": None},
        "duration": {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": None},
        "strength": {"anyOf": [{"type": "number"}, {"type": "null"}], "default": None},
        "dry_run": {"type": "boolean", "default": False},
        "wait_seconds": {"type": "integer", "minimum": 0, "maximum": 50, "default": 0},
        "references": {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}]},
        "shots": {"type": "array", "items": {"$ref": "#/$defs/Shot"}},
        "aspect_ratio": {"type": "string"},
        "expand_ratio": {"type": "number"},
        "negative_prompt": {"type": "string"},
    },
    "$defs": {"Shot": {**SHOT, "required": ["prompt"]}},
}
SLIM = {
    "type": "object",
    "properties": {
        "mode": {"type": "string", "enum": MODES},
        "duration": {"type": "integer"},
        "strength": {"type": "number"},
        "dry_run": {"type": "boolean"},
        "wait_seconds": {"type": "integer", "minimum": 0, "maximum": 50},
        "references": {"type": "array", "items": {"type": "string"}},
        "shots": {"type": "array", "items": {**SHOT, "required": ["prompt"]}},
        "aspect_ratio": {"type": "string"},
        "expand_ratio": {"type": "number"},
        "negative_prompt": {"type": "string"},
    },
}


def lines(schema: dict[str, Any], arguments: Any) -> list[str]:
    """The refusal lines for `arguments` against `schema` (empty when accepted)."""
    problems = ToolSchema.of("submit", schema).problems(arguments)
    return [f"{p.code} ({p.field}): {p.message} Fix: {p.fix}" for p in problems]


def test_closing_a_schema_closes_every_object_and_leaves_open_maps_alone() -> None:
    """The root, $defs, array items and anyOf branches are closed; dict-like objects and the original are not."""
    original = {
        "type": "object",
        "properties": {
            "a": {"anyOf": [{"type": "object", "properties": {"x": {"type": "string"}}}, {"type": "null"}]},
            "b": {"type": "array", "items": {"$ref": "#/$defs/B"}},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "anything": {"type": "object"},
        },
        "$defs": {"B": {"type": "object", "properties": {"y": {"type": "integer"}}}},
    }
    before = json.dumps(original)
    closed = close_schema(original)
    assert json.dumps(original) == before
    assert closed["additionalProperties"] is False
    assert closed["properties"]["a"]["anyOf"][0]["additionalProperties"] is False
    assert closed["$defs"]["B"]["additionalProperties"] is False
    assert closed["properties"]["labels"]["additionalProperties"] == {"type": "string"}
    assert "additionalProperties" not in closed["properties"]["anything"]


@pytest.mark.parametrize("schema", [TODAY, SLIM], ids=["anyof-null", "slim"])
def test_valid_arguments_pass_on_both_schema_shapes(schema: dict[str, Any]) -> None:
    """Well-typed arguments (an integral 5.0 is a JSON integer) are accepted whatever the schema's shape."""
    arguments = {
        "mode": "t2v",
        "duration": 5.0,
        "strength": 1,
        "dry_run": True,
        "references": ["a.png"],
        "shots": [{"prompt": "a fox\n\trunning", "duration": 2}],
    }
    assert lines(schema, arguments) == []


@pytest.mark.parametrize("schema", [TODAY, SLIM], ids=["anyof-null", "slim"])
def test_unknown_names_are_refused_with_the_nearest_real_name(schema: dict[str, Any]) -> None:
    """Unknown names, at the top and in nested objects, are refused naming the nearest real ones."""
    arguments = {"dryRun": True, "ratio": "9:16", "shots": [{"prompt": "p", "Duration": 2, "zzz": 1}]}
    assert lines(schema, arguments) == [
        "unknown_argument (dryRun): `dryRun` is not an argument of submit; nothing was done with it. "
        "Fix: did you mean `dry_run`?",
        "unknown_argument (ratio): `ratio` is not an argument of submit; nothing was done with it. "
        "Fix: did you mean `aspect_ratio` or `expand_ratio`?",
        "unknown_argument (shots[0].Duration): `Duration` is not an argument of shots[0]; nothing was done with it. "
        "Fix: did you mean `duration`?",
        "unknown_argument (shots[0].zzz): `zzz` is not an argument of shots[0]; nothing was done with it. "
        "Fix: use only prompt, duration.",
    ]


@pytest.mark.parametrize("schema", [TODAY, SLIM], ids=["anyof-null", "slim"])
def test_types_are_strict_on_both_schema_shapes(schema: dict[str, Any]) -> None:
    """No coercion: a quoted number, a number or word for a boolean, true for an integer, a word for a list."""
    arguments = {"duration": "5", "dry_run": 1, "wait_seconds": True, "references": "a.png", "strength": "0.5"}
    found = {line.split(":")[0]: line for line in lines(schema, arguments)}
    assert set(found) == {f"invalid_type ({n})" for n in arguments}
    assert found["invalid_type (duration)"].endswith("Fix: send 5 without quotes: a JSON integer, not a string.")
    assert "true or false" in found["invalid_type (dry_run)"]
    assert found["invalid_type (references)"].startswith('invalid_type (references): given the string "a.png"')
    assert "send 0.5 without quotes: a JSON number" in found["invalid_type (strength)"]


@pytest.mark.parametrize("schema", [TODAY, SLIM], ids=["anyof-null", "slim"])
def test_an_array_sent_as_json_text_is_decoded_then_checked(schema: dict[str, Any]) -> None:
    """A list sent as JSON text where only an array is accepted is read as the array (the SDK decodes it next), and
    checked as strictly: its items, and nested objects' names."""
    assert lines(schema, {"references": '["a.png", "b.png"]', "shots": '[{"prompt": "p"}]'}) == []
    found = lines(schema, {"references": '["a.png", 3]', "shots": '[{"prompt": "p", "Duration": 2}]'})
    assert [line.split(":")[0] for line in found] == [
        "invalid_type (references[1])",
        "unknown_argument (shots[0].Duration)",
    ]
    assert lines(schema, {"negative_prompt": '["blur"]'}) == []  # a string stays a string where text is accepted


@pytest.mark.parametrize("schema", [TODAY, SLIM], ids=["anyof-null", "slim"])
def test_values_outside_enums_ranges_and_required_are_refused(schema: dict[str, Any]) -> None:
    """An enum miss suggests the close value, a range miss gives the range, a missing nested field is named."""
    arguments = {"mode": "T2V", "wait_seconds": 51, "references": ["a", 3], "shots": [{"duration": 2}, 7]}
    found = lines(schema, arguments)
    assert found[0].startswith('invalid_value (mode): given the string "T2V"; accepted "t2v" or "i2v" or "kf2v"')
    assert found[0].endswith('Fix: did you mean "t2v"?')
    assert (
        "out_of_range (wait_seconds): given 51; accepted an integer from 0 to 50. Fix: give an integer from 0 to 50."
        in found
    )
    assert any(line.startswith("invalid_type (references[1]): given 3; accepted a string.") for line in found)
    assert any(line.startswith("missing_argument (shots[0].prompt): required: a string.") for line in found)
    assert any(
        line.startswith("invalid_type (shots[1]): given 7; accepted an object {prompt, duration}.") for line in found
    )


def test_control_characters_surrogates_and_non_finite_numbers_are_refused() -> None:
    """NUL, C0/C1 controls and lone surrogates anywhere in text are refused; tab, newline and CR are text;
    NaN and infinity are not JSON numbers."""
    arguments = {
        "negative_prompt": "ok\t\r\n",
        "aspect_ratio": "16:9\x00",
        "references": ["fine", "bad\x85", "\ud800"],
        "shots": [{"prompt": "\x1b[31mred"}],
        "strength": float("nan"),
        "expand_ratio": float("inf"),
    }
    found = [line.split(":")[0] for line in lines(TODAY, arguments)]
    assert found == [
        "control_character (aspect_ratio)",
        "control_character (references[1])",
        "control_character (references[2])",
        "control_character (shots[0].prompt)",
        "invalid_number (strength)",
        "invalid_number (expand_ratio)",
    ]
    assert "U+0000 at position 4" in lines(TODAY, {"aspect_ratio": "16:9\x00"})[0]


@pytest.mark.parametrize("schema", [TODAY, SLIM], ids=["anyof-null", "slim"])
def test_null_optional_arguments_are_read_as_not_given(schema: dict[str, Any]) -> None:
    """null for any optional argument is accepted whatever the schema's shape; where the schema takes no null it is
    left out of what the tool gets (where it takes null, the null is the tool's own value and stays)."""
    arguments = dict.fromkeys(schema["properties"])
    assert lines(schema, arguments) == []
    kept = ToolSchema.of("submit", schema).without_optional_nulls({**arguments, "mode": "t2v"})
    taking_null = {"mode", "duration", "strength", "references"} if schema is TODAY else set()
    assert kept == {"mode": "t2v", **dict.fromkeys(taking_null - {"mode"})}


def test_a_null_for_a_required_argument_is_missing_and_a_null_inside_a_value_is_refused() -> None:
    """Only optional arguments may be null: a required one is refused as missing (once, not also as a wrong type),
    a null item or nested field as a wrong type, a null under an unknown name as an unknown name."""
    schema = {**SLIM, "required": ["shots"]}
    assert ToolSchema.of("submit", schema).without_optional_nulls({"shots": None, "zzz": None}) == {
        "shots": None,
        "zzz": None,
    }
    assert lines(schema, {"shots": None, "mode": None}) == [
        "missing_argument (shots): given null, which counts as not given; required: an array (an object {prompt, "
        "duration} each). Fix: give shots."
    ]
    found = lines(schema, {"shots": [{"prompt": "p", "duration": None}, None], "references": [None], "dryRun": None})
    assert [line.split(":")[0] for line in found] == [
        "invalid_type (shots[0].duration)",
        "invalid_type (shots[1])",
        "invalid_type (references[0])",
        "unknown_argument (dryRun)",
    ]
    assert found[0].endswith(
        "Fix: give a value of the type shown: null means 'not given' only for a tool's own optional arguments."
    )


def test_arguments_that_are_not_an_object_are_refused() -> None:
    """A list or string as the whole arguments is refused as one problem."""
    assert lines(TODAY, ["dry_run"]) == [
        "invalid_type (arguments): given an array of 1 item; accepted an object. Fix: send the arguments as "
        "{name: value}."
    ]


def test_a_caller_text_is_echoed_short_and_escaped() -> None:
    """An unknown name of a megabyte with control characters is echoed cut to 40 characters, escaped."""
    key = "\x00evil" + "x" * 1_000_000
    (line,) = lines(TODAY, {key: 1})
    assert len(line) < 300 and "\x00" not in line and "\\u0000evil" in line and "…" in line


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("dry-run", ["dry_run"]),
        ("dryRun", ["dry_run"]),
        ("DRY_RUN", ["dry_run"]),
        ("Duration", ["duration"]),
        ("negative-prompt", ["negative_prompt"]),
        ("ratio", ["aspect_ratio", "expand_ratio"]),
        ("durration", ["duration"]),
        ("colour", []),
    ],
)
def test_nearest_names(key: str, expected: list[str]) -> None:
    """The nearest real names for an unknown one: respelt, a word of a longer name, or close by difflib."""
    assert nearest_names(key, list(TODAY["properties"])) == expected


def test_each_problem_once_and_at_most_ten_lines() -> None:
    """A problem found twice is said once; past MAX_PROBLEM_LINES the rest is counted in one line."""
    problems = [Problem(f"f{i}", "invalid_value", "m.", "f.") for i in range(MAX_PROBLEM_LINES + 5)]
    text = refusal_text(problems)
    assert text.startswith(REFUSED + "\n") and len(text.splitlines()) == MAX_PROBLEM_LINES + 2
    assert text.splitlines()[-1].startswith("too_many_problems (arguments): 5 more not shown.")
    twice = ToolSchema.of("t", TODAY).problems({"wait_seconds": "x", "mode": 3})
    assert len({(p.code, p.field) for p in twice}) == len(twice)


class Point(BaseModel):
    x: int


def odd(value: int) -> int:
    if value % 2 == 0:
        raise ValueError("even")
    return value


def toy_server(secret: str) -> MCPServer[Any]:
    """A small server with the middleware: a tool whose pydantic check is stricter than its schema, one that
    crashes, and one with a nested model."""
    server: MCPServer[Any] = MCPServer("toy", version="1.0")

    @server.tool()
    async def pick(number: Annotated[int, AfterValidator(odd)]) -> str:
        return str(number)

    @server.tool()
    async def crash(text: str = "") -> str:
        raise RuntimeError(f"boom {secret}")

    @server.tool()
    async def note(text: str | None = None) -> str:
        return text or ""

    @server.tool()
    async def place(point: Point, label: Annotated[str, Field(description="a label")] = "") -> str:
        return f"{label}{point.x}"

    server.middleware.append(StrictArguments(server, (secret,)))
    return server


@pytest.fixture(params=["auto", "legacy"])
async def toy(request: pytest.FixtureRequest) -> AsyncIterator[Client]:
    """The toy server over an in-memory client, in both protocol eras."""
    async with Client(toy_server("sk-toy-secret-0123456789"), mode=request.param) as client:
        yield client


def text_of(result: Any) -> str:
    return str(result.content[0].text)


@pytest.mark.anyio
async def test_the_sdk_validation_never_speaks_pydantic(toy: Client) -> None:
    """When the schema passes but the SDK's own pydantic check still fails, the agent gets our format."""
    result = await toy.call_tool("pick", {"number": 2})
    assert result.is_error and text_of(result).startswith(REFUSED)
    assert "invalid_value (number): the value does not fit this argument; accepted an integer." in text_of(result)
    assert "pydantic" not in text_of(result).lower() and "validation error" not in text_of(result)
    assert text_of(await toy.call_tool("pick", {"number": 3})) == "3"


@pytest.mark.anyio
async def test_a_json_looking_text_gets_the_way_around_the_sdk(toy: Client) -> None:
    """A text that is itself a JSON array, for an optional text parameter, is decoded by the SDK and then refused:
    the refusal says why and how to send it, in our format."""
    result = await toy.call_tool("note", {"text": '["a fox"]'})
    assert text_of(result) == (
        f"{REFUSED}\njson_text (text): this text is itself a JSON array or object, which the MCP SDK decodes before "
        "use. Fix: put a word before it, e.g. 'Scene: …'."
    )
    assert text_of(await toy.call_tool("note", {"text": 'Scene: ["a fox"]'})) == 'Scene: ["a fox"]'


@pytest.mark.anyio
async def test_a_null_optional_argument_reaches_the_tool_as_not_given(toy: Client) -> None:
    """The tool runs as if a null optional argument were absent (its default, even where its type takes no null);
    a null required argument is refused as missing before the tool runs."""
    assert text_of(await toy.call_tool("place", {"point": {"x": 1}, "label": None})) == "1"
    assert text_of(await toy.call_tool("note", {"text": None})) == ""
    refused = await toy.call_tool("pick", {"number": None})
    assert text_of(refused) == (
        f"{REFUSED}\nmissing_argument (number): given null, which counts as not given; required: an integer. "
        "Fix: give number."
    )


@pytest.mark.anyio
async def test_a_crash_is_answered_in_our_format_without_its_details(toy: Client) -> None:
    """A tool that crashes gives an internal_error line, not the bare "Error executing tool X"."""
    result = await toy.call_tool("crash", {})
    assert result.is_error and text_of(result).startswith("internal_error (crash): wan-mcp failed unexpectedly")
    assert "boom" not in text_of(result)


@pytest.mark.anyio
async def test_refusals_redact_secrets_and_name_unknown_tools(toy: Client) -> None:
    """A secret given as an argument name is redacted from the refusal; an unknown tool is named with the nearest."""
    result = await toy.call_tool("place", {"point": {"x": 1, "sk-toy-secret-0123456789": 2}})
    assert result.is_error and "sk-toy-secret" not in text_of(result) and "(point.***)" in text_of(result)
    unknown = await toy.call_tool("plase", {})
    assert text_of(unknown) == (
        f"{REFUSED}\nunknown_tool (name): this server has no tool `plase`. Fix: did you mean `place`?"
    )


@pytest.mark.anyio
async def test_a_refusal_has_the_envelope_of_a_handled_result(toy: Client) -> None:
    """The middleware's own answer carries the same serverInfo stamp as one from the handler (2026 era), and the
    published schema of a nested model is closed."""
    handled = await toy.call_tool("place", {"point": {"x": 1}})
    refused = await toy.call_tool("place", {"point": {"x": "1"}})
    assert not handled.is_error and refused.is_error
    assert refused.meta == handled.meta
    schema = next(t.input_schema for t in (await toy.list_tools()).tools if t.name == "place")
    assert schema["additionalProperties"] is False and schema["$defs"]["Point"]["additionalProperties"] is False


@pytest.mark.anyio
async def test_non_object_arguments_are_refused_at_the_boundary() -> None:
    """Raw params whose arguments are a list never reach the SDK's validation: a house refusal answers."""
    server = toy_server("sk-toy-secret-0123456789")
    strict = server.middleware[-1]
    params = {"name": "pick", "arguments": [1]}
    ctx: ServerRequestContext[Any, Any] = ServerRequestContext(
        session=None,  # type: ignore[arg-type]
        lifespan_context=None,
        protocol_version="2025-11-25",
        method="tools/call",
        params=params,
        request_id=1,
    )

    async def unreachable(_: Any) -> Any:
        raise AssertionError("the handler must not run")

    answer = await strict(ctx, unreachable)
    assert answer == {
        "content": [
            {
                "type": "text",
                "text": f"{REFUSED}\ninvalid_type (arguments): given an array of 1 item; "
                "accepted an object. Fix: send the arguments as {name: value}.",
            }
        ],
        "isError": True,
    }
