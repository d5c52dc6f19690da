"""The async DashScope client: submit, query, cancel, list, upload and download over one httpx2.AsyncClient.

Rules it keeps:
- Every call has explicit timeouts. Errors are translated once, by meaning (`errors.api_error`).
- GETs (query, list, upload policy, download) are retried with jittered exponential back-off that honours
  `Retry-After`, on 429, 5xx and network errors, within a bounded number of attempts.
- A submit is retried only when it provably created no task: the connection never opened (connect error, pool
  timeout) or DashScope refused it with 429. A timeout after sending, a dropped connection or a 5xx make the outcome
  unknown: `SubmitOutcomeUnknown` is raised and the request is never sent again.
- Task queries share one account-wide rate limiter (DashScope allows 20 per second per account); submits are
  limited per model to the catalog's RPS.
- Downloads (`downloads`) stream to a `.part` file with SHA-256 and CRC-64 computed on the way (in a worker thread
  while the next bytes arrive), resume with `Range`, and deliver only a file whose length, CRC-64 (OSS's
  `x-oss-hash-crc64ecma`, when sent) and MP4 structure check out; bytes kept from an earlier attempt (a crash, a
  power cut) are trusted only through that CRC. A video is never held in memory. Expiry is decided by the URL's
  own Expires, never by a refusal's wording.
- Uploads take an opened, checked local file (`inputs.CheckedFile`) and read it from its checked descriptor.
- The API key is only ever put in the Authorization header; it appears in no log line, error or result.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import anyio
import httpx2
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from wan_mcp import __version__, catalog
from wan_mcp.downloads import Download, DownloadResult
from wan_mcp.errors import (
    ApiError,
    DashScopeError,
    RateLimited,
    SubmitOutcomeUnknown,
    TransportError,
    api_error,
)
from wan_mcp.inputs import CheckedFile
from wan_mcp.requests import HttpRequest
from wan_mcp.states import TaskStatus

log = logging.getLogger("wan_mcp.dashscope")

NEVER_SENT = (httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.PoolTimeout)
API_TIMEOUT = httpx2.Timeout(connect=10.0, read=30.0, write=60.0, pool=10.0)
DOWNLOAD_TIMEOUT = httpx2.Timeout(connect=10.0, read=60.0, write=60.0, pool=10.0)
UPLOAD_TIMEOUT = httpx2.Timeout(connect=10.0, read=120.0, write=300.0, pool=10.0)
CHUNK = 1024 * 1024


# -- responses ---------------------------------------------------------------------------------------------


class Usage(BaseModel):
    """A task's `usage`, in any of the shapes the model families return (unknown fields kept)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    duration: float | None = None
    video_duration: float | None = None
    output_video_duration: float | None = None
    input_video_duration: float | None = None
    video_count: int | None = None
    sr: int | None = Field(default=None, alias="SR")
    size: str | None = None
    video_ratio: str | None = None
    audio: bool | None = None

    @classmethod
    def parse(cls, data: Any) -> Usage | None:
        if not isinstance(data, Mapping):
            return None
        cleaned = dict(data)
        if isinstance(cleaned.get("SR"), str):
            cleaned["SR"] = int(cleaned["SR"]) if cleaned["SR"].strip().isdigit() else None
        try:
            return cls.model_validate(cleaned)
        except ValidationError:
            return None

    @property
    def billed_seconds(self) -> float | None:
        """Seconds billed: `duration` (which includes reference video for r2v), else the video's length."""
        for value in (self.duration, self.video_duration, self.output_video_duration):
            if value is not None:
                return float(value)
        return None


