"""The MCP server: every tool in both protocol eras (in memory), over a real stdio subprocess, and its contract."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters

from conftest import CANARY_KEY, TOOLS, LiveEmulator, result_data
from wan_mcp import catalog
from wan_mcp.config import load_settings
from wan_mcp.requests import VideoRequest
from wan_mcp.server import build_server

pytestmark = pytest.mark.anyio

T2V = {"mode": "t2v", "prompt": "A red fox in the snow", "resolution": "720P", "duration": 3}


@pytest.fixture(params=["auto", "legacy"])
async def client(request: pytest.FixtureRequest, emulator: LiveEmulator, tmp_path: Path) -> AsyncIterator[Client]:
    """An in-memory client in both protocol eras (2026-07-28 and the 2025-11-25 handshake)."""
    server = build_server(load_settings(emulator.server_env(tmp_path)))
    async with Client(server, mode=request.param) as c:
        yield c


structured = result_data
SPEC_DEFAULT_HINTS = {
    "read_only_hint": False,
    "destructive_hint": True,
    "idempotent_hint": False,
    "open_world_hint": True,
}


def hint(tool: Any, name: str) -> bool:
    """A tool's annotation hint as a client reads it: the spec's default where the server leaves it out."""
    value = getattr(tool.annotations, name)
    return SPEC_DEFAULT_HINTS[name] if value is None else bool(value)


async def test_tools_are_described_annotated_and_flat(client: Client) -> None:
    """Every tool has a title, true annotations (read-only or destructive said outright), no output schema (its
    result is one JSON text) and a flat object input schema."""
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert tool.title and tool.description and tool.output_schema is None
        assert tool.input_schema["type"] == "object"
        assert not {"anyOf", "oneOf", "allOf"} & set(tool.input_schema)
        assert tool.annotations is not None
        assert tool.annotations.read_only_hint is not None or tool.annotations.destructive_hint is not None
    assert hint(tools["list_modes"], "read_only_hint") and hint(tools["list_tasks"], "read_only_hint")
    submit = tools["submit_video"]
    assert hint(submit, "open_world_hint") and not hint(submit, "idempotent_hint")
    assert not hint(submit, "destructive_hint") and not hint(submit, "read_only_hint")
    assert hint(tools["cancel_task"], "destructive_hint") and hint(tools["poll_task"], "idempotent_hint")
    assert not hint(tools["merge_media"], "open_world_hint")
    properties = submit.input_schema["properties"]
    assert set(properties) == {*VideoRequest.model_fields, "dry_run", "wait_seconds", "allow_duplicate"}
    assert properties["wait_seconds"]["maximum"] == 50
    assert properties["references"]["description"].startswith("[r2v] ")
    text = submit.description or ""
    for phrase in ("billed per second", "never resubmit", "24 h", "silent", "dry_run"):
        assert phrase.lower() in text.lower(), phrase


async def test_descriptions_come_from_the_catalog(client: Client) -> None:
    """The limits in submit_video's description are the catalog's default models' limits."""
    tools = {t.name: t for t in (await client.list_tools()).tools}
    text = tools["submit_video"].description or ""
    for mode in catalog.MODES:
        model = catalog.default_model(mode, "beijing")
        assert model is not None and f"{mode}: {model.id}" in text
        if model.prompt_max:
            assert f"{mode}: {model.id}" in text and f"prompt ≤ {model.prompt_max}" in text


async def test_list_modes(client: Client) -> None:
    """list_modes gives every mode, its default and each model in one line; one model in full with its sources;
    filters by mode and region."""
    data = structured(await client.call_tool("list_modes", {}))
    assert data["message"] and [m["mode"] for m in data["modes"]] == list(catalog.MODES)
    t2v = data["modes"][0]
    assert t2v["default_model"] == "wan2.6-t2v" and "wan2.6-t2v" in t2v["models"]
    line = data["models"]["wan2.6-t2v"]
    for fact in ("2–15 s", "720P/1080P", "with sound, own soundtrack", "multi-shot", "prompt ≤ 1500", "0.6–1 CNY/s"):
        assert fact in line, fact
    model = structured(await client.call_tool("list_modes", {"model": "wan2.6-t2v"}))
    assert model["prompt_max_chars"] == 1500 and model["durations"] == "2–15 s" and model["multi_shot"]
    assert model["price_per_second"] == {"720P": 0.6, "1080P": 1.0} and model["price_is_estimate"]
    assert "older:" in model["sources"]["durations"] and "estimate" in model["sources"]["price:CNY, price:USD"]
    singapore = structured(await client.call_tool("list_modes", {"mode": "kf2v", "region": "singapore"}))
    assert singapore["region"] == "singapore" and singapore["modes"][0]["default_model"] == "wanx2.1-kf2v-plus"
    assert len(singapore["modes"]) == 1
    assert (await client.call_tool("list_modes", {"region": "mars"})).is_error
    unknown = await client.call_tool("list_modes", {"model": "wan9-t2v"})
    assert unknown.is_error and "wan2.6-t2v" in unknown.content[0].text


