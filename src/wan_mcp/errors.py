"""One exception tree for wan-mcp, and what every DashScope error code means (retryable? charged? the fix).

    WanMcpError                      every error wan-mcp raises; carries code, message, fix
    ├── RequestInvalid               refused before anything was sent (nothing spent); names the field(s)
    ├── ConfigError                  missing or inconsistent settings (key, region, base URL)
    └── DashScopeError               DashScope answered with an error (or never answered)
        ├── ApiError                 an HTTP-level error body {code, message, request_id}
        │   ├── AuthError            401: key missing, wrong, or from another region
        │   ├── PermissionDenied     403: model not activated, workspace, sync/async mismatch
        │   ├── InvalidRequest       400: parameters, media, content moderation
        │   ├── NotFound             404: model or workspace
        │   ├── RateLimited          429: throttling (retry later) or quota/billing (do not)
        │   └── ServerError          5xx: DashScope's side; retry later
        ├── TaskFailed               the task ran and ended FAILED (never billed)
        ├── TransportError           the network failed
        │   └── SubmitOutcomeUnknown a submit was sent but no answer came: reconcile, never resend
        ├── ResultExpired            the result URL's 24 hours are over: the video can no longer be downloaded
        └── DownloadFailed           a download could not be completed or verified (nothing is kept)
            ├── DownloadRefused      the result URL was refused before its own expiry: retry, or query for a fresh URL
            └── SaveFailed           the video could not be written (disk full, permission, read-only): retry later

Translation from DashScope codes happens once, in `classify` / `api_error`, by the code and (for the catch-all
`InvalidParameter`) by the message text, never by HTTP status alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

Category = Literal[
    "auth",
    "permission",
    "invalid_request",
    "media",
    "content",
    "not_found",
    "rate_limit",
    "quota",
    "billing",
    "server",
    "unsupported_operation",
    "network",
    "unknown",
]

REGION_FIX = "check DASHSCOPE_API_KEY; keys are bound to a region: set DASHSCOPE_REGION to the key's region"


@dataclass(frozen=True)
class ErrorInfo:
    """What a DashScope error code means for the user."""

    code: str
    http_status: int
    category: Category
    retryable: bool  # the same request may succeed later, unchanged
    fix: str
    charged: bool = False  # failed tasks and refused submits are never billed (D-*)


def _e(code: str, status: int, category: Category, fix: str, *, retryable: bool = False) -> ErrorInfo:
    return ErrorInfo(code, status, category, retryable, fix)


# Every code of the reference's error table (§8), keyed by code.
ERROR_CODES: Mapping[str, ErrorInfo] = MappingProxyType(
    {
        info.code: info
        for info in (
            _e(
                "InvalidParameter",
                400,
                "invalid_request",
                "fix the parameter named in the message and resubmit",
            ),
            _e(
                "InvalidParameter.DataInspection",
                400,
                "media",
                "make the input URL publicly downloadable from the model's region (or upload the file), then resubmit",
            ),
            _e(
                "DataInspectionFailed",
                400,
                "content",
                "content moderation refused the input or the output: rephrase the prompt or change the input media",
            ),
            _e(
                "IPInfringementSuspect",
                400,
                "content",
                "the input looks like protected IP: remove brand, character or celebrity likenesses and resubmit",
            ),
            _e("Arrearage", 400, "billing", "the account is overdue: top up in the Model Studio console"),
            _e(
                "BadRequest.EmptyInput",
                400,
                "invalid_request",
                "the request needs an input object (a wan-mcp bug)",
            ),
            _e(
                "BadRequest.EmptyParameters",
                400,
                "invalid_request",
                "the request needs a parameters object (a wan-mcp bug)",
            ),
            _e("BadRequest.EmptyModel", 400, "invalid_request", "the request needs a model (a wan-mcp bug)"),
            _e("BadRequest.IllegalInput", 400, "invalid_request", "the input must be JSON (a wan-mcp bug)"),
            _e(
                "BadRequest.InputDownloadFailed",
                400,
                "media",
                "DashScope could not download an input file: use a public URL or a local path",
            ),
            _e("InvalidURL", 400, "media", "use a public http(s) URL (or a local path) to a WAV/MP3 ≤ 15 MB"),
            _e(
                "InvalidURL.ConnectionRefused",
                400,
                "media",
                "the input URL refused the connection: use a public URL or a local path",
                retryable=True,
            ),
            _e(
                "InvalidURL.Timeout",
                400,
                "media",
                "downloading the input URL timed out: use a faster host or a local path (it is uploaded)",
                retryable=True,
            ),
            _e("InvalidFile.Size", 400, "media", "use a smaller file (see the model's limits in list_modes)"),
            _e("InvalidFile.Duration", 400, "media", "trim the input media to the duration the message names"),
            _e(
                "InvalidFile.AspectRatio",
                400,
                "media",
                "crop the input to an aspect ratio between 1:3 and 3:1",
            ),
            _e(
                "InvalidFile.Resolution",
                400,
                "media",
                "resize the input to the resolution range the message names",
            ),
            _e("InvalidFile.FPS", 400, "media", "re-encode the input video at 15–60 fps"),
            _e(
                "InvalidFile.Format",
                400,
                "media",
                "convert the input to MP4/MOV, WAV/MP3, or JPEG/PNG/BMP/WEBP",
            ),
            _e("InvalidFile.Openerror", 400, "media", "the input file is damaged: re-export it and resubmit"),
            _e(
                "InvalidFile.Content",
                400,
                "media",
                "use an image with exactly one clearly visible person (front-facing, whole face)",
            ),
            _e("InvalidFile.NoHuman", 400, "media", "use an image that shows one person"),
            _e("InvalidFile.MultiHuman", 400, "media", "use an image that shows only one person"),
            _e("InvalidFile.FacePose", 400, "media", "use an image where the face looks towards the camera"),
            _e(
                "InvalidFile.BodyProportion",
                400,
                "media",
                "use an image where the person is fully and clearly visible",
            ),
            _e(
                "UnsupportedOperation",
                400,
                "unsupported_operation",
                "only a PENDING task can be cancelled; a running task finishes (and is billed if it succeeds)",
            ),
            _e("InvalidApiKey", 401, "auth", REGION_FIX),
            _e(
                "NOT AUTHORIZED",
                401,
                "auth",
                "check DASHSCOPE_WORKSPACE and DASHSCOPE_BASE_URL: the workspace must exist in the key's region",
            ),
            _e(
                "AccessDenied",
                403,
                "permission",
                "the key has no access to this model or API: check the model is activated for this key's workspace",
            ),
            _e(
                "AccessDenied.Unpurchased",
                403,
                "permission",
                "activate the model in the Model Studio console (the model's page → activate), then resubmit",
            ),
            _e(
                "Model.AccessDenied",
                403,
                "permission",
                "grant this sub-workspace access to the model in the Model Studio console",
            ),
            _e(
                "Workspace.AccessDenied",
                403,
                "permission",
                "check DASHSCOPE_WORKSPACE: this key cannot use it",
            ),
            _e(
                "Endpoint.AccessDenied",
                403,
                "permission",
                "this model or endpoint was retired: pick a current model from list_modes",
            ),
            _e(
                "AllocationQuota.FreeTierOnly",
                403,
                "quota",
                "the free tier is used up: disable 'use free tier only' in the Model Studio console to pay per use",
            ),
            _e(
                "ModelNotFound",
                404,
                "not_found",
                "check the model name and that it is offered in your region",
            ),
            _e(
                "WorkSpaceNotFound",
                404,
                "not_found",
                "check DASHSCOPE_WORKSPACE: no such workspace in this region",
            ),
            _e("NotFound", 404, "not_found", "check DASHSCOPE_BASE_URL and the region"),
            _e(
                "Throttling",
                429,
                "rate_limit",
                "too many requests: wait a few seconds and retry",
                retryable=True,
            ),
            _e(
                "Throttling.RateQuota",
                429,
                "rate_limit",
                "the per-model submit rate was exceeded: wait a second and retry",
                retryable=True,
            ),
            _e(
                "Throttling.BurstRate",
                429,
                "rate_limit",
                "requests rose too fast: slow down and retry",
                retryable=True,
            ),
            _e(
                "Throttling.AllocationQuota",
                429,
                "quota",
                "the account's allocated quota is used up: raise the quota in the console or wait for it to reset",
            ),
            _e(
                "CommodityNotPurchased",
                429,
                "billing",
                "purchase or activate the model's service in the console",
            ),
            _e("PrepaidBillOverdue", 429, "billing", "the prepaid bill is overdue: top up in the console"),
            _e(
                "PostpaidBillOverdue",
                429,
                "billing",
                "the postpaid bill is overdue: settle it in the console",
            ),
            _e("InternalError", 500, "server", "DashScope failed internally: retry later", retryable=True),
            _e(
                "InternalError.Algo",
                500,
                "server",
                "the model failed on this input: retry, or change the prompt or the inputs",
                retryable=True,
            ),
            _e(
                "InternalError.Timeout",
                500,
                "server",
                "the task did not finish within 3 hours: resubmit, perhaps shorter or at a lower resolution",
                retryable=True,
            ),
            _e(
                "InternalError.Upload",
                500,
                "server",
                "DashScope failed to store the result: resubmit",
                retryable=True,
            ),
            _e("SystemError", 500, "server", "DashScope failed internally: retry later", retryable=True),
            _e("RequestTimeOut", 500, "server", "DashScope timed out: retry later", retryable=True),
            _e(
                "ModelServingError",
                503,
                "server",
                "the model is at capacity: retry in a minute",
                retryable=True,
            ),
            _e(
                "ModelUnavailable",
                503,
                "server",
                "the model is unavailable right now: retry later",
                retryable=True,
            ),
            # Codes of the official SDK's v2 error enum that are not in the error page.
            _e(
                "Model.NotExist",
                404,
                "not_found",
                "check the model name and that it is offered in your region",
            ),
            _e("ServiceUnavailable", 503, "server", "DashScope is unavailable: retry later", retryable=True),
            _e("GatewayTimeout", 504, "server", "DashScope's gateway timed out: retry later", retryable=True),
        )
    }
)

# `InvalidParameter` covers many situations; the message says which. First match wins (case-insensitive).
INVALID_PARAMETER_FIXES: tuple[tuple[str, Category, str], ...] = (
    ("url error", "invalid_request", "the model was sent to the wrong endpoint: update wan-mcp"),
    (
        "model not exist",
        "not_found",
        "check the model name and that it is offered in your region (see list_modes)",
    ),
    ("required body invalid", "invalid_request", "the request body was not valid JSON (a wan-mcp bug)"),
    (
        "obj_or_bg",
        "invalid_request",
        "give obj_or_bg one entry per reference image ('obj' or 'bg', at most one 'bg')",
    ),
    (
        "does not appear to be valid",
        "media",
        "use an https URL, a data: URI where the model takes one, or a local path (it is uploaded)",
    ),
    (
        "download",
        "media",
        "DashScope could not download an input: use a public URL that has not expired, or a local path",
    ),
    ("authorization to access the media", "media", "the input URL is private or expired: use a public URL"),
    ("media resource", "media", "the input URL could not be fetched: use a public URL or a local path"),
    ("format", "media", "convert the input to a supported format (see list_modes) and resubmit"),
    ("decode", "media", "the input image could not be decoded: re-export it as JPEG or PNG"),
    ("size is not match", "invalid_request", "choose one of the sizes list_modes gives for this model"),
)


def classify(code: str | None, message: str = "", http_status: int | None = None) -> ErrorInfo:
    """What a DashScope error means, from its code (and message for InvalidParameter)."""
    code = (code or "").strip()
    if code == "InvalidParameter":
        lowered = message.lower()
        for needle, category, fix in INVALID_PARAMETER_FIXES:
            if needle in lowered:
                return ErrorInfo(code, 400, category, False, fix)
    info = ERROR_CODES.get(code)
    if info is not None:
        return info
    status = http_status or 0
    if status == 429:
        return ErrorInfo(code or "Throttling", 429, "rate_limit", True, "too many requests: wait and retry")
    if status >= 500:
        return ErrorInfo(code or "InternalError", status, "server", True, "DashScope failed: retry later")
    if status == 401:
        return ErrorInfo(code or "InvalidApiKey", 401, "auth", False, REGION_FIX)
    if status == 403:
        return ErrorInfo(code or "AccessDenied", 403, "permission", False, ERROR_CODES["AccessDenied"].fix)
    return ErrorInfo(code or "Unknown", status, "unknown", False, "read the message; if unclear, report it")


# -- the exception tree ---------------------------------------------------------------------------------


class WanMcpError(Exception):
    """Base of every error wan-mcp raises on purpose."""

    code: str = "wan_mcp_error"
    retryable: bool = False
    charged: bool = False

    def __init__(self, message: str, *, fix: str = "", code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix
        if code is not None:
            self.code = code

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "fix": self.fix,
            "retryable": self.retryable,
            "charged": self.charged,
        }

    def __str__(self) -> str:
        return f"{self.code}: {self.message}" + (f" Fix: {self.fix}" if self.fix else "")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request: which argument, what is wrong, how to fix it."""

    field: str
    code: str
    message: str
    fix: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "field": self.field, "message": self.message, "fix": self.fix}


