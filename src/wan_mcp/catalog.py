"""The Wan model catalog: modes, models, regions, limits, prices and typical times (data only).

Everything else (validation, estimates, tool descriptions, `list_modes`, the skill's tables, the emulator's
behaviour) is derived from this module, so adding or correcting a model is one edit here.

Sources are the keys of the DashScope reference (`D-T2V`, `D-I2V`, `D-KF2V`, `D-R2V`, `D-VACE`, `D-MIX`,
`D-MOVE`, `D-S2V`, `D-RL`, `D-UP`, `SDK`, `3P`, `WAN3-DOC`, `BAILIAN`). Where sources conflict, the limit that
refuses a request is the one the newest official page gives, and the older, stricter value is kept as a
`caution`: a request between the two is accepted with a note that names both sources.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Literal

Mode = Literal["t2v", "i2v", "kf2v", "r2v", "vace", "s2v", "animate"]
RegionId = Literal["beijing", "singapore", "virginia", "frankfurt"]
Endpoint = Literal["video-generation", "image2video", "face-detect"]
Protocol = Literal["legacy", "media", "animate", "s2v", "detect"]
ParamStyle = Literal["size", "resolution", "resolution+ratio", "quality", "none"]
AudioKind = Literal["silent", "auto", "switch", "driven"]
Tier = Literal["480P", "720P", "1080P"]
MediaKind = Literal["image", "video", "audio"]

MODES: tuple[Mode, ...] = ("t2v", "i2v", "kf2v", "r2v", "vace", "s2v", "animate")

MODE_TITLES: Mapping[Mode, str] = MappingProxyType(
    {
        "t2v": "Text to video",
        "i2v": "Image to video (animate a first frame)",
        "kf2v": "First and last frame to video (a transition between two images)",
        "r2v": "Reference to video (keep characters, objects or voices consistent)",
        "vace": "Video editing (VACE: reference, repaint, local edit, extension, outpainting)",
        "s2v": "Speech to video (a talking or singing portrait driven by audio)",
        "animate": "Character animation (move a pictured character like a video, or swap the person in it)",
    }
)

MODE_USE_WHEN: Mapping[Mode, str] = MappingProxyType(
    {
        "t2v": "The user describes a scene in words and has no image to start from.",
        "i2v": "The user has one still image and wants it to move; keeps the image's look and aspect ratio.",
        "kf2v": "The user has a start image and an end image and wants a 5 s transition between them (silent).",
        "r2v": "The same characters, objects or voices must appear across shots; refer to them as "
        "character1, character2… in the prompt.",
        "vace": "The user has a video (or reference images) and wants to restyle, locally edit, extend or "
        "outpaint it; output ≤ 5 s and silent.",
        "s2v": "The user has a portrait and a speech or song recording and wants the person to say or sing it.",
        "animate": "The user has a character image and a motion video: make the character move like the "
        "video (animate-move) or replace the person in the video with the character (animate-mix).",
    }
)

PROMPT_EXTENDER = (
    "prompt_extend (default on) lets DashScope rewrite the prompt with an LLM for richer detail; "
    "turn it off to keep your exact wording."
)

# -- regions -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Region:
    """A DashScope region: where a key, a model and an endpoint must all belong."""

    id: RegionId
    title: str
    cloud_id: str
    base_url: str  # may contain "{workspace}", filled from DASHSCOPE_WORKSPACE
    currency: Literal["CNY", "USD"]
    uploads: bool  # temporary file upload (getPolicy) documented for this region
    aliases: tuple[str, ...] = ()
    source: str = ""


REGIONS: Mapping[RegionId, Region] = MappingProxyType(
    {
        "beijing": Region(
            "beijing",
            "China (Beijing)",
            "cn-beijing",
            "https://dashscope.aliyuncs.com/api/v1",
            "CNY",
            uploads=True,
            aliases=("cn-beijing", "china", "cn", "bj"),
            source="D-*, SDK",
        ),
        "singapore": Region(
            "singapore",
            "Singapore (international)",
            "ap-southeast-1",
            "https://dashscope-intl.aliyuncs.com/api/v1",
            "USD",
            uploads=False,
            aliases=("ap-southeast-1", "intl", "international", "sg"),
            source="D-* (legacy host, still served; the workspace domain "
            "https://{workspace}.ap-southeast-1.maas.aliyuncs.com/api/v1 is recommended)",
        ),
        "virginia": Region(
            "virginia",
            "US (Virginia)",
            "us-east-1",
            "https://dashscope-us.aliyuncs.com/api/v1",
            "USD",
            uploads=False,
            aliases=("us-east-1", "us", "usa"),
            source="D-T2V, D-I2V, D-R2V",
        ),
        "frankfurt": Region(
            "frankfurt",
            "Germany (Frankfurt)",
            "eu-central-1",
            "https://{workspace}.eu-central-1.maas.aliyuncs.com/api/v1",
            "USD",
            uploads=False,
            aliases=("eu-central-1", "eu", "germany", "de"),
            source="D-T2V, D-I2V, D-R2V (workspace domain only)",
        ),
    }
)
DEFAULT_REGION: RegionId = "beijing"

ENDPOINT_PATHS: Mapping[Endpoint, str] = MappingProxyType(
    {
        "video-generation": "/services/aigc/video-generation/video-synthesis",
        "image2video": "/services/aigc/image2video/video-synthesis",
        "face-detect": "/services/aigc/image2video/face-detect",
    }
)
API_PREFIX = "/api/v1"
TASK_QUERY_QPS = 20  # per account, all models (D-T2V, D-I2V)
RESULT_TTL_SECONDS = 24 * 3600  # result URLs and task ids (D-*)
UPLOAD_TTL_SECONDS = 48 * 3600  # temporary oss:// files (D-UP)
SEED_MAX = 2_147_483_647

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


IMAGE_FORMATS = ("jpeg", "png", "bmp", "webp")

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
    source="D-I2V latest: [240,8000] px, ≤20 MB (wan2.6/2.5); CONFLICT older D-I2V copy and 3P: [360,2000] px, ≤10 MB",
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
    source="D-I2V/D-KF2V latest: [240,8000] px, ≤10 MB (wan2.2/2.1); CONFLICT older copy: [360,2000] px",
)
IMAGE_R2V = MediaLimits(
    "image",
    IMAGE_FORMATS,
    max_mb=20,
    min_px=240,
    max_px=8000,
    png_alpha=False,
    source="D-R2V: JPEG/JPG/PNG (no alpha)/BMP/WEBP, [240,8000] px, ≤20 MB; no base64",
)
VIDEO_R2V = MediaLimits(
    "video",
    ("mp4", "mov"),
    max_mb=100,
    min_seconds=1,
    max_seconds=30,
    source="D-R2V: MP4/MOV, 1–30 s, ≤100 MB",
)
IMAGE_VACE = MediaLimits(
    "image",
    (*IMAGE_FORMATS, "tiff"),
    max_mb=10,
    min_px=360,
    max_px=2000,
    ascii_url=True,
    source="D-VACE: JPG/JPEG/PNG/BMP/TIFF/WEBP, [360,2000] px, ≤10 MB; URLs without Chinese characters",
)
VIDEO_VACE = MediaLimits(
    "video",
    ("mp4",),
    max_mb=50,
    max_seconds=5,
    ascii_url=True,
    source="D-VACE: MP4, ≥16 fps, ≤50 MB, ≤5 s (longer input is cut to its first 5 s)",
)
AUDIO_SOUNDTRACK = MediaLimits(
    "audio",
    ("wav", "mp3"),
    max_mb=15,
    min_seconds=3,
    max_seconds=30,
    source="D-T2V/D-I2V: WAV/MP3, 3–30 s, ≤15 MB; longer than the video is cut, shorter leaves silence",
)
AUDIO_27 = MediaLimits(
    "audio",
    ("wav", "mp3"),
    max_mb=15,
    min_seconds=2,
    max_seconds=30,
    caution_min_seconds=3,
    source="3P (wan2.7): WAV/MP3, 2–30 s, ≤15 MB; CONFLICT: other copies say 3–30 s",
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
    source="3P (wan2.7): [240,8000] px, ≤20 MB, aspect 1:8–8:1; data: URIs unverified, so refused",
)
VIDEO_27_CLIP = MediaLimits(
    "video",
    ("mp4", "mov"),
    max_mb=100,
    min_seconds=2,
    max_seconds=10,
    source="3P (wan2.7): MP4/MOV, 2–10 s, ≤100 MB",
)
VIDEO_27_EDIT = MediaLimits(
    "video",
    ("mp4", "mov"),
    max_mb=100,
    min_seconds=2,
    max_seconds=10,
    source="3P (wan2.7-videoedit), UNVERIFIED",
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
    source="D-MIX/D-MOVE: JPG/JPEG/PNG/BMP/WEBP, [200,4096] px, aspect 1:3–3:1, ≤5 MB, ASCII URL",
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
    source="D-MIX/D-MOVE: MP4/AVI/MOV, [200,2048] px, aspect 1:3–3:1, ≤200 MB, 2–30 s",
)
IMAGE_S2V = MediaLimits(
    "image",
    IMAGE_FORMATS,
    max_mb=10,
    source="D-S2V excerpts: portrait image (limits UNVERIFIED; 10 MB assumed)",
)
AUDIO_S2V = MediaLimits(
    "audio",
    ("wav", "mp3"),
    max_mb=15,
    caution_max_seconds=20,
    source="D-S2V excerpts: driving speech or song (≈20 s max per some copies, UNVERIFIED; 15 MB as for all Wan audio)",
)
IMAGE_WAN3 = MediaLimits(
    "image",
    IMAGE_FORMATS,
    max_mb=20,
    min_px=240,
    max_px=8000,
    png_alpha=False,
    source="wan3.md: http(s) or oss:// only; image limits as wan2.6 (UNVERIFIED)",
)
VIDEO_WAN3 = MediaLimits(
    "video",
    ("mp4", "mov"),
    max_mb=100,
    min_px=240,
    max_px=4096,
    min_seconds=1,
    max_seconds=15,
    source="wan3.md [3P]: MP4/MOV, 1–15 s each (≤15 s in total), 240–4096 px, ≤100 MB",
)
AUDIO_WAN3 = MediaLimits(
    "audio",
    ("wav", "mp3"),
    max_mb=15,
    max_seconds=15,
    source="wan3.md [3P Comfy]: ≤15 s in total; 15 MB assumed",
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
    source: str = "D-RL"


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
class FunctionSpec:
    """One VACE function: which arguments it takes."""

    name: str
    summary: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    one_of: tuple[tuple[str, ...], ...] = ()  # at least one argument of each group is required
    control_conditions: tuple[str, ...] = ()
    sends_size: bool = False  # a default size is sent (else the output follows the input unless size is given)


@dataclass(frozen=True)
class ModeSpec:
    """How a model serves one mode: its required and optional media/mode arguments."""

    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    one_of: tuple[tuple[str, ...], ...] = ()
    functions: Mapping[str, FunctionSpec] | None = None  # VACE


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
    tiers: tuple[Tier, ...] = ()
    sizes: tuple[str, ...] = ()  # size-style models: the exact `W*H` strings accepted
    default_tier: Tier | None = None  # the API's own default
    default_size: str | None = None  # the API's own default (size-style)
    ratios: tuple[str, ...] = ()  # resolution+ratio style
    default_ratio: str | None = None
    durations: DurationSpec | None = None  # None: output length follows an input (s2v, animate)
    audio: AudioKind = "silent"
    custom_audio: bool = False  # accepts a soundtrack file (`audio`)
    shot_type: bool = False  # supports shot_type "multi"
    prompt: Literal["required", "optional", "none"] = "optional"
    prompt_max: int | None = None
    negative_prompt_max: int | None = None
    prompt_extend: bool = True  # the parameter exists
    templates: bool = False
    image: MediaLimits | None = None
    video: MediaLimits | None = None
    audio_input: MediaLimits | None = None
    max_references: int | None = None
    max_reference_videos: int | None = None
    max_reference_images: int | None = None
    max_reference_audios: int | None = None
    price: Mapping[Literal["CNY", "USD"], Price] = field(default_factory=dict)
    typical_seconds: tuple[int, int] = (60, 300)  # submit → done, for 5 s at 720P
    typical_source: str = "D-*: typically 1–5 minutes"
    preview: bool = False
    kind: Literal["generation", "precheck"] = "generation"
    result_field: Literal["video_url", "results.video_url"] = "video_url"
    sources: tuple[str, ...] = ()
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


def _offer(
    rps: int,
    conc: int,
    *,
    regions: tuple[RegionId, ...] = _BOTH,
    names: Mapping[RegionId, str] | None = None,
    model: str,
    source: str = "D-RL",
) -> dict[RegionId, RegionOffer]:
    names = names or {}
    return {r: RegionOffer(names.get(r, model), rps, conc, source=source) for r in regions}


def _prices(
    cny: Mapping[str, float] | None = None,
    usd: Mapping[str, float] | None = None,
    *,
    cny_silent: Mapping[str, float] | None = None,
    source: str = "3P price lists (UNVERIFIED; check the console)",
    usd_official: bool = False,
    usd_source: str | None = None,
) -> dict[Literal["CNY", "USD"], Price]:
    prices: dict[Literal["CNY", "USD"], Price] = {}
    if cny is not None:
        prices["CNY"] = Price("CNY", cny, cny_silent, source=source)
    if usd is not None:
        prices["USD"] = Price("USD", usd, official=usd_official, source=usd_source or source)
    return prices


_SOUNDTRACK = "audio"
_T2V_LEGACY = ModeSpec()
_I2V_LEGACY = ModeSpec(required=("image",))
_I2V_TEMPLATE = ModeSpec(optional=("image", "template"), one_of=(("image",),))
_KF2V_LEGACY = ModeSpec(
    required=("first_frame",), optional=("last_frame", "template"), one_of=(("last_frame", "template"),)
)
_R2V_LEGACY = ModeSpec(required=("references",))

_D26_T2V = DurationSpec(
    2,
    15,
    5,
    caution=(5, 10, 15),
    source="D-T2V latest and the seed: any integer 2–15 s; CONFLICT older copy and 3P: 5/10/15 only",
)
_D26_I2V = DurationSpec(
    2,
    15,
    5,
    caution=(5, 10, 15),
    source="D-I2V latest and the seed: any integer 2–15 s; CONFLICT older copy: 5/10/15 only",
)
_D_5_10 = DurationSpec(5, 10, 5, choices=(5, 10), source="D-T2V/D-I2V: 5 or 10 s")
_D_FIXED5 = DurationSpec(5, 5, 5, source="D-*: fixed 5 s")
_D26_R2V = DurationSpec(2, 10, 5, source="D-R2V: any integer 2–10 s")
_D27 = DurationSpec(2, 15, 5, source="3P/QC (wan2.7): any integer 2–15 s")

_VACE_FUNCTIONS: Mapping[str, FunctionSpec] = MappingProxyType(
    {
        "image_reference": FunctionSpec(
            "image_reference",
            "Generate a video from 1–3 reference images (subjects and/or one background).",
            required=("ref_images",),
            optional=("obj_or_bg", "size"),
            sends_size=True,
        ),
        "video_repainting": FunctionSpec(
            "video_repainting",
            "Restyle a whole video while keeping its motion (pose, depth or scribble control).",
            required=("video", "control_condition"),
            optional=("ref_images", "strength"),
            control_conditions=("posebodyface", "posebody", "depth", "scribble"),
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
        ),
        "video_extension": FunctionSpec(
            "video_extension",
            "Continue a video from its first/last frame or clip (≤ 3 s of clips); output is 5 s in total.",
            required=(),
            optional=("first_frame", "last_frame", "first_clip", "last_clip", "video", "control_condition"),
            one_of=(("first_frame", "last_frame", "first_clip", "last_clip"),),
            control_conditions=("", "posebodyface", "depth"),
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
VACE_CLIP_MAX_SECONDS = 3.0  # first_clip + last_clip together (D-VACE)

_WAN3_MODES: Mapping[Mode, ModeSpec] = MappingProxyType(
    {
        "t2v": ModeSpec(optional=("reference_file", "reference_link")),
        "i2v": ModeSpec(required=("image",)),
        "kf2v": ModeSpec(required=("first_frame", "last_frame")),
        "r2v": ModeSpec(
            optional=("references", "reference_file", "reference_link"),
            one_of=(("references", "reference_file", "reference_link"),),
        ),
    }
)

_WAN3_REGIONS: tuple[RegionId, ...] = ("beijing", "singapore", "virginia", "frankfurt")
_WAN3_RATE_SOURCE = "not published; assumed like wan2.6 (5 RPS, 5 tasks)"

_WAN3 = Model(
    id="wan3.0-video",
    family="wan3.0",
    modes=_WAN3_MODES,
    protocol="media",
    endpoint="video-generation",
    param_style="resolution+ratio",
    regions=_offer(5, 5, regions=_WAN3_REGIONS, model="wan3.0-video", source=_WAN3_RATE_SOURCE),
    summary="Wan 3.0 all-in-one (preview): text, first frame, first+last frames or references → up to 30 s with sound.",
    tiers=("480P", "720P", "1080P"),
    default_tier="1080P",
    ratios=("adaptive", "21:9", "16:9", "4:3", "1:1", "3:4", "9:16"),
    default_ratio="adaptive",
    durations=DurationSpec(
        2, 30, 5, special={-1: "the model decides, up to 30 s"}, source="BAILIAN, 3P: integer 2–30 s, or -1"
    ),
    audio="switch",
    prompt="optional",
    prompt_max=20_000,
    image=IMAGE_WAN3,
    video=VIDEO_WAN3,
    audio_input=AUDIO_WAN3,
    max_reference_images=10,
    max_reference_videos=5,
    max_reference_audios=5,
    typical_source="WAN3-DOC: typically 1–5 minutes",
    preview=True,
    sources=("WAN3-DOC", "BAILIAN", "3P"),
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
    durations=None,
    prompt="none",
    prompt_extend=False,
    image=IMAGE_ANIMATE,
    video=VIDEO_ANIMATE,
    price=_prices({"std": 0.4, "pro": 0.6}),
    typical_seconds=(120, 300),
    typical_source="D-MIX: official example took 2.7 min",
    result_field="results.video_url",
    sources=("D-MOVE",),
)


MODELS: tuple[Model, ...] = (
    # ---------------------------------------------------------------- text to video
    Model(
        id="wan2.7-t2v",
        family="wan2.7",
        modes={"t2v": ModeSpec(optional=("audio",))},
        protocol="media",
        endpoint="video-generation",
        param_style="resolution+ratio",
        regions=_offer(5, 5, model="wan2.7-t2v"),
        summary="Newest text-to-video line: up to 15 s with sound; multi-shot is written in the prompt.",
        tiers=("720P", "1080P"),
        default_tier="1080P",
        ratios=("16:9", "9:16", "1:1", "4:3", "3:4"),
        default_ratio="16:9",
        durations=_D27,
        audio="auto",
        custom_audio=True,
        prompt="required",
        prompt_max=5000,
        negative_prompt_max=500,
        audio_input=AUDIO_27,
        sources=("QC", "SDK", "3P"),
        notes=(
            "No shot_type: describe shots in the prompt ('Shot 1 [0-3s]: …').",
            "CONFLICT: one third-party list also offers 480P; only 720P/1080P are accepted here.",
        ),
    ),
    Model(
        id="wan2.6-t2v",
        family="wan2.6",
        modes={"t2v": _T2V_LEGACY},
        protocol="legacy",
        endpoint="video-generation",
        param_style="size",
        regions=_offer(5, 5, regions=("beijing", "singapore", "virginia", "frankfurt"), model="wan2.6-t2v"),
        summary="Default text-to-video: sound (automatic or your soundtrack), multi-shot, 2–15 s.",
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
        price=_prices(
            {"720P": 0.6, "1080P": 1.0},
            {"720P": 0.10, "1080P": 0.15},
        ),
        typical_seconds=(60, 300),
        typical_source="D-T2V: 1–5 min; official example 10 s at 720P took 4 min 47 s",
        sources=("D-T2V",),
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
        sources=("D-T2V", "D-RL"),
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
        price=_prices({"480P": 0.3, "720P": 0.6, "1080P": 1.0}),
        preview=True,
        sources=("D-T2V",),
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
        tiers=("480P", "1080P"),
        sizes=sizes_for("480P", "1080P"),
        default_tier="1080P",
        default_size="1920*1080",
        durations=_D_FIXED5,
        prompt="required",
        prompt_max=800,
        negative_prompt_max=500,
        price=_prices({"480P": 0.14, "1080P": 0.70}),
        sources=("D-T2V",),
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
        tiers=("480P", "720P"),
        sizes=sizes_for("480P", "720P"),
        default_tier="720P",
        default_size="1280*720",
        durations=_D_FIXED5,
        prompt="required",
        prompt_max=800,
        negative_prompt_max=500,
        price=_prices({"*": 0.24}),
        sources=("D-T2V",),
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
        tiers=("720P",),
        sizes=sizes_for("720P"),
        default_tier="720P",
        default_size="1280*720",
        durations=_D_FIXED5,
        prompt="required",
        prompt_max=800,
        negative_prompt_max=500,
        price=_prices({"*": 0.70}),
        sources=("D-T2V",),
    ),
    # ---------------------------------------------------------------- image to video
    Model(
        id="wan2.7-i2v",
        family="wan2.7",
        modes={
            "i2v": ModeSpec(optional=("image", "first_clip", "audio", "last_frame"), one_of=(("image", "first_clip"),)),
            "kf2v": ModeSpec(required=("first_frame", "last_frame"), optional=("audio",)),
        },
        protocol="media",
        endpoint="video-generation",
        param_style="resolution",
        regions=_offer(5, 5, model="wan2.7-i2v"),
        summary="Newest image-to-video: from a first frame (optionally a last frame and a driving audio) or a "
        "first clip; 2–15 s.",
        tiers=("720P", "1080P"),
        default_tier="1080P",
        durations=_D27,
        audio="auto",
        custom_audio=True,
        prompt="optional",
        prompt_max=1500,
        negative_prompt_max=500,
        image=IMAGE_27,
        video=VIDEO_27_CLIP,
        audio_input=AUDIO_27,
        sources=("SDK", "QC", "3P"),
        notes=(
            "Prompt limit not published for wan2.7-i2v; wan2.6's 1,500 characters is enforced as the safe bound.",
            "Media combinations: first frame (+ driving audio) (+ last frame), or first clip (+ last frame).",
        ),
    ),
    Model(
        id="wan2.6-i2v-flash",
        family="wan2.6",
        modes={"i2v": _I2V_LEGACY},
        protocol="legacy",
        endpoint="video-generation",
        param_style="resolution",
        regions=_offer(5, 5, model="wan2.6-i2v-flash"),
        summary="Default image-to-video: fast, sound on/off switch or your soundtrack, multi-shot, 2–15 s.",
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
        typical_seconds=(45, 180),
        typical_source="D-I2V: official SDK example 10 s at 720P took 73 s",
        sources=("D-I2V",),
        notes=("generate_audio false beats a soundtrack: the result is silent and billed as silent.",),
    ),
    Model(
        id="wan2.6-i2v",
        family="wan2.6",
        modes={"i2v": _I2V_LEGACY},
        protocol="legacy",
        endpoint="video-generation",
        param_style="resolution",
        regions=_offer(5, 5, regions=("beijing", "singapore", "virginia", "frankfurt"), model="wan2.6-i2v"),
        summary="wan2.6 image-to-video with sound (automatic or your soundtrack), multi-shot, 2–15 s.",
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
        price=_prices({"720P": 0.6, "1080P": 1.0}, {"720P": 0.10, "1080P": 0.15}),
        typical_seconds=(60, 360),
        typical_source="D-I2V: 1–5 min; the HTTP example (10 s, 720P) took 9.7 min",
        sources=("D-I2V",),
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
        tiers=("720P", "1080P"),
        default_tier="1080P",
        durations=DurationSpec(5, 15, 5, choices=(5, 10, 15), source="D-I2V: 5/10/15 s"),
        audio="auto",
        custom_audio=True,
        shot_type=True,
        prompt="optional",
        prompt_max=1500,
        negative_prompt_max=500,
        image=IMAGE_26,
        audio_input=AUDIO_SOUNDTRACK,
        sources=("D-I2V", "D-RL"),
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
        tiers=("480P", "720P", "1080P"),
        default_tier="1080P",
        durations=_D_5_10,
        audio="auto",
        custom_audio=True,
        prompt="optional",
        prompt_max=1500,
        negative_prompt_max=500,
        image=IMAGE_26,
        audio_input=AUDIO_SOUNDTRACK,
        price=_prices({"480P": 0.3, "720P": 0.6, "1080P": 1.0}),
        preview=True,
        sources=("D-I2V",),
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
        tiers=("480P", "720P", "1080P"),
        default_tier="720P",
        durations=_D_FIXED5,
        prompt="optional",
        prompt_max=800,
        negative_prompt_max=500,
        image=IMAGE_22,
        price=_prices({"480P": 0.10, "720P": 0.20, "1080P": 0.48}),
        typical_seconds=(45, 240),
        sources=("D-I2V",),
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
        tiers=("480P", "1080P"),
        default_tier="1080P",
        durations=_D_FIXED5,
        prompt="optional",
        prompt_max=800,
        negative_prompt_max=500,
        image=IMAGE_22,
        price=_prices({"480P": 0.14, "1080P": 0.70}),
        sources=("D-I2V",),
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
        tiers=("480P", "720P"),
        default_tier="720P",
        durations=DurationSpec(3, 5, 5, choices=(3, 4, 5), source="D-I2V: 3, 4 or 5 s"),
        prompt="optional",
        prompt_max=800,
        negative_prompt_max=500,
        templates=True,
        image=IMAGE_22,
        sources=("D-I2V",),
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
        tiers=("720P",),
        default_tier="720P",
        durations=_D_FIXED5,
        prompt="optional",
        prompt_max=800,
        negative_prompt_max=500,
        templates=True,
        image=IMAGE_22,
        sources=("D-I2V",),
    ),
    # ---------------------------------------------------------------- first + last frame
    Model(
        id="wan2.2-kf2v-flash",
        family="wan2.2",
        modes={"kf2v": ModeSpec(required=("first_frame", "last_frame"))},
        protocol="legacy",
        endpoint="image2video",
        param_style="resolution",
        regions=_offer(2, 2, regions=("beijing",), model="wan2.2-kf2v-flash"),
        summary="Default first+last frame model: a 5 s silent transition, 480P–1080P.",
        tiers=("480P", "720P", "1080P"),
        default_tier="720P",
        durations=_D_FIXED5,
        prompt="optional",
        prompt_max=800,
        negative_prompt_max=500,
        image=IMAGE_22,
        price=_prices({"480P": 0.10, "720P": 0.20, "1080P": 0.48}),
        typical_seconds=(120, 540),
        typical_source="D-KF2V: official example (480P) took 8.5 min",
        sources=("D-KF2V",),
    ),
    Model(
        id="wanx2.1-kf2v-plus",
        family="wanx2.1",
        modes={"kf2v": _KF2V_LEGACY},
        protocol="legacy",
        endpoint="image2video",
        param_style="resolution",
        regions={
            "beijing": RegionOffer("wanx2.1-kf2v-plus", 2, 2),
            "singapore": RegionOffer("wan2.1-kf2v-plus", 1, 2),
        },
        summary="wan2.1 first+last frame, silent, 720P, 5 s; supports effect templates (first frame only).",
        tiers=("720P",),
        default_tier="720P",
        durations=_D_FIXED5,
        prompt="optional",
        prompt_max=800,
        negative_prompt_max=500,
        templates=True,
        image=IMAGE_22,
        typical_seconds=(120, 540),
        sources=("D-KF2V",),
    ),
    # ---------------------------------------------------------------- reference to video
    Model(
        id="wan2.7-r2v",
        family="wan2.7",
        modes={"r2v": ModeSpec(required=("references",), optional=("image",))},
        protocol="media",
        endpoint="video-generation",
        param_style="resolution+ratio",
        regions=_offer(5, 5, model="wan2.7-r2v"),
        summary="Newest reference-to-video: up to 5 reference images/videos, optional first frame, 2–15 s.",
        tiers=("720P", "1080P"),
        default_tier="1080P",
        ratios=("16:9", "9:16", "1:1", "4:3", "3:4"),
        default_ratio="16:9",
        durations=DurationSpec(2, 15, 5, source="3P (wan2.7-r2v): 2–15 s, 2–10 s with any reference video"),
        audio="auto",
        prompt="required",
        prompt_max=1500,
        negative_prompt_max=500,
        image=IMAGE_27,
        video=VIDEO_R2V,
        max_references=5,
        sources=("SDK", "3P"),
        notes=("Prompt limit not published for wan2.7-r2v; 1,500 characters is enforced as the safe bound.",),
    ),
    Model(
        id="wan2.6-r2v",
        family="wan2.6",
        modes={"r2v": _R2V_LEGACY},
        protocol="legacy",
        endpoint="video-generation",
        param_style="size",
        regions={
            "beijing": RegionOffer("wan2.6-r2v", 5, 5),
            "singapore": RegionOffer("wan2.6-r2v", 5, 5),
            "virginia": RegionOffer(
                "wan2.6-r2v",
                5,
                5,
                durations=DurationSpec(5, 10, 5, choices=(5, 10), source="D-R2V: Virginia 5 or 10 s"),
                reference_kinds=("video",),
                source="D-RL, D-R2V (Virginia: video references only, 5 or 10 s)",
            ),
            "frankfurt": RegionOffer("wan2.6-r2v", 5, 5),
        },
        summary="wan2.6 reference-to-video with sound: up to 5 references (≤ 3 videos), multi-shot, 2–10 s.",
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
        price=_prices({"720P": 0.6, "1080P": 1.0}, {"720P": 0.10, "1080P": 0.15}),
        typical_seconds=(60, 300),
        typical_source="D-R2V: official example took 4.6 min",
        sources=("D-R2V",),
        notes=("Billed seconds = output seconds + reference-video seconds (at most 5 s in total).",),
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
        price=_prices({"720P": 0.3, "1080P": 0.5}, cny_silent={"720P": 0.15, "1080P": 0.25}),
        sources=("D-R2V",),
        notes=("Billed seconds = output seconds + reference-video seconds (at most 5 s in total).",),
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
        tiers=("720P",),
        sizes=("1280*720", "720*1280", "960*960", "832*1088", "1088*832"),
        default_tier="720P",
        default_size="1280*720",
        durations=DurationSpec(
            5,
            5,
            5,
            source="D-VACE: output ≤ 5 s (follows the input video)",
            label="at most 5 s (as long as the input video, cut at 5 s)",
        ),
        prompt="required",
        prompt_max=800,
        negative_prompt_max=None,
        image=IMAGE_VACE,
        video=VIDEO_VACE,
        typical_seconds=(300, 600),
        typical_source="D-VACE: 5–10 min; official example took 5.4 min",
        sources=("D-VACE",),
        notes=("prompt_extend false is recommended for functions that take a video.",),
    ),
    Model(
        id="wan2.7-videoedit",
        family="wan2.7",
        modes={"vace": ModeSpec(required=("video",), optional=("ref_images", "audio_setting"))},
        protocol="media",
        endpoint="video-generation",
        param_style="resolution+ratio",
        regions=_offer(5, 5, model="wan2.7-videoedit"),
        summary="Newest instruction-based video editing: describe the change; optional reference image.",
        tiers=("720P", "1080P"),
        default_tier="1080P",
        ratios=("16:9", "9:16", "1:1", "4:3", "3:4"),
        default_ratio="16:9",
        durations=DurationSpec(2, 10, 0, special={0: "same length as the input video"}, source="3P (wan2.7)"),
        audio="auto",
        prompt="required",
        prompt_max=1500,
        negative_prompt_max=500,
        image=IMAGE_27,
        video=VIDEO_27_EDIT,
        sources=("SDK", "3P"),
        notes=(
            "audio_setting: 'auto' (generate sound) or 'origin' (keep the input video's sound).",
            "Prompt limit not published for wan2.7-videoedit; 1,500 characters is enforced as the safe bound.",
        ),
    ),
    # ---------------------------------------------------------------- speech to video
    Model(
        id="wan2.2-s2v",
        family="wan2.2",
        modes={"s2v": ModeSpec(required=("image", "audio"))},
        protocol="s2v",
        endpoint="image2video",
        param_style="resolution",
        regions=_offer(5, 1, regions=("beijing",), model="wan2.2-s2v"),
        summary="A portrait speaks or sings a recording; the video lasts as long as the audio.",
        tiers=("480P", "720P"),
        default_tier="480P",
        durations=None,
        audio="driven",
        custom_audio=True,
        prompt="none",
        prompt_extend=False,
        image=IMAGE_S2V,
        audio_input=AUDIO_S2V,
        price=_prices(
            {"480P": 0.5, "720P": 0.9},
            {"480P": 0.071677, "720P": 0.129018},
            usd_official=True,
            usd_source="D-S2V (official international price)",
        ),
        result_field="results.video_url",
        sources=("D-S2V",),
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
        summary="Synchronous pre-check: is this portrait usable by wan2.2-s2v? Priced per image.",
        durations=None,
        prompt="none",
        prompt_extend=False,
        image=IMAGE_S2V,
        price=_prices({"*": 0.004}, source="3P: 0.004 CNY per image (UNVERIFIED)"),
        typical_seconds=(1, 5),
        typical_source="synchronous call",
        kind="precheck",
        sources=("D-S2V",),
    ),
    # ---------------------------------------------------------------- character animation
    _ANIMATE_MOVE,
    replace(
        _ANIMATE_MOVE,
        id="wan2.2-animate-mix",
        regions=_offer(5, 1, model="wan2.2-animate-mix"),
        summary="Replace the person in a video with the pictured character (2–30 s, length of the video).",
        price=_prices({"std": 0.6, "pro": 1.2}),
        sources=("D-MIX",),
    ),
    # ---------------------------------------------------------------- Wan 3.0 (all-in-one, preview)
    _WAN3,
    replace(
        _WAN3,
        id="wan3.0-video-prime",
        regions=_offer(5, 5, regions=_WAN3_REGIONS, model="wan3.0-video-prime", source=_WAN3_RATE_SOURCE),
        summary="Wan 3.0 prime (preview): the same abilities as wan3.0-video, faster per its maintainers (UNVERIFIED).",
        notes=("Preview model: behaviour and limits may change.",),
    ),
)

# Models tried in order when the caller names none; the first offered in the region wins.
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
    """The recommended model for a mode in a region (None when the region offers none)."""
    for model_id in DEFAULT_MODELS[mode]:
        model = _BY_NAME[model_id]
        if region in model.regions:
            return model
    return None


TIER_WAIT_FACTOR: Mapping[str, float] = MappingProxyType({"480P": 0.8, "720P": 1.0, "1080P": 1.5})


def typical_wait(model: Model, seconds: float | None, tier: str | None) -> tuple[int, int]:
    """Typical submit → done range in seconds for this output, scaled from the model's 5 s / 720P figure.

    Longer outputs take longer (by the square root of the length ratio) and higher tiers more (×0.8, ×1, ×1.5);
    a heuristic fitted to the official examples, not a promise.
    """
    low, high = model.typical_seconds
    factor = math.sqrt(max(seconds or 5.0, 1.0) / 5.0) * TIER_WAIT_FACTOR.get(tier or "", 1.0)
    return max(1, round(low * factor)), max(2, round(min(high * factor, 3 * 3600)))


def find_region(name: str) -> Region | None:
    """A region by id, cloud id or common alias (case-insensitive), or None."""
    key = name.strip().lower()
    for region in REGIONS.values():
        if key in (region.id, region.cloud_id, *region.aliases):
            return region
    return None
