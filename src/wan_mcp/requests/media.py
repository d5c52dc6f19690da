"""Step 4 of planning: classify each media argument (URL, oss://, data: URI, local file) and pick its limits."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from wan_mcp.catalog import MediaLimits
from wan_mcp.inputs import InputError, MediaInfo, MediaSource, classify
from wan_mcp.requests.arguments import LIST_ARGS, MEDIA_ARGS
from wan_mcp.requests.draft import Draft

T = TypeVar("T")


def collect_media(draft: Draft) -> None:
    """Fill draft.sources and draft.limits for every media argument the request uses; unusable ones are problems."""
    for name in (*MEDIA_ARGS, "reference_file"):
        value = draft.given.get(name)
        if value is None or name not in draft.accepted:
            continue
        if name in LIST_ARGS:
            _collect_list(draft, name, value)
            continue
        source = _classify(draft, name, value)
        limits = draft.limits_for(name)
        if source is not None:
            draft.sources[name] = source
            if limits is not None:
                draft.limits[name] = limits


def _collect_list(draft: Draft, name: str, values: list[Any]) -> None:
    if not values:
        draft.problems.append(
            draft.problem(name, "missing_argument", f"{name} is empty", f"give at least one {name[:-1]}")
        )
        return
    for index, value in enumerate(values):
        if not value:
            continue  # reference_voices: no voice for this reference
        item = f"{name}[{index}]"
        source = _classify(draft, item, value)
        if source is None:
            continue
        draft.sources[item] = source
        limits = _item_limits(draft, item, source)
        if limits is not None:
            draft.limits[item] = limits


def _item_limits(draft: Draft, item: str, source: MediaSource) -> MediaLimits | None:
    if not item.startswith("references["):
        return draft.limits_for(item)
    kind = source.media_kind
    if kind is None:
        draft.problems.append(
            draft.problem(
                item,
                "unknown_media_kind",
                f"cannot tell whether {source.raw[:80]!r} is an image, a video or an audio file",
                "use a URL whose path ends in .png/.jpg/.webp/.mp4/.mov/.wav/.mp3, or a local file",
            )
        )
        return None
    limits = draft.limits_for(item, kind)
    if limits is None:
        kinds = [k for k, lim in (("images", draft.model.image), ("videos", draft.model.video)) if lim]
        kinds += ["audio"] if draft.model.audio_input else []
        draft.problems.append(
            draft.problem(
                item,
                "not_supported",
                f"{draft.model.id} takes no {kind} references",
                f"references for {draft.model.id} are {' and '.join(kinds) or 'none'}",
            )
        )
    return limits


def _classify(draft: Draft, name: str, value: str) -> MediaSource | None:
    try:
        return classify(value, input_dir=draft.input_dir, allowed=draft.allowed_dirs)
    except InputError as exc:
        draft.problems.append(draft.problem(name, exc.code, f"{name}: {exc.message}", exc.fix))
        return None


def label(name: str, source: MediaSource) -> str:
    """How a media argument is named in a message: with its path when it is a local file."""
    return f"{name} ({source.path or 'data: URI'})" if source.kind == "local" else name


def format_ok(source: MediaSource, limits: MediaLimits) -> bool:
    """The source's format is one the limits take (unknown URL formats pass: DashScope will tell)."""
    fmt = source.guessed_format
    if fmt is not None and fmt not in limits.formats:
        return False
    return source.info is None or source.info.format is not None


def checked_media(draft: Draft) -> Iterator[tuple[str, MediaSource, MediaLimits]]:
    """(argument, source, limits) for every media argument whose format is acceptable, in request order."""
    for name, limits in draft.limits.items():
        source = draft.sources[name]
        if format_ok(source, limits):
            yield name, source, limits


def measured(draft: Draft, read: Callable[[MediaInfo], T | None]) -> Iterator[tuple[str, MediaSource, MediaLimits, T]]:
    """checked_media, with one fact read from each file's headers (sources whose headers lack it are skipped)."""
    for name, source, limits in checked_media(draft):
        value = read(source.info) if source.info is not None else None
        if value is not None:
            yield name, source, limits, value
