"""The DashScope emulator: routes, task lifecycle, rate limits, uploads, signed result URLs and fault injection.

Routes (under /api/v1, as DashScope): both create endpoints, the synchronous face-detect, GET /tasks/{id},
POST /tasks/{id}/cancel, GET /tasks (list), GET /uploads?action=getPolicy; plus the emulator's own OSS-style upload
host (POST /oss), signed results (GET /results/{id}.mp4, served as OSS does: Content-Length, an MD5 ETag,
x-oss-hash-crc64ecma, Accept-Ranges, 206/416 with Content-Range, and an XML 403 "Request has expired." only once the
URL's Expires has passed) and an admin API under /__emulator__ for tests:

    GET  /__emulator__/state        tasks, counters        POST /__emulator__/faults   add faults (JSON)
    GET  /__emulator__/log          every request seen     POST /__emulator__/reset    forget everything
    POST /__emulator__/tasks/{id}/complete | fail | expire-url

Faults (POST /__emulator__/faults, all optional, consumed in order):
    {"http_errors": [{"route": "submit|query|list|cancel|policy|upload|download|detect", "status": 503,
                      "code": "ServiceUnavailable", "message": "…", "count": 2, "retry_after": 1}],
     "fail_tasks": [{"code": "DataInspectionFailed", "message": "…", "model": null, "count": 1}],
     "drop_submits": 1,                      # create the task, then close the connection without answering
     "drop_before_submit": 1,                # close the connection without creating anything
     "stall_submits": [{"count": 1, "seconds": 30}],   # create the task, answer only after a delay
     "stall_uploads": [{"count": 1, "seconds": 30}],   # hold a file upload before answering
     "downloads": [{"count": 1, "bytes_per_second": 200000, "truncate_after": 1000000,
                    "expired": false,              # a 403 "Request has expired." although the URL is still valid
                    "wrong_crc": false,            # an x-oss-hash-crc64ecma that does not match the object
                    "no_crc": false,               # no x-oss-hash-crc64ecma header at all
                    "damage": [offset, length]}],  # those bytes of the object are served flipped
     "processing_seconds": 120,              # fixed processing time of new tasks (before --speed)
     "queue_seconds": 1.5,                   # fixed time new tasks wait PENDING (else 0.05–3 s at random)
     "keyframe_seconds": 0.5,                # denser keyframes in new results (bigger files)
     "detect_fail": 1}                       # the next face pre-check says check_pass false
Randomness (processing times, ids) is deterministic under --seed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import random
import tempfile
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from email.parser import BytesParser
from email.policy import HTTP
from heapq import heappop, heappush
from pathlib import Path
from typing import Any

import anycrc  # type: ignore[import-untyped]
import anyio

from wan_mcp import catalog
from wan_mcp.catalog import ENDPOINT_PATHS, RegionId
from wan_mcp.emulator import outputs, rules
from wan_mcp.emulator.http import DropConnection, HttpServer, Request, Response
from wan_mcp.emulator.mp4 import Caption, write_mp4
from wan_mcp.emulator.rules import ApiRefusal, Submission, VideoSpec
from wan_mcp.inputs import MediaInfo, probe_head

log = logging.getLogger("wan_mcp.emulator")

DAY = 24 * 3600.0
API = catalog.API_PREFIX
CREATE_PATHS = {API + path: endpoint for endpoint, path in ENDPOINT_PATHS.items() if endpoint != "face-detect"}
DETECT_PATH = API + ENDPOINT_PATHS["face-detect"]
BUCKET = "dashscope-result-emulator"


@dataclass
class EmulatorConfig:
    """How the emulator behaves; every duration is divided by `speed`."""

    api_key: str | None = None  # None: any non-empty key is accepted
    speed: float = 1.0
    seed: int = 0
    region: RegionId = "beijing"
    query_qps: float = catalog.TASK_QUERY_QPS
    retention_seconds: float = DAY  # task ids (before speed)
    url_ttl_seconds: float = DAY  # result URLs (before speed)
    upload_ttl_seconds: float = 2 * DAY  # oss:// files (before speed)
    utc_offset_hours: float = 8.0  # DashScope's time strings are Beijing time (UNVERIFIED)
    data_dir: Path | None = None  # where result videos and uploads are kept (a temp dir by default)
    concurrency: int | None = None  # overrides every model's concurrent-task limit (benchmarks)


@dataclass
class EmuTask:
    """One task and its schedule (wall-clock seconds)."""

    id: str
    submission: Submission
    submitted: float
    queue_delay: float
    processing: float
    api_key_id: str
    request_id: str
    start: float = 0.0
    end: float = 0.0
    canceled: float | None = None
    failure: tuple[str, str] | None = None
    url_expires: float = 0.0
    caption: Caption | None = None  # what the result video shows it answers

    def status(self, now: float) -> str:
        if self.canceled is not None:
            return "CANCELED"
        if now < self.start:
            return "PENDING"
        if now < self.end:
            return "RUNNING"
        return "FAILED" if self.failure else "SUCCEEDED"


@dataclass
class Upload:
    path: Path
    model: str
    uploaded: float
    info: MediaInfo | None


@dataclass
class Faults:
    http_errors: list[dict[str, Any]] = field(default_factory=list)
    fail_tasks: list[dict[str, Any]] = field(default_factory=list)
    drop_submits: int = 0
    drop_before_submit: int = 0
    stall_submits: list[dict[str, Any]] = field(default_factory=list)
    downloads: list[dict[str, Any]] = field(default_factory=list)
    processing_seconds: float | None = None
    queue_seconds: float | None = None
    detect_fail: int = 0
    keyframe_seconds: float | None = None
    stall_uploads: list[dict[str, Any]] = field(default_factory=list)


class SlidingWindow:
    """At most `limit` events in any `period` seconds."""

    def __init__(self, limit: float, period: float = 1.0) -> None:
        self.limit = limit
        self.period = period
        self.events: deque[float] = deque()

    def allow(self, now: float) -> bool:
        while self.events and self.events[0] <= now - self.period:
            self.events.popleft()
        if len(self.events) >= self.limit:
            return False
        self.events.append(now)
        return True


class Emulator:
    """DashScope's behaviour over HTTP, with its state in memory and its files in a data directory."""

    def __init__(self, config: EmulatorConfig | None = None, *, clock: Callable[[], float] = time.time) -> None:
        self.config = config or EmulatorConfig()
        self.clock = clock
        self.secret = hashlib.sha256(f"emulator-{self.config.seed}".encode()).digest()
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if self.config.data_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="wan-mcp-emulator-")
            self.data_dir = Path(self._tmp.name)
        else:
            self.data_dir = self.config.data_dir
        self.reset()

    def reset(self) -> None:
        self.rng = random.Random(self.config.seed)
        self.tasks: dict[str, EmuTask] = {}
        self.uploads: dict[str, Upload] = {}
        self.policies: dict[str, tuple[str, float]] = {}  # upload_dir → (model, expires)
        self.faults = Faults()
        self.log: list[dict[str, Any]] = []
        self.submit_windows: dict[str, SlidingWindow] = {}
        self.query_window = SlidingWindow(self.config.query_qps)
        self.videos: dict[tuple[VideoSpec, Caption | None], Path] = {}
        self.digests: dict[Path, tuple[str, int]] = {}  # result file → (OSS ETag, CRC-64/XZ)
        self.video_lock = anyio.Lock()

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()

    # -- time
    def scaled(self, seconds: float) -> float:
        return seconds / self.config.speed

    def time_string(self, epoch: float) -> str:
        tz = timezone(timedelta(hours=self.config.utc_offset_hours))
        return datetime.fromtimestamp(epoch, tz).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]

    # -- dispatch
    async def handle(self, request: Request) -> Response:
        """Route one request; every answer carries a request id, and every request is logged."""
        started = self.clock()
        entry: dict[str, Any] = {"t": started, "mono": time.monotonic(), "method": request.method, "path": request.path}
        self.log.append(entry)
        try:
            response = await self._route(request, entry)
        except ApiRefusal as refusal:
            response = self.error(refusal.status, refusal.code, refusal.message)
        except DropConnection:
            entry["status"] = "dropped"
            raise
        entry["status"] = response.status
        return response

    def error(self, status: int, code: str, message: str, headers: list[tuple[str, str]] | None = None) -> Response:
        request_id = str(uuid.UUID(int=self.rng.getrandbits(128)))
        body = {"request_id": request_id, "code": code, "message": message}
        return Response.json(status, body, [("X-Request-ID", request_id), *(headers or [])])

    def ok(self, data: dict[str, Any]) -> Response:
        request_id = str(uuid.UUID(int=self.rng.getrandbits(128)))
        return Response.json(200, {"request_id": request_id, **data}, [("X-Request-ID", request_id)])

    async def _route(self, request: Request, entry: dict[str, Any]) -> Response:
        path, method = request.path.rstrip("/") or "/", request.method
        if path.startswith("/__emulator__"):
            entry["route"] = "admin"
            return self.admin(request, path)
        if path == "/oss" and method == "POST":
            entry["route"] = "upload"
            for stall in self.faults.stall_uploads:
                if stall.get("count", 1) > 0:
                    stall["count"] = stall.get("count", 1) - 1
                    await anyio.sleep(float(stall.get("seconds", 30)))
                    break
            return self.injected("upload") or self.receive_upload(request)
        if path.startswith("/results/") and method in ("GET", "HEAD"):
            entry["route"] = "download"
            return self.injected("download") or await self.serve_result(request, path)
        if not path.startswith(API):
            return self.error(404, "NotFound", "Not found!")
        self.authenticate(request)
        if path in CREATE_PATHS and method == "POST":
            entry["route"] = "submit"
            return await self.create(request, CREATE_PATHS[path], entry)
        if path == DETECT_PATH and method == "POST":
            entry["route"] = "detect"
            return self.injected("detect") or self.detect(request)
        if path == API + "/tasks" and method == "GET":
            entry["route"] = "list"
            return self.injected("list") or self.throttle_query() or self.list_tasks(request)
        if path.startswith(API + "/tasks/") and path.endswith("/cancel") and method == "POST":
            entry["route"] = "cancel"
            return self.injected("cancel") or self.cancel(path.split("/")[-2])
        if path.startswith(API + "/tasks/") and method == "GET":
            entry["route"] = "query"
            task_id = path.rsplit("/", 1)[-1]
            entry["task_id"] = task_id
            return self.injected("query") or self.throttle_query() or self.query(task_id, entry)
        if path == API + "/uploads" and method == "GET":
            entry["route"] = "policy"
            return self.injected("policy") or self.policy(request)
        return self.error(404, "NotFound", "Not found!")

    def authenticate(self, request: Request) -> None:
        auth = request.header("authorization") or ""
        key = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        if not key:
            raise ApiRefusal(401, "InvalidApiKey", "No API-key provided.")
        if self.config.api_key is not None and key != self.config.api_key:
            raise ApiRefusal(401, "InvalidApiKey", "Invalid API-key provided.")

    def injected(self, route: str) -> Response | None:
        """An HTTP error the tests asked for on this route, if any is left."""
        for rule in self.faults.http_errors:
            if rule.get("route") == route and rule.get("count", 1) > 0:
                rule["count"] = rule.get("count", 1) - 1
                status = int(rule.get("status", 500))
                info = catalog_error_default(status)
                headers = [("Retry-After", str(rule["retry_after"]))] if rule.get("retry_after") is not None else []
                return self.error(status, rule.get("code", info[0]), rule.get("message", info[1]), headers)
        return None

    def throttle_query(self) -> Response | None:
        if not self.query_window.allow(time.monotonic()):
            return self.error(429, "Throttling", "Requests throttling triggered.")
        return None

    # -- create
    async def create(self, request: Request, endpoint: catalog.Endpoint, entry: dict[str, Any]) -> Response:
        if (request.header("x-dashscope-async") or "").lower() != "enable":
            raise ApiRefusal(403, "AccessDenied", "current user api does not support synchronous calls.")
        if injected := self.injected("submit"):
            return injected
        if self.faults.drop_before_submit > 0:
            self.faults.drop_before_submit -= 1
            raise DropConnection
        body = json_body(request)
        oss = (request.header("x-dashscope-ossresourceresolve") or "").lower() == "enable"
        submission = rules.check_create(
            endpoint,
            body,
            region=self.config.region,
            oss_header=oss,
            resolve=self.resolve_media,
            seed=self.rng.getrandbits(31),
        )
        window = self.submit_windows.setdefault(
            submission.name, SlidingWindow(submission.model.regions[self.config.region].rps)
        )
        if not window.allow(time.monotonic()):
            raise ApiRefusal(429, "Throttling.RateQuota", "Requests rate limit exceeded, please try again later.")
        task = self.new_task(submission, request)
        task.caption = caption_for(submission, body)
        entry |= {"task_id": task.id, "model": submission.name}
        if self.faults.drop_submits > 0:
            self.faults.drop_submits -= 1
            raise DropConnection
        for stall in self.faults.stall_submits:
            if stall.get("count", 1) > 0:
                stall["count"] = stall.get("count", 1) - 1
                await anyio.sleep(float(stall.get("seconds", 30)))
                break
        return self.ok({"output": {"task_status": "PENDING", "task_id": task.id}})

    def new_task(self, submission: Submission, request: Request) -> EmuTask:
        now = self.clock()
        fixed = self.faults.processing_seconds
        processing = (
            fixed
            if fixed is not None
            else outputs.processing_seconds(submission.model, submission.video, submission.tier, self.rng.uniform)
        )
        auth = request.header("authorization") or ""
        if self.faults.keyframe_seconds is not None:
            submission.video = replace(submission.video, keyframe_seconds=self.faults.keyframe_seconds)
        queue = self.rng.uniform(0.05, 3.0)  # drawn even when fixed: a seeded run's ids stay the same
        task = EmuTask(
            id=str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
            submission=submission,
            submitted=now,
            queue_delay=self.scaled(queue if self.faults.queue_seconds is None else self.faults.queue_seconds),
            processing=self.scaled(processing),
            api_key_id=hashlib.sha256(auth.encode()).hexdigest()[:8],
            request_id=str(uuid.UUID(int=self.rng.getrandbits(128))),
            failure=submission.failure or self.take_failure(submission.name),
        )
        self.tasks[task.id] = task
        self.replan(submission.name)
        return task

    def take_failure(self, model: str) -> tuple[str, str] | None:
        for rule in self.faults.fail_tasks:
            if rule.get("count", 1) > 0 and rule.get("model") in (None, model):
                rule["count"] = rule.get("count", 1) - 1
                return (
                    str(rule.get("code", "InternalError")),
                    str(rule.get("message", "An internal error has occured, please try again later.")),
                )
        return None

    def replan(self, model: str) -> None:
        """Give every live task of a model its start and end, FIFO over the model's concurrent slots."""
        concurrency = (
            self.config.concurrency or catalog.find_model(model).regions[self.config.region].concurrency  # type: ignore[union-attr]
        )
        slots = [0.0] * concurrency
        for task in sorted(self.tasks.values(), key=lambda t: t.submitted):
            if task.submission.name != model or task.canceled is not None:
                continue
            free = heappop(slots)
            task.start = max(task.submitted + task.queue_delay, free)
            task.end = task.start + task.processing
            task.url_expires = task.end + self.scaled(self.config.url_ttl_seconds)
            heappush(slots, task.end)

    # -- query, list, cancel
    def find(self, task_id: str) -> EmuTask | None:
        task = self.tasks.get(task_id)
        if task is None:
            return None
        last = task.canceled if task.canceled is not None else max(task.end, task.submitted)
        if self.clock() > last + self.scaled(self.config.retention_seconds):
            return None
        return task

    def query(self, task_id: str, entry: dict[str, Any] | None = None) -> Response:
        """A task's status; the log `entry` notes the status answered (tests count what the client saw)."""
        task = self.find(task_id)
        if task is None:
            return self.ok({"output": {"task_id": task_id, "task_status": "UNKNOWN"}})
        now = self.clock()
        status = task.status(now)
        if entry is not None:
            entry["task_status"] = status
        output: dict[str, Any] = {
            "task_id": task.id,
            "task_status": status,
            "submit_time": self.time_string(task.submitted),
        }
        data: dict[str, Any] = {"output": output}
        if status in ("RUNNING", "SUCCEEDED", "FAILED"):
            output["scheduled_time"] = self.time_string(task.start)
        if status in ("SUCCEEDED", "FAILED", "CANCELED"):
            output["end_time"] = self.time_string(task.canceled if task.canceled is not None else task.end)
        if status == "FAILED" and task.failure:
            output["code"], output["message"] = task.failure
        if status == "SUCCEEDED":
            model = task.submission.model
            url = self.result_url(task)
            if model.result_field == "results.video_url":
                output["results"] = {"video_url": url}
            else:
                output["video_url"] = url
            output |= task.submission.output
            data["usage"] = task.submission.usage
        return self.ok(data)

    def result_url(self, task: EmuTask) -> str:
        expires = int(task.url_expires)
        return f"{self.base}/results/{task.id}.mp4?Expires={expires}&OSSAccessKeyId=LTAIemulator&Signature=" + (
            self.signature(f"{task.id}:{expires}")
        )

    def signature(self, text: str) -> str:
        digest = hmac.new(self.secret, text.encode(), hashlib.sha1).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def cancel(self, task_id: str) -> Response:
        task = self.find(task_id)
        if task is None or task.status(self.clock()) != "PENDING":
            raise ApiRefusal(
                400,
                "UnsupportedOperation",
                "Failed to cancel the task, please confirm if the task is in PENDING status.",
            )
        task.canceled = self.clock()
        self.replan(task.submission.name)
        return self.ok({})

    def list_tasks(self, request: Request) -> Response:
        query = request.query
        now = self.clock()
        tz = timezone(timedelta(hours=self.config.utc_offset_hours))

        def parse(text: str | None, default: float) -> float:
            if not text:
                return default
            try:
                return datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=tz).timestamp()
            except ValueError:
                raise ApiRefusal(400, "InvalidParameter", rules.GENERIC_RANGE) from None

        start, end = parse(query.get("start_time"), now - DAY), parse(query.get("end_time"), now)
        try:
            page_no = max(1, int(query.get("page_no") or 1))
            page_size = min(100, max(1, int(query.get("page_size") or 10)))
        except ValueError:
            raise ApiRefusal(400, "InvalidParameter", rules.GENERIC_RANGE) from None
        rows = []
        for task in sorted(self.tasks.values(), key=lambda t: t.submitted, reverse=True):
            status = task.status(now)
            if not start <= task.submitted <= end + 1 or self.find(task.id) is None:
                continue
            if query.get("model_name") and task.submission.name != query["model_name"]:
                continue
            if query.get("status") and status != query["status"]:
                continue
            row: dict[str, Any] = {
                "api_key_id": task.api_key_id,
                "caller_parent_id": "1000000000000000",
                "caller_uid": "1000000000000000",
                "gmt_create": int(task.submitted * 1000),
                "model_name": task.submission.name,
                "region": catalog.REGIONS[self.config.region].cloud_id,
                "request_id": task.request_id,
                "start_time": int(task.start * 1000),
                "status": status,
                "task_id": task.id,
                "user_api_unique_key": f"apikey:v1:aigc:video-generation:video-synthesis:{task.submission.name}",
            }
            if status in ("SUCCEEDED", "FAILED", "CANCELED"):
                row["end_time"] = int((task.canceled if task.canceled is not None else task.end) * 1000)
            rows.append(row)
        total = len(rows)
        page = rows[(page_no - 1) * page_size : page_no * page_size]
        pages = max(1, -(-total // page_size))
        return self.ok({"total": total, "data": page, "total_page": pages, "page_no": page_no, "page_size": page_size})

    # -- face pre-check
    def detect(self, request: Request) -> Response:
        if (request.header("x-dashscope-async") or "").lower() == "enable":
            raise ApiRefusal(403, "AccessDenied", "Current user api does not support asynchronous calls.")
        body = json_body(request)
        if not isinstance(body, dict) or body.get("model") not in rules.face_check_names(self.config.region):
            raise ApiRefusal(400, "InvalidParameter", "Model not exist.")
        output = rules.face_check(body)
        if self.faults.detect_fail > 0:
            self.faults.detect_fail -= 1
            output = {"check_pass": False, "humanoid": False}
        return self.ok({"output": output, "usage": {"image_count": 1}})

    # -- uploads
    def policy(self, request: Request) -> Response:
        if request.query.get("action") != "getPolicy" or not request.query.get("model"):
            raise ApiRefusal(400, "InvalidParameter", rules.GENERIC_RANGE)
        if not catalog.REGIONS[self.config.region].uploads:
            raise ApiRefusal(404, "NotFound", "Not found!")
        now = self.clock()
        expires = now + 300
        upload_dir = (
            f"dashscope-instant/{hashlib.md5(b'emulator', usedforsecurity=False).hexdigest()}/"
            f"{datetime.fromtimestamp(now, timezone.utc):%Y-%m-%d}/{uuid.UUID(int=self.rng.getrandbits(128))}"
        )
        conditions = [
            ["content-length-range", 0, 1073741824],
            ["starts-with", "$key", upload_dir],
            {"bucket": "dashscope-file-mgr"},
            {"x-oss-object-acl": "private"},
            {"x-oss-forbid-overwrite": "true"},
        ]
        expiration = datetime.fromtimestamp(expires, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        policy = base64.b64encode(json.dumps({"expiration": expiration, "conditions": conditions}).encode()).decode()
        self.policies[upload_dir] = (request.query["model"], expires)
        data = {
            "policy": policy,
            "signature": self.oss_signature(policy),
            "upload_dir": upload_dir,
            "upload_host": f"{self.base}/oss",
            "expire_in_seconds": 300,
            "max_file_size_mb": 100,
            "capacity_limit_mb": 999999999,
            "oss_access_key_id": "LTAIemulator",
            "x_oss_object_acl": "private",
            "x_oss_forbid_overwrite": "true",
        }
        return self.ok({"data": data})

    def oss_signature(self, policy: str) -> str:
        return base64.b64encode(hmac.new(self.secret, policy.encode(), hashlib.sha1).digest()).decode()

    def receive_upload(self, request: Request) -> Response:
        fields = parse_multipart(request)
        if fields is None or "file" not in fields or "key" not in fields or "policy" not in fields:
            return oss_error(400, "InvalidArgument", "The form is not a valid OSS PostObject form.")
        policy = fields["policy"].decode()
        if not hmac.compare_digest(fields.get("Signature", b"").decode(), self.oss_signature(policy)):
            return oss_error(403, "SignatureDoesNotMatch", "The request signature we calculated does not match.")
        key = fields["key"].decode()
        upload_dir = key.rsplit("/", 1)[0]
        model, expires = self.policies.get(upload_dir, ("", 0.0))
        if not model or not key.startswith(upload_dir + "/"):
            return oss_error(403, "AccessDenied", "Invalid according to Policy: Policy Condition failed.")
        if self.clock() > expires:
            return oss_error(403, "AccessDenied", "Invalid according to Policy: Policy expired.")
        if key in self.uploads:
            return oss_error(
                409, "FileAlreadyExists", "The object you specified already exists and can not be overwritten."
            )
        content = fields["file"]
        if len(content) > 100 * 1024 * 1024:
            return oss_error(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size.")
        path = self.data_dir / "uploads" / hashlib.sha256(key.encode()).hexdigest()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        self.uploads[key] = Upload(path, model, self.clock(), rules.read_path_info(path))
        status = int(fields.get("success_action_status", b"204").decode() or 204)
        return Response(
            status if status in (200, 201, 204) else 204,
            [("ETag", f'"{hashlib.md5(content, usedforsecurity=False).hexdigest()}"')],
        )

    def resolve_media(self, url: str, model: str) -> MediaInfo | None:
        """Header facts of a data: or oss:// input; refuses oss:// files not uploaded here for this model."""
        if url.lower().startswith("data:"):
            try:
                head = base64.b64decode(url.partition(",")[2][:88000], validate=False)
            except ValueError:
                raise ApiRefusal(
                    400, "InvalidParameter", "Failed to decode the image during the data inspection."
                ) from None
            info = probe_head(head)
            if info.format is None:
                raise ApiRefusal(400, "InvalidParameter", "Failed to decode the image during the data inspection.")
            return info
        upload = self.uploads.get(url[len("oss://") :])
        if (
            upload is None
            or upload.model != model
            or self.clock() > upload.uploaded + self.scaled(self.config.upload_ttl_seconds)
        ):
            raise ApiRefusal(400, "InvalidParameter.DataInspection", rules.OSS_MISSING)
        return upload.info

    # -- results
    async def serve_result(self, request: Request, path: str) -> Response:
        task_id = path.rsplit("/", 1)[-1].removesuffix(".mp4")
        task = self.tasks.get(task_id)
        query = request.query
        fault = next((f for f in self.faults.downloads if f.get("count", 1) > 0), None)
        if fault is not None:
            fault["count"] = fault.get("count", 1) - 1
        expired = fault is not None and fault.get("expired")
        try:
            expires = int(query.get("Expires", "0"))
        except ValueError:
            expires = 0
        valid = task is not None and hmac.compare_digest(
            query.get("Signature", ""), self.signature(f"{task_id}:{expires}")
        )
        if not valid or task is None or task.status(self.clock()) != "SUCCEEDED":
            return oss_error(403, "AccessDenied", "Access denied.")
        if expired or self.clock() > min(expires, task.url_expires):
            return oss_error(403, "AccessDenied", "Request has expired.")
        file = await self.video_file(task.submission.video, task.caption)
        size = file.stat().st_size
        etag, crc = self.digests[file]
        if fault is not None and fault.get("wrong_crc"):
            crc ^= 1
        headers = [
            ("Content-Type", "video/mp4"),
            ("Accept-Ranges", "bytes"),
            ("ETag", etag),
            ("Last-Modified", datetime.fromtimestamp(task.end, timezone.utc).strftime("%a, %d %b %Y %H:%M:%S GMT")),
        ]
        if not (fault is not None and fault.get("no_crc")):
            headers.append(("x-oss-hash-crc64ecma", str(crc)))
        start, end, status = 0, size - 1, 200
        spec = request.header("range")
        if spec:
            parsed = parse_range(spec, size)
            if parsed is None:
                response = oss_error(416, "InvalidRange", "The requested range cannot be satisfied.")
                response.headers.append(("Content-Range", f"bytes */{size}"))
                return response
            (start, end), status = parsed, 206
            headers.append(("Content-Range", f"bytes {start}-{end}/{size}"))
        length = end - start + 1
        shaping = StreamFaults(
            float(fault.get("bytes_per_second", 0)) if fault else 0.0,
            fault.get("truncate_after") if fault else None,
            tuple(fault["damage"]) if fault and fault.get("damage") else None,
        )
        return Response(status, headers, stream=stream_file(file, start, length, shaping), content_length=length)

    async def video_file(self, spec: VideoSpec, caption: Caption | None = None) -> Path:
        """The MP4 for a video spec and caption, made once and kept."""
        async with self.video_lock:
            path = self.videos.get((spec, caption))
            if path is not None and path.exists():
                return path
            shown = hashlib.sha256(repr(caption).encode()).hexdigest()[:12]
            name = (
                f"{spec.width}x{spec.height}-{spec.seconds:g}s-{'a' if spec.audio else 's'}-{spec.seed}"
                f"-k{spec.keyframe_seconds or 0:g}-{shown}.mp4"
            )
            path = self.data_dir / "results" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            await anyio.to_thread.run_sync(
                lambda: write_mp4(
                    path,
                    width=spec.width,
                    height=spec.height,
                    seconds=spec.seconds,
                    audio=spec.audio,
                    seed=spec.seed,
                    keyframe_seconds=spec.keyframe_seconds,
                    caption=caption,
                )
            )
            self.digests[path] = await anyio.to_thread.run_sync(object_digests, path)
            self.videos[(spec, caption)] = path
            return path

    # -- admin
    def admin(self, request: Request, path: str) -> Response:
        parts = path.split("/")[2:]
        now = self.clock()
        if parts == ["state"]:
            tasks = [
                {
                    "task_id": t.id,
                    "model": t.submission.name,
                    "status": t.status(now),
                    "submitted": t.submitted,
                    "start": t.start,
                    "end": t.end,
                    "video": {
                        "width": t.submission.video.width,
                        "height": t.submission.video.height,
                        "seconds": t.submission.video.seconds,
                        "audio": t.submission.video.audio,
                    },
                }
                for t in self.tasks.values()
            ]
            return Response.json(200, {"tasks": tasks, "uploads": sorted(self.uploads), "requests": len(self.log)})
        if parts == ["log"]:
            return Response.json(200, {"requests": self.log})
        if parts == ["reset"] and request.method == "POST":
            self.reset()
            return Response.json(200, {"ok": True})
        if parts == ["faults"] and request.method == "POST":
            data = request.json()
            for key, value in data.items():
                current = getattr(self.faults, key)
                setattr(self.faults, key, current + value if isinstance(current, list) else value)
            return Response.json(200, {"ok": True})
        if len(parts) == 3 and parts[0] == "tasks" and parts[1] in self.tasks:
            task = self.tasks[parts[1]]
            if parts[2] == "complete":
                task.processing = 0.0
                task.queue_delay = 0.0
                self.replan(task.submission.name)
            elif parts[2] == "fail":
                body = request.json() if request.body else {}
                task.failure = (body.get("code", "InternalError"), body.get("message", "Internal server error!"))
                task.processing = 0.0
                task.queue_delay = 0.0
                self.replan(task.submission.name)
            elif parts[2] == "expire-url":
                task.url_expires = now - 1
            else:
                return Response.json(404, {"error": "unknown action"})
            return Response.json(200, {"ok": True, "status": task.status(self.clock())})
        return Response.json(404, {"error": "unknown admin route"})

    base = "http://127.0.0.1"

    async def serve(
        self, host: str = "127.0.0.1", port: int = 0, *, task_status: Any = anyio.TASK_STATUS_IGNORED
    ) -> None:
        """Serve on host:port until cancelled; reports the bound port."""
        server = HttpServer(self.handle, host, port)
        async with anyio.create_task_group() as group:
            bound = await group.start(server.serve)
            shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
            self.base = f"http://{shown}:{bound}"
            task_status.started(bound)


def json_body(request: Request) -> Any:
    """The request's JSON body, or DashScope's refusal of a body that is not JSON."""
    try:
        return request.json()
    except ValueError:
        raise rules.invalid_body() from None


def catalog_error_default(status: int) -> tuple[str, str]:
    return {
        429: ("Throttling.RateQuota", "Requests rate limit exceeded, please try again later."),
        500: ("InternalError", "An internal error has occured, please try again later or contact service support."),
        503: (
            "ModelServingError",
            "Too many requests. Your requests are being throttled due to system capacity limits. "
            "Please try again later.",
        ),
        504: ("GatewayTimeout", "Gateway timeout."),
    }.get(status, ("InternalError", "Internal server error!"))


def oss_error(status: int, code: str, message: str) -> Response:
    """An OSS-style XML error."""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n'
        f"  <Code>{code}</Code>\n  <Message>{message}</Message>\n"
        f"  <RequestId>{uuid.uuid4().hex.upper()[:24]}</RequestId>\n"
        "  <HostId>emulator.oss</HostId>\n</Error>\n"
    ).encode()
    return Response(status, [("Content-Type", "application/xml")], body)


def parse_multipart(request: Request) -> dict[str, bytes] | None:
    """The fields of a multipart/form-data body (file contents as bytes)."""
    content_type = request.header("content-type") or ""
    if "multipart/form-data" not in content_type:
        return None
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + request.body
    )
    if not message.is_multipart():
        return None
    fields: dict[str, bytes] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            fields[name] = payload
    return fields


def caption_for(submission: Submission, body: dict[str, Any]) -> Caption:
    """What a task's video shows it answers: the prompt as the task kept it, the model and the mode it was used in.

    A model with several modes (the media protocol's) is read by the media it was given; VACE names its function.
    """
    model = submission.model
    given = body.get("input")
    inp: dict[str, Any] = given if isinstance(given, dict) else {}
    kinds = {str(item.get("type")) for item in inp.get("media") or [] if isinstance(item, dict)}
    modes = tuple(model.modes)
    if len(modes) == 1:
        mode = str(modes[0])
    elif any(kind.startswith("reference_") for kind in kinds):
        mode = "r2v"
    elif {"first_frame", "last_frame"} <= kinds:
        mode = "kf2v"
    elif kinds & {"first_frame", "first_clip"}:
        mode = "i2v"
    else:
        mode = "t2v" if "t2v" in modes else str(modes[0])
    if isinstance(inp.get("function"), str):
        mode = f"{mode} {inp['function']}"
    prompt = submission.output.get("orig_prompt")
    return Caption(prompt=prompt if isinstance(prompt, str) else None, model=submission.name, mode=mode)


def parse_range(spec: str, size: int) -> tuple[int, int] | None:
    """(first, last) byte of a single `bytes=` range, or None when unsatisfiable."""
    if not spec.startswith("bytes=") or "," in spec:
        return None
    first, _, last = spec[6:].partition("-")
    try:
        if first == "":
            length = int(last)
            return (max(0, size - length), size - 1) if length > 0 else None
        start = int(first)
        end = int(last) if last else size - 1
    except ValueError:
        return None
    if start >= size or end < start:
        return None
    return start, min(end, size - 1)


@dataclass(frozen=True)
class StreamFaults:
    """How a result body is served wrong: slowly, cut short (then the connection drops), or with damaged bytes."""

    bytes_per_second: float = 0.0
    truncate_after: int | None = None
    damage: tuple[int, int] | None = None  # (offset in the object, length): served with every bit flipped


async def stream_file(path: Path, start: int, length: int, faults: StreamFaults | None = None) -> AsyncIterator[bytes]:
    """The bytes of a file range, served as `faults` say."""
    faults = faults or StreamFaults()
    rate, cut = faults.bytes_per_second, faults.truncate_after
    chunk_size = 256 * 1024 if not rate else max(1024, int(rate / 10))
    sent = 0
    with path.open("rb") as handle:
        handle.seek(start)
        while sent < length:
            if cut is not None and sent >= cut:
                raise DropConnection
            size = min(chunk_size, length - sent)
            if cut is not None:
                size = min(size, cut - sent)
            chunk = handle.read(size)
            if not chunk:
                break
            if faults.damage is not None:
                chunk = _damaged(chunk, start + sent, faults.damage)
            sent += len(chunk)
            yield chunk
            if rate:
                await anyio.sleep(len(chunk) / rate)


def _damaged(chunk: bytes, at: int, damage: tuple[int, int]) -> bytes:
    first, last = max(at, damage[0]), min(at + len(chunk), damage[0] + damage[1])
    if first >= last:
        return chunk
    data = bytearray(chunk)
    for index in range(first - at, last - at):
        data[index] ^= 0xFF
    return bytes(data)


def object_digests(path: Path) -> tuple[str, int]:
    """An OSS object's ETag (the quoted, upper-case MD5 of a simple upload) and CRC-64/XZ (x-oss-hash-crc64ecma)."""
    md5 = hashlib.md5(usedforsecurity=False)
    crc: int | None = None
    model = anycrc.Model("CRC64-XZ")
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            md5.update(chunk)
            crc = model.calc(chunk) if crc is None else model.calc(chunk, crc)
    return f'"{md5.hexdigest().upper()}"', int(crc if crc is not None else model.calc(b""))


def run(config: EmulatorConfig, host: str, port: int, on_ready: Callable[[int], None] | None = None) -> None:
    """Run the emulator until interrupted (the `wan-mcp emulator` command)."""
    emulator = Emulator(config)

    async def main() -> None:
        async with anyio.create_task_group() as group:
            bound = await group.start(emulator.serve, host, port)
            if on_ready is not None:
                on_ready(bound)

    try:
        anyio.run(main)
    except KeyboardInterrupt:
        pass
    finally:
        emulator.close()
