"""Regressions of the strict-arguments holes, through a real wan-mcp against the emulator in both protocol eras: each
of these once sent a paid job that was not the one asked for, coerced a value, or showed pydantic's text."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from conftest import LiveEmulator, result_data
from wan_mcp.config import load_settings
from wan_mcp.server import build_server

pytestmark = pytest.mark.anyio

T2V = {"mode": "t2v", "prompt": "A red fox in the snow", "resolution": "720P", "duration": 3}
REFUSED = "Refused before anything was sent or paid:"
LIBRARY_TEXT = ("validation error", "pydantic", "input should be", "errors.pydantic.dev")


@pytest.fixture(params=["auto", "legacy"])
async def client(request: pytest.FixtureRequest, emulator: LiveEmulator, tmp_path: Path) -> AsyncIterator[Client]:
    """An in-memory client in both protocol eras (2026-07-28 and the 2025-11-25 handshake)."""
    async with Client(build_server(load_settings(emulator.server_env(tmp_path))), mode=request.param) as c:
        yield c


async def refusal(client: Client, tool: str, arguments: dict[str, Any]) -> list[str]:
    """The refusal's problem lines (after checking it is one, in the house format and without library text)."""
    result = await client.call_tool(tool, arguments)
    text = result.content[0].text if result.content else ""  # type: ignore[union-attr]
    assert result.is_error, text
    assert text.startswith(REFUSED), text
    assert not [marker for marker in LIBRARY_TEXT if marker in text.lower()], text
    return text.splitlines()[1:]


@pytest.mark.parametrize("spelling", ["dry-run", "dryRun", "DRY_RUN"])
async def test_a_misspelt_dry_run_is_refused_not_paid(client: Client, emulator: LiveEmulator, spelling: str) -> None:
    """`dry-run: true` (or dryRun) no longer starts a real paid job: it is refused, naming dry_run."""
    lines = await refusal(client, "submit_video", {**T2V, spelling: True})
    assert lines == [
        f"unknown_argument ({spelling}): `{spelling}` is not an argument of submit_video; nothing was done with it. "
        "Fix: did you mean `dry_run`?"
    ]
    assert emulator.requests("submit") == []


async def test_misspelt_request_arguments_are_refused(client: Client, emulator: LiveEmulator) -> None:
    """`ratio`, `Duration` and `negative-prompt` are refused with the real names, instead of a job without them."""
    arguments = {**T2V, "ratio": "9:16", "Duration": 5, "negative-prompt": "blurry", "dry_run": False}
    lines = await refusal(client, "submit_video", arguments)
    assert [line.split(":")[0] for line in lines] == [
        "unknown_argument (ratio)",
        "unknown_argument (Duration)",
        "unknown_argument (negative-prompt)",
    ]
    assert "`aspect_ratio`" in lines[0] and "`duration`" in lines[1] and "`negative_prompt`" in lines[2]
    assert emulator.requests("submit") == []


async def test_unknown_names_in_long_video_shots_are_refused(client: Client, emulator: LiveEmulator) -> None:
    """make_long_video's nested shots refuse `Duration` and `negative-prompt` too (the shot object is closed)."""
    shots = [{"prompt": "a fox wakes", "Duration": 2}, {"prompt": "it runs", "negative-prompt": "blur"}]
    lines = await refusal(client, "make_long_video", {"shots": shots, "dry_run": True})
    assert lines[0].startswith("unknown_argument (shots[0].Duration):") and "`duration`" in lines[0]
    assert lines[1].startswith("unknown_argument (shots[1].negative-prompt):") and "prompt, duration" in lines[1]
    assert emulator.requests("submit") == []


async def test_a_misspelt_extend_video_argument_is_refused(client: Client, emulator: LiveEmulator) -> None:
    """extend_video of a delivered job refuses `negative-prompt` instead of planning a job without it."""
    done = await client.call_tool("submit_video", {**T2V, "wait_seconds": 30})
    handle = result_data(done)["task"]["handle"]
    arguments = {"source": handle, "prompt": "the fox jumps", "negative-prompt": "blur", "dry_run": True}
    lines = await refusal(client, "extend_video", arguments)
    assert lines[0].startswith("unknown_argument (negative-prompt):") and "`negative_prompt`" in lines[0]
    assert len(emulator.requests("submit")) == 1  # only the source job


