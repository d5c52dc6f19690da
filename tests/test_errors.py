"""Every DashScope error code has a meaning: category, retryable, charged, and a fix a person can act on."""

from __future__ import annotations

import pytest

from wan_mcp import errors
from wan_mcp.errors import ERROR_CODES, Problem, RequestInvalid, classify

# The codes of the reference's error table (dashscope-wan-api.md §8), in its order.
REFERENCE_CODES = [
    "InvalidParameter",
    "InvalidParameter.DataInspection",
    "DataInspectionFailed",
    "IPInfringementSuspect",
    "Arrearage",
    "BadRequest.EmptyInput",
    "BadRequest.EmptyParameters",
    "BadRequest.EmptyModel",
    "BadRequest.IllegalInput",
    "BadRequest.InputDownloadFailed",
    "InvalidURL",
    "InvalidURL.ConnectionRefused",
    "InvalidURL.Timeout",
    "InvalidFile.Size",
    "InvalidFile.Duration",
    "InvalidFile.AspectRatio",
    "InvalidFile.Resolution",
    "InvalidFile.FPS",
    "InvalidFile.Format",
    "InvalidFile.Openerror",
    "InvalidFile.Content",
    "InvalidFile.NoHuman",
    "InvalidFile.MultiHuman",
    "InvalidFile.FacePose",
    "InvalidFile.BodyProportion",
    "UnsupportedOperation",
    "InvalidApiKey",
    "NOT AUTHORIZED",
    "AccessDenied",
    "AccessDenied.Unpurchased",
    "Model.AccessDenied",
    "Workspace.AccessDenied",
    "Endpoint.AccessDenied",
    "AllocationQuota.FreeTierOnly",
    "ModelNotFound",
    "WorkSpaceNotFound",
    "NotFound",
    "Throttling",
    "Throttling.RateQuota",
    "Throttling.BurstRate",
    "Throttling.AllocationQuota",
    "CommodityNotPurchased",
    "PrepaidBillOverdue",
    "PostpaidBillOverdue",
    "InternalError",
    "InternalError.Algo",
    "InternalError.Timeout",
    "InternalError.Upload",
    "SystemError",
    "RequestTimeOut",
    "ModelServingError",
    "ModelUnavailable",
]


@pytest.mark.parametrize("code", REFERENCE_CODES)
def test_every_reference_code_is_known(code: str) -> None:
    """Each code of §8 maps to a category, retryable, charged=False (failures are not billed) and a fix."""
    info = ERROR_CODES[code]
    assert info.category != "unknown" and info.fix and not info.charged
    assert classify(code, "") is info or code == "InvalidParameter"


@pytest.mark.parametrize(
    ("code", "retryable"),
    [
        ("Throttling.RateQuota", True),
        ("InternalError", True),
        ("ModelUnavailable", True),
        ("Throttling.AllocationQuota", False),
        ("InvalidApiKey", False),
        ("DataInspectionFailed", False),
        ("Arrearage", False),
    ],
)
def test_retryable_by_meaning(code: str, retryable: bool) -> None:
    """Throttling and server trouble are retryable; quota, auth, content and billing are not."""
    assert ERROR_CODES[code].retryable is retryable


def test_fixes_say_what_to_do() -> None:
    """The fixes the issue names: region-bound keys, activation, rephrasing."""
    assert "DASHSCOPE_REGION" in ERROR_CODES["InvalidApiKey"].fix
    assert "activate" in ERROR_CODES["AccessDenied.Unpurchased"].fix
    assert "rephrase" in ERROR_CODES["DataInspectionFailed"].fix
    assert "PENDING" in ERROR_CODES["UnsupportedOperation"].fix


@pytest.mark.parametrize(
    ("message", "category", "word"),
    [
        ("url error, please check url！", "invalid_request", "endpoint"),
        ("Model not exist.", "not_found", "region"),
        ("ref_images_url and obj_or_bg must be the same length.", "invalid_request", "obj_or_bg"),
        ("The provided URL does not appear to be valid. Ensure it is correctly formatted.", "media", "https"),
        ("Failed to download multimodal content.", "media", "public URL"),
        ("The size is not match xxxxxx", "invalid_request", "sizes"),
        ("Something new", "invalid_request", "parameter"),
    ],
)
def test_invalid_parameter_is_read_by_message(message: str, category: str, word: str) -> None:
    """InvalidParameter's many meanings are told apart by the message text."""
    info = classify("InvalidParameter", message)
    assert info.category == category and word in info.fix


def test_unknown_codes_fall_back_on_status() -> None:
    """An unknown code still gets a sensible meaning from its HTTP status."""
    assert classify("Brand.New", "", 429).retryable
    assert classify("Brand.New", "", 503).category == "server"
    assert classify(None, "", 401).category == "auth"
    assert classify("Brand.New", "", 400).category == "unknown"


def test_api_error_picks_the_class() -> None:
    """HTTP errors become the matching exception, carrying code, request id, fix and retry-after."""
    err = errors.api_error(
        429, "Throttling.RateQuota", "Requests rate limit exceeded", request_id="r1", retry_after=2.0
    )
    assert isinstance(err, errors.RateLimited) and err.retryable and err.retry_after == 2.0
    assert err.to_dict()["request_id"] == "r1"
    assert isinstance(errors.api_error(401, "InvalidApiKey", "Invalid API-key provided."), errors.AuthError)
    assert isinstance(errors.api_error(403, "AccessDenied.Unpurchased", "x"), errors.PermissionDenied)
    assert isinstance(errors.api_error(400, "InvalidParameter", "x"), errors.InvalidRequest)
    assert isinstance(errors.api_error(404, "ModelNotFound", "x"), errors.NotFound)
    server = errors.api_error(500, "InternalError", "x")
    assert isinstance(server, errors.ServerError) and server.retryable
    failed = errors.task_failed("DataInspectionFailed", "Input data may contain inappropriate content.")
    assert isinstance(failed, errors.TaskFailed) and not failed.charged and "rephrase" in failed.fix


def test_submit_outcome_unknown_is_never_retryable() -> None:
    """An unknown submit outcome must be reconciled, not resent."""
    err = errors.SubmitOutcomeUnknown("no answer after sending")
    assert isinstance(err, errors.TransportError) and not err.retryable


def test_request_invalid_carries_every_problem() -> None:
    """RequestInvalid exposes its first problem as code/field and keeps them all."""
    exc = RequestInvalid([Problem("a", "x", "m1", "f1"), Problem("b", "y", "m2", "f2")])
    assert (
        exc.field == "a"
        and exc.code == "x"
        and exc.to_dict() == {"code": "x", "field": "a", "message": "m1", "fix": "f1"}
    )
    assert "b: m2" in str(exc)
    with pytest.raises(ValueError, match="at least one"):
        RequestInvalid([])
