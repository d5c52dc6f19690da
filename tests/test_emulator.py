"""The emulator answers like DashScope: shapes, messages, lifecycle, limits, uploads, results and faults."""

from __future__ import annotations

import base64
import hashlib
import io
import re
import time
from collections.abc import Callable
from typing import Any

import av
import httpx2
import pytest

import mediafiles
from conftest import CANARY_KEY, LiveEmulator
from wan_mcp import catalog
from wan_mcp.emulator.app import caption_for
from wan_mcp.emulator.mp4 import Caption
from wan_mcp.emulator.picture import Overlay
from wan_mcp.emulator.rules import Submission, VideoSpec
from wan_mcp.integrity import crc64

T2V = "/services/aigc/video-generation/video-synthesis"
I2V = T2V
KF2V = "/services/aigc/image2video/video-synthesis"
TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$")
AUTH = {"Authorization": f"Bearer {CANARY_KEY}"}
ASYNC = {**AUTH, "X-DashScope-Async": "enable"}


def post(live: LiveEmulator, path: str, body: Any = None, headers: dict[str, str] | None = None) -> httpx2.Response:
    with httpx2.Client(timeout=30) as http:
        return http.post(live.base_url + path, json=body, headers=ASYNC if headers is None else headers)


def get(live: LiveEmulator, path: str, **params: Any) -> httpx2.Response:
    with httpx2.Client(timeout=30) as http:
        return http.get(live.base_url + path, params=params, headers=AUTH)


def t2v(prompt: str = "a fox in the snow", **parameters: Any) -> dict[str, Any]:
    return {"model": "wan2.6-t2v", "input": {"prompt": prompt}, "parameters": {"size": "1280*720", **parameters}}


def submit(live: LiveEmulator, body: dict[str, Any], path: str = T2V, headers: dict[str, str] | None = None) -> str:
    response = post(live, path, body, headers)
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["output"]["task_status"] == "PENDING" and len(data["output"]["task_id"]) == 36
    return str(data["output"]["task_id"])


def wait(live: LiveEmulator, task_id: str, timeout: float = 20) -> dict[str, Any]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        data: dict[str, Any] = get(live, f"/tasks/{task_id}").json()
        if data["output"]["task_status"] not in ("PENDING", "RUNNING"):
            return data
        time.sleep(0.05)
    raise AssertionError("task did not finish")


def error_of(response: httpx2.Response) -> tuple[int, str, str]:
    body = response.json()
    assert body["request_id"] == response.headers["x-request-id"] and "output" not in body
    return response.status_code, body["code"], body["message"]


def test_auth_errors(emulator: LiveEmulator) -> None:
    """No key → 401 'No API-key provided.'; a wrong key → 401 'Invalid API-key provided.'."""
    assert error_of(post(emulator, T2V, t2v(), {"X-DashScope-Async": "enable"})) == (
        401,
        "InvalidApiKey",
        "No API-key provided.",
    )
    wrong = {"Authorization": "Bearer sk-wrong", "X-DashScope-Async": "enable"}
    assert error_of(post(emulator, T2V, t2v(), wrong))[2] == "Invalid API-key provided."


def test_synchronous_call_is_refused(emulator: LiveEmulator) -> None:
    """A create call without X-DashScope-Async → 403 AccessDenied with the documented message."""
    assert error_of(post(emulator, T2V, t2v(), AUTH)) == (
        403,
        "AccessDenied",
        "current user api does not support synchronous calls.",
    )


