"""The Wan model catalog: modes, models, regions, limits, prices, typical times and their sources (data only).

Everything else (validation, estimates, tool descriptions, `list_modes`, the skill's tables, the emulator's
behaviour) is derived from this module, so adding or correcting a model is one edit here.

Every fact carries its source as `"<key> <date>"` (e.g. `bailian:wan27-i2v-api 2026-04+`): the key names an entry
of `SOURCES`, the date is the page's last update (`+` when the copy read is undated: not older than its newest
example). Where sources conflict, the limit that refuses a request is the one the newest official page gives; the
older, stricter value is kept as a `caution_*` value with its own source, and a request between the two is accepted
with a note naming both. `fact_sources(model)` says where each of a model's numbers comes from; docs/catalog-sweep.md
is the record of the sweep behind them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Literal

# Regions and sources have modules of their own (the settings read regions at start-up); the catalog speaks for all.
from wan_mcp.regions import DEFAULT_REGION as DEFAULT_REGION  # noqa: PLC0414 (re-exported)
from wan_mcp.regions import REGIONS as REGIONS  # noqa: PLC0414 (re-exported)
from wan_mcp.regions import Region as Region  # noqa: PLC0414 (re-exported)
from wan_mcp.regions import RegionId as RegionId  # noqa: PLC0414 (re-exported)
from wan_mcp.regions import find_region as find_region  # noqa: PLC0414 (re-exported)
from wan_mcp.sources import SOURCES as SOURCES  # noqa: PLC0414 (re-exported)
from wan_mcp.sources import Source as Source  # noqa: PLC0414 (re-exported)
from wan_mcp.sources import cite as cite  # noqa: PLC0414 (re-exported)

Mode = Literal["t2v", "i2v", "kf2v", "r2v", "vace", "s2v", "animate"]
Endpoint = Literal["video-generation", "image2video", "face-detect"]
Protocol = Literal["legacy", "media", "animate", "s2v", "detect"]
ParamStyle = Literal["size", "resolution", "resolution+ratio", "quality", "none"]
AudioKind = Literal["silent", "auto", "switch", "driven"]
Tier = Literal["480P", "720P", "1080P"]
MediaKind = Literal["image", "video", "audio"]
UsageShape = Literal["v26", "wan3", "standard", "sr_only", "sr_duration", "t2v_ratio", "animate", "portrait"]

MODES: tuple[Mode, ...] = ("t2v", "i2v", "kf2v", "r2v", "vace", "s2v", "animate")

MODE_TITLES: Mapping[Mode, str] = MappingProxyType(
    {
        "t2v": "Text to video",
        "i2v": "Image to video (animate a first frame)",
        "kf2v": "First and last frame to video (a transition between two images)",
        "r2v": "Reference to video (keep characters, objects or voices consistent)",
        "vace": "Video editing (VACE: reference, repaint, local edit, extension, outpainting; or by instruction)",
        "s2v": "Speech to video (a talking or singing portrait driven by audio)",
        "animate": "Character animation (move a pictured character like a video, or swap the person in it)",
    }
)

MODE_USE_WHEN: Mapping[Mode, str] = MappingProxyType(
    {
        "t2v": "The user describes a scene in words and has no image to start from.",
        "i2v": "The user has one still image and wants it to move; keeps the image's look and aspect ratio.",
        "kf2v": "The user has a start image and an end image and wants a transition between them.",
        "r2v": "The same characters, objects or voices must appear across shots; refer to them in the prompt "
        "as the model names them (character1… for wan2.6, image 1 / video 1 for newer models).",
        "vace": "The user has a video (or reference images) and wants to restyle, locally edit, extend or "
        "outpaint it, or to change it by an instruction.",
        "s2v": "The user has a portrait and a speech or song recording and wants the person to say or sing it.",
        "animate": "The user has a character image and a motion video: make the character move like the "
        "video, or replace the person in the video with the character.",
    }
)

PROMPT_EXTENDER = (
    "prompt_extend (default on) lets DashScope rewrite the prompt with an LLM for richer detail; "
    "turn it off to keep your exact wording."
)


ENDPOINT_PATHS: Mapping[Endpoint, str] = MappingProxyType(
    {
        "video-generation": "/services/aigc/video-generation/video-synthesis",
        "image2video": "/services/aigc/image2video/video-synthesis",
        "face-detect": "/services/aigc/image2video/face-detect",
    }
)
API_PREFIX = "/api/v1"
TASK_QUERY_QPS = 20  # per account, all models (every API reference: 查询接口默认RPS为20)
RESULT_TTL_SECONDS = 24 * 3600  # result URLs and task ids
UPLOAD_TTL_SECONDS = 48 * 3600  # temporary oss:// files
SEED_MAX = 2_147_483_647
COMMON_SOURCES: Mapping[str, str] = MappingProxyType(
    {
        "task_query_qps": cite("bailian:wan27-i2v-api"),
        "result_ttl": cite("bailian:wan27-i2v-api"),
        "upload_ttl": cite("mstudio:temp-url"),
        "seed": cite("bailian:wan27-i2v-api", "[0, 2147483647]; same in every reference"),
    }
)

# -- sizes ---------------------------------------------------------------------------------------------

SIZES_BY_TIER: Mapping[Tier, Mapping[str, str]] = MappingProxyType(
    {
        "480P": MappingProxyType({"16:9": "832*480", "9:16": "480*832", "1:1": "624*624"}),
        "720P": MappingProxyType(
            {"16:9": "1280*720", "9:16": "720*1280", "1:1": "960*960", "4:3": "1088*832", "3:4": "832*1088"}
        ),
        "1080P": MappingProxyType(
            {
                "16:9": "1920*1080",
                "9:16": "1080*1920",
                "1:1": "1440*1440",
                "4:3": "1632*1248",
                "3:4": "1248*1632",
            }
        ),
    }
)
# The output frames of the media-protocol models (resolution + ratio), where they differ from the size table.
RATIO_FRAMES_27: Mapping[Tier, Mapping[str, str]] = MappingProxyType(
    {
        "720P": MappingProxyType({**SIZES_BY_TIER["720P"], "4:3": "1104*832", "3:4": "832*1104"}),
        "1080P": MappingProxyType({**SIZES_BY_TIER["1080P"], "4:3": "1648*1248", "3:4": "1248*1648"}),
    }
)
TIERS: tuple[Tier, ...] = ("480P", "720P", "1080P")


def sizes_for(*tiers: Tier) -> tuple[str, ...]:
    """All `W*H` strings of the given tiers, in table order."""
    return tuple(size for tier in tiers for size in SIZES_BY_TIER[tier].values())


def tier_of_size(size: str) -> Tier | None:
    """The tier a `W*H` string belongs to, or None."""
    for tier, by_ratio in SIZES_BY_TIER.items():
        if size in by_ratio.values():
            return tier
    return None


def ratio_of_size(size: str) -> str | None:
    """The aspect ratio (e.g. `16:9`) of a `W*H` string from the size table, or None."""
    for by_ratio in SIZES_BY_TIER.values():
        for ratio, candidate in by_ratio.items():
            if candidate == size:
                return ratio
    return None


# -- limits --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DurationSpec:
    """Allowed output durations in whole seconds."""

    min: int
    max: int
    default: int
    choices: tuple[int, ...] | None = None  # a discrete set; None means every integer in [min, max]
    special: Mapping[int, str] = field(default_factory=dict)  # e.g. {-1: "the model decides"}
    caution: tuple[int, ...] | None = None  # an older source's stricter set: accepted, with a note
    source: str = ""
    caution_source: str = ""
    label: str | None = None  # how to say it when the numbers alone mislead (VACE follows its input)

    @property
    def fixed(self) -> bool:
        return self.min == self.max and not self.special

    def allows(self, seconds: int) -> bool:
        if seconds in self.special:
            return True
        if self.choices is not None:
            return seconds in self.choices
        return self.min <= seconds <= self.max

    def describe(self) -> str:
        if self.label:
            return self.label
        if self.fixed:
            text = f"fixed {self.min} s"
        elif self.choices is not None:
            text = "/".join(str(c) for c in self.choices) + " s"
        else:
            text = f"{self.min}–{self.max} s"
        for value, meaning in self.special.items():
            text += f", or {value} ({meaning})"
        return text


@dataclass(frozen=True)
class MediaLimits:
    """What the API accepts for one kind of input media."""

    kind: MediaKind
    formats: tuple[str, ...]  # lowercase container/codec names as sniffed: jpeg, png, bmp, webp, tiff, mp4…
    max_mb: float
    min_px: int | None = None  # each side
    max_px: int | None = None
    min_seconds: float | None = None
    max_seconds: float | None = None
    min_aspect: float | None = None  # width / height
    max_aspect: float | None = None
    png_alpha: bool = True  # False: PNG with an alpha channel is refused
    data_uri: bool = False  # base64 `data:` URIs accepted inline
    ascii_url: bool = False  # URLs must be ASCII (percent-encode anything else)
    caution_max_mb: float | None = None
    caution_min_px: int | None = None
    caution_max_px: int | None = None
    caution_min_seconds: float | None = None
    caution_max_seconds: float | None = None
    source: str = ""
    caution_source: str = ""


IMAGE_FORMATS = ("jpeg", "png", "bmp", "webp")
_OLD_IMAGE_COPY = cite("ref:wan-api", "older D-I2V copy and 3P mirrors: [360,2000] px")

IMAGE_26 = MediaLimits(
    "image",
    IMAGE_FORMATS,
    max_mb=20,
    min_px=240,
    max_px=8000,
    png_alpha=False,
    data_uri=True,
    caution_max_mb=10,
    caution_min_px=360,
    caution_max_px=2000,
    source=cite("bailian:legacy-i2v-api", "[240,8000] px, ≤20 MB for wan2.6/2.5, base64 accepted"),
    caution_source=cite("ref:wan-api", "older D-I2V copy and 3P mirrors: [360,2000] px, ≤10 MB"),
)
IMAGE_22 = MediaLimits(
    "image",
    IMAGE_FORMATS,
    max_mb=10,
    min_px=240,
    max_px=8000,
    png_alpha=False,
    data_uri=True,
    caution_min_px=360,
    caution_max_px=2000,
    source=cite("bailian:legacy-i2v-api", "[240,8000] px, ≤10 MB for wan2.2/2.1 (kf2v per ref D-KF2V)"),
    caution_source=_OLD_IMAGE_COPY,
)
IMAGE_R2V = MediaLimits(
    "image",
    IMAGE_FORMATS,
    max_mb=20,
    min_px=240,
    max_px=8000,
    png_alpha=False,
    source=cite("mstudio:legacy-r2v-api", "JPEG/JPG/PNG (no alpha)/BMP/WEBP, [240,8000] px, ≤20 MB; URL or oss only"),
)
VIDEO_R2V = MediaLimits(
    "video",
    ("mp4", "mov"),
    max_mb=100,
    min_seconds=1,
    max_seconds=30,
    source=cite("mstudio:legacy-r2v-api", "MP4/MOV, 1–30 s, ≤100 MB"),
)
IMAGE_VACE = MediaLimits(
    "image",
    (*IMAGE_FORMATS, "tiff"),
    max_mb=10,
    min_px=360,
    max_px=2000,
    ascii_url=True,
    source=cite("ref:wan-api", "D-VACE: JPG/JPEG/PNG/BMP/TIFF/WEBP, [360,2000] px, ≤10 MB; no Chinese in URLs"),
)
VIDEO_VACE = MediaLimits(
    "video",
    ("mp4",),
    max_mb=50,
    max_seconds=5,
    ascii_url=True,
    source=cite("ref:wan-api", "D-VACE: MP4, ≥16 fps, ≤50 MB, ≤5 s (longer input is cut to its first 5 s)"),
)
AUDIO_SOUNDTRACK = MediaLimits(
    "audio",
    ("wav", "mp3"),
    max_mb=15,
    min_seconds=3,
    max_seconds=30,
    source=cite("mstudio:legacy-t2v-api", "WAV/MP3, 3–30 s, ≤15 MB; longer than the video is cut"),
)
AUDIO_27 = MediaLimits(
    "audio",
    ("wav", "mp3"),
    max_mb=15,
    min_seconds=2,
    max_seconds=30,
    source=cite("bailian:wan27-i2v-api", "WAV/MP3, 2–30 s, ≤15 MB (t2v audio_url likewise)"),
)
AUDIO_27_VOICE = MediaLimits(
    "audio",
    ("wav", "mp3"),
    max_mb=15,
    min_seconds=1,
    max_seconds=10,
    source=cite("bailian:wan27-r2v-api", "reference_voice: WAV/MP3, 1–10 s, ≤15 MB"),
)
IMAGE_27 = MediaLimits(
    "image",
    IMAGE_FORMATS,
    max_mb=20,
    min_px=240,
    max_px=8000,
    min_aspect=1 / 8,
    max_aspect=8,
    png_alpha=False,
    data_uri=True,
    source=cite("bailian:wan27-i2v-api", "[240,8000] px, 1:8–8:1, ≤20 MB, URL, oss:// or base64"),
)
_VIDEO_27 = MediaLimits(
    "video",
    ("mp4", "mov"),
    max_mb=100,
    min_px=240,
    max_px=4096,
    min_seconds=2,
    max_seconds=10,
    min_aspect=1 / 8,
    max_aspect=8,
)
VIDEO_27_CLIP = replace(_VIDEO_27, source=cite("bailian:wan27-i2v-api", "first_clip: MP4/MOV, 2–10 s, [240,4096] px"))
VIDEO_27_EDIT = replace(_VIDEO_27, source=cite("bailian:wan27-videoedit-api", "video: MP4/MOV, 2–10 s, [240,4096] px"))
VIDEO_27_REF = replace(
    _VIDEO_27,
    min_seconds=1,
    max_seconds=30,
    source=cite("bailian:wan27-r2v-api", "reference_video: MP4/MOV, 1–30 s, [240,4096] px, ≤100 MB"),
)
IMAGE_ANIMATE = MediaLimits(
    "image",
    IMAGE_FORMATS,
    max_mb=5,
    min_px=200,
    max_px=4096,
    min_aspect=1 / 3,
    max_aspect=3,
    ascii_url=True,
    source=cite("ref:wan-api", "D-MIX/D-MOVE: JPG/JPEG/PNG/BMP/WEBP, [200,4096] px, aspect 1:3–3:1, ≤5 MB, ASCII URL"),
)
VIDEO_ANIMATE = MediaLimits(
    "video",
    ("mp4", "avi", "mov"),
    max_mb=200,
    min_px=200,
    max_px=2048,
    min_seconds=2,
    max_seconds=30,
    min_aspect=1 / 3,
    max_aspect=3,
    ascii_url=True,
    source=cite("ref:wan-api", "D-MIX/D-MOVE: MP4/AVI/MOV, [200,2048] px, aspect 1:3–3:1, ≤200 MB, 2–30 s"),
)
IMAGE_S2V = MediaLimits(
    "image",
    IMAGE_FORMATS,
    max_mb=10,
    min_px=400,
    max_px=7000,
    source=cite("mstudio:s2v-api", "jpg/jpeg/png/bmp/webp, [400,7000] px; size not stated: 10 MB assumed"),
)
AUDIO_S2V = MediaLimits(
    "audio",
    ("wav", "mp3"),
    max_mb=15,
    max_seconds=20,
    source=cite("mstudio:s2v-api", "WAV/MP3, <15 MB, <20 s, clear voice"),
)
IMAGE_WAN3 = MediaLimits(
    "image",
    IMAGE_FORMATS,
    max_mb=20,
    min_px=240,
    max_px=8000,
    png_alpha=False,
    data_uri=True,
    source=cite("mstudio:wan3-api", "base64 data: URIs accepted per issue 10's reading; pixel and MB limits as wan2.6"),
)
VIDEO_WAN3 = MediaLimits(
    "video",
    ("mp4", "mov"),
    max_mb=100,
    min_px=240,
    max_px=4096,
    min_seconds=1,
    max_seconds=15,
    source=cite("3p:gateways", "Comfy/muapi: MP4/MOV, 1–15 s each (≤15 s in total), 240–4096 px, ≤100 MB"),
)
AUDIO_WAN3 = MediaLimits(
    "audio",
    ("wav", "mp3"),
    max_mb=15,
    max_seconds=15,
    source=cite("3p:gateways", "Comfy: ≤15 s in total; 15 MB as every Wan audio input"),
)

# -- model records ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegionOffer:
    """A model as offered in one region: its name there and its rate limits."""

    name: str
    rps: int  # task submissions per second (per main account)
    concurrency: int  # tasks processed at once; extra tasks wait in PENDING
    durations: DurationSpec | None = None  # a regional override of the model's durations
    reference_kinds: tuple[MediaKind, ...] | None = None  # a regional restriction of r2v references
    source: str = ""
    caution: str = ""  # the offer itself is uncertain: accepted with this note, never chosen as a default
    caution_durations: DurationSpec | None = None  # an older, stricter regional duration set
    caution_reference_kinds: tuple[MediaKind, ...] | None = None  # an older, stricter regional reference rule
    caution_source: str = ""


@dataclass(frozen=True)
class Price:
    """Price per output second; every number here is an estimate unless `official` says otherwise."""

    currency: Literal["CNY", "USD"]
    per_second: Mapping[str, float]  # tier (or quality "std"/"pro", or "*" for every tier) → price
    silent_per_second: Mapping[str, float] | None = None  # models with an audio switch, sound off
    official: bool = False
    source: str = ""

    def rate(self, key: str, *, sound: bool = True) -> float | None:
        table = self.per_second if sound or self.silent_per_second is None else self.silent_per_second
        return table.get(key, table.get("*"))


@dataclass(frozen=True)
class Exclusion:
    """Two arguments that cannot go together, and why."""

    first: str
    second: str  # the one named in the refusal
    reason: str = ""


@dataclass(frozen=True)
class FunctionSpec:
    """One VACE function: which arguments it takes and the rules among them."""

    name: str
    summary: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    one_of: tuple[tuple[str, ...], ...] = ()  # at least one argument of each group is required
    control_conditions: tuple[str, ...] = ()
    sends_size: bool = False  # a default size is sent (else the output follows the input unless size is given)
    exclusive: tuple[Exclusion, ...] = ()
    max_items: Mapping[str, int] = field(default_factory=dict)  # list arguments: at most this many
    required_with: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # when A is given, B is required
    only_with: Mapping[str, str] = field(default_factory=dict)  # A means nothing without B
    labels_for: tuple[str, str] | None = None  # (items, labels): one label per item, e.g. obj_or_bg
    max_label_counts: Mapping[str, int] = field(default_factory=dict)  # e.g. at most one "bg"
    clips_max_seconds: float | None = None  # first_clip + last_clip together


@dataclass(frozen=True)
class ModeSpec:
    """How a model serves one mode: its required and optional media/mode arguments and their rules."""

    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    one_of: tuple[tuple[str, ...], ...] = ()
    functions: Mapping[str, FunctionSpec] | None = None  # VACE
    exclusive: tuple[Exclusion, ...] = ()
    max_items: Mapping[str, int] = field(default_factory=dict)
    api_required: tuple[str, ...] | None = None  # what DashScope itself requires, where wan-mcp asks for more
    api_one_of: tuple[tuple[str, ...], ...] | None = None


@dataclass(frozen=True)
class InputBilling:
    """How input video seconds add to the billed seconds (beside the output's)."""

    kind: Literal["reference_videos", "edit_video"]
    cap_seconds: float = 5.0  # reference videos: at most this many input seconds in total
    split_over: Literal["references", "reference_videos"] = "references"  # the cap is shared by these
    source: str = ""

    def per_video_cap(self, references: int, videos: int) -> float:
        """Each reference video's billed seconds: cap ÷ the count it is shared by, in 0.05 s steps (5 ÷ 3 → 1.65)."""
        shared_by = references if self.split_over == "references" else videos
        return math.floor(self.cap_seconds / max(shared_by, 1) * 20 + 1e-9) / 20

    def reference_seconds(self, lengths: list[float | None], references: int) -> float:
        """Billed input seconds for reference videos of these lengths (an unknown length counts at its cap)."""
        cap = self.per_video_cap(references, len(lengths))
        billed = sum(min(length, cap) if length is not None else cap for length in lengths)
        return min(billed, self.cap_seconds)


@dataclass(frozen=True)
class Model:
    """One Wan model: what it does, how it is called, and its limits."""

    id: str  # canonical id (its Beijing name where it has one)
    family: str  # "wan2.6", "wanx2.1", …
    modes: Mapping[Mode, ModeSpec]
    protocol: Protocol
    endpoint: Endpoint
    param_style: ParamStyle
    regions: Mapping[RegionId, RegionOffer]
    summary: str
    source: str  # where this model's facts come from unless a fact's own source says otherwise
    tiers: tuple[Tier, ...] = ()
    sizes: tuple[str, ...] = ()  # size-style models: the exact `W*H` strings accepted
    default_tier: Tier | None = None  # the API's own default
    default_size: str | None = None  # the API's own default (size-style)
    ratios: tuple[str, ...] = ()  # resolution+ratio style
    default_ratio: str | None = None  # None: the output follows the input's aspect unless a ratio is given
    ratio_ignored_with: tuple[str, ...] = ()  # arguments that make the API ignore a ratio (a first frame)
    durations: DurationSpec | None = None  # None: output length follows an input (s2v, animate)
    reference_video_duration_max: int | None = None  # a lower maximum when any reference is a video
    follows_input: MediaKind | None = None  # without a duration the output lasts as long as this input
    audio: AudioKind = "silent"
    custom_audio: bool = False  # accepts a soundtrack file (`audio`)
    shot_type: bool = False  # supports shot_type "multi"
    prompt: Literal["required", "optional", "none"] = "optional"
    prompt_max: int | None = None
    negative_prompt_max: int | None = None
    prompt_extend: bool = True  # the parameter exists
    needs_prompt_extend: tuple[str, ...] = ()  # arguments that only work with prompt_extend on
    templates: bool = False
    image: MediaLimits | None = None
    video: MediaLimits | None = None
    audio_input: MediaLimits | None = None
    voice_input: MediaLimits | None = None  # a voice per reference (reference_voices)
    max_references: int | None = None
    max_reference_videos: int | None = None
    max_reference_images: int | None = None
    max_reference_audios: int | None = None
    reference_seconds_total: Mapping[MediaKind, float] = field(default_factory=dict)
    input_billing: InputBilling | None = None
    wire: Mapping[str, str] = field(default_factory=dict)  # argument → "input:<field>" or "media:<type>"
    price: Mapping[Literal["CNY", "USD"], Price] = field(default_factory=dict)
    typical_seconds: tuple[int, int] = (60, 300)  # submit → done, for 5 s at 720P
    typical_source: str = ""
    preview: bool = False
    kind: Literal["generation", "precheck"] = "generation"
    result_field: Literal["video_url", "results.video_url"] = "video_url"
    usage: UsageShape = "v26"  # the shape of `usage` in a SUCCEEDED task (the emulator's concern)
    returns_actual_prompt: bool = True  # output.actual_prompt when prompt_extend is on
    snapshot_of: str | None = None  # a dated snapshot of this model id
    fact_source: Mapping[str, str] = field(default_factory=dict)  # a fact whose source differs from `source`
    notes: tuple[str, ...] = ()

    @property
    def aliases(self) -> tuple[str, ...]:
        return tuple(sorted({self.id, *(offer.name for offer in self.regions.values())}))

    def durations_in(self, region: RegionId) -> DurationSpec | None:
        offer = self.regions.get(region)
        if offer is not None and offer.durations is not None:
            return offer.durations
        return self.durations


# Shared building blocks --------------------------------------------------------------------------------

_BOTH: tuple[RegionId, ...] = ("beijing", "singapore")
_ALL4: tuple[RegionId, ...] = ("beijing", "singapore", "virginia", "frankfurt")
_RATE = cite("ref:wan-api", "D-RL rate-limit tables")


def _offer(
    rps: int,
    conc: int,
    *,
    regions: tuple[RegionId, ...] = _BOTH,
    names: Mapping[RegionId, str] | None = None,
    model: str,
    source: str = _RATE,
) -> dict[RegionId, RegionOffer]:
    names = names or {}
    return {r: RegionOffer(names.get(r, model), rps, conc, source=source) for r in regions}


def _prices(
    cny: Mapping[str, float] | None = None,
    usd: Mapping[str, float] | None = None,
    *,
    cny_silent: Mapping[str, float] | None = None,
    source: str = cite("3p:prices"),
    usd_official: bool = False,
    usd_source: str | None = None,
) -> dict[Literal["CNY", "USD"], Price]:
    prices: dict[Literal["CNY", "USD"], Price] = {}
    if cny is not None:
        prices["CNY"] = Price("CNY", cny, cny_silent, source=source)
    if usd is not None:
        prices["USD"] = Price("USD", usd, official=usd_official, source=usd_source or source)
    return prices


# How each argument travels: legacy bodies name input fields, the media protocol types items of input.media.
LEGACY_WIRE: Mapping[str, str] = MappingProxyType(
    {
        "image": "input:img_url",
        "first_frame": "input:first_frame_url",
        "last_frame": "input:last_frame_url",
        "references": "input:reference_urls",
        "audio": "input:audio_url",
        "video": "input:video_url",
        "mask_image": "input:mask_image_url",
        "mask_video": "input:mask_video_url",
        "ref_images": "input:ref_images_url",
        "first_clip": "input:first_clip_url",
        "last_clip": "input:last_clip_url",
    }
)
PORTRAIT_WIRE: Mapping[str, str] = MappingProxyType({**LEGACY_WIRE, "image": "input:image_url"})
MEDIA_WIRE: Mapping[str, str] = MappingProxyType(
    {
        "image": "media:first_frame",
        "first_frame": "media:first_frame",
        "last_frame": "media:last_frame",
        "first_clip": "media:first_clip",
        "audio": "media:driving_audio",
        "video": "media:video",
        "ref_images": "media:reference_image",
        "references": "media:reference_{kind}",
        "reference_file": "media:file",
        "reference_link": "media:link",
    }
)

_T2V_LEGACY = ModeSpec()
_I2V_LEGACY = ModeSpec(required=("image",))
_I2V_TEMPLATE = ModeSpec(optional=("image", "template"), one_of=(("image",),))
_KF2V_API = cite("ref:wan-api", "D-KF2V: only first_frame_url is required; a kf2v request without a last frame is i2v")
_KF2V_LEGACY = ModeSpec(
    required=("first_frame",),
    optional=("last_frame", "template"),
    one_of=(("last_frame", "template"),),
    api_one_of=(),
    exclusive=(Exclusion("template", "last_frame", "an effect template uses the first frame only"),),
)
_R2V_LEGACY = ModeSpec(required=("references",))

_D26_T2V = DurationSpec(
    2,
    15,
    5,
    caution=(5, 10, 15),
    source=cite("mstudio:legacy-t2v-api", "any integer 2–15 s"),
    caution_source=cite("ref:wan-api", "older D-T2V copy and 3P: 5/10/15 only"),
)
_D26_I2V = replace(
    _D26_T2V,
    source=cite("bailian:legacy-i2v-api", "any integer 2–15 s"),
    caution_source=cite("ref:wan-api", "older D-I2V copy: 5/10/15 only"),
)
_D_5_10 = DurationSpec(5, 10, 5, choices=(5, 10), source=cite("mstudio:legacy-t2v-api", "5 or 10 s"))
_D_FIXED5 = DurationSpec(5, 5, 5, source=cite("mstudio:legacy-t2v-api", "fixed 5 s"))
_D26_R2V = DurationSpec(2, 10, 5, source=cite("mstudio:legacy-r2v-api", "any integer 2–10 s"))
_D27 = DurationSpec(2, 15, 5, source=cite("bailian:wan27-i2v-api", "any integer 2–15 s, default 5"))

_R2V_BILLING_26 = InputBilling(
    "reference_videos",
    split_over="references",
    source=cite("bailian:r2v-guide", "input ≤5 s; each video capped at 5 s ÷ (images + videos); images free"),
)
_R2V_BILLING_27 = InputBilling(
    "reference_videos",
    split_over="reference_videos",
    source=cite("bailian:r2v-guide", "input ≤5 s; each video capped at 5 s ÷ reference videos; images free"),
)
_EDIT_BILLING = InputBilling(
    "edit_video", source=cite("bailian:wan27-videoedit-api", "duration = input_video_duration + output_video_duration")
)

_VACE_FUNCTIONS: Mapping[str, FunctionSpec] = MappingProxyType(
    {
        "image_reference": FunctionSpec(
            "image_reference",
            "Generate a video from 1–3 reference images (subjects and/or one background).",
            required=("ref_images",),
            optional=("obj_or_bg", "size"),
            sends_size=True,
            max_items={"ref_images": 3},
            labels_for=("ref_images", "obj_or_bg"),
            max_label_counts={"bg": 1},
        ),
        "video_repainting": FunctionSpec(
            "video_repainting",
            "Restyle a whole video while keeping its motion (pose, depth or scribble control).",
            required=("video", "control_condition"),
            optional=("ref_images", "strength"),
            control_conditions=("posebodyface", "posebody", "depth", "scribble"),
            max_items={"ref_images": 1},
        ),
        "video_edit": FunctionSpec(
            "video_edit",
            "Edit a masked region of a video (white = edit, black = keep).",
            required=("video",),
            optional=(
                "mask_image",
                "mask_frame_id",
                "mask_video",
                "ref_images",
                "control_condition",
                "mask_type",
                "expand_ratio",
                "expand_mode",
                "size",
            ),
            one_of=(("mask_image", "mask_video"),),
            control_conditions=("", "posebodyface", "depth"),
            exclusive=(Exclusion("mask_image", "mask_video"),),
            max_items={"ref_images": 1},
            only_with={"mask_frame_id": "mask_image"},
        ),
        "video_extension": FunctionSpec(
            "video_extension",
            "Continue a video from its first/last frame or clip (≤ 3 s of clips); output is 5 s in total.",
            required=(),
            optional=("first_frame", "last_frame", "first_clip", "last_clip", "video", "control_condition"),
            one_of=(("first_frame", "last_frame", "first_clip", "last_clip"),),
            control_conditions=("", "posebodyface", "depth"),
            required_with={"video": ("control_condition",)},
            clips_max_seconds=3.0,
        ),
        "video_outpainting": FunctionSpec(
            "video_outpainting",
            "Expand the frame of a video outwards (each side scaled 1.0–2.0).",
            required=("video",),
            optional=("top_scale", "bottom_scale", "left_scale", "right_scale"),
        ),
    }
)
VACE_FUNCTIONS = _VACE_FUNCTIONS
VACE_CLIP_MAX_SECONDS = 3.0  # first_clip + last_clip together (ref D-VACE)

# Values and ranges of the plain parameters (VACE's, and the seed), the same for every model that takes them.
ARGUMENT_VALUES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "obj_or_bg": ("obj", "bg"),
        "mask_type": ("tracking", "fixed"),
        "expand_mode": ("hull", "bbox", "original"),
    }
)
ARGUMENT_RANGES: Mapping[str, tuple[float, float | None]] = MappingProxyType(
    {
        "strength": (0.0, 1.0),
        "expand_ratio": (0.0, 1.0),
        "top_scale": (1.0, 2.0),
        "bottom_scale": (1.0, 2.0),
        "left_scale": (1.0, 2.0),
        "right_scale": (1.0, 2.0),
        "mask_frame_id": (1, None),
    }
)
ARGUMENT_SOURCES = cite("ref:wan-api", "D-VACE parameter tables")

