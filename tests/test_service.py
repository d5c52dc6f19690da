"""The service over the emulator: submit records before sending, tracks in the background, delivers once."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest

from conftest import CANARY_KEY, LiveEmulator
from wan_mcp.config import Settings, load_settings
from wan_mcp.errors import ApiError, ConfigError, RequestInvalid
from wan_mcp.files import slug
from wan_mcp.journal import TaskFilter
from wan_mcp.polling import Clock
from wan_mcp.service import WanService

pytestmark = pytest.mark.anyio

T2V = {"mode": "t2v", "prompt": "A red fox in the snow", "resolution": "720P", "duration": 3}


def settings_for(live: LiveEmulator, tmp_path: Path) -> Settings:
    return load_settings(live.server_env(tmp_path))


def running(settings: Settings, **options: Any) -> Any:
    """A running service (its jobs followed in the background) for the test's duration."""
    return WanService.open(settings, **options)


async def wait_state(service: WanService, handle: str, states: set[str], seconds: float = 20) -> Any:
    with anyio.fail_after(seconds):
        while True:
            record = await service.store.get_task(handle)
            if record is not None and record.state in states:
                return record
            await anyio.sleep(0.05)


async def states_of(service: WanService) -> list[str]:
    return [r.state.value for r in await service.store.list_tasks(TaskFilter())]


async def test_submit_records_before_sending_and_delivers(emulator: LiveEmulator, tmp_path: Path) -> None:
    """The record exists before the request leaves; the job is tracked and its video delivered and verified."""
    seen_before_send: list[str] = []
    async with running(settings_for(emulator, tmp_path)) as service:
        original = service.deps.client().submit

        async def spy(request: Any, *, model: str) -> Any:
            seen_before_send.extend(await states_of(service))
            return await original(request, model=model)

        service.deps.client().submit = spy  # type: ignore[method-assign]
        view = await service.submit(dict(T2V))
        assert seen_before_send == ["submitting"]
        assert view.task is not None and view.task.task_id and view.estimate.cost == pytest.approx(1.8)
        record = await wait_state(service, view.task.handle, {"delivered"})
    path = Path(record.local_path)
    assert path.parent == tmp_path / "videos" and path.name.startswith(f"{path.name[:8]}-t2v-")
    assert record.size_bytes == path.stat().st_size
    assert record.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert CANARY_KEY not in json.dumps(record.request)
    async with running(settings_for(emulator, tmp_path), adopt=False) as again:
        assert await states_of(again) == ["delivered"]


async def test_wait_reports_progress_and_returns_early(emulator: LiveEmulator, tmp_path: Path) -> None:
    """poll with wait_seconds sends progress at least every few seconds and returns as soon as it is done."""
    messages: list[tuple[float, str]] = []

    async def progress(value: float, total: float | None, message: str) -> None:
        messages.append((value, message))

    async with running(settings_for(emulator, tmp_path)) as service:
        view = await service.submit(dict(T2V))
        assert view.task is not None
        started = anyio.current_time()
        done = await service.poll(view.task.task_id or "", wait_seconds=30, progress=progress)
        assert done.state == "delivered" and anyio.current_time() - started < 25
    values = [v for v, _ in messages]
    assert values == sorted(values) and all("usually" in m or "downloading" in m for _, m in messages)


async def test_restart_resumes_and_downloads_once(make_emulator: Callable[..., LiveEmulator], tmp_path: Path) -> None:
    """A job submitted by one service instance is finished and delivered by the next one, exactly once."""
    live = make_emulator(speed=100)
    settings = settings_for(live, tmp_path)
    async with running(settings, adopt=False) as first:  # like a process that exits right after submitting
        view = await first.submit(dict(T2V))
    assert view.task is not None and view.task.state == "submitted"
    async with running(settings) as second, running(settings) as third:
        record = await wait_state(second, view.task.handle, {"delivered"}, seconds=30)
        await anyio.sleep(0.5)
        assert (await third.store.get_task(view.task.handle)).state == "delivered"  # type: ignore[union-attr]
    downloads = live.requests("download")
    assert len(downloads) == 1 and Path(record.local_path).exists()
    assert len(list((tmp_path / "videos").iterdir())) == 1


async def test_failed_task_is_reported_with_a_fix(emulator: LiveEmulator, tmp_path: Path) -> None:
    """A FAILED task ends 'failed' with code, message, retryable, charged=False and a fix."""
    emulator.faults(
        fail_tasks=[{"code": "DataInspectionFailed", "message": "Input data may contain inappropriate content."}]
    )
    async with running(settings_for(emulator, tmp_path)) as service:
        view = await service.submit(dict(T2V), wait_seconds=20)
    task = view.task
    assert task is not None and task.state == "failed" and task.error is not None
    assert (task.error.code, task.error.charged) == ("DataInspectionFailed", False)
    assert "rephrase" in task.error.fix and "Not charged" in task.message