@pytest.mark.parametrize(
    ("body", "path", "expected"),
    [
        ("{not json", T2V, ("InvalidParameter", "Required body invalid, please check the request body format.")),
        (
            {"input": {"prompt": "x"}},
            T2V,
            ("BadRequest.EmptyModel", 'Required parameter "model" missing from request.'),
        ),
        ({"model": "wan2.6-t2v"}, T2V, ("BadRequest.EmptyInput", "Required input parameter missing from request.")),
        ({"model": "wan9-t2v", "input": {"prompt": "x"}}, T2V, ("InvalidParameter", "Model not exist.")),
        ({"model": "wan2.1-t2v-turbo", "input": {"prompt": "x"}}, T2V, ("InvalidParameter", "Model not exist.")),
        (
            {"model": "wan2.2-kf2v-flash", "input": {"first_frame_url": "https://x/a.png"}},
            T2V,
            ("InvalidParameter", "url error, please check url！"),
        ),
        (
            {"model": "wan2.6-i2v-flash", "input": {"prompt": "x"}},
            I2V,
            ("InvalidParameter", "Field required: input.img_url"),
        ),
        ({"model": "wan2.6-t2v", "input": {}}, T2V, ("InvalidParameter", "Field required: input.prompt")),
        (t2v(duration=16), T2V, ("InvalidParameter", None)),
        (t2v(seed=-1), T2V, ("InvalidParameter", None)),
        (
            {"model": "wan2.6-r2v", "input": {"prompt": "c", "reference_urls": ["data:image/png;base64,AAAA"]}},
            T2V,
            ("InvalidParameter", "The provided URL does not appear to be valid. Ensure it is correctly formatted."),
        ),
        (
            {
                "model": "wanx2.1-vace-plus",
                "input": {"function": "image_reference", "prompt": "p", "ref_images_url": ["https://x/1.png"] * 2},
                "parameters": {"obj_or_bg": ["obj"]},
            },
            T2V,
            ("InvalidParameter", "ref_images_url and obj_or_bg must be the same length."),
        ),
    ],
)
def test_submit_refusals(emulator: LiveEmulator, body: Any, path: str, expected: tuple[str, str | None]) -> None:
    """Doomed submits are refused at once with DashScope's codes and messages (no task is created)."""
    with httpx2.Client(timeout=10) as http:
        content = body.encode() if isinstance(body, str) else None
        response = (
            http.post(emulator.base_url + path, content=content, headers=ASYNC)
            if content
            else http.post(emulator.base_url + path, json=body, headers=ASYNC)
        )
    status, code, message = error_of(response)
    assert (status, code) == (400, expected[0])
    if expected[1] is not None:
        assert message == expected[1]
    assert emulator.admin("state")["tasks"] == []


def test_trailing_slash_and_sdk_extras_are_accepted(emulator: LiveEmulator) -> None:
    """The image2video path with a trailing slash works; the SDK's extend_prompt/function extras are ignored."""
    body = {
        "model": "wan2.2-kf2v-flash",
        "input": {
            "first_frame_url": "https://x/a.png",
            "last_frame_url": "https://x/b.png",
            "extend_prompt": True,
            "function": "video-synthesis",
        },
        "parameters": {"resolution": "480P"},
    }
    task = submit(emulator, body, KF2V + "/")
    assert wait(emulator, task)["output"]["task_status"] == "SUCCEEDED"


def test_lifecycle_times_and_outputs(make_emulator: Callable[..., LiveEmulator]) -> None:
    """PENDING → RUNNING → SUCCEEDED with documented times; wan2.6 gives orig_prompt, no actual_prompt, its usage."""
    live = make_emulator(speed=40)
    task = submit(live, t2v(duration=10))
    seen = []
    while True:
        data = get(live, f"/tasks/{task}").json()
        seen.append(data["output"]["task_status"])
        if seen[-1] == "SUCCEEDED":
            break
        time.sleep(0.05)
    assert seen[0] in ("PENDING", "RUNNING") and "RUNNING" in seen
    output = data["output"]
    assert TIME.match(output["submit_time"]) and TIME.match(output["scheduled_time"]) and TIME.match(output["end_time"])
    assert output["orig_prompt"] == "a fox in the snow" and "actual_prompt" not in output
    assert data["usage"] == {
        "duration": 10,
        "size": "1280*720",
        "input_video_duration": 0,
        "output_video_duration": 10,
        "video_count": 1,
        "SR": 720,
    }