_WAN3_MODES: Mapping[Mode, ModeSpec] = MappingProxyType(
    {
        "t2v": ModeSpec(
            optional=("reference_file", "reference_link"),
            one_of=(("prompt", "reference_file", "reference_link"),),
            exclusive=(Exclusion("reference_file", "reference_link", "give a reference file or a link"),),
        ),
        "i2v": ModeSpec(required=("image",)),
        "kf2v": ModeSpec(required=("first_frame", "last_frame")),
        "r2v": ModeSpec(
            optional=("references", "reference_file", "reference_link"),
            one_of=(("references", "reference_file", "reference_link"),),
            exclusive=(Exclusion("reference_file", "reference_link", "give a reference file or a link"),),
        ),
    }
)

_WAN3_RATE = cite("wan-mcp:assumption", "rate limits not published; assumed like wan2.6 (5 RPS, 5 tasks)")

_WAN3 = Model(
    id="wan3.0-video",
    family="wan3.0",
    modes=_WAN3_MODES,
    protocol="media",
    endpoint="video-generation",
    param_style="resolution+ratio",
    regions=_offer(5, 5, regions=_ALL4, model="wan3.0-video", source=_WAN3_RATE),
    summary="Wan 3.0 all-in-one (preview): text, first frame, first+last frames or references → up to 30 s with sound.",
    source=cite("mstudio:wan3-api"),
    tiers=("480P", "720P", "1080P"),
    default_tier="1080P",
    ratios=("adaptive", "21:9", "16:9", "4:3", "1:1", "3:4", "9:16"),
    default_ratio="adaptive",
    durations=DurationSpec(
        2,
        30,
        5,
        special={-1: "the model decides, up to 30 s"},
        source=cite("ref:wan3", "integer 2–30 s or -1; the official page: up to 30 s"),
    ),
    audio="switch",
    prompt="optional",
    prompt_max=20_000,
    needs_prompt_extend=("reference_file", "reference_link"),
    image=IMAGE_WAN3,
    video=VIDEO_WAN3,
    audio_input=AUDIO_WAN3,
    max_reference_images=10,
    max_reference_videos=5,
    max_reference_audios=5,
    reference_seconds_total=MappingProxyType({"video": 15.0, "audio": 15.0}),
    wire=MEDIA_WIRE,
    typical_source=cite("mstudio:wan3-api", "typically 1–5 minutes"),
    preview=True,
    usage="wan3",
    fact_source={
        "prompt_max": cite("3p:bailian-mcp", "20,000 characters"),
        "ratios": cite("3p:bailian-mcp"),
        "references": cite("ref:wan3", "10 images, 5 videos, 5 audios; 15 s of video or audio in total"),
        "regions": cite("mstudio:wan3-api", "Beijing, Singapore, Virginia, Hong Kong, …; Frankfurt per ref:wan3"),
    },
    notes=(
        "Preview model: behaviour and limits may change.",
        "References (images ≤ 10, videos ≤ 5, audios ≤ 5) are named 'image 1', 'video 1', 'audio 1' in the "
        "prompt; a first/last frame cannot be combined with references, a file or a link.",
    ),
)