class RequestInvalid(WanMcpError):
    """The request would fail or be silently changed by DashScope; refused before anything was spent."""

    def __init__(self, problems: list[Problem] | Problem) -> None:
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        if not self.problems:
            raise ValueError("RequestInvalid needs at least one problem")
        first = self.problems[0]
        super().__init__(first.message, fix=first.fix, code=first.code)
        self.field = first.field

    def to_dict(self) -> dict[str, Any]:
        return self.problems[0].to_dict()

    def __str__(self) -> str:
        lines = [f"{p.field}: {p.message} Fix: {p.fix}" for p in self.problems]
        return "\n".join(lines)


class ConfigError(WanMcpError):
    """Settings are missing or inconsistent."""

    code = "config_error"


class DashScopeError(WanMcpError):
    """DashScope answered with an error, or the exchange with it failed."""

    code = "dashscope_error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        fix: str = "",
        request_id: str | None = None,
        http_status: int | None = None,
        retryable: bool | None = None,
        category: Category = "unknown",
    ) -> None:
        super().__init__(message, fix=fix, code=code)
        self.request_id = request_id
        self.http_status = http_status
        self.category = category
        if retryable is not None:
            self.retryable = retryable

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["category"] = self.category
        if self.request_id:
            data["request_id"] = self.request_id
        if self.http_status is not None:
            data["http_status"] = self.http_status
        return data


