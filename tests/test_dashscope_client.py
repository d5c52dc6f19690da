"""The DashScope client over real loopback HTTP against the emulator, including every injected fault."""

from __future__ import annotations

import hashlib
import logging
import random
import shutil
import sys
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from pydantic import SecretStr

import mediafiles
from conftest import CANARY_KEY, LiveEmulator
from wan_mcp import downloads, errors
from wan_mcp.dashscope import DashScopeClient, RetryPolicy, TaskInfo, Usage
from wan_mcp.downloads import url_expires_at
from wan_mcp.inputs import open_for_upload
from wan_mcp.requests import plan_request

pytestmark = pytest.mark.anyio


async def no_sleep(_: float) -> None:
    await anyio.sleep(0)


def client_for(live: LiveEmulator, **kwargs: Any) -> DashScopeClient:
    kwargs.setdefault("sleep", no_sleep)
    kwargs.setdefault("rng", random.Random(0))
    kwargs.setdefault("retry", RetryPolicy(attempts=4, base=0.01, cap=0.05))
    kwargs.setdefault("query_qps", 200)
    return DashScopeClient(base_url=live.base_url, api_key=SecretStr(CANARY_KEY), **kwargs)


@pytest.fixture
async def client(emulator: LiveEmulator) -> AsyncIterator[DashScopeClient]:
    async with client_for(emulator) as c:
        yield c


def t2v_plan(prompt: str = "a red fox in the snow", **extra: Any) -> Any:
    return plan_request({"mode": "t2v", "prompt": prompt, **extra})


async def finished(client: DashScopeClient, task_id: str) -> TaskInfo:
    for _ in range(400):
        info = await client.get_task(task_id)
        if info.terminal:
            return info
        await anyio.sleep(0.02)
    raise AssertionError("task did not finish")


async def test_submit_poll_download(client: DashScopeClient, tmp_path: Path) -> None:
    """A planned request is submitted, reaches SUCCEEDED, and downloads to a verified file."""
    plan = t2v_plan(duration=3)
    created = await client.submit(plan.request, model=plan.model)
    info = await finished(client, created.task_id)
    assert info.status == "SUCCEEDED" and info.video_url and info.orig_prompt == "a red fox in the snow"
    assert info.usage is not None and info.usage.billed_seconds == 3 and info.usage.sr == 720
    result = await client.download(info.video_url, tmp_path / "fox.mp4")
    data = (tmp_path / "fox.mp4").read_bytes()
    assert result.size_bytes == len(data) and result.sha256 == hashlib.sha256(data).hexdigest()
    assert not (tmp_path / "fox.mp4.part").exists() and result.resumed == 0


async def test_query_retries_on_429_and_5xx(emulator: LiveEmulator, client: DashScopeClient) -> None:
    """GETs ride out throttling and server errors (honouring Retry-After)."""
    emulator.faults(
        http_errors=[
            {"route": "query", "status": 429, "count": 2, "retry_after": 0},
            {"route": "query", "status": 503, "count": 1},
        ]
    )
    info = await client.get_task("no-such-task")
    assert info.status == "UNKNOWN"
    assert [e["status"] for e in emulator.requests("query")] == [429, 429, 503, 200]


async def test_query_gives_up_after_the_attempts(emulator: LiveEmulator, client: DashScopeClient) -> None:
    """A GET that keeps failing raises the last error, retryable, with its code."""
    emulator.faults(http_errors=[{"route": "query", "status": 503, "count": 10}])
    with pytest.raises(errors.ServerError) as info:
        await client.get_task("x")
    assert info.value.retryable and len(emulator.requests("query")) == 4


async def test_submit_429_is_retried_once_accepted(emulator: LiveEmulator, client: DashScopeClient) -> None:
    """A throttled submit created nothing, so it is retried; exactly one task results."""
    emulator.faults(http_errors=[{"route": "submit", "status": 429, "count": 2, "code": "Throttling.RateQuota"}])
    plan = t2v_plan()
    await client.submit(plan.request, model=plan.model)
    assert [e["status"] for e in emulator.requests("submit")] == [429, 429, 200]
    assert len(emulator.admin("state")["tasks"]) == 1