_ANIMATE_MOVE = Model(
    id="wan2.2-animate-move",
    family="wan2.2",
    modes={"animate": ModeSpec(required=("image", "video"), optional=("quality", "check_image"))},
    protocol="animate",
    endpoint="image2video",
    param_style="quality",
    regions=_offer(5, 1, model="wan2.2-animate-move"),
    summary="The pictured character performs the motion of a video (2–30 s, length of the video).",
    source=cite("ref:wan-api", "D-MOVE"),
    durations=None,
    follows_input="video",
    prompt="none",
    prompt_extend=False,
    image=IMAGE_ANIMATE,
    video=VIDEO_ANIMATE,
    wire=PORTRAIT_WIRE,
    price=_prices({"std": 0.4, "pro": 0.6}),
    typical_seconds=(120, 300),
    typical_source=cite("ref:wan-api", "D-MIX: official example took 2.7 min"),
    result_field="results.video_url",
    usage="animate",
    fact_source={"regions": cite("mstudio:animate-move-api", "Singapore and Beijing endpoints")},
)

_WAN27_T2V = Model(
    id="wan2.7-t2v",
    family="wan2.7",
    modes={"t2v": ModeSpec(optional=("audio",))},
    protocol="media",
    endpoint="video-generation",
    param_style="resolution+ratio",
    regions=_offer(5, 5, model="wan2.7-t2v"),
    summary="Newest text-to-video line: up to 15 s with sound; multi-shot is written in the prompt.",
    source=cite("bailian:wan27-t2v-api"),
    tiers=("720P", "1080P"),
    default_tier="1080P",
    ratios=("16:9", "9:16", "1:1", "4:3", "3:4"),
    default_ratio="16:9",
    durations=replace(_D27, source=cite("bailian:wan27-t2v-api", "any integer 2–15 s, default 5")),
    audio="auto",
    custom_audio=True,
    prompt="required",
    prompt_max=5000,
    negative_prompt_max=500,
    audio_input=AUDIO_27,
    wire=MappingProxyType({**MEDIA_WIRE, "audio": "input:audio_url"}),
    returns_actual_prompt=False,
    notes=("No shot_type: describe shots in the prompt ('Shot 1 [0-3s]: …').",),
)

