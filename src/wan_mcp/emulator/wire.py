"""Reading a create body back into the catalog's terms: which media arguments it carries, and where."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from wan_mcp.catalog import MediaKind, MediaLimits, Model
from wan_mcp.inputs import MediaInfo

KINDS: tuple[MediaKind, ...] = ("image", "video", "audio")
_IMAGE_ARGS = ("image", "first_frame", "last_frame", "mask_image", "ref_images")
_DEPRECATED_REFERENCES = "input:reference_video_urls"  # still accepted by wan2.6 r2v (ref:wan-api D-R2V)
_VIDEO_ARGS = ("video", "mask_video", "first_clip", "last_clip")


@dataclass(frozen=True)
class WireItem:
    """One media URL in a body: the wire slot it sits in, the arguments that slot serves, and its kind."""

    target: str  # "input:img_url", "media:first_frame", "media:reference_video", "voice"
    arguments: tuple[str, ...]  # wan-mcp arguments sent through this slot (a first frame serves image and first_frame)
    url: str
    kind: MediaKind | None = None  # references: the kind their media type names
    info: MediaInfo | None = None

    @property
    def label(self) -> str:
        """The body field, as DashScope names it in 'Field required: …'."""
        return "input." + self.target.replace(":", ".", 1).removeprefix("input.")


def targets(model: Model) -> dict[str, tuple[str, ...]]:
    """Wire slot → the arguments sent through it (reference slots expanded by kind)."""
    found: dict[str, tuple[str, ...]] = {}
    for argument, target in model.wire.items():
        slots = [target.format(kind=k) for k in KINDS] if "{kind}" in target else [target]
        if target == "input:reference_urls":
            slots.append(_DEPRECATED_REFERENCES)
        for slot in slots:
            found[slot] = (*found.get(slot, ()), argument)
    return found


def slot_of(model: Model, argument: str) -> str:
    """The wire slot an argument travels in ('prompt' → 'input:prompt')."""
    target = model.wire.get(argument, f"input:{argument}")
    return target.format(kind="image")


def wire_items(model: Model, inp: Mapping[str, Any]) -> list[WireItem]:
    """Every media URL in the input, in body order."""
    by_slot = targets(model)
    items: list[WireItem] = []
    for slot, arguments in by_slot.items():
        if not slot.startswith("input:"):
            continue
        value = inp.get(slot.removeprefix("input:"))
        urls = value if isinstance(value, list) else [value]
        items += [WireItem(slot, arguments, url) for url in urls if isinstance(url, str)]
    media = inp.get("media")
    if model.protocol == "media" and isinstance(media, list):
        for entry in media:
            items += _media_entry(by_slot, entry)
    return items


def _media_entry(by_slot: Mapping[str, tuple[str, ...]], entry: Any) -> list[WireItem]:
    if not isinstance(entry, dict) or entry.get("type") == "link" or not isinstance(entry.get("url"), str):
        return []
    slot = f"media:{entry.get('type')}"
    kind = next((k for k in KINDS if slot == f"media:reference_{k}"), None)
    found = [WireItem(slot, by_slot.get(slot, ()), entry["url"], kind)]
    if isinstance(entry.get("reference_voice"), str):
        found.append(WireItem("voice", ("reference_voices",), entry["reference_voice"], "audio"))
    return found


def limits_of(model: Model, item: WireItem) -> MediaLimits | None:
    """The catalog limits that apply to a media URL in the body."""
    arguments = set(item.arguments)
    if "reference_voices" in arguments:
        return model.voice_input
    if arguments & set(_IMAGE_ARGS):
        return model.image
    if arguments & set(_VIDEO_ARGS):
        return model.video
    if "audio" in arguments:
        return model.audio_input
    kind = kind_of(item)
    if "references" in arguments and kind is not None:
        return {"image": model.image, "video": model.video, "audio": model.audio_input}[kind]
    return None


def kind_of(item: WireItem) -> MediaKind | None:
    """A media URL's kind: from its media type, its header facts, or its ending."""
    if item.kind is not None:
        return item.kind
    if item.info is not None and item.info.kind is not None:
        return item.info.kind
    return _kind_of_url(item.url)


_ENDINGS: tuple[tuple[MediaKind, tuple[str, ...]], ...] = (
    ("image", (".png", ".jpg", ".jpeg", ".webp", ".bmp")),
    ("video", (".mp4", ".mov")),
    ("audio", (".mp3", ".wav")),
)


def _kind_of_url(url: str) -> MediaKind | None:
    lowered = url.lower()
    if lowered.startswith("data:"):
        mime = lowered[5:].split("/", 1)[0]
        return next((kind for kind in KINDS if kind == mime), None)
    path = lowered.split("?", 1)[0]
    return next((kind for kind, endings in _ENDINGS if path.endswith(endings)), None)


def present_slots(items: list[WireItem], inp: Mapping[str, Any]) -> set[str]:
    """The slots a body fills, plus 'input:prompt' for a non-empty prompt and 'media:link' for a link."""
    present = {item.target for item in items if item.target != "voice"}
    prompt = inp.get("prompt")
    if isinstance(prompt, str) and prompt.strip():
        present.add("input:prompt")
    media = inp.get("media")
    if isinstance(media, list) and any(isinstance(m, dict) and m.get("type") == "link" for m in media):
        present.add("media:link")
    return present