async def test_lost_submit_answer_is_reconciled_not_resent(emulator: LiveEmulator, tmp_path: Path) -> None:
    """A submit whose answer is lost is 'unconfirmed', then matched in the task list and followed; never resent."""
    emulator.faults(drop_submits=1)
    async with running(settings_for(emulator, tmp_path)) as service:
        view = await service.submit(dict(T2V), wait_seconds=20)
        assert view.task is not None
        created = emulator.admin("state")["tasks"][0]["task_id"]
        assert view.task.task_id == created and view.task.state == "delivered"
        found = await service.store.get_task(view.task.handle, with_events=True)
        history = [e.detail for e in found.events]  # type: ignore[union-attr]
    assert any("reconciled" in (d or "") for d in history)
    assert len(emulator.requests("submit")) == 1


async def test_unconfirmed_without_a_task_becomes_safe_to_resubmit(emulator: LiveEmulator, tmp_path: Path) -> None:
    """When the connection drops before DashScope creates anything, the task list proves it: 'rejected', retryable."""
    emulator.faults(drop_before_submit=1)
    async with running(settings_for(emulator, tmp_path)) as service:
        view = await service.submit(dict(T2V))
        assert view.task is not None
        await anyio.sleep(0.3)
        done = await service.poll(view.task.handle)
    assert done.state == "rejected" and done.error is not None and done.error.code == "NotCreated"
    assert done.error.retryable and not done.error.charged and emulator.admin("state")["tasks"] == []


async def test_duplicate_submit_returns_the_first_job(emulator: LiveEmulator, tmp_path: Path) -> None:
    """The same request again while the first is pending, running or done returns the first job (no second payment)."""
    async with running(settings_for(emulator, tmp_path)) as service:
        first = await service.submit(dict(T2V))
        second = await service.submit(dict(T2V))
        assert first.task is not None and second.task is not None
        assert second.task.handle == first.task.handle and "allow_duplicate" in second.message
        third = await service.submit(dict(T2V), allow_duplicate=True)
        assert third.task is not None and third.task.handle != first.task.handle
    assert len(emulator.requests("submit")) == 2


async def test_refused_submit_is_rejected_and_raised(emulator: LiveEmulator, tmp_path: Path) -> None:
    """A 4xx from DashScope raises with its fix, and the journal says 'rejected' (nothing paid)."""
    emulator.faults(
        http_errors=[{"route": "submit", "status": 403, "code": "AccessDenied.Unpurchased", "message": "x"}]
    )
    async with running(settings_for(emulator, tmp_path)) as service:
        with pytest.raises(ApiError) as info:
            await service.submit(dict(T2V))
        assert "activate" in info.value.fix
        assert await states_of(service) == ["rejected"]


async def test_dry_run_and_refusals_need_no_key(tmp_path: Path) -> None:
    """Planning works without a key or network; submitting without a key says how to get one."""
    settings = load_settings(
        {"DASHSCOPE_API_KEY": "", "WAN_MCP_DATA_DIR": str(tmp_path / "data"), "HOME": str(tmp_path)}
    )
    async with running(settings) as service:
        view = await service.submit(dict(T2V), dry_run=True)
        assert view.dry_run and view.task is None and "nothing was sent" in view.message
        with pytest.raises(RequestInvalid):
            await service.submit({"mode": "kf2v"}, dry_run=True)
        with pytest.raises(ConfigError) as info:
            await service.submit(dict(T2V))
        assert "DASHSCOPE_API_KEY" in info.value.message and "demo" in info.value.fix
        assert await states_of(service) == []


async def test_expired_url_is_said_plainly(make_emulator: Callable[..., LiveEmulator], tmp_path: Path) -> None:
    """A result whose URL expired before any download is 'expired, not downloaded', never pending."""
    live = make_emulator(speed=1000, url_ttl_seconds=1)
    settings = settings_for(live, tmp_path)
    frozen = Clock(speed=live.emulator.config.speed, sleeper=lambda _: anyio.sleep_forever())
    async with running(settings, adopt=False, clock=frozen) as first:  # sends, then never looks again
        view = await first.submit(dict(T2V))
    assert view.task is not None
    await anyio.sleep(1.0)  # the task ends within 0.3 s; its URL lives 1 ms after that
    async with running(settings) as service:
        done = await service.poll(view.task.handle, wait_seconds=5)
    assert done.state == "expired" and "expired, not downloaded" in done.message and done.local_path is None


async def test_cancel_only_pending(make_emulator: Callable[..., LiveEmulator], tmp_path: Path) -> None:
    """A queued job cancels; a running or finished one is refused with the reason."""
    live = make_emulator(speed=20)
    args = {"mode": "animate", "image": "https://x/a.png", "video": "https://x/v.mp4"}
    async with running(settings_for(live, tmp_path)) as service:
        first = await service.submit(dict(args))
        second = await service.submit(dict(args), allow_duplicate=True)
        assert first.task is not None and second.task is not None
        await anyio.sleep(0.3)
        canceled = await service.cancel(second.task.handle)
        assert canceled.canceled and canceled.status == "CANCELED"
        with pytest.raises(ApiError) as info:
            await service.cancel(first.task.handle)
        assert info.value.code == "UnsupportedOperation"


