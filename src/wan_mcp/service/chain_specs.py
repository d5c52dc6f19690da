"""What a chain is asked to make: its shots and settings (`ChainSpec`), what makes two requests the same chain, each
segment's submit_video arguments, and the whole chain's quote and wait."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from wan_mcp.files import sha256_file
from wan_mcp.requests import Plan, wait_text

MAX_SHOTS = 12
COMMON_ARGS = ("resolution", "negative_prompt", "seed", "prompt_extend", "watermark", "generate_audio")


@dataclass(frozen=True)
class Shot:
    """One shot of a chain: what happens, for how long."""

    prompt: str
    duration: int = 5


@dataclass(frozen=True)
class ChainSpec:
    """What a chain makes: its shots and settings, and for an extension the source it continues."""

    kind: Literal["long", "extend"]
    shots: tuple[Shot, ...]
    common: Mapping[str, Any] = field(default_factory=dict)  # resolution, negative_prompt, seed, generate_audio
    image: str | None = None  # a long video's first shot from this image (i2v) instead of text
    aspect_ratio: str | None = None
    t2v_model: str | None = None
    i2v_model: str | None = None
    method: Literal["i2v", "vace"] = "i2v"
    source: str | None = None  # an extension's source video
    source_frame: str | None = None  # its last frame (i2v)
    clip: str | None = None  # its last clip (VACE)
    clip_seconds: float | None = None

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["common"] = {k: v for k, v in self.common.items() if v is not None}
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ChainSpec:
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        values["shots"] = tuple(Shot(**shot) for shot in data["shots"])
        return cls(**values)


def chain_hash(spec: ChainSpec) -> str:
    """What makes two chain requests the same chain (shots, settings, and the content of the start files)."""
    content = spec.to_dict()
    for key in ("source", "image"):
        value = content.get(key)
        if value and Path(value).is_file():
            content[key] = sha256_file(Path(value))
    content.pop("source_frame", None)
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def shot_arguments(spec: ChainSpec, index: int, frame: Path | None) -> dict[str, Any]:
    """The submit_video arguments of segment `index` (its first frame: `frame`, the previous one's last)."""
    shot = spec.shots[index]
    common = {k: v for k, v in spec.common.items() if k in COMMON_ARGS and v is not None}
    if spec.method == "vace":  # continue the source's last clip (VACE output: 5 s including the clip)
        kept = {k: v for k, v in common.items() if k in ("seed", "watermark")}
        clip = {"first_clip": spec.clip, "prompt_extend": False}
        return {**kept, "mode": "vace", "function": "video_extension", "prompt": shot.prompt, **clip}
    args: dict[str, Any] = {**common, "prompt": shot.prompt, "duration": shot.duration}
    start = frame if index > 0 or spec.kind == "extend" else None
    image = str(start) if start is not None else spec.image
    if image:
        args |= {"mode": "i2v", "image": image}
        if spec.i2v_model:
            args["model"] = spec.i2v_model
    else:
        args |= {"mode": "t2v"}
        if spec.t2v_model:
            args["model"] = spec.t2v_model
        if spec.aspect_ratio:
            args["aspect_ratio"] = spec.aspect_ratio
    return args


def chain_totals(spec: ChainSpec, plans: list[Plan]) -> dict[str, Any]:
    """Every segment's quote, and the chain's billed seconds, cost and wait (the cost only when every part has one)."""
    costs = [p.estimate.cost for p in plans]
    low = sum(p.estimate.wait_low_seconds for p in plans)
    high = sum(p.estimate.wait_high_seconds for p in plans)
    return {
        "segments": [
            {
                "index": i,
                "mode": p.mode,
                "model": p.model,
                "prompt": spec.shots[i].prompt,
                "duration": spec.shots[i].duration,
                "billed_seconds": p.estimate.billed_seconds,
                "cost": p.estimate.cost,
                "price_is_estimate": not p.estimate.price_official,
                "sound": p.estimate.sound,
            }
            for i, p in enumerate(plans)
        ],
        "billed_seconds": sum(p.estimate.billed_seconds or 0 for p in plans),
        "cost": round(sum(c for c in costs if c is not None), 4) if all(c is not None for c in costs) else None,
        "currency": next((p.estimate.currency for p in plans if p.estimate.currency), None),
        "wait_low_seconds": low,
        "wait_high_seconds": high,
        "wait_text": wait_text(low, high),
    }
