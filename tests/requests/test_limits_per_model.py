"""Table-driven over the whole catalog: defaults build, every limit holds at its boundary and fails one step past."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import cases
import mediafiles
from cases import all_cases, case_id, fields, first_cases, minimal_args, ok, refused
from wan_mcp import catalog
from wan_mcp.catalog import REGIONS, MediaLimits, Mode, Model, RegionId

ALL = all_cases()
FIRST = first_cases()


@pytest.mark.parametrize("case", ALL, ids=case_id)
def test_default_request_builds(case: tuple[Model, Mode, str | None, RegionId]) -> None:
    """The minimal request of every model, mode, VACE function and region plans to a complete HTTP request."""
    model, mode, function, region = case
    plan = ok(minimal_args(model, mode, function, region), region)
    assert plan.model == model.id and plan.mode == mode and plan.region == region
    request = plan.request
    assert request.method == "POST"
    assert request.path == "/api/v1" + catalog.ENDPOINT_PATHS[model.endpoint]
    assert request.headers["X-DashScope-Async"] == "enable"
    assert "Authorization" not in request.headers
    body = request.body
    assert body["model"] == model.regions[region].name
    assert isinstance(body["input"], dict)
    if function is not None:
        assert body["input"]["function"] == function
    assert plan.estimate.wait_low_seconds < plan.estimate.wait_high_seconds
    assert any("24 hours" in note for note in plan.notes)
    assert any("Tell the user the expected wait" in note for note in plan.notes)
    if model.audio == "silent":
        assert any(note.startswith("Silent output") for note in plan.notes)
    params = body.get("parameters", {})
    assert not ({"size", "resolution"} <= set(params)), "never both size and resolution"
    if model.param_style == "size" and "size" in params:
        assert params["size"] in model.sizes
    if "resolution" in params:
        assert params["resolution"] in model.tiers


@pytest.mark.parametrize("case", FIRST, ids=case_id)
def test_duration_boundaries(case: tuple[Model, Mode, str | None, RegionId]) -> None:
    """Every allowed duration is accepted at its edges; one second past either edge is refused."""
    model, mode, function, region = case
    spec = model.durations_in(region)
    base = minimal_args(model, mode, function, region)
    if spec is None:
        assert fields(refused({**base, "duration": 5}, region)) == {"duration"}
        return
    allowed = list(spec.choices) if spec.choices else [spec.min, spec.max]
    for seconds in [*allowed, *spec.special]:
        plan = ok({**base, "duration": seconds}, region)
        sent = plan.request.body.get("parameters", {}).get("duration")
        assert sent == (None if spec.fixed else seconds)
    for seconds in (spec.min - 1, spec.max + 1):
        if seconds in spec.special:
            continue
        problems = refused({**base, "duration": seconds}, region)
        assert fields(problems) == {"duration"}
    if spec.choices:
        gaps = [s for s in range(spec.min, spec.max + 1) if s not in spec.choices]
        for seconds in gaps:
            assert fields(refused({**base, "duration": seconds}, region)) == {"duration"}


@pytest.mark.parametrize("case", FIRST, ids=case_id)
def test_prompt_limits(case: tuple[Model, Mode, str | None, RegionId]) -> None:
    """A prompt of exactly the limit is accepted; one character more is refused, never silently truncated."""
    model, mode, function, region = case
    base = minimal_args(model, mode, function, region)
    if model.prompt == "none":
        assert fields(refused({**base, "prompt": "dance"}, region)) == {"prompt"}
        return
    assert model.prompt_max is not None
    plan = ok({**base, "prompt": "字" * model.prompt_max}, region)
    assert len(plan.request.body["input"]["prompt"]) == model.prompt_max
    problems = refused({**base, "prompt": "字" * (model.prompt_max + 1)}, region)
    assert [(p.field, p.code) for p in problems] == [("prompt", "too_long")]
    assert "silently" in problems[0].message and "1 character" in problems[0].fix
    if model.negative_prompt_max is None:
        assert fields(refused({**base, "negative_prompt": "blur"}, region)) == {"negative_prompt"}
    else:
        ok({**base, "negative_prompt": "n" * model.negative_prompt_max}, region)
        problems = refused({**base, "negative_prompt": "n" * (model.negative_prompt_max + 1)}, region)
        assert [(p.field, p.code) for p in problems] == [("negative_prompt", "too_long")]


@pytest.mark.parametrize("case", FIRST, ids=case_id)
def test_frame_options(case: tuple[Model, Mode, str | None, RegionId]) -> None:
    """Every offered size/tier is accepted and sent; anything else is refused."""
    model, mode, function, region = case
    base = minimal_args(model, mode, function, region)
    if function not in (None, "image_reference"):
        return  # video-input VACE functions keep the input's frame (tested separately)
    if model.param_style == "size":
        for size in model.sizes:
            assert ok({**base, "size": size}, region).request.body["parameters"]["size"] == size
        for size in catalog.sizes_for(*catalog.TIERS):
            if size not in model.sizes:
                assert fields(refused({**base, "size": size}, region)) == {"size"}
        first = model.sizes[0]
        other_ratio = next(r for r in ("9:16", "16:9") if r != catalog.ratio_of_size(first))
        assert fields(refused({**base, "size": first, "aspect_ratio": other_ratio}, region)) == {"size"}
    elif model.param_style in ("resolution", "resolution+ratio"):
        for tier in model.tiers:
            assert ok({**base, "resolution": tier}, region).request.body["parameters"]["resolution"] == tier
        for tier in catalog.TIERS:
            if tier not in model.tiers:
                assert fields(refused({**base, "resolution": tier}, region)) == {"resolution"}
        assert fields(refused({**base, "size": "1280*720"}, region)) == {"size"}
        if model.param_style == "resolution+ratio":
            for ratio in model.ratios:
                assert ok({**base, "aspect_ratio": ratio}, region).request.body["parameters"]["ratio"] == ratio
            assert fields(refused({**base, "aspect_ratio": "2:1"}, region)) == {"aspect_ratio"}
        else:
            assert fields(refused({**base, "aspect_ratio": "16:9"}, region)) == {"aspect_ratio"}
    else:
        for name in ("size", "resolution"):
            assert name in fields(refused({**base, name: "720P"}, region))


@pytest.mark.parametrize("case", FIRST, ids=case_id)
def test_seed_range(case: tuple[Model, Mode, str | None, RegionId]) -> None:
    """Seeds 0 and 2147483647 are accepted; -1 and 2147483648 are refused (where the model takes a seed)."""
    model, mode, function, region = case
    base = minimal_args(model, mode, function, region)
    if model.protocol not in ("legacy", "media"):
        assert fields(refused({**base, "seed": 1}, region)) == {"seed"}
        return
    for seed in (0, catalog.SEED_MAX):
        assert ok({**base, "seed": seed}, region).request.body["parameters"]["seed"] == seed
    for seed in (-1, catalog.SEED_MAX + 1):
        problems = refused({**base, "seed": seed}, region)
        assert [(p.field, p.code) for p in problems] == [("seed", "out_of_range")]


# -- media limits at their boundaries, with real (tiny) local files ------------------------------------------

MEDIA_SLOTS = {
    "image": ("image", "first_frame", "ref_images"),
    "video": ("video", "first_clip", "references"),
    "audio": ("audio",),
}


def _slot(args: dict[str, Any], kind: str) -> str | None:
    for name in MEDIA_SLOTS[kind]:
        if name in args:
            return name
    return None


def _with(args: dict[str, Any], name: str, path: Path) -> dict[str, Any]:
    value: Any = [str(path)] if isinstance(args[name], list) else str(path)
    return {**args, name: value}


def _media_cases() -> list[tuple[Model, Mode, str | None, RegionId, str, str, MediaLimits]]:
    out = []
    for model, mode, function, region in ALL:
        if region != next(iter(model.regions)):
            continue
        args = minimal_args(model, mode, function, region)
        for kind, limits in (("image", model.image), ("video", model.video), ("audio", model.audio_input)):
            name = _slot(args, kind)
            if name == "first_clip":
                continue  # VACE clips have their own 3 s rule, tested in test_requests_rules
            if limits is not None and name is not None:
                out.append((model, mode, function, region, kind, name, limits))
    unique: dict[tuple[str, str, str], Any] = {}
    for case in out:
        unique.setdefault((case[0].id, case[4], case[5]), case)
    return list(unique.values())


MEDIA_CASES = _media_cases()


def _media_id(case: Any) -> str:
    return f"{case[0].id}-{case[1]}-{case[5]}"


@pytest.mark.parametrize("case", MEDIA_CASES, ids=_media_id)
def test_media_size_boundary(case: Any, tmp_path: Path) -> None:
    """A local file of exactly the size limit is accepted; one byte more is refused before any upload."""
    model, mode, function, region, kind, name, limits = case
    base = minimal_args(model, mode, function, region)
    header = {
        "image": mediafiles.png(640, 640),
        "video": mediafiles.mp4(3, 640, 640),
        "audio": mediafiles.wav(5),
    }[kind]
    limit_bytes = int(limits.max_mb * 1_000_000)
    at_limit = mediafiles.write(tmp_path / f"at.{_ext(kind)}", header, size=limit_bytes)
    over = mediafiles.write(tmp_path / f"over.{_ext(kind)}", header, size=limit_bytes + 1)
    if REGIONS[region].uploads:
        plan = ok(_with(base, name, at_limit), region)
        assert [u.path for u in plan.uploads] == [at_limit]
        assert plan.request.headers["X-DashScope-OssResourceResolve"] == "enable"
        problems = refused(_with(base, name, over), region)
        assert [p.code for p in problems] == ["file_too_large"]
    else:  # no temporary storage here: a file this big can only be refused, but the size check still holds
        assert [p.code for p in refused(_with(base, name, at_limit), region)] == ["no_upload_in_region"]
        assert "file_too_large" in [p.code for p in refused(_with(base, name, over), region)]
        problems = refused(_with(base, name, over), region)
    assert problems[0].field.startswith(name)


@pytest.mark.parametrize("case", [c for c in MEDIA_CASES if c[4] == "image" and c[6].min_px is not None], ids=_media_id)
def test_image_pixel_boundaries(case: Any, tmp_path: Path) -> None:
    """Images with sides exactly at the pixel limits are accepted; one pixel past is refused."""
    model, mode, function, region, _, name, limits = case
    base = minimal_args(model, mode, function, region)
    low, high = limits.min_px, limits.max_px
    for side in (low, high):
        path = mediafiles.write(tmp_path / f"ok{side}.png", mediafiles.png(side, side))
        ok(_with(base, name, path), region)
    for side in (low - 1, high + 1):
        path = mediafiles.write(tmp_path / f"bad{side}.png", mediafiles.png(side, side))
        problems = refused(_with(base, name, path), region)
        assert [p.code for p in problems] == ["invalid_dimensions"]


@pytest.mark.parametrize(
    "case",
    [c for c in MEDIA_CASES if c[4] in ("audio", "video") and (c[6].min_seconds or c[6].max_seconds)],
    ids=_media_id,
)
def test_media_duration_boundaries(case: Any, tmp_path: Path) -> None:
    """Audio and video inputs exactly at their duration limits are accepted; 0.2 s past is refused."""
    model, mode, function, region, kind, name, limits = case
    base = minimal_args(model, mode, function, region)

    def make(seconds: float, label: str) -> Path:
        data = mediafiles.wav(seconds) if kind == "audio" else mediafiles.mp4(seconds, 640, 640)
        return mediafiles.write(tmp_path / f"{label}.{_ext(kind)}", data)

    for seconds in (limits.min_seconds, limits.max_seconds):
        if seconds is not None:
            ok(_with(base, name, make(seconds, f"ok{seconds}")), region)
    for seconds in (
        None if limits.min_seconds is None else limits.min_seconds - 0.2,
        None if limits.max_seconds is None else limits.max_seconds + 0.2,
    ):
        if seconds is not None and seconds > 0:
            problems = refused(_with(base, name, make(seconds, f"bad{seconds}")), region)
            assert [p.code for p in problems] == ["invalid_duration"], problems


def _ext(kind: str) -> str:
    return {"image": "png", "video": "mp4", "audio": "wav"}[kind]


def test_every_region_name_is_sent_in_its_region() -> None:
    """A model named by its other region's name is sent under the name of the configured region."""
    plan = ok({"mode": "t2v", "model": "wan2.1-t2v-turbo", "prompt": "a fox"}, "beijing")
    assert plan.request.body["model"] == "wanx2.1-t2v-turbo"
    assert any("its name in China (Beijing)" in n for n in plan.notes)
    plan = ok({"mode": "t2v", "model": "wanx2.1-t2v-turbo", "prompt": "a fox"}, "singapore")
    assert plan.request.body["model"] == "wan2.1-t2v-turbo"