@pytest.mark.parametrize(
    ("name", "value"),
    [("dry_run", "yes"), ("dry_run", 1), ("generate_audio", "no"), ("watermark", 0), ("prompt_extend", "false")],
)
async def test_booleans_are_not_coerced(client: Client, emulator: LiveEmulator, name: str, value: Any) -> None:
    """A word or number for a boolean is refused (it was read as true or false), with the JSON boolean as the fix."""
    lines = await refusal(client, "submit_video", {**T2V, "dry_run": True, name: value})
    assert len(lines) == 1 and lines[0].startswith(f"invalid_type ({name}): given ") and "true or false" in lines[0]
    assert emulator.requests("submit") == []


@pytest.mark.parametrize(("name", "value"), [("duration", "5"), ("seed", "42"), ("wait_seconds", "10")])
async def test_numbers_are_not_coerced(client: Client, emulator: LiveEmulator, name: str, value: str) -> None:
    """A quoted number is refused (it was read as the number), telling to send it without quotes."""
    lines = await refusal(client, "submit_video", {**T2V, name: value, "dry_run": True})
    accepted = "an integer from 0 to 50" if name == "wait_seconds" else "an integer"  # optional: plain, no null
    assert lines == [
        f'invalid_type ({name}): given the string "{value}"; accepted {accepted}. '
        f"Fix: send {value} without quotes: a JSON integer, not a string."
    ]
    assert emulator.requests("submit") == []


@pytest.mark.parametrize("text", ["A fox\x00 in the snow", "A fox\x07", "\x1b[31mA fox", "A fox\x85", "A fox\x7f"])
async def test_control_characters_are_refused_not_paid(client: Client, emulator: LiveEmulator, text: str) -> None:
    """A NUL or other control character in a prompt is refused; it was sent as a paid job."""
    lines = await refusal(client, "submit_video", {**T2V, "prompt": text})
    assert len(lines) == 1 and lines[0].startswith(
        "control_character (prompt): the text holds the control character U+"
    )
    assert emulator.requests("submit") == []


async def test_tabs_and_newlines_stay_text(client: Client) -> None:
    """Tab, newline and carriage return are accepted in a prompt (multi-shot prompts are written on lines)."""
    prompt = "Shot 1 [0-2s]:\ta fox\r\nShot 2 [2-3s]: it runs"
    result = await client.call_tool("submit_video", {**T2V, "prompt": prompt, "dry_run": True})
    assert not result.is_error, result.content


async def test_a_bad_value_is_answered_in_the_house_format(client: Client) -> None:
    """A bad argument gets one house-format line naming field, given, accepted and fix: never pydantic's text."""
    lines = await refusal(client, "poll_task", {"task_id": "x", "wait_seconds": "a while"})
    assert lines == [
        'invalid_type (wait_seconds): given the string "a while"; accepted an integer from 0 to 50. '
        "Fix: send the value with the type shown (no conversion is done)."
    ]


async def test_published_input_schemas_are_closed(client: Client) -> None:
    """Every tool's published input schema, and the nested shot object, refuses names it does not list."""
    tools = {t.name: t.input_schema for t in (await client.list_tools()).tools}
    assert {name: schema.get("additionalProperties") for name, schema in tools.items()} == dict.fromkeys(tools, False)
    assert tools["make_long_video"]["properties"]["shots"]["items"]["additionalProperties"] is False  # inlined


async def test_null_optional_arguments_are_read_as_not_given(client: Client, emulator: LiveEmulator) -> None:
    """null for optional arguments (as agents that fill every field send) plans exactly the request without them:
    a few of them, or every optional argument of submit_video; they were refused as wrong types."""
    plain = await client.call_tool("submit_video", {**T2V, "dry_run": True})
    a_few = {"model": None, "seed": None, "negative_prompt": None, "aspect_ratio": None, "wait_seconds": None}
    nulled = await client.call_tool("submit_video", {**T2V, **a_few, "allow_duplicate": None, "dry_run": True})
    assert not plain.is_error and nulled.content == plain.content
    schema = next(t.input_schema for t in (await client.list_tools()).tools if t.name == "submit_video")
    every = {name: None for name in schema["properties"] if name not in T2V}
    filled = await client.call_tool("submit_video", {**every, **T2V, "dry_run": True})
    assert filled.content == plain.content
    assert emulator.requests("submit") == []