async def test_damaged_delivery_is_downloaded_again(emulator: LiveEmulator, tmp_path: Path) -> None:
    """On start, a delivered file whose bytes no longer match is downloaded again (a power cut's damage)."""
    settings = settings_for(emulator, tmp_path)
    async with running(settings) as service:
        view = await service.submit(dict(T2V), wait_seconds=20)
    assert view.task is not None and view.task.local_path
    path = Path(view.task.local_path)
    good = path.read_bytes()
    path.write_bytes(good[: len(good) // 2])
    async with running(settings) as service:
        record = await wait_state(service, view.task.handle, {"delivered"})
        await anyio.sleep(0.2)
    assert Path(record.local_path).read_bytes() == good


def test_file_names() -> None:
    """Prompts become short, safe slugs."""
    assert slug("A red fox, in the SNOW!") == "a-red-fox-in-the-snow"
    assert slug("一只猫") == "video"
    assert len(slug("x" * 100)) == 40


async def test_list_filters(emulator: LiveEmulator, tmp_path: Path) -> None:
    """list_tasks filters by DashScope status or journal state."""
    async with running(settings_for(emulator, tmp_path)) as service:
        view = await service.submit(dict(T2V), wait_seconds=20)
        assert view.task is not None
        assert (await service.list(status="delivered")).count == 1
        assert (await service.list(status="SUCCEEDED")).count == 1
        assert (await service.list(status="FAILED")).count == 0
        record = await service.store.get_task(view.task.handle)
        assert record is not None and service.view(record).state == "delivered"
        with pytest.raises(RequestInvalid) as info:
            await service.list(status="finished")
        assert info.value.field == "status" and "delivered" in info.value.fix


async def test_local_files_of_each_kind_are_uploaded_and_used(emulator: LiveEmulator, tmp_path: Path) -> None:
    """Local images, videos, audio and a data: URI the API takes no inline are uploaded, sent as oss://, and used."""
    import base64

    import mediafiles

    image = mediafiles.write(tmp_path / "cat.png", mediafiles.png(720, 960))
    clip = mediafiles.write(tmp_path / "dance.mp4", mediafiles.mp4(4, 640, 360))
    song = mediafiles.write(tmp_path / "song.wav", mediafiles.wav(6))
    data_uri = "data:image/png;base64," + base64.b64encode(mediafiles.png(640, 640)).decode()
    requests = [
        {"mode": "i2v", "image": str(image), "resolution": "720P"},
        {"mode": "r2v", "prompt": "character1 dances", "references": [str(clip), data_uri], "resolution": "720P"},
        {"mode": "t2v", "prompt": "a guitarist on a beach", "audio": str(song), "resolution": "720P"},
    ]
    async with running(settings_for(emulator, tmp_path)) as service:
        for args in requests:
            view = await service.submit(dict(args), wait_seconds=20)
            assert view.task is not None and view.task.state == "delivered", view.task
            body = json.dumps(view.request["body"])
            assert "oss://dashscope-instant/" in body and "file://" not in body and "data:" not in body
            assert view.request["headers"]["X-DashScope-OssResourceResolve"] == "enable"
    assert len(emulator.requests("upload")) == 4 and len(emulator.requests("submit")) == 3


async def test_uploads_are_reused_for_48_hours(emulator: LiveEmulator, tmp_path: Path) -> None:
    """The same file for the same model is uploaded once; after its 48 h life it is uploaded again."""
    import mediafiles

    image = mediafiles.write(tmp_path / "cat.png", mediafiles.png(720, 960))
    args = {"mode": "i2v", "image": str(image), "resolution": "720P"}
    now = [1_000_000.0]
    settings = settings_for(emulator, tmp_path)
    async with running(settings, adopt=False, clock=Clock(wall=lambda: now[0], speed=1000)) as service:
        await service.submit(dict(args))
        await service.submit(dict(args), allow_duplicate=True)
        assert len(emulator.requests("upload")) == 1
        now[0] += 48 * 3600
        await service.submit(dict(args), allow_duplicate=True)
        assert len(emulator.requests("upload")) == 2


async def test_bad_files_are_refused_before_any_request(emulator: LiveEmulator, tmp_path: Path) -> None:
    """An oversize or wrong-format file is refused with a fix, and DashScope sees no request at all."""
    import mediafiles

    big = mediafiles.write(tmp_path / "big.png", mediafiles.png(640, 480), size=25_000_000)
    fake = mediafiles.write(tmp_path / "fake.png", mediafiles.wav(4))
    async with running(settings_for(emulator, tmp_path)) as service:
        for path, code in ((big, "file_too_large"), (fake, "invalid_format")):
            with pytest.raises(RequestInvalid) as info:
                await service.submit({"mode": "i2v", "image": str(path)})
            assert info.value.code == code and info.value.fix
        assert await states_of(service) == []
    assert [e for e in emulator.requests() if e.get("route") != "admin"] == []
