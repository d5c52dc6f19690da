"""The official `dashscope` Python SDK, pointed at the emulator, works as the reference describes."""

from __future__ import annotations

import base64
import time
import types
from collections.abc import Iterator
from typing import Any

import dashscope
import dashscope.client.base_api as sdk_base_api
import pytest
from dashscope import VideoSynthesis

import mediafiles
from conftest import CANARY_KEY, LiveEmulator

PNG = "data:image/png;base64," + base64.b64encode(mediafiles.png(640, 480)).decode()


@pytest.fixture
def sdk(emulator: LiveEmulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[type[VideoSynthesis]]:
    """The SDK aimed at the emulator, with wait()'s 1–5 s sleeps shortened (the emulator runs ×1000)."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setattr(dashscope, "base_http_api_url", emulator.base_url)
    monkeypatch.setattr(dashscope, "api_key", CANARY_KEY)
    real_sleep = time.sleep
    monkeypatch.setattr(
        sdk_base_api, "time", types.SimpleNamespace(time=time.time, sleep=lambda s: real_sleep(min(s, 0.05)))
    )
    yield VideoSynthesis
    dashscope.close_shared_sync_session()


def run(sdk: type[VideoSynthesis], **kwargs: Any) -> Any:
    submitted = sdk.async_call(**kwargs)
    assert submitted.status_code == 200, (submitted.code, submitted.message)
    assert submitted.output.task_status == "PENDING"
    result = sdk.wait(submitted, wait_timeout=60)
    assert result.status_code == 200, (result.code, result.message)
    return result


@pytest.mark.parametrize(
    "kwargs",
    [
        {"model": "wan2.6-t2v", "prompt": "a cat", "size": "1280*720", "duration": 5},
        {"model": "wan2.6-i2v-flash", "prompt": "the cat turns", "img_url": PNG, "resolution": "720P"},
        {"model": "wan2.2-kf2v-flash", "prompt": "morph", "first_frame_url": PNG, "last_frame_url": PNG},
        {
            "model": "wan2.6-r2v",
            "prompt": "character1 waves",
            "reference_urls": ["https://example.com/a.mp4"],
            "size": "1280*720",
            "duration": 5,
        },
        {
            "model": "wanx2.1-vace-plus",
            "prompt": "a dog in a garden",
            "obj_or_bg": ["obj"],
            "size": "1280*720",
            "extra_input": {"function": "image_reference", "ref_images_url": ["https://example.com/dog.png"]},
        },
    ],
    ids=["t2v", "i2v-data-uri", "kf2v", "r2v", "vace-image-reference"],
)
def test_sdk_completes_each_mode(sdk: type[VideoSynthesis], emulator: LiveEmulator, kwargs: dict[str, Any]) -> None:
    """async_call + wait reach SUCCEEDED with a video URL, through the endpoint the SDK chose."""
    result = run(sdk, **kwargs)
    assert result.output.task_status == "SUCCEEDED" and result.output.video_url.startswith(emulator.root)
    submits = emulator.requests("submit")
    expected = "/image2video/" if "kf2v" in kwargs["model"] else "/video-generation/"
    assert expected in submits[-1]["path"]


def test_sdk_sees_a_failed_task_and_a_refused_cancel(sdk: type[VideoSynthesis], emulator: LiveEmulator) -> None:
    """A FAILED task comes back as status 200 with output.code/message; cancelling it is a 400 UnsupportedOperation."""
    emulator.faults(
        fail_tasks=[{"code": "DataInspectionFailed", "message": "Input data may contain inappropriate content."}]
    )
    result = run(sdk, model="wan2.6-t2v", prompt="something", size="1280*720")
    assert result.output.task_status == "FAILED" and result.code is None
    assert result.output.code == "DataInspectionFailed"
    cancel = sdk.cancel(result.output.task_id)
    assert (cancel.status_code, cancel.code, cancel.output) == (400, "UnsupportedOperation", None)


def test_sdk_fetch_unknown_and_list(sdk: type[VideoSynthesis]) -> None:
    """fetch of an unknown id is UNKNOWN (HTTP 200); list returns the epoch-ms rows."""
    fetched = sdk.fetch("no-such-task")
    assert fetched.status_code == 200 and fetched.output.task_status == "UNKNOWN"
    run(sdk, model="wan2.6-t2v", prompt="a cat", size="1280*720")
    listed = sdk.list(page_size=5, status="SUCCEEDED")
    assert listed.status_code == 200 and listed.output["total"] == 1
    assert isinstance(listed.output["data"][0]["gmt_create"], int)


def test_sdk_wrong_key_is_401(sdk: type[VideoSynthesis], monkeypatch: pytest.MonkeyPatch) -> None:
    """A wrong key gets 401 InvalidApiKey, as on DashScope."""
    monkeypatch.setattr(dashscope, "api_key", "sk-not-this-one")
    response = sdk.async_call(model="wan2.6-t2v", prompt="a cat")
    assert (response.status_code, response.code) == (401, "InvalidApiKey")
