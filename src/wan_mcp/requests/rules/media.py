"""Rules about media inputs: formats, sizes, pixels, lengths, counts and pairings, from the catalog's limits."""

from __future__ import annotations

from wan_mcp.errors import Problem
from wan_mcp.inputs import InputError, MediaInfo, check_document
from wan_mcp.requests.draft import Draft
from wan_mcp.requests.media import checked_media, format_ok, label, measured

_EPSILON = 0.05  # seconds: headers round durations


def _sides(info: MediaInfo) -> tuple[int, int] | None:
    return (info.width, info.height) if info.width and info.height else None


def _ratio_text(value: float) -> str:
    return f"1:{round(1 / value)}" if value < 1 else f"{round(value)}:1"


def media_urls_ascii(draft: Draft) -> list[Problem]:
    """URLs are ASCII where the model refuses others (VACE, animate: no Chinese characters)."""
    return [
        draft.problem(
            name,
            "invalid_url",
            f"{draft.model.id} refuses URLs with non-ASCII characters (such as Chinese)",
            "percent-encode the URL's path (e.g. with urllib.parse.quote), or pass a local file",
        )
        for name, limits in draft.limits.items()
        if limits.ascii_url and draft.sources[name].kind in ("url", "oss") and not draft.sources[name].raw.isascii()
    ]


def media_formats(draft: Draft) -> list[Problem]:
    """Each media input is in a format the model takes (sniffed from the content when it can be read)."""
    problems = []
    for name, limits in draft.limits.items():
        source = draft.sources[name]
        if format_ok(source, limits):
            continue
        allowed = ", ".join(f.upper() for f in limits.formats)
        fmt = source.guessed_format
        if fmt is None:
            message = f"{name} is not a recognisable {limits.kind} file"
            problems.append(draft.problem(name, "invalid_format", message, f"use {allowed}"))
        else:
            message = f"{name} is {fmt.upper()}; {draft.model.id} takes {allowed} for its {limits.kind} input"
            problems.append(
                draft.problem(name, "invalid_format", message, f"convert it to {limits.formats[0].upper()}")
            )
    return problems


def media_file_sizes(draft: Draft) -> list[Problem]:
    """Each readable media file is within the model's megabytes (the older, smaller figure is a caution)."""
    problems = []
    for name, source, limits, size in measured(draft, lambda info: info.size_bytes):
        size_mb = size / 1_000_000
        if size_mb > limits.max_mb:
            message = f"{label(name, source)} is {size_mb:.1f} MB; {draft.model.id} takes at most {limits.max_mb:g} MB"
            problems.append(draft.problem(name, "file_too_large", message, "compress or downscale it"))
        elif limits.caution_max_mb is not None and size_mb > limits.caution_max_mb:
            draft.cautions.append(
                f"{name} is {size_mb:.1f} MB: accepted (the newest docs allow {limits.max_mb:g} MB), but older docs "
                f"say {limits.caution_max_mb:g} MB; if DashScope refuses it, compress it."
            )
    return problems


def png_transparency(draft: Draft) -> list[Problem]:
    """A PNG with transparency is refused where the model takes PNG without alpha."""
    return [
        draft.problem(
            name,
            "invalid_format",
            f"{label(name, source)} is a PNG with transparency, which {draft.model.id} does not accept",
            "flatten it onto a background or save it as JPEG",
        )
        for name, source, limits in checked_media(draft)
        if source.info and source.info.format == "png" and source.info.has_alpha and not limits.png_alpha
    ]


def media_pixels(draft: Draft) -> list[Problem]:
    """Image and video sides are within the model's pixel range (the older, narrower range is a caution)."""
    problems = []
    for name, source, limits, (width, height) in measured(draft, _sides):
        low, high = limits.min_px, limits.max_px
        if (low is not None and min(width, height) < low) or (high is not None and max(width, height) > high):
            message = f"{label(name, source)} is {width}×{height} px; {draft.model.id} takes sides of {low}–{high} px"
            problems.append(draft.problem(name, "invalid_dimensions", message, "resize it"))
            continue
        c_low, c_high = limits.caution_min_px, limits.caution_max_px
        if (c_low is not None and min(width, height) < c_low) or (c_high is not None and max(width, height) > c_high):
            draft.cautions.append(
                f"{name} is {width}×{height} px: accepted by the newest docs ({low}–{high} px), but older docs say "
                f"{c_low}–{c_high} px; if DashScope refuses it, resize it."
            )
    return problems