class ApiError(DashScopeError):
    """An HTTP-level error body from DashScope."""


class AuthError(ApiError):
    """401: the key is missing, wrong, or belongs to another region."""


class PermissionDenied(ApiError):
    """403: the key may not use this model, workspace or API."""


class InvalidRequest(ApiError):
    """400: DashScope refused the parameters or the media."""


class NotFound(ApiError):
    """404: no such model or workspace."""


class RateLimited(ApiError):
    """429: throttled (retryable) or out of quota (not retryable)."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(ApiError):
    """5xx: DashScope's side failed."""


class TaskFailed(DashScopeError):
    """The task ended FAILED; failed tasks are not billed."""


class TransportError(DashScopeError):
    """The network failed before an answer arrived."""

    code = "network_error"
    retryable = True


class SubmitOutcomeUnknown(TransportError):
    """A submit left this machine but no answer came back: a task may exist. Reconcile; never resend."""

    code = "submit_outcome_unknown"
    retryable = False


class ResultExpired(DashScopeError):
    """The signed result URL expired (24 h after the task ended): the video cannot be downloaded any more."""

    code = "result_expired"


class DownloadFailed(DashScopeError):
    """A download failed or its file did not verify; the partial file is never reported as done."""

    code = "download_failed"
    retryable = True