@pytest.mark.parametrize(
    ("body", "path", "check"),
    [
        (
            {"model": "wan2.2-t2v-plus", "input": {"prompt": "p"}, "parameters": {"size": "832*480"}},
            T2V,
            lambda d: (
                d["usage"] == {"video_duration": 5, "video_ratio": "832*480", "video_count": 1}
                and d["output"]["actual_prompt"].startswith("p")
            ),
        ),
        (
            {"model": "wan2.2-kf2v-flash", "input": {"first_frame_url": "https://x/a.png", "prompt": "p"}},
            KF2V,
            lambda d: d["usage"] == {"video_duration": 5, "video_count": 1, "SR": 720},
        ),
        (
            {
                "model": "wan2.2-animate-mix",
                "input": {"image_url": "https://x/a.png", "video_url": "https://x/v.mp4"},
                "parameters": {"mode": "wan-pro"},
            },
            KF2V,
            lambda d: (
                d["output"]["results"]["video_url"]
                and "video_url" not in d["output"]
                and d["usage"] == {"video_duration": 5.0, "video_ratio": "pro"}
            ),
        ),
        (
            {
                "model": "wanx2.1-vace-plus",
                "input": {"function": "video_outpainting", "prompt": "p", "video_url": "https://x/v.mp4"},
                "parameters": {"prompt_extend": False},
            },
            T2V,
            lambda d: (
                d["usage"] == {"video_duration": 5, "video_ratio": "standard", "video_count": 1}
                and "actual_prompt" not in d["output"]
            ),
        ),
        (
            {
                "model": "wan2.6-r2v-flash",
                "input": {"prompt": "character1", "reference_urls": ["https://x/a.png"]},
                "parameters": {"size": "1280*720", "audio": False},
            },
            T2V,
            lambda d: d["usage"]["audio"] is False and d["usage"]["duration"] == 5.0,
        ),
    ],
)
def test_output_fields_per_family(
    emulator: LiveEmulator, body: dict[str, Any], path: str, check: Callable[[dict[str, Any]], bool]
) -> None:
    """video_url vs results.video_url, actual_prompt and the usage variants follow the reference (§6.4)."""
    data = wait(emulator, submit(emulator, body, path))
    assert data["output"]["task_status"] == "SUCCEEDED"
    assert check(data), data


def test_unsupported_size_fails_the_task_later(emulator: LiveEmulator) -> None:
    """A size the model lacks is accepted, then the task FAILS with 'The size is not match …' (the doc's example)."""
    data = wait(emulator, submit(emulator, t2v(size="832*480")))
    assert data["output"]["task_status"] == "FAILED" and data["output"]["code"] == "InvalidParameter"
    assert data["output"]["message"].startswith("The size is not match") and "usage" not in data


def test_prompt_over_the_limit_is_silently_truncated(emulator: LiveEmulator) -> None:
    """As documented, a too-long prompt is cut without an error (which is why wan-mcp refuses it first)."""
    data = wait(emulator, submit(emulator, t2v("x" * 1600)))
    assert len(data["output"]["orig_prompt"]) == 1500


def test_unknown_and_expired_ids(make_emulator: Callable[..., LiveEmulator]) -> None:
    """Unknown ids and tasks past the retention time are HTTP 200 UNKNOWN."""
    live = make_emulator(speed=1000, retention_seconds=2000)
    assert get(live, "/tasks/1111").json()["output"] == {"task_id": "1111", "task_status": "UNKNOWN"}
    task = submit(live, t2v())
    assert wait(live, task)["output"]["task_status"] == "SUCCEEDED"
    time.sleep(2.5)
    assert get(live, f"/tasks/{task}").json()["output"]["task_status"] == "UNKNOWN"