@pytest.mark.parametrize(
    "fault",
    [
        {"http_errors": [{"route": "submit", "status": 500, "count": 1}]},
        {"http_errors": [{"route": "submit", "status": 503, "count": 1}]},
        {"drop_submits": 1},
        {"drop_before_submit": 1},
    ],
    ids=["500", "503", "dropped-after-accepting", "dropped-before"],
)
async def test_submit_with_unknown_outcome_is_never_resent(
    emulator: LiveEmulator, client: DashScopeClient, fault: dict[str, Any]
) -> None:
    """5xx or a dropped connection after sending → SubmitOutcomeUnknown, and exactly one submit went out."""
    emulator.faults(**fault)
    plan = t2v_plan()
    with pytest.raises(errors.SubmitOutcomeUnknown) as info:
        await client.submit(plan.request, model=plan.model)
    assert not info.value.retryable and "do not resubmit" in info.value.fix
    assert len(emulator.requests("submit")) == 1


async def test_submit_timeout_after_sending_is_unknown(emulator: LiveEmulator) -> None:
    """A submit that times out waiting for the answer is unknown (the task exists), never resent."""
    emulator.faults(stall_submits=[{"count": 1, "seconds": 2}])
    async with client_for(emulator, timeout=httpx2.Timeout(5.0, read=0.3)) as client:
        plan = t2v_plan()
        with pytest.raises(errors.SubmitOutcomeUnknown):
            await client.submit(plan.request, model=plan.model)
    assert len(emulator.requests("submit")) == 1
    assert len(emulator.admin("state")["tasks"]) == 1


async def test_submit_connect_error_is_retried_then_reported() -> None:
    """Nothing listening: the submit is retried (it never left), then reported as 'nothing was submitted'."""
    with anyio.fail_after(10):
        listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
        port = listener.extra(anyio.abc.SocketAttribute.local_port)
        await listener.aclose()
        client = DashScopeClient(
            base_url=f"http://127.0.0.1:{port}/api/v1",
            api_key=SecretStr(CANARY_KEY),
            sleep=no_sleep,
            retry=RetryPolicy(attempts=3, base=0.01),
        )
        async with client:
            plan = t2v_plan()
            with pytest.raises(errors.TransportError) as info:
                await client.submit(plan.request, model=plan.model)
    assert not isinstance(info.value, errors.SubmitOutcomeUnknown)
    assert "nothing was submitted" in info.value.message


async def test_wrong_key_is_an_auth_error_without_the_key(
    make_emulator: Callable[..., LiveEmulator], caplog: pytest.LogCaptureFixture
) -> None:
    """401 becomes AuthError whose fix names the region; the key appears in no message or log line."""
    live = make_emulator(api_key="sk-the-right-one")
    caplog.set_level(logging.DEBUG)
    async with client_for(live) as client:
        plan = t2v_plan()
        with pytest.raises(errors.AuthError) as info:
            await client.submit(plan.request, model=plan.model)
        with pytest.raises(errors.AuthError):
            await client.get_task("x")
    assert "DASHSCOPE_REGION" in info.value.fix
    for text in (str(info.value), repr(info.value), str(info.value.to_dict()), caplog.text, repr(client)):
        assert CANARY_KEY not in text


async def test_failed_task_and_refused_cancel(emulator: LiveEmulator, client: DashScopeClient) -> None:
    """A FAILED task carries code and message; cancelling a finished task is UnsupportedOperation."""
    emulator.faults(
        fail_tasks=[{"code": "DataInspectionFailed", "message": "Input data may contain inappropriate content."}]
    )
    plan = t2v_plan()
    created = await client.submit(plan.request, model=plan.model)
    info = await finished(client, created.task_id)
    assert (info.status, info.code) == ("FAILED", "DataInspectionFailed") and info.usage is None
    with pytest.raises(errors.ApiError) as refused:
        await client.cancel_task(created.task_id)
    assert refused.value.code == "UnsupportedOperation" and "PENDING" in refused.value.fix