@pytest.mark.parametrize("region", list(REGIONS))
def test_models_outside_their_regions_are_refused_with_where_they_are(region: RegionId) -> None:
    """A model not offered in the region is refused, naming the regions that have it and local alternatives."""
    for model in catalog.MODELS:
        if model.kind != "generation" or region in model.regions:
            continue
        mode = next(iter(model.modes))
        functions = model.modes[mode].functions
        args = minimal_args(model, mode, next(iter(functions)) if functions else None)
        problems = refused(args, region)
        assert [(p.field, p.code) for p in problems] == [("model", "not_in_region")]
        for offered in model.regions:
            assert offered in problems[0].fix


@pytest.mark.parametrize(
    "case",
    [c for c in MEDIA_CASES if c[4] == "image" and c[6].min_aspect is not None],
    ids=_media_id,
)
def test_image_aspect_boundaries(case: Any, tmp_path: Path) -> None:
    """Images exactly at the aspect-ratio limits are accepted; a little past either one is refused."""
    model, mode, function, region, _, name, limits = case
    base = minimal_args(model, mode, function, region)
    short = max(limits.min_px or 1, 300)
    long = round(short * limits.max_aspect)
    for width, height in ((long, short), (short, long)):
        ok(
            _with(base, name, mediafiles.write(tmp_path / f"ok{width}x{height}.png", mediafiles.png(width, height))),
            region,
        )
    for width, height in ((long + 10, short), (short, long + 10)):
        path = mediafiles.write(tmp_path / f"bad{width}x{height}.png", mediafiles.png(width, height))
        assert [p.code for p in refused(_with(base, name, path), region)] == ["invalid_dimensions"]