_WAN27_I2V = Model(
    id="wan2.7-i2v",
    family="wan2.7",
    modes={
        "i2v": ModeSpec(
            optional=("image", "first_clip", "audio", "last_frame"),
            one_of=(("image", "first_clip"),),
            exclusive=(
                Exclusion("image", "first_clip", "give image or first_clip"),
                Exclusion("first_clip", "audio", "a driving audio goes with a first frame, not a first clip"),
            ),
        ),
        "kf2v": ModeSpec(required=("first_frame", "last_frame"), optional=("audio",)),
    },
    protocol="media",
    endpoint="video-generation",
    param_style="resolution",
    regions={
        **_offer(5, 5, model="wan2.7-i2v"),
        "virginia": RegionOffer(
            "wan2.7-i2v",
            5,
            5,
            source=cite("mstudio:wan27-i2v-guide", "the guide links a Virginia console"),
            caution="the 2.7 API reference lists only Beijing and Singapore endpoints; the guide links a Virginia "
            "console. If DashScope answers 'Model not exist' (nothing is billed), use wan2.6-i2v here.",
        ),
    },
    summary="Newest image-to-video: from a first frame (optionally a last frame and a driving audio) or a "
    "first clip; 2–15 s.",
    source=cite("bailian:wan27-i2v-api"),
    tiers=("720P", "1080P"),
    default_tier="1080P",
    durations=_D27,
    audio="auto",
    custom_audio=True,
    prompt="optional",
    prompt_max=5000,
    negative_prompt_max=500,
    image=IMAGE_27,
    video=VIDEO_27_CLIP,
    audio_input=AUDIO_27,
    wire=MEDIA_WIRE,
    returns_actual_prompt=False,
    notes=(
        "Media combinations: first frame (+ driving audio) (+ last frame), or first clip (+ last frame).",
        "With a first clip, duration is the length of the whole result (clip included), and all of it is billed.",
    ),
)