async def test_submit_dry_run_refusal_and_full_flow(client: Client) -> None:
    """dry_run prices without sending; doomed requests are refused with fixes; a real job ends delivered."""
    dry = structured(await client.call_tool("submit_video", {**T2V, "dry_run": True}))
    assert dry["dry_run"] and "task" not in dry and dry["estimate"]["cost"] == pytest.approx(1.8)
    assert dry["request"]["body"]["parameters"] == {"size": "1280*720", "duration": 3}
    assert "Authorization" not in dry["request"]["headers"]
    refused = await client.call_tool("submit_video", {"mode": "kf2v", "first_frame": "https://x/a.png"})
    assert refused.is_error and "last_frame" in refused.content[0].text and "Fix:" in refused.content[0].text
    progress: list[str] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append(message or "")

    done = structured(
        await client.call_tool("submit_video", {**T2V, "wait_seconds": 30}, progress_callback=on_progress)
    )
    task = done["task"]
    if task["state"] != "delivered":
        task = structured(await client.call_tool("poll_task", {"task_id": task["task_id"], "wait_seconds": 30}))
    assert task["state"] == "delivered" and Path(task["local_path"]).is_file() and task["sha256"]
    assert "request" not in done  # once sent, the request is in the job's record


async def test_poll_task_links_and_errors(client: Client) -> None:
    """poll_task links to the job's full record (request, history); unknown ids are clear errors."""
    submitted = structured(await client.call_tool("submit_video", {**T2V, "wait_seconds": 30}))
    result = await client.call_tool("poll_task", {"task_id": submitted["task"]["task_id"], "wait_seconds": 30})
    view = structured(result)
    links = [c for c in result.content if c.type == "resource_link"]
    assert [str(link.uri) for link in links] == [f"wan://tasks/{view['task_id']}"]
    assert view["state"] == "delivered" and Path(view["local_path"]).is_file()
    record = json.loads((await client.read_resource(f"wan://tasks/{view['task_id']}")).contents[0].text)  # type: ignore[union-attr]
    assert record["state"] == "delivered" and next(e["state"] for e in record["history"]) == "submitting"
    assert record["request"]["body"]["parameters"] == {"size": "1280*720", "duration": 3}
    missing = await client.call_tool("poll_task", {"task_id": "no-such-task"})
    assert missing.is_error and "list_tasks" in missing.content[0].text
    listed = structured(await client.call_tool("list_tasks", {"status": "delivered"}))
    assert len(listed["tasks"]) == 1 and listed["message"].startswith("1 job,")
    cancel = await client.call_tool("cancel_task", {"task_id": view["task_id"]})
    assert cancel.is_error and "only a PENDING task" in cancel.content[0].text


async def test_modes_resource(client: Client) -> None:
    """wan://modes serves the catalog as JSON."""
    contents = (await client.read_resource("wan://modes")).contents[0]
    data = json.loads(contents.text)  # type: ignore[union-attr]
    assert data["region"] == "beijing" and len(data["modes"]) == len(catalog.MODES)


async def test_instructions_say_the_workflow(client: Client) -> None:
    """The server instructions give the workflow and the never-resubmit rule."""
    text = client.instructions or ""
    assert "dry_run" in text and "never resubmit" in text and "poll_task" in text


async def test_over_stdio_subprocess(emulator: LiveEmulator, tmp_path: Path) -> None:
    """A real `wan-mcp` subprocess on stdio: the whole flow works, and the key appears in no output."""
    env = emulator.server_env(tmp_path, inherit=True)
    params = StdioServerParameters(command=sys.executable, args=["-m", "wan_mcp"], env=env)
    async with Client(params) as c:
        assert {t.name for t in (await c.list_tools()).tools} == TOOLS
        done = structured(await c.call_tool("submit_video", {**T2V, "wait_seconds": 30}))
        task = done["task"]
        if task["state"] != "delivered":
            task = structured(await c.call_tool("poll_task", {"task_id": task["task_id"], "wait_seconds": 30}))
        assert task["state"] == "delivered"
        everything = json.dumps([done, task])
    assert CANARY_KEY not in everything
    journal = (tmp_path / "data" / "journal.sqlite3").read_bytes()
    assert CANARY_KEY.encode() not in journal


async def test_mcp_roots_extend_the_allowed_folders(emulator: LiveEmulator, tmp_path: Path) -> None:
    """A file outside WAN_MCP_ALLOWED_DIRS is refused, unless it lies in a root the client shares."""
    from mcp.types import ListRootsResult, Root

    import mediafiles

    inside, shared = tmp_path / "inside", tmp_path / "shared"
    inside.mkdir()
    shared.mkdir()
    image = mediafiles.write(shared / "cat.png", mediafiles.png(640, 480))
    env = emulator.server_env(tmp_path, WAN_MCP_ALLOWED_DIRS=str(inside))
    args = {"mode": "i2v", "image": str(image), "dry_run": True}

    async def roots(_: Any) -> ListRootsResult:
        return ListRootsResult(roots=[Root(uri=shared.as_uri(), name="shared")])  # type: ignore[arg-type]

    async with Client(build_server(load_settings(env)), mode="legacy") as plain:
        refused = await plain.call_tool("submit_video", args)
        assert refused.is_error and "outside_allowed_dirs" in refused.content[0].text
    async with Client(build_server(load_settings(env)), mode="legacy", list_roots_callback=roots) as with_roots:
        assert not (await with_roots.call_tool("submit_video", args)).is_error