class DownloadRefused(DownloadFailed):
    """The result URL was refused (401/403) while its own Expires says it is still valid: not an expiry. Retry later,
    or query the task again for a fresh URL; `expires_at` is the URL's expiry (epoch seconds) when it carries one."""

    code = "download_refused"

    def __init__(self, message: str, *, expires_at: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.expires_at = expires_at


class SaveFailed(DownloadFailed):
    """The video could not be written to disk (no space, permission denied, read-only, quota). The partial file is
    kept; the download can resume once the cause is gone. `needed_bytes` and `free_bytes` when known."""

    code = "save_failed"

    def __init__(
        self,
        message: str,
        *,
        path: str,
        cause: str,
        needed_bytes: int | None = None,
        free_bytes: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.path = path
        self.cause = cause
        self.needed_bytes = needed_bytes
        self.free_bytes = free_bytes

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data.update(path=self.path, cause=self.cause, needed_bytes=self.needed_bytes, free_bytes=self.free_bytes)
        return data


_STATUS_CLASSES: Mapping[int, type[ApiError]] = MappingProxyType(
    {400: InvalidRequest, 401: AuthError, 403: PermissionDenied, 404: NotFound, 429: RateLimited}
)


def api_error(
    http_status: int,
    code: str | None,
    message: str,
    *,
    request_id: str | None = None,
    retry_after: float | None = None,
) -> ApiError:
    """The exception for an HTTP-level DashScope error body."""
    info = classify(code, message, http_status)
    cls: type[ApiError] = _STATUS_CLASSES.get(http_status, ServerError if http_status >= 500 else ApiError)
    kwargs: dict[str, Any] = {
        "code": code or info.code,
        "fix": info.fix,
        "request_id": request_id,
        "http_status": http_status,
        "retryable": info.retryable,
        "category": info.category,
    }
    if cls is RateLimited:
        return RateLimited(message, retry_after=retry_after, **kwargs)
    return cls(message, **kwargs)


def task_failed(code: str | None, message: str, *, request_id: str | None = None) -> TaskFailed:
    """The exception for a task that ended FAILED (`output.code`, `output.message`)."""
    info = classify(code, message)
    return TaskFailed(
        message,
        code=code or "TaskFailed",
        fix=info.fix,
        request_id=request_id,
        retryable=info.retryable,
        category=info.category,
    )