_WAN27_R2V = Model(
    id="wan2.7-r2v",
    family="wan2.7",
    modes={
        "r2v": ModeSpec(
            required=("references",),
            optional=("image", "reference_voices"),
        )
    },
    protocol="media",
    endpoint="video-generation",
    param_style="resolution+ratio",
    regions=_offer(5, 5, model="wan2.7-r2v"),
    summary="Newest reference-to-video: up to 5 reference images/videos, each with an optional voice; optional "
    "first frame; 2–15 s (2–10 s with a reference video).",
    source=cite("bailian:wan27-r2v-api"),
    tiers=("720P", "1080P"),
    default_tier="1080P",
    ratios=("16:9", "9:16", "1:1", "4:3", "3:4"),
    default_ratio="16:9",
    ratio_ignored_with=("image",),
    durations=replace(_D27, source=cite("bailian:wan27-r2v-api", "2–15 s; 2–10 s with any reference video")),
    reference_video_duration_max=10,
    audio="auto",
    prompt="required",
    prompt_max=5000,
    negative_prompt_max=500,
    image=IMAGE_27,
    video=VIDEO_27_REF,
    voice_input=AUDIO_27_VOICE,
    max_references=5,
    input_billing=_R2V_BILLING_27,
    wire=MEDIA_WIRE,
    returns_actual_prompt=False,
    notes=("Refer to references as 'image 1', 'video 1' (images and videos counted separately) in the prompt.",),
)

_WAN27_VIDEOEDIT = Model(
    id="wan2.7-videoedit",
    family="wan2.7",
    modes={
        "vace": ModeSpec(
            required=("video",),
            optional=("ref_images", "audio_setting"),
            max_items={"ref_images": 4},
        )
    },
    protocol="media",
    endpoint="video-generation",
    param_style="resolution+ratio",
    regions=_offer(5, 5, model="wan2.7-videoedit"),
    summary="Newest instruction-based video editing: describe the change; up to 4 reference images.",
    source=cite("bailian:wan27-videoedit-api"),
    tiers=("720P", "1080P"),
    default_tier="1080P",
    ratios=("16:9", "9:16", "1:1", "4:3", "3:4"),
    default_ratio=None,
    durations=DurationSpec(
        2,
        10,
        0,
        special={0: "same length as the input video"},
        source=cite("bailian:wan27-videoedit-api", "0 (the input's length, default) or an integer 2–10 to cut"),
    ),
    follows_input="video",
    audio="auto",
    prompt="optional",
    prompt_max=5000,
    negative_prompt_max=500,
    image=IMAGE_27,
    video=VIDEO_27_EDIT,
    input_billing=_EDIT_BILLING,
    wire=MEDIA_WIRE,
    returns_actual_prompt=False,
    notes=(
        "audio_setting: 'auto' (the model decides, default) or 'origin' (keep the input video's sound).",
        "Without aspect_ratio the result keeps the input video's aspect.",
        "Billed seconds = the input video's seconds + the output's.",
    ),
)


def _snapshot(model: Model, snapshot_id: str, source: str) -> Model:
    """A dated snapshot: the model's limits under its own id (its name in every region)."""
    return replace(
        model,
        id=snapshot_id,
        regions={region: replace(offer, name=snapshot_id) for region, offer in model.regions.items()},
        snapshot_of=model.id,
        summary=f"Dated snapshot of {model.id}. {model.summary}",
        fact_source={**model.fact_source, "id": source},
    )


