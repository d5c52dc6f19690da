"""Past one clip, on real emulator MP4s: frames, merges, extensions, and a long video resumed without paying twice."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import av
import pytest
from mcp import Client

import mediafiles
from conftest import LiveEmulator, result_data
from wan_mcp.config import Settings, load_settings
from wan_mcp.errors import RequestInvalid
from wan_mcp.server import build_server
from wan_mcp.service import WanService
from wan_mcp.service.chain_specs import ChainSpec, Shot
from wan_mcp.service.chains import ChainRunner
from wan_mcp.service.studio import Studio

pytestmark = pytest.mark.anyio
SHOTS = [
    {"prompt": "a fox wakes up in its den", "duration": 2},
    {"prompt": "the fox steps out into the snow", "duration": 3},
    {"prompt": "the fox runs towards the sunrise", "duration": 2},
]


def settings_for(live: LiveEmulator, tmp_path: Path) -> Settings:
    return load_settings(live.server_env(tmp_path))


@asynccontextmanager
async def tools(settings: Settings) -> AsyncIterator[tuple[WanService, ChainRunner, Studio]]:
    async with WanService.open(settings) as service:
        yield service, ChainRunner(service), Studio(service)


def frames_of(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


def long_spec(shots: list[dict[str, Any]]) -> ChainSpec:
    return ChainSpec(kind="long", shots=tuple(Shot(**shot) for shot in shots), common={"resolution": "720P"})


async def finish(runner: ChainRunner, view: Any) -> Any:
    while view.state not in ("delivered", "failed"):
        view = await runner.view(await runner.wait(view.handle, 30, None))
    return view


async def test_long_video_plan_costs_every_segment(emulator: LiveEmulator, tmp_path: Path) -> None:
    """dry_run plans every segment (t2v, then i2v from the last frame) and adds up seconds and wait; sends nothing."""
    async with tools(settings_for(emulator, tmp_path)) as (_, runner, _studio):
        view = await runner.start(long_spec(SHOTS), dry_run=True, wait_seconds=0, progress=None)
    assert view.state == "planned" and view.billed_seconds == 7
    assert [s["mode"] for s in view.segments or []] == ["t2v", "i2v", "i2v"]
    assert "nothing was sent" in view.message
    assert emulator.requests("submit") == []


async def test_long_video_refuses_a_bad_shot_before_spending(emulator: LiveEmulator, tmp_path: Path) -> None:
    """A doomed shot (here 20 s on a 2–15 s model) refuses the whole chain, naming the shot."""
    async with tools(settings_for(emulator, tmp_path)) as (_, runner, _studio):
        with pytest.raises(RequestInvalid) as info:
            await runner.start(
                long_spec([SHOTS[0], {"prompt": "x", "duration": 20}]), dry_run=False, wait_seconds=0, progress=None
            )
    assert info.value.problems[0].field == "shots[1].duration"
    assert emulator.requests("submit") == []


async def test_long_video_interrupted_and_resumed_pays_once(emulator: LiveEmulator, tmp_path: Path) -> None:
    """3 shots; the third fails; asking again re-runs only the third; the joined file has every frame."""
    emulator.faults(fail_tasks=[{"code": "InternalError.Algo", "message": "boom", "count": 1, "model": None}])
    emulator.emulator.faults.fail_tasks[0]["count"] = 0  # armed below, for the third submit only
    settings = settings_for(emulator, tmp_path)
    async with tools(settings) as (service, runner, _studio):
        original_submit = service.deps.client().submit
        calls = 0

        async def third_fails(request: Any, *, model: str) -> Any:
            nonlocal calls
            calls += 1
            if calls == 3:
                emulator.emulator.faults.fail_tasks[0]["count"] = 1
            return await original_submit(request, model=model)

        service.deps.client().submit = third_fails  # type: ignore[method-assign]
        first = await finish(runner, await runner.start(long_spec(SHOTS), dry_run=False, wait_seconds=0, progress=None))
        assert first.state == "failed" and "same shots" in first.message
        assert [s["state"] for s in first.segments] == ["delivered", "delivered", "failed"]
        resumed = await finish(
            runner, await runner.start(long_spec(SHOTS), dry_run=False, wait_seconds=0, progress=None)
        )
    assert resumed.state == "delivered" and resumed.handle == first.handle
    submitted = [e["model"] for e in emulator.requests("submit")]
    assert len(submitted) == 4  # three shots, plus the third once more: the first two were not paid twice
    output = Path(resumed.local_path)
    assert frames_of(output) == 7 * 30
    with av.open(str(output)) as container:
        assert abs(container.duration / 1e6 - 7) < 0.1


async def test_two_processes_starting_one_long_video_pay_once(emulator: LiveEmulator, tmp_path: Path) -> None:
    """Two processes on one journal (two desktop clients, or replicas), each running its chains in the background,
    asked for the same long video at the same moment: one chain, each shot paid once, one joined file."""
    settings = settings_for(emulator, tmp_path)
    started: list[Any] = []

    async def start(runner: ChainRunner) -> None:
        started.append(await runner.start(long_spec(SHOTS), dry_run=False, wait_seconds=0, progress=None))

    async with (
        tools(settings) as (_, first, _s),
        tools(settings) as (_, second, _t),
        anyio.create_task_group() as group,
    ):
        group.start_soon(first.run)
        group.start_soon(second.run)
        async with anyio.create_task_group() as both:
            both.start_soon(start, first)
            both.start_soon(start, second)
        done = [await finish(runner, view) for runner, view in zip((first, second), started, strict=True)]
        group.cancel_scope.cancel()
    assert {view.handle for view in started} == {view.handle for view in done} and len(started) == 2
    assert len({view.handle for view in started}) == 1
    assert [view.state for view in done] == ["delivered", "delivered"], [view.message for view in done]
    assert len(emulator.requests("submit")) == len(SHOTS)
    assert [p.name for p in settings.output_dir.glob("*-long-*")] == [Path(done[0].local_path).name]


async def test_a_chain_leased_by_another_process_is_left_to_it(emulator: LiveEmulator, tmp_path: Path) -> None:
    """While another process holds a chain's lease, this one sends nothing for it and joins nothing; once the
    lease is free, it moves the chain on."""
    settings = settings_for(emulator, tmp_path)
    async with tools(settings) as (service, runner, _studio):
        view = await runner.start(long_spec(SHOTS), dry_run=False, wait_seconds=0, progress=None)
        chain = await service.store.get_chain(view.handle)
        assert chain is not None and chain.segments[0].handle is not None
        now = service.clock.now()
        assert await service.store.take_chain_lease(chain.id, "elsewhere", until=now + 600, now=now)
        await service.tracker.wait(await service.store.get_task(chain.segments[0].handle), 30, None)  # type: ignore[arg-type]
        held = await runner.advance(chain.id)
        assert held.segments[1].handle is None and len(emulator.requests("submit")) == 1
        await service.store.release_chain_lease(chain.id, "elsewhere")
        moved = await runner.advance(chain.id)
    assert moved.segments[1].handle is not None and len(emulator.requests("submit")) == 2


async def test_extend_video_joins_a_new_segment(emulator: LiveEmulator, tmp_path: Path) -> None:
    """extend_video continues a finished job from its last frame and joins both into one longer, verified file."""
    settings = settings_for(emulator, tmp_path)
    async with tools(settings) as (service, runner, studio):
        source = await service.submit(
            {"mode": "t2v", "prompt": "a fox", "resolution": "720P", "duration": 2}, wait_seconds=20
        )
        assert source.task is not None and source.task.local_path
        spec = await studio.extension_spec(
            source.task.task_id or "", prompt="the fox jumps", duration=3, model=None, common={"resolution": "720P"}
        )
        view = await finish(runner, await runner.start(spec, dry_run=False, wait_seconds=0, progress=None))
    assert view.state == "delivered" and frames_of(Path(view.local_path)) == 5 * 30
    assert Path(spec.source_frame or "").exists()


async def test_extract_frame_and_merge_with_sound(emulator: LiveEmulator, tmp_path: Path) -> None:
    """Frames come out as PNGs of the video's size; a silent kf2v video gains a soundtrack through merge."""
    settings = settings_for(emulator, tmp_path)
    image = "data:image/png;base64," + base64.b64encode(mediafiles.png(1280, 720)).decode()
    song = mediafiles.write(tmp_path / "song.wav", mediafiles.wav(8, rate=48000))
    async with tools(settings) as (service, _runner, studio):
        silent = await service.submit({"mode": "kf2v", "first_frame": image, "last_frame": image}, wait_seconds=20)
        assert silent.task is not None and silent.task.local_path
        frame = await studio.extract_frame(silent.task.handle, "last")
        assert (frame.width, frame.height) == (1280, 720) and Path(frame.path).suffix == ".png"
        assert abs(frame.time_seconds - (5 - 1 / 30)) < 0.05
        merged = await studio.merge([silent.task.handle], audio=str(song))
    assert merged.has_audio and abs(merged.duration - 5) < 0.1
    with av.open(merged.path) as container:
        assert container.streams.audio