def media_aspect_ratios(draft: Draft) -> list[Problem]:
    """Image and video aspect ratios are within the model's range (e.g. 1:8–8:1)."""
    problems = []
    for name, source, limits, (width, height) in measured(draft, _sides):
        if limits.min_aspect is None or limits.max_aspect is None:
            continue
        aspect = width / height
        if not limits.min_aspect - 1e-9 <= aspect <= limits.max_aspect + 1e-9:
            message = (
                f"{label(name, source)} has an aspect ratio of {aspect:.2f}; {draft.model.id} takes "
                f"{_ratio_text(limits.min_aspect)} to {_ratio_text(limits.max_aspect)}"
            )
            problems.append(draft.problem(name, "invalid_dimensions", message, "crop it"))
    return problems


def media_seconds(draft: Draft) -> list[Problem]:
    """Audio and video inputs last as long as the model takes (an older source's bound is a caution)."""
    problems = []
    for name, source, limits, seconds in measured(draft, lambda info: info.seconds):
        what = f"{label(name, source)} lasts {seconds:.1f} s; {draft.model.id}"
        if limits.min_seconds is not None and seconds < limits.min_seconds - _EPSILON:
            problems.append(
                draft.problem(
                    name, "invalid_duration", f"{what} needs at least {limits.min_seconds:g} s", "use a longer file"
                )
            )
        elif limits.max_seconds is not None and seconds > limits.max_seconds + _EPSILON:
            rest = "of audio" if limits.kind == "audio" else "(DashScope would cut or refuse the rest)"
            fix = f"trim it to {limits.max_seconds:g} s or less"
            problems.append(
                draft.problem(name, "invalid_duration", f"{what} takes at most {limits.max_seconds:g} s {rest}", fix)
            )
        else:
            _seconds_caution(draft, name, seconds, limits.caution_min_seconds, limits.caution_max_seconds)
    return problems


def _seconds_caution(draft: Draft, name: str, seconds: float, low: float | None, high: float | None) -> None:
    if low is not None and seconds < low:
        draft.cautions.append(
            f"{name} lasts {seconds:.1f} s: accepted, but other docs say at least {low:g} s; if DashScope refuses "
            "it, use a longer file."
        )
    elif high is not None and seconds > high:
        draft.cautions.append(
            f"{name} lasts {seconds:.1f} s: some docs give {high:g} s as the maximum; if refused, trim it."
        )


def list_lengths(draft: Draft) -> list[Problem]:
    """List arguments hold at most as many items as the mode or VACE function uses (the API drops the rest)."""
    fspec = draft.function_spec
    limits = {**draft.spec.max_items, **(fspec.max_items if fspec else {})}
    problems = []
    for name, limit in limits.items():
        items = draft.given.get(name) or []
        if len(items) > limit:
            message = (
                f"{len(items)} {name}; {draft.describe()} uses at most {limit} (DashScope ignores or refuses the rest)"
            )
            problems.append(draft.problem(name, "too_many", message, f"keep the {limit} that matter"))
    return problems


def item_labels(draft: Draft) -> list[Problem]:
    """Labels per item (obj_or_bg per reference image) match the items in number, with at most one 'bg'."""
    fspec = draft.function_spec
    if fspec is None or fspec.labels_for is None:
        return []
    items_name, labels_name = fspec.labels_for
    items, labels = draft.given.get(items_name) or [], draft.given.get(labels_name)
    if labels is None:
        if len(items) <= 1:
            return []
        fix = f"give {len(items)} entries, each 'obj' (a subject) or 'bg' (the background); one 'bg' at most"
        return [
            draft.problem(
                labels_name,
                "missing_argument",
                f"with several {items_name}, {labels_name} must say what each one is",
                fix,
            )
        ]
    problems = []
    if len(labels) != len(items):
        message = (
            f"{labels_name} has {len(labels)} entries for {len(items)} {items_name} "
            f"(DashScope: '{items_name}_url and {labels_name} must be the same length')"
        )
        problems.append(
            draft.problem(labels_name, "invalid_value", message, f"give one entry per item of {items_name}")
        )
    for value, most in fspec.max_label_counts.items():
        if labels.count(value) > most:
            message = f"at most {most} of {labels_name} can be {value!r}"
            problems.append(draft.problem(labels_name, "invalid_value", message, "mark the others 'obj'"))
    return problems