MODELS: tuple[Model, ...] = (
    # ---------------------------------------------------------------- text to video
    _WAN27_T2V,
    _snapshot(_WAN27_T2V, "wan2.7-t2v-2026-04-25", cite("bailian:wan27-t2v-api", "the model of every example")),
    _snapshot(_WAN27_T2V, "wan2.7-t2v-2026-06-12", cite("3p:gateways", "issue 10: on the model and rate-limit pages")),
    Model(
        id="wan2.6-t2v",
        family="wan2.6",
        modes={"t2v": _T2V_LEGACY},
        protocol="legacy",
        endpoint="video-generation",
        param_style="size",
        regions=_offer(5, 5, regions=_ALL4, model="wan2.6-t2v"),
        summary="Default text-to-video: sound (automatic or your soundtrack), multi-shot, 2–15 s.",
        source=cite("mstudio:legacy-t2v-api"),
        tiers=("720P", "1080P"),
        sizes=sizes_for("720P", "1080P"),
        default_tier="1080P",
        default_size="1920*1080",
        durations=_D26_T2V,
        audio="auto",
        custom_audio=True,
        shot_type=True,
        prompt="required",
        prompt_max=1500,
        negative_prompt_max=500,
        audio_input=AUDIO_SOUNDTRACK,
        wire=LEGACY_WIRE,
        price=_prices(
            {"720P": 0.6, "1080P": 1.0},
            {"720P": 0.10, "1080P": 0.15},
        ),
        typical_seconds=(60, 300),
        typical_source=cite("ref:wan-api", "D-T2V: 1–5 min; official example 10 s at 720P took 4 min 47 s"),
        returns_actual_prompt=False,
    ),
    Model(
        id="wan2.6-t2v-us",
        family="wan2.6",
        modes={"t2v": _T2V_LEGACY},
        protocol="legacy",
        endpoint="video-generation",
        param_style="size",
        regions=_offer(5, 5, regions=("virginia",), model="wan2.6-t2v-us"),
        summary="US-hosted wan2.6 text-to-video (5 or 10 s).",
        source=cite("mstudio:legacy-t2v-api"),
        tiers=("720P", "1080P"),
        sizes=sizes_for("720P", "1080P"),
        default_tier="1080P",
        default_size="1920*1080",
        durations=_D_5_10,
        audio="auto",
        custom_audio=True,
        shot_type=True,
        prompt="required",
        prompt_max=1500,
        negative_prompt_max=500,
        audio_input=AUDIO_SOUNDTRACK,
        wire=LEGACY_WIRE,
        returns_actual_prompt=False,
    ),
    Model(
        id="wan2.5-t2v-preview",
        family="wan2.5",
        modes={"t2v": _T2V_LEGACY},
        protocol="legacy",
        endpoint="video-generation",
        param_style="size",
        regions=_offer(5, 5, model="wan2.5-t2v-preview"),
        summary="wan2.5 text-to-video with sound, 480P–1080P, 5 or 10 s.",
        source=cite("mstudio:legacy-t2v-api"),
        tiers=("480P", "720P", "1080P"),
        sizes=sizes_for("480P", "720P", "1080P"),
        default_tier="1080P",
        default_size="1920*1080",
        durations=_D_5_10,
        audio="auto",
        custom_audio=True,
        prompt="required",
        prompt_max=1500,
        negative_prompt_max=500,
        audio_input=AUDIO_SOUNDTRACK,
        wire=LEGACY_WIRE,
        price=_prices({"480P": 0.3, "720P": 0.6, "1080P": 1.0}),
        preview=True,
        usage="t2v_ratio",
    ),
    Model(
        id="wan2.2-t2v-plus",
        family="wan2.2",
        modes={"t2v": _T2V_LEGACY},
        protocol="legacy",
        endpoint="video-generation",
        param_style="size",
        regions=_offer(2, 2, model="wan2.2-t2v-plus"),
        summary="wan2.2 text-to-video, silent, 480P or 1080P, 5 s.",
        source=cite("mstudio:legacy-t2v-api"),
        tiers=("480P", "1080P"),
        sizes=sizes_for("480P", "1080P"),
        default_tier="1080P",
        default_size="1920*1080",
        durations=_D_FIXED5,
        prompt="required",
        prompt_max=800,
        negative_prompt_max=500,
        wire=LEGACY_WIRE,
        price=_prices({"480P": 0.14, "1080P": 0.70}),
        usage="t2v_ratio",
    ),
    Model(
        id="wanx2.1-t2v-turbo",
        family="wanx2.1",
        modes={"t2v": _T2V_LEGACY},
        protocol="legacy",
        endpoint="video-generation",
        param_style="size",
        regions=_offer(2, 2, model="wanx2.1-t2v-turbo", names={"singapore": "wan2.1-t2v-turbo"}),
        summary="wan2.1 fast text-to-video, silent, 480P/720P, 5 s.",
        source=cite("mstudio:legacy-t2v-api"),
        tiers=("480P", "720P"),
        sizes=sizes_for("480P", "720P"),
        default_tier="720P",
        default_size="1280*720",
        durations=_D_FIXED5,
        prompt="required",
        prompt_max=800,
        negative_prompt_max=500,
        wire=LEGACY_WIRE,
        price=_prices({"*": 0.24}),
        usage="standard",
    ),
    Model(
        id="wanx2.1-t2v-plus",
        family="wanx2.1",
        modes={"t2v": _T2V_LEGACY},
        protocol="legacy",
        endpoint="video-generation",
        param_style="size",
        regions=_offer(2, 2, model="wanx2.1-t2v-plus", names={"singapore": "wan2.1-t2v-plus"}),
        summary="wan2.1 text-to-video, silent, 720P, 5 s.",
        source=cite("mstudio:legacy-t2v-api"),
        tiers=("720P",),
        sizes=sizes_for("720P"),
        default_tier="720P",
        default_size="1280*720",
        durations=_D_FIXED5,
        prompt="required",
        prompt_max=800,
        negative_prompt_max=500,
        wire=LEGACY_WIRE,
        price=_prices({"*": 0.70}),
        usage="standard",
    ),
    # ---------------------------------------------------------------- image to video
    _WAN27_I2V,
    _snapshot(_WAN27_I2V, "wan2.7-i2v-2026-04-25", cite("bailian:wan27-i2v-api", "the model of every example")),
    Model(
        id="wan2.6-i2v-flash",
        family="wan2.6",
        modes={"i2v": _I2V_LEGACY},
        protocol="legacy",
        endpoint="video-generation",
        param_style="resolution",
        regions=_offer(5, 5, model="wan2.6-i2v-flash"),
        summary="Default image-to-video: fast, sound on/off switch or your soundtrack, multi-shot, 2–15 s.",
        source=cite("bailian:legacy-i2v-api"),
        tiers=("720P", "1080P"),
        default_tier="1080P",
        durations=_D26_I2V,
        audio="switch",
        custom_audio=True,
        shot_type=True,
        prompt="optional",
        prompt_max=1500,
        negative_prompt_max=500,
        image=IMAGE_26,
        audio_input=AUDIO_SOUNDTRACK,
        wire=LEGACY_WIRE,
        typical_seconds=(45, 180),
        typical_source=cite("ref:wan-api", "D-I2V: official SDK example 10 s at 720P took 73 s"),
        returns_actual_prompt=False,
        notes=("generate_audio false beats a soundtrack: the result is silent and billed as silent.",),
    ),
    Model(
        id="wan2.6-i2v",
        family="wan2.6",
        modes={"i2v": _I2V_LEGACY},
        protocol="legacy",
        endpoint="video-generation",
        param_style="resolution",
        regions=_offer(5, 5, regions=_ALL4, model="wan2.6-i2v"),
        summary="wan2.6 image-to-video with sound (automatic or your soundtrack), multi-shot, 2–15 s.",
        source=cite("bailian:legacy-i2v-api"),
        tiers=("720P", "1080P"),
        default_tier="1080P",
        durations=_D26_I2V,
        audio="auto",
        custom_audio=True,
        shot_type=True,
        prompt="optional",
        prompt_max=1500,
        negative_prompt_max=500,
        image=IMAGE_26,
        audio_input=AUDIO_SOUNDTRACK,
        wire=LEGACY_WIRE,
        price=_prices({"720P": 0.6, "1080P": 1.0}, {"720P": 0.10, "1080P": 0.15}),
        typical_seconds=(60, 360),
        typical_source=cite("ref:wan-api", "D-I2V: 1–5 min; the HTTP example (10 s, 720P) took 9.7 min"),
        returns_actual_prompt=False,
    ),
    Model(
        id="wan2.6-i2v-us",
        family="wan2.6",
        modes={"i2v": _I2V_LEGACY},
        protocol="legacy",
        endpoint="video-generation",
        param_style="resolution",
        regions=_offer(5, 5, regions=("virginia",), model="wan2.6-i2v-us"),
        summary="US-hosted wan2.6 image-to-video (5, 10 or 15 s).",
        source=cite("bailian:legacy-i2v-api"),
        tiers=("720P", "1080P"),
        default_tier="1080P",
        durations=DurationSpec(5, 15, 5, choices=(5, 10, 15), source=cite("bailian:legacy-i2v-api", "5/10/15 s")),
        audio="auto",
        custom_audio=True,
        shot_type=True,
        prompt="optional",
        prompt_max=1500,
        negative_prompt_max=500,
        image=IMAGE_26,
        audio_input=AUDIO_SOUNDTRACK,
        wire=LEGACY_WIRE,
        returns_actual_prompt=False,
    ),
    Model(
        id="wan2.5-i2v-preview",
        family="wan2.5",
        modes={"i2v": _I2V_LEGACY},
        protocol="legacy",
        endpoint="video-generation",
        param_style="resolution",
        regions=_offer(5, 5, model="wan2.5-i2v-preview"),
        summary="wan2.5 image-to-video with sound, 480P–1080P, 5 or 10 s.",
        source=cite("bailian:legacy-i2v-api"),
        tiers=("480P", "720P", "1080P"),
        default_tier="1080P",
        durations=replace(_D_5_10, source=cite("bailian:legacy-i2v-api", "5 or 10 s")),
        audio="auto",
        custom_audio=True,
        prompt="optional",
        prompt_max=1500,
        negative_prompt_max=500,
        image=IMAGE_26,
        audio_input=AUDIO_SOUNDTRACK,
        wire=LEGACY_WIRE,
        price=_prices({"480P": 0.3, "720P": 0.6, "1080P": 1.0}),
        preview=True,
        usage="sr_duration",
    ),
    Model(
        id="wan2.2-i2v-flash",
        family="wan2.2",
        modes={"i2v": _I2V_LEGACY},
        protocol="legacy",
        endpoint="video-generation",
        param_style="resolution",
        regions=_offer(2, 2, regions=("beijing",), model="wan2.2-i2v-flash"),
        summary="wan2.2 fast image-to-video, silent, 480P–1080P, 5 s.",
        source=cite("bailian:legacy-i2v-api"),
        tiers=("480P", "720P", "1080P"),
        default_tier="720P",
        durations=replace(_D_FIXED5, source=cite("bailian:legacy-i2v-api", "fixed 5 s")),
        prompt="optional",
        prompt_max=800,
        negative_prompt_max=500,
        image=IMAGE_22,
        wire=LEGACY_WIRE,
        price=_prices({"480P": 0.10, "720P": 0.20, "1080P": 0.48}),
        typical_seconds=(45, 240),
        usage="sr_duration",
    ),
    Model(
        id="wan2.2-i2v-plus",
        family="wan2.2",
        modes={"i2v": _I2V_LEGACY},
        protocol="legacy",
        endpoint="video-generation",
        param_style="resolution",
        regions=_offer(2, 2, model="wan2.2-i2v-plus"),
        summary="wan2.2 image-to-video, silent, 480P or 1080P, 5 s.",
        source=cite("bailian:legacy-i2v-api"),
        tiers=("480P", "1080P"),
        default_tier="1080P",
        durations=replace(_D_FIXED5, source=cite("bailian:legacy-i2v-api", "fixed 5 s")),
        prompt="optional",
        prompt_max=800,
        negative_prompt_max=500,
        image=IMAGE_22,
        wire=LEGACY_WIRE,
        price=_prices({"480P": 0.14, "1080P": 0.70}),
        usage="sr_duration",
    ),
    Model(
        id="wanx2.1-i2v-turbo",
        family="wanx2.1",
        modes={"i2v": _I2V_TEMPLATE},
        protocol="legacy",
        endpoint="video-generation",
        param_style="resolution",
        regions=_offer(2, 2, model="wanx2.1-i2v-turbo", names={"singapore": "wan2.1-i2v-turbo"}),
        summary="wan2.1 fast image-to-video, silent, 480P/720P, 3–5 s; supports effect templates.",
        source=cite("bailian:legacy-i2v-api"),
        tiers=("480P", "720P"),
        default_tier="720P",
        durations=DurationSpec(3, 5, 5, choices=(3, 4, 5), source=cite("bailian:legacy-i2v-api", "3, 4 or 5 s")),
        prompt="optional",
        prompt_max=800,
        negative_prompt_max=500,
        templates=True,
        image=IMAGE_22,
        wire=LEGACY_WIRE,
        usage="standard",
    ),
    Model(
        id="wanx2.1-i2v-plus",
        family="wanx2.1",
        modes={"i2v": _I2V_TEMPLATE},
        protocol="legacy",
        endpoint="video-generation",
        param_style="resolution",
        regions=_offer(2, 2, model="wanx2.1-i2v-plus", names={"singapore": "wan2.1-i2v-plus"}),
        summary="wan2.1 image-to-video, silent, 720P, 5 s; supports effect templates.",
        source=cite("bailian:legacy-i2v-api"),
        tiers=("720P",),
        default_tier="720P",
        durations=replace(_D_FIXED5, source=cite("bailian:legacy-i2v-api", "fixed 5 s")),
        prompt="optional",
        prompt_max=800,
        negative_prompt_max=500,
        templates=True,
        image=IMAGE_22,
        wire=LEGACY_WIRE,
        usage="standard",
    ),
    # ---------------------------------------------------------------- first + last frame
    Model(
        id="wan2.2-kf2v-flash",
        family="wan2.2",
        modes={"kf2v": ModeSpec(required=("first_frame", "last_frame"), api_required=("first_frame",))},
        protocol="legacy",
        endpoint="image2video",
        param_style="resolution",
        regions=_offer(2, 2, regions=("beijing",), model="wan2.2-kf2v-flash"),
        summary="Default first+last frame model: a 5 s silent transition, 480P–1080P.",
        source=cite("ref:wan-api", "D-KF2V"),
        tiers=("480P", "720P", "1080P"),
        default_tier="720P",
        durations=replace(_D_FIXED5, source=cite("ref:wan-api", "D-KF2V: fixed 5 s")),
        prompt="optional",
        prompt_max=800,
        negative_prompt_max=500,
        image=IMAGE_22,
        wire=LEGACY_WIRE,
        price=_prices({"480P": 0.10, "720P": 0.20, "1080P": 0.48}),
        typical_seconds=(120, 540),
        typical_source=cite("ref:wan-api", "D-KF2V: official example (480P) took 8.5 min"),
        usage="sr_only",
        fact_source={"api_required": _KF2V_API},
    ),
    Model(
        id="wanx2.1-kf2v-plus",
        family="wanx2.1",
        modes={"kf2v": _KF2V_LEGACY},
        protocol="legacy",
        endpoint="image2video",
        param_style="resolution",
        regions={
            "beijing": RegionOffer("wanx2.1-kf2v-plus", 2, 2, source=_RATE),
            "singapore": RegionOffer("wan2.1-kf2v-plus", 1, 2, source=_RATE),
        },
        summary="wan2.1 first+last frame, silent, 720P, 5 s; supports effect templates (first frame only).",
        source=cite("ref:wan-api", "D-KF2V"),
        tiers=("720P",),
        default_tier="720P",
        durations=replace(_D_FIXED5, source=cite("ref:wan-api", "D-KF2V: fixed 5 s")),
        prompt="optional",
        prompt_max=800,
        negative_prompt_max=500,
        templates=True,
        image=IMAGE_22,
        wire=LEGACY_WIRE,
        typical_seconds=(120, 540),
        usage="standard",
        fact_source={"api_required": _KF2V_API},
    ),
    # ---------------------------------------------------------------- reference to video
    _WAN27_R2V,
    _snapshot(_WAN27_R2V, "wan2.7-r2v-2026-06-12", cite("bailian:r2v-guide", "the model of every example")),
    Model(
        id="wan2.6-r2v",
        family="wan2.6",
        modes={"r2v": _R2V_LEGACY},
        protocol="legacy",
        endpoint="video-generation",
        param_style="size",
        regions={
            "beijing": RegionOffer("wan2.6-r2v", 5, 5, source=_RATE),
            "singapore": RegionOffer("wan2.6-r2v", 5, 5, source=_RATE),
            "virginia": RegionOffer(
                "wan2.6-r2v",
                5,
                5,
                source=cite("mstudio:legacy-r2v-api", "Virginia endpoint, 2–10 s like every region"),
                caution_durations=DurationSpec(5, 10, 5, choices=(5, 10)),
                caution_reference_kinds=("video",),
                caution_source=cite("bailian:r2v-guide", "region table: Virginia takes text + video, 5 s or 10 s"),
            ),
            "frankfurt": RegionOffer("wan2.6-r2v", 5, 5, source=_RATE),
        },
        summary="wan2.6 reference-to-video with sound: up to 5 references (≤ 3 videos), multi-shot, 2–10 s.",
        source=cite("mstudio:legacy-r2v-api"),
        tiers=("720P", "1080P"),
        sizes=sizes_for("720P", "1080P"),
        default_tier="1080P",
        default_size="1920*1080",
        durations=_D26_R2V,
        audio="auto",
        shot_type=True,
        prompt="required",
        prompt_max=1500,
        negative_prompt_max=500,
        prompt_extend=False,
        image=IMAGE_R2V,
        video=VIDEO_R2V,
        max_references=5,
        max_reference_videos=3,
        input_billing=_R2V_BILLING_26,
        wire=LEGACY_WIRE,
        price=_prices({"720P": 0.6, "1080P": 1.0}, {"720P": 0.10, "1080P": 0.15}),
        typical_seconds=(60, 300),
        typical_source=cite("ref:wan-api", "D-R2V: official example took 4.6 min"),
        returns_actual_prompt=False,
        notes=("Refer to references as character1, character2… in the prompt, in the order given.",),
    ),
    Model(
        id="wan2.6-r2v-flash",
        family="wan2.6",
        modes={"r2v": _R2V_LEGACY},
        protocol="legacy",
        endpoint="video-generation",
        param_style="size",
        regions=_offer(5, 5, model="wan2.6-r2v-flash"),
        summary="Default reference-to-video: fast, sound on/off switch, up to 5 references (≤ 3 videos), 2–10 s.",
        source=cite("mstudio:legacy-r2v-api"),
        tiers=("720P", "1080P"),
        sizes=sizes_for("720P", "1080P"),
        default_tier="1080P",
        default_size="1920*1080",
        durations=_D26_R2V,
        audio="switch",
        shot_type=True,
        prompt="required",
        prompt_max=1500,
        negative_prompt_max=500,
        prompt_extend=False,
        image=IMAGE_R2V,
        video=VIDEO_R2V,
        max_references=5,
        max_reference_videos=3,
        input_billing=_R2V_BILLING_26,
        wire=LEGACY_WIRE,
        price=_prices({"720P": 0.3, "1080P": 0.5}, cny_silent={"720P": 0.15, "1080P": 0.25}),
        returns_actual_prompt=False,
        notes=("Refer to references as character1, character2… in the prompt, in the order given.",),
    ),
    # ---------------------------------------------------------------- video editing
    Model(
        id="wanx2.1-vace-plus",
        family="wanx2.1",
        modes={"vace": ModeSpec(required=("function",), functions=_VACE_FUNCTIONS)},
        protocol="legacy",
        endpoint="video-generation",
        param_style="size",
        regions=_offer(2, 2, model="wanx2.1-vace-plus", names={"singapore": "wan2.1-vace-plus"}),
        summary="Default video editing (VACE): reference images, repainting, masked edit, extension, outpainting; "
        "≤ 5 s, silent, 720P.",
        source=cite("ref:wan-api", "D-VACE"),
        tiers=("720P",),
        sizes=("1280*720", "720*1280", "960*960", "832*1088", "1088*832"),
        default_tier="720P",
        default_size="1280*720",
        durations=DurationSpec(
            5,
            5,
            5,
            source=cite("ref:wan-api", "D-VACE: output ≤ 5 s (follows the input video)"),
            label="at most 5 s (as long as the input video, cut at 5 s)",
        ),
        prompt="required",
        prompt_max=800,
        negative_prompt_max=None,
        image=IMAGE_VACE,
        video=VIDEO_VACE,
        wire=LEGACY_WIRE,
        typical_seconds=(300, 600),
        typical_source=cite("ref:wan-api", "D-VACE: 5–10 min; official example took 5.4 min"),
        usage="standard",
        notes=("prompt_extend false is recommended for functions that take a video.",),
    ),
    _WAN27_VIDEOEDIT,
    # ---------------------------------------------------------------- speech to video
    Model(
        id="wan2.2-s2v",
        family="wan2.2",
        modes={"s2v": ModeSpec(required=("image", "audio"))},
        protocol="s2v",
        endpoint="image2video",
        param_style="resolution",
        regions=_offer(5, 1, regions=("beijing",), model="wan2.2-s2v", source=cite("mstudio:s2v-api")),
        summary="A portrait speaks or sings a recording; the video lasts as long as the audio.",
        source=cite("mstudio:s2v-api"),
        tiers=("480P", "720P"),
        default_tier="480P",
        durations=None,
        follows_input="audio",
        audio="driven",
        custom_audio=True,
        prompt="none",
        prompt_extend=False,
        image=IMAGE_S2V,
        audio_input=AUDIO_S2V,
        wire=PORTRAIT_WIRE,
        price=_prices(
            {"480P": 0.5, "720P": 0.9},
            {"480P": 0.071677, "720P": 0.129018},
            usd_official=True,
            usd_source=cite("mstudio:s2v-api", "official price"),
        ),
        result_field="results.video_url",
        usage="portrait",
        notes=("Run the face pre-check (wan2.2-s2v-detect) on a new portrait first: it costs far less.",),
    ),
    Model(
        id="wan2.2-s2v-detect",
        family="wan2.2",
        modes={"s2v": ModeSpec(required=("image",))},
        protocol="detect",
        endpoint="face-detect",
        param_style="none",
        regions=_offer(5, 5, regions=("beijing",), model="wan2.2-s2v-detect"),
        summary="Synchronous pre-check: is this portrait usable for speech to video? Priced per image.",
        source=cite("ref:wan-api", "D-S2V"),
        durations=None,
        prompt="none",
        prompt_extend=False,
        image=IMAGE_S2V,
        wire=PORTRAIT_WIRE,
        price=_prices({"*": 0.004}, source=cite("3p:prices", "0.004 CNY per image")),
        typical_seconds=(1, 5),
        typical_source=cite("ref:wan-api", "synchronous call"),
        kind="precheck",
        usage="portrait",
    ),
    # ---------------------------------------------------------------- character animation
    _ANIMATE_MOVE,
    replace(
        _ANIMATE_MOVE,
        id="wan2.2-animate-mix",
        regions=_offer(5, 1, model="wan2.2-animate-mix"),
        summary="Replace the person in a video with the pictured character (2–30 s, length of the video).",
        source=cite("ref:wan-api", "D-MIX"),
        price=_prices({"std": 0.6, "pro": 1.2}),
    ),
    # ---------------------------------------------------------------- Wan 3.0 (all-in-one, preview)
    _WAN3,
    replace(
        _WAN3,
        id="wan3.0-video-prime",
        regions=_offer(5, 5, regions=_ALL4, model="wan3.0-video-prime", source=_WAN3_RATE),
        summary="Wan 3.0 prime (preview): the same abilities as wan3.0-video, faster per its maintainers (UNVERIFIED).",
        notes=("Preview model: behaviour and limits may change.",),
    ),
)