async def test_cancel_pending(make_emulator: Callable[..., LiveEmulator]) -> None:
    """A task still queued behind a model's concurrency can be cancelled."""
    live = make_emulator(speed=20)
    async with client_for(live) as client:
        args = {"mode": "animate", "image": "https://x/a.png", "video": "https://x/v.mp4"}
        plan = plan_request(args)
        await client.submit(plan.request, model=plan.model)
        second = await client.submit(plan.request, model=plan.model)
        await client.cancel_task(second.task_id)
        assert (await client.get_task(second.task_id)).status == "CANCELED"


async def test_list_tasks(client: DashScopeClient) -> None:
    """The task list finds a task by model and time window, with epoch-ms times."""
    plan = t2v_plan()
    created = await client.submit(plan.request, model=plan.model)
    now = datetime.now(timezone.utc)
    page = await client.list_tasks(start=now - timedelta(minutes=5), end=now + timedelta(minutes=1), model="wan2.6-t2v")
    assert [t.task_id for t in page.tasks] == [created.task_id]
    assert page.tasks[0].created_ms is not None and abs(page.tasks[0].created_ms / 1000 - now.timestamp()) < 60
    empty = await client.list_tasks(start=now - timedelta(days=3), end=now - timedelta(days=2))
    assert empty.tasks == ()
    listed = [
        t.task_id async for t in client.iter_tasks(start=now - timedelta(minutes=5), end=now + timedelta(minutes=1))
    ]
    assert listed == [created.task_id]


async def test_upload_then_submit(client: DashScopeClient, tmp_path: Path) -> None:
    """A local image uploads through getPolicy + the upload host and is usable as oss:// with the header."""
    image = mediafiles.write(tmp_path / "cat photo.png", mediafiles.png(720, 960))
    plan = plan_request({"mode": "i2v", "image": str(image), "resolution": "720P"})
    with open_for_upload(image, size=image.stat().st_size) as file:
        oss = await client.upload(file, model=plan.model_name, content_type="image/png")
    assert oss.startswith("oss://dashscope-instant/") and oss.endswith("cat_photo.png")
    body = {**plan.request.body, "input": {**plan.request.body["input"], "img_url": oss}}
    request = type(plan.request)(plan.request.method, plan.request.path, plan.request.headers, body)
    created = await client.submit(request, model=plan.model)
    assert (await finished(client, created.task_id)).status == "SUCCEEDED"


async def test_face_detect(client: DashScopeClient) -> None:
    """The synchronous pre-check answers check_pass."""
    assert await client.face_detect("https://x/face.png") is True


async def test_truncated_download_is_resumed(emulator: LiveEmulator, client: DashScopeClient, tmp_path: Path) -> None:
    """A download cut short twice resumes with Range and ends identical to the full file."""
    plan = t2v_plan()
    info = await finished(client, (await client.submit(plan.request, model=plan.model)).task_id)
    assert info.video_url
    emulator.faults(downloads=[{"count": 2, "truncate_after": 300_000}])
    result = await client.download(info.video_url, tmp_path / "v.mp4")
    clean = await client.download(info.video_url, tmp_path / "clean.mp4")
    assert result.resumed == 2 and result.sha256 == clean.sha256 and result.size_bytes == clean.size_bytes
    assert len(emulator.requests("download")) == 4


async def test_slow_download_completes(emulator: LiveEmulator, client: DashScopeClient, tmp_path: Path) -> None:
    """A throttled download still arrives complete and verified."""
    plan = t2v_plan(resolution="720P", duration=2)
    info = await finished(client, (await client.submit(plan.request, model=plan.model)).task_id)
    assert info.video_url
    emulator.faults(downloads=[{"count": 1, "bytes_per_second": 20_000_000}])
    result = await client.download(info.video_url, tmp_path / "v.mp4")
    assert result.size_bytes == (tmp_path / "v.mp4").stat().st_size and result.resumed == 0