class TaskInfo(BaseModel):
    """What `GET /tasks/{id}` says about a task."""

    task_id: str
    status: TaskStatus
    raw_status: str
    submit_time: str | None = None
    scheduled_time: str | None = None
    end_time: str | None = None
    video_url: str | None = None
    orig_prompt: str | None = None
    actual_prompt: str | None = None
    code: str | None = None
    message: str | None = None
    usage: Usage | None = None
    request_id: str | None = None

    @property
    def terminal(self) -> bool:
        return self.status in ("SUCCEEDED", "FAILED", "CANCELED", "UNKNOWN")

    @classmethod
    def from_body(cls, body: Mapping[str, Any], task_id: str) -> TaskInfo:
        output = body.get("output") if isinstance(body.get("output"), Mapping) else {}
        assert isinstance(output, Mapping)
        raw = str(output.get("task_status") or "UNKNOWN").upper()
        # SUSPENDED exists in the SDK's constants but is undocumented for Wan: treat it as still queued.
        status = raw if raw in ("PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELED", "UNKNOWN") else "PENDING"
        results = output.get("results")
        url = output.get("video_url") or (results.get("video_url") if isinstance(results, Mapping) else None)
        return cls(
            task_id=str(output.get("task_id") or task_id),
            status=status,
            raw_status=raw,
            submit_time=output.get("submit_time"),
            scheduled_time=output.get("scheduled_time"),
            end_time=output.get("end_time"),
            video_url=url or None,
            orig_prompt=output.get("orig_prompt"),
            actual_prompt=output.get("actual_prompt"),
            code=output.get("code"),
            message=output.get("message"),
            usage=Usage.parse(body.get("usage")),
            request_id=body.get("request_id"),
        )


@dataclass(frozen=True)
class SubmitResult:
    """A created task."""

    task_id: str
    status: str
    request_id: str | None


@dataclass(frozen=True)
class ListedTask:
    """One row of `GET /tasks` (times are epoch milliseconds there)."""

    task_id: str
    status: str
    model_name: str | None
    created_ms: int | None
    start_ms: int | None
    end_ms: int | None
    request_id: str | None


@dataclass(frozen=True)
class TaskPage:
    """One page of the task list."""

    tasks: tuple[ListedTask, ...]
    total: int
    page_no: int
    page_size: int
    total_pages: int