# Models tried in order when the caller names none; the first offered (without a caution) in the region wins.
DEFAULT_MODELS: Mapping[Mode, tuple[str, ...]] = MappingProxyType(
    {
        "t2v": ("wan2.6-t2v", "wan2.7-t2v", "wan3.0-video"),
        "i2v": ("wan2.6-i2v-flash", "wan2.6-i2v", "wan3.0-video"),
        "kf2v": ("wan2.2-kf2v-flash", "wanx2.1-kf2v-plus", "wan3.0-video"),
        "r2v": ("wan2.6-r2v-flash", "wan2.6-r2v", "wan3.0-video"),
        "vace": ("wanx2.1-vace-plus", "wan2.7-videoedit"),
        "s2v": ("wan2.2-s2v",),
        "animate": ("wan2.2-animate-move", "wan2.2-animate-mix"),
    }
)

_BY_NAME: Mapping[str, Model] = MappingProxyType({alias: m for m in MODELS for alias in m.aliases})


def find_model(name: str) -> Model | None:
    """The model with this id or regional name (`wanx2.1-…` and `wan2.1-…` both work), or None."""
    return _BY_NAME.get(name.strip())


def models_for(mode: Mode, region: RegionId | None = None) -> tuple[Model, ...]:
    """Generation models that serve a mode, optionally only those offered in a region."""
    return tuple(
        m for m in MODELS if m.kind == "generation" and mode in m.modes and (region is None or region in m.regions)
    )