async def test_partial_file_from_a_crash_is_resumed(client: DashScopeClient, tmp_path: Path) -> None:
    """A .part file left by an earlier process is continued, not restarted, and proven by the server's CRC-64."""
    plan = t2v_plan()
    info = await finished(client, (await client.submit(plan.request, model=plan.model)).task_id)
    assert info.video_url
    full = await client.download(info.video_url, tmp_path / "full.mp4")
    data = (tmp_path / "full.mp4").read_bytes()
    (tmp_path / "again.mp4.part").write_bytes(data[:123_457])
    again = await client.download(info.video_url, tmp_path / "again.mp4")
    assert again.sha256 == full.sha256 and again.verification.reused_bytes == 123_457
    assert again.verification.crc64 == "matched" and "CRC-64 equal to the server's" in again.verification.summary


async def video_url(client: DashScopeClient, tmp_path: Path, name: str = "full.mp4") -> tuple[str, bytes]:
    """A finished task's result URL and its clean bytes."""
    plan = t2v_plan()
    info = await finished(client, (await client.submit(plan.request, model=plan.model)).task_id)
    assert info.video_url
    await client.download(info.video_url, tmp_path / name)
    return info.video_url, (tmp_path / name).read_bytes()


async def test_power_cut_damaged_part_is_never_delivered(
    emulator: LiveEmulator, client: DashScopeClient, tmp_path: Path
) -> None:
    """Regression: a .part whose bytes were damaged by a power cut fails the CRC-64 and is downloaded again whole;
    what is delivered is the server's file, not the damaged one."""
    url, clean = await video_url(client, tmp_path)
    damaged = bytearray(clean[:400_000])
    damaged[200_000:204_096] = bytes(4096)  # a page the kernel never wrote back
    (tmp_path / "v.mp4.part").write_bytes(damaged)
    before = len(emulator.requests("download"))
    result = await client.download(url, tmp_path / "v.mp4")
    assert (tmp_path / "v.mp4").read_bytes() == clean and result.sha256 == hashlib.sha256(clean).hexdigest()
    assert result.verification.crc64 == "matched" and result.verification.reused_bytes == 0
    assert [e["status"] for e in emulator.requests("download")[before:]] == [206, 200]


async def test_complete_part_answered_416_is_verified_and_delivered(
    emulator: LiveEmulator, client: DashScopeClient, tmp_path: Path
) -> None:
    """Regression: a .part holding the whole file gets 416 for its Range; it is delivered verified, in a bounded
    number of requests (the 416 carries no CRC-64, so the bytes are fetched once more to be proven)."""
    url, clean = await video_url(client, tmp_path)
    (tmp_path / "v.mp4.part").write_bytes(clean)
    before = len(emulator.requests("download"))
    result = await client.download(url, tmp_path / "v.mp4")
    assert (tmp_path / "v.mp4").read_bytes() == clean and result.verification.crc64 == "matched"
    assert [e["status"] for e in emulator.requests("download")[before:]] == [416, 200]
    assert not (tmp_path / "v.mp4.part").exists()


async def test_a_part_longer_than_the_object_starts_over(client: DashScopeClient, tmp_path: Path) -> None:
    """A .part longer than the object (416 with a smaller size) is discarded and the file downloaded whole."""
    url, clean = await video_url(client, tmp_path)
    (tmp_path / "v.mp4.part").write_bytes(clean + b"extra")
    await client.download(url, tmp_path / "v.mp4")
    assert (tmp_path / "v.mp4").read_bytes() == clean


async def test_wrong_crc_is_refused_and_damaged_bytes_are_fetched_again(
    emulator: LiveEmulator, client: DashScopeClient, tmp_path: Path
) -> None:
    """Bytes flipped in transit fail the CRC-64 and are downloaded once more; a CRC that never matches fails the
    download (retryable), leaving no file."""
    url, clean = await video_url(client, tmp_path)
    emulator.faults(downloads=[{"count": 1, "damage": [5000, 16]}])
    repaired = await client.download(url, tmp_path / "repaired.mp4")
    assert (tmp_path / "repaired.mp4").read_bytes() == clean and repaired.verification.crc64 == "matched"
    emulator.faults(downloads=[{"count": 2, "wrong_crc": True}])
    with pytest.raises(errors.DownloadFailed) as err:
        await client.download(url, tmp_path / "wrong.mp4")
    assert "CRC-64" in err.value.message and err.value.retryable
    assert not (tmp_path / "wrong.mp4").exists() and not (tmp_path / "wrong.mp4.part").exists()