async def test_poll_task_shows_a_contact_sheet_and_checks_the_request(emulator: LiveEmulator, tmp_path: Path) -> None:
    """On success poll_task returns a JPEG contact sheet and the probed facts, compared with the request."""
    async with Client(build_server(settings_for(emulator, tmp_path))) as client:
        done = result_data(
            await client.call_tool(
                "submit_video",
                {"mode": "t2v", "prompt": "a fox", "size": "1280*720", "duration": 3, "wait_seconds": 20},
            )
        )
        result = await client.call_tool("poll_task", {"task_id": done["task"]["task_id"]})
    images = [c for c in result.content if c.type == "image"]
    assert len(images) == 1 and images[0].mime_type == "image/jpeg"
    sheet = base64.b64decode(images[0].data)
    assert sheet[:2] == b"\xff\xd8" and len(sheet) <= 200_000
    view = result_data(result)
    assert view["video"]["width"] == 1280 and view["video"]["has_audio"]
    assert "mismatches" not in view  # none: an empty list is not sent


async def test_media_tools_over_mcp(emulator: LiveEmulator, tmp_path: Path) -> None:
    """extract_frame, merge_media and make_long_video (dry run) answer over MCP with their output models."""
    async with Client(build_server(settings_for(emulator, tmp_path))) as client:
        tools_listed = {t.name for t in (await client.list_tools()).tools}
        assert {"extract_frame", "merge_media", "extend_video", "make_long_video"} <= tools_listed
        done = result_data(
            await client.call_tool(
                "submit_video",
                {"mode": "t2v", "prompt": "a fox", "resolution": "720P", "duration": 2, "wait_seconds": 20},
            )
        )
        handle = done["task"]["handle"]
        frame = result_data(await client.call_tool("extract_frame", {"source": handle, "at": "first"}))
        assert frame["time_seconds"] == 0 and Path(frame["path"]).is_file()
        merged = result_data(await client.call_tool("merge_media", {"videos": [handle, handle]}))
        assert not merged["reencoded"] and abs(merged["duration"] - 4) < 0.1
        plan = result_data(await client.call_tool("make_long_video", {"shots": SHOTS, "dry_run": True}))
        assert plan["state"] == "planned" and len(plan["segments"]) == 3


async def test_extend_video_with_vace_keeps_only_the_new_part(emulator: LiveEmulator, tmp_path: Path) -> None:
    """method vace continues the source's last 3 s clip; the join adds only what is new (5 s output − 3 s clip)."""
    settings = settings_for(emulator, tmp_path)
    async with tools(settings) as (service, runner, studio):
        source = await service.submit(
            {"mode": "t2v", "prompt": "a fox", "resolution": "720P", "duration": 4}, wait_seconds=20
        )
        assert source.task is not None and source.task.local_path
        spec = await studio.extension_spec(
            source.task.handle, prompt="the fox skates on", duration=5, model=None, common={}, method="vace"
        )
        view = await finish(runner, await runner.start(spec, dry_run=False, wait_seconds=0, progress=None))
    assert view.state == "delivered"
    submitted = emulator.requests("submit")
    assert len(submitted) == 2 and submitted[1]["model"] == "wanx2.1-vace-plus"
    assert frames_of(Path(view.local_path)) == 4 * 30 + 2 * 30