def test_concurrency_queue_and_cancel(make_emulator: Callable[..., LiveEmulator]) -> None:
    """Past a model's concurrency, tasks wait in PENDING; only a PENDING task can be cancelled."""
    live = make_emulator(speed=20)
    body = {
        "model": "wan2.2-animate-move",
        "input": {"image_url": "https://x/a.png", "video_url": "https://x/v.mp4"},
        "parameters": {"mode": "wan-std"},
    }
    first, second = submit(live, body, KF2V), submit(live, body, KF2V)
    time.sleep(0.3)
    assert get(live, f"/tasks/{first}").json()["output"]["task_status"] == "RUNNING"
    assert get(live, f"/tasks/{second}").json()["output"]["task_status"] == "PENDING"
    refused = post(live, f"/tasks/{first}/cancel", headers=AUTH)
    assert error_of(refused) == (
        400,
        "UnsupportedOperation",
        "Failed to cancel the task, please confirm if the task is in PENDING status.",
    )
    assert post(live, f"/tasks/{second}/cancel", headers=AUTH).status_code == 200
    data = get(live, f"/tasks/{second}").json()["output"]
    assert data["task_status"] == "CANCELED" and TIME.match(data["end_time"])


def test_submit_rate_limit(emulator: LiveEmulator) -> None:
    """wan2.2-t2v-plus takes 2 submits per second: the third at once gets 429 Throttling.RateQuota."""
    body = {"model": "wan2.2-t2v-plus", "input": {"prompt": "p"}, "parameters": {"size": "832*480"}}
    codes = [post(emulator, T2V, body).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_query_rate_limit(make_emulator: Callable[..., LiveEmulator]) -> None:
    """Task queries above the account-wide limit get 429 Throttling."""
    live = make_emulator(query_qps=5)
    with httpx2.Client(timeout=10) as http:
        codes = [http.get(f"{live.base_url}/tasks/x{i}", headers=AUTH).status_code for i in range(8)]
    assert codes[:5] == [200] * 5 and 429 in codes[5:]


def test_task_list_shape_and_filters(emulator: LiveEmulator) -> None:
    """GET /tasks returns epoch-ms rows with 'status', filtered by model and status, paged."""
    first = submit(emulator, t2v())
    submit(emulator, {"model": "wan2.2-t2v-plus", "input": {"prompt": "p"}, "parameters": {"size": "832*480"}})
    wait(emulator, first)
    data = get(emulator, "/tasks", model_name="wan2.6-t2v", page_size=5).json()
    assert data["total"] == 1 and data["page_size"] == 5 and data["total_page"] == 1
    row = data["data"][0]
    assert row["task_id"] == first and row["status"] == "SUCCEEDED"
    assert isinstance(row["gmt_create"], int) and row["gmt_create"] > 1_700_000_000_000 and "end_time" in row
    assert get(emulator, "/tasks", status="FAILED").json()["total"] == 0
    assert get(emulator, "/tasks", start_time="20200101000000", end_time="20200102000000").json()["total"] == 0


def test_upload_flow_and_oss_rules(emulator: LiveEmulator) -> None:
    """getPolicy → multipart POST to upload_host → oss:// works only with the header and for the same model."""
    policy = get(emulator, "/uploads", action="getPolicy", model="wan2.6-i2v-flash").json()["data"]
    key = policy["upload_dir"] + "/cat.png"
    form = {
        "OSSAccessKeyId": policy["oss_access_key_id"],
        "Signature": policy["signature"],
        "policy": policy["policy"],
        "key": key,
        "x-oss-object-acl": policy["x_oss_object_acl"],
        "x-oss-forbid-overwrite": policy["x_oss_forbid_overwrite"],
        "success_action_status": "200",
    }
    png = mediafiles.png(480, 640)
    with httpx2.Client(timeout=10) as http:
        assert http.post(policy["upload_host"], data=form, files={"file": ("cat.png", png)}).status_code == 200
        again = http.post(policy["upload_host"], data=form, files={"file": ("cat.png", png)})
        assert again.status_code == 409 and "<Code>FileAlreadyExists</Code>" in again.text
        bad = http.post(policy["upload_host"], data={**form, "Signature": "x"}, files={"file": ("cat.png", png)})
        assert bad.status_code == 403
    body = {"model": "wan2.6-i2v-flash", "input": {"img_url": f"oss://{key}"}, "parameters": {"resolution": "720P"}}
    assert error_of(post(emulator, I2V, body))[1] == "InvalidParameter.DataInspection"
    with_header = {**ASYNC, "X-DashScope-OssResourceResolve": "enable"}
    task = submit(emulator, body, I2V, with_header)
    other = {**body, "model": "wan2.6-i2v"}
    assert error_of(post(emulator, I2V, other, with_header))[2] == (
        "Failed to find the requested media resource during the data inspection process."
    )
    video = wait(emulator, task)
    state = {t["task_id"]: t for t in emulator.admin("state")["tasks"]}
    assert video["output"]["task_status"] == "SUCCEEDED"
    assert (state[task]["video"]["width"], state[task]["video"]["height"]) == (832, 1088)  # 3:4 like the image


def test_result_is_a_real_mp4_behind_a_signed_expiring_url(emulator: LiveEmulator) -> None:
    """The result decodes (H.264, size, duration, sound when the model makes it); ranges work; URLs expire."""
    task = submit(emulator, t2v(duration=3))
    url = wait(emulator, task)["output"]["video_url"]
    with httpx2.Client(timeout=30) as http:
        whole = http.get(url)
        assert whole.status_code == 200 and whole.headers["content-type"] == "video/mp4"
        part = http.get(url, headers={"Range": "bytes=100-199"})
        assert part.status_code == 206 and part.content == whole.content[100:200]
        assert part.headers["content-range"] == f"bytes 100-199/{len(whole.content)}"
        tampered = http.get(url.replace("Signature=", "Signature=x"))
        assert tampered.status_code == 403
    with av.open(io.BytesIO(whole.content)) as container:
        video = container.streams.video[0]
        assert video.codec_context.name == "h264" and (video.width, video.height) == (1280, 720)
        assert container.streams.audio and abs(container.duration / 1e6 - 3) < 0.1
    emulator.admin(f"tasks/{task}/expire-url", {})
    with httpx2.Client(timeout=30) as http:
        expired = http.get(url)
    assert expired.status_code == 403 and "Request has expired." in expired.text


def test_result_video_shows_the_request_it_answers(emulator: LiveEmulator) -> None:
    """The result's first frame carries the caption of this request: its prompt, the model and the mode."""
    task = submit(emulator, t2v("a fox in the snow", duration=2))
    url = wait(emulator, task)["output"]["video_url"]
    with httpx2.Client(timeout=30) as http, av.open(io.BytesIO(http.get(url).content)) as container:
        frame = next(container.decode(video=0))
        plane = frame.planes[0]
        data = bytes(plane)
        rows = [data[y * plane.line_size : y * plane.line_size + 1280] for y in range(720)]
    expected = Overlay(1280, 720, 2, Caption("a fox in the snow", "wan2.6-t2v", "t2v")).caption_samples
    other = Overlay(1280, 720, 2, Caption("a cat in the snow", "wan2.6-t2v", "t2v")).caption_samples

    shown = {a: b"".join(r[16 * (a % 80) :][:16] for r in rows[16 * (a // 80) :][:16]) for a in expected}
    assert shown == {a: samples[:256] for a, samples in expected.items()}
    assert shown != {a: samples[:256] for a, samples in other.items()}


@pytest.mark.parametrize(
    ("model", "given", "mode"),
    [
        ("wan2.6-t2v", {"prompt": "p"}, "t2v"),
        ("wan3.0-video", {"prompt": "p"}, "t2v"),
        ("wan3.0-video", {"media": [{"type": "first_frame", "url": "u"}]}, "i2v"),
        ("wan3.0-video", {"media": [{"type": "first_frame", "url": "u"}, {"type": "last_frame", "url": "u"}]}, "kf2v"),
        ("wan3.0-video", {"media": [{"type": "reference_image", "url": "u"}]}, "r2v"),
        ("wan2.1-vace-plus", {"function": "video_outpainting"}, "vace video_outpainting"),
    ],
)
def test_caption_names_the_mode_a_model_was_used_in(model: str, given: dict[str, Any], mode: str) -> None:
    """A model with several modes is captioned with the one its media show; VACE adds its function."""
    found = catalog.find_model(model)
    assert found is not None
    submission = Submission(found, model, VideoSpec(1280, 720, 5, False, 0), {"orig_prompt": "p"}, {})
    caption = caption_for(submission, {"model": model, "input": given})
    assert (caption.mode, caption.model, caption.prompt) == (mode, model, "p")


def test_silent_models_make_silent_videos(emulator: LiveEmulator) -> None:
    """kf2v output has no audio stream; an i2v data: image of 3:4 gives a 3:4 video."""
    image = "data:image/png;base64," + base64.b64encode(mediafiles.png(600, 800)).decode()
    body = {
        "model": "wan2.2-kf2v-flash",
        "input": {"first_frame_url": image, "last_frame_url": image},
        "parameters": {"resolution": "480P"},
    }
    url = wait(emulator, submit(emulator, body, KF2V))["output"]["video_url"]
    with httpx2.Client(timeout=30) as http, av.open(io.BytesIO(http.get(url).content)) as container:
        assert not container.streams.audio
        assert container.streams.video[0].width < container.streams.video[0].height


def test_face_detect_is_synchronous(emulator: LiveEmulator) -> None:
    """The s2v pre-check answers at once, and refuses the async header."""
    body = {"model": "wan2.2-s2v-detect", "input": {"image_url": "https://x/face.png"}}
    path = "/services/aigc/image2video/face-detect"
    assert post(emulator, path, body, AUTH).json()["output"]["check_pass"] is True
    assert error_of(post(emulator, path, body))[2] == "Current user api does not support asynchronous calls."


def test_fault_fail_task(emulator: LiveEmulator) -> None:
    """An injected failure ends the next task FAILED with the chosen code and message, and no usage."""
    emulator.faults(
        fail_tasks=[{"code": "DataInspectionFailed", "message": "Input data may contain inappropriate content."}]
    )
    data = wait(emulator, submit(emulator, t2v()))["output"]
    assert (data["task_status"], data["code"]) == ("FAILED", "DataInspectionFailed")
    assert wait(emulator, submit(emulator, t2v()))["output"]["task_status"] == "SUCCEEDED"


def test_fault_fixed_queue_and_processing_times(make_emulator: Callable[..., LiveEmulator]) -> None:
    """queue_seconds and processing_seconds fix how long new tasks wait PENDING and then run (scaled by the speed);
    without queue_seconds the queue time is drawn at random again."""
    live = make_emulator(speed=10)
    live.faults(processing_seconds=30, queue_seconds=2)
    fixed = submit(live, t2v())
    live.faults(queue_seconds=None)
    drawn = [submit(live, t2v()) for _ in range(3)]
    tasks = {t["task_id"]: t for t in live.admin("state")["tasks"]}
    task = tasks[fixed]
    assert task["start"] - task["submitted"] == pytest.approx(0.2)
    assert task["end"] - task["start"] == pytest.approx(3.0)
    assert len({round(tasks[t]["start"] - tasks[t]["submitted"], 6) for t in drawn}) == 3


def test_fault_http_error_burst(emulator: LiveEmulator) -> None:
    """Injected 503s hit the chosen route the chosen number of times, with Retry-After."""
    emulator.faults(http_errors=[{"route": "query", "status": 503, "count": 2, "retry_after": 1}])
    responses = [get(emulator, "/tasks/abc") for _ in range(3)]
    assert [r.status_code for r in responses] == [503, 503, 200]
    assert responses[0].headers["retry-after"] == "1"


def test_fault_drop_after_accepting(emulator: LiveEmulator) -> None:
    """drop_submits creates the task and closes the connection with no answer at all."""
    emulator.faults(drop_submits=1)
    with pytest.raises(httpx2.RemoteProtocolError):
        post(emulator, T2V, t2v())
    assert len(emulator.admin("state")["tasks"]) == 1


def test_fault_truncated_download(emulator: LiveEmulator) -> None:
    """A truncated download stops short of Content-Length and the connection closes."""
    url = wait(emulator, submit(emulator, t2v()))["output"]["video_url"]
    emulator.faults(downloads=[{"count": 1, "truncate_after": 10_000}])
    with httpx2.Client(timeout=30) as http, pytest.raises(httpx2.RemoteProtocolError):
        http.get(url)


def test_result_route_answers_like_oss(emulator: LiveEmulator) -> None:
    """Length, an MD5 ETag, the CRC-64 of the object (on 200 and 206), byte ranges, and 416 with the size."""
    url = wait(emulator, submit(emulator, t2v()))["output"]["video_url"]
    with httpx2.Client(timeout=30) as http:
        whole = http.get(url)
        part = http.get(url, headers={"Range": "bytes=10-"})
        beyond = http.get(url, headers={"Range": f"bytes={len(whole.content)}-"})
    size = len(whole.content)
    assert whole.headers["content-length"] == str(size) and whole.headers["accept-ranges"] == "bytes"
    assert whole.headers["etag"] == f'"{hashlib.md5(whole.content, usedforsecurity=False).hexdigest().upper()}"'
    assert whole.headers["x-oss-hash-crc64ecma"] == str(crc64(whole.content))
    assert part.status_code == 206 and part.headers["x-oss-hash-crc64ecma"] == str(crc64(whole.content))
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{size}"
    assert "<Code>InvalidRange</Code>" in beyond.text


def test_fault_expired_body_before_expiry_and_bad_crc(emulator: LiveEmulator) -> None:
    """Download faults: a 403 "Request has expired." while the URL is valid, a wrong or missing CRC-64, and
    flipped bytes; each is consumed, then the object is served intact."""
    url = wait(emulator, submit(emulator, t2v()))["output"]["video_url"]
    with httpx2.Client(timeout=30) as http:
        clean = http.get(url)
        emulator.faults(
            downloads=[
                {"count": 1, "expired": True},
                {"count": 1, "wrong_crc": True},
                {"count": 1, "no_crc": True},
                {"count": 1, "damage": [1000, 4]},
            ]
        )
        refused, wrong, missing, damaged, again = (http.get(url) for _ in range(5))
    assert refused.status_code == 403 and "Request has expired." in refused.text
    assert int(wrong.headers["x-oss-hash-crc64ecma"]) != crc64(clean.content) and wrong.content == clean.content
    assert "x-oss-hash-crc64ecma" not in missing.headers
    flipped = bytes(b ^ 0xFF for b in clean.content[1000:1004])
    assert damaged.content == clean.content[:1000] + flipped + clean.content[1004:]
    assert damaged.headers["x-oss-hash-crc64ecma"] == clean.headers["x-oss-hash-crc64ecma"]
    assert again.content == clean.content


def test_deterministic_under_a_seed(make_emulator: Callable[..., LiveEmulator]) -> None:
    """Two emulators with the same seed give the same task ids and the same schedule."""
    a, b = make_emulator(seed=7), make_emulator(seed=7)
    ids_a = [submit(a, t2v()) for _ in range(2)]
    ids_b = [submit(b, t2v()) for _ in range(2)]
    assert ids_a == ids_b
    durations = [[round(t["end"] - t["start"], 6) for t in live.admin("state")["tasks"]] for live in (a, b)]
    assert durations[0] == durations[1]


def test_upload_policy_follows_the_regions_storage(make_emulator: Callable[..., LiveEmulator]) -> None:
    """getPolicy answers in Singapore (storage since the 2026-10 page) and is Not Found in Virginia (none there)."""
    singapore = make_emulator(region="singapore")
    assert get(singapore, "/uploads", action="getPolicy", model="wan2.6-i2v-flash").json()["data"]["upload_dir"]
    virginia = make_emulator(region="virginia")
    assert get(virginia, "/uploads", action="getPolicy", model="wan2.6-i2v").status_code == 404