async def test_null_optional_arguments_leave_the_tools_defaults(client: Client) -> None:
    """A null for an argument whose type takes no null (wait_seconds, limit) gives its default, in every tool."""
    listed = await client.call_tool("list_tasks", {"limit": None, "status": None, "since_hours": None})
    assert listed.content == (await client.call_tool("list_tasks", {})).content
    modes = await client.call_tool("list_modes", {"mode": None, "model": None, "region": None})
    assert modes.content == (await client.call_tool("list_modes", {})).content


async def test_a_null_for_a_required_argument_is_refused_as_missing(client: Client, emulator: LiveEmulator) -> None:
    """null for a required argument counts as not given: refused as missing, in the house format."""
    assert await refusal(client, "poll_task", {"task_id": None, "wait_seconds": None}) == [
        "missing_argument (task_id): given null, which counts as not given; required: a string. Fix: give task_id."
    ]
    lines = await refusal(client, "extend_video", {"source": None, "prompt": "it runs", "dry_run": True})
    assert [line.split(":")[0] for line in lines] == ["missing_argument (source)"]
    assert emulator.requests("submit") == []


async def test_nulls_inside_values_and_under_unknown_names_are_refused(client: Client, emulator: LiveEmulator) -> None:
    """Only a tool's own optional arguments may be null: a null item, a null field of a shot, or a null under a
    misspelt name is refused as before."""
    lines = await refusal(client, "submit_video", {**T2V, "mode": "r2v", "references": ["a.png", None]})
    assert lines[0].startswith("invalid_type (references[1]): given null; accepted a string. Fix: give a value")
    shots = [{"prompt": "a fox wakes", "duration": None}, None]
    lines = await refusal(client, "make_long_video", {"shots": shots, "dry_run": True})
    assert [line.split(":")[0] for line in lines] == ["invalid_type (shots[0].duration)", "invalid_type (shots[1])"]
    lines = await refusal(client, "submit_video", {**T2V, "dryRun": None, "dry_run": True})
    assert lines[0].startswith("unknown_argument (dryRun):") and lines[0].endswith("did you mean `dry_run`?")
    assert emulator.requests("submit") == []


async def test_a_null_voice_for_a_reference_is_accepted(client: Client, emulator: LiveEmulator) -> None:
    """reference_voices takes null for "no voice for this reference" (its help says so): published and accepted, and
    planned as the voice-less reference; it was refused as a wrong type."""
    schema = next(t.input_schema for t in (await client.list_tools()).tools if t.name == "submit_video")
    assert schema["properties"]["reference_voices"]["items"] == {"type": ["string", "null"]}
    references = ["https://example.com/media/cat.png", "https://example.com/media/clip.mp4"]
    arguments = {"mode": "r2v", "model": "wan2.7-r2v", "prompt": "image 1 talks to video 1", "dry_run": True}
    voices = ["https://example.com/media/song.mp3", None]
    plan = result_data(
        await client.call_tool("submit_video", {**arguments, "references": references, "reference_voices": voices})
    )
    media = plan["request"]["body"]["input"]["media"]
    assert [item.get("reference_voice") for item in media] == [voices[0], None]
    assert emulator.requests("submit") == []


async def test_refusals_from_the_planner_and_the_journal_read_as_ours(client: Client, emulator: LiveEmulator) -> None:
    """A refusal the tool itself raises (a limit of the model, an unknown job) reaches the agent in the same words as
    one from the boundary: not behind the SDK's "Error executing tool X: "."""
    lines = await refusal(client, "submit_video", {**T2V, "duration": 99, "dry_run": True})
    assert lines[0].startswith("invalid_value (duration): wan2.6-t2v offers 2–15 s, not 99 s Fix:"), lines
    lines = await refusal(client, "poll_task", {"task_id": "wan-0000aaaa0000"})
    assert lines[0].startswith("not_found (task_id): no job"), lines
    assert emulator.requests("submit") == []
