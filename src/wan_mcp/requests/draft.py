"""The request being planned: what each step has decided so far, and the problems and notes found on the way."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wan_mcp.catalog import (
    REGIONS,
    FunctionSpec,
    MediaKind,
    MediaLimits,
    Mode,
    Model,
    ModeSpec,
    RegionId,
    RegionOffer,
    Tier,
)
from wan_mcp.errors import Problem
from wan_mcp.inputs import MediaSource
from wan_mcp.requests.arguments import VideoRequest


@dataclass
class Draft:
    """One request under planning; steps fill its choices, rules read them and return problems."""

    request: VideoRequest
    region: RegionId
    model: Model
    mode: Mode
    function: str | None
    accepted: frozenset[str]
    input_dir: Path | None = None
    allowed_dirs: tuple[Path, ...] | None = None
    given: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was decided for the user (defaults, fallbacks)
    cautions: list[str] = field(default_factory=list)  # accepted, but a source says it may fail
    sources: dict[str, MediaSource] = field(default_factory=dict)  # "image", "references[1]" → its source
    limits: dict[str, MediaLimits] = field(default_factory=dict)  # the limits each usable source is checked against
    tier: Tier | None = None
    size: str | None = None
    ratio: str | None = None
    duration: int | None = None
    prompt_extend: bool | None = None
    quality: str | None = None
    to_upload: set[str] = field(default_factory=set)
    to_inline: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.given = self.request.given()

    @property
    def spec(self) -> ModeSpec:
        return self.model.modes[self.mode]

    @property
    def function_spec(self) -> FunctionSpec | None:
        functions = self.spec.functions
        return functions[self.function] if functions and self.function else None

    @property
    def offer(self) -> RegionOffer:
        return self.model.regions[self.region]

    @property
    def region_title(self) -> str:
        return REGIONS[self.region].title

    def problem(self, name: str, code: str, message: str, fix: str) -> Problem:
        return Problem(name, code, message, fix)

    def describe(self) -> str:
        """'model (mode function)', for messages."""
        suffix = f" {self.function}" if self.function else ""
        return f"{self.model.id} ({self.mode}{suffix})"

    def uses(self, name: str) -> bool:
        """The caller gave this argument and this request uses it."""
        return name in self.given and name in self.accepted

    def references(self) -> list[tuple[str, MediaSource]]:
        """The reference sources, in the order given."""
        return [(name, source) for name, source in self.sources.items() if name.startswith("references[")]

    def references_of(self, kind: MediaKind) -> list[MediaSource]:
        return [source for _, source in self.references() if source.media_kind == kind]

    def seconds_of(self, name: str) -> float | None:
        """The duration of a local or data: media argument, when its headers tell."""
        source = self.sources.get(name)
        return source.info.seconds if source is not None and source.info is not None else None

    def limits_for(self, name: str, kind: MediaKind | None = None) -> MediaLimits | None:
        """The catalog limits for a media argument (a reference's by its kind)."""
        base = name.split("[", 1)[0]
        model = self.model
        if base == "reference_voices":
            return model.voice_input
        if base in ("image", "first_frame", "last_frame", "mask_image", "ref_images"):
            return model.image
        if base in ("video", "mask_video", "first_clip", "last_clip"):
            return model.video
        if base == "audio":
            return model.audio_input
        if base == "references" and kind is not None:
            return {"image": model.image, "video": model.video, "audio": model.audio_input}[kind]
        return None