async def test_without_a_crc_the_result_says_so(
    emulator: LiveEmulator, client: DashScopeClient, tmp_path: Path
) -> None:
    """With no x-oss-hash-crc64ecma the file is checked by length and MP4 structure, and says the CRC was not."""
    url, clean = await video_url(client, tmp_path)
    emulator.faults(downloads=[{"count": 1, "no_crc": True}])
    result = await client.download(url, tmp_path / "v.mp4")
    assert result.verification.crc64 == "not_sent" and result.verification.declared_length == len(clean)
    assert "CRC-64 not checked (the server sent none)" in result.verification.summary


async def test_no_room_on_disk_is_said_before_writing(
    client: DashScopeClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With less room than the file needs, SaveFailed names the folder, the bytes needed and free; nothing is
    written, and the download succeeds once there is room."""
    url, clean = await video_url(client, tmp_path)
    real = shutil.disk_usage
    monkeypatch.setattr(downloads.shutil, "disk_usage", lambda path: real(path)._replace(free=1000))
    with pytest.raises(errors.SaveFailed) as err:
        await client.download(url, tmp_path / "out" / "v.mp4")
    failure = err.value
    assert failure.needed_bytes == len(clean) and failure.free_bytes == 1000 and failure.retryable
    assert "no space left" in failure.message and "MB free" in failure.message and failure.fix
    assert failure.to_dict()["path"].endswith("v.mp4.part")
    monkeypatch.setattr(downloads.shutil, "disk_usage", real)
    result = await client.download(url, tmp_path / "out" / "v.mp4")
    assert result.size_bytes == len(clean)


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_FSIZE and SIGXFSZ are how Linux refuses a write here")
async def test_a_write_refused_by_the_os_keeps_the_part_and_resumes(client: DashScopeClient, tmp_path: Path) -> None:
    """A write the kernel refuses mid-download (EFBIG under a file-size limit) is SaveFailed; the .part keeps what
    was written, and the next download continues from it."""
    import resource
    import signal

    url, clean = await video_url(client, tmp_path)
    limit = 300_000
    previous_signal = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        with pytest.raises(errors.SaveFailed) as err:
            await client.download(url, tmp_path / "v.mp4")
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous_signal)
    assert err.value.cause == "the file is too large for the file system"
    assert (tmp_path / "v.mp4.part").stat().st_size <= limit
    result = await client.download(url, tmp_path / "v.mp4")
    assert (tmp_path / "v.mp4").read_bytes() == clean and result.verification.reused_bytes > 0


async def test_expired_url(emulator: LiveEmulator, client: DashScopeClient, tmp_path: Path) -> None:
    """A result URL whose own Expires has passed raises ResultExpired and leaves no file behind."""
    plan = t2v_plan()
    info = await finished(client, (await client.submit(plan.request, model=plan.model)).task_id)
    emulator.admin(f"tasks/{info.task_id}/expire-url", {})
    fresh = await client.get_task(info.task_id)  # a fresh query: the URL now carries an Expires in the past
    assert fresh.video_url
    with pytest.raises(errors.ResultExpired):
        await client.download(fresh.video_url, tmp_path / "v.mp4")
    assert not (tmp_path / "v.mp4").exists()


async def test_expired_body_before_expiry_is_retried_not_expired(
    make_emulator: Callable[..., LiveEmulator], tmp_path: Path
) -> None:
    """Regression: a 403 saying "Request has expired." while the URL's Expires is 24 h away is retried, and when it
    persists it is a retryable DownloadRefused, never ResultExpired."""
    live = make_emulator(speed=1.0)
    async with client_for(live) as client:
        plan = t2v_plan()
        created = await client.submit(plan.request, model=plan.model)
        live.admin(f"tasks/{created.task_id}/complete", {})
        info = await finished(client, created.task_id)
        assert info.video_url
        live.faults(downloads=[{"count": 2, "expired": True}])
        result = await client.download(info.video_url, tmp_path / "v.mp4")
        assert result.verification.crc64 == "matched" and result.resumed == 2
        live.faults(downloads=[{"count": 10, "expired": True}])
        with pytest.raises(errors.DownloadRefused) as err:
            await client.download(info.video_url, tmp_path / "w.mp4")
    assert err.value.retryable and err.value.expires_at is not None and "valid until" in err.value.message
    assert not isinstance(err.value, errors.ResultExpired)


def test_url_expiry_forms() -> None:
    """Expires= (V1 signatures) and x-oss-date + x-oss-expires (V4) are read; a URL without either has none."""
    assert url_expires_at("https://b.oss/x.mp4?Expires=1700000000&Signature=s") == 1_700_000_000
    v4 = "https://b.oss/x.mp4?x-oss-date=20260102T030405Z&x-oss-expires=86400&x-oss-signature=s"
    assert url_expires_at(v4) == datetime(2026, 1, 3, 3, 4, 5, tzinfo=timezone.utc).timestamp()
    assert url_expires_at("https://b.oss/x.mp4") is None


async def test_download_refuses_what_is_not_an_mp4(tmp_path: Path) -> None:
    """A body that is not an MP4 fails verification and is never renamed into place."""

    def handler(_: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, content=b"<html>not a video</html>")

    client = DashScopeClient(
        base_url="http://dashscope.test/api/v1", api_key=SecretStr(CANARY_KEY), transport=httpx2.MockTransport(handler)
    )
    async with client:
        with pytest.raises(errors.DownloadFailed):
            await client.download("http://dashscope.test/x.mp4", tmp_path / "x.mp4")
    assert not (tmp_path / "x.mp4").exists() and not (tmp_path / "x.mp4.part").exists()


async def test_query_limiter_keeps_under_the_account_limit(make_emulator: Callable[..., LiveEmulator]) -> None:
    """Many concurrent queries through one client stay within its query rate (no 429 from a 10-QPS emulator)."""
    live = make_emulator(query_qps=10)
    async with client_for(live, query_qps=8) as client, anyio.create_task_group() as group:
        for i in range(24):
            group.start_soon(client.get_task, f"t{i}")
    statuses = [e["status"] for e in live.requests("query")]
    assert statuses == [200] * 24


def test_usage_variants_parse() -> None:
    """Both usage shapes, SR as int or string, and unknown fields are accepted."""
    assert Usage.parse({"duration": 10, "SR": "720", "new_field": 1}).sr == 720  # type: ignore[union-attr]
    assert Usage.parse({"video_duration": 5.2, "video_ratio": "pro"}).billed_seconds == 5.2  # type: ignore[union-attr]
    assert Usage.parse({"duration": 10.0, "input_video_duration": 5, "output_video_duration": 5}).billed_seconds == 10
    info = TaskInfo.from_body({"output": {"task_id": "a", "task_status": "SUSPENDED"}}, "a")
    assert info.status == "PENDING" and info.raw_status == "SUSPENDED"
    animate = TaskInfo.from_body(
        {"output": {"task_id": "a", "task_status": "SUCCEEDED", "results": {"video_url": "u"}}}, "a"
    )
    assert animate.video_url == "u"


async def test_a_part_that_is_a_link_is_never_followed(client: DashScopeClient, tmp_path: Path) -> None:
    """A .part that is a symlink (to /dev/zero, or to a file elsewhere) is removed, not read or appended to."""
    url, clean = await video_url(client, tmp_path)
    elsewhere = tmp_path / "elsewhere.bin"
    elsewhere.write_bytes(b"keep me")
    (tmp_path / "v.mp4.part").symlink_to(elsewhere)
    await client.download(url, tmp_path / "v.mp4")
    assert (tmp_path / "v.mp4").read_bytes() == clean and elsewhere.read_bytes() == b"keep me"