def default_model(mode: Mode, region: RegionId) -> Model | None:
    """The recommended model for a mode in a region (None when the region offers none for certain)."""
    for model_id in DEFAULT_MODELS[mode]:
        model = _BY_NAME[model_id]
        offer = model.regions.get(region)
        if offer is not None and not offer.caution:
            return model
    return None


def face_check_model() -> Model:
    """The synchronous portrait pre-check for speech to video."""
    return next(m for m in MODELS if m.kind == "precheck")


def model_ids(
    *, mode: Mode | None = None, audio: AudioKind | None = None, custom_audio: bool | None = None
) -> tuple[str, ...]:
    """Ids of the generation models (not dated snapshots) matching every given trait, in catalog order."""
    return tuple(
        m.id
        for m in MODELS
        if m.kind == "generation"
        and m.snapshot_of is None
        and (mode is None or mode in m.modes)
        and (audio is None or m.audio == audio)
        and (custom_audio is None or m.custom_audio == custom_audio)
    )


def takes(argument: str, mode: Mode | None = None) -> tuple[str, ...]:
    """Ids of the generation models (not dated snapshots) whose mode spec names this argument."""
    return tuple(
        m.id
        for m in MODELS
        if m.kind == "generation"
        and m.snapshot_of is None
        and any(
            argument in (*spec.required, *spec.optional) and (mode is None or name == mode)
            for name, spec in m.modes.items()
        )
    )


def longest_model(mode: Mode) -> Model:
    """The model of a mode that makes the longest video in one job."""
    candidates = [m for m in models_for(mode) if m.durations is not None and m.snapshot_of is None]
    return max(candidates, key=lambda m: m.durations.max if m.durations else 0)


TIER_WAIT_FACTOR: Mapping[str, float] = MappingProxyType({"480P": 0.8, "720P": 1.0, "1080P": 1.5})


def typical_wait(model: Model, seconds: float | None, tier: str | None) -> tuple[int, int]:
    """Typical submit → done range in seconds for this output, scaled from the model's 5 s / 720P figure.

    Longer outputs take longer (by the square root of the length ratio) and higher tiers more (×0.8, ×1, ×1.5);
    a heuristic fitted to the official examples, not a promise.
    """
    low, high = model.typical_seconds
    factor = math.sqrt(max(seconds or 5.0, 1.0) / 5.0) * TIER_WAIT_FACTOR.get(tier or "", 1.0)
    return max(1, round(low * factor)), max(2, round(min(high * factor, 3 * 3600)))


def _media_source(limits: MediaLimits | None) -> str | None:
    if limits is None:
        return None
    return f"{limits.source} | older: {limits.caution_source}" if limits.caution_source else limits.source


def fact_sources(model: Model) -> dict[str, str]:
    """Where each of a model's facts comes from, by fact name: `"<key> <date> (note)"` citations joined by ` | `."""
    facts: dict[str, str | None] = dict.fromkeys(("modes", "endpoint", "prompt", "audio", "frame"), model.source)
    durations = model.durations
    if durations is not None:
        older = f" | older: {durations.caution_source}" if durations.caution_source else ""
        facts["durations"] = durations.source + older
    facts |= {"image": _media_source(model.image), "video": _media_source(model.video)}
    facts |= {"audio_input": _media_source(model.audio_input), "voice_input": _media_source(model.voice_input)}
    for region, offer in model.regions.items():
        caution = (
            f" | caution: {offer.caution_source or offer.caution}" if offer.caution or offer.caution_source else ""
        )
        facts[f"region:{region}"] = offer.source + caution
    if model.input_billing is not None:
        facts["input_billing"] = model.input_billing.source
    for currency, price in model.price.items():
        facts[f"price:{currency}"] = price.source + ("" if price.official else " — an estimate")
    facts["typical_wait"] = model.typical_source or cite("ref:wan-api", "typically 1–5 minutes")
    facts |= dict(model.fact_source)
    return {name: text for name, text in facts.items() if text}
