"""What planning produces: the HTTP request, the uploads to do first, the estimate, and the plan around them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wan_mcp.catalog import Mode, RegionId

INLINE_MAX_BYTES = 10 * 1000 * 1000  # local images sent as data: URIs where a region has no uploads


@dataclass(frozen=True)
class HttpRequest:
    """The DashScope request as it will be sent (without the Authorization header, which the client adds)."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "path": self.path, "headers": dict(self.headers), "body": self.body}


@dataclass(frozen=True)
class PendingUpload:
    """A local file (or a data: URI the API takes no inline) to upload to temporary storage before the submit."""

    argument: str
    pointer: tuple[str | int, ...]  # where its oss:// URL goes in the body, e.g. ("input", "img_url")
    path: Path | None
    size_bytes: int | None
    data_uri: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "argument": self.argument,
            "body_field": ".".join(str(p) for p in self.pointer),
            "path": str(self.path) if self.path else "(data: URI)",
            "size_bytes": self.size_bytes,
        }


def wait_text(low: int, high: int) -> str:
    """'usually 1–5 min' style text for a wait range in seconds."""

    def minutes(seconds: int) -> str:
        value = seconds / 60
        return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"

    if low >= 60:
        return f"usually {minutes(low)}–{minutes(high)} min"
    return f"usually {low} s–{minutes(high)} min"


@dataclass(frozen=True)
class Estimate:
    """What the job will probably cost and how long it will probably take."""

    output_seconds: float | None
    billed_seconds: float | None
    tier: str | None
    size: str | None
    sound: bool
    cost: float | None
    currency: str | None
    price_per_second: float | None
    price_source: str | None
    price_official: bool
    wait_low_seconds: int
    wait_high_seconds: int

    @property
    def wait_text(self) -> str:
        return wait_text(self.wait_low_seconds, self.wait_high_seconds)

    def to_dict(self) -> dict[str, Any]:
        return {
            "output_seconds": self.output_seconds,
            "billed_seconds": self.billed_seconds,
            "tier": self.tier,
            "size": self.size,
            "sound": self.sound,
            "cost": None
            if self.cost is None
            else {
                "amount": self.cost,
                "currency": self.currency,
                "per_second": self.price_per_second,
                "estimate": not self.price_official,
                "source": self.price_source,
            },
            "wait_seconds": {"low": self.wait_low_seconds, "high": self.wait_high_seconds},
            "wait_text": self.wait_text,
        }


@dataclass(frozen=True)
class Plan:
    """A validated request: what to send, what to upload first, what it costs, what to tell the user."""

    mode: Mode
    model: str  # canonical catalog id
    model_name: str  # the name sent in this region
    region: RegionId
    function: str | None
    request: HttpRequest
    uploads: tuple[PendingUpload, ...]
    estimate: Estimate
    notes: tuple[str, ...]
    arguments: dict[str, Any] = field(default_factory=dict)  # the effective arguments after defaults

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "mode": self.mode,
            "model": self.model,
            "region": self.region,
            "request": self.request.to_dict(),
            "estimate": self.estimate.to_dict(),
            "notes": list(self.notes),
        }
        if self.function:
            data["function"] = self.function
        if self.uploads:
            data["uploads"] = [u.to_dict() for u in self.uploads]
        return data