def reference_counts(draft: Draft) -> list[Problem]:
    """References stay within the model's total and per-kind counts (e.g. 5, of which at most 3 videos)."""
    model, references = draft.model, draft.references()
    problems = []
    if model.max_references is not None and len(references) > model.max_references:
        message = f"{len(references)} references; {model.id} takes at most {model.max_references}"
        problems.append(
            draft.problem("references", "too_many", message, "drop some; each reference should be one subject")
        )
    for kind, limit in (
        ("video", model.max_reference_videos),
        ("image", model.max_reference_images),
        ("audio", model.max_reference_audios),
    ):
        count = len(draft.references_of(kind))  # type: ignore[arg-type]
        if limit is not None and count > limit:
            message = f"{count} {kind} references; {model.id} takes at most {limit}"
            problems.append(
                draft.problem("references", "too_many", message, f"drop {count - limit} {kind} reference(s)")
            )
    return problems


def reference_voices_match(draft: Draft) -> list[Problem]:
    """Voices pair with references by position, and only with image or video references."""
    voices = draft.given.get("reference_voices")
    if not voices or not draft.uses("reference_voices"):
        return []
    references = draft.given.get("references") or []
    if len(voices) > len(references):
        message = f"{len(voices)} reference_voices for {len(references)} references"
        fix = "give one voice per reference, in the same order (null or '' for a reference without one)"
        return [draft.problem("reference_voices", "too_many", message, fix)]
    problems = []
    for index, voice in enumerate(voices):
        source = draft.sources.get(f"references[{index}]")
        if voice and source is not None and source.media_kind not in ("image", "video"):
            message = f"a voice goes with an image or video reference; references[{index}] is not one"
            problems.append(draft.problem(f"reference_voices[{index}]", "not_supported", message, "remove this voice"))
    return problems


def reference_totals(draft: Draft) -> list[Problem]:
    """Where the model caps the total length of video or audio references, the readable ones stay under it."""
    problems = []
    for kind, cap in draft.model.reference_seconds_total.items():
        of_kind = [s for s in draft.references_of(kind) if s.info]
        total = sum(s.info.seconds or 0 for s in of_kind if s.info)
        if len(of_kind) > 1 and total > cap + _EPSILON:
            message = f"the {kind} references last {total:.1f} s together; {draft.model.id} takes at most {cap:g} s"
            problems.append(draft.problem("references", "invalid_duration", message, "trim them"))
    return problems


def regional_reference_kinds(draft: Draft) -> list[Problem]:
    """A region's restriction of reference kinds is refused; an older source's restriction is a caution."""
    offer, problems = draft.offer, []
    for name, source in draft.references():
        kind = source.media_kind
        if kind is None:
            continue
        if offer.reference_kinds is not None and kind not in offer.reference_kinds:
            message = (
                f"in {draft.region_title}, {draft.model.id} takes only {'/'.join(offer.reference_kinds)} references"
            )
            problems.append(draft.problem(name, "not_supported", message, "use those references, or another region"))
        elif offer.caution_reference_kinds is not None and kind not in offer.caution_reference_kinds:
            draft.cautions.append(
                f"{name}: {kind} references are accepted in {draft.region_title} by the API reference, but the guide's "
                f"region table lists only {'/'.join(offer.caution_reference_kinds)} there; if DashScope refuses it, "
                "use a video reference or another region."
            )
    return problems


def clips_total_seconds(draft: Draft) -> list[Problem]:
    """VACE video_extension clips last at most 3 s together (unreadable URLs get a caution)."""
    fspec = draft.function_spec
    if fspec is None or fspec.clips_max_seconds is None:
        return []
    clips = [name for name in ("first_clip", "last_clip") if name in draft.given]
    known = [s for s in map(draft.seconds_of, clips) if s is not None]
    cap = fspec.clips_max_seconds
    if sum(known) > cap + _EPSILON:
        message = f"the clips last {sum(known):.1f} s together; {draft.function} takes at most {cap:g} s of clips"
        fix = "cut them: keep the last 3 s of a first_clip, the first 3 s of a last_clip"
        return [draft.problem(clips[0], "invalid_duration", message, fix)]
    if len(known) < len(clips):
        draft.cautions.append(
            f"{draft.function}: the clips must last {cap:g} s or less together (not checked for URLs)."
        )
    return []


def reference_file_is_a_document(draft: Draft) -> list[Problem]:
    """A reference file is a document type the API reads, sniffed from its content (never a key or a binary)."""
    source = draft.sources.get("reference_file")
    if source is None:
        return []
    try:
        check_document(source)
    except InputError as exc:
        return [draft.problem("reference_file", exc.code, f"reference_file: {exc.message}", exc.fix)]
    return []