@dataclass(frozen=True)
class UploadPolicy:
    """A temporary-storage upload credential for one model (valid a few minutes)."""

    policy: str
    signature: str
    upload_dir: str
    upload_host: str
    access_key_id: str
    acl: str
    forbid_overwrite: str
    expires_at: float
    max_file_size_mb: float


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry."""

    attempts: int = 5
    base: float = 0.5
    cap: float = 20.0


# -- rate limiting -----------------------------------------------------------------------------------------


class RateLimiter:
    """A token bucket: at most `rate` acquisitions per second on average, `burst` at once."""

    def __init__(
        self,
        rate: float,
        burst: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = burst if burst is not None else max(1.0, rate)
        self.clock = clock
        self.sleep = sleep
        self.tokens = self.burst
        self.updated = clock()
        self.lock = anyio.Lock()

    async def acquire(self) -> None:
        async with self.lock:
            while True:
                now = self.clock()
                self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
                self.updated = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                await self.sleep((1 - self.tokens) / self.rate)


# -- the client --------------------------------------------------------------------------------------------


class DashScopeClient:
    """One DashScope account and region, over one connection pool."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: SecretStr,
        region: catalog.RegionId = catalog.DEFAULT_REGION,
        workspace: str | None = None,
        query_qps: float = 15.0,
        retry: RetryPolicy | None = None,
        transport: httpx2.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
        rng: random.Random | None = None,
        utc_offset_hours: float = 8.0,
        clock: Callable[[], float] = time.time,
        timeout: httpx2.Timeout = API_TIMEOUT,
        query_turn: Callable[[], Awaitable[None]] | None = None,
        submit_turn: Callable[[str, float], Awaitable[None]] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._key = api_key
        self.region = region
        self.workspace = workspace
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.utc_offset_hours = utc_offset_hours
        self.clock = clock  # wall clock: a result URL's Expires is compared with it
        # burst 1: any 1 s window then holds at most query_qps + 1 queries (DashScope counts 20 per second)
        self.query_limiter = RateLimiter(query_qps, burst=1.0, sleep=sleep)
        self.query_turn = query_turn  # the account-wide limit shared with other processes (a shared journal)
        self.submit_turn = submit_turn  # a model's submissions per second, likewise (model, per second)
        self.submit_limiters: dict[str, RateLimiter] = {}
        headers = {"User-Agent": f"wan-mcp/{__version__}"}
        self.http = httpx2.AsyncClient(
            transport=transport,
            timeout=timeout,
            limits=httpx2.Limits(max_connections=32, max_keepalive_connections=16),
            headers=headers,
            follow_redirects=False,
        )

    async def __aenter__(self) -> DashScopeClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.http.aclose()

    def __repr__(self) -> str:
        return f"DashScopeClient(base_url={self.base_url!r}, region={self.region!r})"

    # -- plumbing
    def auth_headers(self) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self._key.get_secret_value()}"}
        if self.workspace:
            headers["X-DashScope-WorkSpace"] = self.workspace
        return headers

    def url(self, path: str) -> str:
        """A full URL for a path under the API base (accepts paths with or without the /api/v1 prefix)."""
        if path.startswith(catalog.API_PREFIX + "/"):
            path = path[len(catalog.API_PREFIX) :]
        return self.base_url + path

    def backoff(self, attempt: int, retry_after: float | None = None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), 60.0)
        ceiling = min(self.retry.cap, self.retry.base * 2**attempt)
        return self.rng.uniform(ceiling / 2, ceiling)

    async def get_json(self, path: str, *, params: Mapping[str, Any] | None = None, limited: bool = True) -> Any:
        """GET with retries; returns the parsed body of a 2xx answer."""
        last: DashScopeError | None = None
        for attempt in range(self.retry.attempts):
            if limited:
                await self.query_limiter.acquire()
                if self.query_turn is not None:
                    await self.query_turn()
            try:
                response = await self.http.get(self.url(path), params=params, headers=self.auth_headers())
            except httpx2.TransportError as exc:
                last = TransportError(f"network error talking to DashScope: {type(exc).__name__}")
                log.info("GET %s failed (%s), attempt %d", path, type(exc).__name__, attempt + 1)
                await self.sleep(self.backoff(attempt))
                continue
            if response.is_success:
                return _json(response)
            error = error_from(response)
            if not error.retryable or attempt == self.retry.attempts - 1:
                raise error
            last = error
            log.info("GET %s answered %d %s, attempt %d", path, response.status_code, error.code, attempt + 1)
            await self.sleep(self.backoff(attempt, _retry_after(response)))
        assert last is not None
        raise last

    # -- API
    async def submit(self, request: HttpRequest, *, model: str) -> SubmitResult:
        """Create a task. Retried only when no task can have been created; else SubmitOutcomeUnknown."""
        limiter = self.submit_limiters.get(model)
        if limiter is None:
            found = catalog.find_model(model)
            offer = found.regions.get(self.region) if found else None
            limiter = RateLimiter(offer.rps if offer else 1.0, burst=1.0, sleep=self.sleep)
            self.submit_limiters[model] = limiter
        headers = {**request.headers, **self.auth_headers()}
        for attempt in range(self.retry.attempts):
            await limiter.acquire()
            if self.submit_turn is not None:
                await self.submit_turn(model, limiter.rate)
            try:
                response = await self.http.post(self.url(request.path), json=request.body, headers=headers)
            except NEVER_SENT as exc:
                if attempt == self.retry.attempts - 1:
                    raise TransportError(
                        f"could not connect to DashScope ({type(exc).__name__}); nothing was submitted",
                        fix="check the network and DASHSCOPE_BASE_URL, then submit again",
                    ) from None
                await self.sleep(self.backoff(attempt))
                continue
            except httpx2.TransportError as exc:
                raise SubmitOutcomeUnknown(
                    f"the submit was sent but no answer arrived ({type(exc).__name__}); a task may exist",
                    fix="do not resubmit: reconcile through the task list (or poll the handle) first",
                ) from None
            if response.is_success:
                body = _json(response)
                output = body.get("output") if isinstance(body, Mapping) else None
                if not isinstance(output, Mapping) or not output.get("task_id"):
                    raise SubmitOutcomeUnknown(
                        "DashScope answered the submit without a task id",
                        fix="do not resubmit: reconcile through the task list first",
                    )
                return SubmitResult(
                    str(output["task_id"]), str(output.get("task_status", "PENDING")), body.get("request_id")
                )
            error = error_from(response)
            if response.status_code >= 500:
                raise SubmitOutcomeUnknown(
                    f"DashScope answered the submit with {response.status_code} {error.code}: {error.message}",
                    fix="do not resubmit: reconcile through the task list (or poll the handle) first",
                    request_id=error.request_id,
                    http_status=response.status_code,
                )
            if isinstance(error, RateLimited) and error.retryable and attempt < self.retry.attempts - 1:
                await self.sleep(self.backoff(attempt, error.retry_after))
                continue
            raise error
        raise TransportError("DashScope kept throttling the submit; nothing was submitted", fix="wait and retry")

    async def get_task(self, task_id: str) -> TaskInfo:
        """The task's status and, when done, its result or error."""
        body = await self.get_json(f"/tasks/{task_id}")
        return TaskInfo.from_body(body if isinstance(body, Mapping) else {}, task_id)

    async def cancel_task(self, task_id: str) -> None:
        """Cancel a PENDING task; raises ApiError (UnsupportedOperation) otherwise."""
        await self.query_limiter.acquire()
        try:
            response = await self.http.post(self.url(f"/tasks/{task_id}/cancel"), headers=self.auth_headers())
        except httpx2.TransportError as exc:
            raise TransportError(f"network error while cancelling: {type(exc).__name__}") from None
        if not response.is_success:
            raise error_from(response)

    async def list_tasks(
        self,
        *,
        start: datetime,
        end: datetime,
        model: str | None = None,
        status: str | None = None,
        page_no: int = 1,
        page_size: int = 100,
    ) -> TaskPage:
        """One page of the account's tasks created between start and end (aware datetimes)."""
        tz = timezone(timedelta(hours=self.utc_offset_hours))
        params: dict[str, Any] = {
            "start_time": start.astimezone(tz).strftime("%Y%m%d%H%M%S"),
            "end_time": end.astimezone(tz).strftime("%Y%m%d%H%M%S"),
            "page_no": page_no,
            "page_size": page_size,
        }
        if model:
            params["model_name"] = model
        if status:
            params["status"] = status
        body = await self.get_json("/tasks", params=params)
        rows = body.get("data") if isinstance(body, Mapping) else None
        tasks = tuple(
            ListedTask(
                task_id=str(row.get("task_id")),
                status=str(row.get("status") or row.get("task_status") or "UNKNOWN"),
                model_name=row.get("model_name"),
                created_ms=_int(row.get("gmt_create")),
                start_ms=_int(row.get("start_time")),
                end_ms=_int(row.get("end_time")),
                request_id=row.get("request_id"),
            )
            for row in (rows or [])
            if isinstance(row, Mapping) and row.get("task_id")
        )
        return TaskPage(
            tasks=tasks,
            total=_int(body.get("total")) or len(tasks),
            page_no=_int(body.get("page_no")) or page_no,
            page_size=_int(body.get("page_size")) or page_size,
            total_pages=_int(body.get("total_page")) or 1,
        )

    async def iter_tasks(self, **kwargs: Any) -> AsyncIterator[ListedTask]:
        """Every task of the list, page after page."""
        page_no = 1
        while True:
            page = await self.list_tasks(page_no=page_no, **kwargs)
            for task in page.tasks:
                yield task
            if page_no >= page.total_pages or not page.tasks:
                return
            page_no += 1

    async def face_detect(self, image_url: str) -> bool:
        """The synchronous s2v portrait pre-check (sent without X-DashScope-Async)."""
        body = {"model": catalog.face_check_model().id, "input": {"image_url": image_url}}
        path = catalog.ENDPOINT_PATHS["face-detect"]
        try:
            response = await self.http.post(self.url(path), json=body, headers=self.auth_headers())
        except httpx2.TransportError as exc:
            raise TransportError(f"network error during the face pre-check: {type(exc).__name__}") from None
        if not response.is_success:
            raise error_from(response)
        output = _json(response).get("output") or {}
        return bool(output.get("check_pass"))

    # -- uploads
    async def get_upload_policy(self, model: str) -> UploadPolicy:
        """A temporary-storage credential bound to `model` (files live 48 h)."""
        body = await self.get_json("/uploads", params={"action": "getPolicy", "model": model}, limited=False)
        data = body.get("data") if isinstance(body, Mapping) else None
        if not isinstance(data, Mapping):
            raise ApiError("DashScope returned no upload policy", code="InvalidResponse")
        return UploadPolicy(
            policy=str(data["policy"]),
            signature=str(data["signature"]),
            upload_dir=str(data["upload_dir"]),
            upload_host=str(data["upload_host"]),
            access_key_id=str(data.get("oss_access_key_id", "")),
            acl=str(data.get("x_oss_object_acl", "private")),
            forbid_overwrite=str(data.get("x_oss_forbid_overwrite", "true")),
            expires_at=time.time() + float(data.get("expire_in_seconds", 300)),
            max_file_size_mb=float(data.get("max_file_size_mb", 100)),
        )

    async def upload_file(
        self, policy: UploadPolicy, file: CheckedFile, *, content_type: str = "application/octet-stream"
    ) -> str:
        """Upload an opened, checked local file (read from its checked descriptor) with a policy; returns its
        `oss://` URL. Raises InputError when the file changed while it was being sent."""
        name = re.sub(r"[^A-Za-z0-9._-]", "_", file.name) or "file"
        key = f"{policy.upload_dir}/{name}"
        fields = {
            "OSSAccessKeyId": policy.access_key_id,
            "Signature": policy.signature,
            "policy": policy.policy,
            "key": key,
            "x-oss-object-acl": policy.acl,
            "x-oss-forbid-overwrite": policy.forbid_overwrite,
            "success_action_status": "200",
            "x-oss-content-type": content_type,
        }
        try:
            with file.reader() as handle:
                response = await self.http.post(
                    policy.upload_host,
                    data=fields,
                    files={"file": (name, handle, content_type)},
                    timeout=UPLOAD_TIMEOUT,
                )
        except httpx2.TransportError as exc:
            raise TransportError(f"network error while uploading {name}: {type(exc).__name__}") from None
        if not response.is_success:
            raise error_from(response)
        file.check_unchanged()
        return f"oss://{key}"

    async def upload(self, file: CheckedFile, *, model: str, content_type: str = "application/octet-stream") -> str:
        """Get a policy for `model` and upload an opened, checked file; returns the `oss://` URL to send."""
        return await self.upload_file(await self.get_upload_policy(model), file, content_type=content_type)

    # -- downloads
    async def download(self, url: str, dest: Path) -> DownloadResult:
        """Download a result to `dest`: resumed after breaks, verified against the server's length and CRC-64 and as
        an MP4 to its last sample, renamed atomically (see `downloads`). Raises ResultExpired only when the URL's
        own Expires has passed; DownloadRefused, SaveFailed or DownloadFailed otherwise."""
        download = Download(
            self.http,
            url,
            dest,
            attempts=self.retry.attempts + 3,
            backoff=self.backoff,
            sleep=self.sleep,
            clock=self.clock,
        )
        return await download.run()


def error_from(response: httpx2.Response) -> ApiError:
    """The exception for a non-2xx answer (JSON body, OSS XML, or anything else)."""
    code: str | None = None
    message = ""
    request_id = response.headers.get("x-request-id")
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, Mapping):
        code = body.get("code")
        message = str(body.get("message") or body.get("msg") or "")
        request_id = body.get("request_id") or request_id
    else:
        text = response.text
        found = re.search(r"<Code>([^<]+)</Code>", text)
        code = found.group(1) if found else None
        found = re.search(r"<Message>([^<]+)</Message>", text)
        message = found.group(1) if found else text[:200]
    return api_error(
        response.status_code,
        code,
        message or response.reason_phrase,
        request_id=request_id,
        retry_after=_retry_after(response),
    )


def _json(response: httpx2.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise ApiError(
            f"DashScope answered {response.status_code} with a body that is not JSON", code="InvalidResponse"
        ) from None


def _retry_after(response: httpx2.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None