def _reference_cases() -> list[tuple[Model, RegionId, str, int]]:
    """(model, region, reference URL, how many of it the model takes) for every reference count limit."""
    out = []
    urls = {"image": cases.IMAGE, "video": cases.VIDEO, "audio": cases.AUDIO}
    for model, mode, _, region in ALL:
        spec = model.modes[mode]
        if region != next(iter(model.regions)) or "references" not in (*spec.required, *spec.optional):
            continue
        by_kind = {
            "image": model.max_reference_images,
            "video": model.max_reference_videos,
            "audio": model.max_reference_audios,
        }
        for kind, limit in by_kind.items():
            if limit is not None:
                out.append((model, region, urls[kind], limit))
        if model.max_references is not None:
            out.append((model, region, cases.IMAGE if model.image else cases.VIDEO, model.max_references))
    return out


@pytest.mark.parametrize("case", _reference_cases(), ids=lambda c: f"{c[0].id}-{c[2].rsplit('.', 1)[1]}-{c[3]}")
def test_reference_count_boundaries(case: tuple[Model, RegionId, str, int]) -> None:
    """A model takes exactly its maximum number of references of a kind (or in all); one more is refused."""
    model, region, url, limit = case
    base = {"mode": "r2v", "model": model.id, "prompt": "image 1 and character1"}
    ok({**base, "references": [url] * limit}, region)
    problems = refused({**base, "references": [url] * (limit + 1)}, region)
    assert {(p.field, p.code) for p in problems} == {("references", "too_many")}


def _list_cases() -> list[tuple[Model, Mode, str | None, RegionId, str, int]]:
    out = []
    for model, mode, function, region in ALL:
        if region != next(iter(model.regions)):
            continue
        spec = model.modes[mode]
        fspec = spec.functions[function] if spec.functions and function else None
        for name, limit in {**spec.max_items, **(fspec.max_items if fspec else {})}.items():
            out.append((model, mode, function, region, name, limit))
    return out


@pytest.mark.parametrize(
    "case", _list_cases(), ids=lambda c: "-".join(str(p) for p in (c[0].id, c[2], c[4], c[5]) if p)
)
def test_list_item_boundaries(case: tuple[Model, Mode, str | None, RegionId, str, int]) -> None:
    """A list argument takes exactly its maximum number of items; one more is refused naming it."""
    model, mode, function, region, name, limit = case
    base = minimal_args(model, mode, function, region)
    labels = {"obj_or_bg": ["obj"] * limit} if function == "image_reference" else {}
    ok({**base, name: [cases.IMAGE] * limit, **labels}, region)
    over = {"obj_or_bg": ["obj"] * (limit + 1)} if labels else {}
    assert fields(refused({**base, name: [cases.IMAGE] * (limit + 1), **over}, region)) == {name}
